"""Explanations: SHAP, permutation importance and partial dependence of a trained model.

Every model of the catalog declares how SHAP explains it (or why it cannot);
the explanations of small specs add up (the SHAP values of a row plus the
average prediction give the model's prediction), are reported under the input
columns, are checked when the spec is read or run, and the exported notebook
run with papermill computes the very numbers the runtime computed.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from reports import assert_user_error
from synthetic import CATEGORICAL, NUMERIC, make_frame, spec_dict, write_frame
from test_plots import run_exported_notebook, same_json
from threadpoolctl import threadpool_limits

from generator.plots import render_plots
from playground_ui.cli import main
from runtime.executor import RunError, Runner
from runtime.explain import explain_default
from runtime.models import MODEL_TYPES
from runtime.plots import EXPLAIN_VIEWS, PLOTS_BY_NAME, explain_keys, explain_plots, plots_module
from runtime.spec import SpecError, parse_spec

# Imputation, a ratio of two columns (a feature made of two input columns), one-hot
# columns of a category column, and the date column left out.
STEPS = [
    {"type": "drop_missing_target"},
    {"type": "impute_numeric", "params": {"columns": list(NUMERIC)}},
    {
        "type": "arithmetic",
        "params": {
            "left": "num_a",
            "right": "num_b",
            "operation": "ratio",
            "output": "num_a_per_num_b",
        },
    },
    {"type": "impute_numeric", "params": {"columns": ["num_a_per_num_b"]}},
    {"type": "impute_categorical", "params": {"columns": ["cat_a"]}},
    {"type": "one_hot", "params": {"columns": ["cat_a"]}},
]
IGNORED = ("cat_b", "when")
EXPLAIN = [
    {"view": "shap_importance"},
    {"view": "shap_beeswarm"},
    {"view": "shap_row", "row": 4},
    {"view": "partial_dependence", "columns": ["num_a", "cat_a"]},
    {"view": "permutation_importance"},
]
# A tree model (TreeExplainer) and models explained by the kernel explainer.
CASES = {
    "forest-binary": (
        "binary",
        {"type": "random_forest_classifier", "params": {"n_estimators": 5}},
    ),
    "logistic-multiclass": ("multiclass", {"type": "logistic_regression", "params": {}}),
    "knn-regression": ("regression", {"type": "knn_regressor", "params": {}}),
}


def make_spec(task: str, model: dict, folder: Path, explain=EXPLAIN) -> dict:
    df = make_frame(n_rows=100, task=task, seed=5)
    write_frame(df, folder)
    data = spec_dict(df, task, STEPS, model=model, explain=explain)
    for column in data["columns"]:
        if column["name"] in IGNORED:
            column["role"] = "ignore"
    return data


@pytest.fixture(scope="module", params=list(CASES))
def case(request, tmp_path_factory):
    """(name, runner, result, explanation plots) of a small spec, run once."""
    task, model = CASES[request.param]
    folder = tmp_path_factory.mktemp(request.param)
    runner = Runner(parse_spec(make_spec(task, model, folder)), folder)
    with threadpool_limits(1):
        result = runner.run()
        plots = explain_plots(runner, result)
    return request.param, runner, result, plots


# -- the catalog ---------------------------------------------------------------------


def test_every_model_declares_how_it_is_explained():
    for model in MODEL_TYPES:
        if model.tasks == ("clustering",):
            assert model.explainer is None and model.unexplained.endswith("."), model.name
        else:
            assert model.explainer in ("tree", "kernel"), model.name
    # The explanations are plots of the catalog, each with its snippet.
    assert set(EXPLAIN_VIEWS) == {
        "shap_importance",
        "shap_beeswarm",
        "shap_row",
        "partial_dependence",
        "permutation_importance",
    }


@pytest.mark.slow
def test_tree_explainer_reads_every_model_declared_tree(tmp_path):
    """shap's TreeExplainer accepts each model declared "tree", for every task it serves."""
    import shap

    from generator.render import model_code

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    targets = {"binary": X[:, 0] > 0, "multiclass": np.arange(60) % 3, "regression": X[:, 1]}
    namespace: dict = {"SEED": 0, "N_JOBS": 1}
    for model in (m for m in MODEL_TYPES if m.explainer == "tree"):
        exec("\n".join(model.import_lines), namespace)  # noqa: S102 - our own imports
        for task in model.tasks:
            df = make_frame(n_rows=10, task=task)
            # Few trees: what is checked is that shap reads them, not their quality.
            few = {p.name: 5 for p in model.params if p.name in ("n_estimators", "max_iter")}
            spec = parse_spec(spec_dict(df, task, model={"type": model.name, "params": few}))
            estimator = eval(model_code(spec), namespace).fit(
                X, targets[task].astype(int) if task != "regression" else targets[task]
            )
            values = shap.TreeExplainer(estimator, X[:20], feature_perturbation="interventional")(
                X[:5]
            ).values
            assert np.isfinite(values).all(), f"{model.name} {task}"


def test_plots_py_holds_the_recorded_explanations_only(tmp_path):
    task, model = CASES["forest-binary"]
    data = make_spec(task, model, tmp_path, explain=[{"view": "shap_row", "row": 0}])
    source = render_plots(parse_spec(data))
    assert "def shap_row_data" in source and "def explain_plot_data" in source
    assert "def shap_beeswarm_data" not in source and "def partial_dependence_data" not in source
    data["explain"] = []
    source = render_plots(parse_spec(data))
    assert "import shap" not in source and "explain_plot_data" not in source


@pytest.mark.parametrize(
    "task, model",
    [
        ("binary", "random_forest_classifier"),
        ("multiclass", "logistic_regression"),
        ("regression", "xgboost_regressor"),
    ],
)
def test_plots_py_with_every_explanation_is_clean(tmp_path, task, model):
    """ruff and black accept plots.py for either explainer and every task."""
    data = make_spec(task, {"type": model, "params": {}}, tmp_path)
    (tmp_path / "plots.py").write_text(render_plots(parse_spec(data)), encoding="utf-8")
    (tmp_path / "preprocessing.py").write_text("CLASSES = []\n", encoding="utf-8")
    bin_dir = Path(sys.executable).parent
    for command in (
        [str(bin_dir / "ruff"), "check", "--isolated", "--no-cache", "plots.py"],
        [str(bin_dir / "black"), "--check", "--quiet", "plots.py"],
    ):
        done = subprocess.run(command, check=False, cwd=tmp_path, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr


# -- the spec records what was looked at ----------------------------------------------


@pytest.mark.parametrize(
    "views, message",
    [
        ([{"view": "shap_row"}], "give its `row` in the test split"),
        ([{"view": "shap_importance", "row": 3}], "explains no single row"),
        ([{"view": "shap_row", "row": -1}], "greater than or equal to 0"),
        ([{"view": "partial_dependence"}], "takes 1 to 4 columns"),
        ([{"view": "partial_dependence", "columns": ["target"]}], "not an input column"),
        ([{"view": "shap_magic"}], "explain[1].view"),
    ],
)
def test_explain_views_are_checked_when_the_spec_is_read(views, message):
    df = make_frame(n_rows=10)
    with pytest.raises(SpecError) as error:
        parse_spec(spec_dict(df, "binary", explain=views))
    assert message in str(error.value)


def test_a_clustering_says_why_it_has_no_explanation(tmp_path):
    df = make_frame(n_rows=10, task="clustering")
    with pytest.raises(SpecError, match="clusterers have no SHAP explanation"):
        parse_spec(spec_dict(df, "clustering", explain=[{"view": "shap_importance"}]))
    with pytest.raises(SpecError, match="no predictions to explain"):
        parse_spec(spec_dict(df, "clustering", explain=[{"view": "permutation_importance"}]))
    write_frame(df, tmp_path)
    runner = Runner(parse_spec(spec_dict(df, "clustering")), tmp_path)
    with pytest.raises(RunError, match="this model has no explanation: SHAP explains"):
        explain_default(runner, None)


def test_a_row_past_the_test_split_is_a_clear_error(tmp_path):
    task, model = CASES["forest-binary"]
    runner = Runner(
        parse_spec(make_spec(task, model, tmp_path, [{"view": "shap_row", "row": 500}])), tmp_path
    )
    with pytest.raises(RunError, match=r"row 500 is not in the test split, which has \d+ rows"):
        explain_plots(runner, runner.run())


# -- the runtime's explanations ---------------------------------------------------------


def test_shap_values_add_up_to_the_prediction(case):
    name, runner, result, _ = case
    module = plots_module(runner)
    _, train = runner.modules()
    splits = runner.split_frames()
    X_train, _ = train.features_and_target(splits["train"])
    X_test, _ = train.features_and_target(splits["test"])
    rows = X_test.iloc[:8]
    explanation = module.shap_explanation(result.pipeline, X_train, rows)
    values = explanation["values"].to_numpy()
    assert np.isfinite(values).all()
    model_output = explanation["base"] + values.sum(axis=1)
    pipeline = result.pipeline
    if name == "forest-binary":  # the forest's trees average probabilities
        assert explanation["output"] == "probability"
        expected = pipeline.predict_proba(rows)[:, 1]
    elif name == "logistic-multiclass":  # towards the class predicted for each row
        expected = pipeline.predict_proba(rows).max(axis=1)
    else:
        expected = pipeline.predict(rows)
    np.testing.assert_allclose(model_output, expected, rtol=0, atol=1e-6)


def test_features_are_reported_under_their_input_columns(case):
    _, runner, _, plots = case
    importance = plots[0].data
    # One-hot columns of cat_a summed into cat_a; the imputed numbers are their
    # columns; the ratio, made of two columns, keeps its own name.
    assert sorted(importance["feature"]) == sorted([*NUMERIC, CATEGORICAL[0], "num_a_per_num_b"])
    assert importance["importance"].is_monotonic_decreasing
    row = plots[2].data
    contributions = row["contributions"]
    assert set(contributions["feature"]) == set(importance["feature"])
    assert row["prediction"] == pytest.approx(row["base"] + contributions["shap"].sum())
    X_test = runner.split_frames()["test"]
    assert contributions.set_index("feature").loc["cat_a", "value"] in {
        str(X_test["cat_a"].iloc[4]),
        "(missing)",
    }


def test_every_explanation_is_drawn(case):
    _, runner, _, plots = case
    assert [plot.key for plot in plots] == [key for key, _ in explain_keys(runner.spec)]
    dependence = plots[3].data
    assert [item["column"] for item in dependence] == ["num_a", "cat_a"]
    assert dependence[1]["categorical"] and not dependence[0]["categorical"]
    for plot in plots:
        fig = plot.figure()
        assert any(ax.get_title() for ax in fig.axes) or fig._suptitle, plot.key
        png = io.BytesIO()
        fig.savefig(png, format="png", dpi=30)
        assert png.getvalue().startswith(b"\x89PNG"), plot.key
        json.dumps(plot.json_data(), allow_nan=False)


# -- the notebook shows the same explanations ----------------------------------------------


@pytest.mark.slow
def test_the_notebook_computes_the_same_explanations(case, tmp_path):
    name, runner, result, plots = case
    if name != "knn-regression":
        # The kernel explainer samples (seeded); tree SHAP values are exact.
        pytest.skip("one model explained by the kernel explainer is enough for the notebook")
    written, notebook = run_exported_notebook(runner, result, tmp_path)
    explained = {key: value for key, value in written.items() if key.startswith("explain")}
    same_json(explained, {plot.key: plot.json_data() for plot in plots})
    # The notebook shows the views: a titled cell and a figure for each.
    text = "".join("".join(cell["source"]) for cell in notebook["cells"])
    assert "SHAP explanation of one row: test row 4" in text
    for plot in plots:
        assert f'draw_{plot.type.name}(explain_data["{plot.key}"])' in text
    images = [
        output
        for cell in notebook["cells"]
        if "explain_data[" in "".join(cell["source"]) and cell["cell_type"] == "code"
        for output in cell.get("outputs", [])
        if "image/png" in output.get("data", {})
    ]
    assert len(images) == len(plots)
    assert explained["explain3_shap_row"]["contributions"]["data"]


# -- the command line ----------------------------------------------------------------------


def test_cli_explains_a_row_and_records_it_in_a_spec(tmp_path, capsys):
    task, model = CASES["forest-binary"]
    data = make_spec(task, model, tmp_path, explain=[])
    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text(json.dumps(data), encoding="utf-8")  # JSON is YAML
    out = tmp_path / "explained"
    assert main(["explain", str(spec_path), "-o", str(out), "--row", "2"]) == 0
    stdout = capsys.readouterr().out
    recorded = yaml.safe_load((out / "spec.yaml").read_text(encoding="utf-8"))
    views = [view["view"] for view in recorded["explain"]]
    assert views == [
        "shap_importance",
        "shap_beeswarm",
        "shap_row",
        "permutation_importance",
        "partial_dependence",
    ]
    assert recorded["explain"][2]["row"] == 2
    assert set(recorded["explain"][4]["columns"]) <= set(parse_spec(data).features)
    written = json.loads((out / "plots.json").read_text(encoding="utf-8"))
    assert list(written) == [f"explain{i}_{view}" for i, view in enumerate(views, start=1)]
    for key in written:
        assert (out / f"{key}.png").read_bytes().startswith(b"\x89PNG")
        assert f"{key}.png" in stdout
    # The recorded spec runs from where it was written.
    assert parse_spec(recorded) and (out / recorded["dataset"]["path"]).resolve().is_file()


def test_cli_explain_of_a_clustering_is_a_user_error(tmp_path, capsys):
    df = make_frame(n_rows=30, task="clustering")
    write_frame(df, tmp_path)
    spec_path = tmp_path / "spec.yaml"
    data = spec_dict(df, "clustering")
    spec_path.write_text(json.dumps(data), encoding="utf-8")
    code = main(["explain", str(spec_path), "-o", str(tmp_path / "out")])
    out, err = capsys.readouterr()
    assert_user_error(code, out, err, "this model has no explanation")


def test_every_explanation_view_is_a_declared_plot():
    for name in EXPLAIN_VIEWS:
        assert PLOTS_BY_NAME[name].explains


# -- the playground's Explain section ------------------------------------------------------


@pytest.mark.slow
def test_the_workspace_explains_a_row_and_keeps_the_run_current(tmp_path):
    from playground_ui.state import Workspace
    from playground_ui.views.explain import ExplainSection

    ws = Workspace(tmp_path)
    assert ws.load_example("penguins.csv"), ws.message
    assert ws.set_target("species"), ws.message
    assert ws.set_model("decision_tree_classifier", {}), ws.message
    section = ExplainSection(ws)
    assert "Train the current spec" in section._intro(ws.revision, ws.result).object
    assert ws.train() is not None, ws.message
    section.__panel__()
    spec, plots = ws.explain(row=3)
    # What the section does with the outcome of its worker thread.
    section._show(RunError("no such row"))
    assert section.area.objects[0].object == "no such row"
    section._show((spec, plots))
    assert [view.view for view in ws.spec.explain][:3] == [
        "shap_importance",
        "shap_beeswarm",
        "shap_row",
    ]
    assert ws.spec.explain[2].row == 3
    # Explanations change no model: the run is still the current spec's, and the
    # export (rendered from the run's spec) holds them.
    assert ws.result_is_current
    assert "explain_plot_data" in ws.bundle_files()["notebook.ipynb"]
    cards = section.area.objects[0].objects
    assert [card.title for card in cards] == [plot.title for plot in plots]
    section._intro(ws.revision, ws.result)
    assert not section.button.disabled
    assert section.row.end == ws.result.report["rows"]["test"] - 1


def test_an_edit_that_invalidates_the_explanations_drops_them(tmp_path):
    from playground_ui.state import Workspace

    ws = Workspace(tmp_path)
    assert ws.load_example("penguins.csv"), ws.message
    assert ws.set_target("species"), ws.message
    views = [{"view": "shap_importance"}, {"view": "partial_dependence", "columns": ["island"]}]
    assert ws.change(lambda data: data.__setitem__("explain", views)), ws.message
    assert len(ws.spec.explain) == 2
    assert ws.set_column("island", role="ignore"), ws.message
    assert ws.spec.explain == []
    # Explanations that are themselves wrong are refused, not dropped.
    bad = [{"view": "partial_dependence", "columns": ["island"]}]
    assert not ws.change(lambda data: data.__setitem__("explain", bad))
    assert "not an input column" in ws.message


def test_a_column_name_reaches_plots_py_only_as_a_literal(tmp_path):
    import ast

    nasty = 'num_a"]); __import__("os").system("x") #'
    task, model = CASES["forest-binary"]
    data = make_spec(task, model, tmp_path, explain=[])
    data = json.loads(json.dumps(data).replace('"num_a"', json.dumps(nasty)))
    data["explain"] = [{"view": "partial_dependence", "columns": [nasty]}]
    tree = ast.parse(render_plots(parse_spec(data)))
    literals = {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant)}
    assert nasty in literals
    calls = {
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    }
    assert "system" not in calls
