"""Plots: the catalog, the runtime's plot data, and the notebook drawing the same data.

The catalog (runtime/plots.py) declares each plot once; the cases here derive
from it: every declared plot has its snippet and nothing else does, every
model gets exactly the result plots its task and capabilities call for, and
the specs below together exercise every plot's data and draw functions. For a
classification, a regression and a clustering spec, the exported notebook run
with papermill writes the very plot data the runtime computed.
"""

from __future__ import annotations

import ast
import io
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from reports import TOLERANCE, assert_user_error
from synthetic import build_estimator, make_frame, model_dict, spec_dict, write_frame
from threadpoolctl import threadpool_limits

from generator.bundle import export
from generator.plots import render_plots
from generator.render import TEMPLATES_DIR
from playground_ui.cli import main
from runtime.executor import Runner
from runtime.models import MODEL_TYPES
from runtime.plots import (
    EXPLAIN_VIEWS,
    EXPLORE_VIEWS,
    PLOT_TYPES,
    PLOTS_BY_NAME,
    RESULT_PLOTS,
    all_plots,
    capabilities,
    explore_keys,
    importance_attribute,
    plots_module,
    result_plot_types,
)
from runtime.spec import ExploreView, SpecError, parse_spec

# Every exploration view, on the synthetic columns.
VIEWS = [
    {"view": "summary"},
    {"view": "missing"},
    {"view": "distribution", "columns": ["num_a", "cat_a"]},
    {"view": "correlation", "columns": ["num_a", "num_b", "num_c"]},
    {"view": "scatter", "columns": ["num_a", "num_b"]},
    {"view": "box", "columns": ["num_a", "cat_a"]},
    {"view": "box", "columns": ["num_b"]},
]
# Numeric features only, so that one step prepares them: the learning curve and
# permutation importance fit and predict many times, each time through every step.
STEPS = [{"type": "impute_numeric", "params": {"columns": ["num_a", "num_b"]}}]
IGNORED = ("cat_a", "cat_b", "when")
# One spec per task; together their models give both kinds of importance.
CASES = {
    "binary": {"type": "random_forest_classifier", "params": {"n_estimators": 5}},
    "multiclass": {"type": "logistic_regression", "params": {}},
    "regression": {"type": "knn_regressor", "params": {}},
    "clustering": {"type": "kmeans", "params": {"n_clusters": 3, "n_init": 2}},
}


def make_spec(task: str, folder: Path, **extra) -> tuple[dict, pd.DataFrame]:
    df = make_frame(n_rows=100, task=task, seed=3)
    write_frame(df, folder)
    views = [dict(v) for v in VIEWS]
    steps = list(STEPS)
    if task != "clustering":
        views.insert(2, {"view": "target_balance", "columns": ["target"]})
        steps.insert(0, {"type": "drop_missing_target"})
    data = spec_dict(df, task, steps, model=CASES[task], explore=views, **extra)
    for column in data["columns"]:
        if column["name"] in IGNORED:
            column["role"] = "ignore"
    return data, df


@pytest.fixture(scope="module", params=list(CASES))
def case(request, tmp_path_factory):
    """(task, runner, result, plots) of a small spec of the task, run once."""
    task = request.param
    folder = tmp_path_factory.mktemp(f"plots-{task}")
    data, df = make_spec(task, folder)
    runner = Runner(parse_spec(data), folder)
    with threadpool_limits(1):
        result = runner.run()
        plots = all_plots(runner, result)
    return task, runner, result, plots, df


# -- the catalog ------------------------------------------------------------------


def test_every_plot_has_its_snippet_and_every_snippet_a_plot():
    snippets = {p.stem.removesuffix(".py") for p in (TEMPLATES_DIR / "plots").glob("*.py.j2")}
    assert snippets == set(PLOTS_BY_NAME)
    explanations = {p.name for p in PLOT_TYPES if p.kind == "explain"}
    assert set(EXPLORE_VIEWS) | set(RESULT_PLOTS) | explanations == set(PLOTS_BY_NAME)
    # The spec accepts exactly the exploration views of the catalog.
    assert set(ExploreView.model_fields["view"].annotation.__args__) == set(EXPLORE_VIEWS)
    for plot in PLOT_TYPES:
        assert plot.title and plot.help.endswith("."), plot.name
        assert set(plot.describe()) >= {"name", "title", "kind", "tasks", "needs"}


def defined_functions(source: str) -> set[str]:
    return {n.name for n in ast.parse(source).body if isinstance(n, ast.FunctionDef)}


MODEL_CASES = [
    pytest.param(model, task, id=f"{model.name}-{task}")
    for model in MODEL_TYPES
    for task in model.tasks
]


@pytest.mark.parametrize("model, task", MODEL_CASES)
def test_plots_py_holds_exactly_the_plots_that_apply(tmp_path, model, task):
    data, _ = make_spec(task, tmp_path)
    data["model"] = model_dict(model, task)
    spec = parse_spec(data)
    chosen = {p.name for p in result_plot_types(spec)}
    have = capabilities(spec)
    for plot in PLOT_TYPES:
        applies = (
            plot.kind == "result"
            and task in plot.tasks
            and set(plot.needs) <= have
            and not set(plot.unless) & have
        )
        assert (plot.name in chosen) == applies, plot.name
    # Exactly one kind of importance for a supervised model, none for clustering.
    importance = chosen & {"feature_importance", "permutation_importance"}
    assert len(importance) == (0 if task == "clustering" else 1)
    functions = defined_functions(render_plots(spec))
    drawn = {v["view"] for v in data["explore"]} | chosen
    for name in PLOTS_BY_NAME:
        assert (f"{name}_data" in functions) == (name in drawn), name
        assert (f"draw_{name}" in functions) == (name in drawn), name


@pytest.mark.slow
def test_native_importance_is_what_the_fitted_model_has():
    """The attribute derived from the estimator class is there once the model is fitted."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(60, 3)), columns=["a", "b", "c"])
    targets = {
        "binary": (X["a"] > 0).astype(int),
        "multiclass": pd.Series(np.arange(60) % 3),
        "regression": X["a"] * 2 + X["b"],
    }
    with threadpool_limits(1):
        for model in MODEL_TYPES:
            task = model.tasks[0]
            if task == "clustering":
                assert importance_attribute(model) is None
                continue
            data = {"model": model_dict(model, task), "task": task}
            estimator = build_estimator(_model_spec(data), seed=0)
            estimator.fit(X, targets[task])
            attribute = importance_attribute(model)
            if attribute:
                assert np.size(getattr(estimator, attribute)) >= 3, model.name
            else:
                assert not hasattr(estimator, "feature_importances_"), model.name
                assert model.wrapper or not hasattr(estimator, "coef_"), model.name


def _model_spec(data: dict):
    df = make_frame(n_rows=10, task=data["task"])
    return parse_spec(spec_dict(df, data["task"], model=data["model"]))


def test_explore_views_are_checked_when_the_spec_is_read():
    df = make_frame(n_rows=10)
    bad = {
        "scatter": ([{"view": "scatter", "columns": ["num_a"]}], "exactly 2 columns"),
        "summary": ([{"view": "summary", "columns": ["num_a"]}], "takes no columns"),
        "unknown": ([{"view": "box", "columns": ["nope"]}], "'nope' is not a column"),
        "size": ([], "explore_sample_size"),
    }
    for label, (views, message) in bad.items():
        extra = {"explore_sample_size": 10} if label == "size" else {}
        with pytest.raises(SpecError, match=message):
            parse_spec(spec_dict(df, "binary", explore=views, **extra))


# -- the runtime's plot data ---------------------------------------------------------


def test_the_specs_draw_every_plot_of_the_catalog(tmp_path):
    # The explanations are drawn by tests/test_explain.py.
    drawn = {v["view"] for v in VIEWS} | {"target_balance"} | set(EXPLAIN_VIEWS)
    for task in CASES:
        data, _ = make_spec(task, tmp_path)
        drawn |= {p.name for p in result_plot_types(parse_spec(data))}
    assert drawn == set(PLOTS_BY_NAME)


def check_plot(name: str, data, case) -> None:
    """What each plot's data must be, derived from the run and the data."""
    task, runner, result, _, df = case
    spec = runner.spec
    _, train = runner.modules()
    X, y = train.features_and_target(runner.split_frames()["test"])
    pipeline = result.pipeline
    if name == "summary":
        assert list(data["column"]) == list(df.columns)
        assert list(data["missing"]) == df.isna().sum().tolist()
    elif name == "missing":
        assert np.allclose(data["share"]["share"], df.isna().mean())
        assert data["map"].shape == (100, len(df.columns))
    elif name == "distribution":
        assert data["num_a"]["count"].sum() == df["num_a"].notna().sum()
        assert data["cat_a"]["count"].sum() == len(df)
    elif name == "target_balance":
        assert data["column"] == spec.target
        assert data["distribution"]["count"].sum() == len(df)
    elif name == "correlation":
        assert np.allclose(data, df[["num_a", "num_b", "num_c"]].corr())
    elif name == "scatter":
        assert len(data["points"]) == df[["num_a", "num_b"]].notna().all(axis=1).sum()
    elif name == "box":
        column = df[data["column"]]
        if data["by"] is None:
            assert data["boxes"]["rows"].tolist() == [column.notna().sum()]
        else:
            assert data["boxes"]["rows"].sum() == column[df[data["by"]].notna()].notna().sum()
        boxes = data["boxes"]
        assert (boxes["low"] <= boxes["q1"]).all() and (boxes["q3"] <= boxes["high"]).all()
    elif name == "confusion_matrix":
        assert data.to_numpy().tolist() == result.report["confusion_matrix"]["test"]
        assert list(data.index) == spec.classes
    elif name in ("roc_curve", "precision_recall", "calibration"):
        classes = [spec.classes[1]] if task == "binary" else spec.classes
        assert list(data["scores"]["class"]) == classes
        assert set(data["curves"]["class"]) == set(classes)
        metric = {"roc_curve": "roc_auc", "precision_recall": "average_precision"}.get(name)
        if task == "binary" and metric:
            score = data["scores"].iloc[0, 1]
            assert score == pytest.approx(result.metrics["test"][metric], abs=TOLERANCE)
        assert data["curves"].iloc[:, 1:].stack().between(0, 1).all()
    elif name == "residuals":
        assert np.allclose(data["predicted"], pipeline.predict(X))
        assert np.allclose(data["residual"], y.to_numpy() - pipeline.predict(X))
    elif name == "predicted_vs_actual":
        assert np.allclose(data["actual"], y)
    elif name == "feature_importance":
        assert len(data) == len(pipeline[:-1].transform(X.iloc[:1]).columns)
        assert data["importance"].is_monotonic_decreasing
        if task == "binary":
            assert sorted(data["importance"]) == sorted(pipeline[-1].feature_importances_)
    elif name == "permutation_importance":
        assert sorted(data["feature"]) == sorted(spec.features)
        assert data["importance"].is_monotonic_decreasing
    elif name == "learning_curve":
        assert len(data) == 4 and data["training_rows"].is_monotonic_increasing
    elif name == "cluster_sizes":
        sizes = result.report["cluster_sizes"]["test"]
        assert dict(zip(data["cluster"], data["rows"], strict=True)) == sizes
    else:
        raise AssertionError(f"no check for the plot {name!r}")


def test_plot_data_and_figures(case):
    _, runner, _, plots, _ = case
    keys = [key for key, _ in explore_keys(runner.spec)]
    keys += [p.name for p in result_plot_types(runner.spec)]
    assert [plot.key for plot in plots] == keys
    for plot in plots:
        check_plot(plot.type.name, plot.data, case)
        fig = plot.figure()
        titles = [ax.get_title() for ax in fig.axes] + [fig._suptitle]
        assert any(titles), f"{plot.key} has no title"
        png = io.BytesIO()
        fig.savefig(png, format="png", dpi=30)
        assert png.getvalue().startswith(b"\x89PNG"), plot.key
        json.dumps(plot.json_data(), allow_nan=False)


def test_exploration_draws_a_seeded_sample(tmp_path):
    data, df = make_spec("binary", tmp_path, explore_sample_size=100)
    data["explore"] = [{"view": "summary"}, {"view": "distribution", "columns": ["cat_a"]}]
    runner = Runner(parse_spec(data), tmp_path)
    module = plots_module(runner)
    first = module.explore_plot_data(df)
    assert first["explore2_distribution"]["cat_a"]["count"].sum() == 100 < len(df)
    again = module.explore_plot_data(df)
    assert again["explore1_summary"].equals(first["explore1_summary"])


def test_user_text_in_labels_is_drawn_as_text(tmp_path):
    data, _ = make_spec("clustering", tmp_path)
    module = plots_module(Runner(parse_spec(data), tmp_path))
    points = pd.DataFrame({"x": [1.0, 2.0], "y": [3.0, 4.0]})
    fig = module.draw_scatter({"x": "$\\frac{$", "y": "a $b$ c", "points": points})
    fig.savefig(io.BytesIO(), format="png")  # mathtext would fail on the first name
    assert fig.axes[0].get_xlabel() == "\\$\\frac{\\$"


# -- the notebook draws the same data ---------------------------------------------------


def same_json(got, want, where: str = "") -> None:
    if isinstance(want, dict):
        assert isinstance(got, dict) and got.keys() == want.keys(), where
        for key in want:
            same_json(got[key], want[key], f"{where}.{key}")
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), where
        for i, (g, w) in enumerate(zip(got, want)):
            same_json(g, w, f"{where}[{i}]")
    elif isinstance(want, float) and not isinstance(got, bool):
        assert isinstance(got, (int, float)) and math.isclose(
            got, want, rel_tol=0, abs_tol=TOLERANCE
        ), where
    else:
        assert got == want, where


def run_exported_notebook(runner, result, tmp_path: Path) -> tuple[dict, dict]:
    """Export the run, execute its notebook with papermill: (plots.json, the notebook)."""
    import papermill

    bundle = export(runner, tmp_path / "project", result)
    out = tmp_path / "output"
    papermill.execute_notebook(
        str(bundle / "notebook.ipynb"),
        str(tmp_path / "notebook.out.ipynb"),
        parameters={"output_dir": str(out)},
        kernel_name="python3",
        cwd=str(bundle),
        progress_bar=False,
    )
    written = json.loads((out / "plots.json").read_text(encoding="utf-8"))
    return written, json.loads((tmp_path / "notebook.out.ipynb").read_text(encoding="utf-8"))


@pytest.mark.slow
def test_the_notebook_computes_the_same_plot_data(case, tmp_path):
    task, runner, result, plots, _ = case
    if task == "multiclass":
        pytest.skip("one classification spec is enough for the notebook")
    written, notebook = run_exported_notebook(runner, result, tmp_path)
    same_json(written, {plot.key: plot.json_data() for plot in plots})
    images = [
        output
        for cell in notebook["cells"]
        if cell["cell_type"] == "code"
        for output in cell.get("outputs", [])
        if "image/png" in output.get("data", {})
    ]
    assert len(images) == len(plots)


# -- the command line ----------------------------------------------------------------------


def test_cli_writes_a_png_per_plot_and_their_data(tmp_path, capsys):
    data, _ = make_spec("clustering", tmp_path)
    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text(json.dumps(data), encoding="utf-8")  # JSON is YAML
    out = tmp_path / "plots"
    assert main(["plots", str(spec_path), "-o", str(out)]) == 0
    stdout = capsys.readouterr().out
    written = json.loads((out / "plots.json").read_text(encoding="utf-8"))
    keys = [key for key, _ in explore_keys(parse_spec(data))] + ["cluster_sizes"]
    assert list(written) == keys
    for key in keys:
        assert (out / f"{key}.png").read_bytes().startswith(b"\x89PNG")
        assert f"{key}.png" in stdout


def test_cli_plots_of_a_missing_spec_is_a_user_error(tmp_path, capsys):
    code = main(["plots", str(tmp_path / "nope.yaml"), "-o", str(tmp_path / "out")])
    out, err = capsys.readouterr()
    assert_user_error(code, out, err, "spec file not found")
