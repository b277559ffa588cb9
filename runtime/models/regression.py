"""Regressors: the models for a numeric target."""

from __future__ import annotations

from runtime.models._base import ModelType, NonnegativeTarget
from runtime.models._params import (
    BOOSTING_COST,
    BOOSTING_CURVE,
    FOREST_CURVE,
    HIST_BOOSTING_CURVE,
    KNN_COST,
    MLP_COST,
    MLP_CURVE,
    SCALED_TARGET,
    forest_params,
    gradient_boosting_params,
    hist_boosting_params,
    kernel_svm_cost,
    knn_params,
    mixing_alpha,
    mlp_params,
    solver_max_iter,
    svm_c,
    tree_params,
    xgboost_params,
)
from runtime.params import Param

REGRESSORS: tuple[ModelType, ...] = (
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
        needs_scaling=True,
    ),
    ModelType(
        name="random_forest_regressor",
        title="Random forest",
        tasks=("regression",),
        module="sklearn.ensemble",
        cls="RandomForestRegressor",
        explainer="tree",
        explanation="Many decision trees, each grown on a random sample of rows and "
        "features, average their predictions. Robust with little tuning.",
        params=forest_params(200),
        n_jobs_arg="n_jobs",
        live_curve=FOREST_CURVE,
    ),
    ModelType(
        name="xgboost_regressor",
        title="XGBoost",
        tasks=("regression",),
        module="xgboost",
        cls="XGBRegressor",
        explainer="tree",
        explanation="Grows trees one after another, each correcting the errors of the "
        "ones before. Often the most accurate on tabular data; tune learning rate and depth.",
        params=xgboost_params()
        + (
            # Tweedie lifted bike sharing's hourly rentals from test R² 0.9491 to 0.9538
            # (300 rounds, depth 6; 0.9536 to 0.9570 at 1000 rounds). count:poisson did
            # about the same, so it is not offered besides.
            Param(
                "objective",
                "choice",
                default="reg:squarederror",
                choices=("reg:squarederror", "reg:tweedie"),
                help="What the trees learn to minimise. 'reg:squarederror' (squared error) "
                "suits any numeric target. 'reg:tweedie' predicts through a logarithm, so "
                "it never predicts below 0: it often fits counts and amounts of zero or "
                "more (rentals, sales, claims) better, and needs a target of zero or more.",
                # Not searched as declared: a target below 0 would fail the trials.
            ),
        ),
        n_jobs_arg="n_jobs",
        fixed=(("tree_method", "hist"),),
        nonnegative_target=NonnegativeTarget(
            param="objective",
            values=("reg:tweedie",),
            what="XGBoost's Tweedie objective",
            instead="the squared error objective ('reg:squarederror')",
        ),
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
            mixing_alpha(0.01),
            solver_max_iter(10000),
        ),
        wrapper=SCALED_TARGET,
        needs_scaling=True,
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
            mixing_alpha(0.01),
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
            solver_max_iter(10000),
        ),
        wrapper=SCALED_TARGET,
        needs_scaling=True,
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
            svm_c("smoother curve"),
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
        cost=kernel_svm_cost("Hist gradient boosting or ridge regression"),
        needs_scaling=True,
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
        params=knn_params(),
        seed_arg=None,
        n_jobs_arg="n_jobs",
        cost=KNN_COST,
        needs_scaling=True,
    ),
    ModelType(
        name="decision_tree_regressor",
        title="Decision tree",
        tasks=("regression",),
        module="sklearn.tree",
        cls="DecisionTreeRegressor",
        explainer="tree",
        explanation="Asks a series of yes/no questions about the features, each splitting the "
        "rows further, and predicts the average target of the rows it ends with. Easy to "
        "follow, but a single tree easily overfits.",
        params=tree_params(classification=False),
    ),
    ModelType(
        name="extra_trees_regressor",
        title="Extra trees",
        tasks=("regression",),
        module="sklearn.ensemble",
        cls="ExtraTreesRegressor",
        explainer="tree",
        explanation="Like a random forest, but every split point is also drawn at random, and "
        "many such trees average their predictions. Fast and often as accurate as a random "
        "forest.",
        params=forest_params(200),
        n_jobs_arg="n_jobs",
        live_curve=FOREST_CURVE,
    ),
    ModelType(
        name="gradient_boosting_regressor",
        title="Gradient boosting",
        tasks=("regression",),
        module="sklearn.ensemble",
        cls="GradientBoostingRegressor",
        explainer="tree",
        explanation="Grows small trees one after another, each correcting the errors of the "
        "ones before. Accurate on tabular data; on large data hist gradient boosting is "
        "much faster.",
        params=gradient_boosting_params()
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
        live_curve=BOOSTING_CURVE,
    ),
    ModelType(
        name="hist_gradient_boosting_regressor",
        title="Hist gradient boosting",
        tasks=("regression",),
        module="sklearn.ensemble",
        cls="HistGradientBoostingRegressor",
        explainer="tree",
        explanation="Gradient boosting that first sorts every feature into 255 bins, which "
        "makes it fast on large data. Among the most accurate models on tabular data.",
        params=hist_boosting_params(),
        live_curve=HIST_BOOSTING_CURVE,
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
        params=mlp_params(),
        wrapper=SCALED_TARGET,
        cost=MLP_COST,
        needs_scaling=True,
        live_curve=MLP_CURVE,
    ),
)
