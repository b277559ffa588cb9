"""Pieces every stage view uses: the code panel and the table of a frame."""

from __future__ import annotations

import pandas as pd
import panel as pn

from ..state import Workspace


def code_panel(workspace: Workspace, which: str) -> pn.viewable.Viewable:
    """The code the export will contain for what is on screen, updated on every change."""
    editor = pn.widgets.CodeEditor(
        value="",
        language="python",
        readonly=True,
        sizing_mode="stretch_width",
        height=640,
        theme="github_light_default",
    )

    def refresh(*_):
        try:
            editor.value = workspace.code(which)
        except Exception as exc:  # noqa: BLE001 - the panel says why it cannot show code
            editor.value = f"# The code cannot be rendered yet: {exc}"

    workspace.param.watch(refresh, "revision")
    refresh()
    return pn.Card(
        editor,
        title=f"Code in the export: {which}",
        collapsible=True,
        sizing_mode="stretch_width",
        styles={"min-width": "380px"},
    )


def table(frame: pd.DataFrame, page_size: int = 12, **kwargs) -> pn.widgets.Tabulator:
    """A paged, sortable, read-only table."""
    return pn.widgets.Tabulator(
        frame,
        pagination="local",
        page_size=page_size,
        disabled=True,
        show_index=False,
        sizing_mode="stretch_width",
        **kwargs,
    )


def split_layout(main: pn.viewable.Viewable, side: pn.viewable.Viewable) -> pn.Row:
    return pn.Row(
        pn.Column(main, sizing_mode="stretch_width", styles={"flex": "3 1 0"}),
        pn.Column(side, sizing_mode="stretch_width", styles={"flex": "2 1 0"}),
        sizing_mode="stretch_width",
    )
