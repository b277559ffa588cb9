"""The metrics `evaluate()` (templates/_training.py.j2) reports, per task, and which way is better.

Tuning reads the direction of its objective here; a conformance test checks these
names against the report of a real run, so the list cannot drift from the code.
"""

from __future__ import annotations

_CLASSIFICATION = {
    "accuracy": True,
    "balanced_accuracy": True,
    "matthews_corrcoef": True,
    "log_loss": False,
    "precision_macro": True,
    "recall_macro": True,
    "f1_macro": True,
    "precision_weighted": True,
    "recall_weighted": True,
    "f1_weighted": True,
    "roc_auc": True,
    "average_precision": True,
}

# metric name -> True when a higher value is better.
HIGHER_IS_BETTER: dict[str, dict[str, bool]] = {
    "binary": _CLASSIFICATION,
    "multiclass": _CLASSIFICATION,
    "regression": {
        "mae": False,
        "mse": False,
        "rmse": False,
        "r2": True,
        "mape": False,
        "median_ae": False,
    },
    "clustering": {
        "silhouette": True,
        "calinski_harabasz": True,
        "davies_bouldin": False,
        "noise_share": False,
        "adjusted_rand": True,
    },
}

# The metric a task is tuned by unless the spec names another.
DEFAULT_TUNING_METRIC = {"binary": "roc_auc", "multiclass": "accuracy", "regression": "r2"}


def direction(task: str, metric: str) -> str:
    """Optuna's study direction for this metric: "maximize" or "minimize"."""
    return "maximize" if HIGHER_IS_BETTER[task][metric] else "minimize"
