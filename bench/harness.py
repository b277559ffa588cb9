"""What every benchmark shares: timing, goals against baselines, the results files."""

from __future__ import annotations

import gc
import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
RESULTS_MD = BENCH_DIR / "RESULTS.md"


@dataclass
class Goal:
    """One goal of issue 7: a measured value against a limit, usually a ratio to a
    baseline measured in the same run."""

    name: str
    measured: float
    limit: float
    # "max": measured must be <= limit (a cost); "min": >= limit (a quality or a rate).
    direction: str = "max"
    unit: str = "×"
    # What the ratio compares, e.g. "preview 41 ms / plain pandas 38 ms".
    detail: str = ""

    @property
    def met(self) -> bool:
        if self.direction == "max":
            return self.measured <= self.limit
        return self.measured >= self.limit


@dataclass
class Section:
    """A benchmark's results: its goals, a table of raw numbers, and notes (markdown)
    saying how it was measured and, for a goal not met, what limits it."""

    name: str
    title: str
    goals: list[Goal] = field(default_factory=list)
    table: list[dict[str, Any]] = field(default_factory=list)
    notes: str = ""
    quick: bool = False
    seconds: float = 0.0
    machine: dict[str, Any] = field(default_factory=dict)
    when: str = ""


def timed(fn: Callable[[], Any], repeat: int = 5, warmup: int = 1) -> float:
    """The median wall time of `fn` in seconds over `repeat` runs after `warmup`.

    The median, because these machines are shared: one slow run from a neighbour
    should not decide a ratio."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def ratio(measured: float, baseline: float) -> float:
    return measured / baseline if baseline > 0 else float("inf")


def machine() -> dict[str, Any]:
    import numpy
    import pandas
    import sklearn

    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(terse=True),
        "pandas": pandas.__version__,
        "numpy": numpy.__version__,
        "scikit-learn": sklearn.__version__,
    }


def save(section: Section) -> Path:
    RESULTS_DIR.mkdir(exist_ok=True)
    section.machine = section.machine or machine()
    section.when = section.when or datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    path = RESULTS_DIR / f"{section.name}.json"
    path.write_text(json.dumps(asdict(section), indent=2, default=str) + "\n")
    return path


def load_all() -> list[Section]:
    sections = []
    for path in sorted(RESULTS_DIR.glob("*.json")):
        data = json.loads(path.read_text())
        goals = [Goal(**g) for g in data.pop("goals")]
        sections.append(Section(goals=goals, **data))
    return sections


def _number(value: float, unit: str) -> str:
    if unit == "×":
        return f"{value:.2f}×"
    if unit == "%":
        return f"{value:.1f} %"
    return f"{value:.3g} {unit}".strip()


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value).replace("|", "\\|").replace("\n", " ")


def render_markdown(sections: list[Section], order: list[str]) -> str:
    rank = {name: i for i, name in enumerate(order)}
    sections = sorted(sections, key=lambda s: rank.get(s.name, len(rank)))
    lines = [
        "# Benchmark results",
        "",
        "Written by `make bench` (`python -m bench`); do not edit by hand. Every ratio",
        "compares the playground with a plain pandas/scikit-learn baseline measured in the",
        "same run on the same machine. Times are medians of repeated runs.",
        "",
        "| benchmark | goal | measured | limit | met |",
        "|---|---|---|---|---|",
    ]
    for section in sections:
        for goal in section.goals:
            sign = "≤" if goal.direction == "max" else "≥"
            lines.append(
                f"| {section.title} | {goal.name} | {_number(goal.measured, goal.unit)} | "
                f"{sign} {_number(goal.limit, goal.unit)} | {'yes' if goal.met else '**no**'} |"
            )
    for section in sections:
        lines += ["", f"## {section.title}", ""]
        quick = " (quick run: smaller sizes, not the goal's)" if section.quick else ""
        machine_text = ", ".join(f"{k} {v}" for k, v in section.machine.items())
        lines.append(f"Measured {section.when} in {section.seconds:.0f} s{quick}; {machine_text}.")
        lines.append("")
        for goal in section.goals:
            mark = "met" if goal.met else "**not met**"
            lines.append(
                f"- {goal.name}: {_number(goal.measured, goal.unit)} ({mark}). {goal.detail}"
            )
        if section.table:
            columns = list(dict.fromkeys(k for row in section.table for k in row))
            lines += ["", "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
            for row in section.table:
                lines.append("| " + " | ".join(_cell(row.get(c, "")) for c in columns) + " |")
        if section.notes.strip():
            lines += ["", section.notes.strip()]
    return "\n".join(lines) + "\n"
