"""Seeded synthetic data for the tests: every column kind a step or model can ask for.

`make_frame` builds a small DataFrame with numeric columns holding gaps (and
zeros, so that a ratio meets a zero denominator), categorical text columns with
gaps, a date-time text column with gaps, one duplicated row and a target that
depends on the features. `spec_dict` builds a valid spec around it, and
`param_values` derives parameter values from a catalog declaration alone.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from runtime.params import Param

NUMERIC = ("num_a", "num_b", "num_c")
CATEGORICAL = ("cat_a", "cat_b")
DATETIME = ("when",)
TARGET = "target"
DATA_FILE = "data.csv"

# A model for each task, light enough for any test that only needs a valid spec.
LIGHT_MODELS = {
    "binary": {"type": "random_forest_classifier", "params": {"n_estimators": 5}},
    "multiclass": {"type": "random_forest_classifier", "params": {"n_estimators": 5}},
    "regression": {"type": "random_forest_regressor", "params": {"n_estimators": 5}},
    "clustering": {"type": "kmeans", "params": {"n_clusters": 3, "n_init": 2}},
}


def make_frame(
    n_rows: int = 120,
    task: str = "binary",
    seed: int = 0,
    missing_target: bool = False,
    duplicate: bool = True,
) -> pd.DataFrame:
    """A seeded frame of `n_rows` rows (plus one duplicated row when `duplicate`).

    Columns: num_a, num_b, num_c (numeric; num_c holds zeros), cat_a, cat_b
    (text categories), when (date-time text) and, unless the task is
    clustering, target ("no"/"yes" for binary, "a"/"b"/"c" for multiclass,
    a float for regression).
    """
    rng = np.random.default_rng(seed)
    num_a = rng.normal(50.0, 10.0, n_rows).round(3)
    num_b = rng.uniform(0.0, 5.0, n_rows).round(3)
    num_c = rng.integers(0, 4, n_rows).astype(float)
    cat_a = rng.choice(["red", "green", "blue"], n_rows).astype(object)
    cat_b = rng.choice(["north", "south", "east", "west", "centre"], n_rows).astype(object)
    start = pd.Timestamp("2023-01-01")
    when = [
        (start + pd.Timedelta(days=int(d), hours=int(h))).strftime("%Y-%m-%d %H:%M:%S")
        for d, h in zip(rng.integers(0, 700, n_rows), rng.integers(0, 24, n_rows), strict=True)
    ]
    score = (num_a - 50.0) / 10.0 + (cat_a == "red") - num_b / 5.0 + rng.normal(0, 0.5, n_rows)
    data: dict[str, Any] = {
        "num_a": num_a,
        "num_b": num_b,
        "num_c": num_c,
        "cat_a": cat_a,
        "cat_b": cat_b,
        "when": np.array(when, dtype=object),
    }
    if task == "binary":
        data[TARGET] = np.where(score > 0, "yes", "no").astype(object)
    elif task == "multiclass":
        data[TARGET] = np.select([score < -0.5, score < 0.5], ["a", "b"], "c").astype(object)
    elif task == "regression":
        data[TARGET] = (score * 10.0 + 100.0).round(4)
    elif task != "clustering":
        raise ValueError(f"unknown task {task!r}")
    df = pd.DataFrame(data)
    # Gaps: about 10 % of every feature column, placed by the seed.
    for name in (*NUMERIC[:2], *CATEGORICAL, *DATETIME):
        holes = rng.random(n_rows) < 0.1
        holes[3] = False  # row 3 is duplicated below and stays complete
        df.loc[holes, name] = np.nan
    if missing_target and TARGET in df:
        df.loc[rng.choice(np.arange(5, n_rows), 4, replace=False), TARGET] = np.nan
    if duplicate:
        df = pd.concat([df, df.iloc[[3]]], ignore_index=True)
    return df


def column_types(df: pd.DataFrame) -> dict[str, str]:
    """The spec column type of every column of a `make_frame` frame."""
    types = {}
    for name in df.columns:
        if name in NUMERIC:
            types[name] = "numeric"
        elif name in CATEGORICAL:
            types[name] = "categorical"
        elif name in DATETIME:
            types[name] = "datetime"
        elif name == TARGET:
            types[name] = "numeric" if pd.api.types.is_float_dtype(df[name]) else "categorical"
        else:
            raise KeyError(name)
    return types


def write_frame(df: pd.DataFrame, folder: Path, name: str = DATA_FILE) -> Path:
    path = Path(folder) / name
    df.to_csv(path, index=False)
    return path


def spec_dict(
    df: pd.DataFrame,
    task: str,
    steps: list[dict] | None = None,
    model: dict | None = None,
    data_file: str = DATA_FILE,
    **extra: Any,
) -> dict:
    """A plain spec dict for `df` written as `data_file` beside the spec."""
    types = column_types(df)
    columns = [
        {"name": n, "type": t, "role": "target" if n == TARGET else "feature"}
        for n, t in types.items()
    ]
    classes = None
    if task in ("binary", "multiclass"):
        classes = sorted(df[TARGET].dropna().unique().tolist())
    spec = {
        "spec_version": 2,
        "name": f"synthetic {task}",
        "task": task,
        "seed": 7,
        "dataset": {"path": data_file, "format": "csv", "read_options": {}},
        "columns": columns,
        "classes": classes,
        "steps": copy.deepcopy(steps or []),
        "split": {"train": 0.6, "validation": 0.2, "test": 0.2, "stratify": True},
        "model": copy.deepcopy(model or LIGHT_MODELS[task]),
    }
    spec.update(extra)
    return spec


def features_by_type(df: pd.DataFrame) -> dict[str, str]:
    """Feature columns (not the target) and their spec types."""
    return {n: t for n, t in column_types(df).items() if n != TARGET}


def param_values(params: tuple[Param, ...], features: dict[str, str]) -> dict[str, Any]:
    """Values for declared parameters, derived from the declarations alone.

    Column parameters get distinct columns of the kind they ask for (a list
    of up to two for `columns`, also when nullable); a `choice` its first
    choice; `choices` every choice; anything else its default.
    """
    used: set[str] = set()
    values: dict[str, Any] = {}
    for param in params:
        if param.kind in ("column", "columns"):
            suitable = [
                name
                for name, kind in features.items()
                if param.column_kind in ("any", kind)
                # Categories are short texts: text steps can run on them.
                or (param.column_kind == "text" and kind == "categorical")
            ]
            # Distinct columns where the data has enough, else one used twice
            # (e.g. the days between a date and itself).
            fitting = [name for name in suitable if name not in used] or suitable
            if not fitting:
                raise LookupError(
                    f"the synthetic data has no {param.column_kind} column for {param.name}"
                )
            chosen = fitting[:1] if param.kind == "column" else fitting[:2]
            used.update(chosen)
            values[param.name] = chosen[0] if param.kind == "column" else chosen
        elif param.kind == "choice":
            values[param.name] = param.choices[0]
        elif param.kind == "choices":
            values[param.name] = list(param.choices)
        else:
            values[param.name] = param.default
    return values


def param_variants(params: tuple[Param, ...], base: dict[str, Any]) -> list[tuple[str, dict]]:
    """(label, values) for the base values and each single-parameter change of them.

    Every other choice of a `choice`; each choice alone for `choices`; the other
    value of a `bool`; the bounds of a bounded number; empty for a nullable
    parameter that has a value.
    """
    variants: list[tuple[str, dict]] = [("base", dict(base))]

    def change(name: str, value: Any, label: str) -> None:
        variants.append((f"{name}={label}", {**base, name: value}))

    for param in params:
        current = base[param.name]
        if param.kind == "choice":
            for choice in param.choices:
                if choice != current:
                    change(param.name, choice, str(choice))
        elif param.kind == "choices":
            for choice in param.choices:
                change(param.name, [choice], str(choice))
        elif param.kind == "bool":
            change(param.name, not current, str(not current))
        elif param.kind in ("int", "float"):
            for bound in (param.minimum, param.maximum):
                if bound is not None and bound != current:
                    value = int(bound) if param.kind == "int" else float(bound)
                    change(param.name, value, str(value))
        if param.nullable and current is not None:
            change(param.name, None, "none")
    return variants


def model_steps(df: pd.DataFrame, categorical: tuple[str, ...] = CATEGORICAL) -> list[dict]:
    """Steps that turn every synthetic column kind into clean numbers (and the
    `categorical` columns into one-hot columns)."""
    date_parts = [f"{DATETIME[0]}_{part}" for part in ("year", "month", "day", "weekday")]
    steps = [{"type": "drop_duplicates"}]
    if TARGET in df:
        steps.append({"type": "drop_missing_target"})
    return steps + [
        {"type": "date_parts", "params": {"column": DATETIME[0]}},
        {"type": "impute_numeric", "params": {"columns": [*NUMERIC, *date_parts]}},
        {"type": "impute_categorical", "params": {"columns": list(categorical)}},
        {"type": "one_hot", "params": {"columns": list(categorical)}},
        {"type": "scale", "params": {"columns": [*NUMERIC, *date_parts]}},
    ]
