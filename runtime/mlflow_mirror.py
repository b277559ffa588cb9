"""Every finished run also logged to MLflow, when MLFLOW_TRACKING_URI is set.

    warning = mirror_run(store, run_id)        # None when logged (or not asked for)
    warning = mirror_plot_data(store, run_id)  # its plots.json, once that is saved

The worker mirrors a run as soon as it is recorded (before its plots: a run
whose plots are stopped or fail is mirrored all the same), then adds the
plot data to the same MLflow run once it is saved.

The project store stays the record; MLflow gets a copy to compare runs in
its own UI: one MLflow experiment per project, one MLflow run per run, with

- params: the spec's essentials (task, target, model and its parameters,
  steps, split, evaluation, seed), flattened to `model.params.max_depth` etc.;
- metrics: `<split>_<metric>` for every split, `cv_<metric>` for the
  cross-validation means;
- artifacts: `spec.yaml`, `report.json`, `plots.json` (when saved), and the fitted
  pipeline as an MLflow sklearn model (with the preprocessing.py its
  pickle refers to, as `code_paths`).

MLflow is imported only when the variable is set. Nothing here may break a
run: any failure (MLflow missing, a server down, a refused value) comes back
as a warning the run records. MLflow 3.13+ refuses a plain folder (`./mlruns`,
`file:` URIs) as tracking store unless MLFLOW_ALLOW_FILE_STORE=true; a local
SQLite URI (`sqlite:///path/mlflow.db`) is its local store.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from runtime.store import Run, Store

TRACKING_VARIABLE = "MLFLOW_TRACKING_URI"
# A tracking server that does not answer must not hold a finished run for minutes
# (MLflow's own defaults retry for about two minutes); applied unless set.
HTTP_DEFAULTS = {"MLFLOW_HTTP_REQUEST_TIMEOUT": "20", "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2"}
# MLflow's limit on a param value is larger; past this a value is cut, marked "…".
MAX_PARAM_LENGTH = 500
MODEL_ARTIFACT = "model"
# The tag that names the playground run an MLflow run mirrors.
RUN_TAG = "playground.run_id"


def enabled() -> bool:
    return bool(os.environ.get(TRACKING_VARIABLE, "").strip())


def spec_params(run: Run) -> dict[str, str]:
    """The spec's essentials as MLflow params (text), model parameters included."""
    spec = run.spec
    params: dict[str, Any] = {
        "task": spec.task,
        "target": spec.target,
        "data": os.path.basename(spec.dataset.path),
        "features": len(spec.features),
        "seed": spec.seed,
        "n_jobs": spec.n_jobs,
        "steps": ", ".join(step.type for _, step in spec.active_steps()) or "(none)",
        "model.type": spec.model.type,
        **{f"model.params.{k}": v for k, v in spec.model.params.items()},
        **{f"split.{k}": v for k, v in spec.split.model_dump().items() if v is not None},
        **{f"evaluation.{k}": v for k, v in spec.evaluation.model_dump().items()},
    }
    return {key: _text(value) for key, value in params.items()}


def _text(value: Any) -> str:
    text = str(value)
    return text if len(text) <= MAX_PARAM_LENGTH else text[: MAX_PARAM_LENGTH - 1] + "…"


def run_metrics(run: Run) -> dict[str, float]:
    """`<split>_<metric>` of every split and `cv_<metric>` of the CV means (finite ones)."""
    metrics = {
        f"{split}_{name}": value
        for split, values in run.metrics.items()
        for name, value in values.items()
    }
    cv = (run.report or {}).get("cross_validation") or {}
    metrics.update({f"cv_{name}": value for name, value in cv.get("mean", {}).items()})
    return {
        k: float(v) for k, v in metrics.items() if isinstance(v, int | float) and math.isfinite(v)
    }


def experiment_name(store: Store, run: Run) -> str:
    project = store.project(run.project_id)
    return f"AI-Playground: {project.name} (project {project.id})"


def mirror_run(store: Store, run_id: int) -> str | None:
    """Log the finished run to MLflow if MLFLOW_TRACKING_URI is set.

    None when it was logged or nothing was asked; else the warning to record.
    """
    if not enabled():
        return None
    if (missing := _missing_mlflow()) is not None:
        return missing
    try:
        _log(store, store.run(run_id))
    except Exception as exc:  # noqa: BLE001 - the run is saved; MLflow only gets a copy
        return (
            f"this run could not be logged to MLflow ({_detail(exc)}); "
            "it is saved here all the same"
        )
    return None


def mirror_plot_data(store: Store, run_id: int) -> str | None:
    """Add the run's saved plots.json to its MLflow run (logged by mirror_run before the
    plots were computed). None when added or nothing was asked; else the warning."""
    if not enabled() or _missing_mlflow() is not None:
        return None  # mirror_run has said why it did not log the run
    try:
        _log_plot_data(store, store.run(run_id))
    except Exception as exc:  # noqa: BLE001 - as in mirror_run
        return (
            f"the plot data of this run could not be added to its MLflow run ({_detail(exc)}); "
            "it is saved here all the same"
        )
    return None


def _missing_mlflow() -> str | None:
    try:
        import mlflow  # noqa: F401 - only needed when the variable is set
    except ImportError:
        return (
            f"{TRACKING_VARIABLE} is set but MLflow is not installed, so this run was not "
            "logged to MLflow; install it (pip install mlflow-skinny) or unset the variable"
        )
    return None


def _detail(exc: Exception) -> str:
    return f"{type(exc).__name__}: {' '.join(str(exc).split())[:300] or type(exc).__name__}"


def _log(store: Store, run: Run) -> str:
    """The MLflow run id of the logged run."""
    import mlflow

    from runtime.store import PLOTS_FILE, PREPROCESSING_FILE, REPORT_FILE

    uri = _connect(mlflow)
    _use_experiment(mlflow, experiment_name(store, run), uri)
    tags = {RUN_TAG: str(run.id), "playground.project_id": str(run.project_id)}
    with mlflow.start_run(run_name=f"run {run.id}: {run.model}", tags=tags) as active:
        mlflow.log_params(spec_params(run))
        mlflow.log_metrics(run_metrics(run))
        mlflow.log_text(run.spec_yaml, "spec.yaml")
        for name in (REPORT_FILE, PLOTS_FILE):
            if (run.artifacts / name).is_file():
                mlflow.log_artifact(str(run.artifacts / name))
        _log_model(run, run.artifacts / PREPROCESSING_FILE)
        return active.info.run_id


def _log_plot_data(store: Store, run: Run) -> None:
    import mlflow

    from runtime.store import PLOTS_FILE

    if run.artifacts is None or not (run.artifacts / PLOTS_FILE).is_file():
        return  # no plot data saved: the MLflow run stays without it, as the run here
    _connect(mlflow)
    experiment = mlflow.get_experiment_by_name(experiment_name(store, run))
    found = experiment is not None and mlflow.search_runs(
        [experiment.experiment_id],
        filter_string=f"tags.`{RUN_TAG}` = '{run.id}'",
        output_format="list",
    )
    if not found:
        raise LookupError(f"no MLflow run is tagged {RUN_TAG}={run.id}")
    mlflow.MlflowClient().log_artifact(found[0].info.run_id, str(run.artifacts / PLOTS_FILE))


def _connect(mlflow) -> str:
    """Point MLflow at the tracking URI (with the HTTP defaults); the URI."""
    for name, value in HTTP_DEFAULTS.items():
        os.environ.setdefault(name, value)
    uri = os.environ[TRACKING_VARIABLE].strip()
    mlflow.set_tracking_uri(uri)
    return uri


def _use_experiment(mlflow, name: str, uri: str) -> None:
    """The project's experiment, made if new. A local SQLite store keeps a new
    experiment's artifacts beside its database file (MLflow's default would be
    ./mlruns in whatever folder the server was started from)."""
    if mlflow.get_experiment_by_name(name) is None and uri.startswith("sqlite:///"):
        database = Path(uri.removeprefix("sqlite:///").split("?")[0])
        try:
            mlflow.create_experiment(
                name, artifact_location=(database.parent / "mlartifacts").absolute().as_uri()
            )
        except mlflow.exceptions.MlflowException:
            pass  # another worker made it meanwhile
    mlflow.set_experiment(name)


def _log_model(run: Run, preprocessing_file) -> None:
    """The fitted pipeline as an MLflow sklearn model.

    Its pickle names the functions of preprocessing.py, so that file goes with
    it (code_paths: MLflow puts it on sys.path when it loads the model). The
    requirements are the versions the run recorded; MLflow would otherwise
    load the model in a subprocess to guess them.
    """
    import joblib
    import mlflow.sklearn

    from runtime.executor import load_modules, standing_in
    from runtime.store import MODEL_FILE

    prep, _ = load_modules(preprocessing_file.read_text(encoding="utf-8"))
    requirements = [f"{n}=={v}" for n, v in (run.libraries or {}).items() if n != "python"]
    # Loaded and logged with the same module standing in: the pickle then names
    # `preprocessing.<function>` rather than copying the functions into it.
    with standing_in(prep):
        pipeline = joblib.load(run.artifacts / MODEL_FILE)
        mlflow.sklearn.log_model(
            pipeline,
            name=MODEL_ARTIFACT,
            code_paths=[str(preprocessing_file)],
            pip_requirements=requirements,
            # MLflow 3.17's default format (skops) needs the skops package, which the
            # playground does not install; a pickle is what our own model file is too.
            serialization_format="cloudpickle",
        )
