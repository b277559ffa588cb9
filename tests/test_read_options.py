"""The Data tab's read options at the Workspace: delimiter, encoding, decimal mark and
Excel sheet re-read the file as one undoable change, and an option that cannot read
the file is refused with the reader's reason, losing nothing."""

from __future__ import annotations

import pandas as pd

from playground_ui.state import Workspace

EUROPEAN = "city;price;rooms\n" + "".join(
    f"{city};{100 + i},5;{i % 4 + 1}\n" for i, city in enumerate(["Köln", "Zürich", "Graz"] * 10)
)


def open_file(tmp_path, name: str, content: bytes) -> Workspace:
    ws = Workspace(tmp_path)
    assert ws.load_file(name, content), ws.message
    return ws


def test_the_detected_options_are_shown_and_a_new_encoding_keeps_the_choices(tmp_path):
    ws = open_file(tmp_path, "flats.csv", EUROPEAN.encode("latin-1"))
    assert ws.read_options() == {"sep": ";", "encoding": "latin-1", "decimal": ","}
    assert ws.spec.dataset.read_options["decimal"] == ","
    assert ws.set_target("price"), ws.message
    assert ws.add_step("scale", {"columns": ["rooms"]}), ws.message
    before = ws.spec

    assert ws.set_read_options(encoding="cp1252"), ws.message
    assert "your choices kept" in ws.message
    assert ws.spec.dataset.read_options["encoding"] == "cp1252"
    assert (ws.spec.steps, ws.spec.target) == (before.steps, "price")
    assert ws.raw_data()["city"].iloc[1] == "Zürich"
    ws.undo()  # one change: one undo
    assert ws.spec == before


def test_a_decimal_mark_that_changes_the_columns_starts_from_the_defaults(tmp_path):
    ws = open_file(tmp_path, "flats.csv", EUROPEAN.encode())
    assert ws.set_target("rooms"), ws.message
    before = ws.spec
    assert {c.name: c.type for c in before.columns}["price"] == "numeric"

    assert ws.set_read_options(decimal="."), ws.message
    assert "start again from the defaults; undo goes back" in ws.message
    assert "decimal" not in ws.spec.dataset.read_options
    assert {c.name: c.type for c in ws.spec.columns}["price"] != "numeric"
    assert ws.spec.target == "rooms"  # still a column: still the target
    assert ws.raw_data()["price"].iloc[0] == "100,5"
    ws.undo()
    assert ws.spec == before
    assert ws.raw_data()["price"].iloc[0] == 100.5


def test_options_that_cannot_read_the_file_are_refused_and_nothing_is_lost(tmp_path):
    ws = open_file(tmp_path, "flats.csv", EUROPEAN.encode("latin-1"))
    before, versions = ws.spec, ws.history.position()
    assert not ws.set_read_options(encoding="utf-8")
    assert ws.message_kind == "error"
    assert "utf-8" in ws.message and "encoding" in ws.message
    assert not ws.set_read_options(sep=",")
    assert "flats.csv: only one column ('city;price;rooms') was found" in ws.message
    assert not ws.set_read_options(sep="ab")
    assert "the delimiter is one character" in ws.message
    assert not ws.set_read_options(sheet_name="Data")
    assert "Sheet (--sheet) does not apply to flats.csv" in ws.message
    # The options it is read with already (a refused choice put back) change nothing.
    assert ws.set_read_options(sep=";", encoding="latin-1")
    assert (ws.spec, ws.history.position()) == (before, versions)
    assert len(ws.raw_data()) == 30


def test_a_workbook_lists_its_sheets_and_reads_the_one_chosen(tmp_path):
    path = tmp_path / "book.xlsx"
    with pd.ExcelWriter(path) as writer:
        # The first sheet is read at the upload: a table of its own.
        pd.DataFrame({"a": range(10), "b": range(10, 20)}).to_excel(
            writer, sheet_name="Notes", index=False
        )
        frame = pd.DataFrame({"x": range(20), "y": [i % 2 for i in range(20)], "g": ["a"] * 20})
        frame.to_excel(writer, sheet_name="Data", index=False)
    ws = open_file(tmp_path / "home", "book.xlsx", path.read_bytes())
    assert ws.sheets() == ["Notes", "Data"]
    assert ws.read_options() == {"sheet_name": "Notes"}
    assert not ws.set_read_options(sheet_name="Missing")
    assert "book.xlsx has no sheet 'Missing'; its sheets are 'Notes', 'Data'" in ws.message
    assert ws.set_read_options(sheet_name="Data"), ws.message
    assert [c.name for c in ws.spec.columns] == ["x", "y", "g"]
    assert ws.read_options() == {"sheet_name": "Data"}
    assert list(ws.raw_data().columns) == ["x", "y", "g"]


def test_a_csv_offers_no_sheets(tmp_path):
    ws = open_file(tmp_path, "flats.csv", EUROPEAN.encode())
    assert ws.sheets() == []
    assert Workspace(tmp_path).read_options() == {}
