"""The start-up benchmark runs end to end at quick sizes and reports a well-formed goal
(not that it is met: timings on a shared machine are noisy)."""

from __future__ import annotations

import math

import pytest

from bench import bench_startup

pytestmark = pytest.mark.slow


def test_quick_run_reports_the_first_page_against_a_minimal_panel_app():
    section = bench_startup.run(quick=True)
    assert section.name == "startup"
    (goal,) = section.goals
    assert goal.unit == "s" and goal.limit == bench_startup.LIMIT_SECONDS
    assert math.isfinite(goal.measured) and goal.measured > 0
    assert "minimal Panel app" in goal.detail
    assert [row["server"] for row in section.table] == ["playground serve", "minimal Panel app"]
    assert all(len(row["runs"]) == 1 for row in section.table)
    assert section.notes.strip()
