"""The quality benchmark runs end to end in quick mode and reports a well-formed section.

Whether the goal is met is the benchmark's to say (bench/RESULTS.md), not a test's:
scores at a 5-second budget on a shared machine move from run to run.
"""

from __future__ import annotations

import math

import pytest

from bench import bench_quality


@pytest.mark.slow
def test_quick_run_compares_both_sides_on_every_dataset():
    section = bench_quality.run(quick=True)
    assert section.name == "quality"
    [goal] = section.goals
    assert math.isfinite(goal.measured) and 0 <= goal.measured <= len(section.table)
    assert goal.direction == "min" and "FLAML" in goal.detail
    assert [row["dataset"] for row in section.table] == ["wine", "diabetes"]
    for row in section.table:
        assert math.isfinite(row["playground"]) and math.isfinite(row["FLAML"])
        assert row["gap"] == pytest.approx(row["playground"] - row["FLAML"], abs=1e-3)
        assert row["trials"] >= 1 and row["test rows"] > 0
    assert "FLAML" in section.notes and "same" in section.notes


def test_the_sklearn_datasets_are_the_shared_csvs(tmp_path, monkeypatch):
    # Without the shared folder, the bundled datasets come from scikit-learn, same columns.
    monkeypatch.setenv("PLAYGROUND_BENCH_DATASETS", str(tmp_path))
    wine = next(d for d in bench_quality.DATASETS if d.file == "wine.csv")
    frame = bench_quality.read_dataset(wine)
    assert frame.shape == (178, 14) and frame["cultivar"].nunique() == 3
    with pytest.raises(FileNotFoundError, match="PLAYGROUND_BENCH_DATASETS"):
        bench_quality.read_dataset(bench_quality.DATASETS[0])


def test_a_few_datasets_can_be_chosen_to_study(monkeypatch):
    monkeypatch.setenv("PLAYGROUND_BENCH_QUALITY_ONLY", "penguins, diabetes")
    chosen = [d.file for d in bench_quality.chosen_datasets(quick=False)]
    assert chosen == ["penguins.csv", "diabetes.csv"]
    monkeypatch.delenv("PLAYGROUND_BENCH_QUALITY_ONLY")
    assert len(bench_quality.chosen_datasets(quick=False)) == 8
    assert [d.file for d in bench_quality.chosen_datasets(quick=True)] == [
        "wine.csv",
        "diabetes.csv",
    ]
