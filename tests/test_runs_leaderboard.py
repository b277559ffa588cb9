"""Runs of a project: ranked by any metric (each the right way round), filtered by
model, compared as readable spec diffs, reopened and exported; all of it read
from the store, so it survives a restart."""

from __future__ import annotations

import copy
import io
import json
import zipfile
from pathlib import Path

import pytest
import yaml
from reports import assert_user_error
from synthetic import make_frame, spec_dict

from playground_ui.cli import main
from playground_ui.state import Workspace
from playground_ui.views.runs import RunsView
from runtime.executor import Runner
from runtime.jobs import Jobs
from runtime.leaderboard import leaderboard
from runtime.spec import load_spec, parse_spec, spec_to_dict
from runtime.spec_diff import spec_diff, yaml_diff
from runtime.store import Store, StoreError

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "penguins_species.yaml"
FRAME = make_frame(30)


def finished_run(store, project_id, model, test, validation, cv=None):
    """A finished run of `model` whose report holds the given metrics."""
    spec = parse_spec(spec_dict(FRAME, "binary", model={"type": model, "params": {}}))
    run = store.create_run(project_id, spec)
    store.start_run(run.id)
    folder = store.run_directory(project_id, run.id)
    folder.mkdir(parents=True)
    report = {"metrics": {"test": test, "validation": validation}, "rows": {}}
    if cv:
        report["cross_validation"] = {"folds": 3, "mean": cv, "std": cv}
    assert store.finish_run(run.id, report, {"total": 1.0}, {"pandas": "3"}, [], folder)
    return run.id


def test_runs_rank_each_metric_the_right_way_round_and_filter_by_model(store):
    project = store.create_project("ranks")
    forest = finished_run(
        store,
        project.id,
        "random_forest_classifier",
        {"accuracy": 0.8, "log_loss": 0.5},
        {"accuracy": 0.7, "log_loss": 0.6},
        cv={"accuracy": 0.75, "log_loss": 0.55},
    )
    logistic = finished_run(
        store,
        project.id,
        "logistic_regression",
        {"accuracy": 0.9, "log_loss": 0.7},
        {"accuracy": 0.6, "log_loss": 0.3},
    )
    tree = finished_run(
        store,
        project.id,
        "random_forest_classifier",
        {"accuracy": 0.85, "log_loss": 0.4},
        {"accuracy": 0.65, "log_loss": 0.4},
    )
    failed = store.create_run(project.id, parse_spec(spec_dict(FRAME, "binary"))).id
    store.fail_run(failed, "out of memory")
    failed_model = store.run(failed).model
    runs = store.runs(project.id)

    def board(*args, **kwargs):
        return [(e.rank, e.run.id) for e in leaderboard(runs, *args, **kwargs)]

    # Higher accuracy is better; lower log loss is. Runs without the value come last.
    assert board("accuracy") == [(1, logistic), (2, tree), (3, forest), (None, failed)]
    assert board("log_loss") == [(1, tree), (2, forest), (3, logistic), (None, failed)]
    assert board("log_loss", "validation")[:3] == [(1, logistic), (2, tree), (3, forest)]
    # Only one run has cross-validation; the others follow, newest first.
    assert board("accuracy", "cv") == [(1, forest), (None, failed), (None, tree), (None, logistic)]
    assert failed_model == "random_forest_classifier"
    assert board("accuracy", model=failed_model) == [(1, tree), (2, forest), (None, failed)]
    assert board("accuracy", model="svm_classifier") == []

    with pytest.raises(StoreError, match="no metric 'r2': these runs report: roc_auc, accuracy"):
        leaderboard(runs, "r2")
    with pytest.raises(StoreError, match="no split 'holdout'; choose one of test, validation"):
        leaderboard(runs, "accuracy", "holdout")

    # A restart: a new store on the same database and home ranks the same.
    again = Store(store.url, store.home)
    assert [(e.rank, e.run.id) for e in leaderboard(again.runs(project.id), "log_loss")] == board(
        "log_loss"
    )
    again.close()


def edited(spec, edit):
    data = copy.deepcopy(spec_to_dict(spec))
    edit(data)
    return parse_spec(data)


def test_the_diff_of_two_specs_reads_as_one_line_per_change():
    base = load_spec(EXAMPLE)
    assert spec_diff(base, base) == [] and yaml_diff(base, base) == ""

    def everything(data):
        data["seed"] = 7
        data["model"]["params"]["C"] = 0.5
        data["model"]["params"]["max_iter"] = 2000
        data["columns"][-1]["role"] = "ignore"  # year
        data["columns"][1]["type"] = "text"  # island
        steps = data["steps"]
        del steps[0]  # drop_duplicates
        steps[1]["params"]["strategy"] = "mean"  # impute_numeric
        steps[2]["enabled"] = False  # impute_categorical
        steps.append({"type": "select_variance", "params": {"columns": ["year"]}, "enabled": True})
        data["split"].update(validation=0.1, test=0.3)
        data["evaluation"]["cv_folds"] = 3

    changed = edited(base, everything)
    assert spec_diff(base, changed) == [
        "seed: 42 → 7",
        "column 'island': type categorical → text",
        "column 'year': role feature → ignore",
        "step 1 (Drop duplicate rows) removed",
        "step 2 (was 3) (Impute numeric columns) params.strategy: 'median' → 'mean'",
        "step 3 (was 4) (Impute categorical columns) disabled",
        "step 6 (Drop near-constant columns) added: {columns: ['year'], threshold: 0.0}",
        "split.validation: 0.2 → 0.1",
        "split.test: 0.2 → 0.3",
        "model.params.C: 1.0 → 0.5",
        "model.params.max_iter: 1000 → 2000",
        "evaluation.cv_folds: 5 → 3",
    ]

    def reorder_and_swap_model(data):
        steps = data["steps"]
        steps.insert(1, steps.pop(5))  # scale moves up to step 2
        data["model"] = {"type": "random_forest_classifier", "params": {"max_depth": 8}}

    other = edited(base, reorder_and_swap_model)
    assert spec_diff(base, other) == [
        "step 6 (Scale numeric columns) moved to step 2",
        "model.type: 'logistic_regression' → 'random_forest_classifier'",
        (
            "model.params: {C: 1.0, max_iter: 1000, class_weight: none} → {n_estimators: 200, "
            "max_depth: 8, min_samples_leaf: 1, max_features: 'sqrt', class_weight: none}"
        ),
    ]
    unified = yaml_diff(base, other, "run 1", "run 2")
    assert unified.startswith("--- run 1\n+++ run 2\n")
    assert "-  type: logistic_regression\n+  type: random_forest_classifier\n" in unified


@pytest.fixture
def trained(tmp_path) -> Workspace:
    """Two finished runs of penguins that differ in the tree's depth."""
    ws = Workspace(tmp_path)
    ws.jobs = Jobs(ws.store, max_workers=1)
    assert ws.load_example("penguins.csv") and ws.set_target("species"), ws.message
    # One training per session at a time: the second starts when the first has ended.
    for depth in (1, 4):
        assert ws.set_model("decision_tree_classifier", {"max_depth": depth}), ws.message
        job = ws.submit_training()
        assert job.wait(300) and ws.finish_training(job) is not None, ws.message
    yield ws
    ws.jobs.shutdown()


@pytest.mark.slow
def test_any_run_reopens_exports_and_survives_a_restart(trained, tmp_path, capsys, monkeypatch):
    ws = trained
    newer, older = ws.runs()
    assert ws.run_diff(older.id, newer.id) == ["model.params.max_depth: 1 → 4"]

    # Reopen the older run: its spec (and its result) become current, as one undo step.
    assert ws.open_run(older.id), ws.message
    assert ws.spec == older.spec and ws.result_is_current
    assert ws.result.metrics == older.metrics
    # Its plots are drawn from the data its worker saved, not computed again.
    assert (older.artifacts / "plots.json").is_file()
    with monkeypatch.context() as patched:
        patched.setattr(Runner, "split_frames", lambda _: pytest.fail("plots computed again"))
        assert [p.key for p in ws.result_plots()][:2] == ["confusion_matrix", "roc_curve"]
    ws.undo()
    assert ws.spec == newer.spec

    # Export the older run: the zip holds its spec and the metrics it had.
    with zipfile.ZipFile(io.BytesIO(ws.export_run_zip(older.id))) as archive:
        root = archive.namelist()[0].split("/")[0]
        exported = yaml.safe_load(archive.read(f"{root}/spec.yaml"))
        manifest = json.loads(archive.read(f"{root}/manifest.json"))
    assert exported["model"]["params"]["max_depth"] == 1
    assert manifest["metrics"] == json.loads(json.dumps(older.metrics))

    # A restarted server: a new session on the same home shows the same board.
    later = Workspace(tmp_path)
    assert later.open_project(ws.project.id), later.message
    board = [(e.rank, e.run.id) for e in later.leaderboard("log_loss", "validation")]
    assert board == [(e.rank, e.run.id) for e in ws.leaderboard("log_loss", "validation")]
    assert sorted(run_id for _, run_id in board) == sorted([older.id, newer.id])

    view = RunsView(later)
    assert view.run_a.value == older.id and view.run_b.value == newer.id
    assert view.diff.object == "- `model.params.max_depth: 1 → 4`"
    view.metric.value, view.split.value = "log_loss", "validation"
    frame = view.board_frame()
    assert list(frame["run"]) == [run_id for _, run_id in board]
    assert list(frame["rank"]) == [1, 2] and set(frame["status"]) == {"finished"}
    assert "Lower is better" in view.direction.object
    view.diff_view.value = "YAML diff"
    assert "-    max_depth: 1\n+    max_depth: 4" in view.diff.object
    assert view.open_run_a() and later.spec == older.spec

    # The CLI reads the same store.
    monkeypatch.setenv("PLAYGROUND_HOME", str(tmp_path))
    monkeypatch.delenv("PLAYGROUND_DATABASE_URL", raising=False)
    project = str(ws.project.id)
    capsys.readouterr()
    assert main(["runs", project, "--metric", "log_loss", "--split", "validation"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert (
        lines[0].split()[:3] == ["rank", "run", "project"] and "log_loss (validation)" in lines[0]
    )
    assert [line.split()[1] for line in lines[1:]] == [str(run_id) for _, run_id in board]
    assert main(["runs", project, "--diff", str(older.id), str(newer.id)]) == 0
    assert capsys.readouterr().out.splitlines()[1] == "  model.params.max_depth: 1 → 4"
    out = tmp_path / "older.zip"
    assert main(["runs", project, "--export", str(older.id), "-o", str(out)]) == 0
    assert capsys.readouterr().out == f"Exported run {older.id} to {out}\n"
    assert zipfile.ZipFile(out).testzip() is None

    for args, fragments in [
        (["--metric", "r2"], ["no metric 'r2'", "log_loss"]),
        (["--split", "holdout"], ["no split 'holdout'"]),
        (["--model", "nope"], ["no model type 'nope'", "decision_tree_classifier"]),
        (["--diff", str(older.id), "999"], ["there is no run 999", str(older.id)]),
        (["--export", str(older.id)], ["needs -o"]),
    ]:
        assert main(["runs", project, *args]) == 2
        assert_user_error(2, *capsys.readouterr(), *fragments)
