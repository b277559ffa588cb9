"""A run is recorded and shown before its plots: the plot data is the last stage of its job.

The store stays consistent when that stage does not end (the worker is stopped, the
server restarts): the run is finished with its metrics and model, its plots are
"missing", and the Results view offers to compute them.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest

from playground_ui.state import Workspace
from playground_ui.views import train as train_view
from runtime.jobs import (
    PLOTS_FAILED,
    Jobs,
    StageEvent,
    StatusEvent,
    plot_data_state,
    save_plot_data,
)
from runtime.store import PLOT_DATA_FILE, PLOTS_FILE, Run

# Enough trees that the plots (a learning curve refits the model on every fold) take
# seconds after the run is recorded, on any machine.
FOREST = {"n_estimators": 150, "max_depth": 6}
WAIT = 300


def finished_run(artifacts: Path | None, warnings: list[str] = ()) -> Run:
    now = datetime.now(UTC)
    return Run(
        id=1,
        project_id=1,
        status="finished",
        spec_yaml="",
        task="binary",
        model="logistic_regression",
        created=now,
        started=now,
        ended=now,
        time_limit=None,
        pid=None,
        report={},
        timings={},
        libraries={},
        warnings=list(warnings),
        error=None,
        artifacts=artifacts,
    )


class _Running:
    done = False


def test_the_plot_data_state_of_a_finished_run(tmp_path):
    run = finished_run(tmp_path)
    assert plot_data_state(run, _Running()) == ("computing", "computing the plots…")
    state, message = plot_data_state(run, None)
    assert state == "missing" and "were not computed" in message
    failed = dataclasses.replace(run, warnings=[f"{PLOTS_FAILED}: boom"])
    assert plot_data_state(failed, None) == ("failed", f"{PLOTS_FAILED}: boom")
    (tmp_path / PLOT_DATA_FILE).write_bytes(b"")
    assert plot_data_state(run, None) == ("ready", "")


def test_plot_data_that_cannot_be_computed_is_a_warning_and_no_file(tmp_path):
    class Broken:
        spec = None

        def modules(self):
            raise RuntimeError("no modules today")

    warning = save_plot_data(Broken(), None, tmp_path)
    assert warning.startswith(PLOTS_FAILED) and "no modules today" in warning
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def forest(tmp_path) -> Workspace:
    ws = Workspace(tmp_path / "home")
    ws.jobs = Jobs(ws.store, max_workers=1)
    assert ws.load_example("penguins.csv") and ws.set_target("species"), ws.message
    assert ws.set_model("random_forest_classifier", FOREST), ws.message
    yield ws
    ws.jobs.shutdown()


def synchronous(monkeypatch) -> list:
    """Run the view's background work at once, and collect its periodic callbacks."""
    callbacks = []

    class Poll:
        def stop(self) -> None:
            callbacks.remove(self.callback)

    def add(callback, period):
        poll = Poll()
        poll.callback = callback
        callbacks.append(callback)
        return poll

    monkeypatch.setattr(train_view, "in_background", lambda work, done: done(work()))
    monkeypatch.setattr(train_view.pn.state, "add_periodic_callback", add)
    return callbacks


def plots_text(view) -> str:
    return " ".join(str(getattr(o, "object", "")) for o in view.plots_area.objects)


@pytest.mark.slow
def test_metrics_first_then_plots_and_a_run_stopped_in_between_offers_them(
    forest, tmp_path, monkeypatch
):
    ws = forest
    callbacks = synchronous(monkeypatch)
    result = ws.train(timeout=WAIT)
    assert result is not None, ws.message
    first = ws.runs()[0]
    # The run is recorded, with metrics and model, while its worker computes the plots.
    assert first.status == "finished" and first.metrics["test"]["accuracy"] > 0.5
    assert not ws.jobs.job(first.id).done and ws.result_plots_state()[0] == "computing"
    view = train_view.TrainView(ws)
    view._draw_plots(result)
    assert "Computing the plots…" in plots_text(view)

    # Training again stops the plots of the run it replaces on screen; that run stays
    # finished, with its metrics and model, without plot data.
    assert ws.set_model("random_forest_classifier", {**FOREST, "max_depth": 3}), ws.message
    second = ws.train(timeout=WAIT)
    assert second is not None, ws.message
    stopped = ws.store.run(first.id)
    assert ws.jobs.job(first.id).done
    assert stopped.status == "finished" and stopped.metrics == first.metrics
    assert not (stopped.artifacts / PLOT_DATA_FILE).exists()
    assert stopped.load_model() is not None

    # The second run's plots follow its recording, as the last stage of its job.
    job = ws.jobs.job(ws.runs()[0].id)
    view._draw_plots(second)
    assert job.wait(WAIT)
    events = job.events()
    statuses = [i for i, e in enumerate(events) if isinstance(e, StatusEvent)]
    plots = next(
        i for i, e in enumerate(events) if isinstance(e, StageEvent) and e.stage == "plots"
    )
    assert [events[i].status for i in statuses] == ["running", "finished"]
    assert statuses[-1] < plots  # finished was said before the plots began
    assert ws.result_plots_state() == ("ready", "")
    assert (ws.runs()[0].artifacts / PLOTS_FILE).is_file()
    assert "plots" in ws.runs()[0].timings
    # The view's poll notices and draws them (the first result's poll has stopped).
    for poll in list(callbacks):
        poll()
    assert callbacks == [] and isinstance(view.plots_area.objects[0], train_view.pn.GridBox)

    # A restarted server opens the first run: its plots are not computed, and can be.
    ws.jobs.shutdown()
    reopened = Workspace(tmp_path / "home")
    try:
        assert reopened.open_project(ws.project.id)
        assert reopened.open_run(first.id), reopened.message
        state, message = reopened.result_plots_state()
        assert state == "missing", message
        view = train_view.TrainView(reopened)
        view._draw_plots(reopened.result)
        assert "Plots not computed" in plots_text(view)
        (button,) = [
            o for o in view.plots_area.objects if isinstance(o, train_view.pn.widgets.Button)
        ]
        button.clicks += 1
        assert isinstance(view.plots_area.objects[0], train_view.pn.GridBox)
        assert reopened.result_plots_state() == ("ready", "")
    finally:
        reopened.jobs.shutdown()
