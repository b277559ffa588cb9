"""Only the tab in front follows an edit; the others catch up when they are shown.

The browser tests check what each tab shows after edits made on others; this
checks the bookkeeping that keeps hidden tabs from re-rendering on every edit."""

from __future__ import annotations

import pytest
from bokeh.document import Document

from playground_ui.app import build_app

PREPARE, EXPLORE, TRAIN = "3 · Prepare", "2 · Explore", "5 · Train & results"


def test_an_edit_reaches_the_tab_in_front_and_the_others_when_shown(tmp_path):
    app = build_app(tmp_path)
    app.get_root(Document())
    ws = app.workspace
    assert ws.load_example("penguins.csv")
    names = list(app.views)
    app.tabs.active = names.index(PREPARE)
    # Opening data on the Data tab reached Prepare when it was shown.
    assert app.views[PREPARE].shown.revision == ws.revision

    strategy = ws.spec.steps[0].params["strategy"]
    new = "mean" if strategy != "mean" else "median"
    assert ws.update_step(1, {**ws.spec.steps[0].params, "strategy": new})

    assert app.views[PREPARE].shown.revision == ws.revision
    hidden = [name for name in names if name != PREPARE]
    assert all(app.views[name].shown.revision < ws.revision for name in hidden)

    app.tabs.active = names.index(EXPLORE)
    assert app.views[EXPLORE].shown.revision == ws.revision
    assert app.views[EXPLORE].shown.data_revision == ws.data_revision
    assert app.views["6 · Export"].shown.revision < ws.revision


def test_messages_and_the_title_change_their_panes_in_place(tmp_path):
    app = build_app(tmp_path)
    app.get_root(Document())
    ws, banner, title = app.workspace, app.banner, app.title
    assert not banner.visible and title.object == "no data yet"

    assert ws.load_example("penguins.csv")
    assert app.objects[1] is banner and app.objects[0].objects[1] is title
    assert title.object == f"**{ws.spec.name}** · {ws.spec.task}"

    ws.tell("The file has no rows.", "error")
    assert banner.visible and banner.object == "The file has no rows."
    assert banner.alert_type == "danger"
    ws.tell("Step 1 updated.", "success")
    assert (banner.object, banner.alert_type) == ("Step 1 updated.", "success")
    ws.tell("")
    assert not banner.visible
    # Still the same panes: nothing was replaced, so Bokeh had nothing to re-walk.
    assert app.objects[1] is banner and app.objects[0].objects[1] is title


def test_the_results_are_updated_in_place(tmp_path):
    app = build_app(tmp_path)
    app.get_root(Document())
    ws = app.workspace
    names = list(app.views)
    view = app.views[TRAIN]
    view._draw_plots = lambda result: setattr(view, "_plotted", result)  # plots not drawn
    assert ws.load_example("penguins.csv") and ws.set_target("species")
    table, title = view.metrics_table, view.results_title
    assert not table.visible and title.object.startswith("No run yet")

    # Trained while another tab is shown: the result and the revision arrive together.
    app.tabs.active = names.index(PREPARE)
    first = ws.train()
    app.tabs.active = names.index(TRAIN)
    assert table.visible and view.shown.result is first
    assert table.value.set_index("metric")["test"].to_dict() == pytest.approx(
        first.metrics["test"], abs=1e-6
    )
    assert not view.stale_area.objects

    ws.set_seed(ws.spec.seed + 1)
    assert view.stale_area.objects == [view.stale]
    second = ws.train()
    assert not view.stale_area.objects and "Results:" in title.object
    assert table.value.set_index("metric")["test"].to_dict() == pytest.approx(
        second.metrics["test"], abs=1e-6
    )
    # The same panes, their contents changed.
    assert view.metrics_table is table and view.results_title is title
