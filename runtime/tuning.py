"""Tune a spec's model by running the tune.py the generator renders for it.

The objective, the sampler and the search loop are the rendered module's
(templates/tune.py.j2), the code `tuning.export_search` ships; this module only
points it at a storage, spreads it over worker processes, reports progress and
checks the result:

    tuner = Tuner(spec, base_dir, storage=None)   # PLAYGROUND_OPTUNA_STORAGE, or SQLite
    outcome = tuner.tune(trials=30, workers=2, on_progress=print)
    outcome.spec          # model.params = the best parameters, tuning.best filled
    outcome.model         # the best trial's model (tuning.models: it may replace model.type)
    outcome.average       # with tune(average=True): the average of the best models, if it
                          # scores better than the best model alone (an average ensemble)

Studies live in Optuna storage: by default a SQLite file in PLAYGROUND_HOME,
else any Optuna storage URL (PostgreSQL for several machines). A study's name
is derived from what the search depends on, so tuning the same spec again
resumes its study (`tuning.study` names one explicitly).
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import queue
import threading
import time
import types
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna
import pandas as pd

from runtime.executor import RunError, Runner, load_beside
from runtime.models import MODELS_BY_NAME, average_ensemble
from runtime.search_space import (
    candidate_overrides,
    candidate_params,
    resolve_space,
    tuning_for_model,
)
from runtime.spec import Spec, TuningBest, parse_spec, spec_to_dict
from runtime.store import playground_home

STORAGE_VARIABLE = "PLAYGROUND_OPTUNA_STORAGE"
STORAGE_FILE = "optuna.db"
# Seconds a SQLite writer waits for another process's lock before failing.
SQLITE_LOCK_TIMEOUT = 60
# The refit of the best parameters must give the study's best value to this.
TOLERANCE = 1e-9
# With average=True, this share of the time budget is kept for averaging the best models;
# no model is added to the average once the budget is spent.
AVERAGE_SHARE = 0.15
# Optuna's importance warns of every parameter tried in fewer than two trials of a
# bucket, which a search of several models always has (each model's parameters exist
# in its own trials only): a warning per parameter at every refresh of the Tune tab
# filled the server's log. The table gives the importance all the same.
warnings.filterwarnings("ignore", message="Some regimes for parameter", category=UserWarning)
# Parameter importance says little below this many completed trials.
IMPORTANCE_MIN_TRIALS = 4
FINISHED = (
    optuna.trial.TrialState.COMPLETE,
    optuna.trial.TrialState.PRUNED,
    optuna.trial.TrialState.FAIL,
)

optuna.logging.set_verbosity(optuna.logging.WARNING)


def storage_url(given: str | None = None, home: Path | None = None) -> str:
    """The given URL, else $PLAYGROUND_OPTUNA_STORAGE, else a SQLite file in `home`
    (default PLAYGROUND_HOME)."""
    url = given or os.environ.get(STORAGE_VARIABLE)
    if url:
        return url
    home = home or playground_home()
    home.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{home / STORAGE_FILE}"


def open_storage(url: str) -> optuna.storages.BaseStorage:
    """Optuna storage for a URL. SQLite lets one writer in at a time, so a worker waits
    for the lock instead of failing with "database is locked" (optuna issue #820)."""
    try:
        if url.startswith("sqlite"):
            kwargs = {"connect_args": {"timeout": SQLITE_LOCK_TIMEOUT}}
            return optuna.storages.RDBStorage(url, engine_kwargs=kwargs)
        return optuna.storages.RDBStorage(url)
    except Exception as exc:  # noqa: BLE001 - a bad URL or an unreachable server
        raise RunError(f"cannot open the Optuna storage {url!r}: {exc}") from None


def study_name(spec: Spec, data_sha256: str) -> str:
    """The spec's `tuning.study`, or a name fixed by what the search depends on."""
    if spec.tuning.study:
        return spec.tuning.study
    data = spec_to_dict(spec)
    data["model"].pop("params")  # the tuned values are the search's output
    for field in ("best", "n_trials", "timeout_seconds", "export_search", "study"):
        data["tuning"].pop(field)
    digest = hashlib.sha256(json.dumps([data, data_sha256], sort_keys=True).encode())
    return f"{spec.name[:80]}-{digest.hexdigest()[:12]}"


@dataclass
class Progress:
    """Where a study stands: for the CLI's lines and the UI's plot."""

    done: int
    total: int
    best_value: float | None
    best_trial: int | None
    seconds: float
    # (trial number, value or None when pruned or failed, state name), in order.
    history: list[tuple[int, float | None, str]]

    @property
    def eta_seconds(self) -> float | None:
        if not self.done or self.done >= self.total:
            return None
        return self.seconds / self.done * (self.total - self.done)

    def line(self) -> str:
        best = "none yet" if self.best_value is None else f"{self.best_value:.6f}"
        if self.best_trial is not None:
            best += f" (trial {self.best_trial})"
        eta = "" if self.eta_seconds is None else f", about {self.eta_seconds:.0f} s left"
        return f"{self.done}/{self.total} trials, best {best}{eta}"


def progress_of(study: optuna.Study, total: int, started: float) -> Progress:
    trials = study.get_trials(deepcopy=False)
    finished = [t for t in trials if t.state in FINISHED]
    complete = [t for t in finished if t.state == optuna.trial.TrialState.COMPLETE]
    best = None
    if complete:
        pick = max if study.direction == optuna.study.StudyDirection.MAXIMIZE else min
        best = pick(complete, key=lambda t: t.value)
    history = [
        (t.number, t.value if t.state == optuna.trial.TrialState.COMPLETE else None, t.state.name)
        for t in sorted(finished, key=lambda t: t.number)
    ]
    return Progress(
        len(finished),
        total,
        best.value if best else None,
        best.number if best else None,
        time.monotonic() - started,
        history,
    )


@dataclass
class AverageOutcome:
    """The average of the search's best models, which scores better than the best model
    alone: an average ensemble of them, each at its best trial's parameters. Both
    scores are on other folds than the search's (tune.py's best_average)."""

    spec: Spec
    members: list[tuple[str, dict[str, Any]]]
    value: float
    alone: float


@dataclass
class TuningOutcome:
    spec: Spec  # the tuned spec: best model and parameters in model, tuning.best filled
    model: str
    params: dict[str, Any]
    value: float
    refit_value: float
    study_name: str
    storage: str
    trials: int
    average: AverageOutcome | None = None


class Tuner:
    """Tunes one spec whose dataset path is relative to `base_dir`."""

    def __init__(
        self,
        spec: Spec,
        base_dir: str | Path = ".",
        storage: str | None = None,
        study: str | None = None,
    ):
        if spec.tuning is None:
            raise RunError("the spec has no tuning section; add one (see `tuning` in the docs)")
        self.spec = spec
        self.base_dir = Path(base_dir)
        self.runner = Runner(spec, base_dir)
        self.storage_url = storage_url(storage)
        self.study_name = study or study_name(spec, self.runner.data_sha256())
        self._module: types.ModuleType | None = None
        self._train_df = None

    def module(self) -> types.ModuleType:
        """The rendered tune.py, executed beside the rendered preprocessing.py."""
        if self._module is None:
            from generator.tuning import render_tune

            prep, _ = self.runner.modules()
            source = render_tune(self.spec, Path(self.spec.dataset.path).name)
            self._module = load_beside(prep, "tune", source)
        return self._module

    def train_df(self):
        if self._train_df is None:
            self._train_df = self.module().training_split(self.runner.raw_data())
        return self._train_df

    def study(self) -> optuna.Study:
        """The study in storage, created on first use."""
        return self.module().create_study(open_storage(self.storage_url), self.study_name)

    def search(self, total: int, timeout: float | None, callbacks=()) -> None:
        """Run trials in this process until the study holds `total`."""
        try:
            self.module().search(self.study(), self.train_df(), total, timeout, tuple(callbacks))
        except RunError:
            raise
        except Exception as exc:  # noqa: BLE001 - like a failing run: one clear message
            refusal = self._target_refusal()
            if refusal:
                raise RunError(refusal) from None
            raise RunError(f"a tuning trial failed: {type(exc).__name__}: {exc}") from None

    def _target_refusal(self) -> str | None:
        """Why trials fail when the search tries a value that needs a target of zero or
        more (XGBoost's Tweedie objective, in tuning.space) on training rows below 0."""
        spec = self.spec
        if spec.task != "regression":
            return None
        lowest = pd.to_numeric(self.train_df()[spec.target], errors="coerce").min()
        if not lowest < 0:
            return None
        given = {key: override.given() for key, override in spec.tuning.space.items()}
        for name in [spec.model.type, *spec.tuning.models]:
            decl = MODELS_BY_NAME[name]
            need = decl.nonnegative_target
            if need is None:
                continue
            for dimension in resolve_space(decl, candidate_overrides(given, name, spec.model.type)):
                tried = dimension.choices if dimension.searched else (dimension.value,)
                if dimension.name == need.param and set(tried) & set(need.values):
                    refusal = need.refusal(spec.target, float(lowest))
                    return f"{refusal}, or leave it out of the search (tuning.space)"
        return None

    def tune(
        self,
        trials: int | None = None,
        timeout: float | None = None,
        workers: int = 1,
        on_progress: Callable[[Progress], None] | None = None,
        stop: Any = None,
        in_processes: bool = False,
        average: bool = False,
    ) -> TuningOutcome:
        """Add `trials` trials to the study (default: the spec's n_trials) over
        `workers` processes, then refit the best parameters and return the tuned spec.

        One worker runs in this process unless `in_processes` (a server keeps its
        own process free). `stop` (an Event) ends the search after the running
        trials; the best found is kept. `average` (a search of several models): also
        try averaging the best models, within the time budget (AVERAGE_SHARE of it).
        """
        tuning = self.spec.tuning
        trials = trials or tuning.n_trials
        timeout = timeout if timeout is not None else tuning.timeout_seconds
        average = average and bool(tuning.models)
        started = time.monotonic()
        deadline = None if timeout is None else started + timeout
        if average and timeout is not None:
            timeout *= 1 - AVERAGE_SHARE
        study = self.study()  # created here, before any worker opens it
        total = len(study.get_trials(deepcopy=False, states=FINISHED)) + trials
        if workers <= 1 and not in_processes:
            callbacks = [_reporter(total, started, on_progress, stop)]
            self.search(total, timeout, callbacks)
        else:
            self._in_workers(max(workers, 1), total, timeout, started, on_progress, stop)
        return self.outcome(average=average, deadline=deadline)

    def _in_workers(self, workers, total, timeout, started, on_progress, stop) -> None:
        context = multiprocessing.get_context("spawn")
        errors = context.Queue()
        stop_event = context.Event()
        args = (spec_to_dict(self.spec), str(self.base_dir), self.storage_url, self.study_name)
        processes = [
            context.Process(target=_work, args=(*args, total, timeout, stop_event, errors))
            for _ in range(workers)
        ]
        for process in processes:
            process.start()
        study = self.study()
        seen = -1
        while any(p.is_alive() for p in processes):
            time.sleep(0.5)
            if stop is not None and stop.is_set():
                stop_event.set()
            progress = progress_of(study, total, started)
            if on_progress and progress.done != seen:
                seen = progress.done
                on_progress(progress)
        for process in processes:
            process.join()
        failed = [p.exitcode for p in processes if p.exitcode != 0]
        if failed:
            try:
                message = errors.get(timeout=5)
            except queue.Empty:
                message = f"a tuning worker process ended with exit code {failed[0]}"
            raise RunError(message)
        if on_progress:
            on_progress(progress_of(study, total, started))

    def outcome(self, average: bool = False, deadline: float | None = None) -> TuningOutcome:
        """The study's best trial, refitted, as a tuned spec; with `average` (a search of
        several models), the average of the best models too when it scores better."""
        study = self.study()
        complete = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
        if not complete:
            raise RunError(
                f"no trial of study {self.study_name!r} completed; give the search more "
                "time or trials"
            )
        module = self.module()
        best = study.best_trial
        if self.spec.tuning.models:
            model, params = module.best_model(study)
        else:
            model, params = self.spec.model.type, module.best_parameters(study)
        # The same objective, with the best parameters fixed: it must give the same value.
        folds = module.preprocessed_folds(self.train_df())
        refit = module.objective(optuna.trial.FixedTrial(best.params), folds)
        if abs(refit - best.value) > TOLERANCE:
            raise RunError(
                f"the best parameters refitted give {refit!r}, but the study recorded "
                f"{best.value!r}; the model is not deterministic with these settings"
            )
        tuned = with_model(self.spec, model, params)
        trials = len(study.get_trials(deepcopy=False, states=FINISHED))
        tuned["tuning"]["best"] = TuningBest(
            value=best.value, trial=best.number, trials=trials, study=self.study_name
        ).model_dump()
        tuned = parse_spec(tuned)  # the tuned values checked like any others
        found = None
        if average and self.spec.tuning.models:
            with module.threadpool_limits(limits=module.N_JOBS):
                found = module.best_average(study, self.train_df(), deadline)
        return TuningOutcome(
            tuned,
            model,
            params,
            best.value,
            refit,
            self.study_name,
            self.storage_url,
            trials,
            average=None if found is None else self._average(*found),
        )

    def _average(self, members: list[tuple[str, dict]], value: float, alone: float):
        spec = parse_spec(with_average(self.spec, members))
        return AverageOutcome(spec, members, value, alone)


def with_model(spec: Spec, model: str, params: dict[str, Any]) -> dict[str, Any]:
    """The spec's data with `params` tuned for `model`: model.type's own parameters
    updated, or, when the search chose another of tuning.models, that model in its
    place, its other parameters as declared. The tuned spec searches the same models
    (search_space.tuning_for_model: the replaced model joins tuning.models, its
    tuning.space ranges kept under its name)."""
    data = spec_to_dict(spec)
    if model == spec.model.type:
        data["model"]["params"].update(params)
        return data
    data["tuning"] = tuning_for_model(data["tuning"], spec.model.type, model)
    data["model"]["type"], data["model"]["params"] = model, dict(params)
    return data


def with_average(spec: Spec, members: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """The spec's data with an average ensemble of `members` ((model, tuned parameters)
    each, as tune.py's best_average gives them) in place of its model. A member's other
    parameters are the spec's for model.type, else as declared, as the search built it.
    The tuning section goes: an ensemble is not tuned (as on the Model tab)."""
    data = spec_to_dict(spec)
    built = [
        {
            "type": name,
            "params": {**candidate_params(name, spec.model.type, spec.model.params), **params},
        }
        for name, params in members
    ]
    data["model"] = {"type": average_ensemble(spec.task).name, "params": {}, "members": built}
    data["tuning"] = None
    return data


class TuningJob:
    """A search running in the background (worker processes, watched by a thread).

    The UI polls `progress`, `done`, `outcome` and `error`; `stop()` ends the search
    after the running trials and keeps the best found.
    """

    def __init__(
        self, tuner: Tuner, trials: int | None = None, workers: int = 1, average: bool = False
    ):
        self.tuner = tuner
        self.average = average and bool(tuner.spec.tuning.models)
        self.progress: Progress | None = None
        self.outcome: TuningOutcome | None = None
        self.error: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(trials, workers, average), daemon=True, name="tuning"
        )
        self._thread.start()

    def _run(self, trials: int | None, workers: int, average: bool) -> None:
        try:
            self.outcome = self.tuner.tune(
                trials=trials,
                workers=workers,
                on_progress=self._update,
                stop=self._stop,
                in_processes=True,
                average=average,
            )
        except Exception as exc:  # noqa: BLE001 - shown to the person, the server carries on
            self.error = str(exc) or type(exc).__name__

    def _update(self, progress: Progress) -> None:
        self.progress = progress

    @property
    def done(self) -> bool:
        return not self._thread.is_alive()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def stop(self) -> None:
        self._stop.set()

    def wait(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def importance(self) -> dict[str, float]:
        """How much each parameter mattered (optuna.importance), once enough trials completed."""
        study = self.tuner.study()
        complete = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
        if len(complete) < IMPORTANCE_MIN_TRIALS:
            return {}
        try:
            return optuna.importance.get_param_importances(study)
        except (RuntimeError, ValueError):  # e.g. every trial gave the same value
            return {}


def _reporter(total: int, started: float, on_progress, stop):
    def report(study: optuna.Study, trial) -> None:
        if on_progress:
            on_progress(progress_of(study, total, started))
        if stop is not None and stop.is_set():
            study.stop()

    return report


def _work(spec_data, base_dir, url, name, total, timeout, stop, errors) -> None:
    """One worker process: trials of the shared study until it holds `total`."""
    import sys
    import warnings

    warnings.simplefilter("ignore")
    try:
        tuner = Tuner(parse_spec(spec_data), base_dir, url, name)
        tuner.search(total, timeout, [_reporter(total, time.monotonic(), None, stop)])
    except Exception as exc:  # noqa: BLE001 - the parent reports it in one line
        errors.put(str(exc) or type(exc).__name__)
        sys.exit(1)
