"""The project store: projects, spec history (undo/redo), runs, in real SQLite files.

Every store here lives in tmp_path; "a restart" is a new Store object on the
same database and home.
"""

from __future__ import annotations

import functools
import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from reports import assert_user_error
from synthetic import make_frame, spec_dict

from playground_ui.cli import main
from runtime.spec import Spec, SpecError, load_spec, parse_spec
from runtime.store import Store, StoreError

FRAME = make_frame(30)
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "penguins_species.yaml"


@functools.cache
def spec_with_seed(seed: int) -> Spec:
    """A valid spec; specs told apart by their seed (the same object for a seed: don't change it)."""
    return parse_spec(spec_dict(FRAME, "binary", data_file="data/data.csv", seed=seed))


def seeds(history) -> list[int]:
    """The seeds of every version, by walking undo to the start and redo to the end."""
    current, count = history.position()
    for _ in range(current - 1):
        history.undo()
    found = [history.current().seed]
    for _ in range(count - 1):
        found.append(history.redo().seed)
    for _ in range(count - current):
        history.undo()
    return found


def test_undo_and_redo_move_through_the_versions(store):
    history = store.history(store.create_project("p").id)
    assert history.current() is None
    assert history.position() == (0, 0)
    assert [history.push(spec_with_seed(s)) for s in (1, 2, 3)] == [1, 2, 3]
    assert history.current().seed == 3
    assert (history.can_undo, history.can_redo) == (True, False)

    assert history.undo().seed == 2
    assert history.undo().seed == 1
    assert history.current().seed == 1
    assert (history.can_undo, history.can_redo) == (False, True)
    with pytest.raises(StoreError, match="nothing to undo: this is the first version"):
        history.undo()

    assert history.redo().seed == 2
    assert history.redo().seed == 3
    with pytest.raises(StoreError, match="nothing to redo: this is the latest version"):
        history.redo()
    assert history.position() == (3, 3)


def test_a_push_after_undo_cuts_off_the_redo_branch(store):
    history = store.history(store.create_project("p").id)
    for seed in (1, 2, 3):
        history.push(spec_with_seed(seed))
    history.undo()
    history.undo()
    assert history.push(spec_with_seed(9)) == 2
    assert history.position() == (2, 2)
    assert not history.can_redo
    with pytest.raises(StoreError, match="nothing to redo"):
        history.redo()
    assert seeds(history) == [1, 9]
    assert history.undo().seed == 1


def test_pushing_the_current_spec_again_adds_no_version(store):
    history = store.history(store.create_project("p").id)
    history.push(spec_with_seed(1))
    assert history.push(spec_with_seed(1)) == 1
    history.push(spec_with_seed(2))
    history.undo()
    # The same spec as the current one, after an undo: the redo branch stays.
    assert history.push(spec_with_seed(1)) == 1
    assert history.position() == (1, 2)


def test_everything_survives_a_restart(tmp_path):
    home = tmp_path / "home"
    first = Store(home=home)
    project = first.create_project("Penguins")
    first.set_data(project.id, "data.csv", b"a,b\n1,2\n")
    history = first.history(project.id)
    for seed in (1, 2, 3):
        history.push(spec_with_seed(seed))
    history.undo()
    run = first.create_run(project.id, spec_with_seed(2), time_limit=30)
    assert first.start_run(run.id, pid=123)
    folder = first.run_directory(project.id, run.id)
    folder.mkdir(parents=True)
    report = {"metrics": {"test": {"roc_auc": 0.75}}, "rows": {"test": 4}}
    assert first.finish_run(run.id, report, {"train": 0.5}, {"pandas": "3"}, ["big"], folder)
    first.close()

    second = Store(home=home)
    assert second.url == first.url
    (again,) = second.projects()
    assert (again.id, again.name, again.data_name) == (project.id, "Penguins", "data.csv")
    assert again.data_path.read_bytes() == b"a,b\n1,2\n"
    history = second.history(project.id)
    assert history.position() == (2, 3)
    assert history.current().seed == 2
    assert history.redo().seed == 3
    (stored,) = second.runs(project.id)
    assert stored.status == "finished"
    assert stored.report == report
    assert stored.metrics == {"test": {"roc_auc": 0.75}}
    assert stored.main_metric() == ("roc_auc", 0.75)
    assert (stored.timings, stored.libraries, stored.warnings) == (
        {"train": 0.5},
        {"pandas": "3"},
        ["big"],
    )
    assert (stored.time_limit, stored.pid, stored.artifacts) == (30, 123, folder)
    assert stored.spec == spec_with_seed(2)
    assert stored.seconds >= 0
    second.close()


def test_two_projects_are_isolated(store):
    one = store.create_project("one")
    two = store.create_project("two")
    store.set_data(one.id, "data.csv", b"x\n1\n")
    store.set_data(two.id, "data.csv", b"x\n2\n")
    store.history(one.id).push(spec_with_seed(1))
    store.history(one.id).push(spec_with_seed(2))
    store.history(two.id).push(spec_with_seed(5))
    run = store.create_run(two.id, spec_with_seed(5))

    assert store.history(one.id).current().seed == 2
    assert store.history(two.id).current().seed == 5
    store.history(one.id).undo()
    assert store.history(two.id).position() == (1, 1)
    assert store.runs(one.id) == []
    assert [r.id for r in store.runs(two.id)] == [run.id]
    assert store.project(one.id).data_path.read_bytes() == b"x\n1\n"
    assert store.project(two.id).data_path.read_bytes() == b"x\n2\n"

    store.delete_project(one.id)
    assert not one.directory.exists()
    assert [p.id for p in store.projects()] == [two.id]
    assert store.history(two.id).current().seed == 5
    assert store.project(two.id).data_path.read_bytes() == b"x\n2\n"
    with pytest.raises(StoreError, match=f"there is no project {one.id}; it may have been deleted"):
        store.history(one.id)
    # Ids are never reused: a new project does not inherit the deleted one's folder.
    assert store.create_project("three").id > two.id


def test_projects_are_listed_by_last_update(store):
    ids = [store.create_project(name).id for name in ("a", "b", "c")]
    assert [p.name for p in store.projects()] == ["c", "b", "a"]
    time.sleep(0.01)
    renamed = store.rename_project(ids[0], "  a   renamed ")
    assert renamed.name == "a renamed"
    assert [p.name for p in store.projects()] == ["a renamed", "c", "b"]
    time.sleep(0.01)
    store.history(ids[1]).push(spec_with_seed(1))
    assert [p.name for p in store.projects()] == ["b", "a renamed", "c"]
    time.sleep(0.01)
    store.create_run(ids[2], spec_with_seed(1))
    assert store.projects()[0].name == "c"


@pytest.mark.parametrize(
    "name, fragment",
    [("", "the project name is empty"), ("   ", "is empty"), ("x" * 201, "use at most 200")],
)
def test_a_bad_project_name_is_refused_with_a_reason(store, name, fragment):
    with pytest.raises(StoreError, match=fragment):
        store.create_project(name)
    project = store.create_project("fine")
    with pytest.raises(StoreError, match=fragment):
        store.rename_project(project.id, name)
    assert store.project(project.id).name == "fine"


def test_a_missing_project_or_run_is_named(store):
    with pytest.raises(StoreError, match="there is no project 42"):
        store.project(42)
    with pytest.raises(StoreError, match="there is no project 42"):
        store.create_run(42, spec_with_seed(1))
    with pytest.raises(StoreError, match="there is no run 7"):
        store.run(7)


def test_the_data_file_keeps_its_name_and_hash_and_stays_in_the_project(store, tmp_path):
    project = store.create_project("p")
    content = b"a;b\n1;2\n"
    stored = store.set_data(project.id, "../../Sales 2024.csv", content)
    assert stored.data_name == "Sales 2024.csv"
    assert stored.data_path == project.directory / "data" / "Sales 2024.csv"
    assert stored.spec_data_path == "data/Sales 2024.csv"
    assert stored.data_path.read_bytes() == content
    assert stored.data_sha256 == hashlib.sha256(content).hexdigest()

    # From a path; the previous file of another name goes.
    source = tmp_path / "other.parquet"
    source.write_bytes(b"PAR1")
    replaced = store.set_data(project.id, source.name, source)
    assert replaced.data_sha256 == hashlib.sha256(b"PAR1").hexdigest()
    assert sorted(p.name for p in (project.directory / "data").iterdir()) == ["other.parquet"]

    with pytest.raises(StoreError, match="not a usable file name"):
        store.set_data(project.id, "..", b"")
    with pytest.raises(StoreError, match="data file not found"):
        store.set_data(project.id, "gone.csv", tmp_path / "gone.csv")
    assert store.project(project.id).data_name == "other.parquet"


def test_import_spec_copies_the_data_and_makes_the_first_version(store):
    project, spec = store.import_spec(EXAMPLE)
    original = load_spec(EXAMPLE)
    assert project.name == original.name
    assert project.data_name == "penguins.csv"
    assert project.data_sha256 == original.dataset.sha256
    assert spec.dataset.path == "data/penguins.csv"
    assert (project.directory / spec.dataset.path).is_file()
    assert store.history(project.id).current() == spec


def test_a_stored_spec_is_read_with_the_safe_loader(store):
    project = store.create_project("p")
    store.history(project.id).push(spec_with_seed(1))
    with sqlite3.connect(store.home / "playground.db") as connection:
        connection.execute(
            "UPDATE spec_versions SET yaml = ?", ("!!python/object/apply:os.system ['true']\n",)
        )
    with pytest.raises(SpecError, match="not valid YAML"):
        store.history(project.id).current()


def test_sqlite_runs_in_wal_mode(store):
    store.create_project("p")
    with sqlite3.connect(store.home / "playground.db") as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_concurrent_writers_each_get_their_own_version(store):
    """Four writers (each its own Store and connections, as processes would have)
    push to one history at once: every push gets its own position, none is lost."""
    project = store.create_project("p")
    errors = []

    def writer(first_seed: int) -> None:
        own = Store(store.url, store.home)
        try:
            for seed in range(first_seed, first_seed + 6):
                own.history(project.id).push(spec_with_seed(seed))
                own.create_run(project.id, spec_with_seed(seed))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            own.close()

    threads = [threading.Thread(target=writer, args=(100 * i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    history = store.history(project.id)
    assert history.position() == (24, 24)
    assert sorted(seeds(history)) == sorted(100 * i + s for i in range(4) for s in range(6))
    assert len(store.runs(project.id)) == 24


def test_stores_opening_a_new_database_together_create_it_once(tmp_path):
    home = tmp_path / "new"
    errors = []

    def opener(index: int) -> None:
        try:
            own = Store(home=home)
            own.create_project(f"p{index}")
            own.close()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=opener, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(p.name for p in Store(home=home).projects()) == ["p0", "p1", "p2", "p3"]


def test_a_run_leaves_queued_and_running_once(store):
    project = store.create_project("p")
    run = store.create_run(project.id, spec_with_seed(1))
    assert (run.status, run.task, run.model) == ("queued", "binary", "random_forest_classifier")
    assert store.start_run(run.id, pid=1)
    assert not store.start_run(run.id, pid=2)
    folder = store.run_directory(project.id, run.id)
    folder.mkdir(parents=True)
    assert store.finish_run(run.id, {"metrics": {}}, {}, {}, [], folder)
    # A cancel or a failure arriving after the finish changes nothing.
    assert not store.cancel_run(run.id)
    assert not store.fail_run(run.id, "too late")
    assert store.run(run.id).status == "finished"
    assert store.run(run.id).error is None

    queued = store.create_run(project.id, spec_with_seed(1))
    assert store.cancel_run(queued.id)
    assert not store.start_run(queued.id)
    assert store.run(queued.id).status == "cancelled"
    with pytest.raises(StoreError, match="only a finished run has a model"):
        store.run(queued.id).load_model()
    with pytest.raises(StoreError, match="give a number of seconds above 0"):
        store.create_run(project.id, spec_with_seed(1), time_limit=0)


def test_runs_left_active_by_a_crash_are_marked_failed(store):
    project = store.create_project("p")
    running = store.create_run(project.id, spec_with_seed(1))
    store.start_run(running.id)
    queued = store.create_run(project.id, spec_with_seed(2))
    done = store.create_run(project.id, spec_with_seed(3))
    store.cancel_run(done.id)
    assert sorted(store.fail_interrupted()) == [running.id, queued.id]
    assert store.run(running.id).error == "the server stopped before this run ended; run it again"
    assert store.run(done.id).status == "cancelled"


def test_the_home_and_url_come_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("PLAYGROUND_HOME", str(tmp_path / "from-env"))
    monkeypatch.delenv("PLAYGROUND_DATABASE_URL", raising=False)
    store = Store()
    assert store.home == tmp_path / "from-env"
    assert store.url == f"sqlite:///{tmp_path / 'from-env' / 'playground.db'}"
    store.create_project("p")
    assert (tmp_path / "from-env" / "playground.db").is_file()
    store.close()

    monkeypatch.setenv("PLAYGROUND_DATABASE_URL", f"sqlite:///{tmp_path / 'shared.db'}")
    shared = Store()
    assert shared.url.endswith("shared.db")
    shared.create_project("q")
    assert [p.name for p in shared.projects()] == ["q"]
    shared.close()


def test_the_runs_command_lists_runs_by_home_or_project(store, capsys, monkeypatch):
    monkeypatch.setenv("PLAYGROUND_HOME", str(store.home))
    monkeypatch.delenv("PLAYGROUND_DATABASE_URL", raising=False)
    one = store.create_project("one")
    two = store.create_project("two")
    finished = store.create_run(one.id, spec_with_seed(1))
    store.start_run(finished.id)
    folder = store.run_directory(one.id, finished.id)
    folder.mkdir(parents=True)
    store.finish_run(finished.id, {"metrics": {"test": {"roc_auc": 0.8125}}}, {}, {}, [], folder)
    failed = store.create_run(two.id, spec_with_seed(2))
    store.fail_run(failed.id, "invalid spec:\n  seed: too big")

    assert main(["runs", str(store.home)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["run", "project", "status", "model", "test", "metric"] + [
        "started",
        "time",
    ]
    assert lines[1].split()[:4] == [str(failed.id), "two", "failed", "random_forest_classifier"]
    assert lines[2].strip() == "error: invalid spec: seed: too big"
    assert lines[3].split()[:6] == [
        str(finished.id),
        "one",
        "finished",
        "random_forest_classifier",
        "roc_auc",
        "0.812500",
    ]
    assert lines[3].endswith(" s")

    for project in ("one", str(one.id)):
        assert main(["runs", project]) == 0
        out = capsys.readouterr().out.splitlines()
        assert [line.split()[0] for line in out[1:]] == [str(finished.id)]

    assert main(["runs", "three"]) == 2
    assert_user_error(
        2, *capsys.readouterr(), "no project is named 'three'", f"{one.id} 'one'", f"{two.id} 'two'"
    )
    assert main(["runs", str(store.home / "elsewhere")]) == 2
    assert_user_error(2, *capsys.readouterr(), "is not a folder")
    monkeypatch.setenv("PLAYGROUND_HOME", str(store.home / "empty"))
    assert main(["runs", "one"]) == 2
    assert_user_error(2, *capsys.readouterr(), "no AI-Playground database at")


# A process writing to the store as fast as it can, until it is killed.
WRITER = """
import sys
from runtime.spec import load_spec
from runtime.store import Store

store = Store(home=sys.argv[1])
spec = load_spec(sys.argv[2])
project = store.create_project("killed mid-write")
history = store.history(project.id)
seed = 0
while True:
    seed += 1
    spec.seed = seed
    history.push(spec)
    print(seed, flush=True)  # only once the version is committed
"""


@pytest.mark.slow
def test_a_server_killed_mid_write_loses_nothing_committed(tmp_path):
    spec_file = tmp_path / "spec.yaml"
    spec_file.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    home = tmp_path / "home"
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(home), str(spec_file)],
        stdout=subprocess.PIPE,
        text=True,
    )
    committed = [int(writer.stdout.readline()) for _ in range(40)]
    os.kill(writer.pid, signal.SIGKILL)  # no chance to finish a write or close the database
    writer.wait(30)

    store = Store(home=home)
    (project,) = store.projects()
    versions = seeds(store.history(project.id))
    # Every version reported committed is there, in order; at most one more made it.
    assert versions[: len(committed)] == committed
    assert len(versions) - len(committed) <= 1
    with sqlite3.connect(home / "playground.db") as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    # The store carries on: a new version after the crash.
    store.history(project.id).push(spec_with_seed(999))
    assert seeds(store.history(project.id))[-1] == 999
    store.close()


# -- owners and the schema's version ------------------------------------------------


def test_a_user_sees_and_opens_only_their_own_projects_and_runs(store):
    ana = store.create_project("ana's", owner="ana")
    bob = store.create_project("bob's", owner="bob")
    store.history(ana.id).push(spec_with_seed(1))
    store.history(bob.id).push(spec_with_seed(2))
    ana_run = store.create_run(ana.id, spec_with_seed(1))
    bob_run = store.create_run(bob.id, spec_with_seed(2))
    assert (ana.owner, bob.owner) == ("ana", "bob")

    assert [p.id for p in store.projects(owner="ana")] == [ana.id]
    assert [r.id for r in store.runs(owner="bob")] == [bob_run.id]
    assert store.runs(bob.id, owner="ana") == []
    assert store.history(ana.id, owner="ana").current().seed == 1
    # Another's project, its history and runs are as missing as a deleted one, by id too.
    for attempt in (
        lambda: store.project(bob.id, owner="ana"),
        lambda: store.history(bob.id, owner="ana"),
    ):
        with pytest.raises(StoreError, match=f"there is no project {bob.id}; it may have"):
            attempt()
    with pytest.raises(StoreError, match=f"there is no run {bob_run.id}"):
        store.run(bob_run.id, owner="ana")
    assert store.run(ana_run.id, owner="ana").id == ana_run.id
    assert store.projects(owner="li") == []
    # Without a login (no owner asked for) the one person sees everything.
    assert {p.id for p in store.projects()} == {ana.id, bob.id}
    assert store.run(bob_run.id).id == bob_run.id


def test_an_empty_user_name_is_refused(store):
    with pytest.raises(StoreError, match="the user name is empty"):
        store.create_project("p", owner="  ")


# The schema as stores wrote it before they had owners and a schema version.
SCHEMA_BEFORE_OWNERS = """
CREATE TABLE projects (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, name VARCHAR(200) NOT NULL,
    created DOUBLE NOT NULL, updated DOUBLE NOT NULL, data_name VARCHAR(255),
    data_sha256 VARCHAR(64), spec_position INTEGER NOT NULL
);
CREATE INDEX ix_projects_updated ON projects (updated);
CREATE TABLE spec_versions (
    id INTEGER NOT NULL, project_id INTEGER NOT NULL, position INTEGER NOT NULL,
    yaml TEXT NOT NULL, created DOUBLE NOT NULL, PRIMARY KEY (id),
    UNIQUE (project_id, position), FOREIGN KEY(project_id) REFERENCES projects (id)
);
CREATE INDEX ix_spec_versions_project_id ON spec_versions (project_id);
CREATE TABLE runs (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, project_id INTEGER NOT NULL,
    spec_yaml TEXT NOT NULL, task VARCHAR(20) NOT NULL, model VARCHAR(100) NOT NULL,
    status VARCHAR(16) NOT NULL, created DOUBLE NOT NULL, started DOUBLE, ended DOUBLE,
    time_limit DOUBLE, pid INTEGER, report JSON, timings JSON, libraries JSON,
    warnings JSON, error TEXT, artifacts VARCHAR(500),
    FOREIGN KEY(project_id) REFERENCES projects (id)
);
CREATE INDEX ix_runs_project_id ON runs (project_id);
CREATE INDEX ix_runs_status ON runs (status);
"""


def test_a_store_from_before_owners_is_upgraded_and_keeps_its_projects(tmp_path):
    from runtime.spec import dump_spec

    home = tmp_path / "home"
    home.mkdir()
    database = sqlite3.connect(home / "playground.db")
    database.executescript(SCHEMA_BEFORE_OWNERS)
    database.execute("INSERT INTO projects VALUES (1, 'Old', 1.0, 2.0, 'data.csv', NULL, 2)")
    for position, seed in ((1, 1), (2, 2)):
        database.execute(
            "INSERT INTO spec_versions (project_id, position, yaml, created) VALUES (1, ?, ?, 1)",
            (position, dump_spec(spec_with_seed(seed))),
        )
    database.execute(
        "INSERT INTO runs (project_id, spec_yaml, task, model, status, created, error) "
        "VALUES (1, ?, 'binary', 'logistic_regression', 'failed', 3.0, 'it broke')",
        (dump_spec(spec_with_seed(2)),),
    )
    database.commit()
    database.close()

    store = Store(home=home)
    (old,) = store.projects()
    assert (old.id, old.name, old.data_name, old.owner) == (1, "Old", "data.csv", None)
    history = store.history(old.id)
    assert (history.position(), history.current().seed) == ((2, 2), 2)
    assert history.undo().seed == 1
    (run,) = store.runs(old.id)
    assert (run.status, run.error) == ("failed", "it broke")
    # Projects from before logins belong to nobody who logs in.
    assert store.projects(owner="ana") == []
    mine = store.create_project("new", owner="ana")
    assert mine.id == 2 and store.project(mine.id, owner="ana").owner == "ana"
    store.close()

    # Opening it again upgrades nothing twice; the version is recorded.
    again = Store(home=home)
    assert [p.id for p in again.projects()] == [2, 1]
    again.close()
    database = sqlite3.connect(home / "playground.db")
    assert database.execute("SELECT version FROM schema_version").fetchall() == [(1,)]
    database.close()


def test_a_store_from_a_newer_playground_is_refused(tmp_path):
    Store(home=tmp_path).close()
    database = sqlite3.connect(tmp_path / "playground.db")
    database.execute("UPDATE schema_version SET version = 99")
    database.commit()
    database.close()
    with pytest.raises(
        StoreError, match="written by a newer AI-Playground .*upgrade the playground"
    ):
        Store(home=tmp_path)
