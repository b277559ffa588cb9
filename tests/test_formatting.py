"""The exported code is black-formatted, though ruff's formatter writes it.

generator.formatting formats with `ruff format` (a fraction of black's time). Here every
Python source a bundle holds (preprocessing.py, train.py, plots.py, predict.py, the app,
its tests, tune.py and each notebook code cell) is rendered for a broad set of specs:
every variation of every step type, every model (ensembles with their members) for the
first task it serves and every task, each decision rule, tuning with tune.py, four
example specs on their data and the 30-step spec of the code-generation benchmark. Each
is formatted as the export formats it and must come out of black (the project's mode:
line length 88) unchanged. Nothing is trained: the sources come from the spec alone.
"""

from __future__ import annotations

import difflib
import subprocess
from pathlib import Path

import black
import pandas as pd
import pytest
import synthetic
import test_catalog_conformance
from synthetic import (
    CATEGORICAL,
    features_by_type,
    make_frame,
    model_dict,
    model_steps,
    param_values,
    spec_dict,
)
from test_catalog_conformance import STEP_CASES, step_spec

from generator import formatting, render
from generator.bundle import _common_context, notebook_source
from generator.notebook import code_cells
from generator.plots import render_plots
from generator.tuning import render_tune
from runtime.models import MODEL_TYPES
from runtime.schema import input_schema
from runtime.spec import Spec, load_spec, parse_spec
from runtime.steps import STEP_TYPES

BLACK_MODE = black.Mode(line_length=88)
ROOT = Path(__file__).resolve().parents[1]
SHA256 = "0" * 64


def bundle_sources(spec: Spec, data: pd.DataFrame) -> dict[str, str]:
    """Every Python source of the spec's bundle, unformatted, by name (cells numbered);
    the app's input schema is read off `data`."""
    env = render.environment()
    data_filename = Path(spec.dataset.path).name
    context = _common_context(spec, None, data_filename, SHA256)
    schema = input_schema(spec, data)
    numeric = [c["name"] for c in schema if c["type"] == "numeric"]
    sources = {
        "preprocessing.py": render.render_preprocessing(spec, formatted=False),
        "train.py": render.render_train(spec, data_filename, formatted=False),
        "plots.py": render_plots(spec, formatted=False),
        "predict.py": env.get_template("predict.py.j2").render(context),
        "app/main.py": env.get_template("app/main.py.j2").render(context, schema=schema),
        "tests/test_bundle.py": env.get_template("tests/test_bundle.py.j2").render(
            context, schema_numeric=numeric[0] if numeric else None
        ),
    }
    if spec.tuning is not None and spec.tuning.export_search:
        sources["tune.py"] = render_tune(spec, data_filename, formatted=False)
    for i, cell in enumerate(code_cells(notebook_source(context))):
        sources[f"notebook cell {i}"] = cell
    return sources


def assert_black_leaves_alone(named_sources: dict[str, str]) -> None:
    """Format every distinct source as the export does (one ruff run), then black each."""
    distinct = {source: name for name, source in named_sources.items()}
    formatted = formatting.format_sources(list(distinct))
    failures = []
    for name, source in zip(distinct.values(), formatted, strict=True):
        again = black.format_str(source, mode=BLACK_MODE)
        if again != source:
            diff = difflib.unified_diff(
                source.splitlines(True), again.splitlines(True), "ruff", "black", n=1
            )
            failures.append(f"{name}:\n{''.join(diff)}")
    assert not failures, f"{len(failures)} sources black would change:\n" + "\n".join(failures[:5])


def synthetic_sources(task: str, model: dict, **extra) -> dict[str, str]:
    df = make_frame(n_rows=40, task=task, missing_target=task != "clustering")
    spec = parse_spec(spec_dict(df, task, model_steps(df, CATEGORICAL), model, **extra))
    return bundle_sources(spec, df)


def test_every_step_variant_is_black_clean():
    df = make_frame(n_rows=40, task="binary", missing_target=True)
    sources = {}
    for case in STEP_CASES:
        step, values = case.values
        spec = parse_spec(spec_dict(df, "binary", step_spec(step, values)))
        sources[case.id] = render.render_preprocessing(spec, formatted=False)
    assert_black_leaves_alone(sources)


# A long column name (75 characters) makes ruff and black split some lines differently
# (`df["..."] = x.clip(...)`): such sources are formatted by black (generator.formatting).
LONG_NAMES = {
    name: f"{name} {'é' if name == 'cat_a' else ''}" + "'quoted' \\ text " * 6
    for name in ("num_a", "num_b", "cat_a", "when")
}
LONG_STEPS = ("cast", "clip", "replace_values", "arithmetic", "bin_edges", "elapsed_days")


def test_long_user_texts_are_black_clean(monkeypatch):
    names = {k: v[:75] for k, v in LONG_NAMES.items()}
    df = make_frame(n_rows=40, task="binary", missing_target=True).rename(columns=names)
    # The synthetic helpers know the columns by these names.
    numeric = (names["num_a"], names["num_b"], "num_c")
    monkeypatch.setattr(synthetic, "NUMERIC", numeric)
    monkeypatch.setattr(synthetic, "CATEGORICAL", (names["cat_a"], "cat_b"))
    monkeypatch.setattr(synthetic, "DATETIME", (names["when"],))
    monkeypatch.setattr(test_catalog_conformance, "NUMERIC", numeric)
    sources = {}
    for step in STEP_TYPES:
        if step.name in LONG_STEPS:
            values = param_values(step.params, features_by_type(df))
            spec = parse_spec(spec_dict(df, "binary", step_spec(step, values)))
            sources[step.name] = render.render_preprocessing(spec, formatted=False)
    assert len(sources) == len(LONG_STEPS)
    assert_black_leaves_alone(sources)


TASKS = ("binary", "multiclass", "regression", "clustering")


def models_to_check(task: str) -> list:
    """Each model once, for the first task it serves (a model's code differs between
    tasks only in values; the task's own code is shared by its models), and for a task
    no model starts with, the first model serving it."""
    first = [m for m in MODEL_TYPES if m.tasks[0] == task]
    return first or [next(m for m in MODEL_TYPES if task in m.tasks)]


@pytest.mark.parametrize("task", TASKS)
def test_every_model_bundle_is_black_clean(task):
    sources = {}
    for model in models_to_check(task):
        for name, source in synthetic_sources(task, model_dict(model, task)).items():
            sources[f"{model.name} {name}"] = source
    assert_black_leaves_alone(sources)


def test_every_model_is_checked():
    checked = {m.name for task in TASKS for m in models_to_check(task)}
    assert checked == {m.name for m in MODEL_TYPES}


def test_decision_rules_and_tuning_are_black_clean():
    forest = {"type": "random_forest_classifier", "params": {"n_estimators": 10}}
    decisions = [
        {"rule": "max_f1"},
        {"rule": "target_precision", "target": 0.8},
        {"rule": "target_recall", "target": 0.7},
        {"rule": "manual", "threshold": 0.3},
    ]
    tuning = {"method": "tpe", "n_trials": 3, "cv_folds": 3, "export_search": True}
    bundles = [synthetic_sources("binary", forest, decision=d) for d in decisions]
    bundles += [synthetic_sources(task, model, tuning=tuning) for task, model in TUNED]
    # Searches over several models, one inside a decision threshold.
    bundles += [
        synthetic_sources(task, model, tuning=dict(tuning, models=models), **extra)
        for (task, model), models, extra in zip(TUNED, SEARCHED_MODELS, DECIDED, strict=True)
    ]
    sources = {}
    for i, bundle in enumerate(bundles):
        for name, source in bundle.items():
            sources[f"spec {i} {name}"] = source
    assert any(name.endswith("tune.py") for name in sources)
    assert_black_leaves_alone(sources)


TUNED = [
    ("binary", {"type": "xgboost_classifier", "params": {"n_estimators": 10}}),
    ("regression", {"type": "random_forest_regressor", "params": {"n_estimators": 10}}),
    ("multiclass", {"type": "logistic_regression", "params": {}}),
]


SEARCHED_MODELS = [
    ["random_forest_classifier", "logistic_regression"],
    ["xgboost_regressor", "ridge", "svm_regressor"],
    ["xgboost_classifier", "gaussian_nb"],
]
DECIDED = [{"decision": {"rule": "max_f1"}}, {}, {}]


# Real data and hand-written specs: a tuned classifier (its tune.py), credit risk,
# dates and cyclic features in a regression, and clusters.
EXAMPLES = [
    "penguins_species_tuned",
    "german_credit_risk",
    "bike_sharing_demand",
    "wine_density_clusters",
]


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_specs_are_black_clean(name):
    path = ROOT / "examples" / f"{name}.yaml"
    spec = load_spec(path)
    data = pd.read_csv(path.parent / spec.dataset.path, **spec.dataset.read_options)
    assert_black_leaves_alone(bundle_sources(spec, data))


def test_thirty_step_spec_of_the_benchmark_is_black_clean(tmp_path):
    from bench.bench_codegen import MODEL, thirty_steps
    from bench.overhead_data import make_spec, write_data

    data_path = write_data(tmp_path, 50)
    spec = make_spec(data_path, steps=thirty_steps(), model=MODEL)
    assert_black_leaves_alone(bundle_sources(spec, pd.read_csv(data_path)))


# -- the formatter itself -----------------------------------------------------------


def test_a_users_ruff_config_does_not_change_the_output(tmp_path, monkeypatch):
    """Settings are pinned and config files ignored: a project's pyproject.toml asking
    for single quotes, tabs and 120 columns, in the working directory, changes nothing."""
    source = "x = {'a':1}\n" + "y = [" + ", ".join(f"'item{i}'" for i in range(12)) + "]\n"
    formatting.clear_cache()
    expected = formatting.format_code(source)
    (tmp_path / "pyproject.toml").write_text(
        "[tool.ruff]\nline-length = 120\n[tool.ruff.format]\n"
        "quote-style = 'single'\nindent-style = 'tab'\n"
    )
    monkeypatch.chdir(tmp_path)
    formatting.clear_cache()
    assert formatting.format_code(source) == expected
    assert expected == black.format_str(source, mode=BLACK_MODE)


def test_sources_are_formatted_in_one_run_and_kept(monkeypatch):
    runs = []
    real_run = subprocess.run

    def counting_run(*args, **kwargs):
        runs.append(args)
        return real_run(*args, **kwargs)

    monkeypatch.setattr(subprocess, "run", counting_run)
    formatting.clear_cache()
    sources = [f"value_{i} = {{ 'n':{i} }}\n" for i in range(5)]
    formatted = formatting.format_sources(sources)
    assert formatted == [f'value_{i} = {{"n": {i}}}\n' for i in range(5)]
    assert formatting.format_sources(sources[::-1]) == formatted[::-1]
    assert len(runs) == 1


def test_a_call_whose_new_sources_fill_the_cache_still_answers_the_kept_ones(monkeypatch):
    """Sources found in the cache are taken out before this call's new results are
    added, which may push them out (this was a KeyError with a bundle of many files)."""
    monkeypatch.setattr(formatting, "CACHE_SIZE", 2)
    formatting.clear_cache()
    kept = "kept = { 'n':0 }\n"
    assert formatting.format_sources([kept]) == ['kept = {"n": 0}\n']
    sources = [kept] + [f"new_{i} = {{ 'n':{i} }}\n" for i in range(3)]
    expected = ['kept = {"n": 0}\n'] + [f'new_{i} = {{"n": {i}}}\n' for i in range(3)]
    assert formatting.format_sources(sources) == expected
    assert len(formatting._cache) == 2


def test_invalid_generated_code_is_a_clear_error():
    with pytest.raises(formatting.FormattingError, match="template rendered invalid Python"):
        formatting.format_code("def broken(:\n    pass\n")
