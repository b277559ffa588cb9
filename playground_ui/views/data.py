"""Data: upload or open an example, see the rows, set column types, roles and the task."""

from __future__ import annotations

from functools import partial

import pandas as pd
import panel as pn

from runtime.dataset import OPTION_LABELS, max_upload_bytes
from runtime.spec import ColumnSpec, Spec

from ..state import UPLOAD_SUFFIXES, Workspace, example_files
from .common import StageView, code_panel, in_background, split_layout, table
from .upload import GuardedFileInput

NO_TARGET = "(none: find clusters)"
TYPES = list(ColumnSpec.model_fields["type"].annotation.__args__)
# group and date choose the split (a group split, a time split) by that column.
ROLES = ["feature", "ignore", "target", "group", "date"]
TASKS = list(Spec.model_fields["task"].annotation.__args__)
# The read options offered (labels: values); a detected value not listed is added.
READ_CHOICES = {
    "sep": {"comma ,": ",", "semicolon ;": ";", "tab": "\t", "pipe |": "|"},
    "encoding": {e: e for e in ("utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16")},
    "decimal": {"point .": ".", "comma ,": ","},
}


class DataView(StageView):
    def __init__(self, workspace: Workspace, **params):
        super().__init__(workspace, **params)
        # Checks the size in the browser: a file over the limit is refused, never sent.
        self.upload = GuardedFileInput(
            on_file=self._uploaded,
            on_too_large=self.ws.refuse_upload,
            accept=",".join(UPLOAD_SUFFIXES),
            max_bytes=max_upload_bytes(),
            height=40,
        )
        examples = list(example_files())
        self.example = pn.widgets.Select(
            label="Or open an example",
            options=examples,
            value="penguins.csv" if "penguins.csv" in examples else examples[0],
        )
        self.open_example = pn.widgets.Button(label="Open example", color="primary")
        self.open_example.on_click(self._open_example)
        self.reopen = pn.widgets.Select(label="Or reopen a project", options={})
        self.open_project = pn.widgets.Button(label="Reopen")
        self.open_project.on_click(self._reopen)
        self.target = pn.widgets.Select(label="Target (what to predict)", options=[NO_TARGET])
        self.target.param.watch(self._target_chosen, "value")
        self.task = pn.widgets.Select(label="Task", options=TASKS)
        self.task.param.watch(self._task_chosen, "value")
        self._syncing = False

    # -- events ----------------------------------------------------------

    def _projects(self, revision: int):
        projects = self.ws.projects()
        self.reopen.options = {
            f"{p.name} · {p.updated:%Y-%m-%d %H:%M} (#{p.id})": p.id for p in projects
        }
        return pn.Column(self.reopen, self.open_project, visible=bool(projects))

    def _reopen(self, _=None) -> None:
        if self.reopen.value is not None:
            self.ws.open_project(self.reopen.value)

    def _uploaded(self, filename: str, content: bytes) -> None:
        # Read on a worker thread: a large file takes seconds, and the page stays live.
        self.ws.load_in_background(filename or "upload", content, in_background)

    def _read_option_chosen(self, name: str, event) -> None:
        if not self.ws.set_read_options(**{name: event.new}):
            event.obj.value = event.old  # refused: show what the file is read with

    def _open_example(self, _=None) -> None:
        self.ws.load_in_background(None, None, in_background, example=self.example.value)

    def _loading(self, loading: str):
        return pn.pane.Alert(loading, alert_type="info", visible=bool(loading))

    def _target_chosen(self, event) -> None:
        if not self._syncing and self.ws.has_data:
            self.ws.set_target(None if event.new == NO_TARGET else event.new)

    def _task_chosen(self, event) -> None:
        if not self._syncing and self.ws.has_data and event.new != self.ws.spec.task:
            self.ws.set_task(event.new)
            self._sync_choices()

    def _column_edited(self, event) -> None:
        name = event.row if isinstance(event.row, str) else None
        frame = self._columns_frame()
        name = frame.iloc[event.row]["column"] if name is None else name
        self.ws.set_column(name, **{event.column: event.value})

    # -- drawing ------------------------------------------------------------

    def _sync_choices(self) -> None:
        spec = self.ws.spec
        self._syncing = True
        try:
            self.target.options = [NO_TARGET] + [c.name for c in spec.columns]
            self.target.value = spec.target or NO_TARGET
            self.task.value = spec.task
        finally:
            self._syncing = False

    def _read_options(self, revision: int):
        """How the file is read (as detected, or as chosen); a change reads it again."""
        if not self.ws.has_data:
            return pn.Spacer(height=0)
        current = self.ws.read_options()
        choices = {name: READ_CHOICES[name] for name in READ_CHOICES if name in current}
        sheets = self.ws.sheets()
        if len(sheets) > 1:  # one sheet leaves nothing to choose
            choices["sheet_name"] = {sheet: sheet for sheet in sheets}
        if not choices:
            return pn.Spacer(height=0)
        widgets = []
        for name, options in choices.items():
            label = OPTION_LABELS[name]
            value = current[name]
            if value not in options.values():
                options = {**options, str(value): value}
            widget = pn.widgets.Select(label=label, options=options, value=value, width=160)
            widget.param.watch(partial(self._read_option_chosen, name), "value")
            widgets.append(widget)
        title = pn.pane.Markdown("**Read the file with**", margin=(30, 10, 0, 10))
        return pn.Row(title, *widgets)

    def _columns_frame(self) -> pd.DataFrame:
        spec = self.ws.spec
        # Counted over every row once per file, not again on every edit.
        profile = self.ws.column_profile().set_index("column")
        names = [c.name for c in spec.columns]
        return pd.DataFrame(
            {
                "column": names,
                "type": [c.type for c in spec.columns],
                "role": [self.ws.column_role(name) for name in names],
                "missing": profile.loc[names, "missing"].to_list(),
                "distinct": profile.loc[names, "distinct"].to_list(),
            }
        )

    def _columns(self, revision: int):
        if not self.ws.has_data:
            return pn.pane.Markdown(
                "### Start with data\nUpload a CSV, TSV, Excel, JSON or Parquet file, "
                "or open one of the examples."
            )
        self._sync_choices()
        spec = self.ws.spec
        editor = {"type": "list", "values": TYPES}
        columns = pn.widgets.Tabulator(
            self._columns_frame(),
            show_index=False,
            editors={
                "column": None,
                "type": editor,
                "role": {"type": "list", "values": ROLES},
                "missing": None,
                "distinct": None,
            },
            sizing_mode="stretch_width",
            height=min(420, 40 + 32 * len(spec.columns)),
        )
        columns.on_edit(self._column_edited)
        what = f"predict **{spec.target}** ({spec.task})" if spec.target else "find **clusters**"
        return pn.Column(
            pn.pane.Markdown(
                f"### {spec.dataset.path}\nThe model will {what} from "
                f"{len(spec.features)} feature columns. Edit a column's type or role in "
                "the table: ignore drops it from the model, group keeps each of its values in one "
                "split part, date splits by time (oldest rows train)."
            ),
            pn.Row(self.target, self.task),
            columns,
            sizing_mode="stretch_width",
        )

    def _rows(self, data_revision: int):
        if not self.ws.has_data:
            return pn.Spacer()
        data = self.ws.raw_data()
        shown = f"; the first {5000:,} below" if len(data) > 5000 else ""
        return pn.Column(
            pn.pane.Markdown(f"#### The data: {len(data):,} rows{shown}"),
            table(data.head(5000), page_size=15, header_filters=False),
            sizing_mode="stretch_width",
        )

    def __panel__(self):
        load = pn.Row(
            pn.Column(
                pn.pane.Markdown(f"**Upload a data file** (at most {_limit_text()})"),
                self.upload,
            ),
            pn.Column(self.example, self.open_example),
            pn.bind(self._projects, self.shown.param.data_revision),
        )
        main = pn.Column(
            load,
            pn.bind(self._loading, self.ws.param.loading),
            pn.bind(self._read_options, self.shown.param.revision),
            pn.bind(self._columns, self.shown.param.revision),
            pn.bind(self._rows, self.shown.param.data_revision),
            sizing_mode="stretch_width",
        )
        return split_layout(main, code_panel(self, "preprocessing.py"))


def _limit_text() -> str:
    megabytes = max_upload_bytes() / 2**20
    return f"{megabytes:,.0f} MB" if megabytes >= 10 else f"{megabytes:.3g} MB"
