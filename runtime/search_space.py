"""The search space of a tuned model: its declared ranges, narrowed or widened by the spec.

A model parameter declares where tuning looks (`Param.search`: a range
{"low", "high", "log"}, a (low, high) tuple, or {"choices"}). The spec's
`tuning.space` may replace that per parameter with another range, other choices
or one fixed value. `resolve_space` turns both into one list of Dimensions, the
only form the rest of the code (the rendered tune.py, the UI) reads.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from runtime.models import MODELS_BY_NAME, ModelType
from runtime.params import Param, ParamError

# A numeric range becomes this many grid points for the grid search (fewer for a
# narrow integer range): 5 points per parameter keep a 3-parameter grid at 125 trials.
GRID_POINTS = 5
OVERRIDE_KEYS = ("low", "high", "log", "choices", "fixed")


@dataclass(frozen=True)
class Dimension:
    """One tuned parameter: kind "int" / "float" (a range), "categorical" or "fixed"."""

    name: str
    kind: str
    low: float | int | None = None
    high: float | int | None = None
    log: bool = False
    choices: tuple[Any, ...] = ()
    value: Any = None

    @property
    def searched(self) -> bool:
        return self.kind != "fixed"

    def grid(self) -> list[Any]:
        """The values a grid search tries."""
        if self.kind == "categorical":
            return list(self.choices)
        if self.kind == "fixed":
            return [self.value]
        if self.kind == "int" and self.high - self.low + 1 <= GRID_POINTS:
            return list(range(int(self.low), int(self.high) + 1))
        spaced = np.geomspace if self.log else np.linspace
        points = spaced(self.low, self.high, GRID_POINTS)
        if self.kind == "int":
            return sorted({round(float(p)) for p in points})
        return [float(p) for p in points]

    def contains(self, value: Any) -> bool:
        """Whether the search can try `value` (a search starts from the declared defaults)."""
        if self.kind == "categorical":
            return any(type(c) is type(value) and c == value for c in self.choices)
        if self.kind == "fixed" or isinstance(value, bool):
            return False
        kind = int if self.kind == "int" else (int, float)
        return isinstance(value, kind) and self.low <= value <= self.high

    def describe(self) -> str:
        if self.kind == "fixed":
            return f"fixed at {self.value!r}"
        if self.kind == "categorical":
            return "one of " + ", ".join(map(repr, self.choices))
        return f"{self.low!r} to {self.high!r}{' (log scale)' if self.log else ''}"


def declared_dimension(param: Param) -> Dimension | None:
    """The dimension a parameter declares for tuning, or None when it is not tuned."""
    search = param.search
    if search is None:
        return None
    if isinstance(search, tuple):
        search = {"low": search[0], "high": search[1]}
    if "choices" in search:
        return Dimension(param.name, "categorical", choices=tuple(search["choices"]))
    kind = "int" if param.kind == "int" else "float"
    return Dimension(param.name, kind, search["low"], search["high"], bool(search.get("log")))


def key_owner(key: str, own: str) -> tuple[str, str]:
    """(model, parameter) of a tuning.space key: "model.parameter", or a bare
    parameter of model.type (`own`)."""
    prefix, dot, name = key.rpartition(".")
    return (prefix, name) if dot else (own, name)


def candidate_overrides(
    space: dict[str, dict[str, Any]], model: str, own: str
) -> dict[str, dict[str, Any]]:
    """The tuning.space overrides of one model a search may choose: its keys written
    "model.parameter", and for model.type (`own`) the bare parameter names too."""
    overrides = {}
    for key, given in space.items():
        owner, name = key_owner(key, own)
        if owner == model:
            overrides[name] = given
    return overrides


def candidate_params(model: str, own: str, own_params: dict[str, Any]) -> dict[str, Any]:
    """The parameters a model a search may choose is built with before a trial sets
    its searched ones: model.type's (`own`) as the spec sets them (`own_params`), any
    other model's as declared."""
    if model == own:
        return dict(own_params)
    return {p.name: p.default for p in MODELS_BY_NAME[model].params}


def searched_space(space: dict[str, Any], own: str, models: list[str]) -> dict[str, Any]:
    """The tuning.space entries of the models still searched: a model taken out of
    the search takes its narrowed ranges with it (undo brings them back)."""
    candidates = {own, *models}
    return {key: given for key, given in space.items() if key_owner(key, own)[0] in candidates}


def tuning_for_model(tuning: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    """The tuning section (a spec dict's) once model `old` is replaced by `new` (the
    Model tab, or a search that found `new` best). Chosen from the models the search
    may choose, `new` trades places with `old` there (the search covers the same
    models); an ensemble searches alone. Each space entry keeps its model: `old`'s
    bare names get its prefix while it is still searched; the entries of a model no
    longer searched go (undo keeps them)."""
    if old == new:
        return tuning
    models = list(tuning.get("models") or [])
    if MODELS_BY_NAME[new].ensemble:
        models = []
    elif new in models:
        models[models.index(new)] = old
    searched = {new, *models}
    space = {}
    for key, given in (tuning.get("space") or {}).items():
        model, name = key_owner(key, old)
        if model in searched:
            space[key if model != old else f"{old}.{name}"] = given
    return {**tuning, "models": models, "space": space}


def resolve_space(
    model: ModelType, overrides: dict[str, dict[str, Any]], where: str = "tuning.space"
) -> list[Dimension]:
    """The dimensions tuned for `model`: the declared ones, with `overrides` applied.

    Raises ParamError naming the parameter and what is wrong with its override.
    """
    params = {p.name: p for p in model.params}
    unknown = sorted(set(overrides) - set(params))
    if unknown:
        raise ParamError(
            f"{where}: {unknown[0]!r} is not a parameter of {model.name}; "
            f"its parameters: {', '.join(params) or '(none)'}"
        )
    dimensions = []
    for param in model.params:
        if param.name in overrides:
            dimension = _override(param, overrides[param.name], f"{where}.{param.name}")
        else:
            dimension = declared_dimension(param)
        if dimension is not None:
            dimensions.append(dimension)
    return dimensions


def _override(param: Param, given: dict[str, Any], path: str) -> Dimension:
    keys = set(given)
    if "fixed" in keys:
        if keys != {"fixed"}:
            raise ParamError(f"{path}: 'fixed' holds one value; remove {sorted(keys - {'fixed'})}")
        value = param.validate(given["fixed"], path.rsplit(".", 1)[0])
        return Dimension(param.name, "fixed", value=value)
    if "choices" in keys:
        if keys != {"choices"}:
            raise ParamError(f"{path}: give either choices or a range (low, high, log), not both")
        choices = given["choices"]
        if not isinstance(choices, list) or not choices:
            raise ParamError(f"{path}.choices: expected a non-empty list, got {choices!r}")
        checked = [param.validate(c, path.rsplit(".", 1)[0]) for c in choices]
        return Dimension(param.name, "categorical", choices=tuple(checked))
    if param.kind not in ("int", "float"):
        raise ParamError(
            f"{path}: {param.name} is not a number, so it has no range; give choices "
            f"(one or more of {', '.join(map(repr, allowed_values(param)))}) or a fixed value"
        )
    declared = declared_dimension(param)
    declared = declared if declared and declared.kind != "categorical" else None
    low = given.get("low", declared.low if declared else None)
    high = given.get("high", declared.high if declared else None)
    if low is None or high is None:
        raise ParamError(f"{path}: {param.name} has no declared range; give both low and high")
    where = path.rsplit(".", 1)[0]
    low = param.validate(low, where)
    high = param.validate(high, where)
    if low > high:
        raise ParamError(f"{path}: low {low!r} is above high {high!r}; swap them")
    log = given.get("log", declared.log if declared else False)
    if not isinstance(log, bool):
        raise ParamError(f"{path}.log: expected true or false, got {log!r}")
    if log and low <= 0:
        raise ParamError(
            f"{path}: a log scale needs low above 0, got {low!r}; raise low or set log: false"
        )
    kind = "int" if param.kind == "int" else "float"
    if kind == "float" and not (math.isfinite(low) and math.isfinite(high)):
        raise ParamError(f"{path}: the range must be finite, got {low!r} to {high!r}")
    return Dimension(param.name, kind, low, high, log)


def allowed_values(param: Param) -> list[Any]:
    """Every value a choice or true/false parameter may take."""
    if param.kind == "bool":
        return [True, False]
    return [*param.choices, *([None] if param.nullable else [])]
