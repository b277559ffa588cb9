"""The serving benchmark runs end to end at quick sizes and reports well-formed goals
(not that they are met: timings on a shared machine are noisy)."""

from __future__ import annotations

import math

import pytest

from bench import bench_serving

pytestmark = pytest.mark.slow


def test_quick_run_reports_both_goals_with_finite_values():
    section = bench_serving.run(quick=True)
    assert section.name == "serving"
    assert [g.unit for g in section.goals] == ["ms", "%"]
    for goal in section.goals:
        assert math.isfinite(goal.measured), goal
        assert goal.detail and goal.limit > 0
    assert "predictions identical: True" in section.goals[1].detail
    assert len(section.table) >= 4 and section.notes.strip()
    # The README's server is compared with plain uvicorn in the same run.
    stacks = {
        row["measure"].split(":")[0] for row in section.table if "HTTP stack" in row["measure"]
    }
    assert "HTTP stack h11 + asyncio (plain uvicorn)" in stacks and len(stacks) == 2
