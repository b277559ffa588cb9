"""A sensible first spec for data the playground has never seen.

Types and task are inferred from the data; steps are chosen to fit the
columns (dates split into parts, gaps imputed, categories one-hot encoded,
numbers scaled where the model needs it); the model is a strong default.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from runtime.dataset import (
    DataError,
    check_size,
    check_table,
    class_labels,
    column_profile,
    detect_format,
    first_present,
    header_row,
    how_to_set,
    infer_column_type,
    infer_task,
    read_error,
    sha256_of,
    sheet_names,
    text_counts,
)
from runtime.executor import CACHE, _key, read_with
from runtime.models import MODELS_BY_NAME, ModelType
from runtime.search_space import key_owner
from runtime.spec import SPEC_VERSION, DatasetSpec, Spec, parse_spec

# Boosted trees with a gentle learning rate and shallow trees did best on the
# bundled datasets overall; on small regression tables a random forest did, and
# on small all-numeric tables (breast cancer, wine, diabetes) a scaled linear
# model beat both (5-fold accuracy 0.979 and 0.983 against XGBoost's 0.977 and
# 0.949; R² 0.49 against the forest's 0.43).
BOOSTING_PARAMS = {"learning_rate": 0.05, "max_depth": 4}
SMALL_ROWS = 2000
# Above this many rows k-means moves its centres on mini-batches.
LARGE_CLUSTERING_ROWS = 10_000
# One-hot encoding keeps at most this many categories per column.
MAX_ONE_HOT_CATEGORIES = 20


def read_for_inference(path: Path, fmt: str, options: dict[str, Any]) -> pd.DataFrame:
    """Read the file through the same generated read_data the export will use."""
    try:
        # Cached where Runner.raw_data looks: the frame is read once, not again to show it.
        dataset = DatasetSpec(path=path.name, format=fmt, read_options=options)
        df = read_with(dataset, path, CACHE)
    except Exception as exc:  # noqa: BLE001 - any reader error becomes a clear message
        raise read_error(path, path.name, fmt, options, exc) from None
    if df.empty or len(df.columns) == 0:
        where = path.name
        if fmt == "excel":
            sheets = sheet_names(path)
            if len(sheets) > 1:
                raise DataError(
                    f"{where}: sheet {options['sheet_name']!r} holds no rows of data; its "
                    f"sheets are {', '.join(map(repr, sheets))}; choose one with {how_to_set('sheet_name')}"
                )
            where = f"{where} (sheet {options['sheet_name']!r})"
        raise DataError(f"{where}: no rows of data were found")
    blank = [c for c in df.columns if str(c).strip() == "" or str(c).startswith("Unnamed: ")]
    if blank:
        raise DataError(
            f"{path.name}: {len(blank)} column(s) have no header (e.g. {blank[0]!r}); "
            "give every column a name in the first row"
        )
    check_table(df, path.name, fmt, header_row(path, fmt, options))
    return df


def default_spec(
    data_path: str | Path,
    target: str | None,
    spec_dir: str | Path,
    name: str | None = None,
    seed: int = 42,
    read_options: dict[str, Any] | None = None,
    notes: list[str] | None = None,
) -> Spec:
    """Build and validate a default spec; `target=None` means clustering.

    `read_options` overrides what is detected about the file: sep, encoding,
    decimal (CSV and TSV), sheet_name (Excel, by name). What a person should
    know about how the data was read (a sheet chosen, a column read as text)
    is appended to `notes`.
    """
    data_path = Path(data_path)
    if not data_path.is_file():
        raise DataError(f"data file not found: {data_path}")
    check_size(data_path.name, data_path.stat().st_size)
    fmt, options = detect_format(data_path, read_options)
    # rename returns a new frame (sharing the data): the cached frame stays as read.
    df = read_for_inference(data_path, fmt, options).rename(columns=str)
    if target is not None and target not in df.columns:
        raise DataError(
            f"target {target!r} is not a column of {data_path.name}; its columns are: "
            + ", ".join(map(repr, df.columns[:30]))
        )

    profile = file_profile(data_path, fmt, options, df)
    types, duplicates = dict(profile.types), profile.duplicates
    if target is not None:
        task = infer_task(df[target])
        if task != "regression":
            types[target] = "categorical" if types[target] != "boolean" else "boolean"
    else:
        task = "clustering"

    columns = []
    for col in df.columns:
        if col == target:
            role = "target"
        elif types[col] in ("id", "text"):
            role = "ignore"  # identifiers and free text carry no general signal
        else:
            role = "feature"
        columns.append({"name": col, "type": types[col], "role": role})

    features = [c["name"] for c in columns if c["role"] == "feature"]
    if not features:
        ignored = [c["name"] for c in columns if c["role"] == "ignore"]
        raise DataError(
            f"{data_path.name}: no column can serve as a feature: besides the target there are "
            f"only identifiers or free text ({', '.join(map(repr, ignored[:5])) or 'none'}), "
            "which are ignored; add columns to learn from"
        )
    if notes is not None:
        sheet_given = (read_options or {}).get("sheet_name") is not None
        notes.extend(data_notes(data_path, fmt, options, df, features, types, sheet_given))
    numeric_only = all(types[c] == "numeric" for c in features)
    model = _default_model(task, len(df), numeric_only)
    steps = _default_steps(df, target, features, types, MODELS_BY_NAME[model["type"]], duplicates)
    spec_dir = Path(spec_dir)
    spec = {
        "spec_version": SPEC_VERSION,
        "name": name or data_path.stem,
        "task": task,
        "seed": seed,
        "n_jobs": 1,
        "dataset": {
            "path": Path(os.path.relpath(data_path.resolve(), spec_dir.resolve())).as_posix(),
            "format": fmt,
            "read_options": options,
            "sha256": sha256_of(data_path),
        },
        "columns": columns,
        "classes": class_labels(df[target]) if task in ("binary", "multiclass") else None,
        "explore": _default_views(target, features, types),
        "steps": steps,
        "split": {
            "train": 0.6,
            "validation": 0.2,
            "test": 0.2,
            "stratify": task in ("binary", "multiclass"),
        },
        "model": model,
    }
    return parse_spec(spec)


@dataclass(frozen=True)
class FileProfile:
    """What the default spec and the Data tab need to know of a file's columns."""

    types: dict[str, str]
    duplicates: bool
    # column, missing, distinct: over every row.
    columns: pd.DataFrame


def file_profile(path: Path, fmt: str, options: dict[str, Any], df: pd.DataFrame) -> FileProfile:
    """The profile of the file as read (`df`); worked out once per file content and
    read options (cached): choosing another target, or redrawing the Data tab,
    does not count a million rows again."""

    def compute() -> FileProfile:
        return FileProfile(
            {col: infer_column_type(df[col]) for col in df.columns},
            has_duplicate_rows(df),
            column_profile(df),
        )

    return CACHE.get_or_compute(_key("profile", sha256_of(path), fmt, options), "profile", compute)


def _default_steps(
    df: pd.DataFrame,
    target: str | None,
    features: list[str],
    types: dict,
    model: ModelType,
    duplicates: bool,
) -> list[dict]:
    steps: list[dict] = []
    if duplicates:
        steps.append({"type": "drop_duplicates"})
    if target is not None and df[target].isna().any():
        steps.append({"type": "drop_missing_target"})

    numeric = [c for c in features if types[c] == "numeric"]
    categorical = [c for c in features if types[c] in ("categorical", "boolean")]
    for col in [c for c in features if types[c] == "datetime"]:
        # The day of the year carries the season within a year, which trees otherwise
        # piece together from month and day (bike sharing: test R² 0.9569 to 0.9596).
        parts = ["year", "month", "day", "weekday", "dayofyear"]
        if _has_time_of_day(df[col]):
            parts.append("hour")
        steps.append({"type": "date_parts", "params": {"column": col, "parts": parts}})
        numeric += [f"{col}_{part}" for part in parts]

    # Date parts of a missing date are missing too, so dates call for imputation.
    has_dates = any(types[c] == "datetime" for c in features)
    if numeric and (has_dates or any(df[c].isna().any() for c in numeric if c in df.columns)):
        steps.append({"type": "impute_numeric", "params": {"columns": numeric}})
    missing_categorical = [c for c in categorical if df[c].isna().any()]
    if missing_categorical:
        steps.append({"type": "impute_categorical", "params": {"columns": missing_categorical}})
    if categorical:
        steps.append(
            {
                "type": "one_hot",
                "params": {"columns": categorical, "max_categories": MAX_ONE_HOT_CATEGORIES},
            }
        )
    if model.needs_scaling and numeric:
        # Distances, penalties and gradient steps need comparable scales; trees do not.
        steps.append({"type": "scale", "params": {"columns": numeric}})
    return steps


def has_duplicate_rows(df: pd.DataFrame) -> bool:
    """Whether any row repeats an earlier one.

    Rows are compared by 64-bit hashes of their first 2, 4, 8, ... columns: rows
    that differ there differ, so the first prefix with no repeated hash settles it
    (on a million rows, usually the first two columns: a tenth of the time of
    df.duplicated). Only when every column's hashes repeat are the rows compared.
    """
    width = 2
    while True:
        hashes = pd.util.hash_pandas_object(df.iloc[:, :width], index=False)
        if not hashes.duplicated().any():
            return False
        if width >= len(df.columns):
            return bool(df.duplicated().any())
        width *= 2


def _default_model(task: str, rows: int, numeric_only: bool) -> dict:
    small = rows < SMALL_ROWS
    if task in ("binary", "multiclass"):
        if small and numeric_only:
            return {"type": "logistic_regression", "params": {}}
        return {"type": "xgboost_classifier", "params": dict(BOOSTING_PARAMS)}
    if task == "regression":
        if small and numeric_only:
            return {"type": "ridge", "params": {}}
        if small:
            return {"type": "random_forest_regressor", "params": {}}
        return {"type": "xgboost_regressor", "params": dict(BOOSTING_PARAMS)}
    if rows > LARGE_CLUSTERING_ROWS:
        return {"type": "mini_batch_kmeans", "params": {}}
    return {"type": "kmeans", "params": {}}


def _has_time_of_day(series: pd.Series) -> bool:
    parsed = pd.to_datetime(series.dropna().astype(str).head(500), errors="coerce", format="mixed")
    return bool((parsed.dt.hour != 0).any() or (parsed.dt.minute != 0).any())


def _default_views(target: str | None, features: list[str], types: dict) -> list[dict]:
    views: list[dict] = [{"view": "summary"}, {"view": "missing"}]
    if target is not None:
        views.append({"view": "target_balance", "columns": [target]})
    numeric = [c for c in features if types[c] == "numeric"]
    if len(numeric) >= 2:
        views.append({"view": "correlation", "columns": numeric[:20]})
    return views


# A categorical feature with more levels than this gets a note: one-hot keeps
# only the most frequent MAX_ONE_HOT_CATEGORIES of them.
MANY_LEVELS = 1000


def data_notes(
    path: Path,
    fmt: str,
    options: dict,
    df: pd.DataFrame,
    features: list[str],
    types: dict,
    sheet_given: bool = False,
) -> list[str]:
    """What was decided about the data that a person may want to change."""
    notes = []
    if fmt == "excel" and not sheet_given:
        sheets = sheet_names(path)
        if len(sheets) > 1:
            others = ", ".join(repr(s) for s in sheets if s != options["sheet_name"])
            notes.append(
                f"{path.name}: read sheet {options['sheet_name']!r} of {len(sheets)} (the others: "
                f"{others}); to read another, choose it with {how_to_set('sheet_name')}, or "
                "set dataset.read_options.sheet_name in the spec"
            )
    for column in features:
        if types[column] not in ("categorical", "text", "id"):
            continue
        # Judged on the distinct values with their row counts: a million rows of
        # a few dozen levels are a few dozen values to strip and parse.
        seen = text_counts(df[column])  # in order of first appearance
        counts = seen.groupby(seen.index.str.strip(), sort=False).sum()
        levels = len(counts)
        if types[column] == "categorical" and levels > MANY_LEVELS:
            notes.append(
                f"column {column!r} has {levels:,} distinct values; one-hot encoding keeps the "
                f"{MAX_ONE_HOT_CATEGORIES} most frequent and groups the rest — consider target "
                "encoding it, or setting its role to ignore"
            )
        is_number = pd.to_numeric(pd.Series(counts.index), errors="coerce").notna().to_numpy()
        number_rows, rows = int(counts[is_number].sum()), int(counts.sum())
        if number_rows < rows and number_rows >= 0.5 * rows:
            notes.append(
                f"column {column!r} mixes numbers and text ({rows - number_rows} of {rows} values "
                f"are not numbers, e.g. {counts.index[~is_number][0]!r}); it is read as "
                f"{types[column]} — fix those cells to use it as a number"
            )
            continue
        values = first_present(df[column], 500).astype(str).str.strip()
        dates = pd.to_datetime(values.head(500), errors="coerce", format="mixed")
        if dates.notna().mean() >= 0.5:
            bad = values.head(500)[dates.isna()]
            notes.append(
                f"column {column!r} looks like dates, but {len(bad)} of the first "
                f"{min(len(values), 500)} values do not parse as one (e.g. {bad.iloc[0]!r}); it "
                f"is read as {types[column]} — fix those cells to use it as a date"
            )
    return notes


# Models a family search tries besides the spec's own: tree ensembles work on any
# preprocessed columns; a linear model only where the steps scale the numbers.
SEARCHED_TREE_MODELS = {
    "binary": ("extra_trees_classifier", "random_forest_classifier", "xgboost_classifier"),
    "multiclass": ("extra_trees_classifier", "random_forest_classifier", "xgboost_classifier"),
    "regression": ("extra_trees_regressor", "random_forest_regressor", "xgboost_regressor"),
}
SEARCHED_LINEAR_MODEL = {
    "binary": "logistic_regression",
    "multiclass": "logistic_regression",
    "regression": "ridge",
}
# Above this many rows a forest's trial costs 20 times a boosted model's (bike sharing,
# 8,341 rows a fold: 3.3 to 4.5 s against 0.2 s), so the search leaves forests out.
FOREST_ROWS = 5000


def suggested_models(spec: Spec, rows: int | None = None) -> list[str]:
    """The models the Tune tab proposes to search besides model.type (tuning.models),
    for a dataset of `rows` rows when known."""
    if spec.task not in SEARCHED_TREE_MODELS or MODELS_BY_NAME[spec.model.type].ensemble:
        return []
    models = list(SEARCHED_TREE_MODELS[spec.task])
    if rows is not None and rows > FOREST_ROWS:
        models = [name for name in models if name.startswith("xgboost")]
    if has_scaling(spec):
        models.append(SEARCHED_LINEAR_MODEL[spec.task])
    return [name for name in models if name != spec.model.type]


def suggested_space(spec: Spec, target: pd.Series) -> dict[str, dict[str, Any]]:
    """The tuning.space entries proposed with the suggested models (`target`: the
    target column of the data, whose rows also size the suggestion of models).

    A parameter with values that need a target of zero or more (XGBoost's Tweedie
    objective) declares no search, so that a search over a target below 0 does not
    fail its trials; of model.type and of the suggested models, it is searched over
    all its choices when no value of the target is below 0 (missing values aside).
    A parameter the spec's tuning.space already sets is left as the spec has it."""
    own = spec.model.type
    given = {key_owner(key, own) for key in (spec.tuning.space if spec.tuning else {})}
    space = {}
    for model in [own, *suggested_models(spec, len(target))]:
        decl = MODELS_BY_NAME[model]
        need = decl.nonnegative_target
        if need is None or (model, need.param) in given:
            continue
        param = next(p for p in decl.params if p.name == need.param)
        key = need.param if model == own else f"{model}.{need.param}"
        space[key] = {"choices": list(param.choices)}
    if not space:
        return {}
    values = pd.to_numeric(target, errors="coerce").dropna()
    return space if len(values) and values.min() >= 0 else {}


def has_scaling(spec: Spec) -> bool:
    """Whether an enabled step scales the numbers (what models that need scaling want)."""
    return any(step.type == "scale" for _, step in spec.active_steps())
