"""Averaging the best models of a search (`tune(average=True)`, `playground tune
--average`): the average ensemble of the best models, kept when it cross-validates
better than the best trial; what train.py and the exported tune.py make of it."""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import optuna
import pytest
from reports import TOLERANCE, assert_user_error
from test_reproduction import run
from test_tuning import PENGUINS, ROOT, assert_train_and_notebook_repeat
from test_tuning_models import family_spec

from generator.bundle import export
from playground_ui.cli import main
from playground_ui.state import Workspace
from playground_ui.views.tune import TuneView
from runtime.defaults import default_spec
from runtime.executor import Runner
from runtime.models import MODELS_BY_NAME
from runtime.spec import load_spec, parse_spec, spec_to_dict
from runtime.tuning import AVERAGE_SHARE, AverageOutcome, Tuner, with_average

TREE = "decision_tree_classifier"
FOREST = "random_forest_classifier"
GERMAN_CREDIT = ROOT / "examples" / "data" / "german_credit.csv"
MODELS = ["gaussian_nb", FOREST]
# Small forests and boosted trees, so that a search takes seconds.
SPACE = {"n_estimators": {"low": 20, "high": 60}, f"{FOREST}.n_estimators": {"low": 10, "high": 40}}
# Seeded: in these 6 trials of german credit by ROC AUC, XGBoost (the default model)
# wins, and its average with the best forest and naive Bayes scores better on the
# other folds.
TRIALS = 6


def credit_spec(project, **tuning) -> dict:
    """playground init's spec of german credit, with a search of three models."""
    shutil.copy(GERMAN_CREDIT, project / "german_credit.csv")
    data = spec_to_dict(default_spec(project / "german_credit.csv", "class", project))
    data["tuning"] = {"metric": "roc_auc", "cv_folds": 3, "n_trials": TRIALS}
    data["tuning"].update({"models": MODELS, "space": SPACE, **tuning})
    return data


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A folder holding penguins; the CLI's study storage in its home."""
    monkeypatch.setenv("PLAYGROUND_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("PLAYGROUND_OPTUNA_STORAGE", raising=False)
    (tmp_path / "data").mkdir()
    shutil.copy(PENGUINS, tmp_path / "data" / "penguins.csv")
    return tmp_path


@pytest.fixture
def averaged(project):
    spec = parse_spec(credit_spec(project, export_search=True))
    tuner = Tuner(spec, project, f"sqlite:///{project / 'average.db'}", study="average")
    return tuner, tuner.tune(trials=TRIALS, average=True)


def test_the_best_models_averaged_score_better_than_the_best_trial(averaged):
    tuner, outcome = averaged
    average = outcome.average
    assert average is not None and average.value > average.alone
    names = [name for name, _ in average.members]
    # The best model first, then the next best by its own best trial.
    assert names[0] == outcome.model and average.members[0][1] == outcome.params
    study = tuner.study()
    complete = study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))
    best_of = {name: max(t.value for t in complete if t.params["model"] == name) for name in names}
    others = {t.params["model"] for t in complete} - set(names)
    assert all(
        best_of[names[1]] >= max(t.value for t in complete if t.params["model"] == other)
        for other in others
    )

    ensemble = average.spec
    assert ensemble.model.type == "average_ensemble_classifier"
    assert ensemble.tuning is None  # an ensemble is not tuned
    assert [m.type for m in ensemble.model.members] == names
    # A member the spec did not hold takes its declared defaults besides the tuned values.
    other, tuned = average.members[1]
    declared = {p.name: p.default for p in MODELS_BY_NAME[other].params}
    assert ensemble.model.members[1].params == {**declared, **tuned}


def test_the_average_scores_as_train_py_builds_it_and_the_export_repeats_it(
    averaged, project, tmp_path_factory
):
    tuner, outcome = averaged
    runner = Runner(outcome.average.spec, project)
    # The average ensemble train.py builds, fitted as a whole pipeline on each of the
    # other folds best_average compared on (the training rows shuffled with SEED + 1).
    _, train = runner.modules()
    train_df = tuner.train_df()
    scores = []
    for fit_df, score_df in tuner.module().cv_folds(train_df, 3, train.SEED + 1):
        pipeline = train.build_pipeline().fit(*train.features_and_target(fit_df))
        metrics, _ = train.evaluate(pipeline, *train.features_and_target(score_df))
        scores.append(metrics["roc_auc"])
    assert sum(scores) / len(scores) == pytest.approx(outcome.average.value, rel=0, abs=TOLERANCE)
    result = runner.run()
    bundle = tmp_path_factory.mktemp("average")
    export(runner, bundle, result)
    assert_train_and_notebook_repeat(bundle, result.report, tuning_trials=TRIALS)


def test_no_model_joins_the_average_past_the_deadline(averaged):
    tuner, outcome = averaged
    module = tuner.module()
    late = module.best_average(tuner.study(), tuner.train_df(), time.monotonic() - 1)
    assert late is None and outcome.average is not None


@pytest.mark.slow
def test_the_exported_search_finds_the_same_average(averaged, tmp_path_factory):
    tuner, outcome = averaged
    runner = Runner(outcome.spec, tuner.base_dir)
    bundle = tmp_path_factory.mktemp("search")
    export(runner, bundle, runner.run())
    out = run([sys.executable, "tune.py", "--trials", str(TRIALS), "--out", "o"], cwd=bundle)
    found = json.loads((bundle / "o/tuning.json").read_text())["average"]
    assert [(m["model"], m["params"]) for m in found["members"]] == [
        (name, params) for name, params in outcome.average.members
    ]
    assert found["value"] == pytest.approx(outcome.average.value, rel=0, abs=TOLERANCE)
    assert found["best_model_alone"] == pytest.approx(outcome.average.alone, rel=0, abs=TOLERANCE)
    # It prints the average's score and the best model's alone, as tuning.json holds them.
    assert f"scores better: roc_auc {found['value']:.6f} against " in out.stdout
    assert f"against {found['best_model_alone']:.6f} for " in out.stdout
    # The export, its search and the notebook's search cell included, passes ruff.
    ruff = Path(sys.executable).parent / "ruff"
    run([str(ruff), "check", "--isolated", "--no-cache", "."], cwd=bundle)


def test_one_model_is_not_averaged_and_keeps_its_whole_budget(project, monkeypatch):
    spec = parse_spec(family_spec(models=[], space={"max_depth": {"low": 1, "high": 6}}))
    tuner = Tuner(spec, project, f"sqlite:///{project / 'one.db'}")
    budgets = []
    monkeypatch.setattr(tuner, "search", lambda total, timeout, cb: budgets.append(timeout))
    with pytest.raises(Exception, match="no trial"):
        tuner.tune(trials=2, timeout=10, average=True)
    assert budgets == [10]
    family = Tuner(parse_spec(family_spec()), project, f"sqlite:///{project / 'two.db'}")
    monkeypatch.setattr(family, "search", lambda total, timeout, cb: budgets.append(timeout))
    with pytest.raises(Exception, match="no trial"):
        family.tune(trials=2, timeout=10, average=True)
    assert budgets[1] == pytest.approx(10 * (1 - AVERAGE_SHARE))


def test_cli_writes_the_average_and_refuses_it_without_models(project, capsys):
    spec = project / "credit.yaml"
    spec.write_text(json.dumps(credit_spec(project)))
    code = main(["tune", str(spec), "--models", "none", "--average", "--trials", "1"])
    assert_user_error(code, *capsys.readouterr(), "--average: averages the best of several")
    code = main(["tune", str(spec), "--average", "--trials", str(TRIALS)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "the tuned spec is that average ensemble" in out
    assert "for xgboost_classifier alone (on folds shuffled otherwise" in out
    tuned = load_spec(project / "credit_tuned.yaml")
    assert tuned.model.type == "average_ensemble_classifier"
    assert tuned.tuning is None


# -- the Tune tab ------------------------------------------------------------------------


@pytest.fixture
def ws(tmp_path):
    """Penguins' species by a decision tree, searched with a forest and naive Bayes."""
    ws = Workspace(tmp_path)
    assert ws.load_example("penguins.csv") and ws.set_target("species"), ws.message
    assert ws.set_model(TREE), ws.message
    assert ws.set_tuning(models=[FOREST, "gaussian_nb"]), ws.message
    return ws


def average_of(spec, value: float = 0.99) -> AverageOutcome:
    members = [(TREE, {"max_depth": 3}), (FOREST, {"n_estimators": 50})]
    return AverageOutcome(parse_spec(with_average(spec, members)), members, value, 0.96)


def test_using_the_average_makes_it_the_model_and_undo_restores_the_search(ws):
    searched = ws.spec
    assert ws.use_average(average_of(searched), searched=searched), ws.message
    assert "The average of Decision tree and Random forest" in ws.message
    model = ws.spec.model
    assert model.type == "average_ensemble_classifier" and ws.spec.tuning is None
    assert [m.type for m in model.members] == [TREE, FOREST]
    assert model.members[0].params["max_depth"] == 3
    assert model.members[1].params["n_estimators"] == 50
    ws.undo()
    assert ws.spec == searched
    # A search of a model since replaced is not used.
    assert ws.set_model("extra_trees_classifier"), ws.message
    assert not ws.use_average(average_of(searched), searched=searched)
    assert "the model changed since this search" in ws.message


def test_the_tab_offers_the_average_when_it_scores_better(ws):
    view = TuneView(ws)
    view._load()
    assert not view.average.disabled and view.average.value
    searched = ws.spec
    outcome = SimpleNamespace(
        spec=searched,
        model=TREE,
        params={"max_depth": 3},
        value=0.97,
        trials=8,
        study_name="s",
        average=average_of(searched, 0.985),
    )
    job = SimpleNamespace(
        progress=None,
        done=True,
        error=None,
        outcome=outcome,
        tuner=SimpleNamespace(spec=searched),
        average=True,
    )
    view._job = job
    view._poll = SimpleNamespace(stop=lambda: None)  # what the page's timer would be
    view._check()
    assert (
        "The average of Decision tree and Random forest scores better: **0.985000** against "
        "0.960000 for Decision tree alone" in view.status.object
    )
    assert view.use_average_button.visible and not view.use_average_button.disabled
    view._use_average()
    assert ws.spec.model.type == "average_ensemble_classifier", ws.message
    assert view.use_average_button.disabled and view.use_button.disabled
    # A search whose average did not score better says so.
    job.outcome = SimpleNamespace(**{**vars(outcome), "average": None})
    view._poll = SimpleNamespace(stop=lambda: None)
    view._check()
    assert "No average of the best models scored better" in view.status.object
    assert not view.use_average_button.visible
    # Without other models there is nothing to average.
    ws.undo()
    view.models.value = []
    assert view.average.disabled
