"""Data files: format and read options, content hash, column types, task.

Reading itself happens through the generated `read_data` (so the export reads
exactly as the runtime did); this module decides the options it is given:
the delimiter, encoding and decimal mark of a CSV or TSV file (detected, or
given by the person), the sheet of an Excel workbook, the layout of a JSON file.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import math
import os
import re
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

# Defined with the settings (which `playground serve` reads before pandas loads).
from runtime.settings import (  # noqa: F401 - this module's API too
    DEFAULT_UPLOAD_LIMIT_MB,
    UPLOAD_LIMIT_VARIABLE,
    DataError,
    max_upload_bytes,
)

# The read options a spec may set, per format. The generator renders them as
# keyword arguments, so only these names are ever accepted.
READ_OPTIONS: dict[str, tuple[str, ...]] = {
    "csv": ("sep", "encoding", "decimal", "thousands"),
    "tsv": ("encoding", "decimal", "thousands"),
    "parquet": (),
    "excel": ("sheet_name",),
    "json": ("orient", "lines", "encoding"),
}

EXTENSIONS = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xlsx": "excel",
    ".xlsm": "excel",
    ".xls": "excel",
    ".json": "json",
    ".jsonl": "json",
    ".ndjson": "json",
}

# The options a person can set when a spec is first written, and the
# `playground init` flag that sets each (named in messages).
OVERRIDE_FLAGS = {
    "sep": "--sep",
    "encoding": "--encoding",
    "decimal": "--decimal",
    "sheet_name": "--sheet",
}
# How the Data tab labels each option: messages name both ways to set it.
OPTION_LABELS = {
    "sep": "Delimiter",
    "encoding": "Encoding",
    "decimal": "Decimal mark",
    "sheet_name": "Sheet",
}


def how_to_set(option: str) -> str:
    """Where a person sets a read option, in the UI and on the command line."""
    return f"the Data tab's {OPTION_LABELS[option]} menu (or {OVERRIDE_FLAGS[option]} with playground init)"


DELIMITERS = (",", ";", "\t", "|")
# Names a delimiter may be given by on the command line.
DELIMITER_NAMES = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
# How much of a text file the delimiter and decimal mark are judged on.
SAMPLE_BYTES = 64 * 1024
SAMPLE_RECORDS = 200
# Leading bytes of binary formats a misnamed data file often turns out to be.
BINARY_SIGNATURES = {
    b"PK\x03\x04": "a zip archive (an Excel .xlsx workbook?)",
    b"PAR1": "a Parquet file",
    b"\xd0\xcf\x11\xe0": "an old Excel .xls workbook",
    b"%PDF": "a PDF document",
    b"\x1f\x8b": "a gzip archive",
    b"\x89PNG": "a PNG image",
}


# -- size ----------------------------------------------------------------------------


def check_size(name: str, size: int) -> None:
    """Refuse a file over the size limit, from its size alone (before it is read)."""
    limit = max_upload_bytes()
    if size > limit:
        shown, allowed = f"{_megabytes(size)} MB", f"{_megabytes(limit)} MB"
        if shown == allowed:  # just over: in MB they would read the same
            shown, allowed = f"{size:,} bytes", f"{limit:,} bytes"
        raise DataError(
            f"{name}: the file is {shown}, more than the {allowed} limit; use a sample of its "
            f"rows, or raise the limit with {UPLOAD_LIMIT_VARIABLE}"
        )


# Digests already computed, by the file's identity: a file is hashed by the store,
# the default spec, every run and every preview key, and hashing 140 MB takes a
# third of a second.
_DIGESTS: OrderedDict[tuple, str] = OrderedDict()
_DIGESTS_LOCK = threading.Lock()

# A file changed less than this long ago may change again within the same
# timestamp tick (file times are coarse), unseen: its hash is not kept.
DIGEST_SETTLE_NS = 2_000_000_000


def _hash_file(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_of(path: str | Path) -> str:
    """The file's SHA-256, hashed again only when the file may have changed.

    The hash is kept under the file's inode, size, modification and change times:
    writing or replacing the file changes them. It is kept only if they did not
    change while it was computed and the file had settled (see DIGEST_SETTLE_NS),
    as git does for its index.
    """
    path = Path(path).resolve()

    def identity() -> tuple:
        stat = path.stat()
        return (str(path), stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)

    seen = identity()
    with _DIGESTS_LOCK:
        if seen in _DIGESTS:
            _DIGESTS.move_to_end(seen)
            return _DIGESTS[seen]
    digest = _hash_file(path)
    settled = time.time_ns() - max(seen[3], seen[4]) > DIGEST_SETTLE_NS
    if settled and identity() == seen:
        with _DIGESTS_LOCK:
            _DIGESTS[seen] = digest
            while len(_DIGESTS) > 64:
                _DIGESTS.popitem(last=False)
    return digest


# -- the preview sample ------------------------------------------------------------

PREVIEW_ROWS_VARIABLE = "PLAYGROUND_PREVIEW_ROWS"
# 250,000 so that previews of a 200,000-row table are exact.
DEFAULT_PREVIEW_ROWS = 250_000


def preview_rows() -> int:
    """How many rows previews use at most: $PLAYGROUND_PREVIEW_ROWS, else 250,000.

    Larger data is previewed on a seeded sample of this many rows; training
    always uses every row."""
    given = os.environ.get(PREVIEW_ROWS_VARIABLE, "").strip().replace("_", "")
    if not given:
        return DEFAULT_PREVIEW_ROWS
    if not given.isdigit() or int(given) < 100:
        raise DataError(
            f"{PREVIEW_ROWS_VARIABLE}={given!r}: the preview size is a whole number of rows, "
            "at least 100, e.g. 250000"
        )
    return int(given)


def preview_sample(df: pd.DataFrame, limit: int, seed: int) -> pd.DataFrame:
    """At most `limit` rows of `df`: all of them, or a sample seeded by `seed`, in file order."""
    if len(df) <= limit:
        return df
    rows = np.sort(np.random.default_rng(seed).choice(len(df), limit, replace=False))
    return df.iloc[rows]


def sample_note(shown: int, total: int) -> str:
    """What a person reads beside a preview or plot drawn on a sample ('' when it is not)."""
    if shown >= total:
        return ""
    return f"on a seeded sample of {shown:,} of {total:,} rows"


def _megabytes(size: int) -> str:
    megabytes = size / 2**20
    return f"{megabytes:,.0f}" if megabytes >= 10 else f"{megabytes:.3g}"


# -- format and read options -------------------------------------------------------


def detect_format(
    path: Path, overrides: dict[str, Any] | None = None
) -> tuple[str, dict[str, Any]]:
    """The format of a data file and the read options it needs.

    `overrides` holds options a person gave (sep, encoding, decimal,
    sheet_name); they win over detection, and are checked here.
    """
    path = Path(path)
    fmt = EXTENSIONS.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(sorted(EXTENSIONS))
        raise DataError(f"{path.name}: unknown file type {path.suffix!r}; use one of {known}")
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
    if fmt == "tsv" and "sep" in overrides:
        # A .tsv file with another delimiter is read as delimited text.
        sep = normalize_sep(overrides["sep"])
        if sep == "\t":
            del overrides["sep"]
        else:
            fmt = "csv"
    _check_overrides(path, fmt, overrides)
    with path.open("rb") as handle:
        head = handle.read(SAMPLE_BYTES)
    if not head.strip().removeprefix(codecs.BOM_UTF8).strip():
        raise DataError(f"{path.name}: the file is empty")
    if fmt in ("csv", "tsv"):
        return fmt, _text_options(path, fmt, head, overrides)
    if fmt == "json":
        return fmt, _json_options(path, overrides)
    if fmt == "excel":
        return fmt, {"sheet_name": _choose_sheet(path, head, overrides.get("sheet_name"))}
    if not head.startswith(b"PAR1"):
        raise DataError(
            f"could not read {path.name} as parquet: it is not a Parquet file (those start "
            f"with the bytes PAR1){_looks_like(head)}"
        )
    return fmt, {}


def normalize_sep(sep: str) -> str:
    """A delimiter as given on the command line ('tab', '\\t', ';') as the character."""
    sep = DELIMITER_NAMES.get(str(sep).lower(), str(sep))
    if len(sep) != 1 or sep in '"\r\n' or sep.isalnum():
        raise DataError(
            f"delimiter {sep!r} (--sep): the delimiter is one character such as , ; | or tab "
            "(written 'tab' or '\\t' on the command line)"
        )
    return sep


def _check_overrides(path: Path, fmt: str, overrides: dict[str, Any]) -> None:
    allowed = READ_OPTIONS[fmt]
    for name in overrides:
        if name not in OVERRIDE_FLAGS:
            raise DataError(f"unknown read option {name!r}; known: {', '.join(OVERRIDE_FLAGS)}")
        if name not in allowed and not (name == "sep" and fmt == "tsv"):
            kinds = [f for f, names in READ_OPTIONS.items() if name in names]
            raise DataError(
                f"{OPTION_LABELS[name]} ({OVERRIDE_FLAGS[name]}) does not apply to {path.name} "
                f"(format {fmt}); it is for {', '.join(kinds)} files only"
            )
    if "sep" in overrides:
        overrides["sep"] = normalize_sep(overrides["sep"])
    if "encoding" in overrides:
        try:
            codecs.lookup(str(overrides["encoding"]))
        except LookupError:
            raise DataError(
                f"encoding {overrides['encoding']!r} (--encoding): unknown encoding; use one such as "
                "utf-8, utf-8-sig, cp1252, latin-1 or utf-16"
            ) from None
    if "decimal" in overrides:
        decimal = str(overrides["decimal"])
        if decimal not in (".", ","):
            raise DataError(f"decimal mark {decimal!r} (--decimal): the decimal mark is '.' or ','")


def _looks_like(head: bytes) -> str:
    for signature, kind in BINARY_SIGNATURES.items():
        if head.startswith(signature):
            return f"; it looks like {kind}"
    return ""


# -- CSV and TSV ---------------------------------------------------------------------


def _text_options(path: Path, fmt: str, head: bytes, overrides: dict) -> dict[str, Any]:
    encoding = overrides.get("encoding") or detect_encoding(path)
    wide = codecs.lookup(encoding).name.startswith(("utf-16", "utf-32"))
    if not wide and (b"\x00" in head or _mostly_controls(head, encoding)):
        raise DataError(
            f"{path.name}: this is a binary file, not {fmt.upper()} text{_looks_like(head)}"
        )
    records = _sample_records(head, encoding, len(head) == SAMPLE_BYTES)
    if fmt == "tsv":
        sep = "\t"
    else:
        sep = overrides.get("sep") or detect_delimiter(records)
    options: dict[str, Any] = {"sep": sep} if fmt == "csv" else {}
    options["encoding"] = encoding
    decimal = overrides.get("decimal")
    if decimal == sep:
        raise DataError(
            f"{path.name}: the decimal mark {decimal!r} cannot also be the delimiter; "
            f"choose the delimiter with {how_to_set('sep')}"
        )
    thousands = None
    if decimal is None and sep != ",":
        decimal, thousands = detect_decimal(_split(records, sep))
    if decimal == ",":
        options["decimal"] = ","
    if thousands:
        options["thousands"] = thousands
    return options


def detect_encoding(path: Path) -> str:
    """utf-8, utf-8-sig (a BOM), utf-16/32 (their BOM), else cp1252 or latin-1.

    The whole file is decoded, so that a stray byte far down is not missed.
    """
    with path.open("rb") as handle:
        start = handle.read(4)
        if start.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if start.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
            return "utf-32"
        if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        handle.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            for block in iter(lambda: handle.read(1 << 20), b""):
                decoder.decode(block)
            decoder.decode(b"", final=True)
            return "utf-8"
        except UnicodeDecodeError:
            pass
        # Windows' cp1252 puts € and curly quotes where Latin-1 has controls;
        # text using those bytes, and only defined ones, is cp1252.
        handle.seek(0)
        seen: set[int] = set()
        for block in iter(lambda: handle.read(1 << 20), b""):
            seen.update(b for b in set(block) if 0x80 <= b <= 0x9F)
    if seen and all(_cp1252_defined(b) for b in seen):
        return "cp1252"
    return "latin-1"


def _cp1252_defined(byte: int) -> bool:
    try:
        bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:
        return False
    return True


def _mostly_controls(head: bytes, encoding: str) -> bool:
    """Text that is not UTF-8 and full of control bytes is no text at all."""
    if codecs.lookup(encoding).name.startswith("utf"):
        return False
    controls = sum(1 for b in head if b < 0x20 and b not in b"\t\n\r\x0b\x0c\x1a")
    return controls > 0.05 * len(head)


def _sample_records(head: bytes, encoding: str, truncated: bool) -> str:
    text = head.decode(encoding, errors="replace").lstrip("\ufeff")
    if truncated:
        # The sample ends mid-record: keep whole lines only.
        cut = max(text.rfind("\n"), text.rfind("\r"))
        text = text[: cut + 1] if cut > 0 else text
    return text


def _split(text: str, sep: str) -> list[list[str]]:
    """The first records of the sample, parsed as the CSV reader would."""
    rows = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    try:
        for row in reader:
            if row and any(field.strip() for field in row):
                rows.append(row)
            if len(rows) >= SAMPLE_RECORDS:
                break
    except csv.Error:
        pass  # a malformed record ends the sample; the reader reports it
    return rows


def detect_delimiter(text: str) -> str:
    """Of , ; tab |, the one splitting the header and the rows into the same number
    of fields (two or more); ties go to more fields, then to that order."""
    best, best_score = ",", (0.0, 0)
    for sep in DELIMITERS:
        rows = _split(text, sep)
        if not rows or len(rows[0]) < 2:
            continue
        header, body = len(rows[0]), rows[1:] or rows
        consistent = sum(len(row) == header for row in body) / len(body)
        score = (consistent, header)
        if consistent > 0.5 and score > best_score:
            best, best_score = sep, score
    return best


_INTEGER = re.compile(r"[+-]?\d+")
_GROUPED = re.compile(r"[+-]?\d{1,3}(\.\d{3})+")
_COMMA_NUMBER = re.compile(r"[+-]?(\d{1,3}(\.\d{3})+|\d+),\d+")
_DOT_NUMBER = re.compile(r"[+-]?(\d+\.\d*|\.\d+)([eE][+-]?\d+)?|[+-]?\d+[eE][+-]?\d+")


def detect_decimal(rows: list[list[str]]) -> tuple[str | None, str | None]:
    """The decimal mark (and thousands separator) of the numbers in these rows:
    (",", ".") for 1.234,5 style, (",", None) for 1,5 style, (None, None) otherwise.

    A column is read with a decimal comma only when every value in it looks
    like a number written so, and no column holds numbers with a decimal point.
    """
    comma, dot, grouped = False, False, False
    for column in list(zip(*[row for row in rows[1:] if len(row) == len(rows[0])])):
        values = [v.strip() for v in column if v.strip()]
        if not values:
            continue
        if all(
            _COMMA_NUMBER.fullmatch(v) or _GROUPED.fullmatch(v) or _INTEGER.fullmatch(v)
            for v in values
        ):
            comma = comma or any("," in v for v in values)
            # With a decimal comma, a point can only group thousands.
            grouped = grouped or any("." in v for v in values)
        elif all(_DOT_NUMBER.fullmatch(v) or _INTEGER.fullmatch(v) for v in values):
            dot = True
    if comma and not dot:
        return ",", "." if grouped else None
    return None, None


# -- Excel ---------------------------------------------------------------------------


def sheet_names(path: Path) -> list[str]:
    """The sheets of a workbook, in order."""
    with pd.ExcelFile(path) as book:
        return [str(name) for name in book.sheet_names]


def _choose_sheet(path: Path, head: bytes, sheet: Any) -> str:
    """The sheet asked for (by name), or the first; a DataError naming the sheets."""
    if path.suffix.lower() == ".xls":
        raise DataError(
            f"{path.name}: the old Excel format .xls is not supported; open it in Excel or "
            "LibreOffice and save it as .xlsx (or as CSV)"
        )
    if not head.startswith(b"PK\x03\x04"):
        raise DataError(
            f"could not read {path.name} as excel: it is not an .xlsx workbook (those are "
            f"zip archives){_looks_like(head)}"
        )
    try:
        sheets = sheet_names(path)
    except Exception as exc:  # noqa: BLE001 - any reader error becomes a clear message
        raise DataError(f"could not read {path.name} as excel: {exc}") from None
    if not sheets:
        raise DataError(f"{path.name}: the workbook has no sheets")
    if sheet is None:
        return sheets[0]
    if str(sheet) not in sheets:
        raise DataError(f"{path.name} has no sheet {str(sheet)!r}; {_sheet_hint(sheets)}")
    return str(sheet)


def _sheets_or_none(path: Path) -> list[str] | None:
    try:
        return sheet_names(path)
    except Exception:  # noqa: BLE001 - a hint only: the caller's error is the one to show
        return None


def _sheet_hint(sheets: list[str]) -> str:
    return (
        f"its sheets are {', '.join(map(repr, sheets))}; choose one with {how_to_set('sheet_name')}"
    )


# -- JSON ----------------------------------------------------------------------------


def _json_options(path: Path, overrides: dict) -> dict[str, Any]:
    """records (a list of row objects), lines (one row object per line), or the
    other layouts pandas writes: columns ({column: {index: value}}) and split."""
    encoding = overrides.get("encoding") or detect_encoding(path)
    try:
        text = path.read_text(encoding=encoding)
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{path.name}: not readable as {encoding} text ({exc.reason} at byte "
            f"{exc.start}); give the file's encoding with {how_to_set('encoding')}"
        ) from None
    text = text.lstrip("\ufeff")
    options: dict[str, Any] = {}
    body = text.strip()
    if not body:
        raise DataError(f"{path.name}: the file is empty")
    if body[0] == "[":
        options["orient"] = "records"
        rows = _parse_json(path, text)
        if not rows:
            raise DataError(f"{path.name}: no rows of data were found (an empty JSON list)")
        if not all(isinstance(row, dict) for row in rows):
            raise DataError(
                f"{path.name}: a JSON list of rows must hold one object per row, "
                '[{"column": value, ...}, ...]; this one holds '
                f"{type(next(r for r in rows if not isinstance(r, dict))).__name__} values"
            )
    elif body[0] == "{":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            if exc.msg != "Extra data":
                raise DataError(_json_error(path, exc)) from None
            options["lines"] = True
            _check_lines(path, text)
        else:
            if {"columns", "data"} <= set(data) <= {"columns", "data", "index", "name"}:
                options["orient"] = "split"
            elif data and all(isinstance(v, (dict, list)) for v in data.values()):
                options["orient"] = "columns"
            elif "\n" not in body:
                options["lines"] = True  # JSON lines holding one row
            else:
                raise DataError(
                    f"{path.name}: one JSON object holding a single row; write a list of "
                    'rows, [{"column": value, ...}, ...], or one row object per line'
                )
    else:
        raise DataError(
            f"{path.name}: not valid JSON data; expected a list of row objects "
            '([{"column": value, ...}, ...]) or one row object per line (JSON lines)'
        )
    if codecs.lookup(encoding).name != "utf-8" or "encoding" in overrides:
        options["encoding"] = encoding
    return options


def _parse_json(path: Path, text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(_json_error(path, exc)) from None


def _json_error(path: Path, exc: json.JSONDecodeError) -> str:
    return f"{path.name}: not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"


def _check_lines(path: Path, text: str) -> None:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(
                f"{path.name}: line {number} is not valid JSON ({exc.msg}, column "
                f"{exc.colno}); a JSON lines file holds one row object per line"
            ) from None
        if not isinstance(row, dict):
            raise DataError(
                f"{path.name}: line {number} is not a row object; a JSON lines file holds "
                'one {"column": value, ...} object per line'
            )


# -- reading errors ------------------------------------------------------------------


def read_error(
    path: Path, label: str, fmt: str, options: dict[str, Any], exc: Exception
) -> DataError:
    """A DataError saying why the reader failed on `path` (shown as `label`) and,
    where it can tell, which option to change."""
    message = f"could not read {label} as {fmt}: "
    if isinstance(exc, UnicodeDecodeError):
        encoding = options.get("encoding", "utf-8")
        return DataError(
            f"{message}it is not {encoding} text ({exc.reason} at byte {exc.start}); give the "
            f"file's encoding (e.g. cp1252, latin-1, utf-16) with {how_to_set('encoding')}, "
            "or set dataset.read_options.encoding in the spec"
        )
    detail = " ".join(str(exc).split()) or type(exc).__name__
    if fmt == "excel" and "not found" in detail:
        sheets = _sheets_or_none(path)
        if sheets:
            return DataError(f"{message}{detail}; {_sheet_hint(sheets)}")
    if fmt in ("csv", "tsv") and "EOF inside string" in detail:
        return DataError(
            f'{message}{detail}; a quote (") opened in that row is never closed: close it, '
            "or remove the stray quote"
        )
    if fmt == "parquet":
        return DataError(f"{message}{detail}; the file may be cut short or damaged: write it again")
    if fmt in ("csv", "tsv") and "Expected" in detail and "fields" in detail:
        sep = options.get("sep", "\t")
        return DataError(
            f"{message}{detail}; the delimiter is {sep!r}: if that is wrong, give the right "
            f"one with {how_to_set('sep')}, or set dataset.read_options.sep in the spec"
        )
    return DataError(f"{message}{detail}")


# -- the table as read ---------------------------------------------------------------

# Fewer rows than this cannot be split into training, validation and test parts.
MIN_ROWS = 5


def header_row(path: Path, fmt: str, options: dict[str, Any]) -> list[str] | None:
    """The first row of a CSV, TSV or Excel file as written: the reader renames a
    repeated name ('a', 'a.1'), so repeats are only seen here. None if unknown."""
    try:
        if fmt in ("csv", "tsv"):
            text_options = {k: v for k, v in options.items() if k in ("sep", "encoding")}
            row = pd.read_csv(
                path,
                header=None,
                nrows=1,
                dtype=str,
                keep_default_na=False,
                **{"sep": "\t", **text_options},
            )
        elif fmt == "excel":
            row = pd.read_excel(
                path, sheet_name=options.get("sheet_name", 0), header=None, nrows=1, dtype=str
            )
        else:
            return None
    except Exception:  # noqa: BLE001 - the full read reports what is wrong with the file
        return None
    if row.empty:
        return None
    return ["" if pd.isna(v) else str(v).strip() for v in row.iloc[0]]


def check_table(df: pd.DataFrame, name: str, fmt: str, header: list[str] | None) -> None:
    """A DataError for a table no model can be built from, saying what to change."""
    if header:
        repeated = [n for n in dict.fromkeys(header) if n and header.count(n) > 1]
        if repeated:
            raise DataError(
                f"{name}: the column name {repeated[0]!r} appears {header.count(repeated[0])} "
                "times in the header; give every column its own name in the first row"
            )
    # Column by column, stopping at the first with a value: no frame-sized mask.
    if not any(df.iloc[:, i].notna().any() for i in range(df.shape[1])):
        raise DataError(
            f"{name}: every cell below the header is empty; there is no data to learn from"
        )
    if len(df) < MIN_ROWS:
        raise DataError(
            f"{name}: only {len(df)} row(s) of data; at least {MIN_ROWS} are needed to split "
            "them into training, validation and test parts — use a file with more rows"
        )
    if len(df.columns) == 1:
        hint = ""
        if fmt in ("csv", "tsv"):
            hint = (
                "; if the file has more, its delimiter is not one of , ; tab | "
                f"(or the one given): give the right one with {how_to_set('sep')}"
            )
        raise DataError(
            f"{name}: only one column ({str(df.columns[0])[:60]!r}) was found; a model needs "
            f"a target and at least one feature column{hint}"
        )
    for column in df.columns:
        values = df[column]
        if not pd.api.types.is_float_dtype(values):
            continue
        infinite = values.abs() == math.inf
        if infinite.any():
            first = int(infinite.to_numpy().argmax()) + 1
            raise DataError(
                f"{name}: column {column!r} holds {int(infinite.sum())} infinite value(s) "
                f"(inf or -inf), the first in data row {first}; models cannot learn from "
                "them — replace them with numbers, or empty those cells so a step can impute them"
            )


# -- column types and task -----------------------------------------------------------


def infer_column_type(series: pd.Series) -> str:
    """numeric, categorical, boolean, datetime, text or id."""
    if pd.api.types.is_bool_dtype(series):
        return "boolean"
    if pd.api.types.is_datetime64_any_dtype(series):
        return "datetime"
    if pd.api.types.is_numeric_dtype(series):
        if pd.api.types.is_integer_dtype(series):
            values = series.dropna()
            if (
                len(values) >= 20
                and values.is_unique
                and (values.is_monotonic_increasing or _id_like_name(series.name))
            ):
                return "id"
        return "numeric"
    # Judged on the distinct values and how many rows hold each: the same
    # answers as looking at every row, in a fraction of the time on large data.
    counts = text_counts(series)
    if counts.empty:
        return "categorical"
    rows = int(counts.sum())
    distinct = counts.index.to_series(index=range(len(counts)))
    if set(distinct.str.lower()) <= {"true", "false"}:
        return "boolean"
    if _parses_as_dates(first_present(series, 200).astype(str)):
        return "datetime"
    unique_ratio = len(counts) / rows
    if rows >= 20 and unique_ratio > 0.5:
        words = (distinct.str.split().str.len().to_numpy() * counts.to_numpy()).sum() / rows
        if unique_ratio > 0.9:
            return "text" if words >= 3 else "id"
        if words >= 4:
            return "text"
    return "categorical"


def text_counts(series: pd.Series) -> pd.Series:
    """How many rows hold each distinct text (str()) of the present values, in order
    of first appearance; a text column is counted as it is, without a copy."""
    if isinstance(series.dtype, pd.StringDtype):
        return series.value_counts(sort=False)
    return series.dropna().astype(str).value_counts(sort=False)


def first_present(series: pd.Series, count: int) -> pd.Series:
    """The first `count` present values, looking no further down than needed."""
    window = max(2 * count, 1)
    while True:
        present = series.iloc[:window].dropna()
        if len(present) >= count or window >= len(series):
            return present.head(count)
        window *= 4


def column_profile(df: pd.DataFrame) -> pd.DataFrame:
    """Missing and distinct values of every column (missing values are not counted as one)."""
    return pd.DataFrame(
        {
            "column": list(df.columns),
            "missing": [int(df[c].isna().sum()) for c in df.columns],
            "distinct": [distinct_count(df[c]) for c in df.columns],
        }
    )


def distinct_count(values: pd.Series) -> int:
    """values.nunique(); for numbers by sorting, several times faster on a million rows
    than hashing each float."""
    if not (pd.api.types.is_numeric_dtype(values) and isinstance(values.dtype, np.dtype)):
        return int(values.nunique())
    if pd.api.types.is_bool_dtype(values):
        return int(values.nunique())
    ordered = np.sort(values.dropna().to_numpy())
    return int(np.count_nonzero(ordered[1:] != ordered[:-1]) + (len(ordered) > 0))


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
    if n_unique == 0:
        raise DataError(
            f"target {target.name!r} is empty in every row; there is nothing to predict. "
            "Pick another target, or cluster without one (--cluster)."
        )
    if n_unique < 2:
        raise DataError(
            f"target {target.name!r} has only one class ({values.iloc[0]!r}); a model needs "
            "at least two — pick another target, add rows of other classes, or cluster "
            "without one (--cluster)."
        )
    _check_numbers_with_text(target.name, values)
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


def _check_numbers_with_text(name: object, values: pd.Series) -> None:
    """A target of many numbers with a few words among them is a regression target
    with bad cells, not hundreds of classes."""
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return
    # Each distinct value parsed once, weighed by the rows holding it.
    seen = values.astype(str).value_counts(sort=False)  # in order of first appearance
    numbers = pd.to_numeric(pd.Series(seen.index.str.strip()), errors="coerce")
    is_number = numbers.notna().to_numpy()
    number_rows, text_rows = int(seen[is_number].sum()), int(seen[~is_number].sum())
    if text_rows and number_rows >= 0.5 * len(values) and numbers.nunique() > 20:
        examples = ", ".join(map(repr, seen.index[~is_number][:3]))
        raise DataError(
            f"target {name!r} holds numbers, but {text_rows} row(s) hold text ({examples}); "
            "a regression target must be numbers only — fix or empty those cells (rows "
            "without a target are dropped), or pick another target."
        )


def class_labels(target: pd.Series) -> list[Any]:
    """The target's classes as plain Python values, sorted."""
    values = [v.item() if hasattr(v, "item") else v for v in target.dropna().unique()]
    return sorted(values, key=lambda v: (str(type(v)), v))
