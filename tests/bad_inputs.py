"""The bad-input corpus: every file a person might hand the playground that it
must refuse with a clear message, or accept with a note saying what it decided.

One list, `CASES`; test_bad_inputs.py feeds every case to `playground init` /
`playground validate` and to the UI's upload and spec import. Files are made
when the test runs (nothing binary or large is committed); the 2 GB file is
sparse, so it takes no disk space and is never read.

A data case is refused when the file is read (`stage="read"`: the upload
fails) or when its target is picked (`stage="target"`: the upload works, then
choosing the target is refused). A spec case is a spec.yaml written beside the
good data (`GOOD_CSV`), derived from the good spec as a plain dict.
"""

from __future__ import annotations

import codecs
import copy
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

COLOURS = ("red", "green", "blue")
HEADER = ("x", "c", "y")


def csv_text(header: tuple | list, rows: list[list[Any]], sep: str = ",") -> str:
    lines = [sep.join(map(str, header))] + [sep.join(map(str, r)) for r in rows]
    return "\n".join(lines) + "\n"


def good_rows(n: int = 30) -> list[list[Any]]:
    """x numeric, c three colours, y two classes not tied to c."""
    return [[round(i * 0.5, 1), COLOURS[i % 3], "ab"[(i // 2) % 2]] for i in range(n)]


GOOD_CSV = csv_text(HEADER, good_rows()).encode()


@dataclass(frozen=True)
class Case:
    id: str
    name: str  # the file's name, as uploaded or given to the CLI
    make: Callable[..., None]  # data: make(path); spec: make(path, good_spec_dict)
    fragments: tuple[str, ...]  # the message must hold each (for an accepted file: the note)
    kind: str = "data"  # data or spec
    outcome: str = "refuse"  # refuse, or accept (with a note when fragments are given)
    stage: str = "read"  # data refused on reading, or on picking `target`
    target: str | None = "y"  # the target given to init and picked in the UI; None: clustering
    check: Callable[[pd.DataFrame], None] | None = None  # accepted: the data as it must read
    ui_fragments: tuple[str, ...] | None = None  # when the UI's message differs (see the case)


# -- makers ------------------------------------------------------------------------


def data(content: bytes | str, encoding: str = "utf-8") -> Callable[[Path], None]:
    raw = content.encode(encoding) if isinstance(content, str) else content

    def make(path: Path) -> None:
        path.write_bytes(raw)

    return make


def table(header, rows, sep: str = ",", encoding: str = "utf-8", prefix: bytes = b""):
    return data(prefix + csv_text(header, rows, sep).encode(encoding))


def frame_bytes(df: pd.DataFrame, fmt: str) -> bytes:
    out = io.BytesIO()
    if fmt == "parquet":
        df.to_parquet(out, index=False)
    else:
        df.to_excel(out, index=False)
    return out.getvalue()


def workbook(sheets: dict[str, pd.DataFrame]) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        with pd.ExcelWriter(path) as writer:
            for name, df in sheets.items():
                df.to_excel(writer, sheet_name=name, index=False)

    return make


def sparse(size: int) -> Callable[[Path], None]:
    """A file of `size` bytes that occupies no disk (a hole) until written."""

    def make(path: Path) -> None:
        with path.open("wb") as handle:
            handle.truncate(size)

    return make


def good_frame(n: int = 30) -> pd.DataFrame:
    return pd.DataFrame(good_rows(n), columns=list(HEADER))


def spec_edit(edit: Callable[[dict], Any]) -> Callable[[Path, dict], None]:
    """A spec.yaml: the good spec with `edit` applied to a copy of it."""

    def make(path: Path, good: dict) -> None:
        spec = copy.deepcopy(good)
        edit(spec)
        path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")

    return make


def spec_text(text: str | bytes) -> Callable[[Path, dict], None]:
    raw = text.encode() if isinstance(text, str) else text

    def make(path: Path, good: dict) -> None:
        path.write_bytes(raw)

    return make


def spec_prefixed(line: str) -> Callable[[Path, dict], None]:
    """The good spec with one more top-level line in front."""

    def make(path: Path, good: dict) -> None:
        path.write_text(line + "\n" + yaml.safe_dump(good, sort_keys=False), encoding="utf-8")

    return make


def _column_gone(spec: dict) -> None:
    spec["columns"].append({"name": "gone", "type": "numeric", "role": "feature"})
    spec["steps"].append({"type": "scale", "params": {"columns": ["gone"]}})


def _step_on_unknown(spec: dict) -> None:
    spec["steps"].append({"type": "scale", "params": {"columns": ["nowhere"]}})


def _setitem(path: str, value: Any) -> Callable[[dict], None]:
    def edit(spec: dict) -> None:
        *parents, last = path.split(".")
        node = spec
        for key in parents:
            node = node[key]
        node[last] = value

    return edit


def _without(key: str) -> Callable[[dict], None]:
    return lambda spec: spec.pop(key)


# -- checks of accepted files ------------------------------------------------------


def reads_like_good(df: pd.DataFrame) -> None:
    assert list(df.columns) == list(HEADER)
    assert df["x"].tolist() == [r[0] for r in good_rows()]
    assert df["y"].tolist() == [r[2] for r in good_rows()]


def reads_latin1(df: pd.DataFrame) -> None:
    assert list(df.columns) == ["x", "town", "y"]
    assert set(df["town"]) == {"Besançon", "Zürich", "Malmö"}


def reads_keyword_names(df: pd.DataFrame) -> None:
    assert list(df.columns) == ["class", "__import__", "lambda", 'it\'s "q"', "y"]
    assert df["class"].tolist()[:3] == [0.0, 0.5, 1.0]


def reads_first_sheet(df: pd.DataFrame) -> None:
    assert list(df.columns) == list(HEADER) and len(df) == 30


# -- the corpus --------------------------------------------------------------------

GIB = 1024**3
N = 30
LATIN1_ROWS = [[i, ("Besançon", "Zürich", "Malmö")[i % 3], "ab"[i % 2]] for i in range(N)]
# 20,000 rows, 10,000 city names twice each: a categorical, not an identifier.
MANY_LEVELS_ROWS = [[i % 7, f"city {i % 10_000}", "ab"[(i // 3) % 2]] for i in range(20_000)]
MIXED_ROWS = [[("twelve" if i in (4, 9) else (i % 10) * 1.5), "ab"[i % 2], i % 3] for i in range(N)]
DATE_ROWS = [
    [i, ("soon" if i % 6 == 0 else f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}"), "ab"[i % 2]]
    for i in range(N)
]
PRICE_ROWS = [[i % 5, ("unknown" if i in (7, 50, 90) else 100 + i * 3.25)] for i in range(120)]

CASES: list[Case] = [
    # Not a table at all.
    Case("empty-file", "data.csv", data(b""), ("data.csv", "empty")),
    Case("only-blank-lines", "data.csv", data("\n  \n\n"), ("empty",)),
    Case(
        "binary-named-csv",
        "data.csv",
        data(bytes(range(256)) * 16),
        ("data.csv", "binary file, not CSV text"),
    ),
    Case("png-named-csv", "photo.csv", data(b"\x89PNG\r\n\x1a\n" + bytes(512)), ("a PNG image",)),
    Case(
        "xlsx-named-csv",
        "data.csv",
        lambda p: p.write_bytes(frame_bytes(good_frame(), "excel")),
        ("binary file", ".xlsx workbook?"),
    ),
    Case(
        "nul-bytes-in-text",
        "data.csv",
        data(GOOD_CSV.replace(b"red", b"r\x00d", 1)),
        ("binary file, not CSV text",),
    ),
    Case(
        "unknown-extension",
        "data.exe",
        data(GOOD_CSV),
        ("data.exe", ".csv", ".parquet"),
    ),
    Case(
        "csv-named-xlsx",
        "data.xlsx",
        data(GOOD_CSV),
        ("data.xlsx", "not an .xlsx workbook"),
    ),
    Case(
        "old-xls",
        "data.xls",
        data(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)),
        ("the old Excel format .xls is not supported", "save it as .xlsx"),
    ),
    Case(
        "csv-named-parquet",
        "data.parquet",
        data(GOOD_CSV),
        ("data.parquet", "not a Parquet file"),
    ),
    Case(
        "truncated-parquet",
        "data.parquet",
        lambda p: p.write_bytes(frame_bytes(good_frame(), "parquet")[:300]),
        ("could not read data.parquet as parquet", "cut short or damaged"),
    ),
    Case("json-list-of-numbers", "data.json", data("[1, 2, 3]"), ("one object per row", "int")),
    Case("json-string", "data.json", data('"just text"'), ("not valid JSON data",)),
    Case("json-cut-short", "data.json", data('[{"x": 1, "y": "a"},'), ("not valid JSON",)),
    Case(
        "json-lines-bad-line",
        "data.jsonl",
        data('{"x": 1, "y": "a"}\n{"x": 2, "y":\n'),
        ("line 2 is not valid JSON",),
    ),
    Case(
        "over-the-size-limit",
        "big.csv",
        sparse(2 * GIB),
        ("big.csv", "2,048 MB", "more than the 200 MB limit", "PLAYGROUND_MAX_UPLOAD_MB"),
    ),
    # A table, but not one a model can be built from.
    Case("only-a-header", "data.csv", data("x,c,y\n"), ("no rows of data",)),
    Case("single-row", "data.csv", table(HEADER, good_rows(1)), ("only 1 row(s)", "at least 5")),
    Case(
        "single-column",
        "data.csv",
        table(["y"], [[r[2]] for r in good_rows()]),
        ("only one column ('y')", "a target and at least one feature"),
    ),
    Case(
        "wrong-delimiter",
        "data.csv",
        table(HEADER, good_rows(), sep=":"),
        ("only one column ('x:c:y')", "--sep"),
    ),
    Case(
        "every-cell-empty",
        "data.csv",
        table(HEADER, [["", "", ""]] * 10),
        ("every cell below the header is empty",),
    ),
    Case(
        "duplicated-headers",
        "data.csv",
        table(("x", "x", "y"), good_rows()),
        ("the column name 'x' appears 2 times", "its own name"),
    ),
    Case("empty-header", "data.csv", table(("x", "", "y"), good_rows()), ("have no header",)),
    Case(
        "unterminated-quote",
        "data.csv",
        data(csv_text(HEADER, good_rows()) + '7,"red,a\n8,blue,b\n'),
        ("could not read data.csv as csv", "EOF inside string", "never closed"),
    ),
    Case(
        "ragged-rows",
        "data.csv",
        data(csv_text(HEADER, good_rows()) + "1,red,a,extra,more\n"),
        ("Expected 3 fields", "saw 5", "--sep"),
    ),
    Case(
        "infinities",
        "data.csv",
        table(HEADER, [["inf" if i == 3 else r[0], *r[1:]] for i, r in enumerate(good_rows())]),
        ("column 'x' holds 1 infinite value(s)", "data row 4", "replace them"),
    ),
    Case(
        "id-and-target-only",
        "data.csv",
        table(("id", "y"), [[i, "ab"[i % 2]] for i in range(N)]),
        ("no column can serve as a feature", "identifiers or free text ('id')"),
        stage="target",  # clustering (the upload's default) groups rows by y
    ),
    Case(
        "first-sheet-empty",
        "book.xlsx",
        workbook({"Notes": pd.DataFrame(), "Data": good_frame()}),
        ("sheet 'Notes' holds no rows", "'Data'", "--sheet"),
    ),
    # A table whose target cannot be predicted: the upload works, picking the target does not.
    Case(
        "target-all-missing",
        "data.csv",
        table(HEADER, [[*r[:2], ""] for r in good_rows()]),
        ("target 'y' is empty in every row", "Pick another target"),
        stage="target",
    ),
    Case(
        "target-one-class",
        "data.csv",
        table(HEADER, [[*r[:2], "a"] for r in good_rows()]),
        ("target 'y' has only one class ('a')", "at least two", "pick another target"),
        stage="target",
    ),
    Case(
        "regression-target-with-text",
        "prices.csv",
        table(("rooms", "price"), PRICE_ROWS),
        ("target 'price' holds numbers, but 3 row(s) hold text ('unknown')", "numbers only"),
        stage="target",
        target="price",
    ),
    Case(
        "text-target-with-hundreds-of-values",
        "data.csv",
        table(("x", "y"), [[i % 4, f"label {i}"] for i in range(150)]),
        ("150 distinct values", "too many classes"),
        stage="target",
    ),
    Case(
        "target-name-with-spaces-not-in-data",
        "sales.csv",
        table(("rooms", "sale_price"), [[i % 5, 100 + i] for i in range(N)]),
        ("target 'sale price' is not a column of sales.csv", "'sale_price'"),
        stage="target",
        target="sale price",
    ),
    # Files that are fine, read as they were meant, with a note where something was decided.
    Case(
        "utf8-bom",
        "data.csv",
        table(HEADER, good_rows(), prefix=codecs.BOM_UTF8),
        (),
        outcome="accept",
        check=reads_like_good,
    ),
    Case(
        "latin1-text",
        "towns.csv",
        table(("x", "town", "y"), LATIN1_ROWS, encoding="latin-1"),
        (),
        outcome="accept",
        check=reads_latin1,
    ),
    Case(
        "excel-several-sheets",
        "book.xlsx",
        workbook({"First": good_frame(), "Second": good_frame(5), "Third": good_frame(7)}),
        ("read sheet 'First' of 3", "'Second', 'Third'", "the Data tab's Sheet menu (or --sheet"),
        outcome="accept",
        check=reads_first_sheet,
    ),
    Case(
        "categorical-with-10000-levels",
        "cities.csv",
        table(("rooms", "city", "y"), MANY_LEVELS_ROWS),
        ("column 'city' has 10,000 distinct values", "one-hot encoding keeps the 20 most"),
        outcome="accept",
    ),
    Case(
        "mixed-types-in-one-column",
        "data.csv",
        table(("x", "y", "z"), MIXED_ROWS),
        ("column 'x' mixes numbers and text", "2 of 30", "'twelve'", "read as categorical"),
        outcome="accept",
    ),
    Case(
        "unparseable-dates",
        "data.csv",
        table(("n", "when", "y"), DATE_ROWS),
        ("column 'when' looks like dates", "'soon'", "read as categorical"),
        outcome="accept",
    ),
    Case(
        "python-keywords-and-quotes-as-column-names",
        "data.csv",
        data(
            csv_text(
                ["class", "__import__", "lambda", '"it\'s ""q"""', "y"],
                [[r[0], r[1], i % 4, r[1][::-1], r[2]] for i, r in enumerate(good_rows())],
            )
        ),
        (),
        outcome="accept",
        check=reads_keyword_names,
    ),
    # Specs, checked by `playground validate` and by the UI's spec import.
    Case(
        "spec-unknown-keys",
        "spec.yaml",
        spec_edit(lambda s: s.update(colour="red")),
        ("colour: unknown field (check its spelling)", "allowed: spec_version"),
        kind="spec",
    ),
    Case(
        "spec-unknown-nested-key",
        "spec.yaml",
        spec_edit(lambda s: s["split"].update(shuffle_twice=True)),
        ("split.shuffle_twice: unknown field",),
        kind="spec",
    ),
    Case(
        "spec-wrong-types",
        "spec.yaml",
        spec_edit(_setitem("seed", "forty-two")),
        ("seed:", "'forty-two'"),
        kind="spec",
    ),
    Case(
        "spec-split-as-text",
        "spec.yaml",
        spec_edit(_setitem("split", "random please")),
        ("split:", "'random please'"),
        kind="spec",
    ),
    Case(
        "spec-without-dataset",
        "spec.yaml",
        spec_edit(_without("dataset")),
        ("dataset: required field is missing",),
        kind="spec",
    ),
    # The UI imports a spec for the data it has open (the path is not used), so
    # there the moved file shows as data whose hash does not match.
    Case(
        "spec-dataset-file-missing",
        "spec.yaml",
        spec_edit(lambda s: s["dataset"].update(path="moved/elsewhere.csv", sha256="0" * 64)),
        ("dataset not found: moved/elsewhere.csv", "fix dataset.path"),
        kind="spec",
        ui_fragments=("has changed since the spec was written", "restore the file"),
    ),
    Case(
        "spec-hash-no-longer-matches",
        "spec.yaml",
        spec_edit(lambda s: s["dataset"].update(sha256="f" * 64)),
        ("has changed since the spec was written", "spec says ffffffffffff", "restore the file"),
        kind="spec",
    ),
    Case(
        "spec-future-version",
        "spec.yaml",
        spec_edit(_setitem("spec_version", 99)),
        ("spec_version 99 is newer than this AI-Playground understands", "upgrade"),
        kind="spec",
    ),
    Case(
        "spec-yaml-tag-runs-a-command",
        "spec.yaml",
        spec_prefixed('pwned: !!python/object/apply:os.system ["touch pwned"]'),
        ("python/object/apply:os.system", "tags that build objects are not allowed"),
        kind="spec",
    ),
    Case(
        "spec-yaml-tag-names-a-function",
        "spec.yaml",
        spec_prefixed("hook: !!python/name:os.system"),
        ("python/name:os.system", "tags that build objects are not allowed"),
        kind="spec",
    ),
    Case(
        "spec-step-column-no-longer-in-data",
        "spec.yaml",
        spec_edit(_column_gone),
        ("columns ['gone'] of the spec are not in", "good.csv (used by step(s) 2)", "remove them"),
        kind="spec",
    ),
    Case(
        "spec-step-names-an-unknown-column",
        "spec.yaml",
        spec_edit(_step_on_unknown),
        ("'nowhere' does not exist",),
        kind="spec",
    ),
    Case(
        "spec-unknown-step-type",
        "spec.yaml",
        spec_edit(lambda s: s["steps"].append({"type": "frobnicate", "params": {}})),
        ("'frobnicate'",),
        kind="spec",
    ),
    Case(
        "spec-unknown-model",
        "spec.yaml",
        spec_edit(_setitem("model", {"type": "deep_magic", "params": {}})),
        ("'deep_magic'",),
        kind="spec",
    ),
    Case(
        "spec-split-over-one",
        "spec.yaml",
        spec_edit(lambda s: s["split"].update(train=0.9)),
        ("split",),
        kind="spec",
    ),
    Case("spec-empty", "spec.yaml", spec_text(""), ("the spec is empty",), kind="spec"),
    Case(
        "spec-a-list",
        "spec.yaml",
        spec_text("- one\n- two\n"),
        ("expected a mapping at the top, got list",),
        kind="spec",
    ),
    Case(
        "spec-broken-yaml",
        "spec.yaml",
        spec_text("name: x\nsteps: [unclosed\n"),
        ("not valid YAML (line",),
        kind="spec",
    ),
    Case(
        "spec-not-utf8",
        "spec.yaml",
        spec_text("name: Besançon\n".encode("latin-1")),
        ("not a UTF-8 text file", "a spec is YAML text"),
        kind="spec",
    ),
]
