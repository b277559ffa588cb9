"""Split kinds and cross-validation, run through the rendered code."""

import numpy as np
import pandas as pd
import pytest

from runtime.executor import PrefixCache, RunError, Runner
from runtime.spec import SpecError, parse_spec


def make_data(path, rows: int = 240) -> None:
    rng = np.random.default_rng(0)
    days = pd.date_range("2024-01-01", periods=rows, freq="D")
    frame = pd.DataFrame(
        {
            # Shuffled, so that a time split has to sort.
            "day": rng.permutation(days.strftime("%Y-%m-%d").to_numpy()),
            "store": rng.choice([f"s{i}" for i in range(12)], rows),
            "x1": rng.normal(size=rows),
            "x2": rng.normal(size=rows),
        }
    )
    frame["label"] = np.where(frame["x1"] + 0.5 * rng.normal(size=rows) > 0, "yes", "no")
    frame.to_csv(path, index=False)


def spec_for(split: dict, cv_folds: int | None = None) -> dict:
    return {
        "spec_version": 2,
        "name": "splits",
        "task": "binary",
        "dataset": {"path": "data.csv", "format": "csv"},
        "columns": [
            {"name": "day", "type": "datetime", "role": "ignore"},
            {"name": "store", "type": "categorical", "role": "ignore"},
            {"name": "x1", "type": "numeric"},
            {"name": "x2", "type": "numeric"},
            {"name": "label", "type": "categorical", "role": "target"},
        ],
        "classes": ["no", "yes"],
        "split": split,
        "model": {"type": "logistic_regression"},
        "evaluation": {"cv_folds": cv_folds},
    }


@pytest.fixture()
def folder(tmp_path):
    make_data(tmp_path / "data.csv")
    return tmp_path


def run(folder, split: dict, cv_folds: int | None = None):
    runner = Runner(parse_spec(spec_for(split, cv_folds)), folder, cache=PrefixCache())
    return runner, runner.run()


def test_time_split_trains_on_the_past_and_tests_on_the_future(folder):
    split = {"kind": "time", "time_column": "day", "train": 0.5, "validation": 0.25, "test": 0.25}
    runner, result = run(folder, split)
    parts = runner.split_frames()
    days = {name: pd.to_datetime(part["day"]) for name, part in parts.items()}
    assert days["train"].max() < days["validation"].min()
    assert days["validation"].max() < days["test"].min()
    assert result.report["rows"] == {"train": 120, "validation": 60, "test": 60}


def test_group_split_keeps_every_group_in_one_part(folder):
    split = {"kind": "group", "group_column": "store", "train": 0.6, "validation": 0.2, "test": 0.2}
    runner, _ = run(folder, split)
    parts = runner.split_frames()
    stores = {name: set(part["store"]) for name, part in parts.items()}
    assert not stores["train"] & stores["validation"]
    assert not stores["train"] & stores["test"]
    assert not stores["validation"] & stores["test"]
    assert sum(len(p) for p in parts.values()) == 240


@pytest.mark.parametrize(
    "split",
    [
        {"kind": "random", "train": 0.6, "validation": 0.2, "test": 0.2},
        {"kind": "time", "time_column": "day", "train": 0.6, "validation": 0.2, "test": 0.2},
        {"kind": "group", "group_column": "store", "train": 0.6, "validation": 0.2, "test": 0.2},
    ],
    ids=["stratified", "time", "group"],
)
def test_cross_validation_reports_mean_and_spread(folder, split):
    _, result = run(folder, split, cv_folds=4)
    cv = result.report["cross_validation"]
    assert cv["folds"] == 4
    assert set(cv["mean"]) == set(cv["std"])
    assert {"accuracy", "f1_macro", "log_loss"} <= set(cv["mean"])
    assert 0.5 < cv["mean"]["accuracy"] <= 1.0
    assert all(value >= 0 for value in cv["std"].values())


def test_split_needs_its_column():
    with pytest.raises(SpecError, match="split.time_column"):
        parse_spec(spec_for({"kind": "time"}))
    with pytest.raises(SpecError, match="'nope' is not a column"):
        parse_spec(spec_for({"kind": "group", "group_column": "nope"}))


def test_a_training_split_with_one_class_is_explained(folder):
    data = pd.read_csv(folder / "data.csv")
    data["label"] = np.where(data["day"] < "2024-05-01", "no", "yes")
    data.to_csv(folder / "data.csv", index=False)
    split = {"kind": "time", "time_column": "day", "train": 0.45, "validation": 0.1, "test": 0.45}
    with pytest.raises(RunError, match="only the class 'no' after a time split ordered by 'day'"):
        run(folder, split)
