"""The plot catalog, and plots of a spec computed by running its rendered plots.py.

A plot is declared once here: its name, title, whether it shows the data
(an exploration view the spec records), a trained model (a result plot) or
explains the model's predictions (an explanation the spec records: SHAP,
partial dependence, and permutation importance, which is also a result plot),
the tasks it serves and what it needs of the model. Its code lives once, in
`templates/plots/<name>.py.j2`: a function `<name>_data` that computes what
is drawn (a DataFrame or a small dict) and a function `draw_<name>` that
draws it with matplotlib. The generator renders the plots that apply into the
exported `plots.py`; the notebook and this module call those same functions,
so the playground shows the figures the notebook draws. Nothing here draws or
computes a plot itself.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from runtime.models import CLASSIFICATION, MODELS_BY_NAME, ModelType

if TYPE_CHECKING:  # the spec imports this catalog; the runtime parts import lazily
    from runtime.executor import Runner, RunResult
    from runtime.spec import Spec

SUPERVISED = (*CLASSIFICATION, "regression")
TASKS = (*SUPERVISED, "clustering")

# What a result plot may need of the model beyond its task (see `capabilities`).
PROBABILITIES = "probabilities"
NATIVE_IMPORTANCE = "native_importance"


@dataclass(frozen=True)
class PlotType:
    name: str
    title: str
    kind: Literal["explore", "result", "explain"]
    help: str
    tasks: tuple[str, ...] = TASKS
    # Result plots: capabilities the model must have, and must not have.
    needs: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()
    # Result plots: the split they are computed on.
    split: Literal["train", "test"] = "test"
    # Exploration views: how many columns the view takes, and what they mean.
    min_columns: int = 0
    max_columns: int | None = 0
    columns_help: str = ""
    # The spec's `explain` list may name it (the kind "explain", and result plots
    # that also explain, like permutation importance).
    explains: bool = False
    # Explanations: drawn from SHAP values, so the model needs an explainer.
    uses_shap: bool = False
    # Explanations: the view shows one row, the spec names which.
    takes_row: bool = False

    @property
    def snippet(self) -> str:
        """The template file holding this plot's data and draw functions."""
        return f"plots/{self.name}.py.j2"

    def applies(self, spec: Spec) -> bool:
        """Whether this result plot is made for the spec's task and model."""
        if self.kind != "result" or spec.task not in self.tasks:
            return False
        have = capabilities(spec)
        return set(self.needs) <= have and not set(self.unless) & have

    def column_problem(self, columns: list[str]) -> str | None:
        """What is wrong with the columns an exploration view names, if anything."""
        count = len(columns)
        if self.min_columns <= count and (self.max_columns is None or count <= self.max_columns):
            return None
        if self.max_columns == 0:
            return f"the {self.name} view takes no columns (it shows every column); remove them"
        if self.max_columns == self.min_columns:
            wanted = f"exactly {self.min_columns}"
        elif self.max_columns is None:
            wanted = f"at least {self.min_columns}"
        else:
            wanted = f"{self.min_columns} to {self.max_columns}"
        return f"the {self.name} view takes {wanted} columns ({self.columns_help}), got {count}"

    def describe(self) -> dict:
        return {
            "name": self.name,
            "title": self.title,
            "kind": self.kind,
            "help": self.help,
            "tasks": list(self.tasks),
            "needs": list(self.needs),
            "unless": list(self.unless),
            "explains": self.explains,
        }


def _explore(name: str, title: str, help: str, **columns: Any) -> PlotType:
    return PlotType(name=name, title=title, kind="explore", help=help, **columns)


def _explain(name: str, title: str, help: str, takes_row: bool = False) -> PlotType:
    return PlotType(
        name=name,
        title=title,
        kind="explain",
        help=help,
        tasks=SUPERVISED,
        explains=True,
        uses_shap=True,
        takes_row=takes_row,
    )


PLOT_TYPES: tuple[PlotType, ...] = (
    # -- exploration views (the spec's `explore` list names them) --------------
    _explore(
        "summary",
        "Summary table",
        "Type, missing and distinct values, and the range of every column.",
    ),
    _explore(
        "distribution",
        "Distribution",
        "A histogram of each numeric column, the most frequent values of any other.",
        min_columns=1,
        max_columns=None,
        columns_help="the columns to show",
    ),
    _explore(
        "correlation",
        "Correlation matrix",
        "Pearson correlation of every pair of numeric columns.",
        min_columns=2,
        max_columns=None,
        columns_help="numeric columns",
    ),
    _explore(
        "missing",
        "Missing values",
        "The share of each column that is empty, and where in the rows the gaps are.",
    ),
    _explore(
        "target_balance",
        "Target distribution",
        "How often each value of the target occurs (a histogram for a numeric target).",
        min_columns=1,
        max_columns=1,
        columns_help="the target column",
    ),
    _explore(
        "scatter",
        "Scatter plot",
        "One numeric column against another, one point per row.",
        min_columns=2,
        max_columns=2,
        columns_help="the x and y columns, numeric",
    ),
    _explore(
        "box",
        "Box plot",
        "Quartiles and whiskers of a numeric column, for each value of a category column.",
        min_columns=1,
        max_columns=2,
        columns_help="a numeric column, then optionally a category column",
    ),
    # -- result plots (from the trained model, chosen by task and model) -------
    PlotType(
        "confusion_matrix",
        "Confusion matrix",
        "result",
        "How many test rows of each true class were predicted as each class.",
        tasks=CLASSIFICATION,
    ),
    PlotType(
        "roc_curve",
        "ROC curve",
        "result",
        "True against false positive rate as the decision threshold moves (one class "
        "against the rest for several classes).",
        tasks=CLASSIFICATION,
        needs=(PROBABILITIES,),
    ),
    PlotType(
        "precision_recall",
        "Precision-recall curve",
        "result",
        "Precision against recall as the decision threshold moves.",
        tasks=CLASSIFICATION,
        needs=(PROBABILITIES,),
    ),
    PlotType(
        "calibration",
        "Calibration curve",
        "result",
        "How often a class occurs among test rows given each predicted probability; "
        "a calibrated model lies on the diagonal.",
        tasks=CLASSIFICATION,
        needs=(PROBABILITIES,),
    ),
    PlotType(
        "residuals",
        "Residuals against predicted",
        "result",
        "Actual minus predicted value of each test row, against the prediction.",
        tasks=("regression",),
    ),
    PlotType(
        "predicted_vs_actual",
        "Predicted against actual",
        "result",
        "The prediction of each test row against its actual value; perfect predictions "
        "lie on the diagonal.",
        tasks=("regression",),
    ),
    PlotType(
        "feature_importance",
        "Feature importance",
        "result",
        "The model's own importance of each feature it sees (after preparation): "
        "impurity decrease for trees, the size of the coefficient for linear models.",
        tasks=SUPERVISED,
        needs=(NATIVE_IMPORTANCE,),
    ),
    PlotType(
        "permutation_importance",
        "Permutation importance",
        "result",
        "How much the test score drops when one input column is shuffled, on a seeded "
        "sample of test rows; for models without importances of their own.",
        tasks=SUPERVISED,
        unless=(NATIVE_IMPORTANCE,),
        explains=True,
    ),
    PlotType(
        "learning_curve",
        "Learning curve",
        "result",
        "Training and cross-validated score as the model sees more training rows, on a "
        "seeded sample of the training split.",
        tasks=SUPERVISED,
        split="train",
    ),
    PlotType(
        "cluster_sizes",
        "Cluster sizes",
        "result",
        "How many test rows fall in each cluster.",
        tasks=("clustering",),
    ),
    # -- explanations (the spec's `explain` list names them) ---------------------
    _explain(
        "shap_importance",
        "SHAP importance",
        "The mean absolute SHAP value of each input column over a seeded sample of test "
        "rows: how far, on average, the column moves a prediction from the average "
        "prediction. The prepared features of one column (e.g. its one-hot columns) are "
        "summed into that column.",
    ),
    _explain(
        "shap_beeswarm",
        "SHAP beeswarm",
        "One dot per sampled test row and input column: its SHAP value (how far the column "
        "moved that row's prediction), coloured by the column's value, high or low.",
    ),
    _explain(
        "shap_row",
        "SHAP explanation of one row",
        "How each input column moved the prediction of the chosen test row from the average "
        "prediction, largest first.",
        takes_row=True,
    ),
    PlotType(
        "partial_dependence",
        "Partial dependence",
        "explain",
        "The average prediction over a seeded sample of test rows when a column is set to "
        "each value of a grid, the rest of every row as it is.",
        tasks=SUPERVISED,
        explains=True,
        min_columns=1,
        max_columns=4,
        columns_help="input columns, e.g. the most important ones",
    ),
)

PLOTS_BY_NAME = {p.name: p for p in PLOT_TYPES}
EXPLORE_VIEWS = tuple(p.name for p in PLOT_TYPES if p.kind == "explore")
RESULT_PLOTS = tuple(p.name for p in PLOT_TYPES if p.kind == "result")
EXPLAIN_VIEWS = tuple(p.name for p in PLOT_TYPES if p.explains)


def importance_attribute(model: ModelType) -> str | None:
    """The fitted attribute holding the model's own feature importances, if any.

    Derived from the estimator class: tree models expose `feature_importances_`
    as a property of the class; scikit-learn's linear models fit `coef_`. A
    wrapped model (calibrated, target-scaled) hides its estimator's.
    """
    if model.wrapper is not None or model.tasks == ("clustering",):
        return None
    if model.module == "sklearn.linear_model":
        return "coef_"
    import importlib

    cls = getattr(importlib.import_module(model.module), model.cls)
    return "feature_importances_" if hasattr(cls, "feature_importances_") else None


def capabilities(spec: Spec) -> set[str]:
    """What the spec's model offers to result plots."""
    have = set()
    # evaluate() scores every classifier's predict_proba (log loss, ROC AUC),
    # so each model of the catalog that classifies has probabilities.
    if spec.is_classification:
        have.add(PROBABILITIES)
    if importance_attribute(MODELS_BY_NAME[spec.model.type]):
        have.add(NATIVE_IMPORTANCE)
    return have


def result_plot_types(spec: Spec) -> list[PlotType]:
    """The result plots made for the spec, in catalog order."""
    return [p for p in PLOT_TYPES if p.applies(spec)]


def explore_key(position: int, view: str) -> str:
    """The name of the spec's `position`-th (from 1) exploration view in plot data."""
    return f"explore{position}_{view}"


def explore_keys(spec: Spec) -> list[tuple[str, Any]]:
    """(key, view) of every exploration view the spec records."""
    return [(explore_key(i, v.view), v) for i, v in enumerate(spec.explore, start=1)]


def explain_key(position: int, view: str) -> str:
    """The name of the spec's `position`-th (from 1) explanation in plot data."""
    return f"explain{position}_{view}"


def explain_keys(spec: Spec) -> list[tuple[str, Any]]:
    """(key, view) of every explanation the spec records."""
    return [(explain_key(i, v.view), v) for i, v in enumerate(spec.explain, start=1)]


def explain_title(view, name=str) -> str:
    """A title for an explanation naming its row or columns, each shown by `name`."""
    decl = PLOTS_BY_NAME[view.view]
    if view.row is not None:
        return f"{decl.title}: test row {view.row}"
    if view.columns:
        return f"{decl.title} of {', '.join(name(column) for column in view.columns)}"
    return decl.title


# -- computing plots: the rendered plots.py, run --------------------------------------

# pyplot keeps global state: figures are drawn one at a time.
_DRAW_LOCK = threading.Lock()


@dataclass
class Plot:
    """One plot of a spec: its data, and its figure drawn by the rendered code."""

    key: str
    type: PlotType
    title: str
    data: Any
    module: Any  # the rendered plots.py, executed

    def figure(self):
        """A new matplotlib Figure (show it with `pn.pane.Matplotlib(fig)`)."""
        import matplotlib

        matplotlib.use("Agg")  # no window: the figure is shown by the UI or saved
        import matplotlib.pyplot as plt

        with _DRAW_LOCK:
            fig = getattr(self.module, f"draw_{self.type.name}")(self.data)
            # Out of pyplot's list of open figures, so nothing accumulates there.
            plt.close(fig)
        return fig

    def json_data(self) -> Any:
        """The data as JSON values, exactly as the notebook writes it to plots.json."""
        return self.module.plot_data_json(self.data)


def plots_module(runner: Runner):
    """The spec's rendered plots.py, executed beside its preprocessing module."""
    from generator.plots import render_plots
    from runtime.executor import load_beside

    prep, _ = runner.modules()
    # Unformatted: the same code as the export, without black's half second.
    source = render_plots(runner.spec, formatted=False)
    module = load_beside(prep, "plots", source)
    module.__source_hash__ = hashlib.sha256(source.encode()).hexdigest()
    return module


def explore_plots(runner: Runner, module=None) -> list[Plot]:
    """The exploration views the spec records, on the seeded sample the notebook draws."""
    from runtime.executor import _key

    spec = runner.spec
    if not spec.explore:
        return []
    module = module or plots_module(runner)
    df = runner.raw_data()
    key = _key(
        "explore",
        runner.data_sha256(),
        [v.model_dump() for v in spec.explore],
        spec.explore_sample_size,
        spec.seed,
        module.__source_hash__,
    )
    data = runner.cache.get_or_compute(
        key, "explore", lambda: runner._guard("exploration", lambda: module.explore_plot_data(df))
    )
    return [
        Plot(name, PLOTS_BY_NAME[view.view], view_title(view), data[name], module)
        for name, view in explore_keys(spec)
    ]


def result_plots(
    runner: Runner, result: RunResult, module=None, data: dict | None = None
) -> list[Plot]:
    """The result plots of a run, computed as the exported notebook computes them.

    `data`: what result_plot_data returned for this run before (its worker saves
    it with the run), so that showing a run does not compute its plots again.
    """
    module = module or plots_module(runner)
    if data is None or any(p.name not in data for p in result_plot_types(runner.spec)):
        _, train = runner.modules()
        splits = runner.split_frames()
        data = runner._guard(
            "plots",
            lambda: module.result_plot_data(result.pipeline, splits, train.features_and_target),
        )
    return [Plot(p.name, p, p.title, data[p.name], module) for p in result_plot_types(runner.spec)]


def explain_plots(runner: Runner, result: RunResult, module=None) -> list[Plot]:
    """The explanations the spec records, computed as the exported notebook computes them."""
    from runtime.executor import RunError

    spec = runner.spec
    if not spec.explain:
        return []
    splits = runner.split_frames()
    test_rows = len(splits["test"])
    for i, view in enumerate(spec.explain, start=1):
        if view.row is not None and view.row >= test_rows:
            raise RunError(
                f"explain[{i}] ({view.view}): row {view.row} is not in the test split, "
                f"which has {test_rows} rows (0 to {test_rows - 1}); choose one of those"
            )
    module = module or plots_module(runner)
    _, train = runner.modules()
    data = runner._guard(
        "explanation",
        lambda: module.explain_plot_data(result.pipeline, splits, train.features_and_target),
    )
    return [
        Plot(key, PLOTS_BY_NAME[view.view], explain_title(view), data[key], module)
        for key, view in explain_keys(spec)
    ]


def all_plots(runner: Runner, result: RunResult) -> list[Plot]:
    module = plots_module(runner)
    return (
        explore_plots(runner, module)
        + result_plots(runner, result, module)
        + explain_plots(runner, result, module)
    )


def view_title(view, name=str) -> str:
    """A title for an exploration view naming its columns, each shown by `name`
    (e.g. as Markdown text)."""
    decl = PLOTS_BY_NAME[view.view]
    columns = [name(column) for column in view.columns]
    if not columns:
        return decl.title
    if view.view == "scatter":
        return f"{decl.title} of {columns[1]} against {columns[0]}"
    if view.view == "box" and len(columns) == 2:
        return f"{decl.title} of {columns[0]} by {columns[1]}"
    return f"{decl.title} of {', '.join(columns)}"


def write_plots(plots: list[Plot], out: str | Path) -> list[Path]:
    """One PNG per plot and plots.json (the data of every plot) in the folder `out`."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for plot in plots:
        path = out / f"{plot.key}.png"
        plot.figure().savefig(path, dpi=100, bbox_inches="tight")
        written.append(path)
    if plots:
        # Written by the rendered code, as the notebook writes it.
        plots[0].module.save_plot_data({plot.key: plot.data for plot in plots}, out / "plots.json")
    return written + [out / "plots.json"]
