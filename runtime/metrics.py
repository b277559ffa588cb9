"""The metrics a run reports, declared once: for which tasks, and which way is better.

The rendered `evaluate` function (templates/_training.py.j2) computes them;
this table is what ranks runs (runtime.leaderboard), names a run's main
metric (runtime.store.MAIN_METRIC) and tells a tuner which way to go.
"""

from __future__ import annotations

from dataclasses import dataclass

CLASSIFICATION_TASKS = ("binary", "multiclass")


@dataclass(frozen=True)
class Metric:
    name: str
    title: str
    tasks: tuple[str, ...]
    higher_is_better: bool


def _metrics(tasks: tuple[str, ...], *entries: tuple[str, str, bool]) -> list[Metric]:
    return [Metric(name, title, tasks, higher) for name, title, higher in entries]


METRICS: list[Metric] = [
    *_metrics(
        CLASSIFICATION_TASKS,
        ("accuracy", "Accuracy", True),
        ("balanced_accuracy", "Balanced accuracy", True),
        ("roc_auc", "ROC AUC", True),
        ("average_precision", "Average precision", True),
        ("log_loss", "Log loss", False),
        ("matthews_corrcoef", "Matthews correlation", True),
        ("f1_macro", "F1 (macro)", True),
        ("f1_weighted", "F1 (weighted)", True),
        ("precision_macro", "Precision (macro)", True),
        ("precision_weighted", "Precision (weighted)", True),
        ("recall_macro", "Recall (macro)", True),
        ("recall_weighted", "Recall (weighted)", True),
    ),
    *_metrics(
        ("regression",),
        ("r2", "R²", True),
        ("rmse", "Root mean squared error", False),
        ("mae", "Mean absolute error", False),
        ("mse", "Mean squared error", False),
        ("median_ae", "Median absolute error", False),
        ("mape", "Mean absolute percentage error", False),
    ),
    *_metrics(
        ("clustering",),
        ("silhouette", "Silhouette", True),
        ("calinski_harabasz", "Calinski-Harabasz", True),
        ("davies_bouldin", "Davies-Bouldin", False),
        ("adjusted_rand", "Adjusted Rand index (against the labels kept aside)", True),
        ("noise_share", "Share of rows left out as noise", False),
    ),
]
METRICS_BY_NAME = {m.name: m for m in METRICS}


def metrics_for(task: str) -> list[str]:
    """The metric names of a task, the most telling first."""
    return [m.name for m in METRICS if task in m.tasks]


def higher_is_better(name: str) -> bool:
    """Which way a metric improves; KeyError for a metric nobody declared."""
    return METRICS_BY_NAME[name].higher_is_better


# The metric a task is tuned by unless the spec names another (clustering is not tuned).
DEFAULT_TUNING_METRIC = {"binary": "roc_auc", "multiclass": "accuracy", "regression": "r2"}


def direction(name: str) -> str:
    """Optuna's study direction for a metric: "maximize" or "minimize"."""
    return "maximize" if higher_is_better(name) else "minimize"
