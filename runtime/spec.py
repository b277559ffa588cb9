"""The pipeline spec: every user choice, in one versioned, validated document.

On disk it is YAML, read with a safe loader (no tags that build objects).
Anything invalid raises SpecError naming the field, the bad value and what
is allowed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_serializer,
    model_validator,
)

from runtime.dataset import READ_OPTIONS
from runtime.metrics import DEFAULT_TUNING_METRIC, metrics_for
from runtime.models import CLASSIFICATION, MODELS_BY_NAME, member_types, models_for_task
from runtime.params import ParamError, validate_params
from runtime.plots import EXPLAIN_VIEWS, EXPLORE_VIEWS, PLOTS_BY_NAME
from runtime.safe_yaml import load as load_yaml
from runtime.search_space import candidate_overrides, key_owner, resolve_space
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


class ExplainView(_Strict):
    """An explanation of the trained model the user looked at (runtime/plots.py);
    `row` is the position, from 0, of the explained row in the test split."""

    view: Literal[EXPLAIN_VIEWS]  # type: ignore[valid-type]
    row: int | None = Field(default=None, ge=0)
    columns: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _row_and_columns(self) -> ExplainView:
        decl = PLOTS_BY_NAME[self.view]
        if decl.takes_row and self.row is None:
            raise ValueError(
                f"the {self.view} view explains one row: give its `row` in the test split"
            )
        if not decl.takes_row and self.row is not None:
            raise ValueError(f"the {self.view} view explains no single row; remove `row`")
        problem = decl.column_problem(self.columns)
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


class MemberSpec(_Strict):
    """A model inside an ensemble: a member, or the meta-learner of a stacking."""

    type: str
    params: dict[str, Any] = Field(default_factory=dict)


class ModelSpec(_Strict):
    type: str
    params: dict[str, Any] = Field(default_factory=dict)
    # Ensembles only: the models combined, and stacking's meta-learner.
    members: list[MemberSpec] | None = None
    meta: MemberSpec | None = None


class DecisionSpec(_Strict):
    """Binary classification: the probability of the positive class (the second of
    `classes`) from which a row is predicted positive.

    rule max_f1: the threshold of the best F1 on the validation split;
    target_precision: the lowest threshold whose validation precision reaches
    `target` (the most recall at that precision); target_recall: the highest
    threshold whose validation recall reaches `target` (the best precision at
    that recall); manual: `threshold` as given.
    """

    rule: Literal["max_f1", "target_precision", "target_recall", "manual"] = "max_f1"
    target: float | None = Field(default=None, gt=0, lt=1)
    threshold: float | None = Field(default=None, gt=0, lt=1)

    @model_validator(mode="after")
    def _fields_of_rule(self) -> DecisionSpec:
        if self.rule in ("target_precision", "target_recall") and self.target is None:
            raise ValueError(
                f"decision.target: rule {self.rule!r} needs the {self.rule[7:]} to reach, "
                "a number between 0 and 1 (e.g. 0.8)"
            )
        if self.rule not in ("target_precision", "target_recall") and self.target is not None:
            raise ValueError(
                f"decision.target: only a target_... rule has a target, not {self.rule!r}"
            )
        if self.rule == "manual" and self.threshold is None:
            raise ValueError(
                "decision.threshold: a manual rule needs the threshold, a probability "
                "between 0 and 1 (e.g. 0.3)"
            )
        if self.rule != "manual" and self.threshold is not None:
            raise ValueError(
                f"decision.threshold: rule {self.rule!r} chooses the threshold on the "
                "validation split; set rule 'manual' to give it yourself"
            )
        return self


class EvaluationSpec(_Strict):
    # Cross-validation on the training split: mean and spread of every metric.
    # Folds follow the split kind: stratified, time-ordered or grouped.
    cv_folds: int | None = Field(default=None, ge=2, le=20)
    # Silhouette costs O(n^2); above this many rows it is computed on a seeded sample.
    silhouette_sample_size: int = Field(default=5000, ge=100, le=100000)
    # Clustering: a column of known groups kept aside (not a feature); the clusters
    # are compared with it by the adjusted Rand index on every split.
    label_column: str | None = Field(default=None, min_length=1)


class SpaceOverride(_Strict):
    """Where tuning looks for one parameter: a range, choices, or one fixed value."""

    low: int | float | None = None
    high: int | float | None = None
    log: bool | None = None
    choices: list[Scalar] | None = None
    fixed: Scalar = None

    def given(self) -> dict[str, Any]:
        # Only what the spec wrote: `fixed: null` (e.g. no depth limit) is a value.
        return {name: getattr(self, name) for name in self.model_fields_set}

    @model_serializer(mode="wrap")
    def _only_given(self, handler) -> dict[str, Any]:
        return {k: v for k, v in handler(self).items() if k in self.model_fields_set}


class TuningBest(_Strict):
    """What the study found: its best cross-validated value, and after how many trials."""

    value: float
    trial: int = Field(ge=0)
    trials: int = Field(ge=1)
    study: str | None = None


class TuningSpec(_Strict):
    """Hyperparameter search (Optuna) on cross-validation of the training split.

    The tuned values themselves live in model.params, as plain values.
    """

    method: Literal["tpe", "random", "grid"] = "tpe"
    # A metric of the task (runtime/metrics.py); None: the task's usual one.
    metric: str | None = None
    cv_folds: int = Field(default=5, ge=2, le=20)
    n_trials: int = Field(default=30, ge=1, le=100_000)
    timeout_seconds: float | None = Field(default=None, gt=0)
    # Median: a trial whose mean so far is below the median of earlier trials' means on
    # the same folds stops there. On titanic it ran 65 trials in 40 s where none ran 34.
    pruner: Literal["none", "median", "successive_halving"] = "median"
    space: dict[str, SpaceOverride] = Field(default_factory=dict)
    # Other models of the task the search may choose instead of model.type, each over
    # its declared ranges (tuning.space narrows model.type's alone). Empty: the search
    # tunes model.type's parameters only.
    models: list[str] = Field(default_factory=list, max_length=20)
    # Ship tune.py (and a tuning section in the notebook) with the export.
    export_search: bool = False
    # The Optuna study name; None: one derived from the spec, so a rerun resumes it.
    study: str | None = Field(default=None, min_length=1, max_length=200)
    best: TuningBest | None = None


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
    # The explanations of the trained model the user looked at, in order.
    explain: list[ExplainView] = Field(default_factory=list)
    steps: list[StepSpec] = Field(default_factory=list)
    split: SplitSpec = Field(default_factory=SplitSpec)
    model: ModelSpec
    evaluation: EvaluationSpec = Field(default_factory=EvaluationSpec)
    decision: DecisionSpec | None = None
    tuning: TuningSpec | None = None

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
        self._check_explain()
        self._check_decision()
        self._check_tuning()
        return self

    def _check_explain(self) -> None:
        """Explanations need a target, a model SHAP can explain, and input columns.
        (Whether `row` lies in the test split is known once the data is split.)"""
        decl = MODELS_BY_NAME[self.model.type]
        for i, view in enumerate(self.explain, start=1):
            where = f"explain[{i}] ({view.view})"
            plot = PLOTS_BY_NAME[view.view]
            if plot.uses_shap and decl.explainer is None:
                raise ValueError(f"{where}: {decl.unexplained}")
            if self.task not in plot.tasks:
                raise ValueError(f"{where}: a {self.task} model has no predictions to explain")
            unknown = [c for c in view.columns if c not in self.features]
            if unknown:
                raise ValueError(
                    f"{where}: {unknown[0]!r} is not an input column of the model; "
                    f"input columns: {', '.join(self.features[:30])}"
                )

    def _check_decision(self) -> None:
        if self.decision is None:
            return
        if self.task != "binary":
            raise ValueError(
                f"decision: a decision threshold splits two classes; a {self.task} task has "
                "none, so remove it"
            )
        if self.decision.rule != "manual" and self.split.validation == 0:
            raise ValueError(
                f"decision: rule {self.decision.rule!r} chooses the threshold on the "
                "validation split, and the split has none; choose a validation share "
                "(split.validation) or a manual threshold"
            )

    def _check_tuning(self) -> None:
        tuning = self.tuning
        if tuning is None:
            return
        if self.task not in DEFAULT_TUNING_METRIC:
            raise ValueError(
                f"tuning: a {self.task} task cannot be tuned yet (tuning scores predictions "
                "against a target); remove the tuning section"
            )
        metrics = metrics_for(self.task)
        if tuning.metric is None:
            tuning.metric = DEFAULT_TUNING_METRIC[self.task]
        elif tuning.metric not in metrics:
            raise ValueError(
                f"tuning.metric: {tuning.metric!r} is not a metric of a {self.task} task; "
                f"choose one of {', '.join(metrics)}"
            )
        self._check_tuning_models()
        decl = MODELS_BY_NAME[self.model.type]
        given = {name: o.given() for name, o in tuning.space.items()}
        candidates = [self.model.type, *tuning.models]
        for key in given:
            owner, _ = key_owner(key, self.model.type)
            if owner not in candidates:
                raise ValueError(
                    f"tuning.space.{key}: {owner!r} is not a model of the search; "
                    f"write a parameter of {self.model.type} bare, or prefix it with one of "
                    f"{', '.join(candidates)}"
                )
        try:
            spaces = {
                name: resolve_space(
                    MODELS_BY_NAME[name],
                    candidate_overrides(given, name, self.model.type),
                    "tuning.space" if name == self.model.type else f"tuning.space.{name}",
                )
                for name in candidates
            }
        except ParamError as exc:
            raise ValueError(str(exc)) from None
        space = spaces[self.model.type]
        if not any(d.searched for d in space) and not tuning.models:
            tunable = [p.name for p in decl.params if p.kind in ("int", "float", "choice", "bool")]
            raise ValueError(
                f"tuning.space: no parameter of {self.model.type} is searched; give at least "
                f"one a range or choices (its parameters: {', '.join(tunable) or 'none'})"
            )

    def _check_tuning_models(self) -> None:
        """tuning.models: models of the task, none an ensemble, searched by TPE or at random.

        Duplicates and model.type itself are dropped: model.type is always a candidate."""
        tuning = self.tuning
        allowed = [m.name for m in member_types(self.task)]
        for name in tuning.models:
            if name not in allowed:
                raise ValueError(
                    f"tuning.models: {name!r} is not a model a {self.task} search can choose; "
                    f"choose among {', '.join(allowed)}"
                )
        tuning.models = [
            name
            for i, name in enumerate(tuning.models)
            if name != self.model.type and name not in tuning.models[:i]
        ]
        if not tuning.models:
            return
        if MODELS_BY_NAME[self.model.type].ensemble is not None:
            raise ValueError(
                f"tuning.models: {self.model.type} is an ensemble, which a search cannot "
                "choose among; make model.type one of the models or clear tuning.models"
            )
        if tuning.method == "grid":
            raise ValueError(
                "tuning.models: a grid search tunes one model; choose method tpe or random "
                "to search several, or clear tuning.models"
            )

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
        decl = self._checked_model(self.model, "model")
        if decl.ensemble is None:
            for field in ("members", "meta"):
                if getattr(self.model, field) is not None:
                    raise ValueError(
                        f"model.{field}: only an ensemble combines models; "
                        f"{self.model.type!r} is a single model, so remove it"
                    )
            return
        members = self.model.members or []
        if len(members) < 2:
            raise ValueError(
                f"model.members: an ensemble combines at least 2 models, got {len(members)}; "
                f"models for {self.task}: {', '.join(m.name for m in member_types(self.task))}"
            )
        for i, member in enumerate(members, start=1):
            self._checked_model(member, f"model.members[{i}]", in_ensemble=True)
        if decl.ensemble.kind != "stacking":
            if self.model.meta is not None:
                raise ValueError(
                    f"model.meta: only a stacking ensemble has a meta-learner; "
                    f"{self.model.type!r} averages its members, so remove it"
                )
            return
        if self.model.meta is None:
            self.model.meta = MemberSpec(type=decl.ensemble.default_meta)
        self._checked_model(self.model.meta, "model.meta", in_ensemble=True)
        if self.split.kind != "random":
            raise ValueError(
                f"model.type: stacking learns from out-of-fold predictions of plain folds, "
                f"which would mix the {self.split.kind} split's "
                f"{'periods' if self.split.kind == 'time' else 'groups'}; use a random split, "
                "or an average or weighted ensemble"
            )

    def _checked_model(self, model, where: str, in_ensemble: bool = False):
        """The declaration of `model` (the spec's, a member or a meta-learner), its
        parameters validated and filled in."""
        decl = MODELS_BY_NAME.get(model.type)
        fitting = member_types(self.task) if in_ensemble else models_for_task(self.task)
        if decl is None:
            allowed = ", ".join(MODELS_BY_NAME)
            raise ValueError(f"{where}.type: unknown model {model.type!r}; allowed: {allowed}")
        if in_ensemble and decl.ensemble is not None:
            raise ValueError(
                f"{where}.type: {model.type!r} is an ensemble, and ensembles do not nest; "
                f"choose one of: {', '.join(m.name for m in fitting)}"
            )
        if self.task not in decl.tasks:
            raise ValueError(
                f"{where}.type: {model.type!r} does not serve task {self.task!r}; "
                f"models for it: {', '.join(m.name for m in fitting)}"
            )
        try:
            model.params = validate_params(decl.params, model.params, f"{where}.params")
        except ParamError as exc:
            raise ValueError(str(exc)) from None
        return decl


def _path(loc: tuple) -> str:
    # List items are numbered from 1, like steps[1] in the checks above.
    parts = [f"[{p + 1}]" if isinstance(p, int) else f".{p}" for p in loc]
    return "".join(parts).removeprefix(".") or "spec"


def _fields_at(loc: tuple) -> list[str]:
    """The field names of the spec section at `loc` (for an unknown-field message)."""
    model: Any = Spec
    keyed = False  # the part after a mapping field (tuning.space) is a key, not a field
    for part in loc:
        if isinstance(part, int) or keyed:
            keyed = False
            continue
        field = model.model_fields.get(part)
        model = _model_in(field.annotation) if field else None
        if model is None:
            return []
        keyed = get_origin(field.annotation) is dict
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
        data = load_yaml(text)
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
    data = spec.model_dump(mode="json")
    # Optional sections most specs lack stay out of the document, not as nulls.
    for section, field in (("model", "members"), ("model", "meta")):
        if data[section][field] is None:
            del data[section][field]
    if data["decision"] is None:
        del data["decision"]
    return data


class _SpecDumper(yaml.SafeDumper):
    """safe_dump's dumper, but text holding NEL (U+0085) is written double-quoted,
    where it is escaped: PyYAML writes it raw in the other styles and reads it back
    as a line break, so a column named "a", NEL, "b" came back as "a b"."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    if "\x85" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')
    return dumper.represent_str(value)


_SpecDumper.add_representer(str, _represent_str)

# libyaml's emitter (the C dumper, when PyYAML was built with it) writes a spec
# several times faster. Its text is byte-identical to the pure dumper's when every
# string is one line of printable characters other than the line and paragraph
# separators and the byte-order mark, and no key is empty or long: elsewhere it quotes
# astral characters, folds long double-quoted lines at other places, writes an empty
# key without "? ", and writes a long key with "? " past another length (more than
# 128 bytes; the pure dumper: more than 122 characters, its "!!str" tag counted).
# tests/test_spec.py compares both over varied specs.
_LIBYAML_SAME = re.compile("[\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd]*")

if getattr(yaml, "__with_libyaml__", False):

    class _CSpecDumper(yaml.CSafeDumper):
        """_SpecDumper with libyaml's emitter."""

    _CSpecDumper.add_representer(str, _represent_str)
else:  # PyYAML without libyaml: the pure dumper writes every spec
    _CSpecDumper = None


def _libyaml_writes_same(value: Any) -> bool:
    if isinstance(value, str):
        return _LIBYAML_SAME.fullmatch(value) is not None
    if isinstance(value, dict):
        return all(
            _libyaml_writes_same_key(key) and _libyaml_writes_same(item)
            for key, item in value.items()
        )
    if isinstance(value, list):
        return all(_libyaml_writes_same(item) for item in value)
    return True  # numbers, booleans and None: the representer writes them, not the emitter


def _libyaml_writes_same_key(key: Any) -> bool:
    if not isinstance(key, str):
        return True
    # Both dumpers write it as a simple key, without "? ".
    short = len(key) <= 122 and len(key.encode("utf-8")) <= 128
    return key != "" and short and _libyaml_writes_same(key)


def dump_spec(spec: Spec) -> str:
    data = spec_to_dict(spec)
    fast = _CSpecDumper is not None and _libyaml_writes_same(data)
    dumper = _CSpecDumper if fast else _SpecDumper
    return yaml.dump(data, Dumper=dumper, sort_keys=False, allow_unicode=True, width=100)


def save_spec(spec: Spec, path: str | Path) -> None:
    Path(path).write_text(dump_spec(spec), encoding="utf-8")
