"""Explain: SHAP importance and beeswarm, one test row's SHAP values, permutation
importance and partial dependence of the last run, computed off the UI thread.

What is shown is recorded in the spec's `explain` list, so the exported notebook
draws the same explanations with the same numbers.
"""

from __future__ import annotations

import panel as pn

from runtime.explain import why_not_explained

from ..state import USER_ERRORS, Workspace
from .common import StageView, in_background, table


class ExplainSection(StageView):
    def __init__(self, workspace: Workspace, **params):
        super().__init__(workspace, **params)
        self.row = pn.widgets.IntInput(
            label="Test row to explain (its position in the test split, from 0)",
            value=0,
            start=0,
            width=320,
        )
        self.button = pn.widgets.Button(label="Explain", color="primary", width=140)
        self.button.on_click(self._start)
        self.area = pn.Column(sizing_mode="stretch_width")
        self._running = False

    def _intro(self, revision: int, result):
        """What the section can do for the current run, or why it cannot."""
        self.button.disabled = True
        if result is None or not self.ws.result_is_current:
            return pn.pane.Markdown("Train the current spec to explain its model.")
        reason = why_not_explained(self.ws.spec)
        if reason:
            return pn.pane.Alert(f"This model has no explanation: {reason}", alert_type="info")
        test_rows = result.report["rows"].get("test", 0)
        self.row.end = max(test_rows - 1, 0)
        self.button.disabled = self._running
        return pn.pane.Markdown(
            f"SHAP values of the {test_rows} test rows (a seeded sample of at most 100), "
            "one row of your choice, permutation importance and partial dependence of the "
            "most important columns. The notebook will show the same."
        )

    def _start(self, _=None) -> None:
        if self._running:
            return
        row = int(self.row.value or 0)
        self._running = True
        self.button.disabled = True
        self.area.objects = [pn.pane.Markdown(f"Explaining the model and test row {row}…")]
        in_background(lambda: self.ws.explain(row), self._show)

    def _show(self, outcome) -> None:
        self._running = False
        self.button.disabled = False
        if isinstance(outcome, USER_ERRORS):
            self.area.objects = [pn.pane.Alert(str(outcome), alert_type="danger")]
            return
        if isinstance(outcome, Exception):
            message = f"The model could not be explained: {type(outcome).__name__}: {outcome}"
            self.area.objects = [pn.pane.Alert(message, alert_type="danger")]
            return
        spec, plots = outcome
        self.ws.record_explanations(spec)
        self.area.objects = self._figures(plots)

    def _figures(self, plots) -> list:
        cards = []
        for plot in plots:
            parts = [
                pn.pane.Markdown(plot.type.help),
                pn.pane.Matplotlib(
                    plot.figure(), tight=True, format="svg", sizing_mode="stretch_width"
                ),
            ]
            if plot.type.takes_row:
                # The row's values beside what each moved the prediction by.
                parts.append(table(plot.data["contributions"].round(6)))
            cards.append(pn.Card(*parts, title=plot.title, sizing_mode="stretch_width"))
        return [pn.GridBox(*cards, ncols=2, sizing_mode="stretch_width")]

    def __panel__(self):
        return pn.Column(
            pn.pane.Markdown("### Explain the model"),
            pn.bind(self._intro, self.shown.param.revision, self.shown.param.result),
            pn.Row(self.row, self.button),
            self.area,
            sizing_mode="stretch_width",
        )
