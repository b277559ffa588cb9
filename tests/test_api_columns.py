"""The exported API checks a batch a column at a time: it must take exactly the
batches Row takes row by row, give the model the same frame, warn of the same
values, and leave every bad batch to Row's per-row validation and its errors."""

from __future__ import annotations

import asyncio
import gc
import importlib.util
import math
import sys
from concurrent.futures import ThreadPoolExecutor

import joblib
import numpy as np
import pandas as pd
import pytest
from pydantic import ConfigDict, Field, ValidationError, create_model
from sklearn.dummy import DummyRegressor
from synthetic import make_frame, model_steps, spec_dict, write_frame

from generator import bundle, render
from runtime.executor import Runner
from runtime.schema import input_schema
from runtime.spec import parse_spec


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A regression spec over numbers (one of integer dtype), text categories, a
    boolean and a date-time text column, its folder and its data."""
    folder = tmp_path_factory.mktemp("columns")
    frame = make_frame(200, "regression")
    frame["count"] = np.arange(len(frame)) % 7
    frame["flag"] = frame["num_a"] > 50
    write_frame(frame, folder)
    data = spec_dict(frame.drop(columns=["count", "flag"]), "regression", model_steps(frame))
    data["columns"] += [
        {"name": "count", "type": "numeric", "role": "feature"},
        {"name": "flag", "type": "boolean", "role": "feature"},
    ]
    return parse_spec(data), folder, frame


@pytest.fixture(scope="module")
def service(project):
    """The project's rendered app/main.py, imported, and its rows as JSON."""
    spec, folder, frame = project
    splits = Runner(spec, folder).split_frames()
    schema = input_schema(spec, splits["train"], [splits["validation"], splits["test"]])
    context = bundle._common_context(spec, None, "data.csv", "0" * 64)
    source = render.environment().get_template("app/main.py.j2").render(context, schema=schema)
    path = folder / "app_main.py"
    path.write_text(source)
    module_spec = importlib.util.spec_from_file_location("columns_app_main", path)
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[module_spec.name] = module
    module_spec.loader.exec_module(module)
    rows = frame[spec.features].astype(object).where(frame[spec.features].notna(), None)
    yield module, rows.to_dict("records")
    del sys.modules[module_spec.name]


@pytest.fixture(scope="module")
def pipeline(project):
    spec, folder, _ = project
    return Runner(spec, folder).run().pipeline


def per_row_frame(service, records: list[dict]) -> pd.DataFrame:
    """The frame as the API built it row by row before the column check."""
    frame = pd.DataFrame(records, columns=[c["name"] for c in service.INPUT_SCHEMA])
    for column in service.INPUT_SCHEMA:
        name = column["name"]
        try:
            frame[name] = frame[name].astype(column["dtype"])
        except (TypeError, ValueError):
            frame[name] = frame[name].astype("float64")
    return frame


def per_row_unseen(service, record: dict, where: list) -> tuple[list[str], list[dict]]:
    """The warnings and errors of one validated row, as the API found them row by row."""
    warnings, errors = [], []
    for column in service.INPUT_SCHEMA:
        name, value = column["name"], record[column["name"]]
        if value is None:
            continue
        if "minimum" in column and not column["minimum"] <= value <= column["maximum"]:
            warnings.append(
                f"{name}: {value} is outside the training range "
                f"[{column['minimum']}, {column['maximum']}]"
            )
        if "categories" in column and value not in column["categories"]:
            if service.UNSEEN_CATEGORIES == "reject":
                errors.append(
                    {
                        "loc": [*where, name],
                        "msg": f"{value!r} is not a category seen in training; "
                        f"allowed: {column['categories']}",
                        "type": "unseen_category",
                    }
                )
            else:
                warnings.append(f"{name}: {value!r} was not seen in training; scored as unknown")
    return warnings, errors


def validated_records(service, rows: list[dict]) -> list[dict]:
    return [service.Row.model_validate(row).model_dump(by_alias=True) for row in rows]


def unusual_rows(rows: list[dict]) -> list[dict]:
    """Valid rows with integers for floats, unseen categories and out-of-range numbers."""
    rows = [dict(row) for row in rows[:40]]
    rows[0]["num_a"] = 1000
    rows[1]["cat_a"] = "purple"
    rows[2].update(num_b=-3.5, cat_b="nowhere", count=99)
    rows[3]["num_a"] = None
    rows[4]["count"] = 2.0
    return rows


def test_a_valid_batch_is_checked_by_column_and_scored_as_row_by_row(service):
    module, rows = service
    rows = unusual_rows(rows)
    batch = module.Batch.model_validate({"rows": rows})
    assert all(type(row) is dict for row in batch.rows), "the column check was not taken"
    records = validated_records(module, rows)
    # Missing values of the same kind too (text through Arrow arrays, numbers as NaN).
    assert_same_frame(module.to_frame(batch._columns), per_row_frame(module, records))
    warnings, errors = module.unseen_values(
        batch._columns, len(rows), lambda i, name: ["body", i, name]
    )
    expected = [per_row_unseen(module, r, ["body", i]) for i, r in enumerate(records)]
    assert warnings == [w for w, _ in expected] and errors == []
    assert "num_a: 1000.0 is outside the training range" in warnings[0][0]
    assert "cat_b: 'nowhere' was not seen in training; scored as unknown" in warnings[2]


def test_values_row_converts_take_the_per_row_path_and_the_same_frame(service):
    module, rows = service
    rows = [dict(row) for row in rows[:10]]
    rows[0]["num_b"] = "2.5"  # Row reads a number from text
    batch = module.Batch.model_validate({"rows": rows})
    assert all(isinstance(row, module.Row) for row in batch.rows)
    records = validated_records(module, rows)
    pd.testing.assert_frame_equal(module.to_frame(batch._columns), per_row_frame(module, records))


def doubtful_batches(rows: list[dict], limit: int) -> dict[str, object]:
    good = rows[0]
    return {
        "missing column": {"rows": [good, {k: v for k, v in good.items() if k != "cat_a"}]},
        "extra column": {"rows": [{**good, "surprise": 1}]},
        "text for a number": {"rows": [good, {**good, "num_a": "many"}]},
        "boolean for a number": {"rows": [{**good, "num_a": True}]},
        "number for a text": {"rows": [{**good, "cat_b": 3}]},
        "NaN": {"rows": [{**good, "num_b": math.nan}]},
        "infinity": {"rows": [{**good, "num_b": -math.inf}]},
        "huge integer": {"rows": [{**good, "count": 10**400}]},
        "null where not nullable": {"rows": [{**good, "count": None}]},
        "row not an object": {"rows": [good, [1, 2]]},
        "rows not a list": {"rows": good},
        "no rows": {"lines": [good]},
        "too many rows": {"rows": [good] * (limit + 1)},
    }


def errors_of(model, body) -> list[dict] | None:
    try:
        model.model_validate(body)
    except ValidationError as exc:
        return exc.errors()
    return None


def test_doubtful_batches_get_the_answer_of_row_by_row_validation(service):
    module, rows = service
    # Batch without its column check, at the same row limit.
    limit = module.MAX_BATCH_ROWS
    plain = create_model("Plain", rows=(list[module.Row], Field(max_length=limit)))
    refused = 0
    for case, body in doubtful_batches(rows, limit).items():
        expected = errors_of(plain, body)
        assert errors_of(module.Batch, body) == expected, case
        refused += expected is not None
    assert refused >= 10


def test_unseen_categories_refused_name_each_row_and_field_in_order(service, monkeypatch):
    module, rows = service
    monkeypatch.setattr(module, "UNSEEN_CATEGORIES", "reject")
    rows = [dict(row) for row in rows[:6]]
    rows[4].update(cat_a="purple", cat_b="nowhere")
    rows[1]["cat_b"] = "nowhere"
    batch = module.Batch.model_validate({"rows": rows})
    _, errors = module.unseen_values(batch._columns, len(rows), module.in_rows_body)
    records = validated_records(module, rows)
    expected = [per_row_unseen(module, r, ["body", "rows", i]) for i, r in enumerate(records)]
    assert errors == [error for _, row_errors in expected for error in row_errors]
    assert [e["loc"] for e in errors] == [
        ["body", "rows", 1, "cat_b"],
        ["body", "rows", 4, "cat_a"],
        ["body", "rows", 4, "cat_b"],
    ]


def pandas_cast_frame(service, columns: dict) -> pd.DataFrame:
    """The frame as the API built it before making arrays directly: a pandas Series
    per column cast to the training dtype with `astype`."""
    return pd.DataFrame(
        {c["name"]: service.as_series(c, columns[c["name"]]) for c in service.INPUT_SCHEMA}
    )


def assert_same_frame(frame: pd.DataFrame, expected: pd.DataFrame) -> None:
    """Same columns, dtypes and values, and missing values of the same kind (None or NaN)."""
    pd.testing.assert_frame_equal(frame, expected, check_exact=True)
    for name in expected:
        assert list(map(repr, frame[name])) == list(map(repr, expected[name])), name


def test_one_row_frames_are_the_pandas_cast_frames_and_score_the_same(service, pipeline):
    module, rows = service
    rows = unusual_rows(rows)
    # Among them rows with a gap in each nullable column (the fixture's gaps are 10 %).
    for name in ("num_a", "num_b", "cat_a", "cat_b", "when"):
        assert any(row[name] is None for row in rows), name
    frames, expected = [], []
    for record in validated_records(module, rows):
        columns = module.columns_of([record])
        frames.append(module.to_frame(columns))
        expected.append(pandas_cast_frame(module, columns))
        assert_same_frame(frames[-1], expected[-1])
        assert_same_frame(frames[-1], per_row_frame(module, [record]))
    assert [str(t) for t in frames[0].dtypes] == [c["dtype"] for c in module.INPUT_SCHEMA]
    assert {"float64", "int64", "str", "bool"} <= {str(t) for t in frames[0].dtypes}
    got = np.concatenate([pipeline.predict(frame) for frame in frames])
    want = np.concatenate([pipeline.predict(frame) for frame in expected])
    assert np.array_equal(got, want)


def test_one_row_text_arrays_made_at_start_up_are_never_handed_to_a_request(service):
    """A one-row frame takes a copy of the text array made at start-up for a seen
    category: writing into one request's frame changes no other request's, and
    frames built at once in threads each hold their own row."""
    module, rows = service
    assert set(module.ONE_VALUE_ARRAYS) == {"cat_a", "cat_b"}
    assert set(module.ONE_VALUE_ARRAYS["cat_a"]) == {"red", "green", "blue", None}
    seen = [row for row in rows if row["cat_a"] is not None and row["cat_b"] is not None]
    record = validated_records(module, seen[:1])[0]
    columns = module.columns_of([record])
    frame = module.to_frame(columns)
    assert frame["cat_a"].array is not module.ONE_VALUE_ARRAYS["cat_a"][record["cat_a"]]
    expected = pandas_cast_frame(module, columns)
    frame.loc[0, "cat_a"] = "written"
    frame["cat_b"] = frame["cat_b"].str.upper()
    assert_same_frame(module.to_frame(columns), expected)
    assert list(module.ONE_VALUE_ARRAYS["cat_a"][record["cat_a"]]) == [record["cat_a"]]

    records = validated_records(module, rows[:60])
    with ThreadPoolExecutor(max_workers=4) as pool:
        frames = list(pool.map(lambda r: module.to_frame(module.columns_of([r])), records))
    for record, frame in zip(records, frames, strict=True):
        assert_same_frame(frame, pandas_cast_frame(module, module.columns_of([record])))


@pytest.mark.parametrize(
    ("kind", "dtype", "values"),
    [
        ("numeric", "float64", np.array([1.5, np.nan, -2.0])),
        ("numeric", "int64", np.array([1.0, 7.0, -2.0])),
        ("numeric", "int64", np.array([1.0, np.nan])),
        ("numeric", "int64", np.array([2.5, -0.0])),
        ("numeric", "int32", np.array([3.0, 4.0])),
        ("numeric", "str", np.array([3.0, np.nan])),
        ("categorical", "str", ["a", None, "b"]),
        ("categorical", "object", ["a", None, "b"]),
        ("boolean", "bool", [True, False]),
        ("boolean", "bool", [True, None]),
        ("boolean", "object", [True, None, False]),
        ("categorical", "int64", ["3", "4"]),
        ("categorical", "category", ["x", None, "y"]),
        ("datetime", "datetime64[us]", ["2024-01-02 03:04:05", None]),
    ],
)
def test_each_dtype_is_made_as_pandas_casts_it(service, kind, dtype, values):
    module, _ = service
    column = {"name": "x", "type": kind, "dtype": dtype, "nullable": True}
    made = pd.DataFrame({"x": module.in_training_dtype(column, values)}, copy=False)
    assert_same_frame(made, pd.DataFrame({"x": module.as_series(column, values)}))


def column_body(rows: list[dict]) -> dict[str, list]:
    return {name: [row[name] for row in rows] for name in rows[0]}


def test_a_column_body_gives_the_batch_columns_frame_and_warnings(service):
    module, rows = service
    rows = unusual_rows(rows)
    batch = module.Batch.model_validate({"rows": rows})
    body = module.Columns.model_validate(column_body(rows))
    assert body._n_rows == len(rows)
    assert_same_frame(module.to_frame(body._columns), module.to_frame(batch._columns))
    by_column = module.unseen_values(body._columns, len(rows), module.in_columns_body)
    assert by_column == module.unseen_values(batch._columns, len(rows), module.in_rows_body)
    # Values pydantic converts (text for a number) take its path, to the same frame.
    text_number = column_body(rows)
    text_number["num_b"] = [str(v) if v is not None else None for v in text_number["num_b"]]
    converted = module.Columns.model_validate(text_number)
    assert_same_frame(module.to_frame(converted._columns), module.to_frame(batch._columns))


def test_doubtful_column_bodies_get_pydantic_errors_naming_column_and_row(service):
    module, rows = service
    plain = create_model(
        "Columns",  # the name errors quote
        __config__=ConfigDict(extra="forbid"),
        **{name: (f.annotation, f) for name, f in module.Columns.model_fields.items()},
    )
    good = column_body(rows[:3])
    cases = {
        "missing column": {k: v for k, v in good.items() if k != "cat_a"},
        "extra column": {**good, "surprise": [1, 2, 3]},
        "text for a number": {**good, "num_a": [1.0, "many", 2.0]},
        "number for a text": {**good, "cat_b": ["north", 3, "south"]},
        "NaN": {**good, "num_b": [1.0, math.nan, 2.0]},
        "infinity": {**good, "num_b": [1.0, 2.0, math.inf]},
        "huge integer": {**good, "count": [1, 10**400, 2]},
        "null where not nullable": {**good, "count": [1, None, 2]},
        "a value, not a list": {**good, "num_a": 1.0},
        "too many values": {**good, "num_a": [1.0] * (module.MAX_BATCH_ROWS + 1)},
        "not an object": [good],
    }
    for case, body in cases.items():
        expected = errors_of(plain, body)
        assert expected is not None, case
        assert errors_of(module.Columns, body) == expected, case
    unequal = {**good, "num_a": good["num_a"][:2]}
    assert errors_of(plain, unequal) is None
    (error,) = errors_of(module.Columns, unequal)
    assert error["type"] == "value_error" and error["loc"] == ()
    assert "different numbers of values (num_a: 2, num_b: 3" in error["msg"]


def test_unseen_categories_refused_in_a_column_body_name_column_and_row(service, monkeypatch):
    module, rows = service
    monkeypatch.setattr(module, "UNSEEN_CATEGORIES", "reject")
    rows = [dict(row) for row in rows[:4]]
    rows[2]["cat_a"] = "purple"
    body = module.Columns.model_validate(column_body(rows))
    _, errors = module.unseen_values(body._columns, len(rows), module.in_columns_body)
    assert [e["loc"] for e in errors] == [["body", "cat_a", 2]]


def test_start_up_freezes_what_lives_as_long_as_the_process(service, tmp_path, monkeypatch):
    """After loading the model the app freezes the objects alive then, so the garbage
    collector's full passes during requests no longer walk the model and libraries;
    what requests make later is still collected."""
    module, _ = service
    model = tmp_path / "model.joblib"
    joblib.dump(DummyRegressor().fit([[0.0], [1.0]], [0.0, 1.0]), model)
    monkeypatch.setattr(module, "MODEL_PATH", model)

    async def start_up() -> tuple[int, object]:
        async with module.lifespan(module.app):
            return gc.get_freeze_count(), module.app.state.pipeline

    gc.unfreeze()
    threshold = gc.get_threshold()
    try:
        frozen, loaded = asyncio.run(start_up())
        assert frozen > 1000 and isinstance(loaded, DummyRegressor)
        # Young passes are rarer, the older generations' thresholds are kept.
        assert gc.get_threshold() == (module.YOUNG_GC_OBJECTS, *threshold[1:])
        later = [[]]
        later.append(later)
        assert gc.is_tracked(later)
        del later
        assert gc.collect() >= 1
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
