"""Runs: the project's leaderboard, what changed between two runs, reopen or export any run.

Everything shown is read from the project store, so the board is the same
after a reload or a restart of the server.
"""

from __future__ import annotations

import io

import pandas as pd
import panel as pn

from runtime.leaderboard import SPLIT_TITLES, available_metrics, default_metric
from runtime.metrics import METRICS_BY_NAME, higher_is_better
from runtime.store import StoreError

from ..state import USER_ERRORS, Workspace
from .common import StageView, table

ALL_MODELS = "(every model)"
DIFF_VIEWS = ["Changes", "YAML diff"]


def run_label(run) -> str:
    return f"run {run.id} · {run.model} · {run.status}"


class RunsView(StageView):
    def __init__(self, workspace: Workspace, **params):
        super().__init__(workspace, **params)
        self.metric = pn.widgets.Select(label="Rank by", options=[], width=220)
        self.split = pn.widgets.Select(
            label="On", options={title: s for s, title in SPLIT_TITLES.items()}, width=200
        )
        self.model = pn.widgets.Select(label="Model", options=[ALL_MODELS], width=240)
        self.direction = pn.pane.Markdown("", margin=(28, 10, 0, 10))
        self.refresh_button = pn.widgets.Button(label="Refresh", width=100, margin=(28, 10, 0, 10))
        self.board = table(pd.DataFrame(), page_size=15)
        self.run_a = pn.widgets.Select(label="Run A", options={}, width=320)
        self.run_b = pn.widgets.Select(label="Run B", options={}, width=320)
        self.diff_view = pn.widgets.RadioButtonGroup(options=DIFF_VIEWS, value=DIFF_VIEWS[0])
        self.diff = pn.pane.Markdown("", sizing_mode="stretch_width")
        self.open_button = pn.widgets.Button(
            label="Open run A's spec", description="Make run A's spec the current one (undoable)"
        )
        self.open_button.on_click(lambda _: self.open_run_a())
        self.download = pn.widgets.FileDownload(
            callback=self._export, filename="run.zip", label="Export run A (.zip)"
        )
        self.refresh_button.on_click(lambda _: self.reload())
        for widget in (self.metric, self.split, self.model):
            widget.param.watch(lambda _: self.draw_board(), "value")
        for widget in (self.run_a, self.run_b, self.diff_view):
            widget.param.watch(lambda _: self.draw_diff(), "value")
        self.run_a.param.watch(lambda _: self._run_a_changed(), "value")
        # A run ended, another project opened: the runs may have changed.
        self.shown.param.watch(lambda _: self.reload(), ["runs_revision", "data_revision"])
        self.reload()

    # -- reading the store ---------------------------------------------------------

    def reload(self) -> None:
        runs = self.ws.runs()
        metrics = available_metrics(runs)
        labels = {f"{METRICS_BY_NAME[m].title} ({m})": m for m in metrics}
        metric = self.metric.value if self.metric.value in metrics else default_metric(runs)
        models = [ALL_MODELS] + sorted({run.model for run in runs})
        choices = {run_label(run): run.id for run in runs}
        with pn.io.hold():
            self.metric.param.update(options=labels, value=metric)
            self.model.param.update(
                options=models, value=self.model.value if self.model.value in models else ALL_MODELS
            )
            # Newest against the one before it, unless a pair was chosen.
            ids = list(choices.values())
            a = self.run_a.value if self.run_a.value in ids else (ids[1:2] or ids[:1] or [None])[0]
            b = self.run_b.value if self.run_b.value in ids else (ids[:1] or [None])[0]
            self.run_a.param.update(options=choices, value=a)
            self.run_b.param.update(options=choices, value=b)
        self.draw_board()
        self.draw_diff()
        self._run_a_changed()

    def board_frame(self) -> pd.DataFrame:
        """The leaderboard as the table shows it."""
        metric = self.metric.value
        if metric is None:
            return pd.DataFrame()
        model = None if self.model.value == ALL_MODELS else self.model.value
        entries = self.ws.leaderboard(metric, self.split.value, model)
        rows = [
            {
                "rank": entry.rank,
                "run": entry.run.id,
                "model": entry.run.model,
                "status": entry.run.status,
                metric: entry.value,
                "seconds": None if entry.run.seconds is None else round(entry.run.seconds, 1),
                "started": (
                    entry.run.started.astimezone().strftime("%Y-%m-%d %H:%M")
                    if entry.run.started
                    else ""
                ),
                "note": entry.run.error or "; ".join(entry.run.warnings),
            }
            for entry in entries
        ]
        return pd.DataFrame(rows).astype({"rank": "Int64"}) if rows else pd.DataFrame()

    def draw_board(self) -> None:
        try:
            frame = self.board_frame()
        except (*USER_ERRORS, StoreError) as exc:
            self.ws.tell(str(exc), "error")
            return
        self.board.value = frame
        metric = self.metric.value
        if metric:
            better = "higher" if higher_is_better(metric) else "lower"
            self.direction.object = f"{better.capitalize()} is better; best first."
        else:
            self.direction.object = "No runs yet: train on the **Train** tab."

    def draw_diff(self) -> None:
        a, b = self.run_a.value, self.run_b.value
        if a is None or b is None:
            self.diff.object = "Train two runs to compare their specs."
            return
        try:
            if self.diff_view.value == "YAML diff":
                text = self.ws.run_diff(a, b, as_yaml=True)
                self.diff.object = f"```diff\n{text}```" if text else "The two specs are the same."
                return
            lines = self.ws.run_diff(a, b)
        except (*USER_ERRORS, StoreError) as exc:
            self.diff.object = f"These runs cannot be compared: {exc}"
            return
        if a == b:
            self.diff.object = "Choose two different runs."
        elif not lines:
            self.diff.object = f"Runs {a} and {b} trained the same spec."
        else:
            self.diff.object = "\n".join(f"- `{line}`" for line in lines)

    # -- acting on run A -------------------------------------------------------------

    def _run_a_changed(self) -> None:
        a = self.run_a.value
        self.open_button.disabled = a is None
        self.download.disabled = a is None
        if a is not None:
            self.download.filename = f"{self.ws.spec.name}-run-{a}.zip"

    def open_run_a(self) -> bool:
        return self.run_a.value is not None and self.ws.open_run(self.run_a.value)

    def _export(self) -> io.BytesIO | None:
        try:
            return io.BytesIO(self.ws.export_run_zip(self.run_a.value))
        except (*USER_ERRORS, StoreError, OSError) as exc:
            self.ws.tell(str(exc), "error")
            return None

    def __panel__(self):
        return pn.Column(
            pn.pane.Markdown("### Leaderboard\nEvery run of this project, from the project store."),
            pn.Row(self.metric, self.split, self.model, self.direction, self.refresh_button),
            self.board,
            pn.pane.Markdown("### Compare two runs\nWhat changed from run A's spec to run B's."),
            pn.Row(self.run_a, self.run_b, self.diff_view),
            self.diff,
            pn.Row(self.open_button, self.download),
            sizing_mode="stretch_width",
        )
