"""What the learned steps without a single scikit-learn counterpart do.

test_catalog_conformance.py checks every step against the runtime's preview;
here the behaviour itself: rare categories grouped as learned from the
training rows (and the fitted step surviving joblib as the exported model
does), and model-based selection keeping the informative column.
"""

from __future__ import annotations

import importlib.util
import sys

import joblib
import numpy as np
import pandas as pd
import pytest
from synthetic import make_frame, spec_dict

from generator.render import render_preprocessing
from runtime.spec import parse_spec


def preprocessing_module(tmp_path, monkeypatch, steps: list[dict], task: str = "binary"):
    """The rendered preprocessing.py, written to a file and imported as `preprocessing`,
    as the exported project imports it (so that pickles refer to it by name)."""
    spec = parse_spec(spec_dict(make_frame(n_rows=20, task=task), task, steps))
    path = tmp_path / "preprocessing.py"
    path.write_text(render_preprocessing(spec))
    module_spec = importlib.util.spec_from_file_location("preprocessing", path)
    module = importlib.util.module_from_spec(module_spec)
    monkeypatch.setitem(sys.modules, "preprocessing", module)
    module_spec.loader.exec_module(module)
    return module


def frame(cat_a: list) -> pd.DataFrame:
    """Feature rows of the synthetic spec with the given cat_a values."""
    base = make_frame(n_rows=len(cat_a), duplicate=False).drop(columns="target")
    base["cat_a"] = pd.Series(cat_a, dtype="str")
    return base


# -- rare categories ------------------------------------------------------------


def test_rare_categories_are_learned_on_the_fit_rows_and_survive_joblib(tmp_path, monkeypatch):
    module = preprocessing_module(
        tmp_path,
        monkeypatch,
        [{"type": "rare_categories", "params": {"columns": ["cat_a"], "min_share": 0.1}}],
    )
    # 'c' holds 1 of the 21 rows with a value (under 10 %); the gaps do not count.
    train = frame(["a"] * 10 + ["b"] * 10 + ["c"] + [None] * 2)
    pipeline = module.build_preprocessing().fit(train)
    # New rows: a kept category, the rare one, one never seen, a gap. 'c' stays
    # rare although these rows are full of it: only the fit rows decide.
    new = frame(["a", "c", "c", "never seen", None])

    out = pipeline.transform(new)
    assert out["cat_a"].fillna("(gap)").tolist() == ["a", "other", "other", "other", "(gap)"]
    # Only the chosen column changes.
    pd.testing.assert_frame_equal(out.drop(columns="cat_a"), new.drop(columns="cat_a"))

    # The model file holds the fitted step; loaded back it maps rows the same way.
    joblib.dump(pipeline, tmp_path / "model.joblib")
    loaded = joblib.load(tmp_path / "model.joblib")
    pd.testing.assert_frame_equal(loaded.transform(new), out)


def test_rare_categories_min_count_and_label(tmp_path, monkeypatch):
    params = {"columns": ["cat_a"], "min_share": 0.0, "min_count": 5, "other": "Rare 'x'"}
    module = preprocessing_module(
        tmp_path, monkeypatch, [{"type": "rare_categories", "params": params}]
    )
    train = frame(["a"] * 5 + ["b"] * 4)
    out = module.build_preprocessing().fit_transform(train)
    assert out["cat_a"].tolist() == ["a"] * 5 + ["Rare 'x'"] * 4


def test_rare_categories_refuse_numbers_with_what_to_do(tmp_path, monkeypatch):
    module = preprocessing_module(
        tmp_path,
        monkeypatch,
        [{"type": "rare_categories", "params": {"columns": ["num_a"]}}],
    )
    with pytest.raises(TypeError, match=r"'num_a' holds numbers.*change its type to category"):
        module.build_preprocessing().fit(frame(["a"] * 5))


# -- model-based selection -----------------------------------------------------------


def informative_frame(n: int = 200) -> tuple[pd.DataFrame, np.ndarray]:
    """num_a decides the target; num_b and num_c are noise."""
    X = make_frame(n_rows=n, duplicate=False).drop(columns="target")
    rng = np.random.default_rng(1)
    X["num_a"] = rng.normal(size=n)
    X["num_b"] = rng.normal(size=n)
    X["num_c"] = rng.normal(size=n)
    return X, (X["num_a"] > 0).astype(int).to_numpy()


@pytest.mark.parametrize(
    "params, n_kept",
    [
        ({"threshold": "mean"}, 1),
        # Factor 0 keeps every column; max_features then keeps the most important.
        ({"threshold": "median", "factor": 0.0, "max_features": 2}, 2),
        ({"threshold": "mean", "factor": 0.0}, 3),
    ],
)
def test_select_from_model_keeps_the_informative_column(tmp_path, monkeypatch, params, n_kept):
    columns = ["num_a", "num_b", "num_c"]
    module = preprocessing_module(
        tmp_path,
        monkeypatch,
        [{"type": "select_from_model", "params": {"columns": columns, **params}}],
    )
    X, y = informative_frame()
    first = module.build_preprocessing().fit_transform(X, y)
    selected = [c for c in columns if c in first.columns]
    assert len(selected) == n_kept and "num_a" in selected
    # The other columns pass through, after the selected ones.
    assert list(first.columns) == selected + ["cat_a", "cat_b", "when"]
    # Seeded: a second fit chooses the same columns with the same values.
    pd.testing.assert_frame_equal(module.build_preprocessing().fit_transform(X, y), first)


def test_select_from_model_uses_a_forest_for_the_task(tmp_path, monkeypatch):
    steps = [{"type": "select_from_model", "params": {"columns": ["num_a", "num_b"]}}]
    for task, forest in (("regression", "Regressor"), ("binary", "Classifier")):
        module = preprocessing_module(tmp_path, monkeypatch, steps, task=task)
        selector = module.build_preprocessing()[0].transformers[0][1]
        assert type(selector.estimator).__name__ == f"RandomForest{forest}"
        assert selector.estimator.random_state == module.SEED
