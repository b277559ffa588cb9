"""Start-up: `playground serve` ready to answer, against a minimal Panel app served alike.

Both start as subprocesses on a free port; the time is from starting the process to
the first 200 answer of the app's page.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from bench.harness import Goal, Section, ratio

LIMIT_SECONDS = 3.0
# A page that never answers within this long is a failure, not a slow start.
GIVE_UP_SECONDS = 120.0
MINIMAL_APP = """
import sys
import panel as pn
pn.serve(pn.pane.Markdown("ready"), port=int(sys.argv[1]), show=False)
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def seconds_to_first_page(command: list[str], port: int, env: dict) -> float:
    """Start `command`, poll http://127.0.0.1:port/ until it answers 200, stop it."""
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        while time.perf_counter() - start < GIVE_UP_SECONDS:
            if process.poll() is not None:
                raise RuntimeError(f"{command} exited: {process.stderr.read().decode()[-2000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30) as answer:
                    if answer.status == 200:
                        return time.perf_counter() - start
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.02)
        raise RuntimeError(f"{command} gave no page within {GIVE_UP_SECONDS:.0f} s")
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run(quick: bool = False) -> Section:
    repeat = 1 if quick else 5
    section = Section(name="startup", title="Start-up")
    playground = Path(sys.executable).with_name("playground")
    serve = [str(playground), "serve"] if playground.exists() else None
    if serve is None:  # not installed as a script: the same command through Python
        serve = [sys.executable, "-m", "playground_ui.cli", "serve"]
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as home:
        env = {**os.environ, "PLAYGROUND_HOME": home}
        served, minimal = [], []
        for _ in range(repeat):  # alternated, so that both meet the same neighbours
            port = free_port()
            minimal.append(
                seconds_to_first_page([sys.executable, "-c", MINIMAL_APP, str(port)], port, env)
            )
            port = free_port()
            served.append(seconds_to_first_page([*serve, "--port", str(port)], port, env))
    playground_seconds = statistics.median(served)
    panel_seconds = statistics.median(minimal)
    section.goals = [
        Goal(
            "playground serve: first page",
            playground_seconds,
            LIMIT_SECONDS,
            unit="s",
            detail=f"playground serve {playground_seconds:.2f} s / minimal Panel app "
            f"{panel_seconds:.2f} s = {ratio(playground_seconds, panel_seconds):.2f}×, "
            "from process start to the first 200 of the page.",
        )
    ]
    section.table = [
        {"server": "playground serve", "median s": playground_seconds, "runs": served},
        {"server": "minimal Panel app", "median s": panel_seconds, "runs": minimal},
    ]
    section.notes = NOTES + LIMITS.format(
        panel=panel_seconds, extra=playground_seconds - panel_seconds
    )
    return section


NOTES = """\
How it was measured: `playground serve --port PORT` (the console script of the
venv) and a minimal Panel app (`pn.serve` of one Markdown pane) each start as a
subprocess on a free port, alternately, with an empty PLAYGROUND_HOME; the time runs
from starting the process to the first 200 answer to GET / (the page of a new
session, so the playground builds its first page once). Medians of the runs.
"""

LIMITS = """
What limits it: the minimal Panel app alone took {panel:.2f} s here (importing Panel and
Bokeh and starting Tornado), so on this shared machine the 3 s limit leaves the
playground little room; its own {extra:.2f} s on top are imports the first page needs
(`python -X importtime`, shares of the whole start on a busy machine: pandas ~17 %,
SQLAlchemy for the store ~9 %, the pydantic spec models ~9 %, the playground's own
modules) and building the first page.
What was done (profiled with cProfile and `-X importtime`): the app built all eight tabs'
widgets for every new page (`pn.Tabs(dynamic=True)` defers only the browser's models),
~1 s of the first page on a busy machine, the Runs tab's table alone ~0.5 s; now a tab is
built when first shown (app.StageViews; each tab's counters exist from the start, so a
tab built later starts from the current state). Imports the first page does not use are
deferred: optuna (runtime.tuning, ~0.3 s) until tuning starts, joblib (~0.15 s) until a
run is saved or its plots read, bokeh.plotting (~0.2 s) until a live training curve is
drawn; scikit-learn and xgboost warm up in a background thread after the first page has
loaded; black, nbformat and matplotlib are imported when first used. Left: pandas,
SQLAlchemy (the store lists the projects on the first page) and the spec's pydantic
models are imported by modules every page uses (the views, the store); deferring them
would mean restructuring those modules.
"""
