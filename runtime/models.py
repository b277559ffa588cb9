"""The model catalog: one declaration per model.

A declaration names the estimator class, the tasks it serves, its parameters
(defaults, bounds, search ranges for tuning) and a plain-language explanation.
The generator renders `Class(**params)` from it; seed and thread count come
from the spec, through the argument names declared here.
"""

from __future__ import annotations

from dataclasses import dataclass

from runtime.params import Param

TASKS = ("binary", "multiclass", "regression", "clustering")
CLASSIFICATION = ("binary", "multiclass")


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

    @property
    def import_line(self) -> str:
        return f"from {self.module} import {self.cls}"

    def describe(self) -> dict:
        return {
            "name": self.name,
            "title": self.title,
            "tasks": list(self.tasks),
            "estimator": f"{self.module}.{self.cls}",
            "explanation": self.explanation,
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
)

MODELS_BY_NAME = {model.name: model for model in MODEL_TYPES}


def models_for_task(task: str) -> list[ModelType]:
    return [m for m in MODEL_TYPES if task in m.tasks]
