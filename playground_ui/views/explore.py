"""Explore: the views the person opens are recorded in the spec and drawn by the
same rendered plots.py the exported notebook calls."""

from __future__ import annotations

import panel as pn

from runtime.plots import PLOT_TYPES

from ..state import Workspace
from .common import StageView, code_panel, split_layout

VIEWS = [p for p in PLOT_TYPES if p.kind == "explore"]


class ExploreView(StageView):
    def __init__(self, workspace: Workspace, **params):
        super().__init__(workspace, **params)
        self.view = pn.widgets.Select(label="View", options={p.title: p.name for p in VIEWS})
        self.columns = pn.widgets.MultiChoice(label="Columns", options=[])
        add = pn.widgets.Button(label="Add view", color="primary")
        add.on_click(self._add)
        self.add_button = add

    def _add(self, _=None) -> None:
        if self.ws.add_view(self.view.value, list(self.columns.value)):
            self.columns.value = []

    def _help(self, view: str):
        decl = next(p for p in VIEWS if p.name == view)
        needs = decl.columns_help or (
            "No columns needed." if not decl.max_columns and not decl.min_columns else ""
        )
        return pn.pane.Markdown(f"{decl.help} {needs}", sizing_mode="stretch_width")

    def _views(self, revision: int):
        if not self.ws.has_data:
            return pn.pane.Markdown("Open data on the Data tab first.")
        self.columns.options = [c.name for c in self.ws.spec.columns]
        try:
            plots = self.ws.explore_plots()
        except Exception as exc:  # noqa: BLE001 - a view that cannot be drawn says why
            return pn.pane.Alert(str(exc), alert_type="danger")
        cards = []
        for position, plot in enumerate(plots):
            remove = pn.widgets.Button(label="Remove", width=90)
            remove.on_click(lambda _, i=position: self.ws.remove_view(i))
            cards.append(
                pn.Card(
                    pn.pane.Matplotlib(
                        plot.figure(),
                        tight=True,
                        format="svg",
                        sizing_mode="stretch_width",
                        max_width=760,
                    ),
                    remove,
                    title=plot.title,
                    sizing_mode="stretch_width",
                )
            )
        if not cards:
            cards = [pn.pane.Markdown("No views yet: add one above.")]
        elif note := self.ws.explore_note():
            cards.insert(0, pn.pane.Markdown(f"Views drawn {note}, as the notebook draws them."))
        return pn.Column(*cards, sizing_mode="stretch_width")

    def __panel__(self):
        main = pn.Column(
            pn.pane.Markdown(
                "### Explore the data\nEvery view you add is kept in the spec, and the "
                "exported notebook draws it with the same code."
            ),
            pn.Row(self.view, self.columns, sizing_mode="stretch_width"),
            pn.bind(self._help, self.view),
            self.add_button,
            pn.bind(self._views, self.shown.param.revision),
            sizing_mode="stretch_width",
        )
        return split_layout(main, code_panel(self, "plots.py"))
