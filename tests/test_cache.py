"""The preview cache: a change recomputes exactly what depends on it, never stale data.

Results are keyed by the spec prefix they depend on. Changing step k must
recompute steps k and later (and the split when k comes before it) and
nothing else; whatever is recomputed or reused must equal what a fresh
cache computes.
"""

from __future__ import annotations

import copy

import pandas as pd
import pytest
from synthetic import make_frame, spec_dict, write_frame

from generator import render
from runtime.executor import PrefixCache, RunError, Runner
from runtime.spec import parse_spec
from runtime.steps import STEPS_BY_NAME

DATE_PARTS = ["when_year", "when_month", "when_day", "when_weekday"]
STEPS = [
    {"type": "drop_duplicates", "params": {"keep": "first"}},
    {"type": "date_parts", "params": {"column": "when", "drop_original": True}},
    {"type": "impute_numeric", "params": {"columns": ["num_a", "num_b", *DATE_PARTS]}},
    {"type": "one_hot", "params": {"columns": ["cat_a", "cat_b"], "drop": "none"}},
    {"type": "scale", "params": {"columns": ["num_a", "num_b"], "method": "standard"}},
]
# One parameter change per step position.
CHANGES = {
    1: ("keep", "last"),
    2: ("drop_original", False),
    3: ("strategy", "mean"),
    4: ("drop", "first"),
    5: ("method", "minmax"),
}


def recomputed(spec_steps: list[dict], first: int, split: bool) -> list[str]:
    """The cache labels of the enabled steps at positions >= `first`, in order, with
    "split" before the first column step when the split itself must be redone."""
    out: list[str] = []
    for i, step in enumerate(spec_steps, start=1):
        if step.get("enabled", True) is False:
            continue
        if split and STEPS_BY_NAME[step["type"]].stage != "clean" and "split" not in out:
            out.append("split")
        if i >= first:
            out.append(f"step{i}:{step['type']}")
    return out


def is_clean(k: int) -> bool:
    return STEPS_BY_NAME[STEPS[k - 1]["type"]].stage == "clean"


@pytest.fixture(autouse=True)
def unformatted_code(monkeypatch):
    """Skip black here: these tests are about what is recomputed, not about layout
    (test_catalog_conformance runs the formatted code)."""
    monkeypatch.setattr(render, "format_code", lambda source: source)


@pytest.fixture
def data(tmp_path):
    df = make_frame(n_rows=100, task="binary", seed=5)
    write_frame(df, tmp_path)
    return tmp_path, df


def preview_all(spec_dict_, folder, cache):
    runner = Runner(parse_spec(spec_dict_), folder, cache=cache)
    runner.previews()
    return runner


def assert_same_as_fresh(runner: Runner, folder) -> None:
    """Every step's output equals what a runner with an empty cache computes."""
    fresh = Runner(runner.spec, folder, cache=PrefixCache())
    for i, _ in runner.spec.active_steps():
        pd.testing.assert_frame_equal(runner._frame_after(i).data, fresh._frame_after(i).data)


def test_first_pass_computes_each_thing_once_and_second_pass_nothing(data):
    folder, df = data
    cache = PrefixCache()
    spec = spec_dict(df, "binary", copy.deepcopy(STEPS))
    preview_all(spec, folder, cache)
    assert cache.computed == [
        "read",
        "step1:drop_duplicates",
        "split",
        "step2:date_parts",
        "step3:impute_numeric",
        "step4:one_hot",
        "step5:scale",
    ]
    cache.computed.clear()
    runner = preview_all(copy.deepcopy(spec), folder, cache)
    assert cache.computed == []
    runner.run()  # training runs the full rendered code, not the cache
    assert cache.computed == []


@pytest.mark.parametrize("k", sorted(CHANGES))
def test_changing_step_k_recomputes_only_k_and_later(data, k):
    folder, df = data
    cache = PrefixCache()
    base = spec_dict(df, "binary", copy.deepcopy(STEPS))
    preview_all(base, folder, cache)

    changed = copy.deepcopy(base)
    name, value = CHANGES[k]
    assert parse_spec(base).steps[k - 1].params[name] != value
    changed["steps"][k - 1]["params"][name] = value
    cache.computed.clear()
    runner = preview_all(changed, folder, cache)

    assert cache.computed == recomputed(changed["steps"], k, split=is_clean(k))
    assert "read" not in cache.computed
    assert not any(label.startswith(f"step{j}:") for j in range(1, k) for label in cache.computed)
    assert ("split" in cache.computed) == is_clean(k)
    assert_same_as_fresh(runner, folder)

    # Going back to the first spec recomputes nothing: both versions are cached.
    cache.computed.clear()
    preview_all(base, folder, cache)
    assert cache.computed == []


@pytest.mark.parametrize("k", [1, 3, 5])
def test_disabling_a_step(data, k):
    folder, df = data
    cache = PrefixCache()
    base = spec_dict(df, "binary", copy.deepcopy(STEPS))
    preview_all(base, folder, cache)

    disabled = copy.deepcopy(base)
    disabled["steps"][k - 1]["enabled"] = False
    cache.computed.clear()
    runner = preview_all(disabled, folder, cache)

    assert cache.computed == recomputed(disabled["steps"], k, split=is_clean(k))
    assert f"step{k}:{STEPS[k - 1]['type']}" not in cache.computed
    assert [p.index for p in runner.previews()] == [i for i in range(1, 6) if i != k]
    with pytest.raises(RunError, match=rf"steps\[{k}\] \({STEPS[k - 1]['type']}\) is disabled"):
        runner.preview(k)
    assert_same_as_fresh(runner, folder)

    # A disabled step is the same as no step: the last frame equals that of the
    # spec without it.
    removed = copy.deepcopy(base)
    del removed["steps"][k - 1]
    without = Runner(parse_spec(removed), folder, cache=PrefixCache())
    last_disabled = runner.spec.active_steps()[-1][0]
    last_removed = without.spec.active_steps()[-1][0]
    pd.testing.assert_frame_equal(
        runner._frame_after(last_disabled).data, without._frame_after(last_removed).data
    )


def test_changing_seed_or_split_recomputes_the_split(data):
    folder, df = data
    cache = PrefixCache()
    base = spec_dict(df, "binary", copy.deepcopy(STEPS))
    preview_all(base, folder, cache)

    for change in ({"seed": 8}, {"split": {"train": 0.5, "validation": 0.25, "test": 0.25}}):
        changed = {**copy.deepcopy(base), **change}
        cache.computed.clear()
        runner = preview_all(changed, folder, cache)
        assert cache.computed == recomputed(changed["steps"], 2, split=True), change
        assert_same_as_fresh(runner, folder)


def test_changing_the_target_recomputes_steps_that_use_it(tmp_path):
    df = make_frame(n_rows=100, task="regression", seed=6, missing_target=True)
    write_frame(df, tmp_path)
    steps = [
        {"type": "drop_missing_target"},
        {"type": "scale", "params": {"columns": ["num_a"]}},
    ]
    cache = PrefixCache()
    base = spec_dict(df, "regression", steps)
    first = preview_all(base, tmp_path, cache)
    assert first.preview(1).rows_after == len(df) - int(df["target"].isna().sum())

    # num_b becomes the target; it has other gaps than the old target.
    changed = copy.deepcopy(base)
    for column in changed["columns"]:
        if column["name"] == "target":
            column["role"] = "feature"
        elif column["name"] == "num_b":
            column["role"] = "target"
    cache.computed.clear()
    runner = preview_all(changed, tmp_path, cache)
    assert cache.computed == ["step1:drop_missing_target", "split", "step2:scale"]
    assert runner.preview(1).rows_after == len(df) - int(df["num_b"].isna().sum())
    assert_same_as_fresh(runner, tmp_path)


@pytest.mark.parametrize(
    "steps, index, column",
    [
        pytest.param(
            [
                {"type": "drop_columns", "params": {"columns": ["cat_a"]}},
                {"type": "one_hot", "params": {"columns": ["cat_a", "cat_b"]}},
            ],
            2,
            "cat_a",
            id="dropped-then-encoded",
        ),
        pytest.param(
            [
                {"type": "date_parts", "params": {"column": "when"}},
                {"type": "impute_categorical", "params": {"columns": ["cat_b"]}},
                {"type": "scale", "params": {"columns": ["num_a", "when"]}},
            ],
            3,
            "when",
            id="date-replaced-by-parts",
        ),
        pytest.param(
            [{"type": "drop_duplicates", "params": {"columns": ["num_a", "no_such_column"]}}],
            1,
            "no_such_column",
            id="never-existed",
        ),
    ],
)
def test_step_naming_a_missing_column_fails_clearly(data, steps, index, column):
    folder, df = data
    runner = Runner(parse_spec(spec_dict(df, "binary", steps)), folder, cache=PrefixCache())
    step_type = steps[index - 1]["type"]
    pattern = rf"steps\[{index}\] \({step_type}\): column '{column}' does not exist"
    with pytest.raises(RunError, match=pattern) as info:
        runner.preview(index)
    # The message lists the columns that do exist at that point.
    assert "num_b" in str(info.value)
    # Earlier steps still preview, and a full run stops with the same message.
    for i in range(1, index):
        runner.preview(i)
    with pytest.raises(RunError, match=pattern):
        runner.run()


def test_cache_capacity_evicts_oldest(data):
    folder, df = data
    cache = PrefixCache(capacity=2)
    spec = spec_dict(df, "binary", copy.deepcopy(STEPS[:2]))
    preview_all(spec, folder, cache)
    assert len(cache._items) == 2
    cache.computed.clear()
    preview_all(spec, folder, cache)
    # "read" and step 1 were evicted, so they are computed again.
    assert cache.computed[:2] == ["read", "step1:drop_duplicates"]
