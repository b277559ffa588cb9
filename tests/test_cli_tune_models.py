"""`playground tune SPEC --models ...`: the other models this run's search may choose
(tuning.models), said in the header; the winning model named at the end and
written as the tuned spec's model; a name the search cannot take refused in one
line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from reports import assert_user_error
from test_tuning import PENGUINS
from test_tuning import SPEC as PENGUINS_SPEC

from playground_ui.cli import main
from runtime.defaults import suggested_models
from runtime.spec import load_spec

TREE = "decision_tree_classifier"
FOREST = "random_forest_classifier"
BOOSTED = "xgboost_classifier"

# Penguins by their measurements (test_tuning's spec), with a decision tree held to
# one split (it cannot tell three species apart well), and a small forest and small
# boosted trees the search may choose instead.
SPEC = {
    **json.loads(json.dumps(PENGUINS_SPEC)),
    "tuning": {
        "metric": "accuracy",
        "cv_folds": 2,
        "n_trials": 4,
        "pruner": "none",
        "models": [FOREST, BOOSTED],
        "space": {
            "max_depth": {"choices": [1]},
            f"{FOREST}.n_estimators": {"low": 5, "high": 20},
            f"{BOOSTED}.n_estimators": {"low": 5, "high": 20},
        },
    },
}
assert SPEC["model"] == {"type": TREE}


def write(folder: Path, data: dict, name: str = "spec.yaml") -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """A folder holding the spec and its data; the study storage in its home."""
    monkeypatch.setenv("PLAYGROUND_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("PLAYGROUND_OPTUNA_STORAGE", raising=False)
    (tmp_path / "data").mkdir()
    shutil.copy(PENGUINS, tmp_path / "data" / "penguins.csv")
    write(tmp_path, SPEC)
    return tmp_path


def spec_with(**tuning) -> dict:
    data = json.loads(json.dumps(SPEC))
    data["tuning"].update(tuning)
    return data


@pytest.mark.parametrize(
    ("given", "fragment"),
    [
        ("nosuch", "tuning.models: 'nosuch' is not a model a multiclass search can choose"),
        (f"{FOREST},ridge", "tuning.models: 'ridge' is not a model a multiclass search"),
        ("stacking_classifier", "'stacking_classifier' is not a model a multiclass search"),
        (" , ", "--models ' , ': give model names separated by commas"),
    ],
)
def test_a_name_the_search_cannot_take_is_refused_in_one_line(project, capsys, given, fragment):
    code = main(["tune", str(project / "spec.yaml"), "--models", given, "--trials", "1"])
    assert_user_error(code, *capsys.readouterr(), fragment)
    assert not (project / "spec_tuned.yaml").exists()


def test_a_grid_search_refuses_models(project, capsys):
    data = spec_with(method="grid", models=[], space={"max_depth": {"low": 1, "high": 3}})
    grid = write(project, data, "grid.yaml")
    code = main(["tune", str(grid), "--models", FOREST, "--trials", "1"])
    assert_user_error(code, *capsys.readouterr(), "a grid search tunes one model")


def test_none_tunes_the_spec_model_alone(project, capsys):
    code = main(["tune", str(project / "spec.yaml"), "--models", "none", "--trials", "1"])
    out, err = capsys.readouterr()
    assert code == 0, err
    header = out.splitlines()[0]
    assert header.startswith(f"Tuning {TREE} by accuracy (tpe, 2-fold")
    assert "best model" not in out
    tuned = load_spec(project / "spec_tuned.yaml")
    assert tuned.model.type == TREE and tuned.model.params["max_depth"] == 1
    # The other models' ranges went with them: the tuned spec searches the tree alone.
    assert tuned.tuning.models == [] and list(tuned.tuning.space) == ["max_depth"]


def test_suggested_searches_the_models_the_playground_proposes(project, capsys):
    proposed = suggested_models(load_spec(project / "spec.yaml"))
    assert proposed == ["extra_trees_classifier", FOREST, BOOSTED]
    code = main(["tune", str(project / "spec.yaml"), "--models", "suggested", "--trials", "1"])
    out, err = capsys.readouterr()
    assert code == 0, err
    names = ", ".join([TREE, *proposed])
    assert out.splitlines()[0].startswith(f"Tuning {names} (the best of these models) by")
    assert "best model: " in out


def test_the_search_chooses_among_the_models_and_names_the_winner(project, capsys):
    # The tree with one split scores about 0.7; a forest tells the species apart.
    args = ["tune", str(project / "spec.yaml"), "--models", FOREST, "--trials", "8"]
    code = main([*args, "-o", str(project / "out" / "tuned.yaml")])
    out, err = capsys.readouterr()
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith(f"Tuning {TREE}, {FOREST} (the best of these models) by accuracy")
    assert f"best model: {FOREST} (Random forest), in place of {TREE}" in lines
    tuned = load_spec(project / "out" / "tuned.yaml")
    assert tuned.model.type == FOREST
    assert 5 <= tuned.model.params["n_estimators"] <= 20
    assert f"  n_estimators = {tuned.model.params['n_estimators']!r}" in lines
    assert tuned.tuning.best.value > 0.9
