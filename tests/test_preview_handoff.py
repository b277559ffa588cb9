"""The preview after an edit: the edit's own check is handed to the view's next preview
of that step (once, and only at that spec version), and the prefix cache keys are
chained step by step, so that an earlier step's change reaches every later key."""

from __future__ import annotations

import pandas as pd
import pytest

from bench.bench_preview import NextTick
from playground_ui.state import Workspace
from runtime.executor import PrefixCache, Runner
from runtime.spec import parse_spec, spec_to_dict


@pytest.fixture
def ws(tmp_path) -> Workspace:
    """Penguins with its default steps and a scaling step at the end."""
    ws = Workspace(tmp_path)
    assert ws.load_example("penguins.csv") and ws.set_target("species"), ws.message
    assert ws.add_step("scale", {"columns": ["bill_length_mm"], "method": "standard"})
    assert len(ws.spec.steps) >= 3
    return ws


@pytest.fixture
def computed(monkeypatch) -> list[tuple[int, object]]:
    """Every `Runner.preview` computed: (step, the preview returned)."""
    calls: list[tuple[int, object]] = []
    real = Runner.preview

    def preview(runner, index):
        result = real(runner, index)
        calls.append((index, result))
        return result

    monkeypatch.setattr(Runner, "preview", preview)
    return calls


def last(ws: Workspace) -> int:
    return len(ws.spec.steps)


def scale_by(ws: Workspace, method: str, schedule_save=None) -> None:
    index = last(ws)
    params = {**ws.spec.steps[index - 1].params, "method": method}
    assert ws.update_step(index, params, schedule_save=schedule_save), ws.message


@pytest.mark.parametrize("deferred", [False, True])
def test_the_edits_check_is_the_next_preview_of_that_step_once(ws, computed, deferred):
    tick = NextTick() if deferred else None
    scale_by(ws, "minmax", tick)
    assert [index for index, _ in computed] == [last(ws)]
    checked = computed[0][1]

    shown = ws.preview(last(ws))
    assert shown is checked  # handed over, not computed again
    assert len(computed) == 1
    assert shown.after[["bill_length_mm"]].min().item() == pytest.approx(0.0)

    again = ws.preview(last(ws))  # used once: the next preview computes as usual
    assert again is not checked and len(computed) == 2
    pd.testing.assert_frame_equal(again.after, checked.after)
    assert again.describe() == checked.describe()
    if tick is not None:
        tick.run()


def test_another_step_previewed_first_computes_and_drops_the_handoff(ws, computed):
    scale_by(ws, "minmax")
    checked = computed[-1][1]
    ws.preview(1)
    assert [index for index, _ in computed] == [last(ws), 1]
    shown = ws.preview(last(ws))
    assert shown is not checked and len(computed) == 3


def test_an_undo_or_another_change_in_between_previews_that_spec(ws, computed):
    scale_by(ws, "minmax")
    ws.undo()
    shown = ws.preview(last(ws))
    assert len(computed) == 2 and shown is computed[-1][1]
    # The spec before the edit: standard scores, not values in [0, 1].
    assert shown.after["bill_length_mm"].min() < 0

    ws.redo()
    shown = ws.preview(last(ws))
    assert len(computed) == 3 and shown.after["bill_length_mm"].min() == pytest.approx(0.0)

    scale_by(ws, "robust")
    assert ws.set_seed(ws.spec.seed + 1), ws.message
    shown = ws.preview(last(ws))
    assert len(computed) == 5 and shown is computed[-1][1]
    assert shown is not computed[-2][1]


def test_a_refused_edit_hands_nothing_over(ws, computed):
    scale_by(ws, "minmax")
    assert ws.preview(last(ws)) is computed[-1][1]  # the handoff, used
    index = last(ws)
    params = {**ws.spec.steps[index - 1].params, "columns": ["no_such_column"]}
    assert not ws.update_step(index, params)
    assert "no_such_column" in ws.message
    shown = ws.preview(index)
    assert len(computed) == 2 and shown is computed[-1][1]
    assert shown.after["bill_length_mm"].min() == pytest.approx(0.0)


# -- chained prefix keys -------------------------------------------------------------


def step_keys(spec, folder) -> list[str]:
    runner = Runner(spec, folder, cache=PrefixCache())
    return [runner._prefix_key(i) for i in range(len(spec.steps) + 1)]


def edited(spec, position: int, **params):
    data = spec_to_dict(spec)
    data["steps"][position - 1]["params"].update(params)
    return parse_spec(data)


@pytest.mark.parametrize(
    ("position", "param", "value"), [(1, "strategy", "mean"), (4, "method", "minmax")]
)
def test_a_changed_step_changes_its_key_and_every_later_one_only(ws, position, param, value):
    spec, folder = ws.spec, ws.project_dir
    keys = step_keys(spec, folder)
    assert len(set(keys)) == len(keys)  # every enabled step has its own key
    changed = edited(spec, position, **{param: value})
    assert changed != spec
    other = step_keys(changed, folder)
    assert other[:position] == keys[:position]
    assert all(a != b for a, b in zip(other[position:], keys[position:], strict=True))


def with_first_step(spec, enabled: bool):
    data = spec_to_dict(spec)
    step = {"type": "drop_duplicates", "params": {"keep": "last"}, "enabled": enabled}
    data["steps"].insert(0, step)
    return parse_spec(data)


def test_a_cleaning_step_put_first_changes_every_later_key_and_the_split(ws):
    spec, folder = ws.spec, ws.project_dir
    before = Runner(spec, folder)
    after = Runner(with_first_step(spec, enabled=True), folder)
    for position in range(last(ws) + 1):
        assert before._prefix_key(position) != after._prefix_key(position + 1)
    assert before._prefix_key(0, after_split=True) != after._prefix_key(1, after_split=True)
    # Disabled, it changes nothing: every frame cached before it is found again.
    off = Runner(with_first_step(spec, enabled=False), folder)
    for position in range(last(ws) + 1):
        assert before._prefix_key(position) == off._prefix_key(position + 1)


def test_the_seed_changes_the_keys_after_the_split_only(ws):
    spec, folder = ws.spec, ws.project_dir
    before = Runner(spec, folder)
    reseeded = Runner(parse_spec({**spec_to_dict(spec), "seed": spec.seed + 1}), folder)
    assert reseeded._prefix_key(0) == before._prefix_key(0)
    assert reseeded._prefix_key(0, after_split=True) != before._prefix_key(0, after_split=True)
    for position in range(1, last(ws) + 1):  # every step of this spec is after the split
        assert reseeded._prefix_key(position) != before._prefix_key(position)


def test_a_disabled_step_adds_nothing_to_the_key(ws):
    spec, folder = ws.spec, ws.project_dir
    data = spec_to_dict(spec)
    data["steps"][1]["enabled"] = False
    runner = Runner(parse_spec(data), folder)
    assert runner._prefix_key(2) == runner._prefix_key(1)
    assert runner._prefix_key(3) != Runner(spec, folder)._prefix_key(3)


def test_other_data_changes_every_key(ws, monkeypatch):
    spec, folder = ws.spec, ws.project_dir
    keys = step_keys(spec, folder)
    monkeypatch.setattr(Runner, "data_sha256", lambda runner: "0" * 64)
    other = step_keys(spec, folder)
    assert all(a != b for a, b in zip(keys, other, strict=True))


def test_keys_are_built_on_the_previous_ones_each_step_digested_once(ws, monkeypatch):
    digested: list[int] = []
    real = Runner._step_digest
    monkeypatch.setattr(
        Runner, "_step_digest", lambda runner, i: digested.append(i) or real(runner, i)
    )
    runner = Runner(ws.spec, ws.project_dir)
    n = last(ws)
    runner._prefix_key(n - 1)
    assert digested == list(range(1, n))
    digested.clear()
    runner._prefix_key(n)  # only the last step is new
    assert digested == [n]
    assert runner._spec_digests.keys() == set(range(1, n + 1))
    # Worked out again from nothing, the keys are the same.
    assert step_keys(ws.spec, ws.project_dir)[n] == runner._prefix_key(n)


def test_edits_of_the_last_step_preview_what_a_fresh_cache_computes(ws):
    for method in ("minmax", "robust", "standard", "minmax"):
        scale_by(ws, method)
        shown = ws.preview(last(ws))
        fresh = Runner(ws.spec, ws.project_dir, cache=PrefixCache()).preview(last(ws))
        pd.testing.assert_frame_equal(shown.after, fresh.after)


def fresh_keys(ws: Workspace) -> list[str]:
    return step_keys(ws.spec, ws.project_dir)


def session_keys(ws: Workspace) -> list[str]:
    runner = ws.runner()
    return [runner._prefix_key(i) for i in range(len(ws.spec.steps) + 1)]


def test_the_next_specs_runner_takes_the_keys_of_the_steps_before_the_edit(ws, monkeypatch):
    digested: list[int] = []
    real = Runner._step_digest
    monkeypatch.setattr(
        Runner, "_step_digest", lambda runner, i: digested.append(i) or real(runner, i)
    )
    n = last(ws)
    assert session_keys(ws) == fresh_keys(ws)
    digested.clear()
    scale_by(ws, "minmax")
    # The edit's check worked out the edited step's key only; the others were taken over.
    assert digested == [n]
    keys = session_keys(ws)
    assert keys == fresh_keys(ws)

    # An edit of the first step: nothing is shared, every key is worked out again.
    digested.clear()
    assert ws.update_step(1, {**ws.spec.steps[0].params, "strategy": "mean"}), ws.message
    assert digested == [1]
    edited_keys = session_keys(ws)
    assert digested == list(range(1, n + 1))
    assert edited_keys == fresh_keys(ws)
    assert all(a != b for a, b in zip(edited_keys[1:], keys[1:], strict=True))

    # Undo goes back to the spec before: its keys again, as a fresh runner has them.
    ws.undo()
    assert session_keys(ws) == keys


def test_keys_are_not_taken_from_another_target_or_data_read_otherwise(ws):
    before = ws.runner()
    session_keys(ws)
    data = spec_to_dict(ws.spec)
    assert ws.set_target("island"), ws.message
    runner = Runner(ws.spec, ws.project_dir)
    runner.reuse_keys(before)
    assert runner.__dict__.get("_chain_keys", {}) == {}
    data["dataset"]["read_options"] = {**data["dataset"]["read_options"], "sep": ";"}
    runner = Runner(parse_spec(data), ws.project_dir)
    runner.reuse_keys(before)
    assert runner.__dict__.get("_chain_keys", {}) == {}
