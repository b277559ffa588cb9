"""The model catalog's declarative fields: wrappers, cluster counts and costs.

`size_warning` warns, with a rough time estimate, before a run whose data is
large for the model; the runner computes it before training and the CLI
prints it on stderr before training starts. Wrapped models render inside
their meta-estimator, with its imports; clustering models name the attribute
that holds their number of clusters.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score, silhouette_score
from synthetic import build_estimator, make_frame, model_dict, spec_dict, write_frame

from generator.bundle import requirements
from generator.render import model_code, render_train, training_context
from playground_ui.cli import main
from runtime import executor
from runtime.executor import PrefixCache, Runner
from runtime.models import (
    CALIBRATED,
    MODEL_TYPES,
    MODELS_BY_NAME,
    SCALED_TARGET,
    Cost,
    ModelType,
    size_warning,
)
from runtime.spec import parse_spec, save_spec

# What warns today breaks when the pinned libraries are upgraded.
pytestmark = pytest.mark.filterwarnings("error::DeprecationWarning", "error::FutureWarning")

KERNEL_SVMS = [m for m in MODEL_TYPES if m.cls in ("SVC", "SVR")]
COSTLY = [m for m in MODEL_TYPES if m.cost is not None]
FREE = [m for m in MODEL_TYPES if m.cost is None]


def model_spec(decl: ModelType, params: dict | None = None):
    task = decl.tasks[0]
    df = make_frame(n_rows=20, task=task)
    return parse_spec(spec_dict(df, task, model=model_dict(decl, task, params)))


def build(decl: ModelType, params: dict | None = None, seed: int = 7):
    """The estimator the rendered model expression builds, from its declared imports."""
    return build_estimator(model_spec(decl, params), seed)


def numeric_data(n_rows: int = 80, n_classes: int = 2):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n_rows, 4))
    score = X[:, 0] - X[:, 1] + rng.normal(0, 0.3, n_rows)
    y = np.digitize(score, np.quantile(score, np.linspace(0, 1, n_classes + 1)[1:-1]))
    return X, y, score


# -- size_warning ----------------------------------------------------------------


@pytest.mark.parametrize("decl", FREE, ids=lambda m: m.name)
def test_models_without_a_cost_never_warn(decl):
    assert size_warning(decl, 10_000_000, 1_000) is None


def test_slow_models_declare_a_cost():
    slow = {"SVC", "SVR", "KNeighborsClassifier", "KNeighborsRegressor"}
    slow |= {"MLPClassifier", "MLPRegressor"}
    assert slow <= {m.cls for m in COSTLY}


@pytest.mark.parametrize("decl", KERNEL_SVMS, ids=lambda m: m.name)
def test_kernel_svms_warn_above_20000_rows(decl):
    assert size_warning(decl, 20_000, 10) is None
    assert size_warning(decl, 20_001, 10) is not None
    message = size_warning(decl, 50_000, 10)
    # Which model, how much data, how long, why, and what to do instead.
    assert message.startswith(f"{decl.title} on 50,000 training rows × 10 features")
    assert "about 6 to 16 min" in message  # 60 s × 2.5² … 60 s × 2.5³
    assert "between the square and the cube of the number of rows" in message
    assert "much faster" in message
    assert "\n" not in message


@pytest.mark.parametrize("decl", COSTLY, ids=lambda m: m.name)
def test_every_cost_warns_only_beyond_its_threshold(decl):
    cost = decl.cost
    features = cost.features or 10
    assert size_warning(decl, cost.rows, features) is None
    assert size_warning(decl.name, cost.rows // 2, features) is None
    assert size_warning(decl, 0, features) is None
    message = size_warning(decl.name, cost.rows * 4, features)
    assert message and message.startswith(decl.title) and cost.advice in message


def test_the_estimate_grows_with_rows_and_features():
    cost = Cost(rows=1000, seconds=10.0, growth=(2, 3), features=20)
    assert cost.estimate(2000, 20) == pytest.approx((40.0, 80.0))
    assert cost.estimate(2000, 40) == pytest.approx((80.0, 160.0))
    # Below the reference size the range stays ordered.
    assert cost.estimate(500, 20) == pytest.approx((1.25, 2.5))
    with pytest.raises(ValueError):
        Cost(rows=1000, seconds=10.0, growth=(3, 2))


def test_features_count_where_the_cost_grows_with_them():
    knn = MODELS_BY_NAME["knn_classifier"]
    rows = knn.cost.rows // 2
    assert size_warning(knn, rows, knn.cost.features) is None
    assert size_warning(knn, rows, knn.cost.features * 10) is not None
    svm = MODELS_BY_NAME["svm_classifier"]
    assert size_warning(svm, svm.cost.rows, 1000) is None  # rows alone decide


def test_durations_read_at_a_glance():
    decl = ModelType(
        name="slow",
        title="Slow model",
        tasks=("regression",),
        module="m",
        cls="C",
        explanation="",
        cost=Cost(rows=100, seconds=30.0, advice="Sample fewer rows."),
    )
    assert "may take about 60 s:" in size_warning(decl, 200, 5)
    assert "may take about 10 min:" in size_warning(decl, 2000, 5)
    assert "may take about 8.3 h:" in size_warning(decl, 100_000, 5)
    assert "may take about 35 days:" in size_warning(decl, 10_000_000, 5)
    assert size_warning(decl, 200, 5).endswith(
        "(roughly 30 s at 100 rows on one core). Sample fewer rows."
    )


# -- the runner and the CLI ------------------------------------------------------


# Steps that turn the synthetic columns into clean numbers a model can fit.
DATE_PARTS = [f"when_{part}" for part in ("year", "month", "day", "weekday")]
NUMBER_STEPS = [
    {"type": "date_parts", "params": {"column": "when"}},
    {"type": "impute_numeric", "params": {"columns": ["num_a", "num_b", *DATE_PARTS]}},
    {"type": "impute_categorical", "params": {"columns": ["cat_a", "cat_b"]}},
    {"type": "one_hot", "params": {"columns": ["cat_a", "cat_b"]}},
]


def write_spec(tmp_path, n_rows: int, model: dict, steps: list[dict] | None = None):
    df = make_frame(n_rows=n_rows, task="binary")
    write_frame(df, tmp_path)
    return parse_spec(spec_dict(df, "binary", steps, model=model))


def test_runner_warns_before_training_on_large_data(tmp_path):
    spec = write_spec(tmp_path, 40_000, {"type": "svm_classifier"})
    runner = Runner(spec, tmp_path, cache=PrefixCache())
    rows, columns = runner.training_shape()
    # No column step: the training share of the cleaned rows, and the features.
    assert abs(rows - len(runner.split_frames()["train"])) <= 1
    assert columns == len(spec.features)
    (warning,) = runner.warnings()
    assert warning == size_warning("svm_classifier", rows, columns)


def test_training_shape_is_exact_after_column_steps(tmp_path):
    steps = [
        {"type": "drop_missing_target"},
        {"type": "one_hot", "params": {"columns": ["cat_a", "cat_b"]}},
    ]
    spec = write_spec(tmp_path, 200, {"type": "svm_classifier"}, steps)
    runner = Runner(spec, tmp_path, cache=PrefixCache())
    rows, columns = runner.training_shape()
    assert rows == len(runner.split_frames()["train"])
    assert columns == len(runner.preview(2).summary)
    assert runner.warnings() == []


def test_run_result_carries_the_warnings(tmp_path, monkeypatch):
    spec = write_spec(tmp_path, 60, {"type": "gaussian_nb"}, NUMBER_STEPS)
    assert Runner(spec, tmp_path, cache=PrefixCache()).run().warnings == []
    monkeypatch.setattr(executor, "size_warning", lambda *args: "large data")
    assert Runner(spec, tmp_path, cache=PrefixCache()).run().warnings == ["large data"]


@pytest.mark.parametrize("as_json", [False, True])
def test_cli_prints_the_warnings_on_stderr_before_training(tmp_path, monkeypatch, capsys, as_json):
    spec = write_spec(tmp_path, 60, {"type": "gaussian_nb"}, NUMBER_STEPS)
    spec_path = tmp_path / "spec.yaml"
    save_spec(spec, spec_path)
    monkeypatch.setattr(executor, "size_warning", lambda decl, rows, cols: f"{rows} rows")
    seen_before_training = []
    run = Runner.run

    def recording_run(self):
        seen_before_training.append(capsys.readouterr().err)
        return run(self)

    monkeypatch.setattr(Runner, "run", recording_run)
    code = main(["run", str(spec_path), *(["--json"] if as_json else [])])
    out, err = capsys.readouterr()
    assert code == 0 and err == ""
    rows, _ = Runner(spec, tmp_path, cache=PrefixCache()).training_shape()
    assert seen_before_training == [f"warning: {rows} rows\n"]
    if as_json:
        assert json.loads(out)["warnings"] == [f"{rows} rows"]


# -- wrappers --------------------------------------------------------------------

WRAPPED = [m for m in MODEL_TYPES if m.wrapper is not None]
CLASSIFIERS = [m for m in MODEL_TYPES if "binary" in m.tasks]


@pytest.mark.parametrize("decl", WRAPPED, ids=lambda m: m.name)
def test_wrapped_models_render_inside_their_wrapper_with_its_imports(decl):
    spec = model_spec(decl)
    code = model_code(spec)
    assert code.startswith(f"{decl.wrapper.cls}({decl.cls}(")
    imports = training_context(spec)["training_imports"]
    assert set(decl.import_lines) <= set(imports)
    compile(render_train(spec, "data.csv"), "train.py", "exec")
    params = build(decl).get_params()
    for name, value in spec.model.params.items():
        assert params[decl.param_key(name)] == value


# Convergence on this tiny table is beside the point here.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("decl", CLASSIFIERS, ids=lambda m: m.name)
def test_every_classifier_gives_the_same_probabilities_twice(decl):
    X, y, _ = numeric_data(n_classes=3)
    params = {"n_estimators": 5} if any(p.name == "n_estimators" for p in decl.params) else {}
    first = build(decl, params).fit(X, y).predict_proba(X)
    second = build(decl, params).fit(X, y).predict_proba(X)
    assert first.shape == (len(X), 3)
    np.testing.assert_allclose(first.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(first, second)


def test_classifiers_without_probabilities_are_calibrated():
    calibrated = {m.cls for m in MODEL_TYPES if m.wrapper is CALIBRATED}
    assert calibrated == {"LinearSVC", "SVC"}


@pytest.mark.parametrize(
    "decl", [m for m in WRAPPED if m.wrapper is SCALED_TARGET], ids=lambda m: m.name
)
def test_a_standardised_target_makes_predictions_independent_of_its_units(decl):
    X, _, score = numeric_data()
    plain = build(decl).fit(X, score).predict(X)
    # The same target in other units (e.g. cents instead of euros, plus an offset).
    scaled = build(decl).fit(X, 1000.0 * score + 5.0).predict(X)
    # Equal up to the solver's tolerance (an SVM stops within 0.1 % of its optimum).
    spread = float(np.std(score))
    np.testing.assert_allclose((scaled - 5.0) / 1000.0, plain, rtol=0, atol=0.01 * spread)


# -- clustering ------------------------------------------------------------------

CLUSTERERS = [m for m in MODEL_TYPES if "clustering" in m.tasks]
PREDICTING = [m for m in CLUSTERERS if m.assign is None]


@pytest.mark.parametrize("decl", CLUSTERERS, ids=lambda m: m.name)
def test_every_clusterer_predicts_or_declares_how_new_rows_are_assigned(decl):
    estimator = build(decl)
    assert hasattr(estimator, "predict") != (decl.assign is not None)


@pytest.mark.parametrize("decl", PREDICTING, ids=lambda m: m.name)
def test_cluster_count_arg_names_the_number_of_clusters(decl):
    X, _, _ = numeric_data()
    declared = next(p for p in decl.params if p.name == decl.cluster_count_arg)
    estimator = build(decl, {declared.name: 4}).fit(X)
    assert getattr(estimator, decl.cluster_count_arg) == 4
    assert set(estimator.predict(X)) <= set(range(4))
    spec = model_spec(decl)
    assert training_context(spec)["cluster_count"] == f"pipeline[-1].{decl.cluster_count_arg}"
    source = render_train(spec, "data.csv")
    assert f"pipeline[-1].{decl.cluster_count_arg}" in source


# Two numeric columns, scaled; the other columns are ignored (cat_b: labels kept aside).
CLUSTER_STEPS = [
    {"type": "impute_numeric", "params": {"columns": ["num_a", "num_b"]}},
    {"type": "scale", "params": {"columns": ["num_a", "num_b"]}},
]


def run_clusters(tmp_path, model: dict, n_rows: int = 150, label_column: str | None = "cat_b"):
    """A clustering run on num_a and num_b of the synthetic frame."""
    df = make_frame(n_rows=n_rows, task="clustering", seed=5)
    write_frame(df, tmp_path)
    data = spec_dict(df, "clustering", CLUSTER_STEPS, model=model)
    for column in data["columns"]:
        if column["name"] not in ("num_a", "num_b"):
            column["role"] = "ignore"
    if label_column:
        data["evaluation"] = {"label_column": label_column}
    spec = parse_spec(data)
    runner = Runner(spec, tmp_path, cache=PrefixCache())
    result = runner.run()
    return runner, result, runner.split_frames()


def test_agglomerative_assigns_a_new_row_the_cluster_of_the_nearest_training_row(tmp_path):
    from sklearn.cluster import AgglomerativeClustering

    model = {"type": "agglomerative", "params": {"n_clusters": 4, "linkage": "average"}}
    runner, result, splits = run_clusters(tmp_path, model)
    pipeline = result.pipeline
    train = splits["train"][runner.spec.features]
    features = pipeline[:-1].transform(train)
    # The training rows keep exactly the clusters agglomerative clustering gave them.
    labels = AgglomerativeClustering(n_clusters=4, linkage="average").fit(features).labels_
    np.testing.assert_array_equal(pipeline.predict(train), labels)
    # A new row gets the cluster of the training row nearest to it.
    new = splits["test"][runner.spec.features]
    new_features = pipeline[:-1].transform(new).to_numpy()
    distances = np.linalg.norm(new_features[:, None, :] - features.to_numpy()[None], axis=2)
    np.testing.assert_array_equal(pipeline.predict(new), labels[distances.argmin(axis=1)])
    assert list(result.report["cluster_sizes"]["train"]) == ["0", "1", "2", "3"]
    assert result.report["cluster_sizes"]["train"] == {
        str(c): int((labels == c).sum()) for c in range(4)
    }


def test_dbscan_assigns_the_nearest_core_sample_within_eps_else_noise(tmp_path):
    from sklearn.cluster import DBSCAN

    model = {"type": "dbscan", "params": {"eps": 0.3, "min_samples": 6}}
    runner, result, splits = run_clusters(tmp_path, model)
    pipeline = result.pipeline
    train = splits["train"][runner.spec.features]
    features = pipeline[:-1].transform(train).to_numpy()
    fitted = DBSCAN(eps=0.3, min_samples=6).fit(features)
    core = fitted.core_sample_indices_
    predicted = pipeline.predict(train)
    # Core samples keep their clusters and DBSCAN's noise stays noise.
    np.testing.assert_array_equal(predicted[core], fitted.labels_[core])
    noise = fitted.labels_ == -1
    assert noise.any() and (predicted[noise] == -1).all()
    # Any row: the cluster of the nearest core sample if it is within eps, else -1.
    rows = np.vstack([features, pipeline[:-1].transform(splits["test"][train.columns]), [[9, 9]]])
    distances = np.linalg.norm(rows[:, None, :] - features[core][None], axis=2)
    nearest = distances.argmin(axis=1)
    expected = np.where(distances.min(axis=1) <= 0.3, fitted.labels_[core][nearest], -1)
    frame = pd.DataFrame(rows, columns=["num_a", "num_b"])
    np.testing.assert_array_equal(pipeline[-1].predict(frame), expected)
    assert expected[-1] == -1

    # Noise is counted beside the clusters, and left out of the cluster scores.
    sizes = result.report["cluster_sizes"]["train"]
    assert sizes["noise"] == int((predicted == -1).sum()) > 0
    assert sum(sizes.values()) == len(train)
    metrics = result.metrics["train"]
    assert metrics["noise_share"] == pytest.approx(noise.mean())
    kept = predicted != -1
    assert metrics["silhouette"] == pytest.approx(silhouette_score(features[kept], predicted[kept]))


@pytest.mark.parametrize(
    "eps, what", [(50.0, "a single cluster"), (1e-6, "no cluster")], ids=["one", "none"]
)
def test_too_few_clusters_give_a_clear_warning_instead_of_a_crash(tmp_path, eps, what):
    model = {"type": "dbscan", "params": {"eps": eps, "min_samples": 3}}
    _, result, splits = run_clusters(tmp_path, model)
    rows = len(splits["train"])
    (warning,) = result.warnings
    assert warning.startswith(f"DBSCAN found {what} in the {rows} training rows")
    assert "need at least two clusters" in warning and "larger eps" in warning
    for metrics in result.metrics.values():
        assert "silhouette" not in metrics and "adjusted_rand" in metrics
    sizes = result.report["cluster_sizes"]["train"]
    assert sizes == ({"0": rows, "noise": 0} if what == "a single cluster" else {"noise": rows})


def test_adjusted_rand_index_compares_every_split_with_the_labels_kept_aside(tmp_path):
    model = {"type": "kmeans", "params": {"n_clusters": 3, "n_init": 2}}
    runner, result, splits = run_clusters(tmp_path, model)
    # Rows without a label are left out.
    assert splits["train"]["cat_b"].isna().any()
    for name, part in splits.items():
        labels = part["cat_b"]
        known = labels.notna().to_numpy()
        clusters = result.pipeline.predict(part[runner.spec.features])
        expected = adjusted_rand_score(labels[known], clusters[known])
        assert result.metrics[name]["adjusted_rand"] == pytest.approx(expected, abs=1e-12)
    assert result.warnings == []
    # Without a label column there is nothing to compare with.
    _, plain, _ = run_clusters(tmp_path, model, label_column=None)
    assert all("adjusted_rand" not in m for m in plain.metrics.values())


# -- threads ---------------------------------------------------------------------


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_training_runs_on_at_most_n_jobs_threads(tmp_path, n_jobs):
    """OpenMP sums (hist gradient boosting) round differently on other thread counts:
    the exported train() fits and scores inside threadpool_limits(N_JOBS)."""
    from threadpoolctl import threadpool_info

    df = make_frame(n_rows=60, task="binary")
    write_frame(df, tmp_path)
    model = {"type": "hist_gradient_boosting_classifier", "params": {"max_iter": 5}}
    spec = parse_spec(spec_dict(df, "binary", NUMBER_STEPS, model=model, n_jobs=n_jobs))
    _, train = Runner(spec, tmp_path, cache=PrefixCache()).modules()
    seen = []
    evaluate = train.evaluate

    def recording_evaluate(*args):
        seen.append({i["user_api"]: i["num_threads"] for i in threadpool_info()})
        return evaluate(*args)

    train.evaluate = recording_evaluate
    train.train(df)
    assert seen and all(threads == {"openmp": n_jobs, "blas": n_jobs} for threads in seen)
    assert "threadpoolctl" in requirements(uses_xgboost=False, data_format="csv")


# -- scaling ---------------------------------------------------------------------


# Settings where the dependence shows on this small table: a full-covariance mixture
# is nearly unit-free, DBSCAN's default eps finds no cluster here at all, and a
# linear SVM separates these rows alike unless its penalty weighs more.
SCALE_SENSITIVE_SETTINGS = {
    "linear_svm_classifier": {"C": 0.01},
    "gaussian_mixture": {"covariance_type": "spherical"},
    "dbscan": {"eps": 1.5, "min_samples": 3},
}


# Convergence on this tiny table is beside the point here.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
# An ensemble depends on the scales as its members do; each member is checked itself.
@pytest.mark.parametrize("decl", [m for m in MODEL_TYPES if not m.ensemble], ids=lambda m: m.name)
def test_needs_scaling_says_whether_results_depend_on_feature_scales(decl):
    """Feature 0 in other units (x 1000 + 500) changes what a model that needs scaling
    learns, and nothing of what the others learn."""
    X, y, score = numeric_data(n_rows=60, n_classes=3)
    rescaled = X.copy()
    rescaled[:, 0] = rescaled[:, 0] * 1000 + 500
    params = {"n_estimators": 5} if any(p.name == "n_estimators" for p in decl.params) else {}
    params.update(SCALE_SENSITIVE_SETTINGS.get(decl.name, {}))
    task = decl.tasks[0]
    target = score if task == "regression" else y if task != "clustering" else None

    def outcome(data):
        estimator = build(decl, params).fit(data, target)
        if task == "clustering":
            return estimator.predict(data) if decl.assign is None else estimator.labels_
        return estimator.predict(data)

    plain, other = outcome(X), outcome(rescaled)
    if task == "clustering":
        same = adjusted_rand_score(plain, other) == 1.0
    else:
        same = np.allclose(plain, other, rtol=0, atol=1e-6 * np.abs(plain).max())
    assert same != decl.needs_scaling
