"""What a standby training worker does while it waits for a run: a small run, end to end.

A new process pays costs on its first run that later runs do not: compiling the
Jinja templates it renders, compiling the rendered modules, and the first calls
into pandas and scikit-learn (their lazy imports and set-ups). On the training
bench (50,000 rows, six steps, hist gradient boosting) that was about 0.3 s of CPU
in a 3 s run, in every worker. A standby worker pays it ahead, while it is idle,
by training a small classifier spec on made-up rows in a temporary folder: the
same Runner, rendering and saving a run goes through, nothing stored.

The rows are 20,000, not a few hundred, for the memory a run's frames and arrays
take: a new process's heap grows page by page as it first touches it, which its
first real run paid (on the training bench, twice the page faults of a second run
in the same process and about 0.1 s of its 1.6 s). Made-up rows of that size grow
the heap while the worker idles (0.15 s more warm-up, 16 MB more held), and the
run reuses it.
"""

from __future__ import annotations

import io
import tempfile
import traceback
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROWS = 20_000
TARGET = "target"
NUMERIC = ["size", "price"]
CATEGORICAL = ["colour"]
# The steps most specs have; each renders and compiles its own template.
STEPS = [
    {"type": "drop_duplicates"},
    {"type": "drop_missing_target"},
    {"type": "impute_numeric", "params": {"columns": NUMERIC}},
    {"type": "impute_categorical", "params": {"columns": CATEGORICAL}},
    {"type": "one_hot", "params": {"columns": CATEGORICAL}},
    {"type": "scale", "params": {"columns": NUMERIC}},
]
# A linear model and a boosted one, kept small: their first fits and metrics.
MODELS = [
    {"type": "logistic_regression", "params": {}},
    {"type": "hist_gradient_boosting_classifier", "params": {"max_iter": 5}},
]


def warm_up() -> None:
    """Train the small specs once; a failure here only costs the warm-up (it is logged).

    For a new worker process: it empties the process's prefix cache afterwards (the
    made-up file's frame and profile, which reading it for its spec put there)."""
    from runtime.executor import CACHE

    try:
        with tempfile.TemporaryDirectory(prefix="playground-warm-up-") as folder:
            path = Path(folder) / "warm-up.csv"
            _frame().to_csv(path, index=False)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for model in MODELS:
                    _train(path, model)
    except Exception:  # noqa: BLE001 - the run that follows works without the warm-up
        traceback.print_exc()
    finally:
        CACHE.clear()


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    size = rng.normal(10, 3, ROWS)
    frame = pd.DataFrame(
        {
            "size": size,
            "price": rng.normal(100, 20, ROWS),
            "colour": rng.choice(["red", "green", "blue"], ROWS),
            TARGET: np.where(size + rng.normal(0, 2, ROWS) > 10, "yes", "no"),
        }
    )
    frame.loc[::17, "size"] = np.nan
    frame.loc[::19, "colour"] = None
    return frame


def _train(path: Path, model: dict) -> None:
    """As a worker's run: read, train and evaluate, render preprocessing.py, pickle."""
    from generator.render import render_preprocessing
    from runtime.defaults import default_spec
    from runtime.executor import PrefixCache, Runner, standing_in
    from runtime.spec import parse_spec, spec_to_dict
    from runtime.store import write_model

    spec = spec_to_dict(default_spec(path, TARGET, path.parent, name="warm-up"))
    spec["steps"], spec["model"] = STEPS, model
    spec = parse_spec(spec)
    runner = Runner(spec, path.parent, cache=PrefixCache())
    result = runner.run()
    render_preprocessing(spec)
    prep, _ = runner.modules()
    with standing_in(prep):
        write_model(result.pipeline, io.BytesIO())
