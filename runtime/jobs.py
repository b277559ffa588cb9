"""Training off the UI thread: one worker process per run, with progress and cancel.

    jobs = Jobs(store, max_workers=1, time_limit=600)   # one per server
    job = jobs.submit(project.id)        # the project's current spec (or spec=...)
    # in a periodic callback on the UI thread (never blocks):
    for event in job.events():           # StageEvent, CurveEvent, StatusEvent
        ...
    job.status, job.progress, job.error  # the latest of each
    job.cancel()

How it behaves:

- Each run trains in its own process (multiprocessing, spawn context) with
  runtime.executor's Runner: the rendered code, exactly as `playground run`.
  The process sends its progress through a pipe; a thread in the server reads
  it into the job's event queue, enforces the time limit and watches the
  process. A crashed or killed worker ends only its own run, marked failed
  with what happened; the server carries on.
- The worker writes the fitted model (pickled), the preprocessing.py it
  refers to and the report to the run's folder, then records the finished
  run in the store, with the time of every stage and the library versions,
  and only then says `finished`: a finished run is persisted before anyone
  is told (`job.recorded`, `job.wait_recorded()`), and its metrics can be
  shown at once.
- Then, as the last stage of the same job, the worker computes the data of
  every plot of the run as the notebook does and writes it to the run's
  folder (plots.json, and plots.joblib for the UI; each file appears whole
  or not at all). `job.done` once the worker has ended. A run whose plot
  data is missing (the plots failed: a warning of the run says why; or the
  worker was stopped first) is still a finished run; `plot_data_state`
  tells which, and `save_plot_data` computes them again.
- With MLFLOW_TRACKING_URI set, the worker logs the run to MLflow
  (runtime.mlflow_mirror) once it is recorded and `finished` is sent, before
  the plots (so a run whose plots are stopped or fail is mirrored too), and
  adds the plot data to that MLflow run once it is saved; a failure there
  becomes a warning of the run, never a failed run.
- Cancel terminates the process and marks the run cancelled; a run past its
  time limit is terminated and marked failed, naming the limit. A worker that
  finishes as it is cancelled keeps its result: the store moves a run out of
  queued/running once only. Cancelling a recorded run stops only its plots.
- A spec the runtime cannot run fails with the runtime's own message
  (RunError, DataError, SpecError), the same words `playground run` prints.
- Up to `max_workers` runs train at once; the others wait, queued.
- With `standby=True` (the server's Jobs) one worker process is started ahead
  and imports what a run needs, then waits: the next run goes to it, so a
  click does not wait for an interpreter and its imports, and a new standby
  starts once no run is training (a run's metrics come first; its plots may
  share the CPU). While it waits, the standby also trains a tiny spec once
  (runtime/warm_up.py), so the run pays no first-use costs. It is still one
  process per run, cancelled and timed the same way; a standby that died
  while waiting is replaced by a cold start.
"""

from __future__ import annotations

import atexit
import functools
import importlib
import json
import multiprocessing
import multiprocessing.util
import os
import platform
import queue
import shutil
import signal
import threading
import time
import traceback
import warnings
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from generator.render import render_preprocessing
from runtime.curves import reporting_curves
from runtime.dataset import DataError
from runtime.executor import RunError, Runner, RunResult, standing_in
from runtime.mlflow_mirror import enabled as mirror_enabled
from runtime.mlflow_mirror import mirror_plot_data, mirror_run
from runtime.models import MODELS_BY_NAME
from runtime.plots import all_plots
from runtime.spec import Spec, SpecError
from runtime.store import (
    MODEL_FILE,
    PLOT_DATA_FILE,
    PLOTS_FILE,
    PREPROCESSING_FILE,
    REPORT_FILE,
    Run,
    Store,
    StoreError,
    write_model,
)
from runtime.warm_up import warm_up

# Failures a person can fix; their message is the run's error as it stands.
USER_ERRORS = (SpecError, DataError, RunError, StoreError)
# Libraries whose versions a run records (those installed).
LIBRARIES = (
    "pandas",
    "numpy",
    "scipy",
    "scikit-learn",
    "joblib",
    "threadpoolctl",
    "xgboost-cpu",
    "xgboost",
    "pyarrow",
    "matplotlib",
)
# How often the watching thread checks for cancel and the time limit (seconds).
POLL_SECONDS = 0.1
# How long a terminated worker gets to exit before it is killed (seconds).
GRACE_SECONDS = 5.0
# What a standby worker imports before it has a run: the modules the rendered code and
# the worker use (xgboost and shap are left to the runs that need them).
PRELOADED = (
    "sklearn.compose",
    "sklearn.ensemble",
    "sklearn.impute",
    "sklearn.inspection",
    "sklearn.linear_model",
    "sklearn.metrics",
    "sklearn.model_selection",
    "sklearn.pipeline",
    "sklearn.preprocessing",
    "black",
)
# The first standby starts this long after the server (seconds): its own start comes first.
STANDBY_DELAY = 3.0


@dataclass(frozen=True)
class StageEvent:
    """A stage of the run began: `fraction` of the work is done, `remaining` estimated."""

    run_id: int
    stage: str
    fraction: float
    elapsed: float
    remaining: float | None


@dataclass(frozen=True)
class CurveEvent:
    """One point of a live training curve (say training loss per boosting round).

    Sent while the model fits, for models that declare a live curve
    (runtime/curves.py); `series` names the curve, "CV fold k: ..." for folds.
    """

    run_id: int
    series: str
    x: float
    y: float
    elapsed: float


@dataclass(frozen=True)
class StatusEvent:
    """The run's status changed: running, then finished, failed or cancelled.

    A final status is sent once the store holds it, once; `message` is the error.
    `finished` comes as soon as the run is recorded, before its plot data.
    """

    run_id: int
    status: str
    elapsed: float
    message: str = ""


Event = StageEvent | CurveEvent | StatusEvent


def library_versions() -> dict[str, str]:
    return dict(_library_versions())


@functools.cache
def _library_versions() -> dict[str, str]:
    # Once per process (7-10 ms of reading package metadata); a standby worker asks
    # while it waits, so its run does not.
    versions = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


# -- the worker process ------------------------------------------------------------------


class _ServerGone(Exception):
    """The server closed its end of the pipe: nobody waits for this run."""


class _Progress:
    """Sends the worker's events; a stage's share of the work comes from fixed weights."""

    def __init__(self, connection, run_id: int):
        self.connection = connection
        self.run_id = run_id
        self.started = time.monotonic()
        self.work_started: float | None = None
        self.weights: dict[str, float] = {}
        self.timings: dict[str, float] = {}

    def send(self, event: Event) -> None:
        try:
            self.connection.send(event)
        except OSError as exc:
            raise _ServerGone from exc

    def curve_point(self, series: str, x: float, y: float) -> None:
        """Send one point of a live training curve; sent from inside the model's fit."""
        elapsed = time.monotonic() - self.started
        try:
            self.send(CurveEvent(self.run_id, series, x, y, elapsed))
        except _ServerGone:
            pass  # the next stage or status notices, outside the library's code

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Announce the stage (with the share done and the time left), then time it."""
        begun = time.monotonic()
        if self.work_started is None:
            self.work_started = begun
        names = list(self.weights)
        done = sum(self.weights[n] for n in names[: names.index(name)]) / sum(self.weights.values())
        worked = begun - self.work_started
        remaining = worked * (1 - done) / done if done > 0 else None
        self.send(StageEvent(self.run_id, name, done, begun - self.started, remaining))
        try:
            yield
        finally:  # a failed stage's time too: it shows where the run stopped
            self.timings[name] = time.monotonic() - begun


def _stage_weights(spec: Spec) -> dict[str, float]:
    # Training fits the steps and the model once, and once more per cross-validation fold.
    folds = spec.evaluation.cv_folds or 0
    steps = 0.5 * len(spec.active_steps())
    return {"read data": 1.0, "train": (3.0 + steps) * (1 + folds), "save": 0.5, "plots": 2.0}


def _work(connection, url: str, home: str, run_id: int, store: Store | None = None) -> None:
    """The worker process: train the run's spec, record the outcome in the store, then
    compute the run's plot data. `store`: the store opened ahead (by a standby)."""
    store = store if store is not None else Store(url, home)
    if not store.start_run(run_id, os.getpid()):
        return  # cancelled (or deleted) before it started
    progress = _Progress(connection, run_id)
    try:
        trained = _train_and_record(store, run_id, progress)
        if trained is not None:
            _plots_stage(store, run_id, progress, *trained)
    finally:
        connection.close()


def _stand_by(connection, runs, url: str, home: str) -> None:
    """A worker started ahead: do the imports a run needs and a tiny run (the first-use
    costs of rendering, compiling and the libraries' first calls), wait for a run's id
    on `runs`, then train it as _work does. Ends without a run when the server closes
    `runs`."""
    for name in PRELOADED:
        importlib.import_module(name)
    warm_up()
    # What the run would do first, done now: opening the store, the library versions.
    store = Store(url, home)
    library_versions()
    try:
        run_id = runs.recv()
    except EOFError:
        connection.close()
        return
    finally:
        runs.close()
    _work(connection, url, home, run_id, store)


@dataclass
class _Standby:
    """A standby worker: its process, the end its events come from, the end its run's id
    goes to."""

    process: Any
    reader: Any
    runs: Any

    @classmethod
    def start(cls, context, url: str, home: str) -> _Standby:
        reader, writer = context.Pipe(duplex=False)
        runs_reader, runs_writer = context.Pipe(duplex=False)
        process = context.Process(
            target=_stand_by, args=(writer, runs_reader, url, home), name="playground-standby"
        )
        process.start()
        writer.close()  # as in Job._start: the worker holds the ends it uses
        runs_reader.close()
        return cls(process, reader, runs_writer)

    def stop(self) -> None:
        for end in (self.runs, self.reader):
            end.close()
        self.process.terminate()
        self.process.join(GRACE_SECONDS)
        if self.process.is_alive():
            self.process.kill()


def _train_and_record(store: Store, run_id: int, progress: _Progress):
    """Train, save and record the run, then mirror it to MLflow when asked; (runner,
    result, folder, mirrored) once it is recorded finished, None when it is not (failed,
    cancelled meanwhile, project deleted) or nobody waits for its plots."""
    run = store.run(run_id)
    folder = store.run_directory(run.project_id, run_id)
    try:
        progress.send(StatusEvent(run_id, "running", 0.0))
        spec = run.spec
        progress.weights = _stage_weights(spec)
        with _quiet_warnings():
            runner, result = _train(spec, store.project_directory(run.project_id), progress, folder)
        progress.timings["total"] = time.monotonic() - progress.started
        recorded = store.finish_run(
            run_id, result.report, progress.timings, library_versions(), result.warnings, folder
        )
    except _ServerGone:
        shutil.rmtree(folder, ignore_errors=True)
        store.fail_run(run_id, "the server stopped while this run trained; run it again")
        return None
    except Exception as exc:  # noqa: BLE001 - every failure becomes the run's message
        shutil.rmtree(folder, ignore_errors=True)
        progress.timings["total"] = time.monotonic() - progress.started
        if not isinstance(exc, USER_ERRORS):
            traceback.print_exc()  # for the server's log: this is a bug to fix
        store.fail_run(run_id, _failure_message(exc), progress.timings)
        return None
    if not recorded:  # cancelled meanwhile, or the project was deleted
        shutil.rmtree(folder, ignore_errors=True)
        return None
    try:
        progress.send(StatusEvent(run_id, "finished", time.monotonic() - progress.started))
        server_gone = False
    except _ServerGone:
        server_gone = True  # the run stands; its plots can be computed when it is opened
    # After "finished", so the metrics wait for nothing; before the plots, so a run
    # whose plots are stopped or fail is mirrored all the same.
    mirrored = mirror_to_mlflow(store, run_id, mirror_run, "mlflow")
    return None if server_gone else (runner, result, folder, mirrored)


def mirror_to_mlflow(store: Store, run_id: int, mirror, stage: str) -> bool:
    """Copy the recorded run (or its plot data) to MLflow when asked; a failure there
    becomes a warning of the run. Its time is recorded when there was anything to do.
    Whether it was copied."""
    if not mirror_enabled():
        return False
    begun = time.monotonic()
    try:
        warning = mirror(store, run_id)
        if warning is not None:
            store.add_warning(run_id, warning)
        store.add_timings(run_id, {stage: time.monotonic() - begun})
    except StoreError:
        return False  # the project was deleted meanwhile
    return warning is None


def _plots_stage(
    store: Store,
    run_id: int,
    progress: _Progress,
    runner: Runner,
    result: RunResult,
    folder,
    mirrored: bool,
) -> None:
    """The plot data of a recorded run, then added to its MLflow copy (when the run was
    `mirrored`). Nothing here changes the run's status or files other than the plot
    data: the metrics stand."""
    try:
        with progress.stage("plots"), _quiet_warnings():
            problem = save_plot_data(runner, result, folder)
    except _ServerGone:
        return  # nobody waits; the plots can be computed when the run is opened
    try:
        if problem is not None:
            store.add_warning(run_id, problem)
        store.add_timings(run_id, {"plots": progress.timings["plots"]})
    except StoreError:
        return  # the project was deleted meanwhile
    if mirrored and problem is None:
        mirror_to_mlflow(store, run_id, mirror_plot_data, "mlflow plots")


@contextmanager
def _quiet_warnings() -> Iterator[None]:
    # Library warnings (convergence and the like) would only reach the server's
    # log; the metrics speak for the model.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _train(
    spec: Spec, base_dir: Path, progress: _Progress, folder: Path
) -> tuple[Runner, RunResult]:
    """Runner.run(), stage by stage, then the model and report saved in `folder`."""
    runner = Runner(spec, base_dir)
    with progress.stage("read data"):
        runner.raw_data()
    # No step is previewed on its own first: that would fit every step once more. A
    # step that fails is named by runner.run(), which previews the steps only then.
    with progress.stage("train"), ThreadPoolExecutor(1) as formatting:
        _, train_module = runner.modules()
        # preprocessing.py as the export holds it, formatted (by a ruff process, some
        # 15-20 ms) while the model trains rather than after.
        preprocessing = formatting.submit(render_preprocessing, spec)
        model = MODELS_BY_NAME[spec.model.type]
        with reporting_curves(train_module, model, progress.curve_point):
            result = runner.run()  # the data read above is cached
    folder.mkdir(parents=True, exist_ok=True)
    with progress.stage("save"):
        # As in the exported project: the pickled pipeline names the functions
        # of preprocessing.py, so that file is saved beside it.
        (folder / PREPROCESSING_FILE).write_text(preprocessing.result(), encoding="utf-8")
        prep, _ = runner.modules()
        with standing_in(prep), open(folder / MODEL_FILE, "wb") as out:
            write_model(result.pipeline, out)
        report = json.dumps(result.report, indent=2, ensure_ascii=False, default=float)
        (folder / REPORT_FILE).write_text(report + "\n", encoding="utf-8")
    return runner, result


# -- the plot data of a run ------------------------------------------------------------

# The start of the warning a run gets when its plot data could not be computed.
PLOTS_FAILED = "the plot data of this run could not be saved"


def save_plot_data(runner: Runner, result: RunResult, folder: Path) -> str | None:
    """Compute the data of every plot of the run and write it to `folder`: plots.json
    by the rendered plots.py as the notebook writes it, and plots.joblib for the UI to
    draw from. A warning instead when it cannot be computed (the run stands without it).

    Each file is written under a temporary name and then renamed, and plots.joblib
    (which says the plots are there) last: a reader sees both or neither.
    """
    import joblib  # here: ~0.15 s the server need not pay before its first page

    try:
        plots = all_plots(runner, result)
        if plots:
            data = {plot.key: plot.data for plot in plots}
            partial = folder / f"{PLOTS_FILE}.partial"
            plots[0].module.save_plot_data(data, partial)
            os.replace(partial, folder / PLOTS_FILE)
            partial = folder / f"{PLOT_DATA_FILE}.partial"
            joblib.dump(data, partial)
            os.replace(partial, folder / PLOT_DATA_FILE)
    except Exception as exc:  # noqa: BLE001 - the metrics stand without the plots
        return f"{PLOTS_FAILED}: {_failure_message(exc)}"
    return None


def plot_data_state(run: Run, job: Job | None) -> tuple[str, str]:
    """Where a finished run's plot data stands, and what to tell a person:

    - "ready": saved with the run;
    - "computing": its worker is computing it now;
    - "failed": its worker could not compute it (the message says why);
    - "missing": never computed (the worker was stopped first, or the server).
    """
    if run.artifacts is not None and (run.artifacts / PLOT_DATA_FILE).is_file():
        return "ready", ""
    if job is not None and not job.done:
        return "computing", "computing the plots…"
    failure = next((w for w in run.warnings if w.startswith(PLOTS_FAILED)), None)
    if failure is not None:
        return "failed", failure
    return "missing", "the plots of this run were not computed (its worker stopped first)"


def _failure_message(exc: Exception) -> str:
    if isinstance(exc, USER_ERRORS):
        return str(exc)
    return f"training failed unexpectedly: {type(exc).__name__}: {exc}"


def _exit_message(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            how = f"was killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            how = f"was killed by signal {-exitcode}"
    else:
        how = f"exited with code {exitcode}"
    return (
        f"the training process {how} before the run ended (out of memory, or stopped from "
        "outside); run it again, with fewer rows or a lighter model if memory is short"
    )


# -- the server side -------------------------------------------------------------------


class Job:
    """One run, queued or training in its worker process. Read it from any thread."""

    def __init__(self, jobs: Jobs, run_id: int, time_limit: float | None):
        self.run_id = run_id
        self.time_limit = time_limit
        self.status = "queued"
        self.error: str | None = None
        self.progress: StageEvent | None = None
        self._jobs = jobs
        self._events: queue.SimpleQueue[Event] = queue.SimpleQueue()
        self._process = None
        self._cancel = threading.Event()
        self._recorded = threading.Event()
        self._done = threading.Event()

    def __repr__(self) -> str:
        return f"<Job run {self.run_id} {self.status}>"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def recorded(self) -> bool:
        """The run's outcome is in the store (its plot data may still be computed)."""
        return self._recorded.is_set()

    @property
    def done(self) -> bool:
        """The worker has ended: the plot data is saved too, or will not be."""
        return self._done.is_set()

    def events(self) -> list[Event]:
        """The events since the last call, oldest first; never blocks."""
        found = []
        while True:
            try:
                found.append(self._events.get_nowait())
            except queue.Empty:
                return found

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the worker has ended, plots and all; whether it has."""
        return self._done.wait(timeout)

    def wait_recorded(self, timeout: float | None = None) -> bool:
        """Block until the run's outcome is in the store; whether it is."""
        return self._recorded.wait(timeout)

    def cancel(self) -> None:
        """Stop the run: a queued one never starts, a running worker is terminated
        (after the run is recorded, that stops only the computing of its plots)."""
        if not self._jobs._withdraw(self):
            self._cancel.set()

    # -- driven by Jobs and the watching thread ----------------------------------

    def _start(self, context, url: str, home: str, standby: _Standby | None = None) -> None:
        """Give the run to the standby worker, or start a worker for it."""
        reader = None
        if standby is not None:
            try:
                standby.runs.send(self.run_id)
                standby.runs.close()
                self._process, reader = standby.process, standby.reader
            except OSError:  # it died while it waited: a worker of its own, then
                standby.stop()
        if reader is None:
            reader, writer = context.Pipe(duplex=False)
            self._process = context.Process(
                target=_work,
                args=(writer, url, home, self.run_id),
                name=f"playground-run-{self.run_id}",
            )
            self._process.start()
            # Only the worker holds the writing end now: when it ends, reading ends.
            writer.close()
        threading.Thread(
            target=self._watch, args=(reader,), name=f"watch-run-{self.run_id}", daemon=True
        ).start()

    def _watch(self, reader) -> None:
        started = time.monotonic()
        stopped: str | None = None
        try:
            while True:
                if self._cancel.is_set():
                    stopped = "cancel"
                    break
                if self.time_limit is not None and time.monotonic() - started > self.time_limit:
                    stopped = "time limit"
                    break
                try:
                    if reader.poll(POLL_SECONDS):
                        self._receive(reader.recv())
                    elif not self._process.is_alive():
                        break
                except (EOFError, OSError):
                    break  # the worker has closed the pipe: it ended
        finally:
            reader.close()
            self._end(stopped, time.monotonic() - started)

    def _receive(self, event: Event) -> None:
        if isinstance(event, StageEvent):
            self.progress = event
        elif isinstance(event, StatusEvent):
            self.status = event.status
            if event.status == "finished":  # the worker has recorded it
                self._recorded.set()
                self._jobs._replace_standby()
        self._events.put(event)

    def _stop_process(self) -> None:
        self._process.terminate()
        self._process.join(GRACE_SECONDS)
        if self._process.is_alive():
            self._process.kill()

    def _end(self, stopped: str | None, elapsed: float) -> None:
        """Stop the worker if asked, then report the outcome the store holds."""
        store = self._jobs.store
        try:
            if stopped is not None:
                self._stop_process()
            self._process.join(GRACE_SECONDS)
            if self._process.is_alive():  # ended its work, then hung on the way out
                self._process.kill()
                self._process.join()
            if stopped == "cancel":
                store.cancel_run(self.run_id)
            elif stopped == "time limit":
                store.fail_run(
                    self.run_id,
                    f"stopped at the time limit of {self.time_limit:g} s; raise the limit, "
                    "or train on fewer rows or with a lighter model",
                )
            # A worker that ended without recording an outcome crashed or was killed.
            store.fail_run(self.run_id, _exit_message(self._process.exitcode))
            run = store.run(self.run_id)
            status, error = run.status, run.error
        except Exception as exc:  # noqa: BLE001 - the server must outlive any job
            status, error = "failed", f"the run's outcome could not be recorded: {exc}"
        self._settle(status, error, elapsed)

    def _settle(self, status: str, error: str | None, elapsed: float) -> None:
        if not (self.recorded and status == self.status):  # said once only
            self._events.put(StatusEvent(self.run_id, status, elapsed, error or ""))
        self.status, self.error = status, error
        self._recorded.set()
        self._done.set()
        self._jobs._ended(self)


class Jobs:
    """Starts runs in worker processes, at most `max_workers` at a time.

    `time_limit` (seconds, None for none) applies to runs submitted without one.
    `standby`: keep one worker started ahead, its imports done, for the next run.
    """

    def __init__(
        self,
        store: Store,
        max_workers: int = 1,
        time_limit: float | None = None,
        standby: bool = False,
    ):
        if max_workers < 1:
            raise ValueError(f"max_workers must be at least 1, got {max_workers}")
        self.store = store
        self.max_workers = max_workers
        self.time_limit = time_limit
        self._context = multiprocessing.get_context("spawn")
        self._lock = threading.Lock()
        self._pending: deque[Job] = deque()
        self._running: dict[int, Job] = {}
        self._jobs: dict[int, Job] = {}
        self._keep_standby = standby
        self._standby: _Standby | None = None
        self._closed = False
        # At exit, multiprocessing joins every child process; a standby waits for a run
        # and would never end. atexit calls handlers last in, first out, and importing
        # multiprocessing.util (above) registered that join before this: the standby is
        # stopped first.
        atexit.register(self.shutdown)
        if standby:
            timer = threading.Timer(STANDBY_DELAY, self._start_standby)
            timer.daemon = True
            timer.start()

    def submit(
        self, project_id: int, spec: Spec | None = None, time_limit: float | None = None
    ) -> Job:
        """Queue a run of `spec` (default: the project's current spec) and start it if a
        worker is free."""
        if spec is None:
            spec = self.store.history(project_id).current()
            if spec is None:
                raise StoreError(f"project {project_id} has no spec yet; choose a target first")
        limit = time_limit if time_limit is not None else self.time_limit
        run = self.store.create_run(project_id, spec, limit)
        job = Job(self, run.id, limit)
        with self._lock:
            self._jobs[run.id] = job
            self._pending.append(job)
        self._start_waiting()
        return job

    def job(self, run_id: int) -> Job | None:
        """The job of a run submitted here (None for runs of other servers or earlier)."""
        return self._jobs.get(run_id)

    def jobs(self) -> list[Job]:
        return list(self._jobs.values())

    def runs_ahead(self, job: Job) -> int | None:
        """How many queued runs start before `job`; None once it has started or ended."""
        with self._lock:
            return self._pending.index(job) if job in self._pending else None

    @property
    def running_count(self) -> int:
        with self._lock:
            return len(self._running)

    def shutdown(self, wait: bool = True) -> None:
        """Cancel every queued and running job, stop the standby (when the server stops)."""
        atexit.unregister(self.shutdown)
        with self._lock:
            self._closed = True
            standby, self._standby = self._standby, None
        if standby is not None:
            standby.stop()
        for job in list(self._jobs.values()):
            if not job.done:
                job.cancel()
        if wait:
            for job in list(self._jobs.values()):
                job.wait(GRACE_SECONDS * 2)

    def _start_standby(self) -> None:
        """Start a standby worker, unless there is one (or the server stops)."""
        with self._lock:
            if self._closed or not self._keep_standby or self._standby is not None:
                return
            try:
                self._standby = _Standby.start(self._context, self.store.url, str(self.store.home))
            except OSError:
                return  # no process to be had now; the next run starts one of its own

    def _replace_standby(self) -> None:
        """Start the next standby once no run is training: its imports and warm-up (some
        4 s of CPU) would slow a training on a small machine; a run's plots, after its
        metrics are shown, may share the CPU with it."""
        with self._lock:
            training = any(not job.recorded for job in self._running.values())
        if not training:
            self._start_standby()

    def _start_waiting(self) -> None:
        unstarted = []
        with self._lock:
            while self._pending and len(self._running) < self.max_workers:
                job = self._pending.popleft()
                self._running[job.run_id] = job
                standby, self._standby = self._standby, None
                try:
                    job._start(self._context, self.store.url, str(self.store.home), standby)
                except OSError as exc:  # no process to be had (limits, memory)
                    unstarted.append((job, exc))
        self._replace_standby()
        for job, exc in unstarted:
            message = f"the training process could not start ({exc}); try again later"
            self.store.fail_run(job.run_id, message)
            job._settle("failed", message, 0.0)

    def _withdraw(self, job: Job) -> bool:
        """Cancel a job that has not started; False when it has."""
        with self._lock:
            if job not in self._pending:
                return False
            self._pending.remove(job)
        self.store.cancel_run(job.run_id)
        run = self.store.run(job.run_id)
        job._settle(run.status, run.error, 0.0)
        return True

    def _ended(self, job: Job) -> None:
        with self._lock:
            self._running.pop(job.run_id, None)
        self._start_waiting()
