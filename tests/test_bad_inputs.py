"""Every case of the bad-input corpus (bad_inputs.py), through the CLI and the UI.

CLI: `playground init` (data) or `playground validate` (spec), in process:
refused with exit status 2 and one clear line, accepted with exit 0 and a
`warning:` line per note. UI: the upload (Workspace.load_file, then picking
the target) or the spec import, with a good project open: refused with the
message and nothing of the good project lost, in the session or in the store.
"""

from __future__ import annotations

import mmap
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from bad_inputs import CASES, GOOD_CSV, Case
from reports import assert_user_error

from playground_ui.cli import main
from playground_ui.state import Workspace
from runtime.defaults import default_spec
from runtime.executor import Runner
from runtime.spec import load_spec, spec_to_dict
from runtime.store import Store

DATA_CASES = [c for c in CASES if c.kind == "data"]
SPEC_CASES = [c for c in CASES if c.kind == "spec"]
# Larger than this, a case's file is handed to the UI as a memory map: its
# length is known, and nothing is read unless the upload reads it.
MAPPED_BYTES = 64 * 2**20


def test_the_corpus_is_large_and_covers_both_kinds():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)) and len(CASES) >= 40
    assert {c.outcome for c in DATA_CASES} == {"refuse", "accept"}
    assert len(SPEC_CASES) >= 15


@pytest.fixture(autouse=True)
def _default_limit(monkeypatch, tmp_path):
    """The default upload limit, and a working folder a YAML tag could write into."""
    monkeypatch.delenv("PLAYGROUND_MAX_UPLOAD_MB", raising=False)
    monkeypatch.chdir(tmp_path)


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def good_dict(tmp_path_factory) -> dict:
    """The spec `playground init good.csv --target y` writes, as a plain dict."""
    folder = tmp_path_factory.mktemp("spec")
    data = folder / "good.csv"
    data.write_bytes(GOOD_CSV)
    return spec_to_dict(default_spec(data, "y", folder))


@pytest.fixture
def good_spec(good_dict, tmp_path) -> dict:
    """The good spec, its data beside it in tmp_path."""
    (tmp_path / "good.csv").write_bytes(GOOD_CSV)
    return good_dict


# -- the CLI ---------------------------------------------------------------------


def cli_argv(case: Case, path: Path, out: Path) -> list:
    if case.kind == "spec":
        return ["validate", path]
    target = ["--target", case.target] if case.target else ["--cluster"]
    return ["init", path, *target, "-o", out]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_the_cli(case: Case, tmp_path, capsys, good_spec):
    path, out = tmp_path / case.name, tmp_path / "written.spec.yaml"
    if case.kind == "spec":
        case.make(path, good_spec)
    else:
        case.make(path)
    code, stdout, stderr = run_cli(capsys, *cli_argv(case, path, out))
    assert not Path("pwned").exists()
    if case.outcome == "refuse":
        assert_user_error(code, stdout, stderr, *case.fragments)
        assert not out.exists()
        return
    assert code == 0, stderr
    assert stdout.startswith(f"Wrote {out}")
    notes = stderr.splitlines()
    assert all(line.startswith("warning: ") for line in notes), stderr
    assert bool(notes) == bool(case.fragments)
    for fragment in case.fragments:
        assert fragment in stderr
    spec = load_spec(out)
    assert spec.target == case.target
    if case.check:
        case.check(Runner(spec, out.parent).raw_data())


def test_the_size_limit_is_checked_before_reading_and_is_configurable(
    tmp_path, capsys, monkeypatch
):
    data = tmp_path / "data.csv"
    data.write_bytes(GOOD_CSV * 5000)  # about 1.6 MB
    monkeypatch.setenv("PLAYGROUND_MAX_UPLOAD_MB", "1")
    code, out, err = run_cli(capsys, "init", data, "--target", "y")
    assert_user_error(code, out, err, "data.csv: the file is 1.6", "MB, more than the 1 MB limit")
    monkeypatch.setenv("PLAYGROUND_MAX_UPLOAD_MB", "2")
    assert run_cli(capsys, "init", data, "--target", "y")[0] == 0
    monkeypatch.setenv("PLAYGROUND_MAX_UPLOAD_MB", "lots")
    code, out, err = run_cli(capsys, "init", data, "--target", "y")
    assert_user_error(code, out, err, "PLAYGROUND_MAX_UPLOAD_MB='lots'", "number of megabytes")


# A few cases once more through the installed `playground` script, as a person runs it.
SCRIPT_CASES = ("over-the-size-limit", "spec-yaml-tag-runs-a-command")


@pytest.mark.parametrize("case_id", SCRIPT_CASES)
def test_the_console_script(case_id: str, tmp_path, good_spec):
    script = Path(sys.executable).with_name("playground")
    if not script.exists():
        pytest.skip(f"no console script at {script}")
    case = next(c for c in CASES if c.id == case_id)
    path = tmp_path / case.name
    if case.kind == "spec":
        case.make(path, good_spec)
    else:
        case.make(path)
    done = subprocess.run(
        [script, *cli_argv(case, path, tmp_path / "written.spec.yaml")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={k: v for k, v in os.environ.items() if k != "PLAYGROUND_MAX_UPLOAD_MB"},
    )
    assert_user_error(done.returncode, done.stdout, done.stderr, *case.fragments)
    assert not Path("pwned").exists()


# -- the UI ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def good_home(tmp_path_factory) -> tuple[Path, dict]:
    """A home holding a good project: uploaded, target picked, one step added."""
    home = tmp_path_factory.mktemp("good") / "home"
    ws = Workspace(home)
    assert ws.load_file("good.csv", GOOD_CSV), ws.message
    assert ws.set_target("y"), ws.message
    assert ws.add_step("scale", {"columns": ["x"]}), ws.message
    saved = {
        "project": ws.project.id,
        "spec": ws.spec,
        "history": ws.history.position(),
        "projects": [p.id for p in ws.projects()],
    }
    ws.jobs.shutdown()
    ws.store.close()
    return home, saved


@pytest.fixture
def session(good_home, tmp_path):
    """A session with the good project open (in a copy of its home, for each test)."""
    home = tmp_path / "home"
    shutil.copytree(good_home[0], home)
    ws = Workspace(home)
    ws.saved = good_home[1]
    assert ws.open_project(ws.saved["project"]), ws.message
    assert ws.history.position() == ws.saved["history"]
    yield ws
    ws.jobs.shutdown()
    ws.store.close()


def assert_good_project_intact(ws: Workspace) -> None:
    """The good project, as a new session on the same home finds it: spec, history, data."""
    saved = ws.saved
    store = Store(home=ws.home)
    try:
        assert store.history(saved["project"]).current() == saved["spec"]
        assert store.history(saved["project"]).position() == saved["history"]
        assert store.project(saved["project"]).data_path.read_bytes() == GOOD_CSV
    finally:
        store.close()


def upload_content(path: Path) -> bytes | mmap.mmap:
    if path.stat().st_size <= MAPPED_BYTES:
        return path.read_bytes()
    with path.open("rb") as handle:
        return mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)


def assert_refused(ws: Workspace, fragments: tuple[str, ...]) -> None:
    assert ws.message_kind == "error", ws.message
    assert "Traceback" not in ws.message
    for fragment in fragments:
        assert fragment in ws.message, f"{fragment!r} not in {ws.message!r}"


@pytest.mark.parametrize("case", DATA_CASES, ids=[c.id for c in DATA_CASES])
def test_the_upload(case: Case, session: Workspace, tmp_path):
    path = tmp_path / case.name
    case.make(path)
    content = upload_content(path)
    loaded = session.load_file(case.name, content)
    fragments = case.ui_fragments or case.fragments
    if case.outcome == "refuse" and case.stage == "read":
        assert not loaded
        assert_refused(session, fragments)
        # The session stays on the good project, and no half-made project is left.
        assert session.project.id == session.saved["project"]
        assert session.spec == session.saved["spec"]
        assert [p.id for p in session.projects()] == session.saved["projects"]
    else:
        assert loaded, session.message
        assert session.message_kind == "success"
        if case.outcome == "accept":
            for fragment in fragments:
                assert fragment in session.message, f"{fragment!r} not in {session.message!r}"
        uploaded = session.spec
        picked = session.set_target(case.target)
        if case.stage == "target":
            assert not picked
            assert_refused(session, fragments)
            assert session.spec == uploaded  # still the upload's clustering spec
        else:
            assert picked, session.message
            assert session.spec.target == case.target
            if case.check:
                case.check(session.raw_data())
    assert_good_project_intact(session)
    # The app keeps working: the good project reopens and takes a change.
    assert session.open_project(session.saved["project"]), session.message
    assert session.set_seed(session.spec.seed + 1), session.message


@pytest.mark.parametrize("case", SPEC_CASES, ids=[c.id for c in SPEC_CASES])
def test_the_spec_import(case: Case, session: Workspace, tmp_path, good_spec):
    path = tmp_path / case.name
    case.make(path, good_spec)
    assert not session.import_spec(case.name, path.read_bytes())
    assert_refused(session, case.ui_fragments or case.fragments)
    assert not Path("pwned").exists()
    assert session.project.id == session.saved["project"]
    assert session.spec == session.saved["spec"]
    assert_good_project_intact(session)
    assert session.set_seed(session.spec.seed + 1), session.message


def test_the_good_spec_itself_validates_and_imports(
    session: Workspace, tmp_path, capsys, good_spec
):
    """The corpus' specs are bad by their edit alone: unedited, the spec is accepted."""
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(good_spec), encoding="utf-8")
    code, out, err = run_cli(capsys, "validate", path)
    assert (code, err) == (0, "") and out.startswith(f"{path}: valid")
    assert session.import_spec("spec.yaml", path.read_bytes()), session.message


def test_the_upload_limit_follows_the_setting(session: Workspace, monkeypatch):
    monkeypatch.setenv("PLAYGROUND_MAX_UPLOAD_MB", "0.0005")  # 524 bytes
    assert not session.load_file("good.csv", GOOD_CSV * 2)
    assert_refused(
        session, ("good.csv", "more than the 0.0005 MB limit", "PLAYGROUND_MAX_UPLOAD_MB")
    )
    monkeypatch.setenv("PLAYGROUND_MAX_UPLOAD_MB", "1")
    assert session.load_file("good.csv", GOOD_CSV), session.message
