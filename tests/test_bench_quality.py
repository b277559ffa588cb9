"""The quality benchmark runs end to end in quick mode and reports a well-formed section.

Whether the goal is met is the benchmark's to say (bench/RESULTS.md), not a test's:
scores at a 5-second budget on a shared machine move from run to run.
"""

from __future__ import annotations

import math
import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import precision_recall_fscore_support

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
        low, high = map(float, re.fullmatch(r"\[(\S+), (\S+)\]", row["gap 95 % interval"]).groups())
        assert low <= high and -1 <= low and high <= 1
        share = re.fullmatch(r"(\d+\.\d) %", row["resamples ≥ FLAML"])
        assert share and 0 <= float(share.group(1)) <= 100
    assert "below FLAML" in goal.detail
    assert "FLAML" in section.notes and "same" in section.notes
    assert "paired bootstrap" in section.notes


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


def spec_of(task, classes=None):
    """The few fields of a spec the scoring reads."""
    return SimpleNamespace(task=task, classes=classes, target="y", n_jobs=1)


REGRESSION = spec_of("regression")
BINARY = spec_of("binary", ["no", "yes"])
THREE_CLASSES = spec_of("multiclass", ["a", "b", "c"])


def test_the_bootstrap_of_identical_predictions_is_a_gap_of_zero():
    y = np.random.default_rng(1).normal(size=80)
    predicted = y + np.random.default_rng(2).normal(size=80)
    score = bench_quality.metric_scorer(REGRESSION)
    gap = bench_quality.paired_bootstrap(score, y, predicted, predicted.copy(), resamples=300)
    assert (gap.low, gap.high, gap.share_at_least) == (0.0, 0.0, 1.0)
    assert gap.used == gap.resamples == 300 and gap.holds_zero
    assert gap.interval() == "[+0.0000, +0.0000]" and gap.share() == "100.0 %"


def test_clearly_better_predictions_give_an_interval_above_zero():
    rng = np.random.default_rng(3)
    y = rng.normal(size=100)
    noisy = y + rng.normal(scale=1.0, size=100)
    score = bench_quality.metric_scorer(REGRESSION)
    # Perfect values score R² 1 on every resample; the noisy ones about 0.
    gap = bench_quality.paired_bootstrap(score, y, y.copy(), noisy, resamples=300)
    assert 0.5 < gap.low < gap.high < 1.5 and gap.share_at_least == 1.0
    assert not gap.holds_zero
    # The same the other way round: below zero, no resample at least as good.
    worse = bench_quality.paired_bootstrap(score, y, noisy, y.copy(), resamples=300)
    assert (worse.low, worse.high) == pytest.approx((-gap.high, -gap.low))
    assert worse.share_at_least == 0.0

    positive = rng.random(120) < 0.4
    separating = np.where(positive, 0.9, 0.1)
    blurred = np.clip(separating + rng.normal(scale=0.6, size=120), 0, 1)
    auc = bench_quality.metric_scorer(BINARY)
    assert auc(positive, separating) == 1.0 and auc(positive, blurred) < 0.9
    gap = bench_quality.paired_bootstrap(auc, positive, separating, blurred, resamples=300)
    assert 0 < gap.low < gap.high <= 1 - auc(positive, blurred) + 0.1
    assert gap.share_at_least == 1.0 and gap.used == 300


def test_a_gap_of_one_row_is_within_the_noise():
    rng = np.random.default_rng(4)
    y = rng.normal(size=60)
    ours = y + rng.normal(scale=0.5, size=60)
    theirs = ours.copy()
    theirs[0] = y[0]  # theirs gets one row right that ours misses by 0.5
    score = bench_quality.metric_scorer(REGRESSION)
    gap = bench_quality.paired_bootstrap(score, y, ours, theirs, resamples=300)
    assert score(y, ours) < score(y, theirs)
    assert gap.low < 0 and gap.high == 0.0 and gap.holds_zero
    # The resamples that do not draw row 0 tie: about (1 - 1/60) ** 60, 36 %.
    assert 0.30 < gap.share_at_least < 0.43


def test_resamples_of_a_single_class_are_skipped_and_the_bounds_stay_finite():
    # One positive row in ten: about 0.9 ** 10, 35 % of the resamples hold no positive.
    positive = np.array([True] + [False] * 9)
    ours = np.linspace(1.0, 0.1, 10)  # the positive row ranked first
    theirs = np.array([0.5, 0.9, 0.8, 0.7, 0.6, 0.4, 0.3, 0.2, 0.15, 0.1])  # fifth
    auc = bench_quality.metric_scorer(BINARY)
    assert math.isnan(auc(positive[1:], ours[1:]))
    gap = bench_quality.paired_bootstrap(auc, positive, ours, theirs, resamples=500)
    assert 280 < gap.used < 370 and gap.resamples == 500
    assert math.isfinite(gap.low) and math.isfinite(gap.high)
    # Ours scores 1 on every resample; theirs 5/9 on the whole split, from 0 to 1 on one.
    assert auc(positive, ours) == 1.0 and auc(positive, theirs) == pytest.approx(5 / 9)
    assert 0 < gap.low < 1 - 5 / 9 < gap.high <= 1 and gap.share_at_least == 1.0
    assert gap.share() == f"100.0 % (of the {gap.used} of 500 resamples where it is defined)"


def test_macro_f1_of_a_resample_without_a_class_averages_over_every_class():
    f1 = bench_quality.metric_scorer(THREE_CLASSES)
    truth = np.array(["a", "a", "b", "b"], dtype=object)  # no "c" drawn
    predicted = np.array(["a", "b", "b", "b"], dtype=object)
    # F1 of a: 2/3, of b: 0.8, of c (neither true nor predicted): 0; over three classes.
    assert f1(truth, predicted) == pytest.approx((2 / 3 + 0.8 + 0) / 3)
    # What train.py's evaluate computes from the classes' positions.
    positions = {"a": 0, "b": 1, "c": 2}
    evaluated = precision_recall_fscore_support(
        [positions[t] for t in truth],
        [positions[p] for p in predicted],
        labels=[0, 1, 2],
        average="macro",
        zero_division=0,
    )[2]
    assert f1(truth, predicted) == evaluated


def test_both_sides_predictions_are_read_as_the_playground_scores_them():
    test = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0], "y": [0, 0, 1, 1, 2, 2]})
    # A float column's classes find the spec's integers.
    binary = spec_of("binary", [0, 1])
    assert (
        bench_quality.truth_of(binary, test.assign(y=[0.0, 1.0] * 3)).tolist()
        == [
            False,
            True,
        ]
        * 3
    )
    # The playground's pipeline predicts positions in the spec's classes.
    spec = spec_of("multiclass", ["low", "mid", "high"])
    model = LogisticRegression().fit(test[["x"]], test["y"])
    named = test.assign(y=test["y"].map(dict(enumerate(spec.classes))))
    truth = bench_quality.truth_of(spec, named)
    predicted = bench_quality.playground_predictions(spec, model, test[["x"]])
    assert truth.tolist() == ["low", "low", "mid", "mid", "high", "high"]
    assert predicted.tolist() == [spec.classes[p] for p in model.predict(test[["x"]])]
    assert bench_quality.metric_scorer(spec)(truth, predicted) == 1.0
    # FLAML predicts the classes themselves, its columns in the order of its classes_.
    automl = SimpleNamespace(
        classes_=np.array(["yes", "no"]),
        predict_proba=lambda features: np.array([[0.8, 0.2], [0.3, 0.7]]),
    )
    assert bench_quality.flaml_predictions(BINARY, automl, test[:2]).tolist() == [0.8, 0.3]
