"""The numbers a step preview shows, computed once per column and reused.

A preview shows, for the frame after a step, a summary row per column (dtype,
missing, distinct, min, max, mean), the missing values before and after, and
which columns the step changed. Most steps change a few columns of a wide
frame, so the summary row of a column the step left unchanged (same rows,
same dtype, equal values) is the row of the frame before it: each frame keeps
the rows computed for it, and a step's preview computes only the columns it
changed. Frames the preview cache holds are never modified in place, which is
what makes keeping their numbers safe.

Every number is exact: the fast path for numpy numbers gives what pandas
gives (tests/test_preview_stats.py compares them).
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass
class _FrameStats:
    rows: dict[str, dict] = field(default_factory=dict)  # column -> summary row
    missing: dict[str, int] = field(default_factory=dict)  # column -> missing count
    # The columns found unchanged against one earlier frame (held weakly).
    compared: tuple[weakref.ref, frozenset[str] | None] | None = None


_STATS: dict[int, tuple[weakref.ref, _FrameStats]] = {}
_LOCK = threading.Lock()


def _stats(df: pd.DataFrame) -> _FrameStats | None:
    """The numbers kept for this frame object (None when its column names repeat,
    as they then do not name one column)."""
    if not df.columns.is_unique:
        return None
    key = id(df)
    with _LOCK:
        entry = _STATS.get(key)
        if entry is not None and entry[0]() is df:
            return entry[1]
        stats = _FrameStats()
        # Forget the numbers with the frame; the callback runs before its id can be reused.
        _STATS[key] = (weakref.ref(df, lambda _, key=key: _STATS.pop(key, None)), stats)
        return stats


def _numpy_numbers(col: pd.Series) -> np.ndarray | None:
    """The values of a column of numpy ints or float64 (not bool, not nullable; pandas sums
    narrower floats in their own precision, so those take pandas' own path)."""
    dtype = col.dtype
    if isinstance(dtype, np.dtype) and (dtype.kind in "iu" or dtype == np.float64):
        return col.to_numpy()
    return None


def summary_row(name: str, col: pd.Series) -> dict:
    """dtype, missing count, distinct count and numeric range of one column."""
    values = _numpy_numbers(col)
    if values is None:
        return _pandas_summary_row(name, col)
    mask = np.isnan(values) if values.dtype.kind == "f" else None
    present = values if mask is None else values[~mask]
    row = {"column": name, "dtype": str(col.dtype), "missing": len(values) - len(present)}
    if len(present) == 0:
        return {**row, "distinct": 0, "min": None, "max": None, "mean": None}
    # Sorting counts distinct values several times faster than hashing floats;
    # != treats 0.0 and -0.0 as one value, as pandas' nunique does.
    ordered = np.sort(present)
    distinct = 1 + int(np.count_nonzero(ordered[1:] != ordered[:-1]))
    if mask is None:
        low, high = values.min(), values.max()
        total = values.sum(dtype=np.float64)
    else:
        # As pandas' nanops: gaps filled with the neutral value, then one reduction.
        low, high = np.where(mask, np.inf, values).min(), np.where(mask, -np.inf, values).max()
        total = np.where(mask, 0.0, values).sum(dtype=np.float64)
    return {
        **row,
        "distinct": distinct,
        "min": float(low),
        "max": float(high),
        "mean": float(total / np.float64(len(present))),
    }


def _pandas_summary_row(name: str, col: pd.Series) -> dict:
    numeric = pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)
    present = numeric and col.notna().any()
    return {
        "column": name,
        "dtype": str(col.dtype),
        "missing": int(col.isna().sum()),
        "distinct": int(col.nunique()),
        "min": float(col.min()) if present else None,
        "max": float(col.max()) if present else None,
        "mean": float(col.mean()) if present else None,
    }


def column_summary(df: pd.DataFrame, before: pd.DataFrame | None = None) -> pd.DataFrame:
    """A summary row per column of `df`; with `before` (the frame a step received),
    the rows of columns the step left unchanged are taken from it."""
    stats = _stats(df)
    if stats is None:
        return pd.DataFrame([summary_row(name, df.iloc[:, i]) for i, name in enumerate(df.columns)])
    unchanged = unchanged_columns(before, df) if before is not None else None
    earlier = _stats(before) if unchanged else None
    rows = []
    for name in df.columns:
        row = stats.rows.get(name)
        if row is None and earlier is not None and name in unchanged:
            row = earlier.rows.get(name)
        if row is None:
            row = summary_row(name, df[name])
        stats.rows[name] = row
        if earlier is not None and name in unchanged:
            earlier.rows.setdefault(name, row)  # the same column there: the next edit reuses it
        rows.append(row)
    return pd.DataFrame(
        rows, columns=["column", "dtype", "missing", "distinct", "min", "max", "mean"]
    )


def missing_count(df: pd.DataFrame) -> int:
    """The missing values in the whole frame."""
    stats = _stats(df)
    if stats is None:
        return int(df.isna().sum().sum())
    todo = [name for name in df.columns if name not in stats.missing]
    for name in todo:
        row = stats.rows.get(name)
        stats.missing[name] = row["missing"] if row else int(df[name].isna().sum())
    return sum(stats.missing[name] for name in df.columns)


def _same_values(a: pd.Series, b: pd.Series) -> bool:
    """Series.equals (same dtype, equal values, gaps in the same places), faster for numpy
    arrays, and without comparing a column that is the very same memory."""
    if a.dtype != b.dtype:
        return False
    if not isinstance(a.dtype, np.dtype) or a.dtype.kind not in "iufb":
        return a.equals(b)
    x, y = a.to_numpy(), b.to_numpy()
    if x.shape != y.shape:
        return False
    if x.ctypes.data == y.ctypes.data and x.strides == y.strides:
        return True
    return bool(np.array_equal(x, y, equal_nan=x.dtype.kind == "f"))


def unchanged_columns(before: pd.DataFrame, after: pd.DataFrame) -> frozenset[str] | None:
    """The columns of `after` the step left as they were in `before`: same rows, dtype and
    values. None when the rows differ (then no column can be compared)."""
    stats = _stats(after)
    if stats is not None and stats.compared is not None and stats.compared[0]() is before:
        return stats.compared[1]
    if not before.index.equals(after.index):
        unchanged = None
    elif not (before.columns.is_unique and after.columns.is_unique):
        shared = [c for c in after.columns if c in before.columns]
        unchanged = frozenset(c for c in shared if after[c].equals(before[c]))
    else:
        shared = [c for c in after.columns if c in before.columns]
        unchanged = frozenset(c for c in shared if _same_values(before[c], after[c]))
    if stats is not None:
        stats.compared = (weakref.ref(before), unchanged)
    return unchanged


def changed_columns(before: pd.DataFrame, after: pd.DataFrame) -> list[str]:
    """Columns in both frames, on the same rows, whose values or dtype differ."""
    unchanged = unchanged_columns(before, after)
    if unchanged is None:
        return []  # rows were removed: every column differs, which says nothing
    return [c for c in after.columns if c in before.columns and c not in unchanged]
