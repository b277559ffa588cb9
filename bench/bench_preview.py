"""Preview latency after an edit (issue 7): the click path against hand-written pandas.

A seeded 200,000 × 20 mixed-type CSV and a 10-step spec (2 cleaning steps, 4
derivations, 4 fitted column steps). The product side is what a click in the
Prepare tab costs: `Workspace.update_step` (which previews the edited step to
accept it) and then `Workspace.preview`, with the preview cache holding the
state before the edit, as it does in the UI. The baseline is the same work
written by hand in plain pandas/scikit-learn, on the same in-memory data.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import MinMaxScaler, OneHotEncoder, StandardScaler

from bench.harness import Goal, Section, ratio, timed

ROWS, QUICK_ROWS = 200_000, 5_000
SEED = 7
NUMERIC = [f"num_{i}" for i in range(12)]
CATEGORICAL = [f"cat_{i}" for i in range(6)]
DATE = "signup"
TARGET = "target"
LOGGED = ["num_2", "num_3"]
CLIPPED = ["num_4", "num_5", "num_6"]
RATIO = "num_0_ratio_num_1"
DATE_COLUMNS = [f"{DATE}_{part}" for part in ("year", "month", "weekday")]
IMPUTED = [*NUMERIC, RATIO, *DATE_COLUMNS]
ENCODED = CATEGORICAL[:4]
SCALED = NUMERIC[:8]


def make_frame(rows: int, seed: int = SEED) -> pd.DataFrame:
    """`rows` rows: 12 numeric columns with gaps, 6 categorical (some with gaps), a date
    text column, a binary target; 1 % of the rows repeat another row."""
    rng = np.random.default_rng(seed)
    repeated = rows // 100
    rows -= repeated
    data: dict[str, Any] = {}
    for i, name in enumerate(NUMERIC):
        values = rng.lognormal(1.0, 0.8, rows) if i in (2, 3) else rng.normal(i * 10, 5 + i, rows)
        values = values.round(3)
        values[rng.random(rows) < 0.05] = np.nan
        data[name] = values
    for i, name in enumerate(CATEGORICAL):
        labels = np.array([f"c{i}_{k}" for k in range(3 + 2 * i)], dtype=object)
        values = rng.choice(labels, rows)
        if i < 3:
            values[rng.random(rows) < 0.03] = None
        data[name] = values
    days = rng.integers(0, 1500, rows)
    data[DATE] = (pd.Timestamp("2021-01-01") + pd.to_timedelta(days, unit="D")).strftime("%Y-%m-%d")
    score = (
        (np.nan_to_num(data["num_0"]) - 0) / 5 + (data["cat_0"] == "c0_0") - rng.normal(0, 1, rows)
    )
    data[TARGET] = np.where(score > 0, "yes", "no").astype(object)
    df = pd.DataFrame(data)
    duplicates = df.sample(n=repeated, random_state=seed)
    return pd.concat([df, duplicates], ignore_index=True).sample(frac=1.0, random_state=seed)


def spec_steps() -> list[dict]:
    return [
        {"type": "drop_duplicates", "params": {"keep": "first"}},
        {
            "type": "remove_outliers",
            "params": {"columns": ["num_7"], "method": "zscore", "threshold": 4.0},
        },
        {
            "type": "date_parts",
            "params": {
                "column": DATE,
                "parts": ["year", "month", "weekday"],
                "format": "%Y-%m-%d",
                "drop_original": True,
            },
        },
        {
            "type": "arithmetic",
            "params": {"left": "num_0", "right": "num_1", "operation": "ratio"},
        },
        {"type": "math_transform", "params": {"columns": LOGGED, "function": "log1p"}},
        {"type": "clip", "params": {"columns": CLIPPED, "lower": 0.0, "upper": 100.0}},
        {"type": "impute_numeric", "params": {"columns": IMPUTED, "strategy": "median"}},
        {
            "type": "impute_categorical",
            "params": {"columns": CATEGORICAL, "strategy": "most_frequent"},
        },
        {"type": "one_hot", "params": {"columns": ENCODED, "drop": "none"}},
        {"type": "scale", "params": {"columns": SCALED, "method": "standard"}},
    ]


# -- the baseline: the same ten steps written by hand ---------------------------


def column_step(transformer, columns: list[str]) -> ColumnTransformer:
    return ColumnTransformer(
        [("step", transformer, columns)], remainder="passthrough", verbose_feature_names_out=False
    ).set_output(transform="pandas")


def clean_by_hand(raw: pd.DataFrame, keep: str) -> pd.DataFrame:
    df = raw.drop_duplicates(keep=keep).reset_index(drop=True)
    values = df["num_7"]
    mean, std = values.mean(), values.std()
    inside = values.between(mean - 4.0 * std, mean + 4.0 * std) | values.isna()
    return df[inside].reset_index(drop=True)


def split_by_hand(df: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, pd.Series]:
    # As the runtime: 60 % train, the rest halved into validation and test, stratified.
    train, rest = train_test_split(df, train_size=0.6, random_state=seed, stratify=df[TARGET])
    train_test_split(rest, test_size=0.5, random_state=seed, stratify=rest[TARGET])
    return train.drop(columns=[TARGET]), (train[TARGET] == "yes").astype(int)


def derive_by_hand(X: pd.DataFrame) -> pd.DataFrame:
    dates = pd.to_datetime(X[DATE], format="%Y-%m-%d")
    X[f"{DATE}_year"] = dates.dt.year.astype(float)
    X[f"{DATE}_month"] = dates.dt.month.astype(float)
    X[f"{DATE}_weekday"] = dates.dt.day_of_week.astype(float)
    X = X.drop(columns=[DATE])
    X[RATIO] = X["num_0"] / X["num_1"].replace(0, np.nan)
    X[LOGGED] = np.log1p(X[LOGGED].where(X[LOGGED] > -1))
    X[CLIPPED] = X[CLIPPED].clip(lower=0.0, upper=100.0)
    return X


def learn_by_hand(X: pd.DataFrame, y: pd.Series) -> pd.DataFrame:
    X = column_step(SimpleImputer(strategy="median"), IMPUTED).fit_transform(X, y)
    X = column_step(SimpleImputer(strategy="most_frequent"), CATEGORICAL).fit_transform(X, y)
    encoder = OneHotEncoder(handle_unknown="infrequent_if_exist", sparse_output=False)
    return column_step(encoder, ENCODED).fit_transform(X, y)


def all_steps_by_hand(raw: pd.DataFrame, keep: str, seed: int) -> pd.DataFrame:
    X, y = split_by_hand(clean_by_hand(raw, keep), seed)
    X = learn_by_hand(derive_by_hand(X), y)
    return column_step(StandardScaler(), SCALED).fit_transform(X, y)


# -- the product: a click in the Prepare tab -------------------------------------


def open_workspace(folder: Path, frame: pd.DataFrame):
    from playground_ui.state import Workspace

    csv = folder / "bench.csv"
    frame.to_csv(csv, index=False)
    ws = Workspace(folder / "home")
    assert ws.load_file(csv.name, csv.read_bytes()), ws.message
    assert ws.set_target(TARGET), ws.message

    def edit(data: dict) -> None:
        data["steps"] = spec_steps()

    assert ws.change(edit), ws.message
    return ws


def shows(preview) -> None:
    """What the Prepare tab draws of a preview: its description, first rows and the
    summary of every column (rounded for display)."""
    preview.describe()
    preview.head.round(4)
    preview.summary.round(4)


def click_cost(ws, index: int, before: dict, after: dict, shown: int, repeat: int) -> dict:
    """Median seconds of `update_step(index, after)` + `preview(shown)` and reading what
    the UI shows of it, each time from a cache holding only the state before the edit
    (`before`), as the UI left it after showing that preview."""
    from runtime import executor

    parts: dict[str, list[float]] = {"total": [], "update_step": [], "preview": [], "shown": []}
    for _ in range(repeat):
        assert ws.update_step(index, before), ws.message
        # Nothing of the edited state is cached: neither frames nor step modules.
        executor.CACHE.clear()
        executor._PREVIEW_MODULES.clear()
        shows(ws.preview(shown))  # the UI showed it before the click
        start = time.perf_counter()
        assert ws.update_step(index, after), ws.message
        updated = time.perf_counter()
        preview = ws.preview(shown)
        previewed = time.perf_counter()
        assert preview is not None, ws.message
        shows(preview)
        end = time.perf_counter()
        parts["total"].append(end - start)
        parts["update_step"].append(updated - start)
        parts["preview"].append(previewed - updated)
        parts["shown"].append(end - previewed)
    return {name: statistics.median(times) for name, times in parts.items()}


def run(quick: bool) -> Section:
    rows = QUICK_ROWS if quick else ROWS
    repeat = 3 if quick else 5
    section = Section("preview", "Preview after an edit")
    with tempfile.TemporaryDirectory() as tmp:
        frame = make_frame(rows)
        ws = open_workspace(Path(tmp), frame)
        raw = ws.raw_data()
        seed = ws.spec.seed
        steps = spec_steps()
        last, first = len(steps), 1

        # Edit the last step: scale by min-max instead of standard scores.
        X, y = split_by_hand(clean_by_hand(raw, "first"), seed)
        before_last = learn_by_hand(derive_by_hand(X), y)
        hand_last = timed(
            lambda: column_step(MinMaxScaler(), SCALED).fit_transform(before_last, y),
            repeat=repeat,
        )
        old, new = steps[-1]["params"], {**steps[-1]["params"], "method": "minmax"}
        product_last = click_cost(ws, last, old, new, last, repeat)

        # Edit the first step: keep the last of duplicated rows; show the last step.
        hand_all = timed(lambda: all_steps_by_hand(raw, "last", seed), repeat=repeat)
        old, new = steps[0]["params"], {**steps[0]["params"], "keep": "last"}
        product_all = click_cost(ws, first, old, new, last, repeat)

        # Saving the edited spec as a new version (its YAML) is part of every click.
        from runtime.spec import dump_spec

        save_yaml = timed(lambda: dump_spec(ws.spec), repeat=repeat)

    shape = f"{len(frame):,} × {frame.shape[1]}"
    section.goals = [
        Goal(
            "edit the last step: preview / that step by hand",
            ratio(product_last["total"], hand_last),
            1.3,
            detail=(
                f"update_step + preview {product_last['total'] * 1e3:.0f} ms / MinMaxScaler "
                f"ColumnTransformer on the training split by hand {hand_last * 1e3:.0f} ms "
                f"({shape} CSV, 10 steps)"
            ),
        ),
        Goal(
            "edit the first step: last step's preview / all ten steps by hand",
            ratio(product_all["total"], hand_all),
            1.3,
            detail=(
                f"update_step + preview {product_all['total'] * 1e3:.0f} ms / clean, split, "
                f"derive and fit all steps by hand {hand_all * 1e3:.0f} ms ({shape} CSV)"
            ),
        ),
    ]
    section.table = [
        {
            "edit": "last step (scale method)",
            "hand ms": hand_last * 1e3,
            "update_step ms": product_last["update_step"] * 1e3,
            "preview ms": product_last["preview"] * 1e3,
            "statistics shown ms": product_last["shown"] * 1e3,
            "click ms": product_last["total"] * 1e3,
        },
        {
            "edit": "first step (drop_duplicates keep)",
            "hand ms": hand_all * 1e3,
            "update_step ms": product_all["update_step"] * 1e3,
            "preview ms": product_all["preview"] * 1e3,
            "statistics shown ms": product_all["shown"] * 1e3,
            "click ms": product_all["total"] * 1e3,
        },
    ]
    section.notes = notes(product_last, hand_last, save_yaml)
    return section


def notes(product_last: dict, hand_last: float, save_yaml: float) -> str:
    ms = 1e3
    overhead = product_last["total"] - hand_last
    return f"""
**How it was measured.** A seeded {ROWS:,} × 20 CSV (12 numeric columns with 5 % gaps,
6 categorical columns, a date text column, a binary target, 1 % duplicated rows) in a
temporary folder, opened in a `Workspace` (the store, the spec history) as the UI does.
The spec has ten steps: drop duplicates, remove outliers (z-score), date parts, a ratio,
log1p, clip, impute numeric (median), impute categorical, one-hot, scale. A click is
`update_step` (which validates the edit by previewing the edited step) plus `preview` of
the last step, and reading what the Prepare tab draws of it (description, first rows,
column summary). Before each timed click the preview cache and the cached step modules
are emptied and the last step previewed in the state before the edit, as the UI left it.
The baselines run the same work by hand on the same in-memory frame: for the last step,
the `ColumnTransformer(MinMaxScaler)` fitted on the training split after step 9; for the
first, both cleaning steps, the stratified 60/20/20 split, the derivations in place and the
four fitted column steps. Medians of repeated runs, baseline and product in one process.

**What was improved (profiled with cProfile).** Before, one click on the last step cost
~4.0 s of which 3.5 s were the preview statistics (`column_summary` over every column,
computed twice per click: once when `update_step` validated the edit, once to show it),
0.3 s hashing the 30 MB data file once per cache key, and the split rendered train.py
through black (1.3 s) on every edit of a cleaning step. Now the data file's hash is kept
by inode, size and times; the statistics are computed when first read, with a fast exact
path for numpy columns (sort-based distinct count, one pass per statistic), and only for
the columns a step changed: an unchanged column's row comes from the frame before it; the
split and step modules run unformatted and are kept by source; keys are built once per
runner. Cleaning steps get a shallow (copy-on-write) copy, so one that assigns in place
(replace_values) can no longer change the cached frame before it.

**What limits the last-step goal.** The click costs {product_last["total"] * ms:.0f} ms against
{hand_last * ms:.0f} ms by hand, {overhead * ms:.0f} ms over it (columns of the table: the
medians of each part). `update_step` ({product_last["update_step"] * ms:.0f} ms) runs the step
itself (the same `ColumnTransformer` as by hand) and saves the new spec version:
`SpecHistory.push` writes the spec's YAML with PyYAML's pure-Python dumper, {save_yaml * ms:.0f} ms
alone. That belongs to runtime/spec.py and runtime/store.py, outside this change: in a trial on
this spec PyYAML's C dumper (libyaml is installed) wrote the same text about 3× faster;
adopting it needs proof that its output stays identical (NEL handling). The preview then
finds every frame in the cache ({product_last["preview"] * ms:.0f} ms), and the statistics it
shows cost {product_last["shown"] * ms:.0f} ms: the exact summary of the 8 rescaled columns
(a sort each for the distinct count) and the comparison of the 45 columns before and after
that tells which changed. Exact numbers for changed columns cannot be reused from anywhere,
so with the spec save this goal stays above 1.3× unless both are made cheaper again.
The first-step goal lies near its limit: full runs on this shared machine measured between
1.1× and 1.3×; the extra over the hand-written steps is the spec save, the derivations'
`df.copy()` in their FunctionTransformers, and the full summary of the last frame.
"""
