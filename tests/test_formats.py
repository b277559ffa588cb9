"""Every data format, read by the exported project exactly as by the runtime.

For each format (CSV with `;` and a decimal comma, CSV with a BOM, Latin-1 CSV,
TSV, Parquet, Excel with the second sheet chosen, JSON records, JSON lines) a
small real dataset is written, `playground init` detects its format and read
options, and the runtime reads back exactly the values written. The slow cases
then run and export the spec, and run the exported project alone in an empty
folder: its read_data holds the runtime's read call, reads the same frame, and
its train.py writes the runtime's metrics.

Then the files init refuses, each with exit status 2 and one clear `error:`
line (the bad files tests/test_cli.py already covers are not repeated here).
"""

from __future__ import annotations

import ast
import codecs
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from reports import assert_same_report, assert_user_error

from generator.bundle import export
from generator.render import read_call
from playground_ui.cli import main
from runtime.dataset import detect_format
from runtime.executor import Runner
from runtime.spec import load_spec, save_spec

N_ROWS = 80


def make_data(n_rows: int = N_ROWS, seed: int = 7) -> pd.DataFrame:
    """Numbers with gaps, a whole-number column, an accented category with gaps, a
    binary target that depends on them. Floats have three decimals, so that
    every writer and reader round-trips them exactly."""
    rng = np.random.default_rng(seed)
    size = rng.normal(12.5, 4.0, n_rows).round(3)
    price = rng.uniform(500.0, 5000.0, n_rows).round(2)  # four digits before the mark
    count = rng.integers(0, 9, n_rows)
    city = rng.choice(["Zürich", "Málaga", "Kraków", "Besançon"], n_rows).tolist()
    score = (size - 12.5) / 4.0 + (np.array(city) == "Málaga") - count / 8.0
    target = np.where(score + rng.normal(0, 0.5, n_rows) > 0, "oui", "non").tolist()
    size[rng.random(n_rows) < 0.1] = np.nan
    price[rng.random(n_rows) < 0.1] = np.nan
    for i in np.flatnonzero(rng.random(n_rows) < 0.1):
        city[i] = None
    return pd.DataFrame(
        {
            "size": size,
            "price": price,
            "count": count.astype("int64"),
            "city": pd.array(city, dtype="str"),
            "target": pd.array(target, dtype="str"),
        }
    )


def write_excel(df: pd.DataFrame, path: Path) -> None:
    """Two sheets: a note first, the data second (chosen with --sheet)."""
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"note": ["the data is on the sheet 'Data'"]}).to_excel(
            writer, sheet_name="Notes", index=False
        )
        df.to_excel(writer, sheet_name="Data", index=False)


@dataclass(frozen=True)
class Case:
    filename: str
    write: Callable[[pd.DataFrame, Path], None]
    format: str
    read_options: dict[str, Any]
    init_args: tuple[str, ...] = ()


CASES = {
    "csv-semicolon-decimal-comma": Case(
        "data.csv",
        lambda df, p: df.to_csv(p, sep=";", decimal=",", index=False),
        "csv",
        {"sep": ";", "encoding": "utf-8", "decimal": ","},
    ),
    "csv-bom": Case(
        "data.csv",
        lambda df, p: df.to_csv(p, index=False, encoding="utf-8-sig"),
        "csv",
        {"sep": ",", "encoding": "utf-8-sig"},
    ),
    "csv-latin-1": Case(
        "data.csv",
        lambda df, p: df.to_csv(p, index=False, encoding="latin-1"),
        "csv",
        {"sep": ",", "encoding": "latin-1"},
    ),
    "tsv": Case(
        "data.tsv",
        lambda df, p: df.to_csv(p, sep="\t", index=False),
        "tsv",
        {"encoding": "utf-8"},
    ),
    "parquet": Case("data.parquet", lambda df, p: df.to_parquet(p), "parquet", {}),
    "excel-second-sheet": Case(
        "data.xlsx", write_excel, "excel", {"sheet_name": "Data"}, ("--sheet", "Data")
    ),
    "json-records": Case(
        "data.json",
        lambda df, p: df.to_json(p, orient="records", force_ascii=False),
        "json",
        {"orient": "records"},
    ),
    "json-lines": Case(
        "data.jsonl",
        lambda df, p: df.to_json(p, orient="records", lines=True),
        "json",
        {"lines": True},
    ),
}


def init(tmp_path: Path, case: Case, capsys) -> tuple[Path, pd.DataFrame]:
    """Write the case's data, run `playground init` on it; the spec's path and the data."""
    df = make_data()
    (tmp_path / "data").mkdir()
    data = tmp_path / "data" / case.filename
    case.write(df, data)
    spec_path = tmp_path / "spec.yaml"
    code = main(["init", str(data), "--target", "target", "-o", str(spec_path), *case.init_args])
    out, err = capsys.readouterr()
    assert (code, err) == (0, ""), err
    assert out.startswith(f"Wrote {spec_path}")
    return spec_path, df


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_init_detects_the_format_and_reads_what_was_written(tmp_path, capsys, case):
    spec_path, df = init(tmp_path, case, capsys)
    spec = load_spec(spec_path)
    assert spec.dataset.format == case.format
    assert spec.dataset.read_options == case.read_options
    assert spec.dataset.path == f"data/{case.filename}"
    column_types = {c.name: c.type for c in spec.columns}
    assert column_types == {
        "size": "numeric",
        "price": "numeric",
        "count": "numeric",
        "city": "categorical",
        "target": "categorical",
    }
    assert spec.classes == ["non", "oui"]
    # Same columns, same dtypes, same values (accents, gaps and decimals included).
    read = Runner(spec, spec_path.parent).raw_data()
    pd.testing.assert_frame_equal(read, df, check_exact=True)


# -- the exported project reads and trains as the runtime did ---------------------------


def clean_env() -> dict[str, str]:
    """This environment without what could let the project lean on the playground."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH" and not k.startswith("PYTEST")}


def run_python(args: list[str], cwd: Path) -> None:
    proc = subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, f"{args} failed in {cwd}:\n{proc.stdout[-3000:]}\n{proc.stderr}"


def load_module(path: Path) -> types.ModuleType:
    """A module of the exported project, loaded from its file under a name of its own."""
    loader_spec = importlib.util.spec_from_file_location(f"exported_{path.stem}", path)
    module = importlib.util.module_from_spec(loader_spec)
    loader_spec.loader.exec_module(module)
    return module


def read_data_return(source: str) -> ast.stmt:
    """The return statement of read_data in preprocessing.py's source."""
    tree = ast.parse(source)
    function = next(
        node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == "read_data"
    )
    returns = [node for node in function.body if isinstance(node, ast.Return)]
    assert len(returns) == 1, ast.unparse(function)
    return returns[0]


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_export_reads_the_file_as_the_runtime_did(tmp_path, capsys, case):
    spec_path, _ = init(tmp_path, case, capsys)
    spec = load_spec(spec_path)
    spec.model.type, spec.model.params = "random_forest_classifier", {"n_estimators": 10}
    save_spec(spec, spec_path)
    spec = load_spec(spec_path)
    runner = Runner(spec, spec_path.parent)
    result = runner.run()
    runtime_frame = runner.raw_data()

    staging = export(runner, tmp_path / "export", result)
    project = tmp_path / "alone" / "project"  # the project by itself, nothing else at hand
    shutil.copytree(staging, project)

    # read_data holds exactly the call the runtime read with.
    expected_call = read_call(spec.dataset)
    got = read_data_return((project / "preprocessing.py").read_text(encoding="utf-8"))
    assert ast.dump(got) == ast.dump(ast.parse(expected_call).body[0]), ast.unparse(got)
    exported_spec = load_spec(project / "spec.yaml")
    assert exported_spec.dataset.format == spec.dataset.format
    assert exported_spec.dataset.read_options == spec.dataset.read_options
    assert (project / "data" / case.filename).read_bytes() == (
        spec_path.parent / spec.dataset.path
    ).read_bytes()
    if case.format == "excel":
        assert "openpyxl" in (project / "requirements.txt").read_text()

    # ... and reads the same frame.
    exported = load_module(project / "preprocessing.py")
    frame = exported.read_data(str(project / "data" / case.filename))
    pd.testing.assert_frame_equal(frame, runtime_frame, check_exact=True)

    # train.py writes the runtime's metrics.
    out = tmp_path / "train-output"
    run_python(["train.py", "--out", str(out)], cwd=project)
    assert_same_report(json.loads((out / "metrics.json").read_text()), result.report)


# -- detection details ------------------------------------------------------------------


def write_text(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize(
    "name, text, encoding, expected",
    [
        ("pipe.csv", "a|b|t\n1.5|x|y\n2.5|z|n\n", "utf-8", {"sep": "|", "encoding": "utf-8"}),
        ("tab.csv", "a\tb\tt\n1.5\tx\ty\n2.5\tz\tn\n", "utf-8", {"sep": "\t", "encoding": "utf-8"}),
        ("data.txt", "a;b;t\n1;x;y\n2;z;n\n", "utf-8", {"sep": ";", "encoding": "utf-8"}),
        # Commas inside quoted fields are not the delimiter.
        (
            "quoted.csv",
            'name;note;t\n"a, b";"c, d, e";y\n"f";"g, h";n\n',
            "utf-8",
            {"sep": ";", "encoding": "utf-8"},
        ),
        # cp1252's euro sign (byte 0x80), which Latin-1 would read as a control.
        ("euro.csv", "a,price,t\nx,5 €,y\nz,7 €,n\n", "cp1252", {"sep": ",", "encoding": "cp1252"}),
        ("wide.csv", "a,b,t\n1,é,y\n2,ü,n\n", "utf-16", {"sep": ",", "encoding": "utf-16"}),
        # German numbers: thousands grouped with points, a decimal comma.
        (
            "de.csv",
            "a;b;t\n1.234,5;3;y\n-0,25;4;n\n12,0;;y\n",
            "utf-8",
            {"sep": ";", "encoding": "utf-8", "decimal": ",", "thousands": "."},
        ),
        # A column with decimal points: commas elsewhere are not decimal marks.
        ("mixed.csv", "a;b;t\n1,5;2.5;y\n2,5;3.5;n\n", "utf-8", {"sep": ";", "encoding": "utf-8"}),
        # Text that merely holds digits and commas is not a number.
        ("text.csv", "a;b;t\n1,5;x;y\n2,5 kg;z;n\n", "utf-8", {"sep": ";", "encoding": "utf-8"}),
        ("comma.tsv", "a\tt\n1,5\ty\n2,25\tn\n", "utf-8", {"encoding": "utf-8", "decimal": ","}),
    ],
)
def test_text_detection(tmp_path, name, text, encoding, expected):
    path = write_text(tmp_path / name, text, encoding)
    fmt, options = detect_format(path)
    assert options == expected
    assert fmt == ("tsv" if name.endswith(".tsv") else "csv")


def test_an_encoding_error_far_into_the_file_is_found(tmp_path):
    """The whole file is checked, not just the start the delimiter is judged on."""
    rows = "".join(f"{i},{i * 0.5},plain\n" for i in range(20000))
    path = tmp_path / "late.csv"
    path.write_bytes(b"a,b,c\n" + rows.encode() + "9,1.5,Besançon\n".encode("latin-1"))
    assert path.stat().st_size > 64 * 1024
    assert detect_format(path) == ("csv", {"sep": ",", "encoding": "latin-1"})


def test_excel_defaults_to_the_first_sheet(tmp_path):
    path = tmp_path / "book.xlsx"
    write_excel(make_data(10), path)
    assert detect_format(path) == ("excel", {"sheet_name": "Notes"})


@pytest.mark.parametrize(
    "layout, expected",
    [
        ("columns", {"orient": "columns"}),
        ("split", {"orient": "split"}),
    ],
)
def test_json_layouts_pandas_writes(tmp_path, layout, expected):
    df = make_data(12)
    path = tmp_path / "data.json"
    df.to_json(path, orient=layout)
    assert detect_format(path) == ("json", expected)


def test_json_with_a_bom_names_its_encoding(tmp_path):
    path = tmp_path / "data.json"
    path.write_bytes(codecs.BOM_UTF8 + b'[{"a": 1, "t": "x"}, {"a": 2, "t": "y"}]')
    assert detect_format(path) == ("json", {"orient": "records", "encoding": "utf-8-sig"})


UTF8_SEMICOLON_COMMA = {"sep": ";", "encoding": "utf-8", "decimal": ","}
UTF8_TAB = {"sep": "\t", "encoding": "utf-8"}
OVERRIDES = {
    # name: (header and row of the file, init options, detected, then with the options)
    # Both , and ; split every line in two: detection takes the comma.
    "sep": (
        ("a,b;target", "1,2;{t}"),
        ("--sep", ";"),
        {"sep": ",", "encoding": "utf-8"},
        UTF8_SEMICOLON_COMMA,
    ),
    # A delimiter by name, or written as an escape.
    "sep-named": (("a\tb\ttarget", "1\t2\t{t}"), ("--sep", "tab"), UTF8_TAB, UTF8_TAB),
    "sep-escaped": (("a\tb\ttarget", "1\t2\t{t}"), ("--sep", "\\t"), UTF8_TAB, UTF8_TAB),
    "encoding": (
        ("a;target", "1,5;{t}"),
        ("--encoding", "cp1252"),
        UTF8_SEMICOLON_COMMA,
        {"sep": ";", "encoding": "cp1252", "decimal": ","},
    ),
    "no-decimal-comma": (
        ("a;target", "1,5;{t}"),
        ("--decimal", "."),
        UTF8_SEMICOLON_COMMA,
        {"sep": ";", "encoding": "utf-8"},
    ),
    # A column with decimal points keeps detection from a decimal comma; a person may insist.
    "decimal-comma": (
        ("a;b;target", "1,5;2.5;{t}"),
        ("--decimal", ","),
        {"sep": ";", "encoding": "utf-8"},
        UTF8_SEMICOLON_COMMA,
    ),
}


@pytest.mark.parametrize("lines, args, detected, expected", OVERRIDES.values(), ids=OVERRIDES)
def test_init_options_override_detection(tmp_path, capsys, lines, args, detected, expected):
    """What a person says about the file wins over what is detected."""
    header, row = lines
    data = tmp_path / "data.csv"
    text = "\n".join([header, *(row.format(t=t) for t in "xyxyxy")]) + "\n"
    data.write_text(text, encoding="utf-8")
    assert detect_format(data) == ("csv", detected)
    spec_path = tmp_path / "spec.yaml"
    code = main(["init", str(data), "--target", "target", "-o", str(spec_path), *args])
    assert (code, capsys.readouterr().err) == (0, "")
    spec = load_spec(spec_path)
    assert (spec.dataset.format, spec.dataset.read_options) == ("csv", expected)


def test_a_tsv_file_with_another_delimiter_is_read_as_csv(tmp_path, capsys):
    data = tmp_path / "data.tsv"
    make_data().to_csv(data, index=False)
    spec_path = tmp_path / "spec.yaml"
    code = main(["init", str(data), "--target", "target", "-o", str(spec_path), "--sep", ","])
    assert (code, capsys.readouterr().err) == (0, "")
    spec = load_spec(spec_path)
    assert (spec.dataset.format, spec.dataset.read_options) == (
        "csv",
        {"sep": ",", "encoding": "utf-8"},
    )
    pd.testing.assert_frame_equal(Runner(spec, tmp_path).raw_data(), make_data())


# -- files init refuses -----------------------------------------------------------------


def two_sheets(path: Path) -> None:
    write_excel(make_data(10), path)


def header_only_sheet(path: Path) -> None:
    with pd.ExcelWriter(path) as writer:
        make_data(0).to_excel(writer, sheet_name="Empty", index=False)


def empty_first_sheet(path: Path) -> None:
    with pd.ExcelWriter(path) as writer:
        make_data(0).to_excel(writer, sheet_name="Empty", index=False)
        make_data(10).to_excel(writer, sheet_name="Data", index=False)


BAD_FILES = {
    # name: (content, or a function writing it; file name; extra init args; fragments)
    "wrong-sheet": (
        two_sheets,
        "book.xlsx",
        ("--sheet", "Sales"),
        ("book.xlsx", "no sheet 'Sales'", "'Notes', 'Data'", "--sheet"),
    ),
    "header-only-sheet": (header_only_sheet, "book.xlsx", (), ("book.xlsx", "'Empty'", "no rows")),
    "empty-first-sheet": (
        empty_first_sheet,
        "book.xlsx",
        (),
        ("'Empty' holds no rows", "'Empty', 'Data'", "--sheet"),
    ),
    "not-a-workbook": (b"a,b\n1,2\n", "book.xlsx", (), ("book.xlsx", "not an .xlsx workbook")),
    "old-xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64), "book.xls", (), (".xls", ".xlsx")),
    "empty-workbook-file": (b"", "book.xlsx", (), ("book.xlsx", "empty")),
    "empty-parquet": (b"", "data.parquet", (), ("data.parquet", "empty")),
    "malformed-json": (
        b'[{"a": 1, "target": "x"},\n {"a": 2, "target": }]',
        "data.json",
        (),
        ("data.json", "not valid JSON", "line 2"),
    ),
    "malformed-json-lines": (
        b'{"a": 1, "target": "x"}\n{"a": 2, "target": "y"\n',
        "data.jsonl",
        (),
        ("data.jsonl", "line 2 is not valid JSON"),
    ),
    "json-not-an-object-per-line": (
        b'{"a": 1, "target": "x"}\n[2, "y"]\n',
        "data.jsonl",
        (),
        ("line 2", "row object"),
    ),
    "json-array-of-arrays": (
        b'[[1, "x"], [2, "y"]]',
        "data.json",
        (),
        ("data.json", "one object per row"),
    ),
    "json-empty-list": (b"[]", "data.json", (), ("data.json", "no rows")),
    "json-not-json": (b"a,b\n1,2\n", "data.json", (), ("data.json", "not valid JSON")),
    "empty-json": (b"\n \n", "data.json", (), ("data.json", "empty")),
    "bom-only-csv": (codecs.BOM_UTF8 + b"\n", "data.csv", (), ("data.csv", "empty")),
    "binary-tsv": (bytes(range(256)) * 8, "data.tsv", (), ("data.tsv", "binary", "TSV")),
    "workbook-named-csv": (
        b"PK\x03\x04" + bytes(range(1, 256)) * 4,
        "data.csv",
        (),
        ("binary", "Excel .xlsx workbook"),
    ),
    "binary-without-nul-bytes": (
        bytes(b for b in range(1, 256) if b not in b"\n\r") * 40,
        "data.csv",
        (),
        ("data.csv", "binary"),
    ),
    "header-only-tsv": (b"a\tb\ttarget\n", "data.tsv", (), ("data.tsv", "no rows")),
    "sheet-on-a-csv": (b"a,target\n1,x\n2,y\n", "data.csv", ("--sheet", "S"), ("--sheet", "csv")),
    "sep-on-a-workbook": (two_sheets, "book.xlsx", ("--sep", ";"), ("--sep", "book.xlsx")),
    "encoding-on-parquet": (
        lambda p: make_data(10).to_parquet(p),
        "data.parquet",
        ("--encoding", "utf-8"),
        ("--encoding", "data.parquet"),
    ),
    "unknown-encoding": (
        b"a,target\n1,x\n2,y\n",
        "data.csv",
        ("--encoding", "klingon"),
        ("'klingon'", "unknown encoding"),
    ),
    "bad-sep": (b"a,target\n1,x\n", "data.csv", ("--sep", ";;"), ("--sep", "one character")),
    "bad-decimal": (b"a,target\n1,x\n", "data.csv", ("--decimal", "dot"), ("--decimal", "'.'")),
    "decimal-is-the-sep": (
        b"a,target\n1,x\n2,y\n",
        "data.csv",
        ("--decimal", ","),
        ("data.csv", "cannot also be the delimiter", "--sep"),
    ),
    "wrong-encoding-given": (
        "a,target\nBesançon,x\nZürich,y\n".encode("latin-1"),
        "data.csv",
        ("--encoding", "utf-8"),
        ("could not read data.csv", "not utf-8 text", "--encoding"),
    ),
    "wrong-sep-given": (
        b"a;b;target\n1;2;x\n3,5;4,5;y\n",
        "data.csv",
        ("--sep", ","),
        ("could not read data.csv", "Expected 1 fields in line 3, saw 3", "--sep"),
    ),
}


@pytest.mark.parametrize("content, name, args, fragments", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_init_refuses_unusable_files_with_one_clear_line(
    tmp_path, capsys, content, name, args, fragments
):
    data = tmp_path / name
    if callable(content):
        content(data)
    else:
        data.write_bytes(content)
    spec_path = tmp_path / "s.yaml"
    code = main(["init", str(data), "--target", "target", "-o", str(spec_path), *args])
    out, err = capsys.readouterr()
    assert_user_error(code, out, err, *fragments)
    assert not spec_path.exists()


def test_a_spec_naming_a_missing_sheet_lists_the_sheets(tmp_path, capsys):
    """A spec edited by hand to a sheet the workbook lacks: run says which exist."""
    spec_path, _ = init(tmp_path, CASES["excel-second-sheet"], capsys)
    spec = load_spec(spec_path)
    spec.dataset.read_options["sheet_name"] = "Sales"
    save_spec(spec, spec_path)
    code = main(["run", str(spec_path)])
    out, err = capsys.readouterr()
    assert_user_error(code, out, err, "data/data.xlsx", "'Sales'", "'Notes', 'Data'", "--sheet")
