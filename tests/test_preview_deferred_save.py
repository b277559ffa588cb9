"""An edited step's spec version written on the next tick (after its preview is
drawn): undo, redo, a reload and the store's other users always see every version in
order, and the person is told an edit is saved only once it is."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from bench.bench_preview import NextTick
from playground_ui.state import Workspace
from runtime.spec import loads_spec
from runtime.store import Store, _SpecRow


@pytest.fixture
def ws(tmp_path) -> Workspace:
    ws = Workspace(tmp_path)
    assert ws.load_example("penguins.csv"), ws.message
    assert ws.set_target("species"), ws.message
    assert ws.add_step("scale", {"columns": ["bill_length_mm"], "method": "standard"})
    return ws


def scale_step(ws: Workspace) -> int:
    return next(i for i, s in enumerate(ws.spec.steps, 1) if s.type == "scale")


def method(ws: Workspace) -> str:
    return ws.spec.steps[scale_step(ws) - 1].params["method"]


def scale_by(ws: Workspace, method: str, tick: NextTick | None = None) -> None:
    index = scale_step(ws)
    params = {**ws.spec.steps[index - 1].params, "method": method}
    assert ws.update_step(index, params, schedule_save=tick), ws.message


def stored_versions(ws: Workspace) -> list[str]:
    """The scaling method of every stored version, in order, read through a second store
    on the same database (which knows nothing of the first one's pending versions)."""
    other = Store(home=ws.store.home)
    try:
        with other._reading() as session:
            texts = session.scalars(
                select(_SpecRow.yaml)
                .where(_SpecRow.project_id == ws.project.id)
                .order_by(_SpecRow.position)
            ).all()
    finally:
        other.close()
    methods = []
    for text in texts:
        steps = [s for s in loads_spec(text).steps if s.type == "scale"]
        methods.append(steps[0].params["method"] if steps else "-")
    return methods


def test_the_edit_is_shown_at_once_and_written_on_the_next_tick(ws):
    tick = NextTick()
    written = stored_versions(ws)
    scale_by(ws, "minmax", tick)
    assert method(ws) == "minmax"
    # Nothing written, nothing claimed yet: a crash now loses an edit never acknowledged.
    assert stored_versions(ws) == written
    assert "updated" not in ws.message
    tick.run()
    assert stored_versions(ws) == [*written, "minmax"]
    assert ws.message == f"Step {scale_step(ws)} updated." and ws.message_kind == "success"


def test_undo_before_the_tick_writes_the_edit_first_then_undoes_it(ws):
    tick = NextTick()
    before = ws.spec
    scale_by(ws, "minmax", tick)
    edited = ws.spec
    ws.undo()
    assert ws.spec == before
    ws.redo()
    assert ws.spec == edited
    tick.run()  # already written: nothing more
    assert ws.history.current() == edited
    assert stored_versions(ws)[-2:] == ["standard", "minmax"]


def test_edits_within_one_tick_are_written_in_order(ws):
    tick = NextTick()
    scale_by(ws, "minmax", tick)
    scale_by(ws, "robust", tick)
    tick.run()
    assert stored_versions(ws)[-3:] == ["standard", "minmax", "robust"]
    ws.undo()
    assert method(ws) == "minmax"


def test_a_reload_reads_the_edit(ws):
    tick = NextTick()
    scale_by(ws, "minmax", tick)
    # A reloaded page is a new session of the same server, sharing its store.
    again = Workspace(ws.home, store=ws.store)
    assert again.open_project(ws.project.id), again.message
    assert again.spec == ws.spec


def test_closing_the_session_or_the_store_writes_what_waits(ws):
    tick = NextTick()
    scale_by(ws, "minmax", tick)
    ws.save_pending()
    assert stored_versions(ws)[-1] == "minmax"
    scale_by(ws, "robust", tick)
    ws.store.close()
    assert stored_versions(ws)[-1] == "robust"


def test_another_thread_using_the_store_writes_the_edit_first(ws):
    tick = NextTick()
    scale_by(ws, "minmax", tick)
    seen = []
    reader = threading.Thread(target=lambda: seen.append(ws.store.projects()))
    reader.start()
    reader.join()
    assert seen and stored_versions(ws)[-1] == "minmax"


def test_without_a_schedule_the_version_is_written_before_update_step_returns(ws):
    scale_by(ws, "minmax")
    assert stored_versions(ws)[-1] == "minmax"
    assert ws.message == f"Step {scale_step(ws)} updated."
