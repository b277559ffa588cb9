"""The Panel app: one Workspace per browser session, one tab per stage.

`playground ui` serves it (playground_ui.server); every browser tab gets its own
session, so two people (or two tabs) never see each other's data or runs.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

import panel as pn

from runtime.jobs import Jobs
from runtime.store import Store, playground_home

from .server import serve  # noqa: F401 - `playground serve` (and tests) start here
from .state import Workspace
from .views.common import Shown, StageView
from .views.data import DataView
from .views.explore import ExploreView
from .views.export import ExportView
from .views.model import ModelView
from .views.prepare import PrepareView
from .views.runs import RunsView
from .views.train import TrainView
from .views.tune import TuneView

# Trainings that run at once (each in its own process), and how long one may take.
TRAINING_WORKERS = 2
TRAINING_TIME_LIMIT = 3600.0

ALERT = {"info": "info", "success": "success", "error": "danger"}


STAGES = {
    "1 · Data": DataView,
    "2 · Explore": ExploreView,
    "3 · Prepare": PrepareView,
    "4 · Split & model": ModelView,
    "5 · Train & results": TrainView,
    "6 · Export": ExportView,
    "7 · Runs": RunsView,
    "8 · Tune": TuneView,
}


class StageViews(Mapping):
    """The session's stage views by tab title, each built when first shown or asked for.

    Building all eight took most of the first page's server time (the Runs tab's table
    alone ~0.5 s); a tab's `Shown` exists from the start, so hidden tabs keep count of
    what changed and a view built later starts from the current state."""

    def __init__(self, workspace: Workspace):
        self.ws = workspace
        self.shown = {title: Shown(workspace) for title in STAGES}
        self._built: dict[str, StageView] = {}

    def __getitem__(self, title: str) -> StageView:
        if title not in self._built:
            self._built[title] = STAGES[title](self.ws, shown=self.shown[title])
        return self._built[title]

    def __iter__(self) -> Iterator[str]:
        return iter(STAGES)

    def __len__(self) -> int:
        return len(STAGES)

    @property
    def built(self) -> list[str]:
        """The titles of the views built so far, in the order they were."""
        return list(self._built)


def message_banner(ws: Workspace) -> pn.pane.Alert:
    """The workspace's last message, one pane changed in place as messages come.

    Replacing the pane (as `pn.bind` does) makes Bokeh walk every model of the page to
    find what changed; under cProfile of a served session that walk was most of the
    server's time after a click that trains or edits a step."""
    banner = pn.pane.Alert(sizing_mode="stretch_width", margin=(0, 10))

    def show(*_):
        banner.param.update(
            object=ws.message or "",
            alert_type=ALERT[ws.message_kind],
            visible=bool(ws.message),
        )

    ws.param.watch(show, ["message", "message_kind"])
    show()
    return banner


def build_app(
    home: str | Path | None = None,
    store: Store | None = None,
    jobs: Jobs | None = None,
    login: bool = False,
) -> pn.viewable.Viewable:
    """The whole app for one session; sessions share the store and jobs, never a Workspace.

    With `login` (the server asks for one) the session's projects are its user's own.
    """
    owner = pn.state.user if login else None
    if login and not owner:
        # Never fall back to everyone's projects: the login did not name a user.
        return pn.pane.Markdown("## AI-Playground\nLog in to see your projects.")
    ws = Workspace(home or playground_home(), store=store, jobs=jobs, owner=owner)
    undo = pn.widgets.Button(label="↶ Undo", description="Undo the last change to the spec")
    redo = pn.widgets.Button(label="↷ Redo", description="Redo what was undone")
    undo.on_click(lambda _: ws.undo())
    redo.on_click(lambda _: ws.redo())

    title = pn.pane.Markdown(margin=(12, 10))

    def history_state(*_):
        # Changed in place: a new pane per edit would make Bokeh re-walk the page.
        undo.disabled = ws.history is None or not ws.history.can_undo
        redo.disabled = ws.history is None or not ws.history.can_redo
        title.object = f"**{ws.spec.name}** · {ws.spec.task}" if ws.spec else "no data yet"

    ws.param.watch(history_state, "revision")
    history_state()

    header = pn.Row(
        pn.pane.Markdown("## AI-Playground", margin=(0, 10)),
        title,
        pn.HSpacer(),
        undo,
        redo,
        sizing_mode="stretch_width",
        styles={"border-bottom": "1px solid #ddd"},
    )
    views = StageViews(ws)
    # Each tab's content is filled when the tab is first shown (dynamic=True alone only
    # defers the browser's models, not the server's widgets).
    contents = {title: pn.Column(sizing_mode="stretch_width") for title in views}
    tabs = pn.Tabs(*contents.items(), dynamic=True, sizing_mode="stretch_width")

    def show_active(*_):
        # Only the tab in front follows each edit; the others catch up when shown.
        for position, title in enumerate(views):
            views.shown[title].show(position == tabs.active)
            if position == tabs.active and not contents[title].objects:
                contents[title].objects = [views[title]]

    tabs.param.watch(show_active, "active")
    show_active()
    banner = message_banner(ws)
    app = pn.Column(
        header,
        banner,
        tabs,
        sizing_mode="stretch_width",
    )
    app.workspace = ws  # for tests and debugging
    app.tabs, app.views, app.banner, app.title = tabs, views, banner, title
    return app
