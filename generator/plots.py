"""Render plots.py: the data and draw functions of the spec's plots.

Each plot's code is its snippet, `templates/plots/<name>.py.j2` (macros
`imports` and `code`); plots.py holds the snippets of the exploration views
the spec records and of the result plots that apply to its task and model
(runtime.plots decides which), and the two functions that compute all of
their data. The runtime executes this module; the notebook imports it.
"""

from __future__ import annotations

from generator.literals import markdown_text
from generator.render import VERSION, cluster_count_code, environment, format_code, merge_imports
from runtime.models import MODELS_BY_NAME
from runtime.plots import (
    PLOTS_BY_NAME,
    explain_keys,
    explain_title,
    explore_keys,
    importance_attribute,
    result_plot_types,
    view_title,
)
from runtime.spec import Spec

# Helper functions of plots.py.j2, and the plots that use them.
HELPERS = {
    "column_distribution": {"distribution", "target_balance"},
    "one_vs_rest": {"roc_curve", "precision_recall", "calibration"},
    "draw_diagonal": {"predicted_vs_actual", "calibration", "roc_curve"},
    "test_predictions": {"residuals", "predicted_vs_actual"},
    "draw_importance": {"feature_importance", "permutation_importance", "shap_importance"},
    "shap_values": {"shap_importance", "shap_beeswarm", "shap_row"},
}
HELPER_IMPORTS = {
    "one_vs_rest": ["from preprocessing import CLASSES"],
    "shap_values": ["import shap"],
}


def plot_names(spec: Spec) -> list[str]:
    """The plots whose code plots.py holds: the recorded views, the result plots, then
    the recorded explanations."""
    views = [v.view for v in spec.explore]
    names = [n for n in PLOTS_BY_NAME if n in views]
    names += [p.name for p in result_plot_types(spec)]
    explained = {v.view for v in spec.explain}
    return names + [n for n in PLOTS_BY_NAME if n in explained and n not in names]


def plot_context(spec: Spec) -> dict:
    """What plots.py.j2 and its snippets need (the notebook uses it too)."""
    decl = MODELS_BY_NAME[spec.model.type]
    split = spec.split
    return {
        "spec": spec,
        "version": VERSION,
        "task": spec.task,
        "explore_views": [
            # The title in Markdown: each column name as Markdown text.
            {"key": key, "view": view, "title": view_title(view, markdown_text)}
            for key, view in explore_keys(spec)
        ],
        "result_plots": result_plot_types(spec),
        "explain_views": [
            {
                "key": key,
                "view": view,
                "title": explain_title(view, markdown_text),
                "help": PLOTS_BY_NAME[view.view].help,
            }
            for key, view in explain_keys(spec)
        ],
        # Whether the explanations use SHAP values, and those of a sample of rows.
        "explain_shap": any(PLOTS_BY_NAME[v.view].uses_shap for v in spec.explain),
        "explain_global": any(v.view in ("shap_importance", "shap_beeswarm") for v in spec.explain),
        "explainer": decl.explainer,
        "importance_attribute": importance_attribute(decl),
        # With a decision threshold, the fitted model sits inside FixedThresholdClassifier.
        "fitted_model": "pipeline[-1].estimator_" if spec.decision else "pipeline[-1]",
        "stratified": spec.is_classification and split.stratify and split.kind == "random",
        # The learning curve's folds: the spec's cross-validation, at most 5 (each
        # fold fits the pipeline 4 times), else 3.
        "cv_folds": min(spec.evaluation.cv_folds or 3, 5),
        "cluster_count": cluster_count_code(decl),
        "cluster_noise": bool(decl.assign and decl.assign.noise),
    }


def render_plots(spec: Spec, formatted: bool = True) -> str:
    env = environment()
    context = plot_context(spec)
    names = plot_names(spec)
    helpers = {h for h, users in HELPERS.items() if users & set(names)}
    imports = ["import math", "import json", "import numpy as np", "import pandas as pd"]
    imports.append("import matplotlib.pyplot as plt")
    imports.append("from threadpoolctl import threadpool_limits")
    for helper in helpers:
        imports += HELPER_IMPORTS.get(helper, [])
    snippets = []
    for name in names:
        snippet = env.get_template(PLOTS_BY_NAME[name].snippet).make_module(context)
        snippets.append(str(snippet.code()).strip())
        imports += [line for line in str(snippet.imports()).splitlines() if line.strip()]
    source = env.get_template("plots.py.j2").render(
        context,
        imports=merge_imports(imports),
        helpers=helpers,
        snippets=snippets,
    )
    return format_code(source) if formatted else source


def notebook_plots(spec: Spec) -> dict:
    """The plots the notebook draws, and the imports it needs for them."""
    context = plot_context(spec)
    views, results = context["explore_views"], context["result_plots"]
    explained = context["explain_views"]
    names = [f"draw_{item['view'].view}" for item in views]
    names += [f"draw_{plot.name}" for plot in results]
    names += [f"draw_{item['view'].view}" for item in explained]
    names += ["explore_plot_data"] if views else []
    names += ["explain_plot_data"] if explained else []
    names += ["result_plot_data", "save_plot_data"]
    names = list(dict.fromkeys(names))
    imports = ["import matplotlib.pyplot as plt", *(f"from plots import {n}" for n in names)]
    return {
        "imports": imports,
        "explore_views": views,
        "result_plots": results,
        "explain_views": explained,
    }
