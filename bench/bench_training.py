"""Training overhead: the playground's fit + evaluate against the same work written by hand.

Three paths train the same spec (bench/overhead_data.py: six cleaning and
preprocessing steps, hist gradient boosting) on the same CSV file:

- by hand: the script a competent engineer writes with pandas and
  scikit-learn, in this process;
- the runtime: `Runner.run()` with an empty cache, in this process, and the
  UI's path, `Workspace.train()`: a Jobs worker process trains, saves the model
  and the report, the store records the run and the session reads it back (the
  metrics are shown); then the same worker computes and saves the plot data and
  the session loads it (the plots are shown);
- the export: `python train.py` in a folder the bundle was written to.
"""

from __future__ import annotations

import math
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    balanced_accuracy_score,
    log_loss,
    matthews_corrcoef,
    precision_recall_fscore_support,
    roc_auc_score,
)
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from bench.harness import Goal, Section, ratio, timed
from bench.overhead_data import CATEGORICAL, MODEL, NUMERIC, TARGET, make_spec, write_data

LIMIT = 1.1


def by_hand(path: Path, seed: int = 42, max_iter: int = 200) -> dict:
    """The hand-written script: the same steps, model, split and metrics as the spec."""
    df = pd.read_csv(path)
    df = df.drop_duplicates().reset_index(drop=True)
    df = df.dropna(subset=[TARGET]).reset_index(drop=True)
    train_df, rest = train_test_split(df, train_size=0.6, random_state=seed, stratify=df[TARGET])
    validation_df, test_df = train_test_split(
        rest, test_size=0.5, random_state=seed, stratify=rest[TARGET]
    )
    numeric = Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())])
    categorical = Pipeline(
        [
            ("impute", SimpleImputer(strategy="most_frequent")),
            ("one_hot", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
        ]
    )
    model = Pipeline(
        [
            (
                "preprocessing",
                ColumnTransformer([("num", numeric, NUMERIC), ("cat", categorical, CATEGORICAL)]),
            ),
            ("model", HistGradientBoostingClassifier(max_iter=max_iter, random_state=seed)),
        ]
    )
    features = NUMERIC + CATEGORICAL
    with threadpool_limits(limits=1):  # the spec's n_jobs
        model.fit(train_df[features], train_df[TARGET] == "yes")
        # The metrics the playground reports, on every split.
        return {
            name: _metrics(model, part[features], part[TARGET] == "yes")
            for name, part in {
                "train": train_df,
                "validation": validation_df,
                "test": test_df,
            }.items()
        }


def _metrics(model, X, y) -> dict:
    predicted = model.predict(X)
    probabilities = model.predict_proba(X)
    metrics = {
        "accuracy": accuracy_score(y, predicted),
        "balanced_accuracy": balanced_accuracy_score(y, predicted),
        "matthews_corrcoef": matthews_corrcoef(y, predicted),
        "log_loss": log_loss(y, probabilities),
        "roc_auc": roc_auc_score(y, probabilities[:, 1]),
        "average_precision": average_precision_score(y, probabilities[:, 1]),
    }
    for average in ("macro", "weighted"):
        precision, recall, f1, _ = precision_recall_fscore_support(
            y, predicted, average=average, zero_division=0
        )
        metrics |= {f"precision_{average}": precision, f"recall_{average}": recall}
        metrics[f"f1_{average}"] = f1
    return metrics


def _runner_run(spec, folder: Path) -> dict:
    from runtime.executor import PrefixCache, Runner

    # A fresh cache: nothing from an earlier run (or preview) helps.
    return Runner(spec, folder, cache=PrefixCache()).run().report


class _UiSession:
    """A Workspace holding the data as an uploaded project, training through its Jobs."""

    def __init__(self, home: Path, data_path: Path, spec):
        from playground_ui.state import Workspace
        from runtime.jobs import Jobs
        from runtime.spec import spec_to_dict
        from runtime.store import Store

        store = Store(home=home)
        # As the server makes it (playground_ui/app.py): a standby worker waits for a run.
        self.jobs = Jobs(store, max_workers=1, time_limit=3600, standby=True)
        self.ws = Workspace(home, store=store, jobs=self.jobs)
        loaded = self.ws.load_file(data_path.name, data_path.read_bytes())
        if not (loaded and self.ws.set_target(spec.target)):
            raise RuntimeError(self.ws.message)
        wanted = spec_to_dict(spec)

        def edit(data: dict) -> None:
            data["steps"], data["model"] = wanted["steps"], wanted["model"]
            data["split"], data["seed"] = wanted["split"], wanted["seed"]

        if not self.ws.change(edit):
            raise RuntimeError(self.ws.message)

    def train(self) -> tuple[float, float]:
        """Seconds from the click to the metrics shown, and to the plot data loaded."""
        start = time.perf_counter()
        self.ws.runner().warnings()  # as the Train button does before it submits
        result = self.ws.train(timeout=3600)
        if result is None:
            raise RuntimeError(self.ws.message)
        metrics = time.perf_counter() - start
        job = self.jobs.job(self.ws.runs()[0].id)
        job.wait(3600)
        state, message = self.ws.result_plots_state()
        if state != "ready":
            raise RuntimeError(f"the plots are {state}: {message}")
        self.ws.result_plots()  # loaded from the run's folder, as the Results view does
        return metrics, time.perf_counter() - start

    def last_run_timings(self) -> dict[str, float]:
        """The time of every stage of the latest run, as its worker recorded them."""
        return self.ws.store.runs(self.ws.project.id)[0].timings

    def close(self) -> None:
        self.jobs.shutdown()


def _export(spec, folder: Path, out: Path) -> None:
    from generator.bundle import render_bundle, write_bundle
    from runtime.executor import Runner

    runner = Runner(spec, folder)
    write_bundle(render_bundle(runner, runner.run()), out)


def _subprocess_seconds(args: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(args, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


# train.py run twice in one interpreter, the second timed: its work without a new
# process's first-call costs, as Runner.run is timed (after a first run).
WARM_TRAIN = """
import runpy, sys, time
sys.argv = ["train.py", "--out", sys.argv[1]]
runpy.run_path("train.py", run_name="__main__")
start = time.perf_counter()
runpy.run_path("train.py", run_name="__main__")
print(time.perf_counter() - start, file=sys.stderr)
"""


def _warm_train_seconds(bundle: Path, out: Path) -> float:
    done = subprocess.run(
        [sys.executable, "-c", WARM_TRAIN, str(out)],
        cwd=bundle,
        check=True,
        capture_output=True,
        text=True,
    )
    return float(done.stderr.split()[-1])


def _largest_gap(a: dict, b: dict) -> float:
    return max(abs(a[split][name] - b[split][name]) for split in b for name in b[split])


def run(quick: bool = False) -> Section:
    rows = 1_000 if quick else 50_000
    repeat = 1 if quick else 3
    # Runs left out of the medians: the first warms the store, the worker, the file cache.
    warm = 0 if quick else 1
    section = Section(name="training", title="Training overhead")
    with tempfile.TemporaryDirectory(prefix="bench-training-") as tmp:
        tmp = Path(tmp)
        (tmp / "data").mkdir()
        data_path = write_data(tmp / "data", rows)
        # Quick: a light model too, as the worker also computes every plot with it.
        model = {**MODEL, "params": {"max_iter": 10}} if quick else MODEL
        spec = make_spec(data_path, model=model)

        max_iter = spec.model.params.get("max_iter", 200)
        hand_report = by_hand(data_path, max_iter=max_iter)
        runtime_report = _runner_run(spec, data_path.parent)["metrics"]
        gap = _largest_gap(runtime_report, hand_report)

        hand = timed(lambda: by_hand(data_path, max_iter=max_iter), repeat=repeat, warmup=0)
        runner = timed(lambda: _runner_run(spec, data_path.parent), repeat=repeat, warmup=0)

        session = _UiSession(tmp / "home", data_path, spec)
        try:
            ui_times = []
            # Fewer: a worker run also computes every plot, which takes long (see the table).
            for _ in range(warm + min(repeat, 2)):
                ui_times.append(session.train())
            ui = statistics.median(metrics for metrics, _ in ui_times[warm:])
            ui_plots = statistics.median(plots for _, plots in ui_times[warm:])
            stages = session.last_run_timings()
        finally:
            session.close()

        # train.py's own work: its wall time as a subprocess, less the wall time of a
        # subprocess that only starts Python and imports train.py (every library it uses).
        bundle = tmp / "bundle"
        _export(spec, data_path.parent, bundle)
        script = [sys.executable, "train.py", "--out", str(tmp / "train-output")]
        imports = [sys.executable, "-c", "import train"]
        # Paired and interleaved: each script run right after its own start-up run, the
        # median of the differences (a neighbour's load spike lands in one pair only).
        script_runs, import_runs = [], []
        for _ in range(warm + repeat + 2):
            import_runs.append(_subprocess_seconds(imports, bundle))
            script_runs.append(_subprocess_seconds(script, bundle))
        start_up = statistics.median(import_runs[warm:])
        exported = statistics.median(
            s - i for s, i in zip(script_runs[warm:], import_runs[warm:], strict=True)
        )
        exported_warm = statistics.median(
            _warm_train_seconds(bundle, tmp / "train-output") for _ in range(repeat)
        )
        hand_again = timed(
            lambda: by_hand(data_path, max_iter=max_iter), repeat=repeat, warmup=warm
        )
        runner_again = timed(
            lambda: _runner_run(spec, data_path.parent), repeat=repeat, warmup=warm
        )

    hand = min(hand, hand_again)
    runner = min(runner, runner_again)
    shape = f"{rows:,} rows, 6 steps, hist gradient boosting"
    section.goals = [
        Goal(
            "Runner.run / hand-written",
            ratio(runner, hand),
            LIMIT,
            detail=f"Runner.run {runner:.2f} s / hand-written pandas+sklearn {hand:.2f} s "
            f"({shape}); largest metric difference {gap:.1e}.",
        ),
        Goal(
            "UI click to metrics shown / hand-written",
            ratio(ui, hand),
            LIMIT,
            detail=f"Workspace.train (Jobs worker: start, train, save, record; read back) "
            f"{ui:.2f} s / hand-written {hand:.2f} s; the plots follow {ui_plots - ui:.2f} s "
            f"later ({ui_plots:.2f} s from the click).",
        ),
        Goal(
            "exported train.py / Runner.run",
            ratio(exported, runner),
            LIMIT,
            detail=f"python train.py {exported + start_up:.2f} s less {start_up:.2f} s of "
            f"interpreter start and imports = {exported:.2f} s / Runner.run {runner:.2f} s.",
        ),
    ]
    section.table = [
        {"path": "hand-written (in process)", "seconds": hand},
        {"path": "Runner.run (in process, empty cache)", "seconds": runner},
        {"path": "UI: click to metrics shown (Workspace.train)", "seconds": ui},
        {"path": "UI: click to plots shown (plot data loaded)", "seconds": ui_plots},
        *(
            {"path": f"… worker stage {stage!r} (last run)", "seconds": seconds}
            for stage, seconds in stages.items()
        ),
        {"path": "python train.py (wall)", "seconds": exported + start_up},
        {"path": "python -c 'import train' (wall)", "seconds": start_up},
        {"path": "train.py's own work", "seconds": exported},
        {"path": "train.py's work run again in the same process", "seconds": exported_warm},
    ]
    worker = stages.get("total", 0.0)
    section.notes = NOTES + LIMITS.format(
        extra=runner - hand,
        plots=stages.get("plots", 0.0),
        read=stages.get("read data", 0.0),
        train=stages.get("train", 0.0),
        save=stages.get("save", 0.0),
        worker=worker,
        outside=ui - worker,
        after=ui_plots - ui,
        script=exported + start_up,
        imports=start_up,
        warm=exported_warm,
        warm_ratio=ratio(exported_warm, runner),
        first_call=exported - exported_warm,
    )
    assert math.isfinite(gap)
    return section


NOTES = """\
How it was measured: a seeded synthetic churn table (numeric and categorical columns
with 5 % gaps, 0.5 % duplicated rows, 1 % missing targets) written to CSV; the spec
drops duplicates and rows without a target, imputes (median, most frequent), one-hot
encodes, scales, and fits hist gradient boosting (n_jobs 1) on a stratified
60/20/20 split. The hand-written script does the same steps with one ColumnTransformer
and reports the same metrics on the same three splits; the largest difference between
its metrics and the runtime's is in the goal's text. Every path reads the CSV itself.
Times are medians of repeated runs; the in-process baselines are measured twice (before
and after the worker and subprocess runs) and the faster of the two medians is kept, so
a busy neighbour makes the goal harder, not easier.

The exported train.py runs as a subprocess in the exported folder. Its own work is its
wall time less the wall time of `python -c "import train"` in the same folder, which
starts the interpreter and imports preprocessing.py and every library train.py uses;
what remains is reading, training, evaluating and writing model.joblib and metrics.json.
The two run in pairs, each script run right after its start-up run, and the goal takes
the median of the paired differences over five pairs (after one warm-up pair): a load
spike from a neighbour lands in one pair, not in one of two separate medians.

The UI path is timed as a click goes through it, in two steps. Click to metrics shown:
the Train button's size check (`runner().warnings()`, the step previews cached as after
editing the steps), then `Workspace.train`: the run goes to the server's standby worker
process (spawned ahead, its imports done, as `playground ui` keeps one), which reads the
project's data, trains, saves the model and report, and records the run; the session
reads the run back from the store and shows its metrics. Click to plots shown: then the
same worker computes the data of every result plot (confusion matrix, ROC and
precision-recall curves, calibration, permutation importance, learning curve, as the
exported notebook computes them) and saves it with the run, and the session loads it;
drawing the figures in the browser is not counted. The table gives the worker's own
time of every stage of the last run ("total" is the worker's time until the run is
recorded; the plots stage follows it). The page polls the job every 0.25 s, which this
benchmark does not pay.
"""


LIMITS = """
Runner.run took {extra:+.2f} s against the hand-written script in this run (one run on
this shared machine to the next, the ratio moves by ±0.2). The code it runs is the
exported code. Tried and kept: each split now goes through the preprocessing once in
`evaluate` (the final estimator's predict and predict_proba on the transformed frame,
as Pipeline itself does), where it went through twice; and Runner.run no longer
previews every step before training (that was 1.4-1.8× the hand-written script). What
remains costs more than the script: every step is its own ColumnTransformer with pandas
output (four here, each building a new frame, about three times the time of the
script's one ColumnTransformer of two small pipelines per transform), and the report
holds more (a confusion matrix per split, metrics given every class label). Rendering
train.py and preprocessing.py costs nothing after the first run of a process.

The exported train.py's own work is the median difference of paired subprocess wall
times (`python train.py` {script:.2f} s, `python -c "import train"` {imports:.2f} s, medians),
each of which moves by tenths of a second with the neighbours' load, so its ratio is the
noisiest here. Beyond Runner.run's work it pickles the fitted pipeline to model.joblib
(the worker's "save" stage, which does the same and renders preprocessing.py, took
{save:.2f} s), writes metrics.json and prints the table: what an export is for, nothing
to cut. It imports nothing the runtime does not, and it pays the first-use costs of a
new process (compiling pandas' and scikit-learn's lazily built parts on first call) that
the in-process Runner.run, measured after a first run, does not: run a second time in
the same interpreter (`runpy`, after a first run, as Runner.run is timed), train.py's
work took {warm:.2f} s, {warm_ratio:.2f}× Runner.run, so {first_call:.2f} s of the
goal's number are a new process's first calls.

The UI path, click to metrics: the worker's stages took read data {read:.2f} s, train
{train:.2f} s, save {save:.2f} s ({worker:.2f} s in the worker until the run was recorded);
{outside:.2f} s more went to handing the run to the worker, recording it and reading it
back, and the size check before submitting. Tried and kept: the run is recorded and its
metrics shown before its plots (the plot data is the last stage of the same job; the
Results view shows "computing the plots…" until it is saved, and a run whose worker
stopped first shows that its plots were not computed, with a button to compute them);
and a standby worker with its imports done (pandas, scikit-learn, black; about 3 s in a
new process on this machine) takes the run, so a click no longer waits for a spawned
interpreter. This round, timed inside a fresh worker (CPU time, three processes each):
its first run's train stage cost about 0.3 s more than the next, 0.12 s of it rendering
and compiling train.py and preprocessing.py for the first time (Jinja compiling the
templates; 0.006 s after) and the rest the libraries' first calls. The standby now
pays that while it waits, by training a tiny made-up spec once (runtime/warm_up.py: six
common steps, logistic regression and a 5-round boosted model on 300 rows, about 1.2 s
of CPU; modules then 0.006 s, the first run's fit 0.1 s faster). And the next standby
started the moment a run went to the current one, so its imports (3-4 s of CPU) ran
beside the training on this 2-core machine: a training with another process importing
scikit-learn beside it took up to 3× as long under a neighbour's load. The next standby
now starts once no run is training (when the run is recorded, while its plots are
computed), and is ready long before the plots are. Click to plots took {after:.2f} s more (the plots stage {plots:.2f} s in the
worker): permutation importance (every input column shuffled five times on 1,000 test
rows, predicting through the whole pipeline) and the learning curve (the pipeline
fitted on growing samples in every fold) cost most.
"""
