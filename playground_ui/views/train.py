"""Train and results: training runs off the UI thread; metrics per split as soon as the
run is recorded, its plots when its worker has computed their data, then the
explanations of the model (views/explain.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import panel as pn

from runtime.jobs import CurveEvent, StageEvent
from runtime.models import MODELS_BY_NAME

from ..state import USER_ERRORS, Workspace
from .common import StageView, code_panel, in_background, split_layout, table
from .explain import ExplainSection

if TYPE_CHECKING:
    from bokeh.models import ColumnDataSource


def metrics_frame(report: dict) -> pd.DataFrame:
    """One row per metric, one column per split, as train.py prints them."""
    metrics = report["metrics"]
    names = sorted({n for split in metrics.values() for n in split})
    rows = [{"metric": n, **{s: metrics[s].get(n) for s in metrics}} for n in names]
    return pd.DataFrame(rows)


class TrainView(StageView):
    def __init__(self, workspace: Workspace, **params):
        super().__init__(workspace, **params)
        self.train_button = pn.widgets.Button(label="Train", color="primary", width=140)
        self.train_button.on_click(self._start)
        self.cancel_button = pn.widgets.Button(label="Cancel", width=100, visible=False)
        self.cancel_button.on_click(self._cancel)
        self.progress = pn.indicators.Progress(
            value=0, max=100, sizing_mode="stretch_width", visible=False
        )
        self.status = pn.pane.Markdown("", sizing_mode="stretch_width")
        self._job = None
        self._poll = None
        # The results are updated in place when a run is shown or the spec changes: a new
        # pane and tables each time cost ~0.17 s of the server's CPU after every run.
        self.stale = pn.pane.Alert(
            "The spec changed since this run; train again to see its numbers.",
            alert_type="warning",
        )
        self.stale_area = pn.Column(sizing_mode="stretch_width")  # holds it while stale
        self.results_title = pn.pane.Markdown("No run yet: press **Train**.")
        self.metrics_table = table(metrics_frame({"metrics": {}}), page_size=30, name="metrics")
        self.metrics_table.visible = False
        self.results_notes = pn.Column(sizing_mode="stretch_width")
        self.plots_title = pn.pane.Markdown("")
        self.plots_area = pn.Column(sizing_mode="stretch_width")
        self._plotted = None  # the result whose plots are drawn (or being drawn)
        self._figures = None
        self.curve_area = pn.Column(sizing_mode="stretch_width")
        self._curves: dict[str, ColumnDataSource] = {}
        self._curve_figure = None
        self.shown.param.watch(self._show_result, ["revision", "result"])
        self._show_result()

    def _start(self, _=None) -> None:
        if self._job is not None and not self._job.recorded:
            return
        if not self.ws.has_data:
            self.ws.tell("Open data on the Data tab first.", "error")
            return
        try:
            warnings = self.ws.runner().warnings()
            self._job = self.ws.submit_training()
        except USER_ERRORS as exc:
            self.ws.tell(str(exc), "error")
            return
        self.train_button.disabled = True
        self.cancel_button.visible = True
        self.progress.visible = True
        self.progress.value = 0
        self.status.object = "Starting the training process… " + " ".join(warnings)
        self._new_curve_figure()
        self._poll = pn.state.add_periodic_callback(self._check, period=250)

    def _cancel(self, _=None) -> None:
        if self._job is not None:
            self._job.cancel()

    def _new_curve_figure(self) -> None:
        """An empty live-curve chart for the model about to train, if it reports curves."""
        self._curves, self._curve_figure = {}, None
        self.curve_area.objects = []
        curve = MODELS_BY_NAME[self.ws.spec.model.type].live_curve
        if curve is None:
            return
        # bokeh.plotting costs ~0.2 s to import: not before the first chart (start-up).
        from bokeh.plotting import figure

        self._curve_figure = figure(
            height=260,
            sizing_mode="stretch_width",
            x_axis_label=curve.x_label,
            tools="pan,wheel_zoom,box_zoom,reset,save,hover",
        )
        caption = (
            f"**Live training curve** by {curve.x_label}, as the model fits the training split"
        )
        self.curve_area.objects = [
            pn.pane.Markdown(caption, margin=(0, 10)),
            pn.pane.Bokeh(self._curve_figure, sizing_mode="stretch_width"),
        ]

    def _add_curve_points(self, events: list[CurveEvent]) -> None:
        """Stream new points into the chart; folds of cross-validation are not drawn."""
        if self._curve_figure is None:
            return
        points: dict[str, dict[str, list]] = {}
        for event in events:
            if not event.series.startswith("CV fold"):
                new = points.setdefault(event.series, {"x": [], "y": []})
                new["x"].append(event.x)
                new["y"].append(event.y)
        from bokeh.models import ColumnDataSource
        from bokeh.palettes import Category10_10

        for series, new in points.items():
            if series not in self._curves:
                source = ColumnDataSource({"x": [], "y": []})
                color = Category10_10[len(self._curves) % 10]
                self._curve_figure.line(
                    "x", "y", source=source, legend_label=series, color=color, line_width=2
                )
                self._curves[series] = source
            self._curves[series].stream(new)

    def _check(self) -> None:
        job = self._job
        events = job.events()
        queued = self.ws.queue_message(job)
        if queued:
            self.status.object = queued
        for event in events:
            if isinstance(event, StageEvent):
                self.progress.value = int(100 * event.fraction)
                left = f", about {event.remaining:.0f} s left" if event.remaining else ""
                self.status.object = f"{event.stage} · {event.elapsed:.1f} s{left}"
        self._add_curve_points([e for e in events if isinstance(e, CurveEvent)])
        if not job.recorded:
            return
        self._poll.stop()
        self._poll = None
        self.train_button.disabled = False
        self.cancel_button.visible = False
        self.progress.visible = False
        result = self.ws.finish_training(job)
        if result is not None:
            # The plots follow in the Results below (see _draw_plots).
            self.status.object = f"Trained in {result.seconds:.1f} s (run {job.run_id})."
        else:
            self.status.object = f"Run {job.run_id} {job.status}: see the message above."

    def _show_result(self, *events) -> None:
        """Show `shown.result` (its metrics table, notes and plots), or say the spec
        changed since it (on a new revision alone, only that changes)."""
        result = self.shown.result
        stale = result is not None and not self.ws.result_is_current
        if stale != bool(self.stale_area.objects):
            self.stale_area.objects = [self.stale] if stale else []
        if events and all(event.name == "revision" for event in events):
            return
        shown = result is not None
        self.metrics_table.visible = shown
        self.plots_title.object = "### Plots (the notebook draws the same)" if shown else ""
        if not shown:
            self.results_title.object = "No run yet: press **Train**."
            self.results_notes.objects = self.plots_area.objects = []
            self._plotted = self._figures = None
            return
        report = result.report
        rows = ", ".join(f"{k}: {v}" for k, v in report["rows"].items())
        spec = result.spec
        self.results_title.object = (
            f"### Results: {spec.model.type} on {spec.name}\nRows per split: {rows}"
        )
        self.metrics_table.value = metrics_frame(report).round(6)
        notes = [pn.pane.Markdown(line) for line in model_notes(report)]
        cv = report.get("cross_validation")
        if cv:
            frame = pd.DataFrame({"mean": cv["mean"], "std": cv["std"]}).reset_index()
            notes += [
                pn.pane.Markdown(f"#### {cv['folds']}-fold cross-validation on the training split"),
                table(frame.rename(columns={"index": "metric"}).round(6), page_size=30),
            ]
        for warning in result.warnings:
            notes.append(pn.pane.Alert(warning, alert_type="warning"))
        self.results_notes.objects = notes
        if self._plotted is not result:
            self._draw_plots(result)

    def _draw_plots(self, result) -> None:
        """Show the run's plots: wait while its worker computes their data, then draw
        them on a worker thread; if there is no data, say why and offer to compute it."""
        self._plotted, self._figures = result, None
        state, message = self.ws.result_plots_state()
        if state == "computing":
            self.plots_area.objects = [
                pn.pane.Markdown("Computing the plots… (the metrics above are final)")
            ]
            self._wait_for_plots(result)
        elif state == "ready":
            self._draw_in_background(result, self.ws.result_plots)
        else:
            self._offer_to_compute(result, message, failed=state == "failed")

    def _wait_for_plots(self, result) -> None:
        def check():
            if self._plotted is not result:  # another result is shown now
                poll.stop()
            elif self.ws.result_plots_state()[0] != "computing":
                poll.stop()
                self._draw_plots(result)

        poll = pn.state.add_periodic_callback(check, period=500)

    def _offer_to_compute(self, result, message: str, failed: bool) -> None:
        compute = pn.widgets.Button(label="Compute the plots", width=180)

        def start(_=None):
            compute.disabled = True
            self._draw_in_background(result, self.ws.compute_result_plots)

        compute.on_click(start)
        text = (
            f"Plots not computed: {message}."
            if not failed
            else f"{message[:1].upper()}{message[1:]}."
        )
        self.plots_area.objects = [
            pn.pane.Alert(text, alert_type="danger" if failed else "warning"),
            compute,
        ]

    def _draw_in_background(self, result, plots) -> None:
        """Draw the figures of `plots()` on a worker thread; show them when done."""
        self.plots_area.objects = [pn.pane.Markdown("Drawing the plots…")]

        def work():
            return [(p.title, p.figure()) for p in plots()]

        def show(figures):
            self._figures = figures
            if self._plotted is not result:
                return
            if isinstance(self._figures, Exception):
                self.plots_area.objects = [
                    pn.pane.Alert(
                        f"The plots could not be drawn: {self._figures}", alert_type="danger"
                    )
                ]
                return
            self.plots_area.objects = [
                pn.GridBox(
                    *[
                        pn.Card(
                            pn.pane.Matplotlib(
                                fig, tight=True, format="svg", sizing_mode="stretch_width"
                            ),
                            title=title,
                            sizing_mode="stretch_width",
                        )
                        for title, fig in self._figures
                    ],
                    ncols=2,
                    sizing_mode="stretch_width",
                )
            ]

        in_background(work, show)

    def __panel__(self):
        main = pn.Column(
            pn.Row(self.train_button, self.cancel_button, self.status, sizing_mode="stretch_width"),
            self.progress,
            self.curve_area,
            self.stale_area,
            self.results_title,
            self.metrics_table,
            self.results_notes,
            self.plots_title,
            self.plots_area,
            ExplainSection(self.ws, shown=self.shown),
            sizing_mode="stretch_width",
        )
        return split_layout(main, code_panel(self, "train.py"))


def model_notes(report: dict) -> list[str]:
    """What the run chose beside the metrics: the decision threshold, member weights."""
    notes = []
    decision = report.get("decision")
    if decision:
        notes.append(
            f"Decision threshold: **{decision['threshold']:.4f}** (rule {decision['rule']})"
        )
    weights = report.get("member_weights")
    if weights:
        listed = ", ".join(f"{name}: {weight:.4f}" for name, weight in weights.items())
        notes.append(f"Member weights (cross-validation scores): {listed}")
    return notes
