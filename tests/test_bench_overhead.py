"""The overhead benchmarks (training, code generation, start-up) run and report well-formed
sections. Whether their goals are met is for `make bench`: timings in a test are noisy."""

from __future__ import annotations

import math

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


def test_the_hand_written_script_reports_what_the_runtime_reports(tmp_path):
    from runtime.executor import PrefixCache, Runner

    data_path = bench_training.write_data(tmp_path, 400)
    model = {**bench_training.MODEL, "params": {"max_iter": 10}}
    spec = bench_training.make_spec(data_path, model=model)
    by_hand = bench_training.by_hand(data_path, max_iter=10)
    runtime = Runner(spec, tmp_path, cache=PrefixCache()).run().metrics
    # The same steps, split and model: the same numbers, so the comparison is fair.
    assert bench_training._largest_gap(runtime, by_hand) < 1e-9
