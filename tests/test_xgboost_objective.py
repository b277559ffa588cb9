"""XGBoost regression's objective: squared error, or Tweedie for a target of zero or more.

The regressor (not the classifier) declares `objective`; Tweedie trains and its
export repeats the run; a target below 0 is refused with a message naming the
column and what to choose.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from reports import assert_same_report
from synthetic import TARGET, make_frame, model_steps, spec_dict, write_frame

from generator.bundle import export
from playground_ui.state import Workspace
from playground_ui.views.model import ModelView
from runtime.executor import PrefixCache, RunError, Runner
from runtime.models import MODELS_BY_NAME
from runtime.spec import parse_spec

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
