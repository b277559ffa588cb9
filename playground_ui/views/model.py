"""Split and model: how rows are divided, and which model learns from them."""

from __future__ import annotations

import panel as pn

from runtime.models import MODELS_BY_NAME

from ..forms import ParamForm
from ..state import Workspace
from .common import StageView, code_panel, split_layout

# The decision threshold of a binary classifier: how it is chosen (spec.decision.rule).
DECISION_RULES = {
    "Probability 0.5 (default)": None,
    "Best F1 on the validation split": "max_f1",
    "Reach a precision on the validation split": "target_precision",
    "Reach a recall on the validation split": "target_recall",
    "Set by hand": "manual",
}

SPLIT_KINDS = {
    "Random (shuffled with the seed)": "random",
    "By time (oldest rows train, newest test)": "time",
    "By group (a group's rows stay together)": "group",
}


class ModelView(StageView):
    def __init__(self, workspace: Workspace, **params):
        super().__init__(workspace, **params)
        self.form: ParamForm | None = None
        self.model_type = pn.widgets.Select(label="Model")
        self._syncing = False

    # -- split ---------------------------------------------------------------

    def _split(self, revision: int):
        if not self.ws.has_data:
            return pn.pane.Markdown("Open data on the Data tab first.")
        spec = self.ws.spec
        split = spec.split
        names = [c.name for c in spec.columns]
        dates = [c.name for c in spec.columns if c.type == "datetime"] or names
        kind = pn.widgets.Select(label="Split", options=SPLIT_KINDS, value=split.kind)
        validation = pn.widgets.FloatSlider(
            label="Validation share", start=0.0, end=0.5, step=0.05, value=split.validation
        )
        test = pn.widgets.FloatSlider(
            label="Test share", start=0.05, end=0.5, step=0.05, value=split.test
        )
        stratify = pn.widgets.Checkbox(
            label="Stratify by class (same class shares in every part)",
            value=split.stratify,
            disabled=not spec.is_classification,
        )
        time_column = pn.widgets.Select(
            label="Date column to order by", options=dates, value=split.time_column or dates[0]
        )
        group_column = pn.widgets.Select(
            label="Column naming the groups", options=names, value=split.group_column or names[0]
        )
        seed = pn.widgets.IntInput(label="Seed", value=spec.seed, start=0)
        folds = pn.widgets.IntInput(
            label="Cross-validation folds on the training split (0: none)",
            value=spec.evaluation.cv_folds or 0,
            start=0,
            end=20,
        )
        train_share = pn.pane.Markdown()
        # Clustering: a column kept aside (role ignore) to score the clusters against.
        aside = [c.name for c in spec.columns if c.role == "ignore"]
        label_column = pn.widgets.Select(
            label="Score clusters against (adjusted Rand index)",
            options={"(none)": None, **{name: name for name in aside}},
            value=spec.evaluation.label_column if spec.evaluation.label_column in aside else None,
            description="A column with known groups, set to role 'ignore' on the Data tab.",
            visible=spec.task == "clustering",
        )

        def shares(*_):
            train = 1 - validation.value - test.value
            train_share.object = f"Training share: **{train:.0%}**"

        validation.param.watch(shares, "value")
        test.param.watch(shares, "value")
        shares()

        def apply(_):
            fields = {
                "kind": kind.value,
                "validation": round(validation.value, 4),
                "test": round(test.value, 4),
                "train": round(1 - validation.value - test.value, 4),
                "stratify": stratify.value and spec.is_classification,
                "time_column": time_column.value if kind.value == "time" else None,
                "group_column": group_column.value if kind.value == "group" else None,
            }
            evaluation = {"cv_folds": folds.value or None}
            if spec.task == "clustering":
                evaluation["label_column"] = label_column.value
            self.ws.set_split(evaluation=evaluation, seed=seed.value, **fields)

        button = pn.widgets.Button(label="Apply split", color="primary")
        button.on_click(apply)
        chooser = pn.Column(
            time_column, visible=kind.param.value.rx() == "time", sizing_mode="stretch_width"
        )
        grouper = pn.Column(
            group_column, visible=kind.param.value.rx() == "group", sizing_mode="stretch_width"
        )
        return pn.Column(
            pn.pane.Markdown("### Split the rows"),
            kind,
            chooser,
            grouper,
            pn.Row(validation, test),
            train_share,
            stratify,
            pn.Row(seed, folds),
            label_column,
            button,
            sizing_mode="stretch_width",
        )

    # -- model ----------------------------------------------------------------

    def _sync_models(self) -> None:
        names = self.ws.models_for_task()
        self._syncing = True
        try:
            self.model_type.options = {MODELS_BY_NAME[n].title: n for n in names}
            self.model_type.value = self.ws.spec.model.type
        finally:
            self._syncing = False

    def _model(self, revision: int, chosen: str | None):
        if not self.ws.has_data:
            return pn.Spacer()
        if chosen not in self.ws.models_for_task():
            chosen = self.ws.spec.model.type
        decl = MODELS_BY_NAME[chosen]
        current = self.ws.spec.model
        values = current.params if current.type == chosen else {}
        self.form = ParamForm(decl.params, values, {})
        use = pn.widgets.Button(
            label="Use this model" if current.type != chosen else "Apply settings",
            color="primary",
        )
        parts = self._ensemble_parts(decl)
        members, meta = parts if parts else (None, None)
        use.on_click(
            lambda _: self.ws.set_model(
                chosen,
                self.form.values(),
                members=members.value if members else None,
                meta=meta.value if meta else None,
            )
        )
        notes = [decl.explanation]
        if decl.wrapper is not None:
            notes.append(decl.wrapper.note)
        status = "" if current.type == chosen else f" (the spec still uses {current.type})"
        return pn.Column(
            pn.pane.Markdown(f"### {decl.title}{status}\n" + "\n\n".join(notes)),
            *(widget for widget in (members, meta) if widget is not None),
            self.form.panel(),
            use,
            sizing_mode="stretch_width",
        )

    def _ensemble_parts(self, decl) -> tuple | None:
        """An ensemble's member picker (and a stacking's meta-learner), or None."""
        if decl.ensemble is None:
            return None
        names = self.ws.member_choices()
        options = {MODELS_BY_NAME[n].title: n for n in names}
        current = self.ws.spec.model
        chosen = [m.type for m in current.members or []] or names[:2]
        members = pn.widgets.MultiChoice(
            label="Members to combine (two or more)",
            options=options,
            value=[n for n in chosen if n in names],
            sizing_mode="stretch_width",
        )
        if decl.ensemble.kind != "stacking":
            return members, None
        meta = current.meta.type if current.meta else decl.ensemble.default_meta
        return members, pn.widgets.Select(
            label="Meta-learner (learns from the members' out-of-fold predictions)",
            options=options,
            value=meta,
            sizing_mode="stretch_width",
        )

    def _decision(self, revision: int, result=None):
        """The decision threshold of a binary classifier, and the one the last run chose."""
        if not self.ws.has_data or self.ws.spec.task != "binary":
            return pn.Spacer()
        spec = self.ws.spec
        decision = spec.decision
        rule = pn.widgets.Select(
            label="Decision threshold",
            options=DECISION_RULES,
            value=decision.rule if decision else None,
        )
        target = pn.widgets.FloatSlider(
            label="Target (precision or recall)",
            start=0.05,
            end=0.99,
            step=0.01,
            value=decision.target if decision and decision.target else 0.8,
            visible=rule.param.value.rx().rx.pipe(
                lambda r: r in ("target_precision", "target_recall")
            ),
        )
        threshold = pn.widgets.FloatInput(
            label="Threshold (probability of the positive class)",
            start=0.001,
            end=0.999,
            step=0.01,
            value=decision.threshold if decision and decision.threshold else 0.5,
            visible=rule.param.value.rx() == "manual",
        )

        def apply(_):
            if rule.value is None:
                self.ws.set_decision(None)
                return
            chosen = {"rule": rule.value}
            if rule.value in ("target_precision", "target_recall"):
                chosen["target"] = round(target.value, 4)
            if rule.value == "manual":
                chosen["threshold"] = threshold.value
            self.ws.set_decision(chosen)

        button = pn.widgets.Button(label="Apply threshold", color="primary")
        button.on_click(apply)
        resolved = ""
        if self.ws.result_is_current and result and "decision" in result.report:
            resolved = f"Last run: threshold **{result.report['decision']['threshold']:.4f}**."
        positive = spec.classes[1]
        return pn.Column(
            pn.pane.Markdown(
                f"### Decision threshold\nA row is predicted {positive!r} when its "
                "probability reaches the threshold."
            ),
            rule,
            target,
            threshold,
            button,
            pn.pane.Markdown(resolved),
            sizing_mode="stretch_width",
        )

    def __panel__(self):
        def models(revision):
            if self.ws.has_data:
                self._sync_models()
            return pn.Column(
                (
                    pn.pane.Markdown(f"### Choose a model ({self.ws.spec.task})")
                    if self.ws.has_data
                    else pn.Spacer()
                ),
                self.model_type,
                visible=self.ws.has_data,
            )

        main = pn.Column(
            pn.bind(self._split, self.shown.param.revision),
            pn.bind(models, self.shown.param.revision),
            pn.bind(self._model, self.shown.param.revision, self.model_type),
            pn.bind(self._decision, self.shown.param.revision, self.shown.param.result),
            sizing_mode="stretch_width",
        )
        return split_layout(main, code_panel(self, "train.py"))
