"""Classifiers: the models for binary and multiclass tasks."""

from __future__ import annotations

from dataclasses import replace

from runtime.models._base import CLASSIFICATION, ModelType
from runtime.models._params import (
    BOOSTING_COST,
    BOOSTING_CURVE,
    CALIBRATED,
    FOREST_CURVE,
    HIST_BOOSTING_CURVE,
    KNN_COST,
    MLP_COST,
    MLP_CURVE,
    class_weight,
    forest_params,
    gradient_boosting_params,
    hist_boosting_params,
    kernel_svm_cost,
    knn_params,
    learning_rate,
    mlp_params,
    n_estimators,
    solver_max_iter,
    svm_c,
    tree_params,
    xgboost_params,
)
from runtime.params import Param

CLASSIFIERS: tuple[ModelType, ...] = (
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
            solver_max_iter(1000),
            class_weight(),
        ),
        needs_scaling=True,
    ),
    ModelType(
        name="random_forest_classifier",
        title="Random forest",
        tasks=CLASSIFICATION,
        module="sklearn.ensemble",
        cls="RandomForestClassifier",
        explanation="Many decision trees, each grown on a random sample of rows and "
        "features, vote on the class. Robust with little tuning and no scaling needed.",
        params=forest_params(200) + (class_weight(),),
        n_jobs_arg="n_jobs",
        live_curve=FOREST_CURVE,
    ),
    ModelType(
        name="xgboost_classifier",
        title="XGBoost",
        tasks=CLASSIFICATION,
        module="xgboost",
        cls="XGBClassifier",
        explanation="Grows trees one after another, each correcting the errors of the "
        "ones before. Often the most accurate on tabular data; tune learning rate and depth.",
        params=xgboost_params(),
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
            svm_c("wider margin that ignores a few rows"),
            class_weight(),
            solver_max_iter(1000),
        ),
        wrapper=CALIBRATED,
        needs_scaling=True,
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
        params=(svm_c("smoother boundary"), class_weight()),
        fixed=(("kernel", "rbf"), ("gamma", "scale")),
        wrapper=CALIBRATED,
        cost=kernel_svm_cost("Linear SVM or hist gradient boosting"),
        needs_scaling=True,
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
        params=knn_params(),
        seed_arg=None,
        n_jobs_arg="n_jobs",
        cost=KNN_COST,
        needs_scaling=True,
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
        needs_scaling=True,
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
        params=tree_params(classification=True),
    ),
    ModelType(
        name="extra_trees_classifier",
        title="Extra trees",
        tasks=CLASSIFICATION,
        module="sklearn.ensemble",
        cls="ExtraTreesClassifier",
        explanation="Like a random forest, but every split point is also drawn at random, and "
        "many such trees vote. Fast and often as accurate as a random forest.",
        params=forest_params(200) + (class_weight(),),
        n_jobs_arg="n_jobs",
        live_curve=FOREST_CURVE,
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
        params=gradient_boosting_params(),
        cost=replace(
            BOOSTING_COST,
            advice="With more than two classes it takes that many times longer; hist gradient "
            "boosting builds similar models many times faster.",
        ),
        live_curve=BOOSTING_CURVE,
    ),
    ModelType(
        name="hist_gradient_boosting_classifier",
        title="Hist gradient boosting",
        tasks=CLASSIFICATION,
        module="sklearn.ensemble",
        cls="HistGradientBoostingClassifier",
        explanation="Gradient boosting that first sorts every feature into 255 bins, which "
        "makes it fast on large data. Among the most accurate models on tabular data.",
        params=hist_boosting_params() + (class_weight(),),
        live_curve=HIST_BOOSTING_CURVE,
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
            n_estimators(50, "Number of boosting rounds (trees).", search=(25, 500)),
            learning_rate(
                search=(0.01, 2.0),
                default=1.0,
                maximum=10.0,
                help="Weight of each tree in the vote; smaller values need more rounds.",
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
        params=mlp_params(),
        cost=MLP_COST,
        needs_scaling=True,
        live_curve=MLP_CURVE,
    ),
)
