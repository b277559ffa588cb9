"""The core promise, end to end: the exported project reproduces the playground.

For every spec in examples/ (new examples are picked up by the glob), the
runtime runs the spec and exports the project once; the project is copied
alone into an empty folder, and there, run for real as a user would:

a. `python train.py` writes the same metrics the runtime reported;
b. the notebook, run through papermill, writes the same metrics;
c. a real uvicorn server, serving the model train.py wrote, predicts on the
   runtime's test split exactly what the runtime's pipeline predicts;
d. the project's own tests pass;
e. its Python code passes ruff and black, and imports nothing of the playground.
"""

from __future__ import annotations

import ast
import fcntl
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from reports import TOLERANCE, assert_same_report

from generator.bundle import export
from runtime.executor import Runner, RunResult
from runtime.spec import Spec, load_spec

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
VENV_BIN = Path(sys.executable).parent
# Packages of the playground itself; an exported project must not need them.
PLAYGROUND_PACKAGES = {"runtime", "generator", "playground_ui", "templates"}

pytestmark = pytest.mark.slow


@dataclass
class Exported:
    """One example: its runtime run, and the project exported from it, alone in a folder."""

    spec_path: Path
    spec: Spec
    runner: Runner
    result: RunResult
    bundle: Path  # the project, copied alone into an empty folder
    work: Path  # scratch space outside the project, for outputs


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without what could let the project lean on the playground or
    on the pytest run driving it (PYTHONPATH, pytest and xdist settings)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH" and not k.startswith("PYTEST")}
    env.update(extra)
    return env


def run(args: list[str], cwd: Path, timeout: float = 300, **env: str):
    proc = subprocess.run(
        args,
        cwd=cwd,
        env=clean_env(**env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert proc.returncode == 0, (
        f"{' '.join(map(str, args))} failed ({proc.returncode}) in {cwd}:\n"
        f"--- stdout\n{proc.stdout[-4000:]}\n--- stderr\n{proc.stderr[-4000:]}"
    )
    return proc


@contextmanager
def shared_folder(tmp_path_factory, name: str) -> Iterator[Path]:
    """A folder of this test run that every xdist worker sees, held under a lock.

    The project is exported and trained once per example, whichever worker gets
    there first; the others use that project (after running the spec themselves,
    so they also check that the runtime repeats itself across processes).
    """
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the run's folder, above the workers' own
    folder = base / "reproduction" / name
    folder.mkdir(parents=True, exist_ok=True)
    with (folder.parent / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield folder
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture(scope="session", params=EXAMPLES, ids=[p.stem for p in EXAMPLES])
def exported(request, tmp_path_factory) -> Exported:
    spec_path: Path = request.param
    spec = load_spec(spec_path)
    runner = Runner(spec, spec_path.parent)
    result = runner.run()
    with shared_folder(tmp_path_factory, spec_path.stem) as shared:
        # Only the project, in a folder of its own: nothing else is at hand.
        bundle = shared / "project"
        if not bundle.is_dir():
            staging = tmp_path_factory.mktemp(f"{spec_path.stem}-export")
            export(runner, staging, result)
            shutil.rmtree(shared / "incoming", ignore_errors=True)  # left by a crash
            shutil.copytree(staging, shared / "incoming")
            (shared / "incoming").rename(bundle)
    work = tmp_path_factory.mktemp(f"{spec_path.stem}-work")
    return Exported(spec_path, spec, runner, result, bundle, work)


@pytest.fixture(scope="session")
def trained(exported: Exported, tmp_path_factory) -> Path:
    """The output folder of `python train.py --out DIR`, run inside the project."""
    with shared_folder(tmp_path_factory, exported.spec_path.stem) as shared:
        out = shared / "train-output"
        if not (out / "metrics.json").is_file():
            run([sys.executable, "train.py", "--out", str(out)], cwd=exported.bundle)
    return out


def test_manifest_holds_the_runtime_metrics(exported: Exported):
    manifest = json.loads((exported.bundle / "manifest.json").read_text())
    assert manifest["metrics"] == json.loads(json.dumps(exported.result.metrics))
    assert manifest["classes"] == exported.spec.classes
    assert [c["name"] for c in manifest["input_schema"]] == exported.spec.features


def test_train_script_reproduces_the_metrics(exported: Exported, trained: Path):
    report = json.loads((trained / "metrics.json").read_text())
    assert_same_report(report, exported.result.report)
    assert (trained / "model.joblib").is_file()


def test_notebook_reproduces_the_metrics(exported: Exported):
    import papermill

    out = exported.work / "notebook-output"
    papermill.execute_notebook(
        str(exported.bundle / "notebook.ipynb"),
        str(exported.work / "notebook.out.ipynb"),
        parameters={"output_dir": str(out)},
        kernel_name="python3",
        cwd=str(exported.bundle),
        progress_bar=False,
    )
    report = json.loads((out / "metrics.json").read_text())
    assert_same_report(report, exported.result.report)


# -- the served model -------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _plain(value: Any) -> Any:
    """numpy scalars as Python values, for json.dumps."""
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"not JSON serialisable: {value!r}")


def http(url: str, body: Any = None, timeout: float = 60) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body, default=_plain).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


def _healthy(proc: subprocess.Popen, url: str, log_path: Path, timeout: float) -> bool:
    """Wait for /health; False if the server exited first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            status, body = http(f"{url}/health", timeout=2)
            if status == 200 and body.get("status") == "ok":
                return True
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    pytest.fail(
        f"the server did not answer /health within {timeout} s:\n{log_path.read_text()[-4000:]}"
    )


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


@contextmanager
def serve(
    bundle: Path, model: Path, log_path: Path, attempts: int = 3, **env: str
) -> Iterator[str]:
    """Run `python -m uvicorn app.main:app` in the project on a free port, yield its
    URL once /health answers, and always stop it. A port taken meanwhile is retried."""
    for attempt in range(1, attempts + 1):
        url = f"http://127.0.0.1:{(port := free_port())}"
        with log_path.open("w") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "app.main:app"]
                + ["--host", "127.0.0.1", "--port", str(port)],
                cwd=bundle,
                env=clean_env(MODEL_PATH=str(model), **env),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                if _healthy(proc, url, log_path, timeout=90):
                    yield url
                    return
            finally:
                _stop(proc)
        output = log_path.read_text()
        if "address already in use" not in output.lower() or attempt == attempts:
            pytest.fail(f"the server exited ({proc.returncode}):\n{output[-4000:]}")


def json_rows(frame) -> list[dict]:
    """Rows as JSON-ready dicts: missing -> None, floats at full precision."""
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def expected_predictions(exported: Exported, X) -> list[dict]:
    """What the API must answer for rows X, computed with the runtime's pipeline."""
    spec, pipeline = exported.spec, exported.result.pipeline
    if spec.is_classification:
        positions = pipeline.predict(X)
        probabilities = pipeline.predict_proba(X)
        return [
            {
                "prediction": spec.classes[int(position)],
                "probabilities": {str(c): float(p) for c, p in zip(spec.classes, row)},
            }
            for position, row in zip(positions, probabilities)
        ]
    if spec.task == "regression":
        return [{"prediction": float(v)} for v in pipeline.predict(X)]
    return [{"cluster": int(v)} for v in pipeline.predict(X)]


def assert_same_prediction(got: dict, expected: dict, where: str) -> None:
    # The API may also warn of values outside what training held.
    got = {key: value for key, value in got.items() if key != "warnings"}
    assert got.keys() == expected.keys(), where
    if "cluster" in expected:
        assert got["cluster"] == expected["cluster"], where
        return
    if isinstance(expected["prediction"], float):
        assert got["prediction"] == pytest.approx(
            expected["prediction"], rel=0, abs=TOLERANCE
        ), where
    else:
        assert got["prediction"] == expected["prediction"], where
    if "probabilities" in expected:
        assert got["probabilities"].keys() == expected["probabilities"].keys(), where
        for label, p in expected["probabilities"].items():
            assert got["probabilities"][label] == pytest.approx(
                p, rel=0, abs=TOLERANCE
            ), f"{where}: probability of {label}"


def test_served_model_predicts_what_the_runtime_predicts(exported: Exported, trained: Path):
    spec = exported.spec
    X = exported.runner.split_frames()["test"][spec.features]
    rows = json_rows(X)
    expected = expected_predictions(exported, X)
    model = trained / "model.joblib"
    with serve(exported.bundle, model, exported.work / "server.log") as url:
        status, schema = http(f"{url}/schema")
        assert status == 200, schema
        assert [c["name"] for c in schema["input"]] == spec.features

        status, body = http(f"{url}/predict/batch", {"rows": rows})
        assert status == 200, body
        predictions = body["predictions"]
        assert len(predictions) == len(expected) == len(X)
        for i, (got, want) in enumerate(zip(predictions, expected)):
            assert_same_prediction(got, want, f"test row {i} (index {X.index[i]})")

        # One row at a time: the first rows, and rows with a missing value.
        with_gaps = [i for i, row in enumerate(rows) if any(v is None for v in row.values())]
        for i in sorted(set(range(3)) | set(with_gaps[:3])):
            status, got = http(f"{url}/predict", rows[i])
            assert status == 200, got
            assert_same_prediction(got, expected[i], f"/predict test row {i}")


# The project's own tests retrain and serve the model, which the tests above already
# check for every example; they run for one example of each task.
PROJECT_TEST_EXAMPLES = {"penguins_species_tuned", "diabetes_progression", "wine_clusters"}


def test_project_tests_pass(exported: Exported):
    if exported.spec_path.stem not in PROJECT_TEST_EXAMPLES:
        pytest.skip("the project's own tests run for one example of each task")
    run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=exported.bundle)


def python_files(bundle: Path) -> list[Path]:
    return sorted(p for p in bundle.rglob("*.py") if "__pycache__" not in p.parts)


def test_project_code_is_clean_and_standalone(exported: Exported):
    files = [str(p.relative_to(exported.bundle)) for p in python_files(exported.bundle)]
    assert "train.py" in files and "app/main.py" in files
    run([str(VENV_BIN / "ruff"), "check", "--isolated", "--no-cache", *files], cwd=exported.bundle)
    run([str(VENV_BIN / "black"), "--check", "--quiet", *files], cwd=exported.bundle)
    for path in python_files(exported.bundle):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            used = {n.split(".")[0] for n in names} & PLAYGROUND_PACKAGES
            assert not used, f"{path.name} imports {used} from the playground"
