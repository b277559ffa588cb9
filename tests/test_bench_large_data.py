"""The large-data benchmark runs (quick sizes) and reports well-formed goals; whether
the goals are met is for `make bench` on a quiet machine, not for this test."""

from __future__ import annotations

import math

import pandas as pd

from bench import bench_large_data


def test_quick_run_reports_finite_goals_with_details():
    section = bench_large_data.run(quick=True)
    assert section.name == "large_data"
    assert {g.name for g in section.goals} == {
        "load + profile + preview time",
        "peak memory / frame size",
    }
    for goal in section.goals:
        assert math.isfinite(goal.measured) and goal.measured > 0, goal
        assert "pandas by hand" in goal.detail
    paths = [row["path"] for row in section.table]
    assert any(p.startswith("playground") for p in paths)
    assert any(p.startswith("pandas by hand") for p in paths)
    assert "baseline" in section.notes


def test_generated_csv_has_the_promised_columns(tmp_path):
    path = tmp_path / "large.csv"
    bench_large_data.make_csv(500, path)
    df = pd.read_csv(path)
    assert df.shape == (500, 20)
    assert df.isna().any().sum() >= 5  # gaps in numbers, categories and dates
    assert pd.to_datetime(df["date_0"].dropna()).notna().all()
    assert set(df["target"]) == {"yes", "no"}
