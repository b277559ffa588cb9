"""The overhead benchmarks (training, code generation, start-up) run and report well-formed
sections. Whether their goals are met is for `make bench`: timings in a test are noisy."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

from bench import bench_codegen, bench_startup, bench_training
from bench.harness import Section


def assert_well_formed(section: Section, name: str) -> None:
    assert section.name == name and section.title
    assert section.goals, "a benchmark states at least one goal"
    for goal in section.goals:
        assert math.isfinite(goal.measured) and goal.measured > 0, goal
        assert goal.limit > 0 and goal.direction in ("max", "min") and goal.unit
        assert goal.detail, f"{goal.name}: the detail says what was compared"
    assert section.table and section.notes.strip()


def test_a_thirty_step_spec_has_thirty_steps_that_train():
    steps = bench_codegen.thirty_steps()
    assert len(steps) == 30
    assert len({step["type"] for step in steps}) >= 10


@pytest.mark.slow
def test_the_codegen_benchmark_reports_a_time():
    section = bench_codegen.run(quick=True)
    assert_well_formed(section, "codegen")
    assert section.goals[0].unit == "s"


@pytest.mark.slow
def test_the_startup_benchmark_compares_with_a_minimal_panel_app():
    section = bench_startup.run(quick=True)
    assert_well_formed(section, "startup")
    assert "minimal Panel app" in section.goals[0].detail


@pytest.mark.slow
def test_the_training_benchmark_compares_three_paths_with_the_same_metrics():
    section = bench_training.run(quick=True)
    assert_well_formed(section, "training")
    names = [goal.name for goal in section.goals]
    assert names == [
        "Runner.run / hand-written",
        "UI click to metrics shown / hand-written",
        "exported train.py / Runner.run",
    ]
    # train.py's work timed in its own process, with the older wall difference beside it.
    assert "older measure" in section.goals[2].detail
    paths = [row["path"] for row in section.table]
    assert "… train.py's work as a wall difference / Runner.run (same pairs)" in paths
    work = next(row for row in section.table if row["path"].startswith("train.py's work: run"))
    whole = next(row for row in section.table if row["path"] == "… the whole process (wall)")
    assert 0 < work["seconds"] < whole["seconds"]


def test_the_hand_written_script_reports_what_the_runtime_reports(tmp_path):
    from runtime.executor import PrefixCache, Runner

    data_path = bench_training.write_data(tmp_path, 400)
    model = {**bench_training.MODEL, "params": {"max_iter": 10}}
    spec = bench_training.make_spec(data_path, model=model)
    by_hand = bench_training.by_hand(data_path, max_iter=10)
    runtime = Runner(spec, tmp_path, cache=PrefixCache()).run().metrics
    # The same steps, split and model: the same numbers, so the comparison is fair.
    assert bench_training._largest_gap(runtime, by_hand) < 1e-9


def _small_bundle(tmp_path):
    from bench.bench_training import _export

    data_path = bench_training.write_data(tmp_path, 400)
    model = {**bench_training.MODEL, "params": {"max_iter": 10}}
    spec = bench_training.make_spec(data_path, model=model)
    _export(spec, tmp_path, tmp_path / "bundle")
    return spec, tmp_path / "bundle"


@pytest.mark.slow
def test_train_py_is_timed_in_a_new_process_doing_all_its_work(tmp_path):
    from runtime.executor import PrefixCache, Runner

    spec, bundle = _small_bundle(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / "metrics.json").write_text("{}")  # left from an earlier run: emptied first
    timed = bench_training.timed_train(bundle, out, again=True)
    # The timed run is part of the process, which also started Python and imported.
    assert 0 < timed.seconds < timed.wall and timed.cpu > 0
    assert 0 < timed.again < timed.wall - timed.seconds and timed.again_cpu > 0
    # The timed part did all of train.py's work: it printed the table, wrote both files.
    assert "accuracy" in timed.printed and "model.joblib" in timed.printed
    metrics = json.loads((out / "metrics.json").read_text())["metrics"]
    assert (out / "model.joblib").stat().st_size > 0
    # The same numbers as `python train.py` and Runner.run.
    plain = tmp_path / "plain"
    done = subprocess.run(
        [sys.executable, "train.py", "--out", str(plain)],
        check=False,
        cwd=bundle,
        capture_output=True,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads((plain / "metrics.json").read_text())["metrics"] == metrics
    runtime = Runner(spec, tmp_path, cache=PrefixCache()).run().metrics
    assert bench_training._largest_gap(runtime, metrics) < 1e-9


@pytest.mark.slow
def test_a_train_py_that_works_when_imported_is_refused(tmp_path):
    _, bundle = _small_bundle(tmp_path)
    script = bundle / "train.py"
    # The import would then time part of the work outside the measure.
    script.write_text(script.read_text() + "\nprint('trained on import')\n")
    with pytest.raises(RuntimeError, match="importing train.py"):
        bench_training.timed_train(bundle, tmp_path / "out")
