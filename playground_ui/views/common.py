"""Pieces every stage view uses: the code panel, the table of a frame, and work done
off the page's thread."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

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


def in_background(work: Callable[[], Any], done: Callable[[Any], None]) -> None:
    """Run `work()` on a worker thread, so the page stays responsive; then call
    `done` with what it returned, or the exception it raised, from a periodic
    callback of the page (where widgets may change)."""
    outcome: list = []

    def run():
        try:
            outcome.append(work())
        except Exception as exc:  # noqa: BLE001 - `done` shows why
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()

    def check():
        if thread.is_alive():
            return
        poll.stop()
        done(outcome[0])

    poll = pn.state.add_periodic_callback(check, period=300)
