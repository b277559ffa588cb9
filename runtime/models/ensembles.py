"""Ensembles: one model made of several models of the catalog.

The spec lists the members under `model.members` (and, for stacking, the
meta-learner under `model.meta`); the declarations here say how they are
combined. Classifiers average probabilities (a soft vote), so every member's
`predict_proba` counts; regressors average predictions.
"""

from __future__ import annotations

from runtime.models._base import CLASSIFICATION, Ensemble, ModelType
from runtime.params import Param

AVERAGE = Ensemble("average")
WEIGHTED = Ensemble("weighted", settings=("folds", "metric"))


def weight_folds() -> Param:
    return Param(
        "folds",
        "int",
        default=5,
        minimum=2,
        maximum=20,
        help="Cross-validation folds on the training split that score each member; the "
        "folds follow the split (stratified, time-ordered or grouped).",
    )


def weight_metric(choices: tuple[str, ...]) -> Param:
    return Param(
        "metric",
        "choice",
        default=choices[0],
        choices=choices,
        help="The cross-validation score that weighs each member. A score weighs as it is "
        "(below 0 it weighs 0); an error (neg_...) weighs by its inverse, so smaller "
        "errors weigh more.",
    )


def stacking_folds() -> Param:
    return Param(
        "cv",
        "int",
        default=5,
        minimum=2,
        maximum=20,
        help="Folds of the training split: the meta-learner learns from each member's "
        "predictions on the fold it was not fitted on, never on rows it has seen.",
    )


ENSEMBLES: tuple[ModelType, ...] = (
    ModelType(
        name="average_ensemble_classifier",
        title="Ensemble: average",
        tasks=CLASSIFICATION,
        module="sklearn.ensemble",
        cls="VotingClassifier",
        explanation="Several models vote: the class probabilities of the members are "
        "averaged. Often steadier than any one member when they make different mistakes.",
        seed_arg=None,
        fixed=(("voting", "soft"),),
        ensemble=AVERAGE,
    ),
    ModelType(
        name="weighted_ensemble_classifier",
        title="Ensemble: weighted average",
        tasks=CLASSIFICATION,
        module="sklearn.ensemble",
        cls="VotingClassifier",
        explanation="Several models vote with weights: each member's probabilities count in "
        "proportion to its cross-validation score on the training split.",
        params=(
            weight_folds(),
            weight_metric(
                ("balanced_accuracy", "accuracy", "f1_macro", "roc_auc_ovr", "neg_log_loss")
            ),
        ),
        seed_arg=None,
        fixed=(("voting", "soft"),),
        ensemble=WEIGHTED,
    ),
    ModelType(
        name="stacking_classifier",
        title="Ensemble: stacking",
        tasks=CLASSIFICATION,
        module="sklearn.ensemble",
        cls="StackingClassifier",
        explanation="A meta-learner learns how to combine the members' probabilities, from "
        "predictions each member made on rows it was not trained on (out-of-fold).",
        params=(stacking_folds(),),
        seed_arg=None,
        ensemble=Ensemble("stacking", default_meta="logistic_regression"),
    ),
    ModelType(
        name="average_ensemble_regressor",
        title="Ensemble: average",
        tasks=("regression",),
        module="sklearn.ensemble",
        cls="VotingRegressor",
        explanation="The predictions of several models are averaged. Often steadier than any "
        "one member when they make different mistakes.",
        seed_arg=None,
        ensemble=AVERAGE,
    ),
    ModelType(
        name="weighted_ensemble_regressor",
        title="Ensemble: weighted average",
        tasks=("regression",),
        module="sklearn.ensemble",
        cls="VotingRegressor",
        explanation="The predictions of several models are averaged with weights: each "
        "member counts in proportion to its cross-validation score on the training split.",
        params=(
            weight_folds(),
            weight_metric(("r2", "neg_root_mean_squared_error", "neg_mean_absolute_error")),
        ),
        seed_arg=None,
        ensemble=WEIGHTED,
    ),
    ModelType(
        name="stacking_regressor",
        title="Ensemble: stacking",
        tasks=("regression",),
        module="sklearn.ensemble",
        cls="StackingRegressor",
        explanation="A meta-learner learns how to combine the members' predictions, from "
        "predictions each member made on rows it was not trained on (out-of-fold).",
        params=(stacking_folds(),),
        seed_arg=None,
        ensemble=Ensemble("stacking", default_meta="ridge"),
    ),
)
