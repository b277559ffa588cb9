"""A recorded run's result: its metrics are shown from the report, and its pickled
pipeline is loaded only when something uses it (plots, explanations, predictions)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import joblib
import pytest

from playground_ui.state import Workspace
from runtime.executor import Runner, RunResult
from runtime.spec import load_spec
from runtime.store import MODEL_FILE, Run, StoreError

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "penguins_species.yaml"


def test_the_metrics_are_shown_before_the_model_is_unpickled(tmp_path, monkeypatch):
    ws = Workspace(tmp_path)
    assert ws.load_example("penguins.csv") and ws.set_target("species"), ws.message
    loads = []
    load_model = Run.load_model

    def counted(run):
        loads.append(run.id)
        return load_model(run)

    monkeypatch.setattr(Run, "load_model", counted)
    result = ws.train()
    run = ws.runs()[0]
    assert result is not None and loads == []
    # What Runner.run reports for the same spec, to the last bit.
    here = Runner(result.spec, ws.project_dir).run()
    assert result.metrics == run.metrics == here.metrics

    # The plots load it, once; it predicts as the pipeline trained here does.
    pipeline = result.pipeline
    assert loads == [run.id] and result.pipeline is pipeline
    rows = ws.raw_data().drop(columns=["species"]).head(50)
    assert (pipeline.predict(rows) == here.pipeline.predict(rows)).all()
    # Written with pickle; joblib.load (the MLflow mirror, older code) reads it too.
    assert (joblib.load(run.artifacts / MODEL_FILE).predict(rows) == pipeline.predict(rows)).all()


def test_the_pipeline_is_loaded_once_when_threads_ask_together():
    calls = []

    def load():
        calls.append(1)
        time.sleep(0.05)
        return object()

    result = RunResult({"metrics": {}}, None, 0.0, spec=None, load_pipeline=load)
    got = []
    threads = [threading.Thread(target=lambda: got.append(result.pipeline)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1 and len({id(p) for p in got}) == 1


def test_a_result_takes_a_pipeline_or_its_loader():
    with pytest.raises(ValueError):
        RunResult({}, None, 0.0, spec=None)
    with pytest.raises(ValueError):
        RunResult({}, object(), 0.0, spec=None, load_pipeline=object)


def test_a_run_that_did_not_finish_has_no_result(store):
    project = store.create_project("p")
    run = store.create_run(project.id, load_spec(EXAMPLE))
    store.fail_run(run.id, "it broke")
    with pytest.raises(StoreError, match="only a finished run has a model"):
        store.run(run.id).result()
