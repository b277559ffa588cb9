"""The exported API's contract, against a real uvicorn server: every request is
checked against the training schema, answers 422 with an error per field, warns
of values training never held, limits request size and batch length, and a
schemathesis run of generated requests finds no server error."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlparse

import pytest
from packaging.requirements import Requirement
from test_reproduction import clean_env, http, json_rows, run, serve

from generator.bundle import export
from runtime.executor import Runner
from runtime.spec import load_spec

ROOT = Path(__file__).resolve().parent.parent
# Numbers, categories with gaps: the penguins species example.
EXAMPLE = ROOT / "examples" / "penguins_species.yaml"
# Generated requests per API operation, besides schemathesis's coverage phase;
# PLAYGROUND_FULL_FUZZ=1 for the long run before a release (at least 1,000 requests).
FULL_FUZZ = bool(os.environ.get("PLAYGROUND_FULL_FUZZ"))
FUZZ_EXAMPLES = 600 if FULL_FUZZ else 40
# Requests the run must reach: schemathesis stops early on operations with few
# distinct inputs (GET /health), so the bound is on the total it reports.
FUZZ_REQUESTS = 1000 if FULL_FUZZ else 2 * FUZZ_EXAMPLES

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> tuple[Path, Path, list[dict]]:
    """The exported project, its trained model, and training rows as JSON."""
    spec = load_spec(EXAMPLE)
    runner = Runner(spec, EXAMPLE.parent)
    bundle = tmp_path_factory.mktemp("api") / "project"
    export(runner, bundle)
    out = bundle / "output"
    run([sys.executable, "train.py", "--out", str(out)], cwd=bundle)
    rows = json_rows(runner.split_frames()["train"][spec.features].head(8))
    return bundle, out / "model.joblib", rows


@pytest.fixture(scope="module")
def api(project, tmp_path_factory):
    bundle, model, _ = project
    log = tmp_path_factory.mktemp("log") / "server.log"
    with serve(bundle, model, log, MAX_BATCH_ROWS="5", MAX_REQUEST_BYTES="20000") as url:
        yield url


def complete_row(project) -> dict:
    """A training row without gaps: valid, and within what training held."""
    return next(r for r in project[2] if all(v is not None for v in r.values()))


def post_raw(
    url: str, path: str, body: bytes, chunked: bool = False, content_type: str = "application/json"
) -> tuple[int, str]:
    address = urlparse(url)
    connection = HTTPConnection(address.hostname, address.port, timeout=60)
    try:
        headers = {"Content-Type": content_type}
        if chunked:
            connection.request(
                "POST", path, body=iter([body]), headers=headers, encode_chunked=True
            )
        else:
            connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def post_timed(url: str, path: str, body: dict) -> tuple[int, dict[str, float]]:
    """POST `body` as JSON; the status and the answer's Server-Timing metrics (ms)."""
    address = urlparse(url)
    connection = HTTPConnection(address.hostname, address.port, timeout=60)
    try:
        headers = {"Content-Type": "application/json"}
        connection.request("POST", path, body=json.dumps(body).encode(), headers=headers)
        response = connection.getresponse()
        response.read()
        timing = {}
        for metric in response.getheader("Server-Timing", "").split(","):
            name, _, duration = metric.strip().partition(";dur=")
            timing[name] = float(duration)
        return response.status, timing
    finally:
        connection.close()


def field_errors(body: str) -> list[tuple[list, str]]:
    return [(e["loc"], e["type"]) for e in json.loads(body)["detail"]]


def test_health_and_schema(api, project):
    status, health = http(f"{api}/health")
    assert (status, health["status"]) == (200, "ok")
    status, schema = http(f"{api}/schema")
    assert status == 200
    names = [c["name"] for c in schema["input"]]
    assert names == list(complete_row(project))
    assert (schema["max_batch_rows"], schema["unseen_categories"]) == (5, "warn")
    island = next(c for c in schema["input"] if c["name"] == "island")
    assert island["categories"] == ["Biscoe", "Dream", "Torgersen"]


def test_a_valid_row_is_scored_without_warnings(api, project):
    status, body = http(f"{api}/predict", complete_row(project))
    assert status == 200, body
    assert body["prediction"] in ("Adelie", "Chinstrap", "Gentoo") and body["warnings"] == []


def test_missing_extra_and_mistyped_columns_get_an_error_each(api, project):
    row = dict(complete_row(project))
    del row["island"]
    row["surprise"] = 1
    row["bill_length_mm"] = "long"
    status, body = http(f"{api}/predict", row)
    assert status == 422
    assert sorted(field_errors(body)) == sorted(
        [
            (["body", "island"], "missing"),
            (["body", "surprise"], "extra_forbidden"),
            (["body", "bill_length_mm"], "float_parsing"),
        ]
    )


def test_infinity_and_nan_are_refused_and_null_is_missing(api, project):
    row = complete_row(project)
    text = json.dumps({**row, "body_mass_g": "__inf__"}).replace('"__inf__"', "Infinity")
    status, body = post_raw(api, "/predict", text.encode())
    assert status == 422 and field_errors(body) == [(["body", "body_mass_g"], "finite_number")]
    text = json.dumps({**row, "body_mass_g": "__nan__"}).replace('"__nan__"', "NaN")
    assert post_raw(api, "/predict", text.encode())[0] == 422
    status, body = http(f"{api}/predict", {**row, "body_mass_g": None})
    assert status == 200, body


def test_unseen_values_are_scored_with_a_warning_naming_them(api, project):
    row = {**complete_row(project), "island": "Atlantis", "flipper_length_mm": 1000.0}
    status, body = http(f"{api}/predict", row)
    assert status == 200, body
    warnings = " | ".join(body["warnings"])
    assert "island: 'Atlantis' was not seen in training" in warnings
    assert re.search(r"flipper_length_mm: 1000.0 is outside the training range \[", warnings)


def test_the_one_row_fast_path_answers_as_the_endpoint(api, project):
    """A valid row sent as `application/json` is answered before FastAPI's routing
    (OneRowFastPath); with another JSON content type FastAPI's endpoint answers it:
    the same answers, chunked or not, and the same refusals."""
    row = complete_row(project)
    rows = [row, {**row, "island": "Atlantis", "flipper_length_mm": 1000.0}, project[2][1]]
    bad = [{**row, "island": 3}, {k: v for k, v in row.items() if k != "island"}]
    for body in [json.dumps(r).encode() for r in rows + bad] + [b"{", b"[1]", b""]:
        fast = post_raw(api, "/predict", body)
        assert fast == post_raw(api, "/predict", body, chunked=True), body
        endpoint = post_raw(api, "/predict", body, content_type="application/json; charset=utf-8")
        assert fast[0] == endpoint[0] and json.loads(fast[1]) == json.loads(endpoint[1]), body
        assert fast[0] == (200 if body in [json.dumps(r).encode() for r in rows] else 422), fast


def test_answers_give_the_models_time_and_the_apps_own(api, project):
    """Server-Timing: the model's time and the app's time on the whole request
    (which holds the model's), on answers and refusals alike."""
    row = complete_row(project)
    for path, body in (("/predict", row), ("/predict/batch", {"rows": [row, row]})):
        status, timing = post_timed(api, path, body)
        assert status == 200 and set(timing) == {"model", "app"}, (path, timing)
        assert 0 < timing["model"] <= timing["app"], (path, timing)
    status, timing = post_timed(api, "/predict", {**row, "island": 3})
    assert status == 422 and set(timing) == {"app"} and timing["app"] > 0


def test_batches_are_limited_in_rows_and_bytes(api, project):
    rows = project[2]
    status, body = http(f"{api}/predict/batch", {"rows": rows[:5]})
    assert status == 200 and len(body["predictions"]) == 5
    status, body = http(f"{api}/predict/batch", {"rows": rows[:6]})
    assert status == 422 and field_errors(body) == [(["body", "rows"], "too_long")]
    big = json.dumps({"rows": rows[:1] * 400}).encode()
    assert len(big) > 20000
    for path in ("/predict/batch", "/predict"):
        for chunked in (False, True):
            status, body = post_raw(api, path, big, chunked=chunked)
            assert status == 413 and "over 20000 bytes" in body, (path, chunked, body)
    # The server is fine afterwards.
    assert http(f"{api}/predict", complete_row(project))[0] == 200


def test_a_column_body_is_scored_as_the_same_rows(api, project):
    rows = project[2][:5]
    columns = {name: [row[name] for row in rows] for name in rows[0]}
    status, by_column = http(f"{api}/predict/columns", columns)
    assert status == 200, by_column
    assert by_column == http(f"{api}/predict/batch", {"rows": rows})[1]
    status, body = http(f"{api}/predict/columns", {**columns, "island": columns["island"][:2]})
    assert status == 422 and field_errors(body) == [(["body"], "value_error")]
    too_long = {name: values * 2 for name, values in columns.items()}
    status, body = http(f"{api}/predict/columns", too_long)
    assert status == 422 and all(
        e == (["body", name], "too_long") for e, name in zip(field_errors(body), columns)
    )


def test_requirements_install_uvicorns_c_parts_and_plain_uvicorn_answers_alike(
    api, project, tmp_path
):
    """requirements.txt installs httptools, and uvloop where it builds (not on
    Windows), which `uvicorn app.main:app` picks by itself; on plain uvicorn (h11 and
    asyncio, chosen here through uvicorn's own environment variables) the app gives
    the same answers."""
    bundle, model, _ = project
    lines = (bundle / "requirements.txt").read_text().splitlines()
    pinned = {(req := Requirement(line)).name: req for line in lines}
    assert pinned["httptools"].marker is None and str(pinned["httptools"].specifier)
    assert pinned["uvloop"].marker.evaluate({"sys_platform": "linux"})
    assert not pinned["uvloop"].marker.evaluate({"sys_platform": "win32"})
    row = complete_row(project)
    requests = [
        ("/predict", row),
        ("/predict", {**row, "island": "Atlantis", "bill_length_mm": "long"}),
        ("/predict/batch", {"rows": [row, {**row, "island": "Atlantis"}]}),
        ("/predict/columns", {name: [value, value] for name, value in row.items()}),
    ]
    with serve(
        bundle, model, tmp_path / "plain.log", UVICORN_HTTP="h11", UVICORN_LOOP="asyncio"
    ) as plain:
        for path, body in requests:
            assert http(f"{plain}{path}", body) == http(f"{api}{path}", body), path


def test_unseen_categories_can_be_refused(project, tmp_path):
    bundle, model, _ = project
    with serve(bundle, model, tmp_path / "server.log", UNSEEN_CATEGORIES="reject") as url:
        row = {**complete_row(project), "island": "Atlantis"}
        status, body = http(f"{url}/predict", row)
        assert status == 422 and field_errors(body) == [(["body", "island"], "unseen_category")]
        status, body = http(f"{url}/predict/batch", {"rows": [complete_row(project), row]})
        assert status == 422 and field_errors(body) == [
            (["body", "rows", 1, "island"], "unseen_category")
        ]
        columns = {name: [complete_row(project)[name], row[name]] for name in row}
        status, body = http(f"{url}/predict/columns", columns)
        assert status == 422 and field_errors(body) == [(["body", "island", 1], "unseen_category")]


def test_generated_requests_find_no_server_error(api, tmp_path):
    """schemathesis sends valid and invalid requests to every operation."""
    command = [sys.executable, "-m", "schemathesis.cli", "run", f"{api}/openapi.json"]
    command += ["--checks", "not_a_server_error", "--max-examples", str(FUZZ_EXAMPLES)]
    command += ["--seed", "1", "--workers", "1", "--generation-database", "none"]
    proc = subprocess.run(
        command,
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    report = proc.stdout[-3000:] + proc.stderr[-2000:]
    assert proc.returncode == 0, report
    generated = re.search(r"(\d+) generated", proc.stdout)
    assert generated and int(generated.group(1)) >= FUZZ_REQUESTS, report
