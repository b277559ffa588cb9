"""Render tune.py: the Optuna search of a spec's `tuning` section.

The runtime runs this module to tune (runtime/tuning.py), and the export ships
it when `tuning.export_search` is set; its objective cross-validates the same
build_pipeline() that train.py fits.
"""

from __future__ import annotations

import re

from generator.literals import py_literal
from generator.render import (
    cv_imports,
    environment,
    estimator_code,
    format_code,
    merge_imports,
    training_context,
)
from runtime.metrics import direction
from runtime.models import MODELS_BY_NAME, average_ensemble, member_types
from runtime.search_space import (
    GRID_POINTS,
    candidate_overrides,
    candidate_params,
    resolve_space,
)
from runtime.spec import Spec


def tuning_context(spec: Spec) -> dict:
    """What tune.py.j2 needs beyond the training context."""
    tuning = spec.tuning
    if tuning is None:
        raise ValueError("the spec has no tuning section")
    decl = MODELS_BY_NAME[spec.model.type]
    given = {n: o.given() for n, o in tuning.space.items()}
    dimensions = resolve_space(decl, candidate_overrides(given, decl.name, decl.name))
    defaults = {p.name: p.default for p in decl.params}
    candidates = searched_models(spec, given)
    return {
        "candidates": candidates,
        "average": average_code(spec.task) if candidates else None,
        # The average is checked on other folds where the folds are shuffled.
        "reshuffled": bool(candidates) and spec.split.kind not in ("time", "group"),
        # XGBoost, one of the searched models, refuses some column names (build_pipeline
        # gives it values alone when it is the spec's model).
        "values_only": any(c["module"] == "xgboost" for c in candidates)
        and MODELS_BY_NAME[spec.model.type].module != "xgboost",
        "tuning": tuning,
        "metric": tuning.metric,
        "direction": direction(tuning.metric),
        "dimensions": dimensions,
        # The Pipeline's last step is "model"; a wrapper holds the estimator itself, and
        # a decision threshold wraps them both.
        "prefix": "model__" + ("estimator__" if spec.decision else "") + decl.param_key(""),
        "grid": {d.name: d.grid() for d in dimensions if d.searched},
        "grid_points": GRID_POINTS,
        # The first trial: the declared defaults the space holds (a grid has its own order).
        # Not the spec's values: the tuned spec's export must repeat the same search.
        "starting_point": {
            d.name: defaults[d.name]
            for d in dimensions
            if tuning.method != "grid" and d.searched and d.contains(defaults[d.name])
        },
    }


def searched_models(spec: Spec, given: dict[str, dict]) -> list[dict]:
    """The models a family search chooses among (none unless tuning.models is set), in
    catalog order: whichever of them is model.type, the tuned spec's search is the same.

    Each: its name, its dimensions, the code of a new estimator taking the trial's
    parameters as `params` (the others: the spec's for model.type, else as declared),
    its first trial (the declared defaults the space holds) and its imports."""
    if not spec.tuning.models:
        return []
    chosen = {spec.model.type, *spec.tuning.models}
    candidates = []
    for decl in member_types(spec.task):
        if decl.name not in chosen:
            continue
        dimensions = resolve_space(decl, candidate_overrides(given, decl.name, spec.model.type))
        defaults = {p.name: p.default for p in decl.params}
        others = candidate_params(decl.name, spec.model.type, spec.model.params)
        tuned = {d.name for d in dimensions}
        fixed = {name: value for name, value in others.items() if name not in tuned}
        candidates.append(
            {
                "name": decl.name,
                "module": decl.module,
                "dimensions": dimensions,
                "code": estimator_code(decl.name, fixed, spread="params"),
                "starting_point": {
                    f"{decl.name}.{d.name}": defaults[d.name]
                    for d in dimensions
                    if d.searched and d.contains(defaults[d.name])
                },
                "imports": decl.import_lines,
            }
        )
    return candidates


def average_code(task: str) -> dict:
    """How tune.py builds the average of the best models: the class and fixed arguments
    of the catalog's average ensemble for the task, as train.py renders it."""
    decl = average_ensemble(task)
    fixed = "".join(f", {arg}={py_literal(value)}" for arg, value in decl.fixed)
    return {"name": decl.name, "cls": decl.cls, "fixed": fixed, "imports": decl.import_lines}


def render_tune(spec: Spec, data_filename: str, formatted: bool = True) -> str:
    env = environment()
    context = training_context(spec)
    context.update(tuning_context(spec))
    imports = context["training_imports"] + cv_imports(spec)
    imports += [line for c in context["candidates"] for line in c["imports"]]
    if context["average"]:
        imports += context["average"]["imports"]
    imports += [
        "import argparse",
        "import json",
        "import time",
        "from pathlib import Path",
        "import optuna",
    ]
    training = env.get_template("_training.py.j2").make_module(context)

    def render(imports: list[str]) -> str:
        return env.get_template("tune.py.j2").render(
            context, training=training, imports=merge_imports(imports), data_filename=data_filename
        )

    # A trial computes its metric alone: the training imports name every metric's function.
    source = render(used_imports(imports, render([])))
    return format_code(source) if formatted else source


def used_imports(imports: list[str], code: str) -> list[str]:
    """The import lines with the names `code` never uses left out of scikit-learn's."""
    kept = []
    for line in imports:
        if not line.startswith("from sklearn."):
            kept.append(line)
            continue
        module, names = line.removeprefix("from ").split(" import ")
        used = [n.strip() for n in names.split(",") if re.search(rf"\b{n.strip()}\b", code)]
        if used:
            kept.append(f"from {module} import {', '.join(used)}")
    return kept
