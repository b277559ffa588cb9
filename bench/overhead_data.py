"""The data and spec the overhead benchmarks share: a realistic tabular problem.

Numeric columns with gaps, categorical columns with gaps, a few duplicated rows
and rows without a target, so that every step of the spec has work to do.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

NUMERIC = [f"num_{i}" for i in range(6)]
CATEGORICAL = ["colour", "region", "plan"]
TARGET = "churned"


def make_frame(rows: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    data = {name: rng.normal(i * 10.0, 1.0 + i, rows).round(4) for i, name in enumerate(NUMERIC)}
    data["colour"] = rng.choice(["red", "green", "blue", "black", "white"], rows)
    data["region"] = rng.choice([f"region {i}" for i in range(12)], rows)
    data["plan"] = rng.choice(["basic", "plus", "pro"], rows, p=[0.6, 0.3, 0.1])
    score = (
        (data["num_0"] - 0.0) * 0.8
        - (data["num_2"] - 20.0) / 3.0
        + (data["colour"] == "red") * 0.7
        + (data["plan"] == "pro") * 1.2
        + rng.normal(0.0, 1.0, rows)
    )
    data[TARGET] = np.where(score > 0.5, "yes", "no")
    df = pd.DataFrame(data)
    for name in [*NUMERIC[:4], *CATEGORICAL[:2]]:
        df.loc[rng.random(rows) < 0.05, name] = np.nan
    df.loc[rng.random(rows) < 0.01, TARGET] = np.nan
    # About half a percent of the rows appear twice.
    return pd.concat([df, df.sample(frac=0.005, random_state=seed)], ignore_index=True)


STEPS = [
    {"type": "drop_duplicates"},
    {"type": "drop_missing_target"},
    {"type": "impute_numeric", "params": {"columns": NUMERIC, "strategy": "median"}},
    {"type": "impute_categorical", "params": {"columns": CATEGORICAL}},
    {"type": "one_hot", "params": {"columns": CATEGORICAL, "handle_unknown": "ignore"}},
    {"type": "scale", "params": {"columns": NUMERIC}},
]
MODEL = {"type": "hist_gradient_boosting_classifier", "params": {}}


def write_data(folder: Path, rows: int) -> Path:
    path = folder / "customers.csv"
    make_frame(rows).to_csv(path, index=False)
    return path


def make_spec(data_path: Path, steps: list[dict] = STEPS, model: dict = MODEL):
    """The spec a person gets from the playground for this file, with these steps and
    this model (what `playground init` infers, then edited)."""
    from runtime.defaults import default_spec
    from runtime.spec import parse_spec, spec_to_dict

    spec = spec_to_dict(default_spec(data_path, TARGET, data_path.parent, name="customers"))
    spec["steps"] = steps
    spec["model"] = model
    return parse_spec(spec)
