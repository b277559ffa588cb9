"""What a model declaration is made of: the ModelType record and its parts.

The catalog itself lives beside this module, one file per task
(`classification.py`, `regression.py`, `clustering.py`), built from the shared
parameter factories in `_params.py`; `runtime.models` gathers it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from runtime.params import Param

TASKS = ("binary", "multiclass", "regression", "clustering")
CLASSIFICATION = ("binary", "multiclass")


@dataclass(frozen=True)
class Wrapper:
    """A meta-estimator the declared estimator is rendered inside.

    `template` is our own code, never user text: `{model}` stands for the
    rendered estimator. `inner_arg` is the wrapper's argument that holds it
    (`get_params()` names the estimator's parameters `<inner_arg>__<name>`).
    """

    module: str
    cls: str
    template: str
    inner_arg: str
    note: str
    extra_imports: tuple[str, ...] = ()

    @property
    def import_lines(self) -> tuple[str, ...]:
        return (f"from {self.module} import {self.cls}", *self.extra_imports)

    def render(self, model_code: str) -> str:
        return self.template.format(model=model_code)


@dataclass(frozen=True)
class Cost:
    """How a model's run time grows with the data, measured once, roughly.

    At `rows` training rows (and `features` features, when the time also grows
    in proportion to the features) a run took about `seconds` on one core of a
    laptop; beyond that it grows as rows ** growth[0] to rows ** growth[1].
    `part` is what grows ("training" or "prediction"), `advice` what to try.
    """

    rows: int
    seconds: float
    growth: tuple[int, int] = (1, 1)
    features: int | None = None
    part: str = "training"
    advice: str = ""

    def __post_init__(self) -> None:
        low, high = self.growth
        if not 1 <= low <= high <= 3:
            raise ValueError(f"growth {self.growth}: exponents 1 to 3, the smaller first")

    def estimate(self, n_rows: int, n_features: int) -> tuple[float, float]:
        """Rough (low, high) seconds for this many training rows and features."""
        ratio = n_rows / self.rows
        scale = n_features / self.features if self.features else 1.0
        low, high = sorted(self.seconds * ratio**power * scale for power in self.growth)
        return low, high

    def describe(self) -> str:
        size = f"{self.rows:,} training rows"
        if self.features:
            size += f" × {self.features} features"
        growth = growth_words(self.growth, per_feature=self.features is not None)
        return f"{self.part.capitalize()} time grows {growth}; slow above {size}."


def growth_words(growth: tuple[int, int], per_feature: bool = False) -> str:
    """How time grows, in words: 'between the square and the cube of the number of rows'."""
    low, high = growth
    power = {2: "square", 3: "cube"}
    if low == high == 1:
        words = "in proportion to the number of rows"
    elif low == high:
        words = f"with the {power[low]} of the number of rows"
    elif low == 1:
        words = f"between the number of rows and its {power[high]}"
    else:
        words = f"between the {power[low]} and the {power[high]} of the number of rows"
    return words + (", and with the number of features" if per_feature else "")


@dataclass(frozen=True)
class Assignment:
    """How the saved model puts rows in clusters, for a clusterer without `predict`.

    Once the pipeline is fitted, its last step is replaced by `template` (our own
    code, never user text), evaluated with `clusterer` (the fitted clusterer) and
    `features` (the preprocessed training rows) at hand: a fitted estimator whose
    `predict` gives clusters and whose `classes_` lists them. `helper` names a
    snippet in templates/assign/ defining a class the template uses; it is rendered
    into preprocessing.py, where the saved model finds it when it is loaded.
    `noise`: the rule can leave a row out of every cluster (cluster -1).
    """

    template: str
    note: str
    imports: tuple[str, ...] = ()
    helper: str | None = None
    noise: bool = False

    @property
    def snippet(self) -> str | None:
        return f"assign/{self.helper}.py.j2" if self.helper else None


ENSEMBLE_NOTE = (
    "Combines the models the spec lists under model.members: two or more models of "
    "the task, none of them an ensemble."
)


@dataclass(frozen=True)
class Ensemble:
    """How an ensemble combines the models its spec lists as `members`.

    kind "average": the mean of the members' probabilities (soft vote) or
    predictions; "weighted": the same, weighted by each member's
    cross-validation score on the training split; "stacking": a meta-learner
    (the spec's `meta`, else `default_meta`) learns from the members'
    out-of-fold predictions. `settings` names the declared parameters that
    configure the rendered training code rather than the estimator.
    """

    kind: str
    default_meta: str | None = None
    settings: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in ("average", "weighted", "stacking"):
            raise ValueError(f"ensemble kind {self.kind!r}: average, weighted or stacking")


@dataclass(frozen=True)
class LiveCurve:
    """What a model prints while it fits, read as live training curves.

    Setting parameter `param` to `value` makes the estimator print a line per
    epoch, boosting round or tree; verbosity changes what is printed, never what
    is fitted. Each of `lines` is (series, regular expression): the expression's
    group `x` is the epoch / round / tree number (absent: the last number seen)
    and group `y` the value (absent: the seconds since the fit began).
    """

    param: str
    value: object
    x_label: str
    lines: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class NonnegativeTarget:
    """Values of parameter `param` that fit only a target of zero or more (a log link,
    for counts and amounts: XGBoost's Tweedie objective).

    Training refuses them on training rows with a target below 0, with the words
    `what` (what the values are, in a sentence) and `instead` (what to choose
    otherwise) (runtime.executor). The parameter declares no search of its own, as a
    search over such a target would fail its trials: the suggestions add it where the
    target allows (runtime.defaults.suggested_space).
    """

    param: str
    values: tuple[object, ...]
    what: str
    instead: str

    def refusal(self, target: str, lowest: float) -> str:
        return (
            f"{self.what} needs a target of zero or more; {target!r} has values below 0 "
            f"(as low as {lowest:g}) in the training rows: choose {self.instead}"
        )


@dataclass(frozen=True)
class ModelType:
    name: str
    title: str
    tasks: tuple[str, ...]
    module: str
    cls: str
    explanation: str
    params: tuple[Param, ...] = ()
    seed_arg: str | None = "random_state"
    n_jobs_arg: str | None = None
    # Arguments always passed, not user-editable (e.g. a solver setting that
    # keeps results deterministic).
    fixed: tuple[tuple[str, object], ...] = ()
    # The meta-estimator the model is rendered inside, if any.
    wrapper: Wrapper | None = None
    # Clustering: the estimator attribute holding the number of clusters.
    cluster_count_arg: str = "n_clusters"
    # Clustering without `predict`: how the saved model assigns rows to clusters.
    assign: Assignment | None = None
    # Results depend on the features' scales (distances, penalties, gradient
    # steps): `playground init` scales the numeric columns for it.
    needs_scaling: bool = False
    # How run time grows with the data; None when it stays modest.
    cost: Cost | None = None
    # Training curves the playground draws while the model fits, if it reports any.
    live_curve: LiveCurve | None = None
    # How SHAP explains the model: "tree" (shap.TreeExplainer, exact and fast on the
    # fitted trees) or "kernel" (shap.KernelExplainer: any model, estimated from a
    # seeded sample); None with `unexplained` saying why there is no explanation.
    explainer: Literal["tree", "kernel"] | None = "kernel"
    unexplained: str = ""

    # An ensemble of the models the spec lists (runtime/models/ensembles.py).
    ensemble: Ensemble | None = None
    # Parameter values that need a target of zero or more, if any.
    nonnegative_target: NonnegativeTarget | None = None

    def __post_init__(self) -> None:
        if (self.explainer is None) == (not self.unexplained):
            raise ValueError(f"{self.name}: give an explainer, or else why there is none")
        need = self.nonnegative_target
        if need is not None:
            param = next((p for p in self.params if p.name == need.param), None)
            if param is None or param.search is not None:
                raise ValueError(
                    f"{self.name}: {need.param!r} must be a parameter with no search of its "
                    "own (runtime.defaults.suggested_space adds it where the target allows)"
                )

    @property
    def import_line(self) -> str:
        return f"from {self.module} import {self.cls}"

    @property
    def import_lines(self) -> tuple[str, ...]:
        """Every import the rendered model expression needs."""
        return (self.import_line, *(self.wrapper.import_lines if self.wrapper else ()))

    def estimator_params(self, params: dict) -> dict:
        """The parameters passed to the estimator class (not an ensemble's settings)."""
        settings = self.ensemble.settings if self.ensemble else ()
        return {name: value for name, value in params.items() if name not in settings}

    def param_key(self, name: str) -> str:
        """The name `get_params()` of the rendered estimator gives parameter `name`."""
        return f"{self.wrapper.inner_arg}__{name}" if self.wrapper else name

    def describe(self) -> dict:
        notes = [self.wrapper.note] if self.wrapper else []
        if self.assign:
            notes.append(self.assign.note)
        if self.cost:
            notes.append(self.cost.describe())
        if self.ensemble:
            notes.append(ENSEMBLE_NOTE)
        if self.ensemble and self.ensemble.default_meta:
            notes.append(
                f"model.meta names the meta-learner, a model of the task; "
                f"{self.ensemble.default_meta} when it is left out."
            )
        return {
            "name": self.name,
            "title": self.title,
            "tasks": list(self.tasks),
            "estimator": f"{self.module}.{self.cls}",
            "explanation": self.explanation,
            "notes": notes,
            "needs_scaling": self.needs_scaling,
            "explainer": self.explainer,
            "params": [p.describe() for p in self.params],
        }
