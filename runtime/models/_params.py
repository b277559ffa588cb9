"""Pieces several model declarations share: parameter factories, wrappers, costs.

A parameter that means the same for several estimators (the trees of a
forest, the C of an SVM, the neighbours of k-NN, a network's hidden units) is
declared once here and used by every model that has it.
"""

from __future__ import annotations

from runtime.models._base import Cost, LiveCurve, Wrapper
from runtime.params import Param

# Probabilities for classifiers without predict_proba (or, like SVC, whose own
# is deprecated): sigmoid calibration on the decision values of an unshuffled
# stratified 5-fold cross-validation, then one model fitted on all rows. What
# sklearn >= 1.9 recommends in place of SVC(probability=True); deterministic.
CALIBRATED = Wrapper(
    module="sklearn.calibration",
    cls="CalibratedClassifierCV",
    template="CalibratedClassifierCV({model}, cv=5, ensemble=False, n_jobs=N_JOBS)",
    inner_arg="estimator",
    note="Probabilities are calibrated on 5-fold cross-validation of the training rows, "
    "so every class needs at least 5 of them.",
)

# Live training curves, read from what the estimators print when verbose.
NUMBER = r"[-+0-9.eE]+"
FOREST_CURVE = LiveCurve(
    param="verbose",
    value=2,
    x_label="trees built",
    lines=(("seconds", r"^building tree (?P<x>\d+) of \d+"),),
)
BOOSTING_CURVE = LiveCurve(
    param="verbose",
    value=2,
    x_label="boosting round",
    lines=(("training loss", rf"^\s*(?P<x>\d+)\s+(?P<y>{NUMBER})\s"),),
)
# Losses are printed with early stopping (on by default above 10,000 rows); without
# it, the rounds done against the time.
HIST_BOOSTING_CURVE = LiveCurve(
    param="verbose",
    value=2,
    x_label="boosting round",
    lines=(
        ("training loss", rf"^\[(?P<x>\d+)/\d+\].* train loss: (?P<y>{NUMBER})"),
        ("validation loss", rf"^\[(?P<x>\d+)/\d+\].* val loss: (?P<y>{NUMBER})"),
        ("seconds", r"^\[(?P<x>\d+)/\d+\](?!.* train loss)"),
    ),
)
# The validation score is printed with early stopping, after its epoch's loss.
MLP_CURVE = LiveCurve(
    param="verbose",
    value=True,
    x_label="epoch",
    lines=(
        ("training loss", rf"^Iteration (?P<x>\d+), loss = (?P<y>{NUMBER})"),
        ("validation score", rf"^Validation score: (?P<y>{NUMBER})"),
    ),
)

# Regressors whose fit depends on the target's units (an epsilon or penalty in
# target units, a network's output scale) learn a standardised target; their
# predictions are mapped back to the target's units.
SCALED_TARGET = Wrapper(
    module="sklearn.compose",
    cls="TransformedTargetRegressor",
    template="TransformedTargetRegressor({model}, transformer=StandardScaler())",
    inner_arg="regressor",
    note="The target is standardised for training (mean 0, standard deviation 1) and "
    "predictions are mapped back to its units.",
    extra_imports=("from sklearn.preprocessing import StandardScaler",),
)


def class_weight() -> Param:
    return Param(
        "class_weight",
        "choice",
        nullable=True,
        choices=("balanced",),
        help="'balanced' weighs classes inversely to their frequency; empty weighs all rows equally.",
        # Searched: on seattle weather (macro F1 over five classes, two of them rare) the
        # balanced forest scored 0.603 on the test rows against 0.534 unweighted.
        search={"choices": [None, "balanced"]},
    )


# -- trees: one factory per parameter, then the set each family takes ----------

SMOOTHER = "larger values smooth the model."
CORRECTS = "How much each tree corrects the previous ones; smaller needs more rounds."


def n_estimators(
    default: int, help: str, maximum: int = 5000, search: tuple[int, int] = (50, 1000)
) -> Param:
    low, high = search
    return Param(
        "n_estimators",
        "int",
        default=default,
        minimum=1,
        maximum=maximum,
        help=help,
        search={"low": low, "high": high, "log": True},
    )


def learning_rate(
    search: tuple[float, float] = (0.01, 0.3),
    default: float = 0.1,
    maximum: float = 1.0,
    help: str = CORRECTS,
) -> Param:
    low, high = search
    return Param(
        "learning_rate",
        "float",
        default=default,
        minimum=0.0001,
        maximum=maximum,
        help=help,
        search={"low": low, "high": high, "log": True},
    )


def max_depth(help: str, high: int, default: int | None = None) -> Param:
    """Empty (no limit) where there is no default; a fixed depth up to 30 otherwise."""
    return Param(
        "max_depth",
        "int",
        default=default,
        nullable=default is None,
        minimum=1,
        maximum=200 if default is None else 30,
        help=help,
        search={"low": 2, "high": high},
    )


def min_samples_leaf(
    default: int = 1,
    search: tuple[int, int] = (1, 50),
    maximum: int = 10000,
    help: str = f"Fewest rows a leaf may hold; {SMOOTHER}",
) -> Param:
    low, high = search
    return Param(
        "min_samples_leaf",
        "int",
        default=default,
        minimum=1,
        maximum=maximum,
        help=help,
        search={"low": low, "high": high, "log": True},
    )


def row_share(help: str) -> Param:
    return Param(
        "subsample",
        "float",
        default=1.0,
        minimum=0.05,
        maximum=1.0,
        help=help,
        search={"low": 0.5, "high": 1.0},
    )


def forest_params(default_trees: int) -> tuple[Param, ...]:
    return (
        n_estimators(default_trees, "Number of trees; more trees are steadier and slower."),
        max_depth("Deepest a tree may grow; empty grows until leaves are pure.", high=32),
        min_samples_leaf(),
        Param(
            "max_features",
            "choice",
            default="sqrt",
            nullable=True,
            choices=("sqrt", "log2"),
            help="Features considered at each split; empty considers all.",
            search={"choices": ["sqrt", "log2", None]},
        ),
    )


def tree_params(classification: bool) -> tuple[Param, ...]:
    params = (
        max_depth("Deepest the tree may grow; empty lets it grow until leaves are small.", high=20),
        min_samples_leaf(
            5,
            search=(1, 100),
            help="Fewest rows a leaf may hold; larger values give a simpler, steadier tree.",
        ),
    )
    if classification:
        params += (
            Param(
                "criterion",
                "choice",
                default="gini",
                choices=("gini", "entropy"),
                help="How a split is scored: Gini impurity, or entropy (information gain).",
                search={"choices": ["gini", "entropy"]},
            ),
            class_weight(),
        )
    return params


def gradient_boosting_params() -> tuple[Param, ...]:
    return (
        n_estimators(100, "Number of boosting rounds (trees, one after another)."),
        learning_rate(),
        max_depth(
            "Depth of each tree; deeper trees capture interactions between features.",
            high=8,
            default=3,
        ),
        min_samples_leaf(),
        row_share("Share of rows sampled for each tree; below 1 adds randomness that often helps."),
    )


def hist_boosting_params() -> tuple[Param, ...]:
    return (
        Param(
            "max_iter",
            "int",
            default=200,
            minimum=1,
            maximum=10000,
            title="Boosting rounds",
            help="At most this many trees, grown one after another; above 10,000 training rows "
            "it stops sooner once a seeded 10 % of them stops improving.",
            search={"low": 50, "high": 1000, "log": True},
        ),
        learning_rate(),
        Param(
            "max_leaf_nodes",
            "int",
            default=31,
            nullable=True,
            minimum=2,
            maximum=10000,
            help="Most leaves per tree; empty sets no limit.",
            search={"low": 8, "high": 128, "log": True},
        ),
        max_depth("Deepest a tree may grow; empty limits trees by their leaves only.", high=12),
        min_samples_leaf(20, search=(5, 200), maximum=100000),
        Param(
            "l2_regularization",
            "float",
            default=0.0,
            minimum=0.0,
            maximum=1000.0,
            help="L2 penalty on leaf values; larger values give more cautious trees.",
            search={"low": 1e-4, "high": 10.0, "log": True},
        ),
    )


def xgboost_params() -> tuple[Param, ...]:
    return (
        # A trial's cost grows with rounds and depth: 500 rounds and depth 10 leave a
        # 60-second budget room for about ten trials on 10,000 rows (one core).
        n_estimators(300, "Number of boosting rounds.", maximum=10000, search=(50, 500)),
        learning_rate(search=(0.01, 0.5)),
        max_depth("Depth of each tree.", high=10, default=6),
        Param(
            "min_child_weight",
            "float",
            default=1.0,
            minimum=0.0,
            maximum=1000.0,
            help="Smallest total weight a leaf may hold.",
            search={"low": 0.1, "high": 50.0, "log": True},
        ),
        row_share("Share of rows sampled for each tree."),
        Param(
            "colsample_bytree",
            "float",
            default=1.0,
            minimum=0.05,
            maximum=1.0,
            help="Share of columns sampled for each tree.",
            search={"low": 0.4, "high": 1.0},
        ),
        Param(
            "reg_lambda",
            "float",
            default=1.0,
            minimum=0.0,
            maximum=1000.0,
            help="L2 penalty on leaf weights.",
            search={"low": 0.001, "high": 100.0, "log": True},
        ),
    )


def svm_c(what: str) -> Param:
    return Param(
        "C",
        "float",
        default=1.0,
        minimum=1e-6,
        maximum=1e6,
        help=f"How closely the model follows the training rows; smaller values give a {what}.",
        search={"low": 1e-3, "high": 1e3, "log": True},
    )


def knn_params() -> tuple[Param, ...]:
    return (
        Param(
            "n_neighbors",
            "int",
            default=5,
            minimum=1,
            maximum=1000,
            help="How many of the nearest training rows are consulted; more give smoother "
            "predictions. Must not exceed the training rows.",
            search={"low": 1, "high": 100, "log": True},
        ),
        Param(
            "weights",
            "choice",
            default="uniform",
            choices=("uniform", "distance"),
            help="'uniform' counts every neighbour alike; 'distance' lets nearer ones count more.",
            search={"choices": ["uniform", "distance"]},
        ),
        Param(
            "p",
            "choice",
            default=2,
            choices=(2, 1),
            title="Distance",
            help="2 measures straight-line (Euclidean) distance, 1 city-block (Manhattan) distance.",
            search={"choices": [2, 1]},
        ),
    )


def mlp_params() -> tuple[Param, ...]:
    return (
        Param(
            "hidden_layer_sizes",
            "int",
            default=100,
            minimum=1,
            maximum=10000,
            title="Hidden units",
            help="Units in the network's one hidden layer; more can learn finer patterns, slower.",
            search={"low": 16, "high": 512, "log": True},
        ),
        Param(
            "alpha",
            "float",
            default=0.0001,
            minimum=0.0,
            maximum=100.0,
            help="L2 penalty on the weights; larger values give a smoother model.",
            search={"low": 1e-6, "high": 1.0, "log": True},
        ),
        Param(
            "learning_rate_init",
            "float",
            default=0.001,
            minimum=1e-6,
            maximum=1.0,
            title="Learning rate",
            help="Step size of the weight updates; too large is unstable, too small is slow.",
            search={"low": 1e-4, "high": 0.1, "log": True},
        ),
        Param(
            "max_iter",
            "int",
            default=1000,
            minimum=10,
            maximum=100000,
            help="Most passes over the training rows; training stops sooner once the loss "
            "stops improving.",
        ),
        Param(
            "early_stopping",
            "bool",
            default=False,
            help="Hold out a seeded 10 % of the training rows and stop when their score stops "
            "improving; guards against overfitting on larger data.",
        ),
    )


def mixing_alpha(default: float) -> Param:
    return Param(
        "alpha",
        "float",
        default=default,
        minimum=0.0,
        maximum=100.0,
        help="Penalty strength on the standardised target; larger values set more weights "
        "to exactly zero.",
        search={"low": 1e-4, "high": 1.0, "log": True},
    )


# Rough run times measured once (one core of a laptop, 20 numeric features,
# a binary target), to warn before a run that may take long.
KNN_COST = Cost(
    rows=80_000,
    seconds=40.0,
    growth=(1, 2),
    features=20,
    part="prediction",
    advice="Scoring compares every row with every training row; a random forest or hist "
    "gradient boosting scores much faster.",
)
MLP_COST = Cost(
    rows=50_000,
    seconds=40.0,
    features=20,
    advice="Fewer hidden units or early stopping shorten it; hist gradient boosting is often "
    "as accurate, and faster.",
)
BOOSTING_COST = Cost(
    rows=50_000,
    seconds=50.0,
    features=20,
    advice="Hist gradient boosting builds similar models many times faster.",
)


def kernel_svm_cost(faster: str) -> Cost:
    """A kernel SVM's cost; `faster` names the models to try instead."""
    return Cost(
        rows=20_000,
        seconds=60.0,
        growth=(2, 3),
        advice=f"{faster} are much faster on data this large.",
    )


def solver_max_iter(default: int) -> Param:
    return Param(
        "max_iter",
        "int",
        default=default,
        minimum=10,
        maximum=100 * default,
        help="Iterations the solver may take to converge.",
    )


def cluster_count(
    name: str = "n_clusters", help: str = "Number of clusters.", title: str = ""
) -> Param:
    """The number of clusters to find, under the estimator's own argument name."""
    return Param(
        name,
        "int",
        default=3,
        minimum=2,
        maximum=200,
        title=title,
        help=help,
        search={"low": 2, "high": 15},
    )


def restarts(default: int, start: str = "centres") -> Param:
    return Param(
        "n_init",
        "int",
        default=default,
        minimum=1,
        maximum=100,
        help=f"Restarts from different {start}; the best is kept.",
    )


def rounds(default: int, help: str) -> Param:
    """The most iterations of a clusterer per restart."""
    return Param("max_iter", "int", default=default, minimum=1, maximum=10000, help=help)
