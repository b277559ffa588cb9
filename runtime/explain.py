"""Explanations of a trained model: the views a person gets, recorded in the spec.

The explanations themselves are plots of the catalog (runtime/plots.py) whose
code is the rendered plots.py; this module only chooses them: SHAP importance
and beeswarm, one row's SHAP values, permutation importance, and the partial
dependence of the input columns SHAP ranks highest. The chosen views go into
the spec's `explain` list, so the exported notebook shows the same ones.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from runtime.models import MODELS_BY_NAME
from runtime.plots import Plot, explain_keys, explain_plots

if TYPE_CHECKING:
    from runtime.executor import Runner, RunResult
    from runtime.spec import Spec

# Partial dependence is drawn for this many of the most important input columns.
TOP_COLUMNS = 3


def why_not_explained(spec: Spec) -> str | None:
    """Why the spec's model has no explanation, or None when it has one."""
    if spec.task == "clustering":
        decl = MODELS_BY_NAME[spec.model.type]
        return decl.unexplained or "a clustering has no predictions of a target to explain"
    return None


def require_explanation(spec: Spec) -> None:
    """Raise RunError, saying why, when the spec's model has no explanation."""
    from runtime.executor import RunError

    reason = why_not_explained(spec)
    if reason:
        raise RunError(f"this model has no explanation: {reason}")


def global_views(row: int) -> list[dict]:
    """The explanations every explained model gets, with `row`'s SHAP values."""
    return [
        {"view": "shap_importance"},
        {"view": "shap_beeswarm"},
        {"view": "shap_row", "row": row},
        {"view": "permutation_importance"},
    ]


def top_columns(importance: Plot, spec: Spec, count: int = TOP_COLUMNS) -> list[str]:
    """The input columns of the spec among the features SHAP ranks highest."""
    ranked = [name for name in importance.data["feature"] if name in spec.features]
    return ranked[:count]


def with_explain(spec: Spec, views: list[dict]) -> Spec:
    from runtime.spec import parse_spec, spec_to_dict

    return parse_spec({**spec_to_dict(spec), "explain": views})


def explain_default(runner: Runner, result: RunResult, row: int = 0) -> tuple[Spec, list[Plot]]:
    """The default explanations of a trained spec: the global views and `row`'s, then
    the partial dependence of the top columns. Returns the spec recording them, and
    their plots (computed by the rendered plots.py, as the notebook computes them)."""
    from runtime.executor import Runner

    require_explanation(runner.spec)
    spec = with_explain(runner.spec, global_views(row))
    plots = explain_plots(Runner(spec, runner.base_dir, runner.cache), result)
    columns = top_columns(plots[0], spec)
    if not columns:
        return spec, plots
    views = [*global_views(row), {"view": "partial_dependence", "columns": columns}]
    dependence = with_explain(spec, views[-1:])
    (plot,) = explain_plots(Runner(dependence, runner.base_dir, runner.cache), result)
    spec = with_explain(spec, views)
    # Named by its place in the complete list, as the notebook names it.
    key, _ = explain_keys(spec)[-1]
    return spec, [*plots, Plot(key, plot.type, plot.title, plot.data, plot.module)]
