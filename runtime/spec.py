"""The pipeline spec: every user choice, in one versioned, validated document.

On disk it is YAML, read with a safe loader (no tags that build objects).
Anything invalid raises SpecError naming the field, the bad value and what
is allowed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from runtime.dataset import READ_OPTIONS
from runtime.models import CLASSIFICATION, MODELS_BY_NAME
from runtime.params import ParamError, validate_params
from runtime.plots import EXPLORE_VIEWS, PLOTS_BY_NAME
from runtime.steps import STAGES, STEPS_BY_NAME

SPEC_VERSION = 2

Scalar = str | int | float | bool | None


class SpecError(ValueError):
    """A spec that cannot be used, with a message a person can act on."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=False)


class DatasetSpec(_Strict):
    path: str = Field(min_length=1)
    format: Literal["csv", "tsv", "parquet", "excel", "json"]
    read_options: dict[str, Scalar] = Field(default_factory=dict)
    sha256: str | None = None

    @model_validator(mode="after")
    def _known_options(self) -> DatasetSpec:
        allowed = READ_OPTIONS[self.format]
        for name in self.read_options:
            if name not in allowed:
                raise ValueError(
                    f"dataset.read_options: {name!r} is not a read option for "
                    f"{self.format}; allowed: {', '.join(allowed) or '(none)'}"
                )
        return self


class ColumnSpec(_Strict):
    name: str = Field(min_length=1)
    type: Literal["numeric", "categorical", "boolean", "datetime", "text", "id"]
    role: Literal["feature", "target", "ignore"] = "feature"


class ExploreView(_Strict):
    # The exploration views of the plot catalog (runtime/plots.py).
    view: Literal[EXPLORE_VIEWS]  # type: ignore[valid-type]
    columns: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _column_count(self) -> ExploreView:
        problem = PLOTS_BY_NAME[self.view].column_problem(self.columns)
        if problem:
            raise ValueError(problem)
        return self


class StepSpec(_Strict):
    type: str
    params: dict[str, Any] = Field(default_factory=dict)
    enabled: bool = True


class SplitSpec(_Strict):
    """How rows are divided into train / validation / test.

    kind random: seeded shuffle (stratified for classification when `stratify`);
    time: ordered by `time_column`, oldest rows train, newest rows test;
    group: all rows of a `group_column` value land in the same part.
    """

    kind: Literal["random", "time", "group"] = "random"
    train: float = Field(default=0.6, gt=0, lt=1)
    validation: float = Field(default=0.2, ge=0, lt=1)
    test: float = Field(default=0.2, gt=0, lt=1)
    stratify: bool = True
    time_column: str | None = None
    group_column: str | None = None

    @model_validator(mode="after")
    def _sums_to_one(self) -> SplitSpec:
        total = self.train + self.validation + self.test
        if abs(total - 1.0) > 1e-9:
            raise ValueError(
                f"train + validation + test must add up to 1, they add up to {total:g}"
            )
        if self.kind == "time" and not self.time_column:
            raise ValueError("split.time_column: a time split needs the date column to order by")
        if self.kind == "group" and not self.group_column:
            raise ValueError("split.group_column: a group split needs the column naming groups")
        return self


class ModelSpec(_Strict):
    type: str
    params: dict[str, Any] = Field(default_factory=dict)


class EvaluationSpec(_Strict):
    # Cross-validation on the training split: mean and spread of every metric.
    # Folds follow the split kind: stratified, time-ordered or grouped.
    cv_folds: int | None = Field(default=None, ge=2, le=20)
    # Silhouette costs O(n^2); above this many rows it is computed on a seeded sample.
    silhouette_sample_size: int = Field(default=5000, ge=100, le=100000)
    # Clustering: a column of known groups kept aside (not a feature); the clusters
    # are compared with it by the adjusted Rand index on every split.
    label_column: str | None = Field(default=None, min_length=1)


class Spec(_Strict):
    spec_version: int
    name: str = Field(min_length=1)
    task: Literal["binary", "multiclass", "regression", "clustering"]
    seed: int = Field(default=42, ge=0, le=2**32 - 1)
    n_jobs: int = Field(default=1, ge=1, le=64)
    dataset: DatasetSpec
    columns: list[ColumnSpec] = Field(min_length=1)
    classes: list[str | int | bool] | None = None
    explore: list[ExploreView] = Field(default_factory=list)
    # Exploration views show at most this many rows: a sample seeded by `seed`.
    explore_sample_size: int = Field(default=5000, ge=100, le=1_000_000)
    steps: list[StepSpec] = Field(default_factory=list)
    split: SplitSpec = Field(default_factory=SplitSpec)
    model: ModelSpec
    evaluation: EvaluationSpec = Field(default_factory=EvaluationSpec)

    # -- derived views ---------------------------------------------------

    @property
    def target(self) -> str | None:
        targets = [c.name for c in self.columns if c.role == "target"]
        return targets[0] if targets else None

    @property
    def features(self) -> list[str]:
        return [c.name for c in self.columns if c.role == "feature"]

    @property
    def is_classification(self) -> bool:
        return self.task in CLASSIFICATION

    def column(self, name: str) -> ColumnSpec:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    def active_steps(self, stage: str | None = None) -> list[tuple[int, StepSpec]]:
        """(1-based position, step) of the enabled steps, optionally of one stage."""
        return [
            (i, s)
            for i, s in enumerate(self.steps, start=1)
            if s.enabled and (stage is None or STEPS_BY_NAME[s.type].stage == stage)
        ]

    # -- cross-field checks ------------------------------------------------

    @model_validator(mode="after")
    def _consistent(self) -> Spec:
        if self.spec_version > SPEC_VERSION:
            raise ValueError(
                f"spec_version {self.spec_version} is newer than this AI-Playground "
                f"understands ({SPEC_VERSION}); upgrade AI-Playground to load it"
            )
        if self.spec_version < 1:
            raise ValueError(f"spec_version {self.spec_version} is not valid; use {SPEC_VERSION}")
        names = [c.name for c in self.columns]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"columns: {dupes[0]!r} is listed more than once")
        targets = [c.name for c in self.columns if c.role == "target"]
        if self.task == "clustering":
            if targets:
                raise ValueError(
                    f"columns: clustering has no target, but {targets[0]!r} has role 'target'"
                )
        elif len(targets) != 1:
            raise ValueError(
                f"columns: task {self.task!r} needs exactly one column with role 'target', "
                f"found {len(targets)}"
            )
        if not self.features:
            raise ValueError("columns: no column has role 'feature'; the model needs at least one")
        if self.is_classification:
            if not self.classes or len(self.classes) < 2:
                raise ValueError(
                    f"classes: a {self.task} task needs the list of target classes "
                    f"(at least 2), got {self.classes!r}"
                )
            if self.task == "binary" and len(self.classes) != 2:
                raise ValueError(
                    f"classes: a binary task has exactly 2 classes, got {len(self.classes)}; "
                    "use task 'multiclass'"
                )
        elif self.classes is not None:
            raise ValueError(f"classes: only classification tasks have classes, not {self.task!r}")
        for field in ("time_column", "group_column"):
            name = getattr(self.split, field)
            if name is not None and name not in names:
                raise ValueError(
                    f"split.{field}: {name!r} is not a column; columns: {', '.join(names[:30])}"
                )
        for i, view in enumerate(self.explore, start=1):
            unknown = [c for c in view.columns if c not in names]
            if unknown:
                raise ValueError(
                    f"explore[{i}] ({view.view}): {unknown[0]!r} is not a column; "
                    f"columns: {', '.join(names[:30])}"
                )
        if self.split.kind == "time" and self.split.time_column == self.target:
            raise ValueError("split.time_column: the target cannot order the split")
        self._check_label_column(names)
        self._check_steps()
        self._check_model()
        return self

    def _check_label_column(self, names: list[str]) -> None:
        name = self.evaluation.label_column
        if name is None:
            return
        where = "evaluation.label_column"
        if self.task != "clustering":
            raise ValueError(
                f"{where}: only clustering compares its clusters with labels kept aside; a "
                f"{self.task} task measures its predictions against the target, so remove it"
            )
        if name not in names:
            raise ValueError(f"{where}: {name!r} is not a column; columns: {', '.join(names[:30])}")
        if self.column(name).role == "feature":
            raise ValueError(
                f"{where}: {name!r} is a feature, so the clusters would be found with the "
                "labels they are compared with; set its role to 'ignore'"
            )

    def _check_steps(self) -> None:
        last_stage = 0
        for i, step in enumerate(self.steps, start=1):
            where = f"steps[{i}] ({step.type})"
            decl = STEPS_BY_NAME.get(step.type)
            if decl is None:
                allowed = ", ".join(STEPS_BY_NAME)
                raise ValueError(f"steps[{i}].type: unknown step {step.type!r}; allowed: {allowed}")
            try:
                step.params = validate_params(decl.params, step.params, f"steps[{i}].params")
            except ParamError as exc:
                raise ValueError(str(exc)) from None
            if decl.needs_target and self.task == "clustering":
                raise ValueError(
                    f"{where}: this step learns from the target, and clustering has none"
                )
            stage = STAGES.index(decl.stage)
            if decl.stage == "clean" and stage < last_stage:
                raise ValueError(
                    f"{where}: cleaning steps remove rows before the split, so they must "
                    "come before every column step; move it up"
                )
            last_stage = max(last_stage, stage)

    def _check_model(self) -> None:
        decl = MODELS_BY_NAME.get(self.model.type)
        if decl is None:
            allowed = ", ".join(MODELS_BY_NAME)
            raise ValueError(f"model.type: unknown model {self.model.type!r}; allowed: {allowed}")
        if self.task not in decl.tasks:
            fitting = ", ".join(n for n, m in MODELS_BY_NAME.items() if self.task in m.tasks)
            raise ValueError(
                f"model.type: {self.model.type!r} does not serve task {self.task!r}; "
                f"models for it: {fitting}"
            )
        try:
            self.model.params = validate_params(decl.params, self.model.params, "model.params")
        except ParamError as exc:
            raise ValueError(str(exc)) from None


def _path(loc: tuple) -> str:
    # List items are numbered from 1, like steps[1] in the checks above.
    parts = [f"[{p + 1}]" if isinstance(p, int) else f".{p}" for p in loc]
    return "".join(parts).removeprefix(".") or "spec"


def _fields_at(loc: tuple) -> list[str]:
    """The field names of the spec section at `loc` (for an unknown-field message)."""
    model: Any = Spec
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        model = _model_in(field.annotation) if field else None
        if model is None:
            return []
    return list(model.model_fields)


def _model_in(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return next((m for a in get_args(annotation) if (m := _model_in(a))), None)


def _format_validation_error(exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        path = _path(err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] in ("value_error", "assertion_error"):
            named = not err["loc"] or msg.startswith(f"{path}.")
            lines.append(msg if named else f"{path}: {msg}")
        elif err["type"] == "extra_forbidden":
            allowed = ", ".join(_fields_at(err["loc"][:-1]))
            lines.append(f"{path}: unknown field (check its spelling); allowed: {allowed}")
        elif err["type"] == "missing":
            lines.append(f"{path}: required field is missing")
        else:
            lines.append(f"{path}: {msg} (got {err.get('input')!r})")
    return "invalid spec:\n  " + "\n  ".join(lines)


def _ratio_to_arithmetic(data: dict) -> dict:
    """Version 1 had a 'ratio' step; 'arithmetic' with operation 'ratio' does the same.
    The output keeps its old default name, so later steps still find it."""
    steps = []
    for step in data.get("steps") or []:
        if isinstance(step, dict) and step.get("type") == "ratio":
            params = dict(step.get("params") or {})
            left, right = params.pop("numerator", None), params.pop("denominator", None)
            output = params.pop("output", None) or f"{left}_per_{right}"
            params = {**params, "left": left, "right": right, "operation": "ratio"}
            step = {**step, "type": "arithmetic", "params": {**params, "output": output}}
        steps.append(step)
    return {**data, "steps": steps} if "steps" in data else data


# Upgrades from each older spec_version to the next, applied in order on loading.
UPGRADES = {1: _ratio_to_arithmetic}


def upgrade(data: dict) -> dict:
    """The spec `data` brought to SPEC_VERSION (an older spec still loads)."""
    version = data.get("spec_version")
    if not isinstance(version, int) or isinstance(version, bool):
        return data  # validation names the problem
    while version in UPGRADES and version < SPEC_VERSION:
        data = {**UPGRADES[version](data), "spec_version": version + 1}
        version += 1
    return data


def parse_spec(data: Any) -> Spec:
    """Validate a plain dict (as loaded from YAML or JSON) into a Spec, upgraded from
    an older spec_version if need be."""
    if data is None:
        raise SpecError("the spec is empty; write one with `playground init DATA --target COLUMN`")
    if not isinstance(data, dict):
        raise SpecError(f"invalid spec: expected a mapping at the top, got {type(data).__name__}")
    try:
        return Spec.model_validate(upgrade(data))
    except ValidationError as exc:
        raise SpecError(_format_validation_error(exc)) from None


def load_spec(path: str | Path) -> Spec:
    """Read and validate a spec file (safe YAML loader only)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(f"spec file not found: {path}") from None
    except UnicodeDecodeError:
        raise SpecError(f"{path}: not a UTF-8 text file; a spec is YAML text") from None
    return loads_spec(text, str(path))


def loads_spec(text: str, source: str = "spec") -> Spec:
    """Validate spec YAML text (safe loader only); `source` names it in messages."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        # The problem and where it is, without the multi-line excerpt PyYAML adds.
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        if isinstance(exc, yaml.constructor.ConstructorError):
            # e.g. !!python/object/apply:os.system, which the safe loader refuses.
            problem += "; a spec is plain YAML, and tags that build objects are not allowed"
        raise SpecError(f"{source}: not valid YAML{where}: {problem}") from None
    return parse_spec(data)


def steps_using(spec: Spec, names: list[str]) -> list[int]:
    """The numbers of the steps whose parameters name any of these columns."""
    wanted = set(names)
    return [
        index
        for index, step in enumerate(spec.steps, start=1)
        if wanted.intersection(_names_in(step.params))
    ]


def _names_in(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [n for v in value.values() for n in _names_in(v)]
    if isinstance(value, list):
        return [n for v in value for n in _names_in(v)]
    return []


def spec_to_dict(spec: Spec) -> dict[str, Any]:
    return spec.model_dump(mode="json")


class _SpecDumper(yaml.SafeDumper):
    """safe_dump's dumper, but text holding NEL (U+0085) is written double-quoted,
    where it is escaped: PyYAML writes it raw in the other styles and reads it back
    as a line break, so a column named "a", NEL, "b" came back as "a b"."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    if "\x85" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')
    return dumper.represent_str(value)


_SpecDumper.add_representer(str, _represent_str)


def dump_spec(spec: Spec) -> str:
    return yaml.dump(
        spec_to_dict(spec), Dumper=_SpecDumper, sort_keys=False, allow_unicode=True, width=100
    )


def save_spec(spec: Spec, path: str | Path) -> None:
    Path(path).write_text(dump_spec(spec), encoding="utf-8")
