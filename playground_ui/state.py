"""The state of one playground session, with no widgets in it.

A `Workspace` owns one project: its data file, the history of its spec and
the last training run. Every change a person makes is a function here that
builds a new spec, validates it and pushes it on the history; a change that
does not validate is refused with the validation message and the spec stays
as it was. The views only call these functions and draw what they expose, so
all of it is testable without a browser.
"""

from __future__ import annotations

import copy
import io
import re
import threading
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import param

from generator import render
from generator.bundle import export, render_bundle, write_bundle
from generator.plots import render_plots
from runtime.dataset import (
    DataError,
    check_size,
    class_labels,
    infer_column_type,
    sample_note,
)
from runtime.defaults import default_spec, file_profile, suggested_models, suggested_space
from runtime.executor import RunError, Runner, RunResult, StepPreview
from runtime.explain import explain_default, require_explanation
from runtime.jobs import Job, Jobs, mirror_to_mlflow, plot_data_state, save_plot_data
from runtime.leaderboard import Entry, leaderboard
from runtime.mlflow_mirror import mirror_plot_data
from runtime.models import MODELS_BY_NAME, member_types
from runtime.plots import Plot, explore_plots, result_plots
from runtime.read_options import chosen_options, reread, workbook_sheets
from runtime.search_space import (
    Dimension,
    candidate_overrides,
    resolve_space,
    searched_space,
    tuning_for_model,
)
from runtime.spec import Spec, SpecError, loads_spec, parse_spec, spec_to_dict
from runtime.spec_diff import spec_diff, yaml_diff
from runtime.steps import STEPS_BY_NAME
from runtime.store import PLOT_DATA_FILE, Project, Run, SpecHistory, Store, StoreError

if TYPE_CHECKING:
    # runtime.tuning imports optuna (~0.3 s): not before the first page is served.
    from runtime.tuning import AverageOutcome, TuningJob, TuningOutcome

# File types the upload accepts, as the reader detects them.
UPLOAD_SUFFIXES = (".csv", ".tsv", ".txt", ".parquet", ".xlsx", ".xls", ".json", ".jsonl")

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "examples" / "data"

# Which column types a column parameter of each kind lists.
SUITABLE_TYPES = {
    "any": None,
    "numeric": {"numeric"},
    "categorical": {"categorical", "boolean"},
    "datetime": {"datetime"},
    "text": {"text", "categorical"},
    "boolean": {"boolean"},
}

USER_ERRORS = (SpecError, DataError, RunError)


# Data-tab roles that choose the split: (split kind, the split field naming the column).
SPLIT_ROLES = {"group": ("group", "group_column"), "date": ("time", "time_column")}


def example_files() -> dict[str, Path]:
    """The bundled example datasets, by file name."""
    return {p.name: p for p in sorted(EXAMPLES_DIR.glob("*.csv"))}


def safe_filename(name: str) -> str:
    """The upload's base name with anything but letters, digits, `.-_` replaced."""
    base = Path(name.replace("\\", "/")).name
    cleaned = re.sub(r"[^\w.\-]+", "_", base).strip("._") or "data"
    return cleaned[:120]


@dataclass
class LoadedData:
    """A data file stored, read and given its default spec, ready to be shown."""

    name: str
    project: Project
    spec: Spec
    rows: int
    notes: list[str]


class Workspace(param.Parameterized):
    """One session's project: data file, spec history, last run."""

    spec = param.ClassSelector(class_=Spec, allow_None=True, doc="The current spec.")
    revision = param.Integer(default=0, doc="Counts spec changes; views redraw on it.")
    data_revision = param.Integer(default=0, doc="Counts data files opened.")
    message = param.String(default="", doc="The last problem or notice for the person.")
    loading = param.String(default="", doc="What is being loaded in the background, if anything.")
    message_kind = param.Selector(default="info", objects=["info", "success", "error"])
    result = param.ClassSelector(class_=RunResult, allow_None=True, doc="The last run.")
    result_revision = param.Integer(default=-1, doc="The revision the last run trained.")
    runs_revision = param.Integer(default=0, doc="Counts runs ended here; the Runs tab redraws.")

    def __init__(
        self,
        home: str | Path,
        store: Store | None = None,
        jobs: Jobs | None = None,
        owner: str | None = None,
        **params: Any,
    ):
        super().__init__(**params)
        self.home = Path(home)
        # The logged-in user: the session makes, lists and opens only their projects.
        # None without a login, where every stored project is the one person's.
        self.owner = owner
        # Projects, their data and every spec version live in the store, so a
        # reloaded page (or a restarted server) reopens the work where it was.
        self.store = store or Store(home=self.home)
        # Training runs in worker processes; a server shares one Jobs among its sessions.
        self.jobs = jobs or Jobs(self.store)
        self._job_revisions: dict[int, int] = {}
        # The session's training, queued or running; a lock makes starting one atomic.
        self._training: Job | None = None
        self._submit_lock = threading.Lock()
        self.project: Project | None = None
        self.history: SpecHistory | None = None
        self._code: dict[tuple[int, str], str] = {}
        # The runner of the spec last shown or checked: it remembers the spec's prefix
        # cache keys and rendered modules, so the preview after an edit (and the next
        # one) finds the frames the edit's check computed without working them out again.
        self._runner: Runner | None = None
        # The preview an edit computed to accept itself, with the revision it belongs to:
        # the first `preview` of that step at that revision returns it (`_handed_preview`).
        self._handoff: tuple[int, Spec, int, StepPreview] | None = None
        # The run shown as the result, and its folder: its worker saves the plot data there.
        self._result_run_id: int | None = None
        self._result_folder: Path | None = None

    # -- messages ----------------------------------------------------------

    def tell(self, text: str, kind: str = "info") -> None:
        # One update, so watchers of both see the new pair once.
        self.param.update(message_kind=kind, message=text)

    def _refuse(self, exc: Exception) -> bool:
        self.tell(str(exc), "error")
        return False

    # -- data ----------------------------------------------------------------

    @property
    def project_dir(self) -> Path | None:
        return self.project.directory if self.project else None

    def _new_project(self, file_name: str, content: bytes | Path) -> Project:
        project = self.store.create_project(Path(file_name).stem or "project", owner=self.owner)
        try:
            return self.store.set_data(project.id, file_name, content)
        except Exception:
            self.store.delete_project(project.id)
            raise

    def projects(self) -> list[Project]:
        """Every stored project of this session's user, the most recently changed first."""
        return self.store.projects(owner=self.owner)

    def open_project(self, project_id: int) -> bool:
        """Reopen a stored project at its current spec."""
        try:
            project = self.store.project(project_id, owner=self.owner)
            history = self.store.history(project_id, owner=self.owner)
            spec = history.current()
        except (*USER_ERRORS, StoreError) as exc:
            return self._refuse(exc)
        if spec is None:
            return self._refuse(StoreError(f"project {project.name!r} has no spec yet"))
        self.project, self.history, self.result = project, history, None
        self.spec = spec
        self.revision += 1
        self.data_revision += 1
        self.tell(f"Reopened {project.name!r}.", "success")
        return True

    def load_file(self, filename: str, content: bytes) -> bool:
        """Start a project from an uploaded file; False (and a message) if it cannot be read."""
        return self._finish_open(self._prepare_file(filename, content))

    def load_example(self, name: str) -> bool:
        return self._finish_open(self._prepare_example(name))

    def load_in_background(
        self, filename: str | None, content: bytes | None, run: Callable, example: str = ""
    ) -> None:
        """Load an upload (or the example `example`) off the page's thread.

        `run(work, done)` runs `work()` on a worker thread and then `done(outcome)`
        where widgets may change (the views pass `in_background`). Meanwhile
        `loading` says what is being read, and every other control keeps working.
        """
        what = example or filename or "the file"
        self.loading = f"Reading {what}: checking it, inferring column types and the task…"

        def work() -> LoadedData | DataError:
            if example:
                return self._prepare_example(example)
            return self._prepare_file(filename or "upload", content or b"")

        def done(outcome: Any) -> None:
            self.loading = ""
            if isinstance(outcome, Exception):
                self._refuse(outcome)
            else:
                self._finish_open(outcome)

        run(work, done)

    def _prepare_file(self, filename: str, content: bytes) -> LoadedData | DataError:
        name = safe_filename(filename)
        if not name.lower().endswith(UPLOAD_SUFFIXES):
            return DataError(
                f"{filename}: not a data file this playground reads; upload one of "
                + ", ".join(UPLOAD_SUFFIXES)
            )
        if not content:
            return DataError(f"{filename}: the file is empty")
        try:
            check_size(filename, len(content))  # before a byte of it is read or written
        except DataError as exc:
            return exc
        return self._prepare_data(name, content)

    def refuse_upload(self, filename: str, size: int) -> bool:
        """Say why a file the browser held back (over the size limit) was not loaded."""
        try:
            check_size(filename, size)
        except DataError as exc:
            return self._refuse(exc)
        return self._refuse(DataError(f"{filename}: the upload did not arrive; try again"))

    def _prepare_example(self, name: str) -> LoadedData | DataError:
        files = example_files()
        if name not in files:
            return DataError(f"no example named {name!r}; examples: {list(files)}")
        return self._prepare_data(name, files[name])

    def _prepare_data(self, name: str, content: bytes | Path) -> LoadedData | Exception:
        """Store the file, read it and write its default spec: the slow part of opening
        data, which changes nothing a view draws (it may run on a worker thread)."""
        try:
            project = self._new_project(name, content)
        except StoreError as exc:
            return exc
        del content  # the stored file is what is read from here on
        notes: list[str] = []
        try:
            spec = default_spec(
                project.data_path, None, project.directory, name=Path(name).stem, notes=notes
            )
            # Read once for the spec; cached, so the views draw from the same frame.
            rows = len(Runner(spec, project.directory).raw_data())
        except USER_ERRORS as exc:
            self.store.delete_project(project.id)
            return exc
        return LoadedData(name, project, spec, rows, notes)

    def _finish_open(self, loaded: LoadedData | Exception) -> bool:
        """Show data prepared by `_prepare_data` (quick: on the page's thread)."""
        if isinstance(loaded, Exception):
            return self._refuse(loaded)
        self.project = loaded.project
        self.history = self.store.history(loaded.project.id)
        self.result = None
        self._push(loaded.spec)
        self.data_revision += 1
        self.tell(
            f"{loaded.name}: {loaded.rows} rows, {len(loaded.spec.columns)} columns. Pick the "
            "target to predict, or leave it empty to find clusters."
            + "".join(f"\nNote: {n}." for n in loaded.notes),
            "success",
        )
        return True

    def read_options(self) -> dict[str, Any]:
        """The read options a person can choose (sep, encoding, decimal, sheet_name), as read."""
        return chosen_options(self.spec) if self.spec else {}

    def sheets(self) -> list[str]:
        """The sheets of the open Excel workbook ([] for other files)."""
        return workbook_sheets(self.spec, self.project_dir) if self.spec else []

    def set_read_options(self, **changes: Any) -> bool:
        """Read the data file again with these options: one undoable change of the spec.

        The choices made stay if the file reads into the same columns; otherwise the
        spec starts again from the defaults for the columns now read (undo goes back).
        A file the options cannot read is refused with the reader's reason.
        """
        if self.spec is None:
            return self._refuse(DataError("open a data file first"))
        current = self.read_options()
        if all(current.get(name) == value for name, value in changes.items()):
            return True  # read so already (e.g. a refused choice put back)
        notes: list[str] = []
        try:
            spec, kept = reread(self.spec, self.project_dir, changes, notes)
        except USER_ERRORS as exc:
            return self._refuse(exc)
        if spec == self.spec:
            return True
        self._push(spec)
        self.data_revision += 1
        outcome = (
            "your choices kept."
            if kept
            else "new columns, so the choices start again from the defaults; undo goes back."
        )
        notes_text = "".join(f"\nNote: {n}." for n in notes)
        self.tell(
            f"Read the file again: {len(spec.columns)} columns, {outcome}{notes_text}", "success"
        )
        return True

    def column_profile(self) -> pd.DataFrame:
        """Missing and distinct values of every column over all rows (computed once per file)."""
        runner, dataset = self.runner(), self.spec.dataset
        data = runner.raw_data().rename(columns=str)
        return file_profile(
            runner.data_path, dataset.format, dict(dataset.read_options), data
        ).columns

    def preview_note(self) -> str:
        """'on a seeded sample of 250,000 of 1,000,000 rows' when previews use a sample."""
        return self.runner().sample_note()

    def explore_note(self) -> str:
        """The sample the exploration views are drawn on, as the notebook draws them."""
        return sample_note(self.spec.explore_sample_size, len(self.raw_data()))

    def runner(self, spec: Spec | None = None) -> Runner:
        spec = spec or self.spec
        kept = self._runner
        # A spec is never changed in place (an edit makes a new one): same object, same runner.
        if kept is not None and kept.spec is spec and kept.base_dir == Path(self.project_dir):
            return kept
        runner = Runner(spec, self.project_dir)
        if kept is not None and kept.base_dir == runner.base_dir:
            # An edit's new spec shares the steps before the edited one: their keys too.
            runner.reuse_keys(kept)
        self._runner = runner
        return runner

    def raw_data(self) -> pd.DataFrame:
        return self.runner().raw_data()

    @property
    def has_data(self) -> bool:
        return self.spec is not None

    # -- the spec's history ------------------------------------------------------

    def _push(self, spec: Spec, later: bool = False) -> None:
        """Make `spec` the current version; with `later`, written on the store's next use."""
        if later:
            self.history.push_later(spec)
        else:
            self.history.push(spec)
        self.spec = spec
        self.revision += 1

    def change(self, edit, done: str = "", check_step=None, schedule_save=None) -> bool:
        """Apply `edit` (a function changing a spec dict in place) if the result validates.

        `check_step(spec)` names a step to preview before accepting: a step whose
        columns do not exist or that fails on the data is refused, not saved.
        `schedule_save(save)` runs `save` later (the UI: on the event loop's next tick):
        the new version is written then, before any other use of the store, and the
        person is told it is saved only once it is; without it the version is written
        before this returns.
        """
        if self.spec is None:
            return self._refuse(DataError("open a data file first"))
        data = spec_to_dict(self.spec)  # a new document (model_dump): the edit may change it
        explained = copy.deepcopy(data["explain"])
        try:
            edit(data)
            spec = self._parse_dropping_explanations(data, explained)
        except (*USER_ERRORS, KeyError, IndexError, ValueError) as exc:
            return self._refuse(exc)
        if spec == self.spec:
            return True
        index = check_step(spec) if check_step else None
        checked = None
        if index is not None:
            try:
                checked = self.runner(spec).preview(index)
            except USER_ERRORS as exc:
                return self._refuse(exc)
        self._push(spec, later=schedule_save is not None)
        # The edit's own check is the preview the view asks for next (`preview(index)`).
        self._handoff = None if checked is None else (self.revision, spec, index, checked)
        if schedule_save is None:
            self.tell(done or "Saved.", "success")
            return True

        def save() -> None:
            self.save_pending()
            self.tell(done or "Saved.", "success")

        schedule_save(save)
        return True

    def save_pending(self) -> None:
        """Write the spec versions an edit left for later (`change`'s schedule_save)."""
        self.store.write_pending()

    @staticmethod
    def _parse_dropping_explanations(data: dict, explained: list) -> Spec:
        """The edited spec; explanations recorded before (`explained`) that the edit
        made invalid (a clustering task, a column no longer an input) are dropped
        rather than refusing the edit."""
        try:
            return parse_spec(data)
        except SpecError:
            if not explained or data["explain"] != explained:
                raise
        return parse_spec({**data, "explain": []})

    def undo(self) -> None:
        if self.history is not None and self.history.can_undo:
            self.spec = self.history.undo()
            self.revision += 1
            self.tell("Undone.")

    def redo(self) -> None:
        if self.history is not None and self.history.can_redo:
            self.spec = self.history.redo()
            self.revision += 1
            self.tell("Redone.")

    # -- target, task and columns ----------------------------------------------

    def set_target(self, target: str | None) -> bool:
        """Predict `target` (None: find clusters), with the defaults that fit it."""
        if self.spec is None:
            return self._refuse(DataError("open a data file first"))
        if target == self.spec.target:
            return True
        try:
            spec = default_spec(
                self.runner().data_path,
                target,
                self.project_dir,
                name=self.spec.name,
                seed=self.spec.seed,
                read_options=dict(self.spec.dataset.read_options),
            )
        except USER_ERRORS as exc:
            return self._refuse(exc)
        self._push(spec)
        what = f"predicting {target!r} ({spec.task})" if target else "finding clusters"
        self.tell(f"Now {what}; steps and model were set to fit it.", "success")
        return True

    def set_task(self, task: str) -> bool:
        """Override the inferred task, e.g. treat a numeric target with few values as classes."""
        target = self.spec.target if self.spec else None
        if task == "clustering":
            return self.set_target(None)
        if target is None:
            return self._refuse(SpecError(f"pick a target column first; {task} predicts one"))
        labels = class_labels(self.raw_data()[target])

        def edit(data: dict) -> None:
            data["task"] = task
            data["classes"] = labels if task != "regression" else None
            data["split"]["stratify"] = task != "regression"
            decl = MODELS_BY_NAME[data["model"]["type"]]
            if task not in decl.tasks:
                data["model"] = _first_model_for(task)
            if task != "binary":
                data.pop("decision", None)  # only two classes have a decision threshold

        return self.change(edit, f"Task set to {task}.")

    def column_role(self, name: str) -> str:
        """The column's role as the Data tab shows it: its spec role, or the split's
        group or date column."""
        split = self.spec.split
        if split.kind == "group" and split.group_column == name:
            return "group"
        if split.kind == "time" and split.time_column == name:
            return "date"
        return self.spec.column(name).role

    def set_column(self, name: str, *, type: str | None = None, role: str | None = None) -> bool:
        """Change a column's type or role; the roles 'group' and 'date' choose the split."""
        if role == "target":
            return self.set_target(name)
        was = self.column_role(name)
        done = f"Column {name!r} updated."
        if role == "group":
            done = f"Rows sharing a value of {name!r} now stay in one split part (group split)."
        elif role == "date":
            done = f"The oldest rows by {name!r} now train, the newest test (time split)."

        def edit(data: dict) -> None:
            column = next(c for c in data["columns"] if c["name"] == name)
            split = data["split"]
            if type is not None:
                column["type"] = type
            if role in SPLIT_ROLES:
                split.update({"kind": SPLIT_ROLES[role][0], SPLIT_ROLES[role][1]: name})
                if role == "group":
                    column["role"] = "ignore"  # which group a row is in must not be learned
            elif role is not None:
                if was in SPLIT_ROLES:
                    split.update(kind="random", group_column=None, time_column=None)
                column["role"] = role

        return self.change(edit, done)

    # -- steps -------------------------------------------------------------------

    def add_step(self, step_type: str, params: dict[str, Any], position: int | None = None) -> bool:
        decl = STEPS_BY_NAME[step_type]
        added = {}

        def edit(data: dict) -> None:
            step = {"type": step_type, "params": params, "enabled": True}
            steps = data["steps"]
            at = len(steps) if position is None else position - 1
            if position is None and decl.stage == "clean":
                # Cleaning runs before every column step; put it after the last cleaning step.
                stages = [STEPS_BY_NAME[s["type"]].stage for s in steps]
                at = max((i + 1 for i, s in enumerate(stages) if s == "clean"), default=0)
            steps.insert(at, step)
            added["index"] = at + 1

        return self.change(edit, f"Added step: {decl.title}.", lambda _: added["index"])

    def update_step(self, index: int, params: dict[str, Any], schedule_save=None) -> bool:
        """Change step `index`'s parameters; its preview, computed to accept the edit,
        is what `preview(index)` then shows. `schedule_save`: as for `change`."""

        def edit(data: dict) -> None:
            data["steps"][index - 1]["params"] = params

        enabled = self.spec is not None and self.spec.steps[index - 1].enabled
        return self.change(
            edit,
            f"Step {index} updated.",
            lambda _: index if enabled else None,
            schedule_save=schedule_save,
        )

    def remove_step(self, index: int) -> bool:
        def edit(data: dict) -> None:
            del data["steps"][index - 1]

        return self.change(edit, f"Step {index} removed.")

    def move_step(self, index: int, offset: int) -> bool:
        def edit(data: dict) -> None:
            steps = data["steps"]
            to = index - 1 + offset
            if not 0 <= to < len(steps):
                raise SpecError(f"step {index} cannot move further")
            steps.insert(to, steps.pop(index - 1))

        return self.change(edit, f"Step {index} moved.")

    def set_step_enabled(self, index: int, enabled: bool) -> bool:
        def edit(data: dict) -> None:
            data["steps"][index - 1]["enabled"] = enabled

        return self.change(edit, f"Step {index} {'enabled' if enabled else 'disabled'}.")

    def columns_for_step(self, stage: str, position: int | None = None) -> dict[str, str]:
        """Column name -> type of the frame a new `stage` step at `position` would receive."""
        position = len(self.spec.steps) + 1 if position is None else position
        runner = self.runner()
        earlier = [i for i, _ in self.spec.active_steps() if i < position]
        if stage == "clean":
            earlier = [i for i, _ in self.spec.active_steps("clean") if i < position]
        last_stage = STEPS_BY_NAME[self.spec.steps[earlier[-1] - 1].type].stage if earlier else None
        types = {c.name: c.type for c in self.spec.columns}
        if stage != "clean" and last_stage in (None, "clean"):
            # Column steps receive the features only, after the split.
            return {name: types[name] for name in self.spec.features}
        if not earlier:
            return {name: types.get(name, "categorical") for name in self.raw_data().columns}
        frame = runner.data_after(earlier[-1])
        return {
            name: types[name] if name in types else infer_column_type(frame[name])
            for name in frame.columns
        }

    def preview(self, index: int) -> StepPreview | None:
        handed = self._handed_preview(index)
        if handed is not None:
            return handed
        try:
            return self.runner().preview(index)
        except USER_ERRORS as exc:
            self._refuse(exc)
            return None

    def _handed_preview(self, index: int) -> StepPreview | None:
        """The preview of step `index` that the edit making the current spec computed to
        accept itself, once: the view's preview right after the edit is that same
        computation, and needs neither its keys nor its frames looked up again. Any
        other step, spec or revision, or a second call, previews as usual."""
        handoff, self._handoff = self._handoff, None
        if handoff is None:
            return None
        revision, spec, step, preview = handoff
        if revision == self.revision and spec is self.spec and step == index:
            return preview
        return None

    # -- split, model, evaluation --------------------------------------------------

    def set_split(
        self, evaluation: dict[str, Any] | None = None, seed: int | None = None, **fields: Any
    ) -> bool:
        """Change the split, and with it (one undo step) evaluation settings and the seed."""

        def edit(data: dict) -> None:
            data["split"].update(fields)
            data["evaluation"].update(evaluation or {})
            if seed is not None:
                data["seed"] = seed

        return self.change(edit, "Split updated.")

    def set_evaluation(self, **fields: Any) -> bool:
        def edit(data: dict) -> None:
            data["evaluation"].update(fields)

        return self.change(edit, "Evaluation updated.")

    def set_seed(self, seed: int) -> bool:
        def edit(data: dict) -> None:
            data["seed"] = seed

        return self.change(edit, f"Seed set to {seed}.")

    def set_model(
        self,
        model_type: str,
        params: dict[str, Any] | None = None,
        members: list[str] | None = None,
        meta: str | None = None,
    ) -> bool:
        """Choose the model; an ensemble also names its member models (and a stacking
        its meta-learner). A member kept from before keeps its parameters."""

        def edit(data: dict) -> None:
            before = data["model"]
            kept = {m["type"]: m for m in before.get("members") or []}
            model = {"type": model_type, "params": params or {}}
            if members is not None:
                model["members"] = [kept.get(name, {"type": name}) for name in members]
            if meta is not None:
                same = (before.get("meta") or {}).get("type") == meta
                model["meta"] = before["meta"] if same else {"type": meta}
            data["model"] = model
            if data.get("tuning") and ensemble:
                # An ensemble declares no parameters to search (undo brings them back).
                del data["tuning"]
            elif data.get("tuning"):
                # The tuning section's ranges and models follow the model.
                data["tuning"] = tuning_for_model(data["tuning"], before["type"], model_type)

        ensemble = MODELS_BY_NAME[model_type].ensemble is not None
        message = f"Model: {MODELS_BY_NAME[model_type].title}."
        if ensemble and self.spec is not None and self.spec.tuning is not None:
            message += " An ensemble has no parameters to search, so the tuning settings went."
        return self.change(edit, message)

    def models_for_task(self) -> list[str]:
        return [n for n, m in MODELS_BY_NAME.items() if self.spec.task in m.tasks]

    def member_choices(self) -> list[str]:
        """The models an ensemble of this task may combine (or stack on)."""
        return [m.name for m in member_types(self.spec.task)]

    def set_decision(self, decision: dict[str, Any] | None) -> bool:
        """A binary classifier's decision threshold: a rule chosen on the validation
        split, or a manual value; None predicts from probability 0.5."""

        def edit(data: dict) -> None:
            if decision is None:
                data.pop("decision", None)
            else:
                data["decision"] = decision

        if decision is None:
            return self.change(edit, "Decision threshold: 0.5.")
        return self.change(edit, f"Decision threshold: {decision['rule']}.")

    # -- exploration views ---------------------------------------------------------

    def add_view(self, view: str, columns: list[str]) -> bool:
        def edit(data: dict) -> None:
            data["explore"].append({"view": view, "columns": columns})

        return self.change(edit, "View added; the notebook will show it too.")

    def remove_view(self, index: int) -> bool:
        def edit(data: dict) -> None:
            del data["explore"][index]

        return self.change(edit, "View removed.")

    def explore_plots(self) -> list[Plot]:
        """The exploration views the spec records, drawn by its rendered plots.py."""
        return explore_plots(self.runner())

    def result_plots(self) -> list[Plot]:
        """The plots of the last run, computed as the exported notebook computes them
        (by the run's worker, which saved their data with the run)."""
        saved = None
        if self._result_folder is not None and (self._result_folder / PLOT_DATA_FILE).is_file():
            import joblib  # ~0.15 s: not before the first page (start-up)

            # Written by our own training, like the model beside it; never an upload.
            saved = joblib.load(self._result_folder / PLOT_DATA_FILE)
        return result_plots(self.runner(self.result.spec), self.result, data=saved)

    def result_plots_state(self) -> tuple[str, str]:
        """Where the plot data of the last run stands: ("ready" | "computing" | "failed"
        | "missing", what to tell). Its worker computes it after recording the run."""
        if self._result_run_id is None:  # not a stored run: computed when drawn
            return "ready", ""
        run = self.store.run(self._result_run_id)
        return plot_data_state(run, self.jobs.job(run.id))

    def compute_result_plots(self) -> list[Plot]:
        """Compute the plot data of the last run as its worker would have, save it with
        the run, and return its result plots. May run on a worker thread."""
        if self._result_folder is not None:
            problem = save_plot_data(
                self.runner(self.result.spec), self.result, self._result_folder
            )
            if problem is not None:
                raise RunError(problem)
            if self._result_run_id is not None:  # the worker would have added them too
                mirror_to_mlflow(self.store, self._result_run_id, mirror_plot_data, "mlflow plots")
        return self.result_plots()

    # -- explanations --------------------------------------------------------------

    def explain(self, row: int = 0) -> tuple[Spec, list[Plot]]:
        """The explanations of the last run, with test row `row`'s SHAP values: the spec
        recording them and their plots. Touches no state, so it may run on a worker
        thread; `record_explanations` then puts them in the spec."""
        if not self.result_is_current:
            raise RunError("train the current spec first; the explanations explain its model")
        require_explanation(self.spec)
        return explain_default(self.runner(self.result.spec), self.result, row)

    def record_explanations(self, spec: Spec) -> bool:
        """Record the explanations `spec` holds in the current spec, for the notebook.
        The run stays current: explanations change nothing it trained."""
        current, before = self.result_is_current, self.result_revision

        def edit(data: dict) -> None:
            data["explain"] = [view.model_dump(mode="json") for view in spec.explain]

        if current:
            # The change is the next revision: the run is current for it from the start,
            # so no view shows the run as stale in between.
            self.result_revision = self.revision + 1
        revision = self.revision
        if not self.change(edit, "Explanations recorded; the notebook will show them too."):
            self.result_revision = before
            return False
        if self.revision == revision:  # nothing changed
            self.result_revision = before
        elif current:
            # The export renders the run's spec: it must name the explanations too.
            self.result.spec = self.spec
        return True

    # -- code ------------------------------------------------------------------

    def code(self, which: str) -> str:
        """The exported code for what is on screen: preprocessing.py or train.py."""
        if self.spec is None:
            return ""
        # Several panels show the same file; render (and format) it once per change.
        key = (self.revision, which)
        if key not in self._code:
            if which == "preprocessing.py":
                code = render.render_preprocessing(self.spec)
            elif which == "plots.py":
                code = render_plots(self.spec)
            else:
                code = render.render_train(self.spec, Path(self.spec.dataset.path).name)
            self._code = {k: v for k, v in self._code.items() if k[0] == self.revision}
            self._code[key] = code
        return self._code[key]

    # -- tuning ---------------------------------------------------------------

    def set_tuning(self, **fields: Any) -> bool:
        """Change fields of the tuning section (created with its defaults if missing).

        `models` names the other models the search may choose (tuning.models); the
        space entries of a model taken out of the search go with it."""

        def edit(data: dict) -> None:
            tuning = {**(data.get("tuning") or {}), **fields}
            if "models" in fields:
                own = data["model"]["type"]
                space = tuning.get("space") or {}
                tuning["space"] = searched_space(space, own, list(fields["models"]))
            data["tuning"] = tuning

        return self.change(edit, "Tuning settings saved.")

    def set_search(self, name: str, override: dict[str, Any] | None) -> bool:
        """Where tuning looks for one parameter; None goes back to its declared search."""

        def edit(data: dict) -> None:
            tuning = data.get("tuning") or {}
            space = tuning.setdefault("space", {})
            if override is None:
                space.pop(name, None)
            else:
                space[name] = override
            data["tuning"] = tuning

        return self.change(edit, f"Search of {name} saved.")

    def search_space(
        self, model: str | None = None, proposed: dict[str, dict] | None = None
    ) -> list[Dimension]:
        """The dimensions tuning searches for the current model, or for `model`, one
        of the other models the search may choose (tuning.models); with `proposed`,
        tuning.space entries not yet saved (the spec's own entries come first)."""
        tuning = self.spec.tuning
        own = self.spec.model.type
        model = model or own
        given = {n: o.given() for n, o in tuning.space.items()} if tuning else {}
        given = {**(proposed or {}), **given}
        return resolve_space(MODELS_BY_NAME[model], candidate_overrides(given, model, own))

    def tuning_model_choices(self) -> list[str]:
        """The models a search may choose besides model.type: the task's models but
        ensembles; none when the model is an ensemble (a search cannot choose among
        an ensemble's kind) or the task is not predicted."""
        spec = self.spec
        if spec is None or spec.target is None or MODELS_BY_NAME[spec.model.type].ensemble:
            return []
        return [m.name for m in member_types(spec.task) if m.name != spec.model.type]

    def suggested_tuning_models(self) -> list[str]:
        """The models worth searching besides model.type, for this data's size
        (runtime.defaults)."""
        if not self.tuning_model_choices():
            return []
        return suggested_models(self.spec, len(self.raw_data()))

    def suggested_tuning_space(self) -> dict[str, dict]:
        """The tuning.space entries proposed with the suggested models (runtime.defaults):
        XGBoost's objective where the target has no value below 0."""
        spec = self.spec
        if spec is None or spec.target is None:
            return {}
        return suggested_space(spec, self.raw_data()[spec.target])

    def start_tuning(
        self, trials: int | None = None, workers: int = 1, average: bool = False
    ) -> TuningJob:
        """Search in the background, in worker processes; the job reports progress.
        `average`: then try the average of the best models (runtime.tuning)."""
        if self.spec.tuning is None and not self.set_tuning():
            raise RunError(self.message)
        from runtime.tuning import Tuner, TuningJob, storage_url

        tuner = Tuner(self.spec, self.project_dir, storage_url(home=self.home))
        self.tell(f"Tuning started (study {tuner.study_name!r}).")
        return TuningJob(tuner, trials, workers, average)

    def use_tuned(self, outcome: TuningOutcome, searched: Spec | None = None) -> bool:
        """Write the best model and parameters into the spec, as one change (undo
        restores the old).

        `searched` is the spec the search started from: the model must still be its
        model. A search of several models (tuning.models) may have found another
        model best: it replaces the model, as in the tuned spec `playground tune`
        writes (runtime.tuning.with_model): the model it replaces becomes one of the
        models a search may choose, so tuning again searches the same models."""
        own = (searched or outcome.spec).model.type
        if self.spec.model.type != own:
            return self._refuse(RunError("the model changed since this search; tune it again"))
        from runtime.tuning import with_model  # optuna: imported by the search already

        def edit(data: dict) -> None:
            tuned = with_model(self.spec, outcome.model, outcome.params)
            data["model"], data["tuning"] = tuned["model"], tuned["tuning"]
            data["tuning"]["best"] = outcome.spec.tuning.best.model_dump()

        if outcome.model == own:
            return self.change(edit, "Best parameters written into the model; train to see them.")
        title = MODELS_BY_NAME[outcome.model].title
        return self.change(
            edit, f"{title} with its best parameters is now the model; train to see it."
        )

    def use_average(self, average: AverageOutcome, searched: Spec) -> bool:
        """Make the average of the search's best models the model, as one change (undo
        restores the old). An ensemble is not tuned: the tuning section goes with it,
        as when an ensemble is chosen on the Model tab."""
        if self.spec.model.type != searched.model.type:
            return self._refuse(RunError("the model changed since this search; tune it again"))

        def edit(data: dict) -> None:
            data["model"], data["tuning"] = spec_to_dict(average.spec)["model"], None

        titles = " and ".join(MODELS_BY_NAME[name].title for name, _ in average.members)
        return self.change(
            edit,
            f"The average of {titles}, each with its best parameters, is now the model "
            "(an ensemble, so the tuning settings were set aside; undo brings them back); "
            "train to see it.",
        )

    # -- training and export -----------------------------------------------------

    def submit_training(self) -> Job:
        """Start training the current spec in a worker process; the job reports progress.

        One training per session at a time: while one is queued or running, another
        request (a double click, a second tab's click) gets that same job back.
        """
        with self._submit_lock:
            previous = self._training
            if previous is not None and not previous.recorded:
                self.tell("A training is already under way; cancel it to start another.")
                return previous
            if previous is not None and not previous.done:
                # Its run is recorded and about to be replaced on screen: stop computing
                # its plots, so they do not hold up this one (they are computed when
                # that run is opened).
                previous.cancel()
            job = self.jobs.submit(self.project.id, spec=self.spec)
            self._training = job
        self._job_revisions[job.run_id] = self.revision
        ahead = self.jobs.runs_ahead(job)
        if ahead is None:
            self.tell("Training started.")
        else:
            self.tell(f"Training queued: {ahead + 1} run(s) wait for a free training process.")
        return job

    def queue_message(self, job: Job) -> str | None:
        """Where a queued job stands, for the page; None once it trains."""
        ahead = self.jobs.runs_ahead(job)
        if ahead is None:
            return None
        return (
            f"Queued: {ahead} run(s) ahead; {self.jobs.running_count} of at most "
            f"{self.jobs.max_workers} training now."
        )

    def finish_training(self, job: Job) -> RunResult | None:
        """Take a recorded job's run as the current result, or say why there is none.
        Its plot data may still be computed (result_plots_state)."""
        run = self.store.run(job.run_id)
        revision = self._job_revisions.pop(job.run_id, None)
        self.runs_revision += 1
        if run.status == "cancelled":
            self.tell("Training cancelled.")
            return None
        if run.status != "finished":
            self._refuse(RunError(run.error or f"the run ended {run.status}"))
            return None
        result = run.result()
        self.result_revision = revision if revision is not None else -1
        self._result_run_id, self._result_folder = run.id, run.artifacts
        self.result = result
        self.tell("Training finished; the export will reproduce these numbers.", "success")
        return result

    def train(self, timeout: float | None = 600) -> RunResult | None:
        """Train the current spec and wait until its run is recorded (the views poll the
        job instead); its plot data follows (`jobs.job(run_id).wait()`)."""
        job = self.submit_training()
        job.wait_recorded(timeout)
        return self.finish_training(job)

    @property
    def result_is_current(self) -> bool:
        return self.result is not None and self.result_revision == self.revision

    def bundle_files(self) -> dict[str, str | bytes]:
        if not self.result_is_current:
            raise RunError("train the current spec first; the export holds its metrics")
        return render_bundle(self.runner(self.result.spec), self.result)

    def export_zip(self) -> bytes:
        """The exported project as zip bytes."""
        files = self.bundle_files()
        out = self.project_dir / "export" / f"{safe_filename(self.spec.name)}.zip"
        write_bundle(files, out)
        return out.read_bytes()

    # -- runs: leaderboard, diffs, reopening and exporting any run --------------------

    def runs(self) -> list[Run]:
        """Every run of the open project, newest first, as the store holds them."""
        return self.store.runs(self.project.id, owner=self.owner) if self.project else []

    def project_run(self, run_id: int) -> Run:
        run = self.store.run(run_id, owner=self.owner)
        if self.project is None or run.project_id != self.project.id:
            raise StoreError(f"run {run_id} belongs to another project; open that project first")
        return run

    def leaderboard(
        self, metric: str, split: str = "test", model: str | None = None
    ) -> list[Entry]:
        return leaderboard(self.runs(), metric, split, model)

    def run_diff(self, old_id: int, new_id: int, as_yaml: bool = False) -> list[str] | str:
        """What changed from run `old_id`'s spec to run `new_id`'s: lines, or the YAML diff."""
        old, new = self.project_run(old_id).spec, self.project_run(new_id).spec
        if as_yaml:
            return yaml_diff(old, new, f"run {old_id}", f"run {new_id}")
        return spec_diff(old, new)

    def open_run(self, run_id: int) -> bool:
        """Make the run's spec the current one (one undoable change), with its result."""
        try:
            run = self.project_run(run_id)
            spec = run.spec
            result = run.result() if run.status == "finished" else None
        except (*USER_ERRORS, StoreError, OSError) as exc:
            return self._refuse(exc)
        self._push(spec)
        if result is not None:
            self._result_run_id, self._result_folder = run.id, run.artifacts
            self.result, self.result_revision = result, self.revision
        self.tell(f"The spec of run {run_id} is the current spec now; undo goes back.", "success")
        return True

    def export_run_zip(self, run_id: int) -> bytes:
        """The exported project of a finished run (its spec, its metrics) as zip bytes."""
        run = self.project_run(run_id)
        if run.status != "finished":
            raise RunError(f"run {run_id} is {run.status}; only a finished run can be exported")
        out = self.project_dir / "export" / f"{safe_filename(run.spec.name)}-run-{run_id}.zip"
        export(Runner(run.spec, self.project_dir), out, run.result())
        return out.read_bytes()

    def import_spec(self, filename: str, content: bytes) -> bool:
        """Restore a session from an exported zip, or from a spec.yaml for the open data."""
        try:
            if filename.lower().endswith(".zip"):
                return self._import_zip(content)
            spec = loads_spec(content.decode("utf-8"), filename)
        except UnicodeDecodeError:
            return self._refuse(
                SpecError(f"{filename}: not a UTF-8 text file; a spec is YAML text")
            )
        except (zipfile.BadZipFile, StoreError) as exc:
            return self._refuse(SpecError(f"{filename}: not a spec file or export ({exc})"))
        except USER_ERRORS as exc:
            return self._refuse(exc)
        if self.project_dir is None:
            return self._refuse(
                DataError(f"{filename} names the data {spec.dataset.path!r}: open that file first")
            )
        spec.dataset.path = self.spec.dataset.path
        try:
            self.runner(spec).check()
        except USER_ERRORS as exc:
            return self._refuse(exc)
        self._push(spec)
        self.tell(f"Restored the spec from {filename}.", "success")
        return True

    def _import_zip(self, content: bytes) -> bool:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = archive.namelist()
            spec_name = next((n for n in names if n.endswith("spec.yaml")), None)
            if spec_name is None:
                raise SpecError("the zip holds no spec.yaml; import an AI-Playground export")
            spec = loads_spec(archive.read(spec_name).decode("utf-8"), spec_name)
            root = spec_name[: -len("spec.yaml")]
            data_name = root + spec.dataset.path
            if data_name not in names:
                raise DataError(f"the zip holds no {spec.dataset.path}; it is not a whole export")
            project = self._new_project(
                safe_filename(Path(spec.dataset.path).name), archive.read(data_name)
            )
        spec.dataset.path = project.spec_data_path
        self.project = project
        self.history = self.store.history(project.id)
        self.result = None
        self._push(spec)
        self.data_revision += 1
        self.tell(f"Restored {spec.name!r} from the export.", "success")
        return True


def _first_model_for(task: str) -> dict:
    name = next(n for n, m in MODELS_BY_NAME.items() if task in m.tasks)
    return {"type": name, "params": {}}
