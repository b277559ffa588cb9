"""Projects, their spec history (undo/redo) and their runs, in one SQL database.

    store = Store()                      # sqlite:///$PLAYGROUND_HOME/playground.db
    project = store.create_project("Penguins")
    project = store.set_data(project.id, "penguins.csv", uploaded_bytes)
    history = store.history(project.id)
    history.push(spec)                   # a new version; cuts off what redo would give
    history.push_later(spec)             # the same, written before the store's next use
    history.undo(); history.redo(); history.current()
    run = store.create_run(project.id, spec)   # queued; runtime.jobs trains it
    store.runs(project.id)               # newest first, with status, metrics, error

Where things live:

- the database: `PLAYGROUND_DATABASE_URL` (any SQLAlchemy URL, e.g. PostgreSQL
  for a shared server), else SQLite in `$PLAYGROUND_HOME/playground.db`;
  `PLAYGROUND_HOME` defaults to `~/.playground`.
- files, under the home: `projects/<id>/data/<original file name>` (the
  uploaded data, with its sha256 in the database; never unpickled) and
  `projects/<id>/runs/<run id>/` (the artifacts of a run: `model.joblib`,
  written by our own training only, the `preprocessing.py` it refers to,
  `report.json` and `plots.json`, the data of its plots). A shared server
  needs the home on storage every server sees.

Several threads and processes may use one database at once (the UI, job
workers, the CLI): every operation is one short transaction; SQLite runs in
WAL mode and a writing transaction takes the write lock when it begins.
Everything returned is a frozen snapshot (`Project`, `Run`); change things
through the store's methods.

Owners: served with a login, every project belongs to the user who made it
(`create_project(name, owner="ana")`), and the reading methods given
`owner="ana"` answer as if the projects of others did not exist, so a user
cannot open another's project, runs or exports even by id. Without a login
(owner None) the playground is one person's tool and every project is theirs.

The schema carries a version (table `schema_version`); a store opened on an
older database upgrades it in place, keeping everything in it.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Engine,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    delete,
    event,
    func,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from runtime.dataset import sha256_of
from runtime.metrics import higher_is_better
from runtime.settings import playground_home
from runtime.spec import Spec, dump_spec, load_spec, loads_spec

URL_VARIABLE = "PLAYGROUND_DATABASE_URL"
DATABASE_FILE = "playground.db"
MODEL_FILE = "model.joblib"
PREPROCESSING_FILE = "preprocessing.py"
REPORT_FILE = "report.json"
PLOTS_FILE = "plots.json"
# The same plot data as Python objects (frames), for the UI to draw without recomputing.
PLOT_DATA_FILE = "plots.joblib"

STATUSES = ("queued", "running", "finished", "failed", "cancelled")
ACTIVE = ("queued", "running")
# The metric a run is summed up by in lists, and whether higher is better (runtime.metrics).
MAIN_METRIC = {
    task: (name, higher_is_better(name))
    for task, name in {
        "binary": "roc_auc",
        "multiclass": "accuracy",
        "regression": "r2",
        "clustering": "silhouette",
    }.items()
}
MAX_NAME = 200
MAX_OWNER = 200
# Version 1: projects have an owner. (Databases from before it have no version: 0.)
SCHEMA_VERSION = 1


class StoreError(ValueError):
    """A request the store cannot carry out, with a message a person can act on."""


# -- tables ----------------------------------------------------------------------------


class _Base(DeclarativeBase):
    pass


class _ProjectRow(_Base):
    __tablename__ = "projects"
    # Ids are never reused, so a project's folder never meets an older one's files.
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(MAX_NAME))
    created: Mapped[float]
    updated: Mapped[float] = mapped_column(index=True)
    data_name: Mapped[str | None] = mapped_column(String(255))
    data_sha256: Mapped[str | None] = mapped_column(String(64))
    # Position of the current spec version (0: none yet).
    spec_position: Mapped[int] = mapped_column(default=0)
    # The logged-in user who made it; None when the playground runs without a login.
    owner: Mapped[str | None] = mapped_column(String(MAX_OWNER), index=True)


class _SchemaVersionRow(_Base):
    __tablename__ = "schema_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int]


class _SpecRow(_Base):
    __tablename__ = "spec_versions"
    __table_args__ = (UniqueConstraint("project_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    position: Mapped[int]
    yaml: Mapped[str] = mapped_column(Text)
    created: Mapped[float]


class _RunRow(_Base):
    __tablename__ = "runs"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    spec_yaml: Mapped[str] = mapped_column(Text)
    task: Mapped[str] = mapped_column(String(20))
    model: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), index=True)
    created: Mapped[float]
    started: Mapped[float | None]
    ended: Mapped[float | None]
    time_limit: Mapped[float | None]
    pid: Mapped[int | None]
    report: Mapped[dict | None] = mapped_column(JSON)
    timings: Mapped[dict | None] = mapped_column(JSON)
    libraries: Mapped[dict | None] = mapped_column(JSON)
    warnings: Mapped[list | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    # Relative to the home, so that a home can move.
    artifacts: Mapped[str | None] = mapped_column(String(500))


# -- snapshots -------------------------------------------------------------------------


def _when(stamp: float | None) -> datetime | None:
    return None if stamp is None else datetime.fromtimestamp(stamp, UTC)


@dataclass(frozen=True)
class Project:
    id: int
    name: str
    created: datetime
    updated: datetime
    directory: Path
    data_name: str | None
    data_sha256: str | None
    owner: str | None = None

    @property
    def data_path(self) -> Path | None:
        """The data file, or None before one is set."""
        return self.directory / "data" / self.data_name if self.data_name else None

    @property
    def spec_data_path(self) -> str | None:
        """The data file as a spec in this project names it (`dataset.path`)."""
        return f"data/{self.data_name}" if self.data_name else None


@dataclass(frozen=True)
class Run:
    id: int
    project_id: int
    status: str
    spec_yaml: str
    task: str
    model: str
    created: datetime
    started: datetime | None
    ended: datetime | None
    time_limit: float | None
    pid: int | None
    report: dict | None
    timings: dict | None
    libraries: dict | None
    warnings: list[str]
    error: str | None
    artifacts: Path | None

    @property
    def spec(self) -> Spec:
        return loads_spec(self.spec_yaml, f"the spec of run {self.id}")

    @property
    def metrics(self) -> dict[str, dict[str, float]]:
        """{split: {metric: value}}; empty unless the run finished."""
        return (self.report or {}).get("metrics", {})

    @property
    def seconds(self) -> float | None:
        if self.started is None or self.ended is None:
            return None
        return (self.ended - self.started).total_seconds()

    @property
    def done(self) -> bool:
        return self.status not in ACTIVE

    def main_metric(self) -> tuple[str, float] | None:
        """(name, value) of the task's main metric on the test split, when there is one."""
        name, _ = MAIN_METRIC[self.task]
        split = self.metrics.get("test") or {}
        return (name, split[name]) if name in split else None

    def result(self):
        """The finished run as a RunResult, as training gave it; its fitted pipeline is
        loaded when first used (the metrics are shown without it)."""
        from runtime.executor import RunResult

        self._require_model()
        return RunResult(
            report=self.report,
            pipeline=None,
            seconds=self.seconds or 0.0,
            spec=self.spec,
            warnings=self.warnings,
            load_pipeline=self.load_model,
        )

    def _require_model(self) -> None:
        if self.status != "finished" or self.artifacts is None:
            raise StoreError(f"run {self.id} is {self.status}; only a finished run has a model")

    def load_model(self):
        """The fitted pipeline. Its file is written by our own training, never uploaded."""
        import joblib

        from runtime.executor import load_modules, standing_in

        self._require_model()
        source = (self.artifacts / PREPROCESSING_FILE).read_text(encoding="utf-8")
        prep, _ = load_modules(source)
        with standing_in(prep):
            return joblib.load(self.artifacts / MODEL_FILE)


def write_model(pipeline: Any, out: Any) -> None:
    """Pickle a fitted pipeline to `out` (a binary file) as runs keep it in MODEL_FILE:
    plain pickle, which joblib.load (Run.load_model, the MLflow mirror, runs recorded
    before) reads too. joblib's own pickler runs in Python: 20 ms for the training
    bench's model against 3 ms, after every training. The caller stands the pipeline's
    preprocessing module in (runtime.executor.standing_in)."""
    pickle.dump(pipeline, out, protocol=pickle.HIGHEST_PROTOCOL)


# -- the store -------------------------------------------------------------------------


def _sqlite_setup(engine: Engine) -> None:
    """WAL mode, a busy timeout, and BEGIN IMMEDIATE for writing transactions.

    SQLAlchemy's documented recipe: pysqlite's own transaction handling is
    switched off and SQLAlchemy emits BEGIN. A writer takes the write lock
    when it begins; a transaction that read first and wrote later could fail
    at once with "database is locked" when another process wrote in between.
    """

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=30000")
        # Switching a new database to WAL needs it alone, and SQLite answers "locked"
        # at once (no busy wait) while another connection switches it: try again.
        for attempt in range(100):
            try:
                cursor.execute("PRAGMA journal_mode=WAL")
                break
            except sqlite3.OperationalError:
                if attempt == 99:
                    raise
                time.sleep(0.05)
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection) -> None:
        writing = connection.get_execution_options().get("playground_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")


def _add_project_owners(connection) -> None:
    connection.execute(text(f"ALTER TABLE projects ADD COLUMN owner VARCHAR({MAX_OWNER})"))
    connection.execute(text("CREATE INDEX ix_projects_owner ON projects (owner)"))


# MIGRATIONS[v] upgrades a database of schema version v to v + 1.
MIGRATIONS = [_add_project_owners]
assert len(MIGRATIONS) == SCHEMA_VERSION


def _create_or_upgrade(connection, url: str) -> None:
    """Create the tables of a new database, or bring an older one to SCHEMA_VERSION.

    Runs in one writing transaction, so servers and workers starting together
    neither create nor upgrade a database twice.
    """
    existed = "projects" in inspect(connection).get_table_names()
    _Base.metadata.create_all(connection)  # only the tables that are missing
    row = connection.execute(select(_SchemaVersionRow)).first()
    if row is None:
        # No version yet: a new database (its tables were just made as they are now),
        # or one from before versions were kept.
        version = 0 if existed else SCHEMA_VERSION
        connection.execute(_SchemaVersionRow.__table__.insert().values(id=1, version=version))
    else:
        version = row.version
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"the database {url} was written by a newer AI-Playground (schema version "
            f"{version}; this one knows up to {SCHEMA_VERSION}); upgrade the playground"
        )
    for migrate in MIGRATIONS[version:]:
        migrate(connection)
    if version < SCHEMA_VERSION:
        connection.execute(
            update(_SchemaVersionRow)
            .where(_SchemaVersionRow.id == 1)
            .values(version=SCHEMA_VERSION)
        )


def _clean_name(name: str, what: str = "project name") -> str:
    if not isinstance(name, str) or not name.strip():
        raise StoreError(f"the {what} is empty; give it a name")
    name = " ".join(name.split())
    if len(name) > MAX_NAME:
        raise StoreError(f"the {what} is {len(name)} characters long; use at most {MAX_NAME}")
    return name


def _data_file_name(name: str) -> str:
    """The file's own name, without any folders (so it cannot leave the project)."""
    base = Path(str(name).replace("\\", "/")).name
    if base in ("", ".", "..") or "\x00" in base:
        raise StoreError(f"{name!r} is not a usable file name; name the data file, e.g. data.csv")
    if len(base) > 255:
        raise StoreError("the data file name is longer than 255 characters; shorten it")
    return base


class Store:
    """One database of projects, spec histories and runs, and their files under `home`."""

    def __init__(self, url: str | None = None, home: str | Path | None = None):
        self.home = Path(home).expanduser() if home is not None else playground_home()
        self.url = url or os.environ.get(URL_VARIABLE) or f"sqlite:///{self.home / DATABASE_FILE}"
        self.home.mkdir(parents=True, exist_ok=True)
        if self.url.startswith("sqlite"):
            self._engine = create_engine(self.url, connect_args={"timeout": 30})
            _sqlite_setup(self._engine)
        else:
            self._engine = create_engine(self.url, pool_pre_ping=True)
        self._writer = self._engine.execution_options(playground_write=True)
        # Spec versions pushed with SpecHistory.push_later, by project: written, in
        # order, before any other read or write through this store.
        self._pending: dict[int, Callable[[], int]] = {}
        self._pending_lock = threading.RLock()
        with self._writer.begin() as connection:
            _create_or_upgrade(connection, self._engine.url.render_as_string(hide_password=True))

    def close(self) -> None:
        self.write_pending()
        self._engine.dispose()

    def __repr__(self) -> str:
        return f"Store({self._engine.url.render_as_string(hide_password=True)!r})"

    @contextmanager
    def _reading(self) -> Iterator[Session]:
        self.write_pending()
        with Session(self._engine) as session, session.begin():
            yield session

    @contextmanager
    def _writing(self) -> Iterator[Session]:
        self.write_pending()
        with Session(self._writer) as session, session.begin():
            yield session

    def write_pending(self) -> None:
        """Write the spec versions pushed for later (SpecHistory.push_later). Every read
        and write through the store calls it first; the lock makes one that arrives
        while another thread writes them wait until they are written."""
        with self._pending_lock:
            while self._pending:
                # Popped before writing: the write's own session finds nothing pending.
                _, write = self._pending.popitem()
                write()

    # -- projects ------------------------------------------------------------------

    def project_directory(self, project_id: int) -> Path:
        return self.home / "projects" / str(project_id)

    def _project(self, row: _ProjectRow) -> Project:
        return Project(
            id=row.id,
            name=row.name,
            created=_when(row.created),
            updated=_when(row.updated),
            directory=self.project_directory(row.id),
            data_name=row.data_name,
            data_sha256=row.data_sha256,
            owner=row.owner,
        )

    @staticmethod
    def _row(
        session: Session, project_id: int, lock: bool = False, owner: str | None = None
    ) -> _ProjectRow:
        """The project's row; another owner's project is as missing as a deleted one."""
        query = select(_ProjectRow).where(_ProjectRow.id == project_id)
        if owner is not None:
            query = query.where(_ProjectRow.owner == owner)
        if lock:  # FOR UPDATE where the database has it (SQLite locks on BEGIN IMMEDIATE)
            query = query.with_for_update()
        row = session.scalars(query).one_or_none()
        if row is None:
            raise StoreError(f"there is no project {project_id}; it may have been deleted")
        return row

    def create_project(self, name: str, owner: str | None = None) -> Project:
        """A new, empty project; `owner` is the logged-in user (None without a login)."""
        name = _clean_name(name)
        if owner is not None:
            owner = _clean_name(owner, "user name")
        now = time.time()
        with self._writing() as session:
            row = _ProjectRow(name=name, created=now, updated=now, spec_position=0, owner=owner)
            session.add(row)
            session.flush()
            project = self._project(row)
        # Ids are never reused: a folder already there is left from a deleted database.
        shutil.rmtree(project.directory, ignore_errors=True)
        (project.directory / "data").mkdir(parents=True)
        return project

    def project(self, project_id: int, owner: str | None = None) -> Project:
        """The project; given an `owner`, only if it is theirs."""
        with self._reading() as session:
            return self._project(self._row(session, project_id, owner=owner))

    def projects(self, owner: str | None = None) -> list[Project]:
        """Every project (given an `owner`, every one of theirs), the most recently updated first."""
        query = select(_ProjectRow).order_by(_ProjectRow.updated.desc(), _ProjectRow.id.desc())
        if owner is not None:
            query = query.where(_ProjectRow.owner == owner)
        with self._reading() as session:
            return [self._project(row) for row in session.scalars(query)]

    def rename_project(self, project_id: int, name: str) -> Project:
        name = _clean_name(name)
        with self._writing() as session:
            row = self._row(session, project_id)
            row.name = name
            row.updated = time.time()
            return self._project(row)

    def delete_project(self, project_id: int) -> None:
        """The project, its spec history, its runs and its files.

        Cancel its running jobs first (runtime.jobs): a job whose run is gone
        keeps nothing it trains.
        """
        with self._writing() as session:
            self._row(session, project_id)
            session.execute(delete(_RunRow).where(_RunRow.project_id == project_id))
            session.execute(delete(_SpecRow).where(_SpecRow.project_id == project_id))
            session.execute(delete(_ProjectRow).where(_ProjectRow.id == project_id))
        shutil.rmtree(self.project_directory(project_id), ignore_errors=True)

    def set_data(self, project_id: int, name: str, content: bytes | str | Path) -> Project:
        """Store the project's data file under its original `name`.

        `content` is the file's bytes (an upload) or the path of a file to copy.
        A previous data file of another name is removed. The file is kept as
        bytes and only ever read by the generated read_data.
        """
        name = _data_file_name(name)
        project = self.project(project_id)
        folder = project.directory / "data"
        folder.mkdir(parents=True, exist_ok=True)
        partial = folder / f".{name}.part"
        if isinstance(content, bytes):
            partial.write_bytes(content)
        else:
            try:
                shutil.copyfile(content, partial)
            except FileNotFoundError:
                raise StoreError(f"data file not found: {content}") from None
        digest = sha256_of(partial)
        os.replace(partial, folder / name)
        if project.data_name and project.data_name != name:
            (folder / project.data_name).unlink(missing_ok=True)
        with self._writing() as session:
            row = self._row(session, project_id)
            row.data_name = name
            row.data_sha256 = digest
            row.updated = time.time()
            return self._project(row)

    def import_spec(self, spec_path: str | Path, name: str | None = None) -> tuple[Project, Spec]:
        """A new project from a spec file and its data file; the spec is its first version.

        The spec's dataset.path is rewritten to where the project keeps the data.
        """
        spec_path = Path(spec_path)
        spec = load_spec(spec_path)
        data = spec_path.parent / spec.dataset.path
        if not data.is_file():
            raise StoreError(
                f"dataset not found: {spec.dataset.path} (relative to the spec's folder); "
                "put the file there or fix dataset.path"
            )
        project = self.create_project(name or spec.name)
        try:
            project = self.set_data(project.id, data.name, data)
            spec = spec.model_copy(deep=True)
            spec.dataset.path = project.spec_data_path
            self.history(project.id).push(spec)
        except BaseException:
            self.delete_project(project.id)
            raise
        return self.project(project.id), spec

    # -- spec history --------------------------------------------------------------

    def history(self, project_id: int, owner: str | None = None) -> SpecHistory:
        self.project(project_id, owner)  # a clear error now rather than at the first push
        return SpecHistory(self, project_id)

    # -- runs ----------------------------------------------------------------------

    def _run(self, row: _RunRow) -> Run:
        return Run(
            id=row.id,
            project_id=row.project_id,
            status=row.status,
            spec_yaml=row.spec_yaml,
            task=row.task,
            model=row.model,
            created=_when(row.created),
            started=_when(row.started),
            ended=_when(row.ended),
            time_limit=row.time_limit,
            pid=row.pid,
            report=row.report,
            timings=row.timings,
            libraries=row.libraries,
            warnings=list(row.warnings or []),
            error=row.error,
            artifacts=self.home / row.artifacts if row.artifacts else None,
        )

    def run_directory(self, project_id: int, run_id: int) -> Path:
        return self.project_directory(project_id) / "runs" / str(run_id)

    def create_run(self, project_id: int, spec: Spec, time_limit: float | None = None) -> Run:
        """A queued run of `spec` (its dataset.path relative to the project's folder)."""
        if time_limit is not None and not time_limit > 0:
            raise StoreError(f"time limit {time_limit!r}: give a number of seconds above 0")
        now = time.time()
        with self._writing() as session:
            project = self._row(session, project_id)
            project.updated = now
            row = _RunRow(
                project_id=project_id,
                spec_yaml=dump_spec(spec),
                task=spec.task,
                model=spec.model.type,
                status="queued",
                created=now,
                time_limit=time_limit,
            )
            session.add(row)
            session.flush()
            return self._run(row)

    def run(self, run_id: int, owner: str | None = None) -> Run:
        """The run; given an `owner`, only if its project is theirs."""
        query = select(_RunRow).where(_RunRow.id == run_id)
        if owner is not None:
            query = query.join(_ProjectRow).where(_ProjectRow.owner == owner)
        with self._reading() as session:
            row = session.scalars(query).one_or_none()
            if row is None:
                raise StoreError(f"there is no run {run_id}; its project may have been deleted")
            return self._run(row)

    def runs(self, project_id: int | None = None, owner: str | None = None) -> list[Run]:
        """The runs of one project (or of every project; given an `owner`, of theirs),
        the newest first."""
        query = select(_RunRow).order_by(_RunRow.created.desc(), _RunRow.id.desc())
        if project_id is not None:
            query = query.where(_RunRow.project_id == project_id)
        if owner is not None:
            query = query.join(_ProjectRow).where(_ProjectRow.owner == owner)
        with self._reading() as session:
            return [self._run(row) for row in session.scalars(query)]

    def _move(self, run_id: int, allowed: tuple[str, ...], **values: Any) -> bool:
        """Set the run's fields if its status is one of `allowed`; whether it was.

        One conditional UPDATE: when a worker finishes while the UI cancels,
        exactly one of them wins and the other changes nothing.
        """
        now = time.time()
        if values.get("status") not in (None, "running"):
            values.setdefault("ended", now)
        with self._writing() as session:
            moved = session.execute(
                update(_RunRow)
                .where(_RunRow.id == run_id, _RunRow.status.in_(allowed))
                .values(**values)
            ).rowcount
            if moved:
                project = select(_RunRow.project_id).where(_RunRow.id == run_id).scalar_subquery()
                session.execute(
                    update(_ProjectRow).where(_ProjectRow.id == project).values(updated=now)
                )
        return bool(moved)

    def start_run(self, run_id: int, pid: int | None = None) -> bool:
        """queued -> running; False when the run is no longer queued (e.g. cancelled)."""
        return self._move(run_id, ("queued",), status="running", started=time.time(), pid=pid)

    def finish_run(
        self,
        run_id: int,
        report: dict,
        timings: dict[str, float],
        libraries: dict[str, str],
        warnings: list[str],
        artifacts: Path,
    ) -> bool:
        """running -> finished with its results; `artifacts` is the run's folder."""
        return self._move(
            run_id,
            ("running",),
            status="finished",
            # Through JSON text: NaN and numpy numbers become what JSON can hold.
            report=json.loads(json.dumps(report, default=float)),
            timings=timings,
            libraries=libraries,
            warnings=list(warnings),
            artifacts=artifacts.relative_to(self.home).as_posix(),
        )

    def add_warning(self, run_id: int, warning: str) -> None:
        """Add to a run's warnings (e.g. that a mirror of it failed after it finished)."""
        with self._writing() as session:
            row = session.get(_RunRow, run_id)
            if row is None:
                raise StoreError(f"there is no run {run_id}; its project may have been deleted")
            row.warnings = [*(row.warnings or []), warning]

    def add_timings(self, run_id: int, timings: dict[str, float]) -> None:
        """Add the time of stages that follow a run's recording (its plots)."""
        with self._writing() as session:
            row = session.get(_RunRow, run_id)
            if row is None:
                raise StoreError(f"there is no run {run_id}; its project may have been deleted")
            row.timings = {**(row.timings or {}), **timings}

    def fail_run(self, run_id: int, error: str, timings: dict[str, float] | None = None) -> bool:
        """queued/running -> failed with the message a person reads."""
        return self._move(run_id, ACTIVE, status="failed", error=error, timings=timings)

    def cancel_run(self, run_id: int) -> bool:
        """queued/running -> cancelled; False when the run had already ended."""
        return self._move(run_id, ACTIVE, status="cancelled", error="cancelled")

    def fail_interrupted(self, message: str | None = None) -> list[int]:
        """Mark every queued or running run failed: for a server that starts after a crash.

        Only right when no other server or worker uses this database.
        """
        message = message or "the server stopped before this run ended; run it again"
        ids = [r.id for r in self.runs() if r.status in ACTIVE]
        return [i for i in ids if self.fail_run(i, message)]


class SpecHistory:
    """The versions of one project's spec and a cursor for undo and redo.

    Versions are numbered from 1. `push` adds a version after the current one
    and drops the versions after it (what redo would have restored).
    """

    def __init__(self, store: Store, project_id: int):
        self.store = store
        self.project_id = project_id

    def _version(self, session: Session, position: int) -> Spec:
        text = session.scalars(
            select(_SpecRow.yaml).where(
                _SpecRow.project_id == self.project_id, _SpecRow.position == position
            )
        ).one()
        return loads_spec(text, f"version {position} of the spec of project {self.project_id}")

    def _count(self, session: Session) -> int:
        return session.scalar(
            select(func.count(_SpecRow.id)).where(_SpecRow.project_id == self.project_id)
        )

    def push(self, spec: Spec) -> int:
        """Make `spec` the current version; its number. The same spec again adds nothing."""
        text = dump_spec(spec)
        now = time.time()
        with self.store._writing() as session:
            project = Store._row(session, self.project_id, lock=True)
            if project.spec_position:
                current = session.scalars(
                    select(_SpecRow.yaml).where(
                        _SpecRow.project_id == self.project_id,
                        _SpecRow.position == project.spec_position,
                    )
                ).one()
                if current == text:
                    return project.spec_position
            session.execute(
                delete(_SpecRow).where(
                    _SpecRow.project_id == self.project_id,
                    _SpecRow.position > project.spec_position,
                )
            )
            project.spec_position += 1
            project.updated = now
            session.add(
                _SpecRow(
                    project_id=self.project_id,
                    position=project.spec_position,
                    yaml=text,
                    created=now,
                )
            )
            return project.spec_position

    def push_later(self, spec: Spec) -> None:
        """Make `spec` the current version at the store's next read or write, or at
        `Store.write_pending` (the UI calls it on the event loop's next tick, after the
        preview is drawn): the edit costs no YAML or SQL before the person sees its
        preview. A version pushed earlier and not yet written is written first, so
        versions keep their order; undo, redo and every other read find it written."""
        with self.store._pending_lock:
            self.store.write_pending()
            self.store._pending[self.project_id] = lambda: self.push(spec)

    def _step(self, delta: int) -> Spec:
        with self.store._writing() as session:
            project = Store._row(session, self.project_id, lock=True)
            target = project.spec_position + delta
            if target < 1:
                raise StoreError("nothing to undo: this is the first version of the spec")
            if target > self._count(session):
                raise StoreError("nothing to redo: this is the latest version of the spec")
            project.spec_position = target
            project.updated = time.time()
            return self._version(session, target)

    def undo(self) -> Spec:
        """Go back one version; the spec now current."""
        return self._step(-1)

    def redo(self) -> Spec:
        """Go forward one version (after an undo); the spec now current."""
        return self._step(1)

    def current(self) -> Spec | None:
        """The current spec, or None before the first push."""
        with self.store._reading() as session:
            cursor = Store._row(session, self.project_id).spec_position
            return self._version(session, cursor) if cursor else None

    def position(self) -> tuple[int, int]:
        """(current version, number of versions); (0, 0) before the first push."""
        with self.store._reading() as session:
            return Store._row(session, self.project_id).spec_position, self._count(session)

    @property
    def can_undo(self) -> bool:
        return self.position()[0] > 1

    @property
    def can_redo(self) -> bool:
        current, count = self.position()
        return current < count
