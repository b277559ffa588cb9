"""Training jobs in worker processes: progress, results, failures, cancel, kill, time limit.

Each job starts a real spawned worker (about two seconds of imports), so the
tests that start one are marked slow. A "heavy" job trains a forest that
would take far longer than any test waits; it is always stopped early.
"""

from __future__ import annotations

import json
import os
import signal
import time

import numpy as np
import pytest
from reports import assert_same_report
from synthetic import make_frame, spec_dict

from runtime.dataset import DataError
from runtime.executor import Runner
from runtime.jobs import Job, StageEvent, StatusEvent
from runtime.spec import Spec, parse_spec
from runtime.store import Store, StoreError

STEPS = [
    {"type": "drop_duplicates", "params": {"keep": "first"}},
    {"type": "date_parts", "params": {"column": "when", "drop_original": True}},
    {
        "type": "impute_numeric",
        "params": {"columns": ["num_a", "num_b", "when_year", "when_month", "when_day"]},
    },
    {"type": "one_hot", "params": {"columns": ["cat_a", "cat_b"]}},
]
HEAVY_MODEL = {"type": "random_forest_classifier", "params": {"n_estimators": 5000}}
# Long enough for a loaded machine to start a worker; a test fails, never hangs.
WAIT = 120


def project_spec(
    store: Store, n_rows: int = 120, model: dict | None = None, steps=STEPS, **extra
) -> tuple[int, Spec]:
    """A project holding synthetic data; its spec (also its current version)."""
    df = make_frame(n_rows)
    project = store.create_project(f"synthetic {n_rows}")
    store.set_data(project.id, "data.csv", df.to_csv(index=False).encode())
    spec = parse_spec(
        spec_dict(df, "binary", steps=steps, model=model, data_file="data/data.csv", **extra)
    )
    store.history(project.id).push(spec)
    return project.id, spec


def wait_for(job, stage: str) -> list:
    """The job's events until one of `stage` begins (or the job ends)."""
    seen = []
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        seen += job.events()
        if any(isinstance(e, StageEvent) and e.stage == stage for e in seen) or job.done:
            return seen
        time.sleep(0.05)
    raise AssertionError(f"no {stage!r} stage within {WAIT} s; events: {seen}")


def finish(job) -> list:
    assert job.wait(WAIT), f"the job did not end within {WAIT} s"
    return job.events()


def assert_process_gone(job) -> None:
    with pytest.raises(ProcessLookupError):
        os.kill(job.pid, 0)


@pytest.mark.slow
def test_a_finished_job_equals_the_runner_in_process_and_is_stored_first(store, jobs):
    project_id, spec = project_spec(store)
    job = jobs.submit(project_id)
    assert job.status in ("queued", "running")
    events = []
    while not job.done:
        events += job.events()
        # The job says finished only once the store holds the finished run.
        if job.status == "finished":
            assert store.run(job.run_id).status == "finished"
        time.sleep(0.02)
    events += job.events()
    run = store.run(job.run_id)
    assert (job.status, job.error, run.status, run.error) == ("finished", None, "finished", None)

    expected = Runner(spec, store.project_directory(project_id)).run()
    assert_same_report(run.report, expected.report)
    assert run.spec == spec

    # Progress: running, then every stage in order with a growing fraction, then finished.
    statuses = [e.status for e in events if isinstance(e, StatusEvent)]
    assert statuses == ["running", "finished"]
    stages = [e for e in events if isinstance(e, StageEvent)]
    # The plots come last, after the run is recorded and reported finished.
    assert [e.stage for e in stages] == ["read data", "train", "save", "plots"]
    fractions = [e.fraction for e in stages]
    assert fractions[0] == 0 and fractions == sorted(fractions) and fractions[-1] < 1
    assert stages[0].remaining is None
    assert all(e.remaining is not None and e.remaining >= 0 for e in stages[1:])
    assert job.progress == stages[-1]

    assert set(run.timings) >= {"read data", "train", "plots", "save", "total"}
    # The plot data, as the notebook writes it, is one of the run's artifacts.
    assert "confusion_matrix" in json.loads((run.artifacts / "plots.json").read_text())
    assert run.libraries["scikit-learn"] and run.libraries["python"]
    assert run.seconds > 0 and run.pid == job.pid
    assert run.main_metric() == ("roc_auc", expected.metrics["test"]["roc_auc"])

    # The saved model is the one the runner fits: same predictions on the data.
    pipeline = run.load_model()
    prep, train = Runner(spec, store.project_directory(project_id)).modules()
    data = prep.clean(prep.read_data(str(store.project(project_id).data_path)))
    X, _ = train.features_and_target(data)
    np.testing.assert_array_equal(pipeline.predict_proba(X), expected.pipeline.predict_proba(X))

    # A new store on the same database (a restarted server) sees the same run.
    again = Store(store.url, store.home).run(job.run_id)
    assert again == run


@pytest.mark.slow
def test_a_failing_job_carries_the_runtimes_message(store, jobs):
    project_id, spec = project_spec(store)
    # The data no longer matches the hash the spec was written with.
    spec.dataset.sha256 = "0" * 64
    with pytest.raises(DataError) as expected:
        Runner(spec, store.project_directory(project_id)).run()
    job = jobs.submit(project_id, spec)
    events = finish(job)
    run = store.run(job.run_id)
    assert job.status == run.status == "failed"
    assert job.error == run.error == str(expected.value)
    assert "has changed since the spec was written" in run.error
    assert events[-1] == StatusEvent(job.run_id, "failed", events[-1].elapsed, run.error)
    assert run.artifacts is None
    assert "read data" in run.timings


@pytest.mark.slow
def test_cancel_stops_a_queued_job_and_a_running_one(store, jobs):
    project_id, _ = project_spec(store, n_rows=2000, model=HEAVY_MODEL)
    running = jobs.submit(project_id)
    queued = jobs.submit(project_id)  # one worker: this one waits
    assert queued.status == "queued"
    queued.cancel()
    assert queued.done and queued.pid is None
    assert queued.status == store.run(queued.run_id).status == "cancelled"

    wait_for(running, "train")
    started = time.monotonic()
    running.cancel()
    finish(running)
    assert time.monotonic() - started < 10
    run = store.run(running.run_id)
    assert running.status == run.status == "cancelled"
    assert run.artifacts is None
    assert not store.run_directory(project_id, run.id).exists()
    assert_process_gone(running)


@pytest.mark.slow
def test_a_killed_worker_fails_its_run_and_the_next_job_still_runs(store, jobs):
    heavy_project, _ = project_spec(store, n_rows=2000, model=HEAVY_MODEL)
    light_project, _ = project_spec(store)
    killed = jobs.submit(heavy_project)
    after = jobs.submit(light_project)
    wait_for(killed, "train")
    os.kill(killed.pid, signal.SIGKILL)
    finish(killed)
    run = store.run(killed.run_id)
    assert killed.status == run.status == "failed"
    assert "the training process was killed by SIGKILL before the run ended" in run.error
    # This process (the server) is alive and goes on with the queue.
    finish(after)
    assert after.status == store.run(after.run_id).status == "finished"


@pytest.mark.slow
def test_a_job_past_its_time_limit_is_stopped_and_fails(store, jobs):
    project_id, _ = project_spec(store, n_rows=2000, model=HEAVY_MODEL)
    started = time.monotonic()
    job = jobs.submit(project_id, time_limit=3)
    finish(job)
    assert time.monotonic() - started < 15
    run = store.run(job.run_id)
    assert job.status == run.status == "failed"
    assert run.time_limit == 3
    assert run.error.startswith("stopped at the time limit of 3 s; raise the limit")
    assert_process_gone(job)


def test_submit_needs_a_spec(store, jobs):
    project = store.create_project("empty")
    with pytest.raises(StoreError, match="has no spec yet"):
        jobs.submit(project.id)
    assert store.runs(project.id) == []


def test_a_worker_that_cannot_start_fails_its_run(store, jobs, monkeypatch):
    project_id, _ = project_spec(store)

    def no_process(*args) -> None:
        raise OSError("Resource temporarily unavailable")

    monkeypatch.setattr(Job, "_start", no_process)
    job = jobs.submit(project_id)
    assert job.done and job.status == "failed"
    assert (
        job.error
        == store.run(job.run_id).error
        == (
            "the training process could not start (Resource temporarily unavailable); try again later"
        )
    )
