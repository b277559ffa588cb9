"""Train and results: training runs off the UI thread; metrics per split when it ends."""

from __future__ import annotations

import threading
import time

import pandas as pd
import panel as pn
from panel.viewable import Viewer

from ..state import Workspace
from .common import code_panel, split_layout, table


def metrics_frame(report: dict) -> pd.DataFrame:
    """One row per metric, one column per split, as train.py prints them."""
    metrics = report["metrics"]
    names = sorted({n for split in metrics.values() for n in split})
    rows = [{"metric": n, **{s: metrics[s].get(n) for s in metrics}} for n in names]
    return pd.DataFrame(rows)


class TrainView(Viewer):
    def __init__(self, workspace: Workspace, **params):
        super().__init__(**params)
        self.ws = workspace
        self.train_button = pn.widgets.Button(label="Train", color="primary", width=140)
        self.train_button.on_click(self._start)
        self.progress = pn.indicators.Progress(
            active=False, value=0, max=100, sizing_mode="stretch_width", visible=False
        )
        self.status = pn.pane.Markdown("", sizing_mode="stretch_width")
        self._thread: threading.Thread | None = None
        self._started = 0.0
        self._poll = None
        self._outcome = None

    def _start(self, _=None) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        if not self.ws.has_data:
            self.ws.tell("Open data on the Data tab first.", "error")
            return
        warnings = self.ws.runner().warnings()
        self.train_button.disabled = True
        self.progress.visible = True
        self.progress.active = True
        self.progress.value = -1
        self._started = time.monotonic()
        self.status.object = "Training… " + " ".join(warnings)
        job = self.ws.start_training()
        self._outcome = None

        def work():
            self._outcome = job()

        self._thread = threading.Thread(target=work, daemon=True)
        self._thread.start()
        self._poll = pn.state.add_periodic_callback(self._check, period=300)

    def _check(self) -> None:
        elapsed = time.monotonic() - self._started
        if self._thread is not None and self._thread.is_alive():
            self.status.object = f"Training… {elapsed:.1f} s elapsed"
            return
        if self._poll is not None:
            self._poll.stop()
            self._poll = None
        self.train_button.disabled = False
        self.progress.active = False
        self.progress.visible = False
        self.ws.finish_training(self._outcome)
        if self.ws.result_is_current:
            self.status.object = f"Trained in {self.ws.result.seconds:.1f} s."
            self.ws.tell("Training finished; the export will reproduce these numbers.", "success")
        else:
            self.status.object = "Training failed: see the message above."

    def _results(self, revision: int, result):
        if result is None:
            return pn.pane.Markdown("No run yet: press **Train**.")
        report = result.report
        parts = []
        if not self.ws.result_is_current:
            parts.append(
                pn.pane.Alert(
                    "The spec changed since this run; train again to see its numbers.",
                    alert_type="warning",
                )
            )
        rows = ", ".join(f"{k}: {v}" for k, v in report["rows"].items())
        spec = result.spec
        parts += [
            pn.pane.Markdown(
                f"### Results: {spec.model.type} on {spec.name}\nRows per split: {rows}"
            ),
            table(metrics_frame(report).round(6), page_size=30, name="metrics"),
        ]
        cv = report.get("cross_validation")
        if cv:
            frame = pd.DataFrame({"mean": cv["mean"], "std": cv["std"]}).reset_index()
            parts += [
                pn.pane.Markdown(f"#### {cv['folds']}-fold cross-validation on the training split"),
                table(frame.rename(columns={"index": "metric"}).round(6), page_size=30),
            ]
        for warning in result.warnings:
            parts.append(pn.pane.Alert(warning, alert_type="warning"))
        return pn.Column(*parts, sizing_mode="stretch_width")

    def __panel__(self):
        main = pn.Column(
            pn.Row(self.train_button, self.status, sizing_mode="stretch_width"),
            self.progress,
            pn.bind(self._results, self.ws.param.revision, self.ws.param.result),
            sizing_mode="stretch_width",
        )
        return split_layout(main, code_panel(self.ws, "train.py"))
