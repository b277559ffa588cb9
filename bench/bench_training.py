"""Training overhead: the playground's fit + evaluate against the same work written by hand.

Three paths train the same spec (bench/overhead_data.py: six cleaning and
preprocessing steps, hist gradient boosting) on the same CSV file:

- by hand: the script a competent engineer writes with pandas and
  scikit-learn, in this process;
- the runtime: `Runner.run()` with an empty cache, in this process, and the
  UI's path, `Workspace.train()`: a Jobs worker process trains, saves the model,
  the plot data and the report, the store records the run and the session
  reads it back;
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
        self.jobs = Jobs(store, max_workers=1, time_limit=3600)
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

    def train(self) -> dict:
        result = self.ws.train(timeout=3600)
        if result is None:
            raise RuntimeError(self.ws.message)
        return result.report

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
                start = time.perf_counter()
                session.train()
                ui_times.append(time.perf_counter() - start)
            ui = statistics.median(ui_times[warm:])
            stages = session.last_run_timings()
        finally:
            session.close()

        # train.py's own work: its wall time as a subprocess, less the wall time of a
        # subprocess that only starts Python and imports train.py (every library it uses).
        bundle = tmp / "bundle"
        _export(spec, data_path.parent, bundle)
        script = [sys.executable, "train.py", "--out", str(tmp / "train-output")]
        imports = [sys.executable, "-c", "import train"]
        script_runs, import_runs = [], []
        for _ in range(warm + repeat):
            import_runs.append(_subprocess_seconds(imports, bundle))
            script_runs.append(_subprocess_seconds(script, bundle))
        start_up = statistics.median(import_runs[warm:])
        exported = statistics.median(script_runs[warm:]) - start_up
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
            "UI training job / hand-written",
            ratio(ui, hand),
            LIMIT,
            detail=f"Workspace.train (Jobs worker, save, record, read back) {ui:.2f} s / "
            f"hand-written {hand:.2f} s.",
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
        {"path": "Workspace.train (worker process)", "seconds": ui},
        *(
            {"path": f"… worker stage {stage!r} (last run)", "seconds": seconds}
            for stage, seconds in stages.items()
        ),
        {"path": "python train.py (wall)", "seconds": exported + start_up},
        {"path": "python -c 'import train' (wall)", "seconds": start_up},
        {"path": "train.py's own work", "seconds": exported},
    ]
    worker = stages.get("total", 0.0)
    section.notes = NOTES + LIMITS.format(
        extra=runner - hand,
        plots=stages.get("plots", 0.0),
        read=stages.get("read data", 0.0),
        train=stages.get("train", 0.0),
        worker=worker,
        outside=ui - worker,
        script=exported + start_up,
        imports=start_up,
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

The UI path (`Workspace.train`) is timed from the click to the result in the session:
a spawned Jobs worker process starts (interpreter and imports), reads the project's
data, trains, computes the data of every result plot (confusion matrix, ROC and
precision-recall curves, calibration, permutation importance, learning curve, as the
exported notebook computes them), saves the model and report, and the store records
the run before the session reads it back. The table gives the worker's own time of
every stage of the last run.
"""

LIMITS = """
Runner.run took {extra:+.2f} s against the hand-written script in this run; what costs
it more, when it does (one run on this shared machine to the next, the ratio moved
between 0.9× and 1.3×): the code it runs is
the exported code, which applies every step as its own ColumnTransformer with pandas
output (four here, each building a new frame) where the hand-written script uses one
ColumnTransformer of two small pipelines; fitting and the three evaluations (each split
is transformed for predict and again for predict_proba) pay for it. Rendering and
black-formatting train.py and preprocessing.py costs nothing after the first run of a
process (black's results are kept). Tried and kept: Runner.run no longer previews every
step before training. Before this change it fitted each step once more on the training
split, summarised every intermediate frame (dtype, gaps, distinct values, range per
column) and split the data twice more; that was 1.4-1.8× the hand-written script on
this machine. The steps' checks now run only when training fails, to name the step.

The exported train.py's own work is the difference of two subprocess wall times
(`python train.py` {script:.2f} s, `python -c "import train"` {imports:.2f} s), each of which
moves by tenths of a second with the neighbours' load, so its ratio is the noisiest here
(1.01× and 1.47× in two full runs). Beyond Runner.run's work it pickles the fitted
pipeline to model.joblib, writes metrics.json and prints the table; it imports nothing
the runtime does not.

What limits the UI path: its worker's stages took read data {read:.2f} s (including
importing scikit-learn in the new process and rendering the code), train {train:.2f} s,
plots {plots:.2f} s, of {worker:.2f} s in the worker; {outside:.2f} s more went to starting the
spawned process and its imports, recording the run and reading it back. The plots stage
computes the data of every result plot the Results tab shows, as the exported notebook
does: permutation importance (every input column shuffled several times, each time
predicting the 10,000 test rows through the whole pipeline) and the learning curve
(the pipeline fitted on growing samples in every fold) cost most. Tried: the worker no
longer previews each step as a stage of its own (same saving as Runner.run). Not done:
recording the run and showing its metrics before its plots are computed, sampling the
test rows of permutation importance, and keeping a spawned worker ready with its imports
done; each changes what the Results tab or the store promise, beyond this benchmark.
"""
