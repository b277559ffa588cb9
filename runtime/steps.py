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

# What a step does, to group the catalog (the UI's menus, the example coverage
# test); a family may span stages, e.g. bins by fixed edges or learned ones.
FAMILIES = {
    "rows": "Remove rows",
    "values": "Rewrite values",
    "select": "Choose columns",
    "types": "Column types",
    "numbers": "Numeric features",
    "dates": "Date features",
    "text": "Text features",
    "bins": "Bins",
    "impute": "Fill missing values",
    "scale": "Scale",
    "encode": "Encode categories",
    "polynomial": "Interactions",
    "pca": "Principal components",
}


@dataclass(frozen=True)
class StepType:
    name: str
    title: str
    stage: str
    family: str
    help: str
    params: tuple[Param, ...] = ()
    # The snippet uses SEED (a seeded estimator inside the step).
    seeded: bool = False
    # The step cannot take missing values in its columns: impute them first.
    needs_complete: bool = False
    # The step learns from the target, so clustering cannot use it.
    needs_target: bool = False

    def __post_init__(self) -> None:
        if self.stage not in STAGES or self.family not in FAMILIES:
            raise ValueError(f"step {self.name}: unknown stage or family")

    @property
    def snippet(self) -> str:
        """The template file holding this step's code."""
        return f"steps/{self.name}.py.j2"

    def describe(self) -> dict:
        return {
            "name": self.name,
            "title": self.title,
            "stage": self.stage,
            "family": self.family,
            "help": self.help,
            "params": [p.describe() for p in self.params],
        }


DATE_PARTS = ("year", "month", "day", "weekday", "hour", "dayofyear", "is_weekend")

STEP_TYPES: tuple[StepType, ...] = (
    StepType(
        name="drop_duplicates",
        title="Drop duplicate rows",
        stage="clean",
        family="rows",
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
        family="rows",
        help="Removes rows whose target is missing: a model cannot learn from them "
        "and they cannot be scored.",
    ),
    StepType(
        name="drop_missing_rows",
        title="Drop rows with missing values",
        stage="clean",
        family="rows",
        help="Removes rows that have a gap in any of the chosen columns, for columns "
        "where a guess would do more harm than losing the row.",
        params=(Param("columns", "columns", help="A gap in any of these drops the row."),),
    ),
    StepType(
        name="filter_rows",
        title="Filter rows",
        stage="clean",
        family="rows",
        help="Keeps only the rows where the condition holds, e.g. price > 0.",
        params=(
            Param("column", "column", help="The column the condition tests."),
            Param(
                "operator",
                "choice",
                default=">",
                choices=(">", ">=", "<", "<=", "==", "!=", "is missing", "is not missing"),
                help="How the column is compared with the value.",
            ),
            Param(
                "value",
                "value",
                default=0,
                nullable=True,
                help="The value compared with; unused for 'is missing' and 'is not missing'.",
            ),
        ),
    ),
    StepType(
        name="remove_outliers",
        title="Remove outliers",
        stage="clean",
        family="rows",
        help="Drops rows with extreme values in the chosen numeric columns: beyond "
        "k interquartile ranges from the quartiles (IQR), or k standard deviations "
        "from the mean (z-score). Rows with gaps are kept.",
        params=(
            Param("columns", "columns", column_kind="numeric", help="Columns to check."),
            Param(
                "method",
                "choice",
                default="iqr",
                choices=("iqr", "zscore"),
                help="iqr: Tukey's fences; zscore: distance from the mean in standard deviations.",
            ),
            Param(
                "threshold",
                "float",
                default=1.5,
                minimum=0.5,
                maximum=10.0,
                help="k: 1.5 is usual for IQR, 3 for z-scores; larger removes fewer rows.",
            ),
        ),
    ),
    StepType(
        name="replace_values",
        title="Replace values",
        stage="clean",
        family="values",
        help="Replaces one value by another in the chosen columns, e.g. the '?' "
        "some files use for unknown by a missing value.",
        params=(
            Param("columns", "columns", help="Columns to search."),
            Param("find", "value", default="?", help="The value to replace."),
            Param(
                "replace_with",
                "value",
                nullable=True,
                help="The new value; empty makes it a missing value.",
            ),
        ),
    ),
    StepType(
        name="drop_columns",
        title="Drop columns",
        stage="derive",
        family="select",
        help="Removes columns the model should not see, such as identifiers or "
        "columns that leak the target.",
        params=(Param("columns", "columns", help="The columns to remove."),),
    ),
    StepType(
        name="date_parts",
        title="Date parts",
        stage="derive",
        family="dates",
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
        name="cast",
        title="Change column type",
        stage="derive",
        family="types",
        help="Reads the chosen columns as numbers (text that is not a number becomes "
        "missing) or as text categories (numbers used as codes).",
        params=(
            Param("columns", "columns", help="Columns to convert."),
            Param(
                "to",
                "choice",
                default="number",
                choices=("number", "category"),
                help="number: float values; category: text labels.",
            ),
        ),
    ),
    StepType(
        name="arithmetic",
        title="Combine two columns",
        stage="derive",
        family="numbers",
        help="Adds a column holding the sum, difference, product or ratio of two "
        "numeric columns. A zero denominator gives a missing value.",
        params=(
            Param("left", "column", column_kind="numeric", help="The first column."),
            Param("right", "column", column_kind="numeric", help="The second column."),
            Param(
                "operation",
                "choice",
                default="difference",
                choices=("sum", "difference", "product", "ratio"),
                help="left + right, left - right, left * right or left / right.",
            ),
            Param(
                "output",
                "str",
                nullable=True,
                help="Name of the new column; empty gives '<left>_<operation>_<right>'.",
            ),
        ),
    ),
    StepType(
        name="math_transform",
        title="Transform numbers",
        stage="derive",
        family="numbers",
        help="Applies log(1 + x), square root or a power to the chosen columns, "
        "e.g. to tame a long right tail. Values outside the function's domain "
        "become missing.",
        params=(
            Param("columns", "columns", column_kind="numeric", help="Columns to transform."),
            Param(
                "function",
                "choice",
                default="log1p",
                choices=("log1p", "sqrt", "power"),
                help="log1p: log(1 + x), for x > -1; sqrt: for x >= 0; power: x ** exponent.",
            ),
            Param(
                "exponent",
                "float",
                default=2.0,
                minimum=-5.0,
                maximum=5.0,
                help="The exponent when function is 'power'.",
            ),
        ),
    ),
    StepType(
        name="bin_edges",
        title="Bin by edges",
        stage="derive",
        family="bins",
        help="Adds a column numbering the interval each value falls in, with edges "
        "you choose (e.g. ages 0, 18, 65, 120). Values outside the edges become missing.",
        params=(
            Param("column", "column", column_kind="numeric", help="The column to bin."),
            Param(
                "edges",
                "numbers",
                default=[0.0, 10.0, 100.0],
                help="Increasing interval edges; each interval includes its right edge.",
            ),
        ),
    ),
    StepType(
        name="elapsed_days",
        title="Days between two dates",
        stage="derive",
        family="dates",
        help="Adds the number of days from one date column to another, e.g. from "
        "signup to purchase.",
        params=(
            Param("start", "column", column_kind="datetime", help="The earlier date."),
            Param("end", "column", column_kind="datetime", help="The later date."),
            Param(
                "output",
                "str",
                nullable=True,
                help="Name of the new column; empty gives 'days_<start>_to_<end>'.",
            ),
        ),
    ),
    StepType(
        name="text_length",
        title="Text length",
        stage="derive",
        family="text",
        help="Adds the number of characters and of words of a text column; missing "
        "text counts as missing.",
        params=(Param("column", "column", column_kind="text", help="The text column."),),
    ),
    StepType(
        name="clip",
        title="Clip to bounds",
        stage="derive",
        family="numbers",
        help="Caps values below a lower bound or above an upper bound at the bound.",
        params=(
            Param("columns", "columns", column_kind="numeric", help="Columns to clip."),
            Param("lower", "float", nullable=True, default=0.0, help="Lower bound; empty: none."),
            Param("upper", "float", nullable=True, help="Upper bound; empty: none."),
        ),
    ),
    StepType(
        name="impute_numeric",
        title="Impute numeric columns",
        stage="learn",
        family="impute",
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
        family="impute",
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
        name="rare_categories",
        title="Group rare categories",
        stage="learn",
        family="encode",
        help="Puts the categories that are rare in the training split under one label, "
        "e.g. 'other', so that a model does not learn from a handful of rows; categories "
        "never seen in training get that label too. Missing values stay missing.",
        params=(
            Param(
                "columns",
                "columns",
                column_kind="categorical",
                help="Text category columns (numeric codes: change their type to category first).",
            ),
            Param(
                "min_share",
                "float",
                default=0.05,
                minimum=0.0,
                maximum=0.5,
                help="A category held by less than this share of the training rows that have "
                "a value is rare (0.05: under 5 %).",
            ),
            Param(
                "min_count",
                "int",
                default=1,
                minimum=1,
                maximum=100000,
                help="A category held by fewer training rows than this is rare too.",
            ),
            Param("other", "str", default="other", help="The label the rare categories get."),
        ),
    ),
    StepType(
        name="one_hot",
        title="One-hot encode",
        stage="learn",
        family="encode",
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
            Param(
                "handle_unknown",
                "choice",
                default="infrequent_if_exist",
                choices=("infrequent_if_exist", "ignore"),
                help="A category never seen in training: infrequent_if_exist counts it with "
                "the categories max_categories pooled (all zeros when none were pooled); "
                "ignore always gives it all zeros.",
            ),
        ),
    ),
    StepType(
        name="scale",
        title="Scale numeric columns",
        stage="learn",
        family="scale",
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
    StepType(
        name="impute_knn",
        title="Impute from similar rows",
        stage="learn",
        family="impute",
        help="Fills a missing number with the mean of the k most similar training rows "
        "(by the other chosen columns). Better than a median when columns are related.",
        params=(
            Param("columns", "columns", column_kind="numeric", help="Columns to fill and compare."),
            Param(
                "n_neighbors",
                "int",
                default=5,
                minimum=1,
                maximum=100,
                help="How many similar rows are averaged.",
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
        name="ordinal_encode",
        title="Ordinal encode",
        stage="learn",
        family="encode",
        help="Numbers the categories of each column (in sorted order), learned on the "
        "training split; categories never seen in training get -1. Compact, for tree models.",
        params=(Param("columns", "columns", column_kind="categorical", help="Columns to encode."),),
    ),
    StepType(
        name="target_encode",
        title="Target encode",
        stage="learn",
        family="encode",
        help="Replaces each category by the average target of its rows, with cross-fitting "
        "on the training split so that a row never sees its own target. Suits columns with "
        "many categories.",
        params=(
            Param("columns", "columns", column_kind="categorical", help="Columns to encode."),
            Param(
                "smooth",
                "float",
                nullable=True,
                minimum=0.0,
                maximum=1000.0,
                help="Pull toward the overall mean for rare categories; empty chooses it "
                "from the data.",
            ),
        ),
        seeded=True,
        needs_target=True,
    ),
    StepType(
        name="polynomial",
        title="Polynomial and interaction features",
        stage="learn",
        family="polynomial",
        help="Adds products of the chosen columns (a*b, a^2, ...), so that a linear "
        "model can fit curves and interactions.",
        params=(
            Param("columns", "columns", column_kind="numeric", help="Columns to combine."),
            Param(
                "degree",
                "int",
                default=2,
                minimum=2,
                maximum=4,
                help="Highest total power of a term.",
            ),
            Param(
                "interaction_only",
                "bool",
                default=False,
                help="Only products of different columns, no powers of one column.",
            ),
        ),
        needs_complete=True,
    ),
    StepType(
        name="bin_quantiles",
        title="Bin into intervals",
        stage="learn",
        family="bins",
        help="Replaces each chosen column by the number of its interval, the intervals "
        "learned on the training split: equal width, or equal row counts (quantiles).",
        params=(
            Param("columns", "columns", column_kind="numeric", help="Columns to bin."),
            Param("n_bins", "int", default=5, minimum=2, maximum=100, help="Number of intervals."),
            Param(
                "strategy",
                "choice",
                default="quantile",
                choices=("quantile", "uniform"),
                help="quantile: equal row counts; uniform: equal widths.",
            ),
        ),
        needs_complete=True,
    ),
    StepType(
        name="select_variance",
        title="Drop near-constant columns",
        stage="learn",
        family="select",
        help="Removes chosen columns whose variance on the training split is at most "
        "the threshold: a column that barely changes cannot inform the model.",
        params=(
            Param("columns", "columns", column_kind="numeric", help="Columns to check."),
            Param(
                "threshold",
                "float",
                default=0.0,
                minimum=0.0,
                maximum=1.0,
                help="Columns with variance at most this are removed (0: constant columns).",
            ),
        ),
    ),
    StepType(
        name="select_k_best",
        title="Keep the k best columns",
        stage="learn",
        family="select",
        help="Keeps the k chosen columns that relate most to the target on the training "
        "split (ANOVA F-test for classification, correlation F-test for regression).",
        params=(
            Param("columns", "columns", column_kind="numeric", help="Columns to choose among."),
            Param("k", "int", default=1, minimum=1, maximum=10000, help="How many to keep."),
        ),
        needs_complete=True,
        needs_target=True,
    ),
    StepType(
        name="select_from_model",
        title="Keep the columns a model finds important",
        stage="learn",
        family="select",
        help="Fits a seeded random forest (a classifier or a regressor, by task) on the "
        "chosen columns of the training split and keeps the columns whose importance is "
        "at least a factor times the mean or median importance; the others are removed.",
        params=(
            Param("columns", "columns", column_kind="numeric", help="Columns to choose among."),
            Param(
                "threshold",
                "choice",
                default="mean",
                choices=("mean", "median"),
                help="The importance a column is measured against: the mean (keeps the "
                "few strong columns) or the median (keeps about half).",
            ),
            Param(
                "factor",
                "float",
                default=1.0,
                minimum=0.0,
                maximum=5.0,
                help="Keep columns with importance at least factor x the threshold; 0 keeps "
                "every column, then max_features decides.",
            ),
            Param(
                "max_features",
                "int",
                nullable=True,
                minimum=1,
                maximum=10000,
                help="Keep at most this many of the most important columns; empty: no limit.",
            ),
            Param(
                "n_estimators",
                "int",
                default=100,
                minimum=10,
                maximum=500,
                help="Trees in the forest that rates the columns; more is steadier and slower.",
            ),
        ),
        seeded=True,
        needs_target=True,
    ),
    StepType(
        name="pca",
        title="Principal components",
        stage="learn",
        family="pca",
        help="Replaces the chosen columns by their first principal components: fewer "
        "columns that keep most of their variation. Scale the columns first.",
        params=(
            Param("columns", "columns", column_kind="numeric", help="Columns to compress."),
            Param(
                "n_components",
                "int",
                default=2,
                minimum=1,
                maximum=1000,
                help="Number of components kept (at most the number of columns).",
            ),
        ),
        seeded=True,
        needs_complete=True,
    ),
)

STEPS_BY_NAME = {step.name: step for step in STEP_TYPES}
