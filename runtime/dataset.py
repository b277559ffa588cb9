"""Data files: format and read options, content hash, column types, task.

Reading itself happens through the generated `read_data` (so the export reads
exactly as the runtime did); this module decides the options it is given.
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path
from typing import Any

import pandas as pd

# The read options a spec may set, per format. The generator renders them as
# keyword arguments, so only these names are ever accepted.
READ_OPTIONS: dict[str, tuple[str, ...]] = {
    "csv": ("sep", "encoding", "decimal", "thousands"),
    "tsv": ("encoding", "decimal", "thousands"),
    "parquet": (),
    "excel": ("sheet_name",),
    "json": ("lines", "orient"),
}

EXTENSIONS = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xlsx": "excel",
    ".xls": "excel",
    ".json": "json",
    ".jsonl": "json",
    ".ndjson": "json",
}


class DataError(ValueError):
    """A data file that cannot be used, with a message a person can act on."""


def sha256_of(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def detect_format(path: Path) -> tuple[str, dict[str, Any]]:
    """The format of a data file and the read options it needs."""
    fmt = EXTENSIONS.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(sorted(EXTENSIONS))
        raise DataError(f"{path.name}: unknown file type {path.suffix!r}; use one of {known}")
    options: dict[str, Any] = {}
    if fmt in ("csv", "tsv"):
        head = path.open("rb").read(64 * 1024)
        if not head.strip():
            raise DataError(f"{path.name}: the file is empty")
        if b"\x00" in head:
            raise DataError(f"{path.name}: this is a binary file, not {fmt.upper()} text")
        options["encoding"] = _detect_encoding(head)
        if fmt == "csv":
            options["sep"] = _detect_delimiter(head.decode(options["encoding"], errors="replace"))
    elif fmt == "json":
        options["lines"] = path.suffix.lower() in (".jsonl", ".ndjson") or _looks_like_lines(path)
    elif fmt == "excel":
        options["sheet_name"] = 0
    return fmt, options


def _detect_encoding(head: bytes) -> str:
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A cut multi-byte character at the end of the sample is still UTF-8.
        if exc.start < len(head) - 4:
            return "latin-1"
    return "utf-8"


def _detect_delimiter(text: str) -> str:
    sample = "\n".join(text.splitlines()[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _looks_like_lines(path: Path) -> bool:
    with path.open("rb") as handle:
        first = handle.readline().strip()
    return first.startswith(b"{") and first.endswith(b"}")


def infer_column_type(series: pd.Series) -> str:
    """numeric, categorical, boolean, datetime, text or id."""
    values = series.dropna()
    if pd.api.types.is_bool_dtype(series):
        return "boolean"
    if pd.api.types.is_datetime64_any_dtype(series):
        return "datetime"
    if pd.api.types.is_numeric_dtype(series):
        if (
            pd.api.types.is_integer_dtype(series)
            and len(values) >= 20
            and values.is_unique
            and (values.is_monotonic_increasing or _id_like_name(series.name))
        ):
            return "id"
        return "numeric"
    if values.empty:
        return "categorical"
    text = values.astype(str)
    if set(text.str.lower().unique()) <= {"true", "false"}:
        return "boolean"
    if _parses_as_dates(text):
        return "datetime"
    unique_ratio = text.nunique() / len(text)
    if len(text) >= 20 and unique_ratio > 0.9:
        words = text.str.split().str.len().mean()
        return "text" if words >= 3 else "id"
    if len(text) >= 20 and unique_ratio > 0.5 and text.str.split().str.len().mean() >= 4:
        return "text"
    return "categorical"


def _id_like_name(name: object) -> bool:
    lowered = str(name).lower()
    return lowered in ("id", "index", "key") or lowered.endswith(("_id", "id"))


def _parses_as_dates(text: pd.Series) -> bool:
    sample = text.head(200)
    # Plain numbers are not dates, however pandas could read them.
    if sample.str.fullmatch(r"[+-]?\d+(\.\d*)?").mean() > 0.5:
        return False
    parsed = pd.to_datetime(sample, errors="coerce", format="mixed")
    return bool(parsed.notna().mean() >= 0.95)


def infer_task(target: pd.Series) -> str:
    """binary, multiclass or regression, from the target's values."""
    values = target.dropna()
    n_unique = values.nunique()
    if n_unique < 2:
        raise DataError(
            f"target {target.name!r} has {n_unique} distinct value(s); a model needs at "
            "least two. Pick another target, or cluster without one (--cluster)."
        )
    if n_unique == 2:
        return "binary"
    if pd.api.types.is_float_dtype(values) and not (values == values.round()).all():
        return "regression"
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return "multiclass" if n_unique <= 20 and n_unique / len(values) < 0.05 else "regression"
    if n_unique > 100:
        raise DataError(
            f"target {target.name!r} is text with {n_unique} distinct values; that is too "
            "many classes. Pick a numeric or categorical target."
        )
    return "multiclass"


def class_labels(target: pd.Series) -> list[Any]:
    """The target's classes as plain Python values, sorted."""
    values = [v.item() if hasattr(v, "item") else v for v in target.dropna().unique()]
    return sorted(values, key=lambda v: (str(type(v)), v))
