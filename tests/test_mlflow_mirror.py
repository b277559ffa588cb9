"""The MLflow mirror: with MLFLOW_TRACKING_URI set, each finished run is also
logged to MLflow (params, per-split metrics, spec, the fitted model), against a
local SQLite tracking store; when that fails the run stands, with a warning."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from synthetic import make_frame, spec_dict

from playground_ui.state import Workspace
from runtime.jobs import StageEvent, _work
from runtime.mlflow_mirror import mirror_run
from runtime.spec import parse_spec

mlflow = pytest.importorskip("mlflow")

STEPS = [
    {"type": "date_parts", "params": {"column": "when", "drop_original": True}},
    {"type": "impute_numeric", "params": {"columns": ["num_a", "num_b"]}},
    {"type": "one_hot", "params": {"columns": ["cat_a", "cat_b"]}},
]


class Connection:
    """The worker's end of the pipe, kept in this process: the events it sends.
    `gone_at`: the stage whose event finds the server gone (the worker stops there)."""

    def __init__(self, gone_at: str | None = None):
        self.events = []
        self.gone_at = gone_at

    def send(self, event):
        if isinstance(event, StageEvent) and event.stage == self.gone_at:
            raise OSError("the server closed its end")
        self.events.append(event)

    def close(self):
        pass


def train_in_this_process(store, connection=None, **spec_fields):
    """A finished run, trained by the worker's own function (here, not in a new process)."""
    df = make_frame(80)
    project = store.create_project("mirrored")
    store.set_data(project.id, "data.csv", df.to_csv(index=False).encode())
    spec = parse_spec(
        spec_dict(df, "binary", steps=STEPS, data_file="data/data.csv", **spec_fields)
    )
    run = store.create_run(project.id, spec)
    _work(connection or Connection(), store.url, str(store.home), run.id)
    return store.run(run.id), df


@pytest.fixture(autouse=True)
def quiet_mlflow(monkeypatch):
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE", raising=False)


@pytest.mark.slow
def test_a_finished_run_is_logged_to_mlflow(store, tmp_path, monkeypatch):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    run, df = train_in_this_process(store, evaluation={"cv_folds": 2})
    assert (run.status, run.error, run.warnings) == ("finished", None, [])

    client = mlflow.MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name(
        f"AI-Playground: mirrored (project {run.project_id})"
    )
    # The artifacts live beside the database, not in whatever folder the server started in.
    assert experiment.artifact_location == (tmp_path / "mlartifacts").as_uri()
    (logged,) = client.search_runs([experiment.experiment_id])
    assert logged.info.run_name == f"run {run.id}: random_forest_classifier"
    assert logged.data.tags["playground.run_id"] == str(run.id)
    params = logged.data.params
    assert params["model.type"] == "random_forest_classifier"
    assert params["model.params.n_estimators"] == "5"
    assert params["steps"] == "date_parts, impute_numeric, one_hot"
    assert params["split.test"] == "0.2" and params["evaluation.cv_folds"] == "2"
    metrics = logged.data.metrics
    for split, values in run.metrics.items():
        for name, value in values.items():
            assert metrics[f"{split}_{name}"] == pytest.approx(value, rel=1e-12)
    cv = run.report["cross_validation"]["mean"]
    assert metrics["cv_roc_auc"] == pytest.approx(cv["roc_auc"], rel=1e-12)

    logged_files = {a.path for a in client.list_artifacts(logged.info.run_id)}
    assert {"spec.yaml", "report.json", "plots.json"} <= logged_files
    spec_text = mlflow.artifacts.load_text(f"{logged.info.artifact_uri}/spec.yaml")
    assert spec_text == run.spec_yaml

    # The model MLflow holds predicts as the run's own model does.
    mlflow.set_tracking_uri(uri)
    model = mlflow.sklearn.load_model(f"runs:/{logged.info.run_id}/model")
    X = df.drop(columns=["target"])
    np.testing.assert_array_equal(model.predict_proba(X), run.load_model().predict_proba(X))
    # Its time is recorded: the run before its plots, then the plot data added.
    assert {"mlflow", "mlflow plots"} <= set(run.timings)


@pytest.mark.slow
def test_a_run_whose_plots_are_stopped_is_mirrored_without_them(store, tmp_path, monkeypatch):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    run, _ = train_in_this_process(store, Connection(gone_at="plots"))
    assert (run.status, run.warnings) == ("finished", [])
    assert not (run.artifacts / "plots.json").exists()  # the plots stage never ran

    client = mlflow.MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name(
        f"AI-Playground: mirrored (project {run.project_id})"
    )
    (logged,) = client.search_runs([experiment.experiment_id])
    assert logged.data.tags["playground.run_id"] == str(run.id)
    assert logged.data.metrics["test_roc_auc"] == pytest.approx(run.metrics["test"]["roc_auc"])
    logged_files = {a.path for a in client.list_artifacts(logged.info.run_id)}
    assert {"spec.yaml", "report.json"} <= logged_files
    assert "plots.json" not in logged_files

    # Opened later, its plots computed with the button: they reach the MLflow run too.
    store.history(run.project_id).push(run.spec)  # the project's spec, as the UI keeps it
    workspace = Workspace(store.home, store=store)
    try:
        assert workspace.open_project(run.project_id) and workspace.open_run(run.id)
        workspace.compute_result_plots()
    finally:
        workspace.jobs.shutdown()
    logged_files = {a.path for a in client.list_artifacts(logged.info.run_id)}
    assert "plots.json" in logged_files
    assert store.run(run.id).warnings == []


def test_a_failing_mirror_leaves_a_warning_not_a_failed_run(store, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "nosuchscheme://tracking")
    run, _ = train_in_this_process(store)
    assert (run.status, run.error) == ("finished", None)
    (warning,) = run.warnings
    assert "could not be logged to MLflow" in warning and "saved here all the same" in warning


def test_without_mlflow_installed_the_mirror_says_so(store, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///unused.db")
    monkeypatch.setitem(sys.modules, "mlflow", None)  # `import mlflow` fails
    project = store.create_project("p")
    run = store.create_run(project.id, parse_spec(spec_dict(make_frame(20), "binary")))
    warning = mirror_run(store, run.id)
    assert "MLFLOW_TRACKING_URI is set but MLflow is not installed" in warning
    monkeypatch.delenv("MLFLOW_TRACKING_URI")
    assert mirror_run(store, run.id) is None  # not asked for: nothing to say
