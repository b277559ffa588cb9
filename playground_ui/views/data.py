"""Data: upload or open an example, see the rows, set column types, roles and the task."""

from __future__ import annotations

import pandas as pd
import panel as pn
from panel.viewable import Viewer

from runtime.spec import ColumnSpec, Spec

from ..state import UPLOAD_SUFFIXES, Workspace, example_files
from .common import code_panel, in_background, split_layout, table

NO_TARGET = "(none: find clusters)"
TYPES = list(ColumnSpec.model_fields["type"].annotation.__args__)
# group and date choose the split (a group split, a time split) by that column.
ROLES = ["feature", "ignore", "target", "group", "date"]
TASKS = list(Spec.model_fields["task"].annotation.__args__)


class DataView(Viewer):
    def __init__(self, workspace: Workspace, **params):
        super().__init__(**params)
        self.ws = workspace
        self.upload = pn.widgets.FileInput(accept=",".join(UPLOAD_SUFFIXES), multiple=False)
        self.upload.param.watch(self._uploaded, "value")
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

    def _uploaded(self, event) -> None:
        # Read on a worker thread: a large file takes seconds, and the page stays live.
        if event.new:
            self.ws.load_in_background(self.upload.filename or "upload", event.new, in_background)

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
            pn.Column(pn.pane.Markdown("**Upload a data file**"), self.upload),
            pn.Column(self.example, self.open_example),
            pn.bind(self._projects, self.ws.param.data_revision),
        )
        main = pn.Column(
            load,
            pn.bind(self._loading, self.ws.param.loading),
            pn.bind(self._columns, self.ws.param.revision),
            pn.bind(self._rows, self.ws.param.data_revision),
            sizing_mode="stretch_width",
        )
        return split_layout(main, code_panel(self.ws, "preprocessing.py"))
