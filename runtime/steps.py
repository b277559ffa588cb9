"""The step catalog: one declaration per step type.

Each declaration names the step, its stage, its parameters and help text. Its
code lives once, in `templates/steps/<name>.py.j2` (macros `imports` and
`code`). The generator renders that snippet into the exported code and the
runtime runs the rendered code; the UI and the tests read the same list.

Stages:
- clean:  row-level cleaning at training time, before the split (a statement
          block on `df`);
- derive: row-independent column derivations, inside the exported model (a
          statement block on `df`, wrapped in a FunctionTransformer);
- learn:  preprocessing fitted on the training split only (an expression that
          builds a transformer).
"""

from __future__ import annotations

from dataclasses import dataclass

from runtime.params import Param

STAGES = ("clean", "derive", "learn")


@dataclass(frozen=True)
class StepType:
    name: str
    title: str
    stage: str
    help: str
    params: tuple[Param, ...] = ()

    @property
    def snippet(self) -> str:
        """The template file holding this step's code."""
        return f"steps/{self.name}.py.j2"

    def describe(self) -> dict:
        return {
            "name": self.name,
            "title": self.title,
            "stage": self.stage,
            "help": self.help,
            "params": [p.describe() for p in self.params],
        }


DATE_PARTS = ("year", "month", "day", "weekday", "hour", "dayofyear", "is_weekend")

STEP_TYPES: tuple[StepType, ...] = (
    StepType(
        name="drop_duplicates",
        title="Drop duplicate rows",
        stage="clean",
        help="Removes rows that repeat an earlier row, so that no row counts twice "
        "and no copy of a training row leaks into the test split.",
        params=(
            Param(
                "columns",
                "columns",
                nullable=True,
                help="Compare only these columns; empty compares whole rows.",
            ),
            Param(
                "keep",
                "choice",
                default="first",
                choices=("first", "last"),
                help="Which copy of a duplicated row to keep.",
            ),
        ),
    ),
    StepType(
        name="drop_missing_target",
        title="Drop rows without a target",
        stage="clean",
        help="Removes rows whose target is missing: a model cannot learn from them "
        "and they cannot be scored.",
    ),
    StepType(
        name="drop_columns",
        title="Drop columns",
        stage="derive",
        help="Removes columns the model should not see, such as identifiers or "
        "columns that leak the target.",
        params=(Param("columns", "columns", help="The columns to remove."),),
    ),
    StepType(
        name="ratio",
        title="Ratio of two columns",
        stage="derive",
        help="Adds a column holding numerator / denominator. A zero denominator "
        "gives a missing value, which a later imputation step can fill.",
        params=(
            Param("numerator", "column", column_kind="numeric", help="Column divided."),
            Param("denominator", "column", column_kind="numeric", help="Column to divide by."),
            Param(
                "output",
                "str",
                nullable=True,
                help="Name of the new column; empty gives '<numerator>_per_<denominator>'.",
            ),
        ),
    ),
    StepType(
        name="date_parts",
        title="Date parts",
        stage="derive",
        help="Turns a date column into numbers a model can use: year, month, day, "
        "weekday (Monday = 0), hour, day of year, weekend flag.",
        params=(
            Param("column", "column", column_kind="datetime", help="The date column."),
            Param(
                "parts",
                "choices",
                default=["year", "month", "day", "weekday"],
                choices=DATE_PARTS,
                help="The parts to add, each as '<column>_<part>'.",
            ),
            Param(
                "format",
                "str",
                nullable=True,
                help="strftime format of the dates, e.g. '%Y-%m-%d'; empty lets pandas infer it.",
            ),
            Param(
                "drop_original",
                "bool",
                default=True,
                help="Remove the date column after extracting its parts.",
            ),
        ),
    ),
    StepType(
        name="impute_numeric",
        title="Impute numeric columns",
        stage="learn",
        help="Fills missing numbers with a statistic learned on the training split.",
        params=(
            Param("columns", "columns", column_kind="numeric", help="Columns to fill."),
            Param(
                "strategy",
                "choice",
                default="median",
                choices=("mean", "median", "most_frequent", "constant"),
                help="The value used: column mean, median, most frequent value or a constant.",
            ),
            Param(
                "fill_value",
                "float",
                default=0.0,
                help="The constant used when strategy is 'constant'.",
            ),
            Param(
                "add_indicator",
                "bool",
                default=False,
                help="Also add a 0/1 column per filled column that had missing values.",
            ),
        ),
    ),
    StepType(
        name="impute_categorical",
        title="Impute categorical columns",
        stage="learn",
        help="Fills missing categories with the most frequent one on the training "
        "split, or with a constant label.",
        params=(
            Param("columns", "columns", column_kind="categorical", help="Columns to fill."),
            Param(
                "strategy",
                "choice",
                default="most_frequent",
                choices=("most_frequent", "constant"),
                help="Most frequent category, or the constant below.",
            ),
            Param(
                "fill_value",
                "str",
                default="missing",
                help="The label used when strategy is 'constant'.",
            ),
        ),
    ),
    StepType(
        name="one_hot",
        title="One-hot encode",
        stage="learn",
        help="Turns each category into its own 0/1 column, learned on the training "
        "split; categories never seen in training get all zeros.",
        params=(
            Param("columns", "columns", column_kind="categorical", help="Columns to encode."),
            Param(
                "max_categories",
                "int",
                nullable=True,
                minimum=2,
                maximum=1000,
                help="Keep at most this many categories per column, the rest become "
                "'infrequent'; empty keeps all.",
            ),
            Param(
                "drop",
                "choice",
                default="none",
                choices=("none", "first", "if_binary"),
                help="Drop one column per feature (useful for unregularised linear models).",
            ),
        ),
    ),
    StepType(
        name="scale",
        title="Scale numeric columns",
        stage="learn",
        help="Puts numeric columns on a common scale, learned on the training split; "
        "linear models, SVMs and k-means need it, tree models do not.",
        params=(
            Param("columns", "columns", column_kind="numeric", help="Columns to scale."),
            Param(
                "method",
                "choice",
                default="standard",
                choices=("standard", "minmax", "robust", "maxabs"),
                help="standard: mean 0, sd 1; minmax: to [0, 1]; robust: median and IQR; "
                "maxabs: divide by the largest absolute value.",
            ),
        ),
    ),
)

STEPS_BY_NAME = {step.name: step for step in STEP_TYPES}
