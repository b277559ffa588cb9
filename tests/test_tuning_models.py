"""A search over several models (tuning.models): the spec's checks, the rendered
search, the tuned spec that may change its model, and the exported search repeating
the runtime's."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time

import optuna
import pytest
import yaml
from reports import TOLERANCE
from test_reproduction import run
from test_tuning import PENGUINS, ROOT, SPEC, assert_train_and_notebook_repeat, spec_with

from generator.bundle import export
from generator.tuning import render_tune
from runtime.defaults import FOREST_ROWS, default_spec, suggested_models
from runtime.executor import Runner
from runtime.spec import SpecError, parse_spec, spec_to_dict
from runtime.tuning import Tuner

# Cheap models of penguins' measurements: the spec's decision tree, naive Bayes and a
# small forest (its size narrowed by a prefixed tuning.space key).
WINE = ROOT / "examples" / "data" / "wine.csv"
MODELS = ["random_forest_classifier", "gaussian_nb"]
SPACE = {
    "max_depth": {"low": 1, "high": 6},
    "random_forest_classifier.n_estimators": {"low": 5, "high": 20},
}


@pytest.fixture
def project(tmp_path):
    """A folder holding penguins and test_tuning's spec."""
    (tmp_path / "data").mkdir()
    shutil.copy(PENGUINS, tmp_path / "data" / "penguins.csv")
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(SPEC, sort_keys=False))
    return tmp_path


def family_spec(**tuning) -> dict:
    data = spec_with(**{"models": MODELS, "space": SPACE, **tuning})
    # Naive Bayes takes no missing values; the trees would.
    measurements = [c["name"] for c in data["columns"] if c["type"] == "numeric"]
    data["steps"].append({"type": "impute_numeric", "params": {"columns": measurements}})
    return data


# -- the spec section ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tuning", "fragment"),
    [
        ({"models": ["ridge"]}, "'ridge' is not a model a multiclass search can choose"),
        (
            {"models": ["average_ensemble_classifier"]},
            "'average_ensemble_classifier' is not a model a multiclass search can choose",
        ),
        ({"models": ["gaussian_nb"], "method": "grid"}, "a grid search tunes one model"),
        (
            {"models": ["gaussian_nb"], "space": {"knn_classifier.n_neighbors": {"low": 1}}},
            "'knn_classifier' is not a model of the search",
        ),
        (
            {"models": ["gaussian_nb"], "space": {"gaussian_nb.alpha": {"low": 1, "high": 2}}},
            "'alpha' is not a parameter of gaussian_nb",
        ),
    ],
)
def test_models_are_checked(tuning, fragment):
    with pytest.raises(SpecError) as exc:
        parse_spec(spec_with(**tuning))
    assert fragment in str(exc.value)


def test_the_spec_model_and_repeats_are_dropped_from_the_list():
    spec = parse_spec(
        spec_with(
            models=["gaussian_nb", "decision_tree_classifier", "gaussian_nb", "svm_classifier"]
        )
    )
    assert spec.tuning.models == ["gaussian_nb", "svm_classifier"]


@pytest.mark.parametrize(("data", "target"), [(PENGUINS, "species"), (WINE, "cultivar")])
def test_suggested_models_add_a_linear_model_only_where_numbers_are_scaled(data, target, tmp_path):
    spec = default_spec(data, target, tmp_path)
    scaled = "scale" in [step.type for step in spec.steps]
    suggested = suggested_models(spec)
    assert spec.model.type not in suggested
    assert "extra_trees_classifier" in suggested
    assert ("logistic_regression" in [spec.model.type, *suggested]) == scaled
    assert parse_spec({**spec_to_dict(spec), "tuning": {"models": suggested}}).tuning.models
    # On many rows a forest's trials would take the budget of many boosted ones.
    assert not {"random_forest_classifier", "extra_trees_classifier"} & set(
        suggested_models(spec, rows=FOREST_ROWS + 1)
    )


# -- the search --------------------------------------------------------------------------


def test_every_model_is_tried_first_at_its_defaults_then_the_best_replaces_the_model(project):
    spec = parse_spec(family_spec())
    storage = f"sqlite:///{project / 'families.db'}"
    outcome = Tuner(spec, project, storage, study="families").tune(trials=8)
    trials = optuna.load_study(study_name="families", storage=storage).trials
    # In catalog order, each at the declared defaults the space holds.
    first = [t.params["model"] for t in trials[:3]]
    assert first == ["random_forest_classifier", "gaussian_nb", "decision_tree_classifier"]
    assert trials[1].params["gaussian_nb.var_smoothing"] == 1e-09
    assert trials[0].params["random_forest_classifier.min_samples_leaf"] == 1
    assert len(trials) == 8

    complete = [t for t in trials if t.state == optuna.trial.TrialState.COMPLETE]
    best = max(complete, key=lambda t: t.value)
    assert outcome.model == best.params["model"] and outcome.value == best.value
    tuned = outcome.spec
    assert tuned.model.type == outcome.model
    assert {k: tuned.model.params[k] for k in outcome.params} == outcome.params
    assert tuned.tuning.best.value == outcome.value == outcome.refit_value
    # The tuned spec searches the same models in the same order from the same points.
    assert sorted([tuned.model.type, *tuned.tuning.models]) == sorted(
        ["decision_tree_classifier", *MODELS]
    )
    assert search_of(tuned) == search_of(spec)


def search_of(spec) -> str:
    """The models and the first trials of a spec's rendered search."""
    source = render_tune(spec, "penguins.csv")
    return source[source.index("MODELS = ") : source.index("def split_data")]


def test_queued_starting_points_do_not_outrun_the_trial_budget(project):
    spec = parse_spec(family_spec())
    storage = f"sqlite:///{project / 'budget.db'}"
    Tuner(spec, project, storage, study="budget").tune(trials=2)
    study = optuna.load_study(study_name="budget", storage=storage)
    finished = [t for t in study.trials if t.state.is_finished()]
    assert [t.params["model"] for t in finished] == ["random_forest_classifier", "gaussian_nb"]


def test_a_replaced_model_keeps_its_ranges_under_its_name(project):
    spec = parse_spec(family_spec())
    outcome = Tuner(spec, project, f"sqlite:///{project / 'keep.db'}").tune(trials=6)
    tuned = outcome.spec
    # Seeded: another model beats the decision tree on these trials.
    assert tuned.model.type != "decision_tree_classifier"
    assert "decision_tree_classifier" in tuned.tuning.models
    assert tuned.tuning.space["decision_tree_classifier.max_depth"].given() == SPACE["max_depth"]


def test_export_repeats_the_search_and_reproduces_the_chosen_model(project, tmp_path_factory):
    spec = parse_spec(family_spec(export_search=True))
    outcome = Tuner(spec, project, f"sqlite:///{project / 'export.db'}").tune(trials=6)
    runner = Runner(outcome.spec, project)
    result = runner.run()
    # train.py's cross-validation (same folds) scores the chosen model as the study did.
    assert result.report["cross_validation"]["mean"]["accuracy"] == pytest.approx(
        outcome.value, rel=0, abs=TOLERANCE
    )
    bundle = tmp_path_factory.mktemp("families")
    export(runner, bundle, result)
    assert_train_and_notebook_repeat(bundle, result.report, tuning_trials=6)
    run([sys.executable, "tune.py", "--trials", "6", "--out", "tune-out"], cwd=bundle)
    found = json.loads((bundle / "tune-out/tuning.json").read_text())
    assert found["model"] == outcome.model
    assert found["params"] == outcome.params
    assert found["value"] == pytest.approx(outcome.value, rel=0, abs=TOLERANCE)


def test_past_its_deadline_a_trial_stops_after_its_fold_once_one_has_completed(project):
    tuner = Tuner(parse_spec(family_spec()), project, f"sqlite:///{project / 'late.db'}")
    module, study = tuner.module(), tuner.study()
    folds = module.preprocessed_folds(tuner.train_df())
    past = time.monotonic() - 1
    # The first trial completes whatever the time: a search always ends with a result.
    study.optimize(lambda trial: module.objective(trial, folds, past), n_trials=1)
    study.optimize(lambda trial: module.objective(trial, folds, past), n_trials=1)
    first, second = [t for t in study.trials if t.state.is_finished()]
    assert first.state == optuna.trial.TrialState.COMPLETE
    assert len(first.intermediate_values) == len(folds)
    assert second.state == optuna.trial.TrialState.PRUNED
    assert list(second.intermediate_values) == [0]


def _trial(model: str, means: list[float], complete: bool = True) -> optuna.trial.FrozenTrial:
    """A trial of `model` whose mean after each fold is `means`."""
    return optuna.trial.create_trial(
        state=optuna.trial.TrialState.COMPLETE if complete else optuna.trial.TrialState.RUNNING,
        params={"model": model},
        distributions={"model": optuna.distributions.CategoricalDistribution(["good", "poor"])},
        value=means[-1] if complete else None,
        intermediate_values=dict(enumerate(means)),
    )


def test_median_pruning_compares_a_trial_with_its_own_models_trials(project):
    tuner = Tuner(parse_spec(family_spec(pruner="median")), project, "sqlite:///:memory:")
    pruner = tuner.module().SameModelMedianPruner()
    study = optuna.create_study(direction="maximize", pruner=pruner)
    for i in range(5):
        study.add_trial(_trial("good", [0.90 + i / 100, 0.95]))
    # Far below every "good" trial, yet a "poor" trial runs to the end until its model
    # has five completed trials of its own.
    for i in range(4):
        study.add_trial(_trial("poor", [0.50 + i / 100, 0.55]))
        assert not pruner.prune(study, _trial("poor", [0.40], complete=False))
    study.add_trial(_trial("poor", [0.54, 0.55]))
    # Then against the median of those (0.52 after the first fold), not of every trial.
    assert not pruner.prune(study, _trial("poor", [0.53], complete=False))
    assert pruner.prune(study, _trial("poor", [0.51], complete=False))
    assert pruner.prune(study, _trial("good", [0.91], complete=False))
    assert pruner.prune(study, _trial("poor", [float("nan")], complete=False))
    # A minimised metric: worse is higher.
    low = optuna.create_study(direction="minimize")
    for i in range(5):
        low.add_trial(_trial("good", [0.10 + i / 100, 0.1]))
    module = tuner.module()
    module.DIRECTION = "minimize"
    try:
        assert module.SameModelMedianPruner().prune(low, _trial("good", [0.13], complete=False))
        assert not module.SameModelMedianPruner().prune(low, _trial("good", [0.11], complete=False))
    finally:
        module.DIRECTION = "maximize"


def test_a_multi_model_search_uses_the_same_model_pruner_and_searches_each_model(project):
    spec = parse_spec(family_spec(pruner="median", cv_folds=3))
    tuner = Tuner(spec, project, f"sqlite:///{project / 'each.db'}")
    assert isinstance(tuner.study().pruner, tuner.module().SameModelMedianPruner)
    tuner.tune(trials=24)
    study = tuner.study()
    completed = {}
    for trial in study.get_trials(states=(optuna.trial.TrialState.COMPLETE,)):
        completed.setdefault(trial.params["model"], []).append(trial)
    # Every model the search chose had its first trials run on every fold.
    for model in {t.params["model"] for t in study.trials}:
        chosen = [t for t in study.trials if t.params["model"] == model]
        assert len(completed.get(model, [])) >= min(5, len(chosen)), model
    # A single-model search keeps Optuna's own median pruner.
    single = Tuner(parse_spec(spec_with(pruner="median")), project, "sqlite:///:memory:")
    assert type(single.study().pruner) is optuna.pruners.MedianPruner


# Forty trials of one model and one of another, each model's parameter in its own trials
# only: Optuna's importance warns of such a parameter at every call.
IMPORTANCE_OF_TWO_MODELS = """
import json, warnings
import optuna
import runtime.tuning

optuna.logging.set_verbosity(optuna.logging.WARNING)
models = optuna.distributions.CategoricalDistribution(["a", "b"])
study = optuna.create_study(direction="maximize")
for i in range(41):
    model, value = ("a", i / 40) if i < 40 else ("b", 0.99)
    study.add_trial(optuna.trial.create_trial(
        params={"model": model, model + ".x": value},
        distributions={"model": models, model + ".x": optuna.distributions.FloatDistribution(0, 1)},
        value=value,
    ))
with warnings.catch_warnings(record=True) as shown:
    importance = optuna.importance.get_param_importances(study)
print(json.dumps({"importance": importance, "warnings": [str(w.message) for w in shown]}))
"""


def test_parameter_importance_of_several_models_says_nothing_in_the_log():
    # In a new interpreter, as the server imports runtime.tuning (pytest resets the
    # warning filters a module sets while it is collected).
    found = subprocess.run(
        [sys.executable, "-c", IMPORTANCE_OF_TWO_MODELS],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    shown = json.loads(found.stdout)
    assert shown["importance"]["a.x"] > 0.5 and "b.x" in shown["importance"]
    assert not [w for w in shown["warnings"] if "Some regimes for parameter" in w]
