"""Live training curves: read from what the models print, without changing the fit."""

from __future__ import annotations

import importlib

import pytest
from reports import assert_same_report
from synthetic import make_frame, spec_dict, write_frame
from test_jobs import STEPS, finish, project_spec

from runtime.curves import CurveReader, reporting_curves
from runtime.executor import PrefixCache, Runner
from runtime.jobs import CurveEvent, StatusEvent
from runtime.models import MODEL_TYPES
from runtime.models._params import HIST_BOOSTING_CURVE, MLP_CURVE
from runtime.spec import parse_spec

CURVE_MODELS = [m for m in MODEL_TYPES if m.live_curve]
# The jobs' steps, with every date part imputed: boosting and networks refuse gaps.
DATE_PARTS = ["when_year", "when_month", "when_day", "when_weekday"]
COMPLETE_STEPS = [
    *STEPS[:2],
    {"type": "impute_numeric", "params": {"columns": ["num_a", "num_b", *DATE_PARTS]}},
    *STEPS[3:],
]
# Small enough to train in a blink; the curves still have several points.
LIGHT = {"n_estimators": 12, "max_iter": 12}


def light_params(model) -> dict:
    return {p.name: LIGHT[p.name] for p in model.params if p.name in LIGHT}


def test_the_catalog_declares_curves_for_networks_boosting_and_forests():
    families = {m.cls.removesuffix("Classifier").removesuffix("Regressor") for m in CURVE_MODELS}
    assert families == {
        "MLP",
        "GradientBoosting",
        "HistGradientBoosting",
        "RandomForest",
        "ExtraTrees",
    }
    for model in CURVE_MODELS:
        estimator = getattr(importlib.import_module(model.module), model.cls)()
        assert model.live_curve.param in estimator.get_params(), model.name


def test_the_reader_reads_lines_written_in_pieces_and_drops_the_rest():
    points = []
    reader = CurveReader(MLP_CURVE, lambda *point: points.append(point))
    reader.write("Iteration 1, loss = 0.5\nValidation sc")
    reader.write("ore: 0.75\n[Parallel(n_jobs=1)]: Done\nIteration 2, loss = 2.5e-01\n")
    assert points == [
        ("training loss", 1.0, 0.5),
        ("validation score", 1.0, 0.75),
        ("training loss", 2.0, 0.25),
    ]


def test_hist_boosting_reports_losses_with_early_stopping_and_time_without():
    points = []
    reader = CurveReader(HIST_BOOSTING_CURVE, lambda *point: points.append(point))
    reader.write("[1/3] 1 tree, 6 leaves, max depth = 3, train loss: 0.61532, val loss: 0.62660\n")
    reader.write("[2/3] 1 tree, 7 leaves, max depth = 4, in 0.004s\n")
    assert points[:2] == [("training loss", 1.0, 0.61532), ("validation loss", 1.0, 0.6266)]
    assert [(series, x) for series, x, _ in points[2:]] == [("seconds", 2.0)]


@pytest.mark.parametrize("model", CURVE_MODELS, ids=lambda m: m.name)
def test_curves_come_from_the_fit_and_leave_the_fitted_model_as_train_py_fits_it(model, tmp_path):
    task = "regression" if "regression" in model.tasks else "binary"
    df = make_frame(150, task=task)
    write_frame(df, tmp_path)
    data = spec_dict(
        df, task, COMPLETE_STEPS, model={"type": model.name, "params": light_params(model)}
    )
    data["evaluation"] = {"cv_folds": 2}
    spec = parse_spec({**data, "dataset": {**data["dataset"], "path": str(tmp_path / "data.csv")}})

    plain = Runner(spec, cache=PrefixCache()).run()
    runner = Runner(spec, cache=PrefixCache())
    _, train = runner.modules()
    points = []
    with reporting_curves(train, model, lambda *point: points.append(point)):
        reported = runner.run()

    assert_same_report(reported.report, plain.report)
    key = f"model__{model.param_key(model.live_curve.param)}"
    assert reported.pipeline.get_params()[key] == plain.pipeline.get_params()[key]
    main = {}
    for series, x, y in points:
        if not series.startswith("CV fold"):
            main.setdefault(series, []).append((x, y))
    assert main, f"no points from the fit on the training split: {points[:5]}"
    for series, xy in main.items():
        xs = [x for x, _ in xy]
        assert xs == sorted(xs) and xs[0] == 1 and len(xs) >= 2, series
    assert {s.split(":")[0] for s, _, _ in points if s.startswith("CV")} == {
        "CV fold 1",
        "CV fold 2",
    }


@pytest.mark.slow
def test_a_training_job_streams_its_curve_before_it_finishes(store, jobs):
    model = {"type": "mlp_classifier", "params": {"max_iter": 15}}
    project_id, _ = project_spec(store, model=model, steps=COMPLETE_STEPS)
    job = jobs.submit(project_id)
    events = finish(job)
    assert job.status == "finished", job.error
    curve = [e for e in events if isinstance(e, CurveEvent)]
    losses = [e for e in curve if e.series == "training loss"]
    assert [e.x for e in losses] == [float(i) for i in range(1, len(losses) + 1)]
    assert all(e.run_id == job.run_id and e.y > 0 for e in losses)
    # Every point arrives before the run is reported finished.
    finished = next(
        i for i, e in enumerate(events) if isinstance(e, StatusEvent) and e.status == "finished"
    )
    assert events.index(losses[-1]) < finished
    # The stored model prints nothing when it is fitted again.
    assert store.run(job.run_id).load_model().get_params()["model__verbose"] is False
