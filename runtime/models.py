"""The model catalog: one declaration per model.

A declaration names the estimator class, the tasks it serves, its parameters
(defaults, bounds, search ranges for tuning) and a plain-language explanation.
The generator renders `Class(**params)` from it; seed and thread count come
from the spec, through the argument names declared here. Three more
declarative fields cover what differs between estimators:

- `wrapper`: a meta-estimator the model is rendered inside (probabilities for
  classifiers that have none, a standardised target for regressors whose
  parameters are in target units);
- `cluster_count_arg`: the attribute holding the number of clusters;
- `cost`: how run time grows with the data, for a warning before a long run
  (`size_warning`).
"""

from __future__ import annotations

from dataclasses import dataclass

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
        growth = _growth_words(self.growth, per_feature=self.features is not None)
        return f"{self.part.capitalize()} time grows {growth}; slow above {size}."


def _growth_words(growth: tuple[int, int], per_feature: bool = False) -> str:
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
    # How run time grows with the data; None when it stays modest.
    cost: Cost | None = None

    @property
    def import_line(self) -> str:
        return f"from {self.module} import {self.cls}"

    @property
    def import_lines(self) -> tuple[str, ...]:
        """Every import the rendered model expression needs."""
        return (self.import_line, *(self.wrapper.import_lines if self.wrapper else ()))

    def param_key(self, name: str) -> str:
        """The name `get_params()` of the rendered estimator gives parameter `name`."""
        return f"{self.wrapper.inner_arg}__{name}" if self.wrapper else name

    def describe(self) -> dict:
        notes = [self.wrapper.note] if self.wrapper else []
        if self.cost:
            notes.append(self.cost.describe())
        return {
            "name": self.name,
            "title": self.title,
            "tasks": list(self.tasks),
            "estimator": f"{self.module}.{self.cls}",
            "explanation": self.explanation,
            "notes": notes,
            "params": [p.describe() for p in self.params],
        }


def _class_weight() -> Param:
    return Param(
        "class_weight",
        "choice",
        nullable=True,
        choices=("balanced",),
        help="'balanced' weighs classes inversely to their frequency; empty weighs all rows equally.",
    )


def _forest_params(default_trees: int) -> tuple[Param, ...]:
    return (
        Param(
            "n_estimators",
            "int",
            default=default_trees,
            minimum=1,
            maximum=5000,
            help="Number of trees; more trees are steadier and slower.",
            search={"low": 50, "high": 1000, "log": True},
        ),
        Param(
            "max_depth",
            "int",
            nullable=True,
            minimum=1,
            maximum=200,
            help="Deepest a tree may grow; empty grows until leaves are pure.",
            search={"low": 2, "high": 32},
        ),
        Param(
            "min_samples_leaf",
            "int",
            default=1,
            minimum=1,
            maximum=10000,
            help="Fewest rows a leaf may hold; larger values smooth the model.",
            search={"low": 1, "high": 50, "log": True},
        ),
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


def _xgboost_params() -> tuple[Param, ...]:
    return (
        Param(
            "n_estimators",
            "int",
            default=300,
            minimum=1,
            maximum=10000,
            help="Number of boosting rounds.",
            search={"low": 50, "high": 2000, "log": True},
        ),
        Param(
            "learning_rate",
            "float",
            default=0.1,
            minimum=0.0001,
            maximum=1.0,
            help="How much each tree corrects the previous ones; smaller needs more rounds.",
            search={"low": 0.005, "high": 0.5, "log": True},
        ),
        Param(
            "max_depth",
            "int",
            default=6,
            minimum=1,
            maximum=30,
            help="Depth of each tree.",
            search={"low": 2, "high": 12},
        ),
        Param(
            "min_child_weight",
            "float",
            default=1.0,
            minimum=0.0,
            maximum=1000.0,
            help="Smallest total weight a leaf may hold.",
            search={"low": 0.1, "high": 50.0, "log": True},
        ),
        Param(
            "subsample",
            "float",
            default=1.0,
            minimum=0.05,
            maximum=1.0,
            help="Share of rows sampled for each tree.",
            search={"low": 0.5, "high": 1.0},
        ),
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


def _svm_c(what: str) -> Param:
    return Param(
        "C",
        "float",
        default=1.0,
        minimum=1e-6,
        maximum=1e6,
        help=f"How closely the model follows the training rows; smaller values give a {what}.",
        search={"low": 1e-3, "high": 1e3, "log": True},
    )


def _knn_params() -> tuple[Param, ...]:
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


def _tree_params(classification: bool) -> tuple[Param, ...]:
    params = (
        Param(
            "max_depth",
            "int",
            nullable=True,
            minimum=1,
            maximum=200,
            help="Deepest the tree may grow; empty lets it grow until leaves are small.",
            search={"low": 2, "high": 20},
        ),
        Param(
            "min_samples_leaf",
            "int",
            default=5,
            minimum=1,
            maximum=10000,
            help="Fewest rows a leaf may hold; larger values give a simpler, steadier tree.",
            search={"low": 1, "high": 100, "log": True},
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
            _class_weight(),
        )
    return params


def _gradient_boosting_params() -> tuple[Param, ...]:
    return (
        Param(
            "n_estimators",
            "int",
            default=100,
            minimum=1,
            maximum=5000,
            help="Number of boosting rounds (trees, one after another).",
            search={"low": 50, "high": 1000, "log": True},
        ),
        Param(
            "learning_rate",
            "float",
            default=0.1,
            minimum=0.0001,
            maximum=1.0,
            help="How much each tree corrects the previous ones; smaller needs more rounds.",
            search={"low": 0.01, "high": 0.3, "log": True},
        ),
        Param(
            "max_depth",
            "int",
            default=3,
            minimum=1,
            maximum=30,
            help="Depth of each tree; deeper trees capture interactions between features.",
            search={"low": 2, "high": 8},
        ),
        Param(
            "min_samples_leaf",
            "int",
            default=1,
            minimum=1,
            maximum=10000,
            help="Fewest rows a leaf may hold; larger values smooth the model.",
            search={"low": 1, "high": 50, "log": True},
        ),
        Param(
            "subsample",
            "float",
            default=1.0,
            minimum=0.05,
            maximum=1.0,
            help="Share of rows sampled for each tree; below 1 adds randomness that often helps.",
            search={"low": 0.5, "high": 1.0},
        ),
    )


def _hist_boosting_params() -> tuple[Param, ...]:
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
        Param(
            "learning_rate",
            "float",
            default=0.1,
            minimum=0.0001,
            maximum=1.0,
            help="How much each tree corrects the previous ones; smaller needs more rounds.",
            search={"low": 0.01, "high": 0.3, "log": True},
        ),
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
        Param(
            "max_depth",
            "int",
            nullable=True,
            minimum=1,
            maximum=200,
            help="Deepest a tree may grow; empty limits trees by their leaves only.",
            search={"low": 2, "high": 12},
        ),
        Param(
            "min_samples_leaf",
            "int",
            default=20,
            minimum=1,
            maximum=100000,
            help="Fewest rows a leaf may hold; larger values smooth the model.",
            search={"low": 5, "high": 200, "log": True},
        ),
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


def _mlp_params() -> tuple[Param, ...]:
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


def _mixing_alpha(default: float) -> Param:
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


MODEL_TYPES: tuple[ModelType, ...] = (
    ModelType(
        name="logistic_regression",
        title="Logistic regression",
        tasks=CLASSIFICATION,
        module="sklearn.linear_model",
        cls="LogisticRegression",
        explanation="Weighs each feature and adds them up to a probability for each "
        "class. Fast, easy to read, and a strong baseline when features are scaled.",
        params=(
            Param(
                "C",
                "float",
                default=1.0,
                minimum=1e-6,
                maximum=1e6,
                help="Inverse regularisation strength; smaller values keep weights small.",
                search={"low": 1e-4, "high": 1e3, "log": True},
            ),
            Param(
                "max_iter",
                "int",
                default=1000,
                minimum=10,
                maximum=100000,
                help="Iterations the solver may take to converge.",
            ),
            _class_weight(),
        ),
    ),
    ModelType(
        name="random_forest_classifier",
        title="Random forest",
        tasks=CLASSIFICATION,
        module="sklearn.ensemble",
        cls="RandomForestClassifier",
        explanation="Many decision trees, each grown on a random sample of rows and "
        "features, vote on the class. Robust with little tuning and no scaling needed.",
        params=_forest_params(200) + (_class_weight(),),
        n_jobs_arg="n_jobs",
    ),
    ModelType(
        name="xgboost_classifier",
        title="XGBoost",
        tasks=CLASSIFICATION,
        module="xgboost",
        cls="XGBClassifier",
        explanation="Grows trees one after another, each correcting the errors of the "
        "ones before. Often the most accurate on tabular data; tune learning rate and depth.",
        params=_xgboost_params(),
        n_jobs_arg="n_jobs",
        fixed=(("tree_method", "hist"),),
    ),
    ModelType(
        name="linear_svm_classifier",
        title="Linear SVM",
        tasks=CLASSIFICATION,
        module="sklearn.svm",
        cls="LinearSVC",
        explanation="Draws the straight boundary that keeps the classes apart with the widest "
        "margin. Fast even on large data; scale features first.",
        params=(
            _svm_c("wider margin that ignores a few rows"),
            _class_weight(),
            Param(
                "max_iter",
                "int",
                default=1000,
                minimum=10,
                maximum=100000,
                help="Iterations the solver may take to converge.",
            ),
        ),
        wrapper=CALIBRATED,
    ),
    ModelType(
        name="svm_classifier",
        title="SVM (RBF kernel)",
        tasks=CLASSIFICATION,
        module="sklearn.svm",
        cls="SVC",
        explanation="Separates the classes with a curved boundary, judging each row by its "
        "similarity to key training rows. Accurate on small and medium tables with scaled "
        "features; slow on large ones.",
        params=(_svm_c("smoother boundary"), _class_weight()),
        fixed=(("kernel", "rbf"), ("gamma", "scale")),
        wrapper=CALIBRATED,
        cost=Cost(
            rows=20_000,
            seconds=60.0,
            growth=(2, 3),
            advice="Linear SVM or hist gradient boosting are much faster on data this large.",
        ),
    ),
    ModelType(
        name="knn_classifier",
        title="k-nearest neighbours",
        tasks=CLASSIFICATION,
        module="sklearn.neighbors",
        cls="KNeighborsClassifier",
        explanation="Finds the training rows most similar to a new row and lets them vote on "
        "its class. Needs no training, but scale features first and expect slow predictions "
        "on large data.",
        params=_knn_params(),
        seed_arg=None,
        n_jobs_arg="n_jobs",
        cost=KNN_COST,
    ),
    ModelType(
        name="gaussian_nb",
        title="Gaussian naive Bayes",
        tasks=CLASSIFICATION,
        module="sklearn.naive_bayes",
        cls="GaussianNB",
        explanation="Learns a bell curve of every feature within each class and combines them "
        "as if the features were independent. Very fast and a quick baseline, though its "
        "probabilities tend to be overconfident.",
        params=(
            Param(
                "var_smoothing",
                "float",
                default=1e-9,
                minimum=0.0,
                maximum=1.0,
                help="Share of the largest feature variance added to every variance, for "
                "stability.",
                search={"low": 1e-12, "high": 1e-2, "log": True},
            ),
        ),
        seed_arg=None,
    ),
    ModelType(
        name="bernoulli_nb",
        title="Bernoulli naive Bayes",
        tasks=CLASSIFICATION,
        module="sklearn.naive_bayes",
        cls="BernoulliNB",
        explanation="Treats every feature as yes or no and learns how often each is yes within "
        "each class. Very fast; suits one-hot encoded and other 0/1 features.",
        params=(
            Param(
                "alpha",
                "float",
                default=1.0,
                minimum=1e-9,
                maximum=1000.0,
                help="Smoothing: pretend counts added to every feature, so that no value "
                "seen only in one class decides alone.",
                search={"low": 1e-3, "high": 10.0, "log": True},
            ),
            Param(
                "binarize",
                "float",
                default=0.0,
                nullable=True,
                help="Values above this count as yes, the rest as no (0 is the mean of a "
                "scaled feature); empty when the features already are 0/1.",
                search={"low": -1.0, "high": 1.0},
            ),
            Param(
                "fit_prior",
                "bool",
                default=True,
                help="Learn how common each class is; off treats all classes as equally likely.",
            ),
        ),
        seed_arg=None,
    ),
    ModelType(
        name="decision_tree_classifier",
        title="Decision tree",
        tasks=CLASSIFICATION,
        module="sklearn.tree",
        cls="DecisionTreeClassifier",
        explanation="Asks a series of yes/no questions about the features, each splitting the "
        "rows further, until it settles on a class. Easy to follow, but a single tree easily "
        "overfits.",
        params=_tree_params(classification=True),
    ),
    ModelType(
        name="extra_trees_classifier",
        title="Extra trees",
        tasks=CLASSIFICATION,
        module="sklearn.ensemble",
        cls="ExtraTreesClassifier",
        explanation="Like a random forest, but every split point is also drawn at random, and "
        "many such trees vote. Fast and often as accurate as a random forest.",
        params=_forest_params(200) + (_class_weight(),),
        n_jobs_arg="n_jobs",
    ),
    ModelType(
        name="gradient_boosting_classifier",
        title="Gradient boosting",
        tasks=CLASSIFICATION,
        module="sklearn.ensemble",
        cls="GradientBoostingClassifier",
        explanation="Grows small trees one after another, each correcting the errors of the "
        "ones before. Accurate on tabular data; on large data hist gradient boosting is "
        "much faster.",
        params=_gradient_boosting_params(),
        cost=Cost(
            rows=50_000,
            seconds=50.0,
            features=20,
            advice="With more than two classes it takes that many times longer; hist gradient "
            "boosting builds similar models many times faster.",
        ),
    ),
    ModelType(
        name="hist_gradient_boosting_classifier",
        title="Hist gradient boosting",
        tasks=CLASSIFICATION,
        module="sklearn.ensemble",
        cls="HistGradientBoostingClassifier",
        explanation="Gradient boosting that first sorts every feature into 255 bins, which "
        "makes it fast on large data. Among the most accurate models on tabular data.",
        params=_hist_boosting_params() + (_class_weight(),),
    ),
    ModelType(
        name="adaboost_classifier",
        title="AdaBoost",
        tasks=CLASSIFICATION,
        module="sklearn.ensemble",
        cls="AdaBoostClassifier",
        explanation="Combines many one-question trees, each paying more attention to the rows "
        "the earlier ones got wrong. Simple and fast; sensitive to mislabelled rows.",
        params=(
            Param(
                "n_estimators",
                "int",
                default=50,
                minimum=1,
                maximum=5000,
                help="Number of boosting rounds (trees).",
                search={"low": 25, "high": 500, "log": True},
            ),
            Param(
                "learning_rate",
                "float",
                default=1.0,
                minimum=0.0001,
                maximum=10.0,
                help="Weight of each tree in the vote; smaller values need more rounds.",
                search={"low": 0.01, "high": 2.0, "log": True},
            ),
        ),
    ),
    ModelType(
        name="mlp_classifier",
        title="Neural network (MLP)",
        tasks=CLASSIFICATION,
        module="sklearn.neural_network",
        cls="MLPClassifier",
        explanation="A small neural network: one layer of units combines the features, and the "
        "output turns them into class probabilities. Can learn complex patterns given enough "
        "rows; scale features first.",
        params=_mlp_params(),
        cost=MLP_COST,
    ),
    ModelType(
        name="ridge",
        title="Ridge regression",
        tasks=("regression",),
        module="sklearn.linear_model",
        cls="Ridge",
        explanation="A straight-line fit of the target on the features, with a penalty "
        "that keeps weights small. Fast and stable; scale features first.",
        params=(
            Param(
                "alpha",
                "float",
                default=1.0,
                minimum=0.0,
                maximum=1e6,
                help="Penalty strength; larger values shrink weights more.",
                search={"low": 1e-4, "high": 1e3, "log": True},
            ),
        ),
        seed_arg=None,
    ),
    ModelType(
        name="random_forest_regressor",
        title="Random forest",
        tasks=("regression",),
        module="sklearn.ensemble",
        cls="RandomForestRegressor",
        explanation="Many decision trees, each grown on a random sample of rows and "
        "features, average their predictions. Robust with little tuning.",
        params=_forest_params(200),
        n_jobs_arg="n_jobs",
    ),
    ModelType(
        name="xgboost_regressor",
        title="XGBoost",
        tasks=("regression",),
        module="xgboost",
        cls="XGBRegressor",
        explanation="Grows trees one after another, each correcting the errors of the "
        "ones before. Often the most accurate on tabular data; tune learning rate and depth.",
        params=_xgboost_params(),
        n_jobs_arg="n_jobs",
        fixed=(("tree_method", "hist"),),
    ),
    ModelType(
        name="linear_regression",
        title="Linear regression",
        tasks=("regression",),
        module="sklearn.linear_model",
        cls="LinearRegression",
        explanation="Fits the target as a weighted sum of the features, with no penalty. The "
        "simplest baseline; its weights are easy to read.",
        params=(
            Param(
                "positive",
                "bool",
                default=False,
                help="Allow only weights of zero or more, when every feature can only raise "
                "the target.",
            ),
        ),
        seed_arg=None,
        n_jobs_arg="n_jobs",
    ),
    ModelType(
        name="lasso",
        title="Lasso",
        tasks=("regression",),
        module="sklearn.linear_model",
        cls="Lasso",
        explanation="A straight-line fit whose penalty sets the weights of unhelpful features "
        "to exactly zero. Picks out the features that matter; scale features first.",
        params=(
            _mixing_alpha(0.01),
            Param(
                "max_iter",
                "int",
                default=10000,
                minimum=10,
                maximum=1000000,
                help="Iterations the solver may take to converge.",
            ),
        ),
        wrapper=SCALED_TARGET,
    ),
    ModelType(
        name="elastic_net",
        title="Elastic net",
        tasks=("regression",),
        module="sklearn.linear_model",
        cls="ElasticNet",
        explanation="A straight-line fit with a blend of the lasso and ridge penalties. Keeps "
        "groups of related features together while dropping unhelpful ones.",
        params=(
            _mixing_alpha(0.01),
            Param(
                "l1_ratio",
                "float",
                default=0.5,
                minimum=0.0,
                maximum=1.0,
                title="L1 ratio",
                help="Blend of the penalties: 1 is pure lasso, 0 is pure ridge.",
                search={"low": 0.05, "high": 1.0},
            ),
            Param(
                "max_iter",
                "int",
                default=10000,
                minimum=10,
                maximum=1000000,
                help="Iterations the solver may take to converge.",
            ),
        ),
        wrapper=SCALED_TARGET,
    ),
    ModelType(
        name="svm_regressor",
        title="SVM regression (RBF kernel)",
        tasks=("regression",),
        module="sklearn.svm",
        cls="SVR",
        explanation="Fits a smooth curve that keeps most rows within a narrow band around it, "
        "judging each row by its similarity to key training rows. Accurate on small and "
        "medium tables with scaled features; slow on large ones.",
        params=(
            _svm_c("smoother curve"),
            Param(
                "epsilon",
                "float",
                default=0.1,
                minimum=0.0,
                maximum=10.0,
                help="Half-width of the band in which errors are ignored, in standard "
                "deviations of the target.",
                search={"low": 0.001, "high": 1.0, "log": True},
            ),
        ),
        seed_arg=None,
        fixed=(("kernel", "rbf"), ("gamma", "scale")),
        wrapper=SCALED_TARGET,
        cost=Cost(
            rows=20_000,
            seconds=60.0,
            growth=(2, 3),
            advice="Hist gradient boosting or ridge regression are much faster on data this "
            "large.",
        ),
    ),
    ModelType(
        name="knn_regressor",
        title="k-nearest neighbours",
        tasks=("regression",),
        module="sklearn.neighbors",
        cls="KNeighborsRegressor",
        explanation="Finds the training rows most similar to a new row and averages their "
        "targets. Needs no training, but scale features first and expect slow predictions "
        "on large data.",
        params=_knn_params(),
        seed_arg=None,
        n_jobs_arg="n_jobs",
        cost=KNN_COST,
    ),
    ModelType(
        name="decision_tree_regressor",
        title="Decision tree",
        tasks=("regression",),
        module="sklearn.tree",
        cls="DecisionTreeRegressor",
        explanation="Asks a series of yes/no questions about the features, each splitting the "
        "rows further, and predicts the average target of the rows it ends with. Easy to "
        "follow, but a single tree easily overfits.",
        params=_tree_params(classification=False),
    ),
    ModelType(
        name="extra_trees_regressor",
        title="Extra trees",
        tasks=("regression",),
        module="sklearn.ensemble",
        cls="ExtraTreesRegressor",
        explanation="Like a random forest, but every split point is also drawn at random, and "
        "many such trees average their predictions. Fast and often as accurate as a random "
        "forest.",
        params=_forest_params(200),
        n_jobs_arg="n_jobs",
    ),
    ModelType(
        name="gradient_boosting_regressor",
        title="Gradient boosting",
        tasks=("regression",),
        module="sklearn.ensemble",
        cls="GradientBoostingRegressor",
        explanation="Grows small trees one after another, each correcting the errors of the "
        "ones before. Accurate on tabular data; on large data hist gradient boosting is "
        "much faster.",
        params=_gradient_boosting_params()
        + (
            Param(
                "loss",
                "choice",
                default="squared_error",
                choices=("squared_error", "absolute_error", "huber"),
                help="Error to minimise: squared, absolute (robust to outliers), or Huber "
                "(squared for small errors, absolute for large ones).",
                search={"choices": ["squared_error", "absolute_error", "huber"]},
            ),
        ),
        cost=BOOSTING_COST,
    ),
    ModelType(
        name="hist_gradient_boosting_regressor",
        title="Hist gradient boosting",
        tasks=("regression",),
        module="sklearn.ensemble",
        cls="HistGradientBoostingRegressor",
        explanation="Gradient boosting that first sorts every feature into 255 bins, which "
        "makes it fast on large data. Among the most accurate models on tabular data.",
        params=_hist_boosting_params(),
    ),
    ModelType(
        name="mlp_regressor",
        title="Neural network (MLP)",
        tasks=("regression",),
        module="sklearn.neural_network",
        cls="MLPRegressor",
        explanation="A small neural network: one layer of units combines the features into a "
        "prediction of the target. Can learn complex patterns given enough rows; scale "
        "features first.",
        params=_mlp_params(),
        wrapper=SCALED_TARGET,
        cost=MLP_COST,
    ),
    ModelType(
        name="kmeans",
        title="k-means",
        tasks=("clustering",),
        module="sklearn.cluster",
        cls="KMeans",
        explanation="Places k centres and assigns every row to the nearest one, moving "
        "the centres until they settle. Scale features first; works best on round clusters.",
        params=(
            Param(
                "n_clusters",
                "int",
                default=3,
                minimum=2,
                maximum=200,
                help="Number of clusters.",
                search={"low": 2, "high": 15},
            ),
            Param(
                "n_init",
                "int",
                default=10,
                minimum=1,
                maximum=100,
                help="Restarts from different centres; the best is kept.",
            ),
            Param(
                "max_iter",
                "int",
                default=300,
                minimum=1,
                maximum=10000,
                help="Iterations per restart.",
            ),
        ),
    ),
    ModelType(
        name="mini_batch_kmeans",
        title="Mini-batch k-means",
        tasks=("clustering",),
        module="sklearn.cluster",
        cls="MiniBatchKMeans",
        explanation="k-means that moves its centres using small random batches of rows instead "
        "of all of them. Much faster on large data, with clusters nearly as good.",
        params=(
            Param(
                "n_clusters",
                "int",
                default=3,
                minimum=2,
                maximum=200,
                help="Number of clusters.",
                search={"low": 2, "high": 15},
            ),
            Param(
                "batch_size",
                "int",
                default=1024,
                minimum=10,
                maximum=1000000,
                help="Rows per update; larger batches are steadier and slower.",
            ),
            Param(
                "n_init",
                "int",
                default=3,
                minimum=1,
                maximum=100,
                help="Restarts from different centres; the best is kept.",
            ),
            Param(
                "max_iter",
                "int",
                default=100,
                minimum=1,
                maximum=10000,
                help="Most passes over the rows per restart.",
            ),
        ),
    ),
    ModelType(
        name="gaussian_mixture",
        title="Gaussian mixture",
        tasks=("clustering",),
        module="sklearn.mixture",
        cls="GaussianMixture",
        explanation="Describes the data as a blend of bell-shaped clouds and assigns every row "
        "to the cloud most likely to hold it. Finds oval clusters of different sizes where "
        "k-means expects round ones.",
        params=(
            Param(
                "n_components",
                "int",
                default=3,
                minimum=2,
                maximum=200,
                title="Clusters",
                help="Number of clusters (bell-shaped components).",
                search={"low": 2, "high": 15},
            ),
            Param(
                "covariance_type",
                "choice",
                default="full",
                choices=("full", "tied", "diag", "spherical"),
                help="Cluster shapes: 'full' any oval, 'tied' one shared oval, 'diag' ovals "
                "along the axes, 'spherical' round.",
                search={"choices": ["full", "tied", "diag", "spherical"]},
            ),
            Param(
                "n_init",
                "int",
                default=1,
                minimum=1,
                maximum=100,
                help="Restarts from different starting points; the best is kept.",
            ),
            Param(
                "max_iter",
                "int",
                default=100,
                minimum=1,
                maximum=10000,
                help="Most improvement rounds per restart.",
            ),
            Param(
                "reg_covar",
                "float",
                default=1e-6,
                minimum=0.0,
                maximum=1.0,
                help="Small amount added to every variance, so that flat clusters stay valid.",
            ),
        ),
        cluster_count_arg="n_components",
    ),
)

MODELS_BY_NAME = {model.name: model for model in MODEL_TYPES}


def models_for_task(task: str) -> list[ModelType]:
    return [m for m in MODEL_TYPES if task in m.tasks]


def size_warning(model_type: ModelType | str, n_rows: int, n_features: int) -> str | None:
    """A warning, with a rough time estimate, when the data is large for this model.

    `n_rows` counts the training rows and `n_features` the model's input columns.
    None when the model declares no cost or the run should stay short.
    """
    decl = MODELS_BY_NAME[model_type] if isinstance(model_type, str) else model_type
    cost = decl.cost
    if cost is None or n_rows <= 0:
        return None
    low, high = cost.estimate(n_rows, max(n_features, 1))
    if low <= cost.seconds:
        return None
    reference = f"{cost.rows:,} rows" + (f" × {cost.features} features" if cost.features else "")
    growth = _growth_words(cost.growth, per_feature=cost.features is not None)
    message = (
        f"{decl.title} on {n_rows:,} training rows × {n_features} features may take "
        f"{_duration_range(low, high)}: its {cost.part} time grows {growth} (roughly "
        f"{_duration(cost.seconds)} at {reference} on one core)."
    )
    return f"{message} {cost.advice}".strip()


def _duration(seconds: float) -> str:
    """A rough duration a person reads at a glance: 40 s, 7 min, 2.5 h, 3 days."""
    number, unit = _duration_parts(seconds)
    return f"{number} {unit}"


def _duration_range(low: float, high: float) -> str:
    """'about 7 min', 'about 6 to 16 min', 'about 50 min to 2.1 h'."""
    (low_number, low_unit), (high_number, high_unit) = map(_duration_parts, (low, high))
    if low_unit != high_unit:
        return f"about {low_number} {low_unit} to {high_number} {high_unit}"
    if low_number == high_number:
        return f"about {low_number} {low_unit}"
    return f"about {low_number} to {high_number} {low_unit}"


def _duration_parts(seconds: float) -> tuple[str, str]:
    if seconds < 90:
        return f"{seconds:.0f}", "s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f}", "min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f}", "h"
    return f"{seconds / 86400:.0f}", "days"
