"""The `playground` command, called in-process (and once through its console script).

Every failure a person can cause ends with exit status 2 and one clear
`error: ...` line on stderr, never a traceback.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
from reports import assert_user_error
from synthetic import make_frame, write_frame

from playground_ui.cli import main
from runtime.dataset import sha256_of
from runtime.models import MODEL_TYPES
from runtime.spec import load_spec, save_spec
from runtime.steps import STEP_TYPES


@pytest.fixture
def csv_file(tmp_path) -> Path:
    """numeric, categorical (with gaps) and date columns, a binary target with gaps."""
    return write_frame(make_frame(n_rows=120, task="binary", missing_target=True), tmp_path)


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def init_spec(capsys, data: Path, spec: Path, *extra: str) -> None:
    code, out, err = run_cli(capsys, "init", data, "-o", spec, *extra)
    assert (code, err) == (0, ""), err
    assert out.startswith(f"Wrote {spec}")


def lighten(spec_path: Path) -> None:
    """Cut tree ensembles to a few trees, to keep the test fast."""
    spec = load_spec(spec_path)
    if "n_estimators" in spec.model.params:
        spec.model.params["n_estimators"] = 10
    save_spec(spec, spec_path)


# -- init ------------------------------------------------------------------------


def test_init_writes_a_spec_that_validates(tmp_path, capsys, csv_file):
    (tmp_path / "specs").mkdir()
    spec_path = tmp_path / "specs" / "spec.yaml"
    init_spec(capsys, csv_file, spec_path, "--target", "target")

    spec = load_spec(spec_path)
    assert spec.task == "binary" and spec.target == "target"
    assert spec.classes == ["no", "yes"]
    types = {c.name: c.type for c in spec.columns}
    assert types == {
        "num_a": "numeric",
        "num_b": "numeric",
        "num_c": "numeric",
        "cat_a": "categorical",
        "cat_b": "categorical",
        "when": "datetime",
        "target": "categorical",
    }
    # The data path is relative to the spec's folder, and its hash is recorded.
    assert spec.dataset.path == "../data.csv"
    assert spec.dataset.format == "csv" and spec.dataset.read_options["sep"] == ","
    assert spec.dataset.sha256 == sha256_of(csv_file)
    # Steps fit the data: the duplicate, the missing targets, the dates, the gaps.
    steps = {s.type: s.params for s in spec.steps}
    assert "drop_duplicates" in steps and "drop_missing_target" in steps
    assert steps["date_parts"]["column"] == "when"
    assert set(steps["impute_categorical"]["columns"]) == {"cat_a", "cat_b"}
    assert set(steps["one_hot"]["columns"]) == {"cat_a", "cat_b"}

    code, out, err = run_cli(capsys, "validate", spec_path)
    assert (code, err) == (0, "")
    assert "valid" in out and "binary" in out


def test_init_defaults_to_a_spec_beside_the_current_directory(tmp_path, capsys, monkeypatch):
    data = write_frame(make_frame(n_rows=60, task="regression"), tmp_path, "prices.csv")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    code, _, err = run_cli(capsys, "init", data, "--target", "target", "--name", "Prices")
    assert (code, err) == (0, "")
    spec = load_spec(work / "prices.spec.yaml")
    assert spec.task == "regression" and spec.name == "Prices"
    assert spec.dataset.path == "../prices.csv"


def test_init_cluster(tmp_path, capsys):
    data = write_frame(make_frame(n_rows=80, task="clustering"), tmp_path)
    spec_path = tmp_path / "spec.yaml"
    init_spec(capsys, data, spec_path, "--cluster", "--seed", "3")
    spec = load_spec(spec_path)
    assert spec.task == "clustering" and spec.target is None and spec.classes is None
    assert spec.seed == 3
    assert spec.model.type in [m.name for m in MODEL_TYPES if "clustering" in m.tasks]
    assert "scale" in [s.type for s in spec.steps]
    assert run_cli(capsys, "validate", spec_path)[0] == 0


def test_init_with_a_wrong_target_names_it_and_lists_the_columns(tmp_path, capsys, csv_file):
    spec_path = tmp_path / "spec.yaml"
    code, out, err = run_cli(capsys, "init", csv_file, "--target", "price", "-o", spec_path)
    columns = [f"'{c}'" for c in ("num_a", "num_b", "num_c", "cat_a", "cat_b", "when", "target")]
    assert_user_error(code, out, err, "'price'", "data.csv", *columns)
    assert not spec_path.exists()


@pytest.mark.parametrize(
    "extra, fragment",
    [([], "--target"), (["--target", "target", "--cluster"], "exclude each other")],
)
def test_init_needs_exactly_one_of_target_and_cluster(capsys, csv_file, extra, fragment):
    assert_user_error(*run_cli(capsys, "init", csv_file, *extra), fragment)


def test_init_with_a_constant_target(tmp_path, capsys):
    df = make_frame(n_rows=40, task="binary")
    df["target"] = "same"
    data = write_frame(df, tmp_path)
    assert_user_error(*run_cli(capsys, "init", data, "--target", "target"), "'target'", "--cluster")


BAD_FILES = {
    "empty": (b"", "data.csv", "empty"),
    "blank": (b"  \n\n", "data.csv", "empty"),
    "binary": (bytes(range(256)) * 8, "data.csv", "binary"),
    "header-only": (b"a,b,target\n", "data.csv", "no rows"),
    "unknown-extension": (b"a,b\n1,2\n", "data.xyz", "unknown file type"),
    "not-parquet": (b"a,b\n1,2\n", "data.parquet", "could not read"),
}


@pytest.mark.parametrize("content, name, fragment", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_init_on_unusable_data_files(tmp_path, capsys, content, name, fragment):
    data = tmp_path / name
    data.write_bytes(content)
    result = run_cli(capsys, "init", data, "--target", "target", "-o", tmp_path / "s.yaml")
    assert_user_error(*result, name, fragment)
    assert not (tmp_path / "s.yaml").exists()


def test_init_on_a_missing_file(tmp_path, capsys):
    missing = tmp_path / "nowhere.csv"
    assert_user_error(*run_cli(capsys, "init", missing, "--target", "t"), "not found", str(missing))


# -- validate ------------------------------------------------------------------------


def test_validate_reports_problems_without_a_traceback(tmp_path, capsys, csv_file):
    spec_path = tmp_path / "spec.yaml"
    init_spec(capsys, csv_file, spec_path, "--target", "target")

    # A missing spec file.
    assert_user_error(*run_cli(capsys, "validate", tmp_path / "nope.yaml"), "nope.yaml")

    # An invalid spec with two problems: both on the one line.
    text = spec_path.read_text(encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    text = text.replace("task: binary", "task: ranking").replace("seed: 42", "seed: -1")
    bad.write_text(text, encoding="utf-8")
    line = assert_user_error(*run_cli(capsys, "validate", bad), "invalid spec", "'ranking'")
    assert "; seed: " in line and "(got -1)" in line

    # YAML that does not parse: where, and what.
    bad.write_text("name: [unclosed\n", encoding="utf-8")
    assert_user_error(*run_cli(capsys, "validate", bad), "not valid YAML (line 2, column 1)")

    # A data file that changed since the spec was written.
    csv_file.write_bytes(csv_file.read_bytes() + b"1,2,3,red,north,2023-01-01,yes\n")
    assert_user_error(*run_cli(capsys, "validate", spec_path), "changed", "dataset.sha256")
    # ... or that is gone.
    csv_file.unlink()
    assert_user_error(*run_cli(capsys, "validate", spec_path), "dataset not found")


# -- catalog -------------------------------------------------------------------------


def test_catalog_lists_every_step_and_model_with_params_and_help(capsys):
    code, out, err = run_cli(capsys, "catalog")
    assert (code, err) == (0, "")
    for entry in (*STEP_TYPES, *MODEL_TYPES):
        assert f"  {entry.name}  " in out
        for param in entry.params:
            assert f"{param.name}: {param.kind}" in out
            assert param.help in out
    for step in STEP_TYPES:
        assert step.help in out
    for model in MODEL_TYPES:
        assert model.explanation in out


def test_catalog_json(capsys):
    code, out, err = run_cli(capsys, "catalog", "--json")
    assert (code, err) == (0, "")
    catalog = json.loads(out)
    assert set(catalog) == {"steps", "models"}
    assert [s["name"] for s in catalog["steps"]] == [s.name for s in STEP_TYPES]
    assert [m["name"] for m in catalog["models"]] == [m.name for m in MODEL_TYPES]
    for entry, decl in zip(
        catalog["steps"] + catalog["models"], STEP_TYPES + MODEL_TYPES, strict=True
    ):
        assert entry["params"] == [p.describe() for p in decl.params]
        assert entry.get("help") or entry.get("explanation")
        for param in entry["params"]:
            assert param["help"] and param["kind"] and "default" in param


# -- run and export ----------------------------------------------------------------


def numbers_only(tree, path="metrics"):
    """Every leaf of a JSON tree is a finite number."""
    if isinstance(tree, dict):
        assert tree, f"{path} is empty"
        for key, value in tree.items():
            numbers_only(value, f"{path}.{key}")
    else:
        assert isinstance(tree, (int, float)) and not isinstance(tree, bool), (path, tree)
        assert math.isfinite(tree), (path, tree)


@pytest.fixture
def light_spec(tmp_path, capsys, csv_file) -> Path:
    spec_path = tmp_path / "spec.yaml"
    init_spec(capsys, csv_file, spec_path, "--target", "target")
    lighten(spec_path)
    return spec_path


def test_run_json_and_export_zip(tmp_path, capsys, light_spec):
    code, out, err = run_cli(capsys, "run", light_spec, "--json")
    assert (code, err) == (0, "")
    report = json.loads(out)  # the whole of stdout is one JSON object
    assert isinstance(report, dict)
    assert list(report["metrics"]) == ["train", "validation", "test"]
    numbers_only(report["metrics"])
    assert "accuracy" in report["metrics"]["test"]
    assert report["task"] == "binary" and report["model"] == load_spec(light_spec).model.type
    # Every row is used once: without the duplicate and without the rows missing a target.
    frame = make_frame(n_rows=120, task="binary", missing_target=True)
    assert sum(report["rows"].values()) == len(frame.drop_duplicates().dropna(subset=["target"]))

    out_zip = tmp_path / "out" / "x.zip"
    code, out, err = run_cli(capsys, "export", light_spec, "-o", out_zip)
    assert (code, err) == (0, "")
    assert str(out_zip) in out
    with zipfile.ZipFile(out_zip) as archive:
        names = set(archive.namelist())
        folder = "x/"
        expected = {
            "train.py",
            "preprocessing.py",
            "predict.py",
            "notebook.ipynb",
            "app/__init__.py",
            "app/main.py",
            "manifest.json",
            "spec.yaml",
            "requirements.txt",
            "README.md",
            "Dockerfile",
            "tests/test_bundle.py",
            "data/data.csv",
        }
        assert {folder + n for n in expected} <= names
        for name in names:
            if name.endswith(".py"):
                compile(archive.read(name).decode("utf-8"), name, "exec")
        manifest = json.loads(archive.read(folder + "manifest.json"))
        notebook = nbformat.reads(archive.read(folder + "notebook.ipynb").decode(), as_version=4)
        data_bytes = archive.read(folder + "data/data.csv")
        exported_spec = archive.read(folder + "spec.yaml").decode("utf-8")
        readme = archive.read(folder + "README.md").decode("utf-8")
    nbformat.validate(notebook)
    # The README's metrics table: one row per metric, the numbers shown, no trailing blanks.
    assert not [line for line in readme.splitlines() if line != line.rstrip()]
    metrics = report["metrics"]
    assert (
        "| accuracy | "
        + " | ".join(f"{metrics[split]['accuracy']:.6f}" for split in metrics)
        + " |"
    ) in readme.splitlines()
    assert manifest["task"] == "binary" and manifest["target"] == "target"
    assert manifest["data"]["sha256"] == sha256_of(tmp_path / "data.csv")
    # The export ran the same spec with the same seed: the same numbers.
    assert manifest["metrics"] == report["metrics"]
    assert data_bytes == (tmp_path / "data.csv").read_bytes()
    (tmp_path / "unzipped").mkdir()
    (tmp_path / "unzipped" / "spec.yaml").write_text(exported_spec, encoding="utf-8")
    inner = load_spec(tmp_path / "unzipped" / "spec.yaml")
    assert inner.dataset.path == "data/data.csv"
    assert inner.model_copy(update={"dataset": load_spec(light_spec).dataset}) == load_spec(
        light_spec
    )


def test_run_prints_a_table(capsys, light_spec):
    code, out, err = run_cli(capsys, "run", light_spec)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[1].split() == ["metric", "train", "validation", "test"]
    accuracy = next(line for line in lines if line.startswith("accuracy"))
    assert all(0.0 <= float(v) <= 1.0 for v in accuracy.split()[1:])
    assert lines[-1].startswith("rows: train")


def test_export_to_a_directory(tmp_path, capsys, light_spec):
    target = tmp_path / "project"
    code, _, err = run_cli(capsys, "export", light_spec, "-o", target)
    assert (code, err) == (0, "")
    assert (target / "train.py").is_file() and (target / "app" / "main.py").is_file()
    assert (target / "data" / "data.csv").read_bytes() == (tmp_path / "data.csv").read_bytes()
    assert load_spec(target / "spec.yaml").dataset.path == "data/data.csv"


@pytest.mark.parametrize("command", ["run", "export"])
def test_run_and_export_user_errors(tmp_path, capsys, light_spec, command):
    extra = ["-o", tmp_path / "x.zip"] if command == "export" else []
    assert_user_error(*run_cli(capsys, command, tmp_path / "missing.yaml", *extra), "not found")

    # A step naming a column the data does not have stops with the step and column.
    spec = load_spec(light_spec)
    spec.steps[-1].params["columns"] = ["no_such_column"]
    save_spec(spec, light_spec)
    line = assert_user_error(*run_cli(capsys, command, light_spec, *extra), "'no_such_column'")
    assert f"steps[{len(spec.steps)}]" in line
    assert not (tmp_path / "x.zip").exists()


# -- the console script ------------------------------------------------------------


def test_console_script_entry_point(tmp_path):
    script = Path(sys.executable).with_name("playground")
    if not script.exists():
        pytest.skip(f"no console script at {script}")
    done = subprocess.run(
        [script, "catalog", "--json"], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert {s["name"] for s in json.loads(done.stdout)["steps"]} == {s.name for s in STEP_TYPES}

    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    done = subprocess.run(
        [script, "init", empty, "--target", "y"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [f"error: {empty.name}: the file is empty"]
