"""Ensembles and the decision threshold: validated in the spec, chosen in the UI,
and reproduced by the exported project.

Each reproduction case exports a project from a small synthetic spec; in it,
`train.py` (with a FastAPI TestClient of its app, in one fresh process) and the
notebook through papermill must report the runtime's metrics to 1e-9, and the
API must answer the labels the runtime's (thresholded) pipeline predicts.
"""

from __future__ import annotations

import csv
import json
import sys

import numpy as np
import pytest
from synthetic import make_frame, model_steps, spec_dict, write_frame
from test_model_families import assert_notebook_and_code, assert_served_and_trained
from test_reproduction import run

from generator.bundle import export
from playground_ui.state import Workspace
from playground_ui.views.model import ModelView
from runtime.executor import PrefixCache, Runner
from runtime.models import MODEL_TYPES
from runtime.spec import SpecError, dump_spec, loads_spec, parse_spec

FOREST = {"type": "random_forest_classifier", "params": {"n_estimators": 10}}
TREE = {"type": "decision_tree_regressor", "params": {"max_depth": 3}}


def spec_data(task: str, model: dict, decision: dict | None = None, **extra) -> dict:
    df = make_frame(n_rows=150, task=task, missing_target=True, seed=11)
    data = spec_dict(df, task, model_steps(df), model, **extra)
    if decision is not None:
        data["decision"] = decision
    return data


def refused(data: dict, *fragments: str) -> str:
    with pytest.raises(SpecError) as caught:
        parse_spec(data)
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message, message
    return message


# -- the spec ---------------------------------------------------------------------


def test_every_task_but_clustering_has_each_kind_of_ensemble():
    kinds = {(task, m.ensemble.kind) for m in MODEL_TYPES if m.ensemble for task in m.tasks}
    tasks = ("binary", "multiclass", "regression")
    assert kinds == {(t, k) for t in tasks for k in ("average", "weighted", "stacking")}


def test_an_ensemble_spec_round_trips_with_its_members_and_default_meta():
    model = {"type": "stacking_classifier", "members": [FOREST, {"type": "gaussian_nb"}]}
    spec = parse_spec(spec_data("binary", model, {"rule": "max_f1"}))
    # The meta-learner the declaration names, written into the spec.
    assert spec.model.meta.type == "logistic_regression"
    assert spec.model.members[1].params == {"var_smoothing": 1e-9}
    assert loads_spec(dump_spec(spec)) == spec
    # Specs without members or a decision keep their documents as they were.
    plain = dump_spec(parse_spec(spec_data("binary", FOREST)))
    assert "members" not in plain and "meta" not in plain and "decision" not in plain


@pytest.mark.parametrize(
    "model, fragments",
    [
        (
            {"type": "average_ensemble_classifier", "members": [FOREST, {"type": "nope"}]},
            ["model.members[2].type", "unknown model 'nope'"],
        ),
        (
            {"type": "average_ensemble_classifier", "members": [FOREST, {"type": "ridge"}]},
            ["model.members[2].type", "'ridge' does not serve task 'binary'"],
        ),
        (
            {
                "type": "weighted_ensemble_classifier",
                "members": [FOREST, {"type": "average_ensemble_classifier"}],
            },
            ["model.members[2].type", "ensembles do not nest", "logistic_regression"],
        ),
        (
            {"type": "average_ensemble_classifier", "members": [FOREST]},
            ["model.members", "at least 2 models, got 1"],
        ),
        (
            {"type": "average_ensemble_classifier", "members": [FOREST, {"type": "gaussian_nb"}]}
            | {"meta": {"type": "logistic_regression"}},
            ["model.meta", "only a stacking ensemble"],
        ),
        ({**FOREST, "members": [FOREST, FOREST]}, ["model.members", "only an ensemble"]),
        (
            {"type": "stacking_classifier", "members": [FOREST, FOREST], "meta": {"type": "ridge"}},
            ["model.meta.type", "'ridge' does not serve task 'binary'"],
        ),
        (
            {"type": "average_ensemble_classifier", "members": [FOREST, {"type": "gaussian_nb"}]}
            | {"params": {"metric": "accuracy"}},
            ["model.params", "unknown parameter 'metric'"],
        ),
    ],
    ids=[
        "unknown-member",
        "member-of-another-task",
        "nested",
        "one-member",
        "meta-without-stacking",
        "members-of-a-single-model",
        "meta-of-another-task",
        "setting-of-another-kind",
    ],
)
def test_a_bad_ensemble_is_refused_with_what_to_do(model, fragments):
    refused(spec_data("binary", model), *fragments)


def test_stacking_refuses_a_time_split_whose_periods_its_folds_would_mix():
    model = {"type": "stacking_regressor", "members": [TREE, {"type": "ridge"}]}
    data = spec_data("regression", model, split={"kind": "time", "time_column": "when"})
    refused(data, "stacking", "time split", "average or weighted")


@pytest.mark.parametrize(
    "task, decision, fragments",
    [
        ("regression", {"rule": "max_f1"}, ["decision:", "regression task has none"]),
        ("multiclass", {"rule": "manual", "threshold": 0.3}, ["multiclass task has none"]),
        ("binary", {"rule": "target_recall", "target": 1.5}, ["decision.target", "1.5"]),
        ("binary", {"rule": "target_precision", "target": 0}, ["decision.target"]),
        ("binary", {"rule": "target_precision"}, ["decision.target", "needs the precision"]),
        ("binary", {"rule": "manual"}, ["decision.threshold", "needs the threshold"]),
        ("binary", {"rule": "max_f1", "threshold": 0.3}, ["decision.threshold", "'manual'"]),
        ("binary", {"rule": "best"}, ["decision.rule"]),
    ],
)
def test_a_bad_decision_threshold_is_refused(task, decision, fragments):
    model = {"type": "random_forest_regressor"} if task == "regression" else FOREST
    refused(spec_data(task, model, decision), *fragments)


def test_a_chosen_threshold_needs_a_validation_split():
    split = {"train": 0.8, "validation": 0.0, "test": 0.2}
    refused(
        spec_data("binary", FOREST, {"rule": "max_f1"}, split=split),
        "validation share",
        "manual threshold",
    )
    assert parse_spec(
        spec_data("binary", FOREST, {"rule": "manual", "threshold": 0.4}, split=split)
    )


# -- the UI --------------------------------------------------------------------------


@pytest.fixture
def penguins_sex(tmp_path) -> Workspace:
    ws = Workspace(tmp_path)
    assert ws.load_example("penguins.csv"), ws.message
    assert ws.set_target("sex"), ws.message
    assert ws.spec.task == "binary"
    return ws


def test_the_model_form_picks_members_meta_and_threshold(penguins_sex):
    ws = penguins_sex
    assert "stacking_classifier" in ws.models_for_task()
    assert "stacking_classifier" not in ws.member_choices()
    members = ["gaussian_nb", "knn_classifier"]
    assert ws.set_model("stacking_classifier", {"cv": 3}, members=members, meta="gaussian_nb")
    assert [m.type for m in ws.spec.model.members] == members
    assert ws.spec.model.meta.type == "gaussian_nb"
    # A nested ensemble is refused, and the spec stays as it was.
    before = ws.spec
    assert not ws.set_model(
        "average_ensemble_classifier", members=["gaussian_nb", "stacking_classifier"]
    )
    assert "ensembles do not nest" in ws.message and ws.spec == before

    assert ws.set_decision({"rule": "target_recall", "target": 0.9}), ws.message
    assert ws.spec.decision.target == 0.9
    assert not ws.set_decision({"rule": "target_recall", "target": 1.0})
    assert ws.set_decision(None) and ws.spec.decision is None

    view = ModelView(ws)
    form = view._model(ws.revision, "stacking_classifier")
    picker, meta = form.objects[1], form.objects[2]
    assert picker.value == members and meta.value == "gaussian_nb"
    assert set(picker.options.values()) == set(ws.member_choices())
    decision = view._decision(ws.revision, ws.result)
    assert decision.objects[1].options["Best F1 on the validation split"] == "max_f1"

    # Another task drops the threshold a binary task alone has.
    assert ws.set_decision({"rule": "max_f1"})
    assert ws.set_target("species") and ws.spec.decision is None


# -- reproduction -------------------------------------------------------------------

CASES = {
    "average-regression": (
        "regression",
        {"type": "average_ensemble_regressor", "members": [TREE, {"type": "ridge"}]},
        None,
        {},
    ),
    "weighted-multiclass": (
        "multiclass",
        {
            "type": "weighted_ensemble_classifier",
            "params": {"folds": 3, "metric": "neg_log_loss"},
            "members": [FOREST, {"type": "logistic_regression"}],
        },
        None,
        {},
    ),
    "stacking-binary-target-recall": (
        "binary",
        {
            "type": "stacking_classifier",
            "params": {"cv": 3},
            "members": [
                {"type": "xgboost_classifier", "params": {"n_estimators": 10}},
                {"type": "knn_classifier"},
            ],
        },
        {"rule": "target_recall", "target": 0.9},
        {"evaluation": {"cv_folds": 3}},
    ),
    "threshold-max-f1": ("binary", {"type": "logistic_regression"}, {"rule": "max_f1"}, {}),
}


pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES)
def test_exported_project_reproduces_the_ensemble(tmp_path, case):
    task, model, decision, extra = CASES[case]
    df = make_frame(n_rows=150, task=task, missing_target=True, seed=11)
    write_frame(df, tmp_path)
    spec = parse_spec(spec_data(task, model, decision, **extra))
    runner = Runner(spec, tmp_path, cache=PrefixCache())
    result = runner.run()
    bundle = export(runner, tmp_path / "project", result)
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert manifest.get("decision") == result.report.get("decision")

    X, expected, out = assert_served_and_trained(tmp_path, bundle, runner, result)
    if decision:
        # The labels follow the chosen threshold, not the most probable class.
        threshold = result.report["decision"]["threshold"]
        assert result.report["decision"]["rule"] == decision["rule"]
        positive = result.pipeline.predict_proba(X)[:, 1] >= threshold
        assert np.array_equal(result.pipeline.predict(X), positive.astype(int))
        # predict.py scores with the saved model's threshold too.
        scored = tmp_path / "scored.csv"
        X.to_csv(tmp_path / "rows.csv", index=False)
        model_path = str(out / "model.joblib")
        args = ["--data", "../rows.csv", "--out", str(scored), "--model", model_path]
        run([sys.executable, "predict.py", *args], bundle)
        with scored.open() as file:
            labels = [row["prediction"] for row in csv.DictReader(file)]
        assert labels == [str(e["prediction"]) for e in expected]
    assert_notebook_and_code(tmp_path, bundle, result)
