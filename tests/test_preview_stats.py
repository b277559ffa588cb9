"""The preview's numbers stay exact while they are computed faster and reused.

Each number is compared with what plain pandas computes for it, on columns of
every kind and after edits that reuse an earlier frame's numbers; the frames
the cache holds are never changed by a later step, and the data's hash is
recomputed whenever the file may have changed.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest
from synthetic import make_frame, spec_dict, write_frame

from runtime import dataset, preview_stats
from runtime.executor import PrefixCache, Runner
from runtime.preview_stats import changed_columns, column_summary
from runtime.spec import parse_spec


def pandas_summary(df: pd.DataFrame) -> pd.DataFrame:
    """The summary as plain pandas computes it, column by column."""
    rows = []
    for name in df.columns:
        col = df[name]
        numeric = pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)
        present = numeric and col.notna().any()
        rows.append(
            {
                "column": name,
                "dtype": str(col.dtype),
                "missing": int(col.isna().sum()),
                "distinct": int(col.nunique()),
                "min": float(col.min()) if present else None,
                "max": float(col.max()) if present else None,
                "mean": float(col.mean()) if present else None,
            }
        )
    return pd.DataFrame(rows, columns=list(column_summary(df.head(0)).columns))


def every_kind(n: int = 500, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    floats = rng.normal(0, 1e6, n)
    floats[rng.random(n) < 0.2] = np.nan
    floats[:3] = [0.0, -0.0, 1e-300]
    few = rng.integers(0, 3, n).astype(float)
    few[rng.random(n) < 0.1] = -0.0
    return pd.DataFrame(
        {
            "float": floats,
            "few": few,
            "all_missing": np.full(n, np.nan),
            "int": rng.integers(-5, 5, n),
            "uint": rng.integers(0, 9, n).astype(np.uint8),
            "float32": rng.normal(0, 1, n).astype(np.float32),
            "bool": rng.random(n) < 0.5,
            "text": pd.Series(rng.choice(["a", "b", None], n), dtype="str"),
            "object": pd.Series(rng.choice(["x", "y"], n), dtype=object),
            "nullable": pd.array(rng.integers(0, 4, n), dtype="Int64"),
            "when": pd.to_datetime(rng.integers(0, 10**9, n), unit="s"),
            "category": pd.Categorical(rng.choice(["p", "q"], n)),
        }
    )


def test_every_number_is_what_pandas_computes_for_every_column_kind():
    df = every_kind()
    pd.testing.assert_frame_equal(column_summary(df), pandas_summary(df))
    empty = every_kind().head(0)
    pd.testing.assert_frame_equal(column_summary(empty), pandas_summary(empty))


def test_a_step_summary_reuses_unchanged_columns_and_equals_a_fresh_one(monkeypatch):
    before = every_kind()
    after = before.copy()
    after["float"] = after["float"] * 2.0  # changed
    after["few"] = after["few"].abs()  # -0.0 -> 0.0 only: equal values, unchanged
    after["added"] = 1.5
    after = after.drop(columns=["object"])
    column_summary(before)
    computed = []
    original = preview_stats.summary_row
    monkeypatch.setattr(
        preview_stats, "summary_row", lambda name, col: computed.append(name) or original(name, col)
    )
    summary = column_summary(after, before)
    assert computed == ["float", "added"]
    pd.testing.assert_frame_equal(summary, pandas_summary(after))
    assert changed_columns(before, after) == ["float"]


def test_changed_columns_keeps_the_meaning_of_series_equals():
    before = pd.DataFrame({"a": [1.0, np.nan, 0.0], "b": [1, 2, 3], "c": ["x", "y", None]})
    same = before.copy()
    same["a"] = [1.0, np.nan, -0.0]
    assert changed_columns(before, same) == []
    other = before.assign(b=before["b"].astype(float), c=["x", "y", "z"])
    assert changed_columns(before, other) == ["b", "c"]
    assert changed_columns(before, before.iloc[:2]) == []  # other rows: nothing to compare


def test_edits_keep_every_preview_number_exact_and_leave_cached_frames_alone(tmp_path):
    df = make_frame(n_rows=300, task="binary", seed=2)
    df.loc[df.index[:5], "cat_a"] = "?"
    write_frame(df, tmp_path)
    steps = [
        {"type": "drop_duplicates", "params": {"keep": "first"}},
        # Assigns to `df` in place: the cached frame of step 1 must not see it.
        {"type": "replace_values", "params": {"columns": ["cat_a"], "find": "?"}},
        {"type": "date_parts", "params": {"column": "when", "drop_original": True}},
        {"type": "clip", "params": {"columns": ["num_a"], "lower": 45.0, "upper": 55.0}},
        {"type": "impute_numeric", "params": {"columns": ["num_a", "num_b"]}},
        {"type": "scale", "params": {"columns": ["num_a", "num_b"], "method": "standard"}},
    ]
    cache = PrefixCache()
    runner = Runner(parse_spec(spec_dict(df, "binary", steps)), tmp_path, cache=cache)
    kept = runner.data_after(1).copy()
    first = [(p.summary, p.missing_before) for p in runner.previews()]
    pd.testing.assert_frame_equal(runner.data_after(1), kept)
    assert (runner.data_after(1)["cat_a"] == "?").sum() == 5

    for index, change in ((4, {"upper": 50.0}), (6, {"method": "minmax"}), (1, {"keep": "last"})):
        steps[index - 1]["params"].update(change)
        runner = Runner(parse_spec(spec_dict(df, "binary", steps)), tmp_path, cache=cache)
        for preview in runner.previews():
            before = runner._frame_before(preview.index).data
            after = runner.data_after(preview.index)
            pd.testing.assert_frame_equal(preview.summary, pandas_summary(after))
            assert preview.missing_before == int(before.isna().sum().sum())
            assert preview.missing_after == int(after.isna().sum().sum())
            pd.testing.assert_frame_equal(preview.head, after.head(10))
    assert first[0][1] == int(df.isna().sum().sum())


def test_the_data_hash_is_kept_only_while_the_file_is_unchanged(tmp_path, monkeypatch):
    path = tmp_path / "data.csv"
    path.write_text("a,b\n1,2\n")
    hashed = []
    monkeypatch.setattr(dataset, "_hash_file", lambda p: hashed.append(p) or f"h{len(hashed)}")
    monkeypatch.setattr(dataset, "DIGEST_SETTLE_NS", 0)
    assert dataset.sha256_of(path) == dataset.sha256_of(path) == "h1"
    stat = path.stat()
    path.write_text("a,b\n3,4\n")  # same size, and the same modification time again
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert dataset.sha256_of(path) == "h2"
    # A file that changed a moment ago may change again unseen: hashed every time.
    monkeypatch.setattr(dataset, "DIGEST_SETTLE_NS", 10**18)
    path.write_text("a,b\n5,6\n")
    assert [dataset.sha256_of(path), dataset.sha256_of(path)] == ["h3", "h4"]


@pytest.fixture(autouse=True)
def fresh_digests():
    dataset._DIGESTS.clear()
    yield
    dataset._DIGESTS.clear()
