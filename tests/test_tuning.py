"""Tuning: the spec's tuning section, the rendered tune.py the runtime runs, the
`playground tune` command with several workers on one study, and the exported
search and tuned model reproducing the runtime's numbers."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import optuna
import pytest
import yaml
from reports import TOLERANCE, assert_same_report, assert_user_error
from test_reproduction import run

from generator.bundle import export
from playground_ui.cli import main
from runtime.executor import Runner
from runtime.metrics import direction, metrics_for
from runtime.models import MODELS_BY_NAME
from runtime.search_space import GRID_POINTS, Dimension, resolve_space
from runtime.spec import SpecError, dump_spec, load_spec, loads_spec, parse_spec
from runtime.tuning import Tuner

ROOT = Path(__file__).resolve().parent.parent
PENGUINS = ROOT / "examples" / "data" / "penguins.csv"

# Penguins by their measurements alone, with a decision tree: a few ms per fold.
SPEC = {
    "spec_version": 1,
    "name": "penguins tuned",
    "task": "multiclass",
    "seed": 7,
    "dataset": {"path": "data/penguins.csv", "format": "csv"},
    "columns": [
        {"name": "species", "type": "categorical", "role": "target"},
        {"name": "bill_length_mm", "type": "numeric"},
        {"name": "bill_depth_mm", "type": "numeric"},
        {"name": "flipper_length_mm", "type": "numeric"},
        {"name": "body_mass_g", "type": "numeric"},
    ],
    "classes": ["Adelie", "Chinstrap", "Gentoo"],
    "steps": [{"type": "drop_missing_target"}],
    "split": {"train": 0.6, "validation": 0.2, "test": 0.2},
    "evaluation": {"cv_folds": 3},
    "model": {"type": "decision_tree_classifier"},
    "tuning": {
        "metric": "accuracy",
        "cv_folds": 3,
        "n_trials": 6,
        "space": {"max_depth": {"low": 1, "high": 6}, "class_weight": {"fixed": None}},
        "export_search": True,
    },
}


def spec_with(**tuning) -> dict:
    data = json.loads(json.dumps(SPEC))
    data["tuning"].update(tuning)
    return data


@pytest.fixture
def project(tmp_path) -> Path:
    """A folder holding the spec and its data."""
    (tmp_path / "data").mkdir()
    shutil.copy(PENGUINS, tmp_path / "data" / "penguins.csv")
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(SPEC, sort_keys=False))
    return tmp_path


# -- the spec section ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("space", "fragment"),
    [
        ({"depth": {"low": 1, "high": 3}}, "'depth' is not a parameter of decision_tree"),
        ({"max_depth": {"low": 8, "high": 2}}, "low 8 is above high 2; swap them"),
        ({"min_samples_leaf": {"low": 0, "high": 5, "log": True}}, "below the minimum 1"),
        ({"max_depth": {"low": 2.5, "high": 4}}, "expected an integer"),
        ({"criterion": {"choices": ["gini", "log_loss"]}}, "'log_loss' is not allowed"),
        ({"criterion": {"low": 1, "high": 2}}, "criterion is not a number, so it has no range"),
        ({"criterion": {"choices": ["gini"], "fixed": "gini"}}, "'fixed' holds one value"),
        ({"criterion": {"choices": []}}, "expected a non-empty list"),
        (
            {"max_depth": {"bins": 3}},
            "max_depth.bins: unknown field (check its spelling); allowed: low, high",
        ),
    ],
)
def test_space_overrides_are_checked_against_the_declarations(space, fragment):
    with pytest.raises(SpecError) as exc:
        parse_spec(spec_with(space=space))
    assert fragment in str(exc.value)


def test_log_scale_needs_a_positive_low():
    data = spec_with()
    data["model"] = {"type": "ridge"}
    data.update(task="regression", classes=None)
    data["tuning"].update(metric="rmse", space={"alpha": {"low": 0, "high": 5, "log": True}})
    data["columns"] = [dict(c, type="numeric") for c in data["columns"]]
    data["columns"][0]["role"] = "ignore"
    data["columns"][1]["role"] = "target"
    with pytest.raises(SpecError, match="a log scale needs low above 0, got 0"):
        parse_spec(data)


def test_metric_must_belong_to_the_task_and_defaults_to_its_usual_one():
    with pytest.raises(SpecError, match="'rmse' is not a metric of a multiclass task"):
        parse_spec(spec_with(metric="rmse"))
    data = spec_with()
    del data["tuning"]["metric"]
    assert parse_spec(data).tuning.metric == "accuracy"


def test_a_space_of_fixed_values_only_is_refused():
    fixed = {
        p.name: {"fixed": p.default} for p in MODELS_BY_NAME["decision_tree_classifier"].params
    }
    with pytest.raises(SpecError, match="no parameter of decision_tree_classifier is searched"):
        parse_spec(spec_with(space=fixed))


def test_the_section_survives_a_save_and_load():
    spec = parse_spec(SPEC)
    again = loads_spec(dump_spec(spec))
    assert again == spec
    # Only what was written comes back: `fixed: null` (no class weights) is a value.
    assert again.tuning.space["class_weight"].given() == {"fixed": None}
    assert again.tuning.space["max_depth"].given() == {"low": 1, "high": 6}


def test_space_is_the_declaration_narrowed_by_the_spec():
    model = MODELS_BY_NAME["decision_tree_classifier"]
    space = {d.name: d for d in resolve_space(model, {"max_depth": {"high": 9}})}
    declared = {p.name: p.search for p in model.params}
    assert space["max_depth"] == Dimension("max_depth", "int", declared["max_depth"]["low"], 9)
    assert space["criterion"].choices == tuple(declared["criterion"]["choices"])
    assert space["class_weight"].choices == (None, "balanced")
    logistic = {d.name for d in resolve_space(MODELS_BY_NAME["logistic_regression"], {})}
    assert "max_iter" not in logistic  # declares no search: it keeps the spec's value
    log_range = Dimension("C", "float", 1e-3, 1e3, log=True)
    assert log_range.grid() == pytest.approx([1e-3, 1e-1 * 10**-0.5, 1.0, 10**1.5, 1e3])
    assert len(Dimension("n", "int", 10, 500).grid()) == GRID_POINTS
    assert Dimension("depth", "int", 2, 4).grid() == [2, 3, 4]


def test_every_metric_of_a_run_has_a_direction(project):
    spec = load_spec(project / "spec.yaml")
    report = Runner(spec, project).run().report
    assert set(report["metrics"]["test"]) == set(metrics_for("multiclass"))
    assert direction("log_loss") == "minimize"
    assert direction("r2") == "maximize"


# -- the runtime ------------------------------------------------------------------------


def test_a_seeded_study_repeats_itself(project):
    spec = parse_spec(spec_with(cv_folds=2))
    storage = f"sqlite:///{project / 'studies.db'}"
    first = Tuner(spec, project, storage, study="first").tune(trials=3)
    second = Tuner(spec, project, storage, study="second").tune(trials=3)

    def history(name: str) -> list:
        study = optuna.load_study(study_name=name, storage=storage)
        return [(t.params, t.value) for t in study.trials]

    assert history("first") == history("second")
    assert first.params == second.params and first.value == second.value
    # The tuned spec carries the best values as plain parameters.
    assert first.spec.model.params["max_depth"] == first.params["max_depth"]
    assert first.spec.model.params["class_weight"] is None
    assert first.spec.tuning.best.value == first.value == first.refit_value


def test_the_search_starts_from_the_declared_defaults(project):
    data = spec_with(cv_folds=2)
    # Not from the spec's values: a tuned spec's exported search must repeat the study.
    data["model"]["params"] = {"max_depth": 3, "criterion": "entropy"}
    storage = f"sqlite:///{project / 'start.db'}"
    outcome = Tuner(parse_spec(data), project, storage, study="start").tune(trials=2)
    first = optuna.load_study(study_name="start", storage=storage).trials[0]
    # min_samples_leaf and criterion take their defaults, 5 and "gini"; max_depth's
    # default (no limit) is outside 1..6, so the sampler chooses it.
    assert first.params["min_samples_leaf"] == 5 and first.params["criterion"] == "gini"
    assert 1 <= first.params["max_depth"] <= 6
    assert outcome.value >= first.value
    assert Dimension("depth", "int", 1, 6).contains(3)
    assert not Dimension("depth", "int", 1, 6).contains(None)
    assert not Dimension("share", "float", 0.5, 1.0).contains(True)
    assert Dimension("criterion", "categorical", choices=("gini", "entropy")).contains("gini")


def regression_spec_with(**tuning) -> dict:
    """Penguins' body mass from the other measurements, with ridge regression."""
    data = spec_with(**tuning)
    data.update(task="regression", classes=None, model={"type": "ridge"})
    data["tuning"]["space"] = {}
    data["columns"] = [dict(c, type="numeric") for c in data["columns"]]
    data["columns"][0]["role"] = "ignore"
    data["columns"][-1]["role"] = "target"
    return data


@pytest.mark.parametrize(
    ("task", "metric"),
    [("multiclass", m) for m in metrics_for("multiclass")]
    + [("regression", m) for m in metrics_for("regression")],
)
def test_a_trial_computes_its_metric_alone_as_train_py_does(project, task, metric):
    """A trial fits the model on its fold's preprocessed rows (the preprocessing fitted
    once per fold) and computes the tuned metric alone: train.py's value, exactly."""
    make = spec_with if task == "multiclass" else regression_spec_with
    spec = parse_spec(make(metric=metric))
    tuner = Tuner(spec, project, f"sqlite:///{project / 'metric.db'}")
    _, train = tuner.runner.modules()
    tune = tuner.module()
    fit_df, score_df = tune.cv_folds(tuner.train_df(), 3)[0]
    fit_features, y_fit, score_features, y_score = tune.preprocessed_folds(tuner.train_df())[0]
    pipeline = train.build_pipeline().fit(*train.features_and_target(fit_df))
    model = tune.build_pipeline()[-1].fit(fit_features, y_fit)
    scores, detail = tune.evaluate(model, score_features, y_score)
    everything, _ = train.evaluate(pipeline, *train.features_and_target(score_df))
    assert scores == {metric: everything[metric]} and detail is None


def test_tuning_resumes_its_study(project):
    spec = parse_spec(spec_with(cv_folds=2))
    storage = f"sqlite:///{project / 'studies.db'}"
    Tuner(spec, project, storage).tune(trials=1)
    outcome = Tuner(spec, project, storage).tune(trials=1)
    assert outcome.trials == 2


def test_a_time_budget_ends_the_search_and_keeps_the_best(project):
    spec = parse_spec(spec_with(cv_folds=2, n_trials=1000, timeout_seconds=0.01))
    outcome = Tuner(spec, project, f"sqlite:///{project / 't.db'}").tune()
    # Optuna checks the time after each trial: the first one ends the search.
    assert outcome.trials == 1
    assert outcome.spec.tuning.best.value == outcome.value


def test_tune_refuses_bad_input(project, capsys):
    code = main(["tune", str(project / "spec.yaml"), "--workers", "0"])
    assert_user_error(code, *capsys.readouterr(), "--workers 0")
    data = spec_with(metric="r2")
    (project / "bad.yaml").write_text(yaml.safe_dump(data))
    code = main(["tune", str(project / "bad.yaml")])
    assert_user_error(code, *capsys.readouterr(), "tuning.metric: 'r2' is not a metric")
    code = main(["tune", str(project / "spec.yaml"), "--storage", "nosuchdb://x"])
    assert_user_error(code, *capsys.readouterr(), "cannot open the Optuna storage 'nosuchdb://x'")


def test_a_grid_search_tries_the_grid_and_a_pruner_may_stop_trials(project):
    space = {"max_depth": {"low": 2, "high": 3}}
    data = spec_with(method="grid", pruner="median", cv_folds=2, space=space)
    spec = parse_spec(data)
    Tuner(spec, project, f"sqlite:///{project / 'g.db'}", study="grid").tune(trials=3)
    study = optuna.load_study(study_name="grid", storage=f"sqlite:///{project / 'g.db'}")
    grid = {d.name: d.grid() for d in resolve_space(MODELS_BY_NAME[spec.model.type], {})}
    assert len(study.trials) == 3
    for trial in study.trials:
        assert trial.params["max_depth"] in (2, 3)
        assert trial.params["min_samples_leaf"] in grid["min_samples_leaf"]


def tuned_models() -> list[tuple[str, str]]:
    return [
        (name, "multiclass" if "multiclass" in decl.tasks else "regression")
        for name, decl in MODELS_BY_NAME.items()
        if {"multiclass", "regression"} & set(decl.tasks)
        and any(d.searched for d in resolve_space(decl, {}))
    ]


@pytest.mark.parametrize(("model", "task"), tuned_models())
def test_every_model_takes_every_searched_value_through_set_params(model, task):
    """tune.py sets a trial's values on the pipeline built by build_pipeline(): for
    every model (a wrapped one too), each name must reach the estimator."""
    from generator.render import render_preprocessing
    from generator.tuning import render_tune
    from runtime.executor import load_beside, load_modules

    data = spec_with(space={}, metric=None)
    data["model"] = {"type": model}
    if task == "regression":
        data.update(task="regression", classes=None)
        data["columns"][0]["role"] = "ignore"
        data["columns"][4]["role"] = "target"
    spec = parse_spec(data)
    prep, _ = load_modules(render_preprocessing(spec, formatted=False))
    tune = load_beside(prep, "tune", render_tune(spec, "penguins.csv", formatted=False))
    for pick in (0, -1):  # the first and the last grid value of every dimension
        dimensions = resolve_space(MODELS_BY_NAME[model], {})
        values = {d.name: d.grid()[pick] for d in dimensions}
        params = tune.search_space(optuna.trial.FixedTrial(values))
        pipeline = tune.build_pipeline()
        pipeline.set_params(**{tune.MODEL_PARAMETER_PREFIX + n: v for n, v in params.items()})
        estimator = pipeline.get_params()
        for name, value in params.items():
            assert estimator[tune.MODEL_PARAMETER_PREFIX + name] == value


@pytest.mark.slow
def test_two_workers_finish_one_study_with_the_reported_best(project, capsys):
    storage = f"sqlite:///{project / 'shared.db'}"
    args = ["tune", str(project / "spec.yaml"), "--workers", "2", "--trials", "8"]
    code = main([*args, "--storage", storage, "--study", "shared", "-o", str(project / "t.yaml")])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    study = optuna.load_study(study_name="shared", storage=storage)
    finished = [t for t in study.trials if t.state.is_finished()]
    # Each worker stops once the study holds 8 trials; a trial running meanwhile may end too.
    assert 8 <= len(finished) <= 9
    tuned = load_spec(project / "t.yaml")
    assert tuned.tuning.best.value == study.best_value
    assert tuned.tuning.best.trial == study.best_trial.number
    assert f"best accuracy: {study.best_value!r}" in out
    for name, value in study.best_params.items():
        assert tuned.model.params[name] == value


# -- the export ---------------------------------------------------------------------------


@pytest.mark.slow
def test_export_reproduces_the_tuned_model_and_its_search(project, tmp_path_factory):
    spec = load_spec(project / "spec.yaml")
    outcome = Tuner(spec, project, f"sqlite:///{project / 's.db'}").tune(trials=5)
    tuned = outcome.spec
    runner = Runner(tuned, project)
    result = runner.run()
    # train.py's cross-validation (same folds) scores the tuned model as the study did.
    assert result.report["cross_validation"]["mean"]["accuracy"] == pytest.approx(
        outcome.value, rel=0, abs=TOLERANCE
    )
    bundle = tmp_path_factory.mktemp("bundle")
    export(runner, bundle, result)
    assert "tuning" in json.loads((bundle / "manifest.json").read_text())

    assert_train_and_notebook_repeat(bundle, result.report, tuning_trials=5)

    # The shipped search, same seed and trial count: the same best parameters.
    run([sys.executable, "tune.py", "--trials", "5", "--out", "tune-out"], cwd=bundle)
    found = json.loads((bundle / "tune-out/tuning.json").read_text())
    assert found["params"] == outcome.params
    assert found["value"] == pytest.approx(outcome.value, rel=0, abs=TOLERANCE)


def assert_train_and_notebook_repeat(bundle: Path, report: dict, tuning_trials: int) -> None:
    """The bundle's train.py and its notebook (through papermill, its search re-run with
    `tuning_trials` trials) give the runtime's report."""
    import papermill

    run([sys.executable, "train.py", "--out", "train-out"], cwd=bundle)
    assert_same_report(json.loads((bundle / "train-out/metrics.json").read_text()), report)
    papermill.execute_notebook(
        str(bundle / "notebook.ipynb"),
        str(bundle / "notebook.out.ipynb"),
        parameters={"output_dir": "nb-out", "tuning_trials": tuning_trials},
        kernel_name="python3",
        cwd=str(bundle),
        progress_bar=False,
    )
    assert_same_report(json.loads((bundle / "nb-out/metrics.json").read_text()), report)


def test_without_export_search_only_the_values_are_exported(project):
    data = spec_with(export_search=False)
    spec = parse_spec(data)
    from generator.bundle import render_bundle

    runner = Runner(spec, project)
    files = render_bundle(runner, runner.run())
    assert "tune.py" not in files
    assert "optuna" not in files["notebook.ipynb"]
    assert json.loads(files["manifest.json"])["tuning"]["export_search"] is False


# -- the UI's state and Tune panel --------------------------------------------------------


@pytest.mark.slow
def test_the_tune_panel_searches_in_the_background_and_keeps_the_best(tmp_path):
    from playground_ui.state import Workspace
    from playground_ui.views.tune import TuneView

    ws = Workspace(tmp_path)
    assert ws.load_example("penguins.csv") and ws.set_target("species"), ws.message
    assert ws.set_model("decision_tree_classifier"), ws.message
    view = TuneView(ws)
    assert [row.dimension.name for row in view.rows] == [
        "max_depth",
        "min_samples_leaf",
        "criterion",
        "class_weight",
    ]
    # No tuning section yet: the metric shown is the one the search would use.
    assert view.metric.value == "accuracy"
    view.metric.value, view.folds.value, view.trials.value = "f1_macro", 2, 2
    view.rows[0].high.value = 5  # narrow one range; the others stay as declared
    assert view._save(), ws.message
    assert {n: o.given() for n, o in ws.spec.tuning.space.items()} == {
        "max_depth": {"low": 2, "high": 5, "log": False}
    }
    assert not ws.set_search("criterion", {"choices": ["gini", "chaos"]})
    assert "'chaos' is not allowed" in ws.message

    job = ws.start_tuning(trials=2)
    job.wait(300)
    assert job.error is None and job.outcome is not None
    assert job.progress.done == 2 and job.progress.best_value == job.outcome.value
    before = ws.spec
    assert ws.use_tuned(job.outcome), ws.message
    assert ws.spec.model.params["max_depth"] == job.outcome.params["max_depth"]
    assert ws.spec.tuning.best.value == job.outcome.value
    ws.undo()  # one change: undo brings the untuned model back
    assert ws.spec == before
