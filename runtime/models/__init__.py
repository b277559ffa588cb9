"""The model catalog: one declaration per model.

A declaration names the estimator class, the tasks it serves, its parameters
(defaults, bounds, search ranges for tuning) and a plain-language explanation.
The generator renders `Class(**params)` from it; seed and thread count come
from the spec, through the argument names declared here. More declarative
fields cover what differs between estimators:

- `wrapper`: a meta-estimator the model is rendered inside (probabilities for
  classifiers that have none, a standardised target for regressors whose
  parameters are in target units);
- `cluster_count_arg`: the attribute holding the number of clusters;
- `assign`: for a clusterer without `predict` (agglomerative, DBSCAN), the rule
  by which the saved model puts any row in a cluster;
- `needs_scaling`: results depend on the features' scales (`playground init`
  adds a scale step for such a model);
- `cost`: how run time grows with the data, for a warning before a long run
  (`size_warning`);
- `ensemble`: the model combines the models the spec lists as its members
  (`ensembles.py`).

The declarations live one file per task (`classification.py`,
`regression.py`, `clustering.py`) and one for the ensembles (`ensembles.py`),
built from the shared parameter factories in `_params.py`; this module gathers
them into the registry.
"""

from __future__ import annotations

from runtime.models._base import (
    CLASSIFICATION,
    TASKS,
    Cost,
    Ensemble,
    ModelType,
    Wrapper,
    growth_words,
)
from runtime.models._params import CALIBRATED, SCALED_TARGET
from runtime.models.classification import CLASSIFIERS
from runtime.models.clustering import CLUSTERERS
from runtime.models.ensembles import ENSEMBLES
from runtime.models.regression import REGRESSORS

__all__ = [
    "CALIBRATED",
    "CLASSIFICATION",
    "MODELS_BY_NAME",
    "MODEL_TYPES",
    "SCALED_TARGET",
    "TASKS",
    "Cost",
    "Ensemble",
    "ModelType",
    "Wrapper",
    "average_ensemble",
    "member_types",
    "models_for_task",
    "size_warning",
]

MODEL_TYPES: tuple[ModelType, ...] = CLASSIFIERS + REGRESSORS + CLUSTERERS + ENSEMBLES

MODELS_BY_NAME = {model.name: model for model in MODEL_TYPES}


def models_for_task(task: str) -> list[ModelType]:
    return [m for m in MODEL_TYPES if task in m.tasks]


def average_ensemble(task: str) -> ModelType:
    """The catalog's average ensemble of the task (the best models of a search are
    averaged in it)."""
    return next(
        m for m in models_for_task(task) if m.ensemble is not None and m.ensemble.kind == "average"
    )


def member_types(task: str) -> list[ModelType]:
    """The models an ensemble of this task may combine: the task's models but ensembles."""
    return [m for m in models_for_task(task) if m.ensemble is None]


def size_warning(model_type: ModelType | str, n_rows: int, n_features: int) -> str | None:
    """A warning, with a rough time estimate, when the data is large for this model.

    `n_rows` counts the training rows and `n_features` the model's input columns.
    None when the model declares no cost or the run should stay short.
    """
    decl = MODELS_BY_NAME[model_type] if isinstance(model_type, str) else model_type
    cost = decl.cost
    if cost is None or n_rows <= 0:
        return None
    low, high = cost.estimate(n_rows, max(n_features, 1))
    if low <= cost.seconds:
        return None
    reference = f"{cost.rows:,} rows" + (f" × {cost.features} features" if cost.features else "")
    growth = growth_words(cost.growth, per_feature=cost.features is not None)
    message = (
        f"{decl.title} on {n_rows:,} training rows × {n_features} features may take "
        f"{_duration_range(low, high)}: its {cost.part} time grows {growth} (roughly "
        f"{_duration(cost.seconds)} at {reference} on one core)."
    )
    return f"{message} {cost.advice}".strip()


def _duration(seconds: float) -> str:
    """A rough duration a person reads at a glance: 40 s, 7 min, 2.5 h, 3 days."""
    number, unit = _duration_parts(seconds)
    return f"{number} {unit}"


def _duration_range(low: float, high: float) -> str:
    """'about 7 min', 'about 6 to 16 min', 'about 50 min to 2.1 h'."""
    (low_number, low_unit), (high_number, high_unit) = map(_duration_parts, (low, high))
    if low_unit != high_unit:
        return f"about {low_number} {low_unit} to {high_number} {high_unit}"
    if low_number == high_number:
        return f"about {low_number} {low_unit}"
    return f"about {low_number} to {high_number} {low_unit}"


def _duration_parts(seconds: float) -> tuple[str, str]:
    if seconds < 90:
        return f"{seconds:.0f}", "s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f}", "min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f}", "h"
    return f"{seconds / 86400:.0f}", "days"
