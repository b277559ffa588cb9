"""Every catalog entry, checked from its declaration alone.

Steps: for each step and each variation of its declared parameters, the
single-step module the generator renders compiles and, run here on its own,
gives exactly the frame the runtime's preview computed. Every choice of every
choice parameter (steps and models) renders to code that compiles. Models:
every model runs end to end for every task it serves and gives finite
metrics on every split. The CLI catalog lists every entry with every
parameter. Nothing below is written for one entry by hand.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
from pathlib import Path

import pandas as pd
import pytest
from synthetic import (
    NUMERIC,
    build_estimator,
    features_by_type,
    light_params,
    make_frame,
    model_dict,
    model_steps,
    param_values,
    param_variants,
    spec_dict,
    write_frame,
)
from threadpoolctl import threadpool_limits

from generator.render import render_preprocessing, render_train
from playground_ui.cli import main
from runtime.executor import PrefixCache, RunError, Runner
from runtime.models import MODEL_TYPES
from runtime.spec import load_spec, parse_spec
from runtime.steps import STAGES, STEP_TYPES, STEPS_BY_NAME

# -- cases derived from the declarations ---------------------------------------

FEATURES = features_by_type(make_frame(n_rows=10))

STEP_CASES = [
    pytest.param(step, values, id=f"{step.name}-{label}")
    for step in STEP_TYPES
    for label, values in param_variants(step.params, param_values(step.params, FEATURES))
]

CHOICE_CASES = [
    pytest.param(entry, param, choice, id=f"{entry.name}-{param.name}={choice}")
    for entry in (*STEP_TYPES, *MODEL_TYPES)
    for param in entry.params
    if param.kind in ("choice", "choices")
    for choice in param.choices
]

# Reading the file and splitting it is the same for every case of a task (same
# seeded data), so the cases share one preview cache: each step itself is still
# computed in its own case (its parameters are part of its key), and
# test_cache.py checks that the cache never serves stale results.
SHARED_CACHE = PrefixCache()

MODEL_TASK_CASES = [
    pytest.param(model, task, id=f"{model.name}-{task}")
    for model in MODEL_TYPES
    for task in model.tasks
]


def step_spec(step, values) -> list[dict]:
    """A spec holding the step under test, last, after what it needs.

    Column steps work on the training split, whose target must be known, so
    a `drop_missing_target` step comes first for them.
    """
    steps = [{"type": step.name, "params": values}]
    if step.needs_complete:
        # Declared to need complete input: the numeric gaps are filled first.
        steps.insert(0, {"type": "impute_numeric", "params": {"columns": list(NUMERIC)}})
    if step.stage != "clean":
        steps.insert(0, {"type": "drop_missing_target"})
    return steps


# -- steps -----------------------------------------------------------------------


# The generated code must run without deprecation warnings: what warns today
# breaks in the exported project when its pinned libraries are upgraded.
NO_DEPRECATIONS = pytest.mark.filterwarnings("error::DeprecationWarning", "error::FutureWarning")


@NO_DEPRECATIONS
@pytest.mark.parametrize("step, values", STEP_CASES)
def test_step_module_reproduces_the_preview(tmp_path, step, values):
    df = make_frame(n_rows=120, task="binary", missing_target=True)
    write_frame(df, tmp_path)
    spec = parse_spec(spec_dict(df, "binary", step_spec(step, values)))
    index = len(spec.steps)
    runner = Runner(spec, tmp_path, cache=SHARED_CACHE)

    # The module the runtime runs, and the one the export holds, both compile.
    raw_source = render_preprocessing(spec, only=[index], formatted=False)
    compile(raw_source, "preprocessing.py", "exec")
    source = render_preprocessing(spec, only=[index])
    namespace: dict = {"__name__": "preprocessing"}
    exec(compile(source, "preprocessing.py", "exec"), namespace)  # noqa: S102

    before = runner._frame_before(index)
    snapshot = before.data.copy(deep=True)
    read = pd.read_csv(tmp_path / "data.csv")
    if index == 1:
        # The first step receives the file as pandas reads it.
        pd.testing.assert_frame_equal(snapshot, read)
    elif step.needs_complete:
        # After the imputation it needs: the training rows, without numeric gaps.
        assert not snapshot[list(NUMERIC)].isna().any().any()
    else:
        # A column step receives the feature columns of the training split: 60 %
        # of the rows that have a target, unchanged.
        labelled = read.dropna(subset=["target"]).reset_index(drop=True)
        assert len(snapshot) == math.floor(spec.split.train * len(labelled))
        pd.testing.assert_frame_equal(snapshot, labelled.loc[snapshot.index, spec.features])
        assert before.target is not None and before.target.index.equals(snapshot.index)

    # Run the rendered step on its own, on a copy of the runtime's input.
    if step.stage == "clean":
        mine = namespace["clean"](snapshot.copy(deep=True))
        if mine.empty:
            # A cleaning step that keeps no row is refused, with its name.
            with pytest.raises(RunError, match=rf"steps\[{index}\] \({step.name}\) removed every"):
                runner.preview(index)
            return
    else:
        pipeline = namespace["build_preprocessing"]()
        assert [name for name, _ in pipeline.steps] == [f"step{index}_{step.name}"]
        mine = pipeline.fit_transform(snapshot.copy(deep=True), before.target)

    preview = runner.preview(index)
    after = runner._frame_after(index).data
    pd.testing.assert_frame_equal(mine, after)
    # The comparison is not vacuous: there is data on both sides. (A step may
    # rightly change nothing here, e.g. no outliers or nothing to clip.)
    assert len(mine) > 0 and len(mine.columns) > 0
    # The runtime did not alter the (cached) frame the step received.
    pd.testing.assert_frame_equal(runner._frame_before(index).data, snapshot)

    assert preview.type == step.name and preview.stage == step.stage
    assert preview.rows_before == len(snapshot)
    assert preview.rows_after == len(mine)
    assert preview.columns_added == [c for c in mine.columns if c not in snapshot.columns]
    assert preview.columns_removed == [c for c in snapshot.columns if c not in mine.columns]
    if mine.index.equals(snapshot.index):
        changed = [c for c in mine if c in snapshot and not mine[c].equals(snapshot[c])]
        assert preview.columns_changed == changed
    else:
        assert preview.columns_changed == []
    assert preview.missing_before == int(snapshot.isna().sum().sum())
    assert preview.missing_after == int(mine.isna().sum().sum())
    pd.testing.assert_frame_equal(preview.head, mine.head(10))
    assert list(preview.summary["column"]) == list(mine.columns)


@pytest.mark.parametrize("entry, param, choice", CHOICE_CASES)
def test_every_choice_renders_and_compiles(entry, param, choice):
    value = [choice] if param.kind == "choices" else choice
    df = make_frame(n_rows=20, task="binary")
    if entry in STEP_TYPES:
        values = {**param_values(entry.params, FEATURES), param.name: value}
        spec = parse_spec(spec_dict(df, "binary", step_spec(entry, values)))
        index = len(spec.steps)
        assert spec.steps[-1].params[param.name] == value
        for formatted in (False, True):
            source = render_preprocessing(spec, only=[index], formatted=formatted)
            compile(source, "preprocessing.py", "exec")
        return
    task = entry.tasks[0]
    model = model_dict(entry, task, {param.name: value})
    frame = df.drop(columns="target") if task == "clustering" else df
    spec = parse_spec(spec_dict(frame, task, model=model))
    source = render_train(spec, "data.csv")
    compile(source, "train.py", "exec")
    if param.name not in entry.estimator_params(spec.model.params):
        # An ensemble's setting configures the training code: it is a constant there.
        raw = render_train(spec, "data.csv", formatted=False)
        assert any(line.endswith(f" = {value!r}") for line in raw.splitlines())
        return
    # The value reaches the estimator as given.
    estimator = build_estimator(spec)
    assert estimator.get_params()[entry.param_key(param.name)] == value


# -- models ----------------------------------------------------------------------


@NO_DEPRECATIONS
@pytest.mark.parametrize("model, task", MODEL_TASK_CASES)
def test_model_runs_end_to_end(tmp_path, model, task):
    df = make_frame(n_rows=150, task=task, missing_target=True, seed=3)
    write_frame(df, tmp_path)
    params = light_params(model)
    spec = parse_spec(spec_dict(df, task, model_steps(df), model=model_dict(model, task, params)))
    # Every declared parameter is in the spec, at its default unless set above.
    assert spec.model.params == {p.name: params.get(p.name, p.default) for p in model.params}
    estimator = build_estimator(spec)
    for name, value in model.estimator_params(spec.model.params).items():
        assert estimator.get_params()[model.param_key(name)] == value

    # The test workers share the cores: OpenMP models (hist gradient boosting)
    # spin-wait against each other and run many times slower on tiny data when
    # every worker uses every core, so each fit here gets one thread.
    with threadpool_limits(limits=1):
        result = Runner(spec, tmp_path, cache=SHARED_CACHE).run()

    metrics = result.metrics
    assert list(metrics) == ["train", "validation", "test"]
    for split, values in metrics.items():
        assert values, f"no metrics for {split}"
        for name, value in values.items():
            assert isinstance(value, float) and math.isfinite(value), (split, name, value)
    expected_rows = len(df.drop_duplicates())
    if task != "clustering":
        expected_rows = len(df.drop_duplicates().dropna(subset=["target"]))
    assert sum(result.report["rows"].values()) == expected_rows


# -- the CLI catalog -----------------------------------------------------------


@pytest.fixture(scope="module")
def catalog_json():
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["catalog", "--json"]) == 0
    return json.loads(out.getvalue())


@pytest.mark.parametrize(
    "kind, entry",
    [pytest.param("steps", s, id=f"step-{s.name}") for s in STEP_TYPES]
    + [pytest.param("models", m, id=f"model-{m.name}") for m in MODEL_TYPES],
)
def test_catalog_json_lists_entry_with_all_params(catalog_json, kind, entry):
    listed = [e for e in catalog_json[kind] if e["name"] == entry.name]
    assert len(listed) == 1, f"{entry.name} is listed {len(listed)} times"
    listed = listed[0]
    assert listed["title"] == entry.title
    assert [p["name"] for p in listed["params"]] == [p.name for p in entry.params]
    for described, param in zip(listed["params"], entry.params, strict=True):
        assert described["kind"] == param.kind
        assert described["default"] == param.default or (
            isinstance(param.default, list) and described["default"] == list(param.default)
        )
        assert described["help"] and described["help"] == param.help
        if param.choices:
            assert described["choices"] == list(param.choices)
        if param.minimum is not None:
            assert described["minimum"] == param.minimum
        if param.maximum is not None:
            assert described["maximum"] == param.maximum
        if param.kind in ("column", "columns"):
            assert described["column_kind"] == param.column_kind
    if kind == "steps":
        assert listed["stage"] == entry.stage and listed["help"] == entry.help
        assert listed["family"] == entry.family
    else:
        assert listed["tasks"] == list(entry.tasks)
        assert listed["estimator"] == f"{entry.module}.{entry.cls}"
        assert listed["explanation"] == entry.explanation
        assert listed["needs_scaling"] is entry.needs_scaling


def test_catalog_json_lists_nothing_unknown(catalog_json):
    assert [s["name"] for s in catalog_json["steps"]] == [s.name for s in STEP_TYPES]
    assert [m["name"] for m in catalog_json["models"]] == [m.name for m in MODEL_TYPES]


# -- the examples --------------------------------------------------------------


def test_examples_cover_every_stage_and_every_family_of_learned_steps():
    """test_reproduction.py exports every example and checks the project reproduces
    it; together the examples must take each stage, and each family of fitted
    preprocessing (impute, scale, encode, bins, select, ...), through that check."""
    examples = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.yaml"))
    names = {step.type for path in examples for _, step in load_spec(path).active_steps()}
    used = [STEPS_BY_NAME[name] for name in names]
    wanted = {(stage, "") for stage in STAGES} | {
        ("learn", step.family) for step in STEP_TYPES if step.stage == "learn"
    }
    covered = {(step.stage, "") for step in used} | {
        ("learn", step.family) for step in used if step.stage == "learn"
    }
    assert sorted(wanted - covered) == []
