"""XGBoost regression's objective: squared error, or Tweedie for a target of zero or more.

The regressor (not the classifier) declares `objective`; Tweedie trains and its
export repeats the run; a target below 0 is refused with a message naming the
column and what to choose. The objective is not searched as declared (a target
below 0 would fail the trials): runtime.defaults.suggested_space proposes it with
the suggested models where the target allows, for `playground tune --models
suggested` and the Tune tab's "Suggest models".
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from reports import assert_same_report
from synthetic import TARGET, make_frame, model_steps, spec_dict, write_frame

from generator.bundle import export
from playground_ui.cli import main
from playground_ui.state import Workspace
from playground_ui.views.model import ModelView
from playground_ui.views.tune import TuneView
from runtime.defaults import suggested_space
from runtime.executor import PrefixCache, RunError, Runner
from runtime.models import MODELS_BY_NAME
from runtime.search_space import key_owner
from runtime.spec import load_spec, parse_spec
from runtime.tuning import Tuner

XGB = "xgboost_regressor"
FOREST = "random_forest_regressor"
SQUARED, TWEEDIE = "reg:squarederror", "reg:tweedie"
BOTH = {"choices": [SQUARED, TWEEDIE]}
QUICK = {"n_estimators": 30}


def frame(shift: float = 0.0) -> pd.DataFrame:
    """Synthetic regression rows whose target is about 100 ± 20, moved by `shift`."""
    df = make_frame(n_rows=120, task="regression", seed=3)
    df[TARGET] = df[TARGET] + shift
    return df


def counts() -> pd.DataFrame:
    """A target of zero or more, often 0 (as counts of rentals or claims are)."""
    df = frame(shift=-95)
    df[TARGET] = df[TARGET].clip(lower=0)
    return df


def spec_for(df: pd.DataFrame, folder: Path, model: str = XGB, **params):
    write_frame(df, folder)
    model_section = {"type": model, "params": {**(QUICK if model == XGB else {}), **params}}
    return parse_spec(spec_dict(df, "regression", model_steps(df), model_section))


def run(spec, folder: Path):
    runner = Runner(spec, folder, cache=PrefixCache())
    return runner, runner.run()


# -- the declaration ---------------------------------------------------------------------


def test_the_regressor_declares_the_objective_and_the_classifier_does_not():
    param = next(p for p in MODELS_BY_NAME[XGB].params if p.name == "objective")
    assert param.default == SQUARED and param.choices == (SQUARED, TWEEDIE)
    assert param.search is None  # searched only where the target allows (suggested_space)
    assert "zero or more" in param.help
    assert MODELS_BY_NAME[XGB].nonnegative_target.values == (TWEEDIE,)
    assert "objective" not in {p.name for p in MODELS_BY_NAME["xgboost_classifier"].params}


def test_tweedie_trains_and_predicts_nothing_below_zero(tmp_path):
    predictions = {}
    for objective in (SQUARED, TWEEDIE):
        spec = spec_for(counts(), tmp_path, objective=objective)
        assert spec.model.params["objective"] == objective
        runner, result = run(spec, tmp_path)
        assert result.pipeline[-1].get_params()["objective"] == objective
        test = runner.split_frames()["test"]
        predictions[objective] = result.pipeline.predict(test[spec.features])
        assert np.isfinite(result.metrics["test"]["r2"])
    # Near 0, where a log link matters: Tweedie never predicts below it.
    assert (predictions[TWEEDIE] >= 0).all()
    assert not np.allclose(predictions[TWEEDIE], predictions[SQUARED])


def test_a_spec_without_the_objective_trains_as_before(tmp_path):
    spec = spec_for(frame(), tmp_path)
    assert spec.model.params["objective"] == SQUARED  # filled in with the default


@pytest.mark.slow
def test_the_exported_train_py_repeats_a_tweedie_run(tmp_path):
    from test_reproduction import run as run_command

    spec = spec_for(frame(), tmp_path, objective=TWEEDIE)
    runner, result = run(spec, tmp_path)
    bundle = export(runner, tmp_path / "project", result)
    assert 'objective="reg:tweedie"' in (bundle / "train.py").read_text()
    out = tmp_path / "train-output"
    run_command([sys.executable, "train.py", "--out", str(out)], cwd=bundle)
    assert_same_report(json.loads((out / "metrics.json").read_text()), result.report)


# -- a target below 0 --------------------------------------------------------------------


def test_tweedie_on_a_target_below_zero_says_what_to_choose(tmp_path):
    spec = spec_for(frame(shift=-100), tmp_path, objective=TWEEDIE)
    with pytest.raises(RunError) as caught:
        run(spec, tmp_path)
    message = str(caught.value)
    assert message.startswith(
        "XGBoost's Tweedie objective needs a target of zero or more; 'target' has values "
        "below 0 (as low as "
    )
    assert message.endswith(
        "in the training rows: choose the squared error objective ('reg:squarederror')"
    )
    # Squared error takes the same target.
    run(spec_for(frame(shift=-100), tmp_path, objective=SQUARED), tmp_path)


def test_a_search_of_tweedie_on_a_target_below_zero_says_what_to_do(tmp_path):
    data = spec_dict(frame(shift=-100), "regression", model_steps(frame()), {"type": XGB})
    data["tuning"] = {"n_trials": 2, "cv_folds": 2, "space": {"objective": BOTH}}
    write_frame(frame(shift=-100), tmp_path)
    tuner = Tuner(parse_spec(data), tmp_path, f"sqlite:///{tmp_path / 'tweedie.db'}")
    with pytest.raises(RunError) as caught:
        tuner.tune(trials=4)
    message = str(caught.value)
    assert message.startswith("XGBoost's Tweedie objective needs a target of zero or more")
    assert message.endswith("or leave it out of the search (tuning.space)")
    assert "Traceback" not in message and "XGBoostError" not in message


@pytest.mark.slow
def test_the_model_tab_choice_fails_with_the_message_and_the_workspace_goes_on(tmp_path):
    ws = Workspace(tmp_path / "home")
    data = frame(shift=-100).to_csv(index=False).encode()
    assert ws.load_file("negative.csv", data) and ws.set_target(TARGET), ws.message
    assert ws.set_model(XGB, {**QUICK, "objective": TWEEDIE}), ws.message
    model_tab = ModelView(ws)
    model_tab._sync_models()
    model_tab._model(ws.revision, XGB)
    assert model_tab.form.values()["objective"] == TWEEDIE
    assert ws.train() is None
    assert "XGBoost's Tweedie objective needs a target of zero or more" in ws.message
    assert "choose the squared error objective" in ws.message
    # The training process failed alone: the next run trains.
    assert ws.set_model(XGB, {**QUICK, "objective": SQUARED}), ws.message
    assert ws.train() is not None, ws.message


# -- the suggestions -----------------------------------------------------------------------


def test_the_objective_is_suggested_only_for_a_target_of_zero_or_more(tmp_path):
    own = spec_for(frame(), tmp_path)
    other = spec_for(frame(), tmp_path, model=FOREST)
    target = frame()[TARGET]
    assert suggested_space(own, target) == {"objective": BOTH}
    assert suggested_space(other, target) == {f"{XGB}.objective": BOTH}
    with_gaps = target.copy()
    with_gaps[:5] = np.nan
    assert suggested_space(own, with_gaps) == {"objective": BOTH}
    below = target.copy()
    below[7] = -0.5
    assert suggested_space(own, below) == {}
    assert suggested_space(other, below) == {}


def test_a_suggestion_leaves_the_objective_the_spec_sets_alone(tmp_path):
    data = json.loads(json.dumps(spec_for(frame(), tmp_path).model_dump(mode="json")))
    data["tuning"] = {"space": {f"{XGB}.objective": {"fixed": SQUARED}}}
    spec = parse_spec(data)
    assert suggested_space(spec, frame()[TARGET]) == {}


def test_the_classifier_gets_no_objective_suggestion(tmp_path):
    df = make_frame(n_rows=60, task="binary", seed=3)
    write_frame(df, tmp_path)
    spec = parse_spec(spec_dict(df, "binary", model_steps(df), {"type": "xgboost_classifier"}))
    assert suggested_space(spec, pd.Series([0, 1] * 30)) == {}


@pytest.mark.slow
def test_tune_with_the_suggested_models_searches_the_objective(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PLAYGROUND_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("PLAYGROUND_OPTUNA_STORAGE", raising=False)
    data = spec_for(frame(), tmp_path).model_dump(mode="json")
    data["tuning"] = {"cv_folds": 2, "pruner": "none", "space": {"n_estimators": {"fixed": 20}}}
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(json.loads(json.dumps(data)), sort_keys=False))
    code = main(["tune", str(path), "--models", "suggested", "--trials", "3"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "searching objective over 'reg:squarederror', 'reg:tweedie' too" in out
    tuned = load_spec(tmp_path / "spec_tuned.yaml")
    searched = {key_owner(k, tuned.model.type): o.given() for k, o in tuned.tuning.space.items()}
    assert searched[(XGB, "objective")] == BOTH


def test_the_tune_tab_suggests_the_objective_beside_the_models(tmp_path):
    ws = Workspace(tmp_path / "home")
    data = frame().to_csv(index=False).encode()
    assert ws.load_file("counts.csv", data) and ws.set_target(TARGET), ws.message
    assert ws.set_model(FOREST), ws.message
    view = TuneView(ws)
    view._suggest()
    assert XGB in view.models.value
    assert "objective one of 'reg:squarederror', 'reg:tweedie'" in view.models_spaces.object
    assert view._save(), ws.message
    assert ws.spec.tuning.space[f"{XGB}.objective"].given() == BOTH
    # The Model tab's own XGBoost: the objective is a row of its search space.
    assert ws.set_model(XGB), ws.message
    assert ws.set_tuning(space={}), ws.message
    view = TuneView(ws)
    assert "objective" not in [row.dimension.name for row in view.rows]
    assert not view.suggest_button.disabled
    view._suggest()
    (row,) = [row for row in view.rows if row.dimension.name == "objective"]
    assert row.choices.value == [SQUARED, TWEEDIE]
    assert view._save(), ws.message
    assert ws.spec.tuning.space["objective"].given() == BOTH
    assert "objective" in [row.dimension.name for row in TuneView(ws).rows]


def test_the_tune_tab_suggests_no_objective_for_a_target_below_zero(tmp_path):
    ws = Workspace(tmp_path / "home")
    data = frame(shift=-100).to_csv(index=False).encode()
    assert ws.load_file("negative.csv", data) and ws.set_target(TARGET), ws.message
    assert ws.set_model(XGB), ws.message
    assert ws.suggested_tuning_space() == {}
    view = TuneView(ws)
    view._suggest()
    assert "objective" not in [row.dimension.name for row in view.rows]
    assert "objective" not in view.models_spaces.object
