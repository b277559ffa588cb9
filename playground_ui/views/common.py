"""Pieces every stage view uses: the base class that re-renders a tab only while it is
shown, the code panel, the table of a frame, and work done off the page's thread."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pandas as pd
import panel as pn
import param
from panel.viewable import Viewer

from ..state import Workspace

# The workspace's change counters a view may depend on.
WATCHED = ("revision", "data_revision", "runs_revision", "result")


class Shown(param.Parameterized):
    """The workspace's change counters as one tab sees them.

    They follow the workspace while the tab is shown and catch up when it is shown
    again, so an edit re-renders the tab in front of the user, not all eight: the
    Explore tab's plots and the Export tab's files are not rebuilt for an edit made
    on the Prepare tab."""

    revision = param.Integer(default=0)
    data_revision = param.Integer(default=0)
    runs_revision = param.Integer(default=0)
    result = param.Parameter(default=None)

    def __init__(self, workspace: Workspace, **params):
        super().__init__(**params)
        self.ws = workspace
        self.visible = False
        self.catch_up()
        workspace.param.watch(self._changed, list(WATCHED))

    def _changed(self, *_):
        if self.visible:
            self.catch_up()

    def show(self, visible: bool) -> None:
        self.visible = visible
        if visible:
            self.catch_up()

    def catch_up(self) -> None:
        changed = {
            name: getattr(self.ws, name)
            for name in WATCHED
            if getattr(self, name) is not getattr(self.ws, name)
        }
        if changed:
            self.param.update(**changed)


class StageView(Viewer):
    """A tab of the app: `ws` is the session's workspace; bind to `shown`'s counters, not
    the workspace's, so that the tab re-renders only while it is shown."""

    def __init__(self, workspace: Workspace, shown: Shown | None = None, **params):
        super().__init__(**params)
        self.ws = workspace
        self.shown = shown or Shown(workspace)


def on_next_tick(callback) -> None:
    """Run `callback` on the event loop's next tick, after what the current event
    draws reaches the page; at once outside a served page."""
    pn.state.execute(callback, schedule=True)


def code_panel(view: StageView, which: str) -> pn.viewable.Viewable:
    """The code the export will contain for what is on screen, updated on every change."""
    workspace = view.ws
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

    # After what the change itself draws (a preview, a form): rendering and formatting
    # the file takes longer than many a step's preview.
    view.shown.param.watch(lambda *_: on_next_tick(refresh), "revision")
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
