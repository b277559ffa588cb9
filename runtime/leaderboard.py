"""A project's runs ranked by one metric on one split, best first.

    board = leaderboard(store.runs(project_id), metric="log_loss", split="test")
    for entry in board:  entry.rank, entry.run, entry.value

Which way is better comes from runtime.metrics. Runs without the metric
(failed, still running, another task, a split they did not have) follow the
ranked ones, newest first, with no rank. Everything is read from the store,
so the board is the same after a restart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from runtime.metrics import METRICS_BY_NAME, higher_is_better, metrics_for
from runtime.store import MAIN_METRIC, Run, StoreError

# The splits a run reports, and "cv": the mean over the cross-validation folds.
SPLITS = ("test", "validation", "train", "cv")
SPLIT_TITLES = {
    "test": "test",
    "validation": "validation",
    "train": "train",
    "cv": "cross-validation mean",
}


@dataclass(frozen=True)
class Entry:
    rank: int | None
    run: Run
    value: float | None


def metric_value(run: Run, metric: str, split: str) -> float | None:
    """The run's `metric` on `split` ("cv": the cross-validation mean), or None."""
    report = run.report or {}
    if split == "cv":
        values = (report.get("cross_validation") or {}).get("mean", {})
    else:
        values = report.get("metrics", {}).get(split, {})
    value = values.get(metric)
    if value is None or not math.isfinite(value):
        return None
    return float(value)


def available_metrics(runs: list[Run]) -> list[str]:
    """The metrics of the runs' tasks, in the catalog's order (main metric first)."""
    tasks = list(dict.fromkeys(run.task for run in runs))
    names: list[str] = [MAIN_METRIC[task][0] for task in tasks]
    for task in tasks:
        names += metrics_for(task)
    return list(dict.fromkeys(names))


def default_metric(runs: list[Run]) -> str | None:
    """The main metric of the newest run's task."""
    return MAIN_METRIC[runs[0].task][0] if runs else None


def check_choice(runs: list[Run], metric: str, split: str) -> None:
    """A StoreError naming what is known when the metric or split is not."""
    if split not in SPLITS:
        raise StoreError(f"no split {split!r}; choose one of {', '.join(SPLITS)}")
    known = available_metrics(runs)
    if metric not in known:
        where = "these runs report" if known else "there are no runs yet; metrics"
        names = ", ".join(known or METRICS_BY_NAME)
        raise StoreError(f"no metric {metric!r}: {where}: {names}")


def leaderboard(
    runs: list[Run], metric: str, split: str = "test", model: str | None = None
) -> list[Entry]:
    """The runs (of `model` only, when given) ranked best first by `metric` on `split`."""
    check_choice(runs, metric, split)
    if model:
        runs = [run for run in runs if run.model == model]
    scored = [(run, metric_value(run, metric, split)) for run in runs]
    sign = -1.0 if higher_is_better(metric) else 1.0
    # Ties keep the older run first: it got there first. Runs come newest first.
    ranked = sorted(
        ((r, v) for r, v in scored if v is not None), key=lambda pair: (sign * pair[1], pair[0].id)
    )
    entries = [Entry(position, run, value) for position, (run, value) in enumerate(ranked, 1)]
    return entries + [Entry(None, run, None) for run, value in scored if value is None]
