"""Reproduction of every model family, one model each, on small synthetic data.

The examples (tests/test_reproduction.py) cover some families; this test covers
the rest, more cheaply: the project is exported, `train.py` runs in it (in one
process with a FastAPI TestClient of its app) and its notebook through
papermill; both must report the runtime's metrics to 1e-9 and the API must
answer the runtime's predictions on the test split. The first test checks that
every model of the catalog belongs to a family, and that every family is
covered by an example or by a case here.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from reports import assert_same_report
from synthetic import make_frame, model_steps, spec_dict, write_frame
from test_reproduction import (
    EXAMPLES,
    VENV_BIN,
    assert_same_prediction,
    expected_predictions,
    json_rows,
    python_files,
    run,
)

from generator.bundle import export
from runtime.executor import PrefixCache, Runner
from runtime.models import MODEL_TYPES, MODELS_BY_NAME
from runtime.spec import parse_spec

# Estimator classes by family, as the project's "done when" names them.
FAMILIES = {
    "linear": ("LogisticRegression", "Ridge", "Lasso", "ElasticNet", "LinearRegression"),
    "SVM": ("LinearSVC", "SVC", "SVR"),
    "neighbours": ("KNeighborsClassifier", "KNeighborsRegressor"),
    "naive Bayes": ("GaussianNB", "BernoulliNB"),
    "tree": ("DecisionTreeClassifier", "DecisionTreeRegressor"),
    "forest": (
        "RandomForestClassifier",
        "RandomForestRegressor",
        "ExtraTreesClassifier",
        "ExtraTreesRegressor",
    ),
    "gradient boosting": ("GradientBoostingClassifier", "GradientBoostingRegressor"),
    "hist boosting": ("HistGradientBoostingClassifier", "HistGradientBoostingRegressor"),
    "AdaBoost": ("AdaBoostClassifier",),
    "MLP": ("MLPClassifier", "MLPRegressor"),
    "XGBoost": ("XGBClassifier", "XGBRegressor"),
    "k-means": ("KMeans", "MiniBatchKMeans"),
    "DBSCAN": ("DBSCAN",),
    "agglomerative": ("AgglomerativeClustering",),
    "Gaussian mixture": ("GaussianMixture",),
    "ensemble": ("VotingClassifier", "VotingRegressor", "StackingClassifier", "StackingRegressor"),
}
# Families whose models need more than a model type (an ensemble lists its members),
# reproduced by their own tests.
REPRODUCED_ELSEWHERE = {"ensemble": "tests/test_ensembles.py"}

# One model per family the examples leave out: (model, task, parameters that keep it quick).
CASES = {
    "neighbours": ("knn_classifier", "multiclass", {}),
    "naive Bayes": ("gaussian_nb", "binary", {}),
    "tree": ("decision_tree_regressor", "regression", {}),
    "gradient boosting": ("gradient_boosting_classifier", "binary", {"n_estimators": 20}),
    "hist boosting": ("hist_gradient_boosting_regressor", "regression", {"max_iter": 30}),
    "AdaBoost": ("adaboost_classifier", "multiclass", {"n_estimators": 20}),
    "MLP": ("mlp_regressor", "regression", {"hidden_layer_sizes": 16, "max_iter": 300}),
    "agglomerative": ("agglomerative", "clustering", {"linkage": "average"}),
    "Gaussian mixture": ("gaussian_mixture", "clustering", {"covariance_type": "diag"}),
}
# Known groups kept aside, compared with the clusters by the adjusted Rand index.
LABEL_COLUMN = "cat_b"


def family_of(model_name: str) -> str:
    cls = MODELS_BY_NAME[model_name].cls
    return next(family for family, classes in FAMILIES.items() if cls in classes)


def test_every_family_is_reproduced_by_an_example_or_a_case():
    assert {family_of(m.name) for m in MODEL_TYPES} == set(FAMILIES)
    in_examples = {family_of(yaml.safe_load(p.read_text())["model"]["type"]) for p in EXAMPLES}
    assert {family_of(model) for model, _, _ in CASES.values()} == set(CASES)
    assert in_examples | set(CASES) | set(REPRODUCED_ELSEWHERE) == set(FAMILIES)
    # Each case covers a family the examples do not, so none runs twice.
    assert not in_examples & set(CASES)


def case_spec(model: str, task: str, params: dict, folder: Path):
    df = make_frame(n_rows=150, task=task, missing_target=task != "clustering", seed=11)
    write_frame(df, folder)
    categorical = ("cat_a",) if task == "clustering" else ("cat_a", "cat_b")
    data = spec_dict(df, task, model_steps(df, categorical), {"type": model, "params": params})
    if task == "clustering":
        next(c for c in data["columns"] if c["name"] == LABEL_COLUMN)["role"] = "ignore"
        data["evaluation"] = {"label_column": LABEL_COLUMN}
    return parse_spec(data)


# Runs train.py as `python train.py --out OUT` would, then asks the app for the rows.
DRIVER = """
import json, os, runpy, sys
out, rows_path, answer_path = sys.argv[1:]
sys.path.insert(0, os.getcwd())
sys.argv = ["train.py", "--out", out]
runpy.run_path("train.py", run_name="__main__")
os.environ["MODEL_PATH"] = os.path.join(out, "model.joblib")
from fastapi.testclient import TestClient
from app.main import app
rows = json.load(open(rows_path))
with TestClient(app) as client:
    batch = client.post("/predict/batch", json={"rows": rows})
    single = client.post("/predict", json=rows[0])
answer = {"batch": [batch.status_code, batch.json()], "single": [single.status_code, single.json()]}
json.dump(answer, open(answer_path, "w"))
"""

pytestmark = pytest.mark.slow


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("family", CASES)
def test_exported_project_reproduces_the_family(tmp_path, family):
    model, task, params = CASES[family]
    spec = case_spec(model, task, params, tmp_path)
    runner = Runner(spec, tmp_path, cache=PrefixCache())
    result = runner.run()
    bundle = export(runner, tmp_path / "project", result)

    assert_served_and_trained(tmp_path, bundle, runner, result)
    if task == "clustering":
        assert all("adjusted_rand" in m for m in result.metrics.values())
    assert_notebook_and_code(tmp_path, bundle, result)


def assert_served_and_trained(tmp_path: Path, bundle: Path, runner: Runner, result):
    """train.py, and the API serving the model it wrote (in one fresh process), give
    the runtime's metrics and its predictions on the test split. Returns the test
    rows, the predictions and the folder train.py wrote to."""
    spec = result.spec
    X = runner.split_frames()["test"][spec.features]
    rows = json_rows(X)
    (tmp_path / "rows.json").write_text(json.dumps(rows))
    (tmp_path / "driver.py").write_text(DRIVER)
    out, answer = tmp_path / "train-output", tmp_path / "answer.json"
    run(
        [sys.executable, str(tmp_path / "driver.py"), str(out), "../rows.json", str(answer)], bundle
    )
    assert_same_report(json.loads((out / "metrics.json").read_text()), result.report)
    expected = expected_predictions(SimpleNamespace(spec=spec, result=result), X)
    (status, body), (single_status, single) = json.loads(answer.read_text()).values()
    assert status == 200 and single_status == 200, (body, single)
    assert len(body["predictions"]) == len(expected) == len(X)
    for i, (got, want) in enumerate(zip(body["predictions"], expected, strict=True)):
        assert_same_prediction(got, want, f"test row {i}")
    assert_same_prediction(single, expected[0], "/predict")
    return X, expected, out


def assert_notebook_and_code(tmp_path: Path, bundle: Path, result) -> None:
    """The notebook, run through papermill, tells the same story; the code is clean."""
    import papermill

    papermill.execute_notebook(
        str(bundle / "notebook.ipynb"),
        str(tmp_path / "notebook.out.ipynb"),
        parameters={"output_dir": str(tmp_path / "notebook-output")},
        kernel_name="python3",
        cwd=str(bundle),
        progress_bar=False,
    )
    notebook = json.loads((tmp_path / "notebook-output" / "metrics.json").read_text())
    assert_same_report(notebook, result.report)

    files = [str(p.relative_to(bundle)) for p in python_files(bundle)]
    run([str(VENV_BIN / "ruff"), "check", "--isolated", "--no-cache", *files], bundle)
    run([str(VENV_BIN / "black"), "--check", "--quiet", *files], bundle)
