"""The preview benchmark runs (quick sizes) and reports well-formed goals.

Whether the goals are met is for `make bench` on the real sizes: timings on a
shared CI machine are too noisy to assert on.
"""

from __future__ import annotations

import math

from bench import bench_preview
from runtime.steps import STEPS_BY_NAME


def test_the_spec_has_ten_steps_of_every_stage_in_catalog_order():
    steps = bench_preview.spec_steps()
    stages = [STEPS_BY_NAME[s["type"]].stage for s in steps]
    assert len(steps) == 10
    assert stages == sorted(stages, key=["clean", "derive", "learn"].index)
    assert set(stages) == {"clean", "derive", "learn"}


def test_quick_run_reports_both_goals_with_measured_ratios():
    section = bench_preview.run(quick=True)
    assert section.name == "preview"
    assert [g.limit for g in section.goals] == [1.3, 1.3]
    for goal in section.goals:
        assert math.isfinite(goal.measured) and goal.measured > 0
        assert "ms" in goal.detail and goal.unit == "×"
    assert len(section.table) == 2
    assert all(row["hand ms"] > 0 for row in section.table)
    assert section.notes.strip()
