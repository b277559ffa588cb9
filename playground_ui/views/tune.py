"""Tune: search the model's parameters with Optuna in the background, watch it, keep the best.

The settings and the search space are the spec's `tuning` section (saved as one
undoable change); the search runs the rendered tune.py in worker processes
(runtime/tuning.py) and "Use best parameters" writes what it found into the model.
"Also try these models" lets the search choose another model of the task
(`tuning.models`); when one of them wins, using the result makes it the model.
"""

from __future__ import annotations

import pandas as pd
import panel as pn

from runtime.metrics import DEFAULT_TUNING_METRIC, higher_is_better, metrics_for
from runtime.models import MODELS_BY_NAME
from runtime.search_space import Dimension, allowed_values
from runtime.spec import TuningSpec

from ..state import USER_ERRORS, Workspace
from ..tuning_models import scaling_warning
from .common import StageView, table

METHODS = {"TPE (learns from earlier trials)": "tpe", "Random": "random", "Grid": "grid"}
PRUNERS = {"None": "none", "Median": "median", "Successive halving": "successive_halving"}

MODELS_HELP = (
    "The search may also choose one of these models instead of the Model tab's: each "
    "trial picks a model, then values for its parameters, each model searched over "
    "the ranges it declares (listed below). When another model scores best, “Use best "
    "model and parameters” makes it the model on the Model tab, with those values. "
    "More models need more trials to search each well."
)
GRID_HELP = (
    "A grid search tries every combination of one model's values, so it tunes the "
    "Model tab's model only and leaves the models above out (saving it clears them). "
    "Choose TPE or Random to let the search choose among models."
)
ENSEMBLE_HELP = (
    "An ensemble is tuned alone: a search cannot choose between it and other models. "
    "Choose a single model on the Model tab to search several."
)


class SpaceRow:
    """The widgets of one searched parameter: a range (low, high, log) or choices, or fixed."""

    def __init__(self, dimension: Dimension, allowed: list, current):
        self.dimension = dimension
        self.current = dimension.value if dimension.kind == "fixed" else current
        self.fixed = pn.widgets.Checkbox(
            label=f"fix at {self.current!r}", value=dimension.kind == "fixed", width=150
        )
        inputs = []
        if dimension.kind in ("int", "float"):
            number = pn.widgets.IntInput if dimension.kind == "int" else pn.widgets.FloatInput
            self.low = number(label="low", value=dimension.low, width=110)
            self.high = number(label="high", value=dimension.high, width=110)
            self.log = pn.widgets.Checkbox(label="log scale", value=dimension.log, width=90)
            inputs = [self.low, self.high, self.log]
        elif dimension.kind == "categorical":
            options = {repr(v): v for v in allowed or dimension.choices}
            chosen = [v for v in dimension.choices if v in options.values()]
            self.choices = pn.widgets.MultiChoice(
                label="choices", options=options, value=chosen, width=330
            )
            inputs = [self.choices]
        self.layout = pn.Row(
            pn.pane.Markdown(f"**{dimension.name}**", width=150), *inputs, self.fixed
        )
        self.initial = self.override()

    def override(self) -> dict | None:
        """The spec's `tuning.space` entry for this row; None: the declared search."""
        if self.fixed.value:
            return {"fixed": self.current}
        if self.dimension.kind == "fixed":
            return None
        if self.dimension.kind in ("int", "float"):
            return {"low": self.low.value, "high": self.high.value, "log": self.log.value}
        return {"choices": list(self.choices.value)}


class TuneView(StageView):
    def __init__(self, workspace: Workspace, **params):
        super().__init__(workspace, **params)
        self.method = pn.widgets.Select(label="Method", options=METHODS, width=220)
        self.metric = pn.widgets.Select(label="Metric (on the training split)", width=220)
        self.trials = pn.widgets.IntInput(label="Trials", value=30, start=1, width=100)
        self.timeout = pn.widgets.FloatInput(
            label="Time limit, s (0: none)", value=0, start=0, width=160
        )
        self.folds = pn.widgets.IntInput(label="Folds", value=5, start=2, end=20, width=90)
        self.pruner = pn.widgets.Select(
            label="Pruning", options=PRUNERS, value=TuningSpec().pruner, width=180
        )
        self.workers = pn.widgets.IntInput(label="Workers", value=1, start=1, end=8, width=90)
        self.models = pn.widgets.MultiChoice(
            label="Also try these models", options={}, value=[], width=520
        )
        self.suggest_button = pn.widgets.Button(label="Suggest models", width=140, align="end")
        self.suggest_button.on_click(self._suggest)
        self.models_help = pn.pane.Markdown(MODELS_HELP, sizing_mode="stretch_width")
        self.models_warning = pn.pane.Alert("", alert_type="warning", visible=False)
        self.models_spaces = pn.pane.Markdown("", sizing_mode="stretch_width")
        self.average = pn.widgets.Checkbox(
            label="Then try the average of the best models (kept only if it scores better)",
            value=True,
        )
        self.models_area = pn.Column(
            pn.Row(self.models, self.suggest_button),
            self.models_help,
            self.models_warning,
            self.models_spaces,
            self.average,
            sizing_mode="stretch_width",
        )
        self.method.param.watch(lambda *_: self._models_state(), "value")
        self.models.param.watch(lambda *_: self._models_state(), "value")
        self.export_search = pn.widgets.Checkbox(label="Export the search (tune.py)")
        self.save_button = pn.widgets.Button(label="Save settings", width=140)
        self.save_button.on_click(self._save)
        self.start_button = pn.widgets.Button(label="Start tuning", color="primary", width=140)
        self.start_button.on_click(self._start)
        self.stop_button = pn.widgets.Button(label="Stop (keep best)", width=140, visible=False)
        self.stop_button.on_click(self._stop)
        self.use_button = pn.widgets.Button(label="Use best parameters", disabled=True, width=180)
        self.use_button.on_click(self._use)
        self.use_average_button = pn.widgets.Button(
            label="Use the average", visible=False, width=160
        )
        self.use_average_button.on_click(self._use_average)
        self.status = pn.pane.Markdown("", sizing_mode="stretch_width")
        self.progress = pn.indicators.Progress(
            value=0, max=100, sizing_mode="stretch_width", visible=False
        )
        self.history = pn.pane.Matplotlib(None, tight=True, height=300, visible=False)
        self.importance = pn.Column(sizing_mode="stretch_width")
        self.rows: list[SpaceRow] = []
        self.space_area = pn.Column(sizing_mode="stretch_width")
        # tuning.space entries "Suggest models" proposed, shown and saved with the rest.
        self.proposed: dict[str, dict] = {}
        self._job = None
        self._poll = None
        self._shown = -1
        self.shown.param.watch(lambda *_: self._load(), "revision")
        self._load()

    # -- settings ----------------------------------------------------------------

    def _load(self) -> None:
        """The widgets show the spec's tuning section (or its defaults)."""
        spec = self.ws.spec
        self.proposed = {}
        if spec is None or spec.task not in ("binary", "multiclass", "regression"):
            self.space_area[:] = [
                pn.pane.Markdown("Tuning needs a classification or regression task.")
            ]
            self.models_area.visible = False
            return
        tuning = spec.tuning
        self.metric.options = metrics_for(spec.task)
        # Without a tuning section the search would use the task's default metric: shown.
        self.metric.value = DEFAULT_TUNING_METRIC[spec.task]
        if tuning is not None:
            self.method.value = tuning.method
            self.metric.value = tuning.metric
            self.trials.value = tuning.n_trials
            self.timeout.value = tuning.timeout_seconds or 0
            self.folds.value = tuning.cv_folds
            self.pruner.value = tuning.pruner
            self.export_search.value = tuning.export_search
        self._load_models()
        try:
            dimensions = self.ws.search_space()
        except USER_ERRORS + (ValueError,) as exc:
            self.space_area[:] = [pn.pane.Alert(str(exc), alert_type="danger")]
            return
        self.rows = []
        self._show_rows(dimensions)

    def _show_rows(self, dimensions: list[Dimension]) -> None:
        """A row for each of the model's dimensions that has none yet (the rows shown
        keep what was changed in them)."""
        spec = self.ws.spec
        params = {p.name: p for p in MODELS_BY_NAME[spec.model.type].params}
        shown = {row.dimension.name for row in self.rows}
        self.rows += [
            SpaceRow(d, allowed_values(params[d.name]), spec.model.params.get(d.name))
            for d in dimensions
            if d.name not in shown
        ]
        title = MODELS_BY_NAME[spec.model.type].title
        self.space_area[:] = [
            pn.pane.Markdown(f"#### Search space of {title} (the Model tab's model)"),
            *[r.layout for r in self.rows],
        ]

    def _load_models(self) -> None:
        spec = self.ws.spec
        choices = self.ws.tuning_model_choices()
        self.models.options = {MODELS_BY_NAME[name].title: name for name in choices}
        self.models.value = list(spec.tuning.models) if spec.tuning else []
        self.models_area.visible = True
        self._models_state()

    def _models_state(self) -> None:
        """The control follows the method: a grid search tunes one model."""
        spec = self.ws.spec
        if spec is None or spec.task not in ("binary", "multiclass", "regression"):
            return
        if MODELS_BY_NAME[spec.model.type].ensemble:
            self.models.disabled = self.suggest_button.disabled = True
            self.average.disabled = True
            self.models_help.object = ENSEMBLE_HELP
            self.models_warning.visible = False
            self.models_spaces.object = ""
            return
        grid = self.method.value == "grid"
        self.models.disabled = grid
        self.suggest_button.disabled = grid or not (
            self.ws.suggested_tuning_models() or self.ws.suggested_tuning_space()
        )
        self.models_help.object = GRID_HELP if grid else MODELS_HELP
        chosen = [] if grid else list(self.models.value)
        self.average.disabled = not chosen
        warning = scaling_warning(spec, chosen)
        self.models_warning.object = warning or ""
        self.models_warning.visible = warning is not None
        self.models_spaces.object = self._spaces(chosen)

    def _spaces(self, models: list[str]) -> str:
        """Where the search looks for each other model: its declared ranges (narrowed
        by the spec's `model.parameter` entries, if any)."""
        lines = []
        for name in sorted(models, key=list(self.models.options.values()).index):
            try:
                space = self.ws.search_space(name, self.proposed)
                dimensions = [d for d in space if d.searched]
            except USER_ERRORS + (ValueError,) as exc:
                lines.append(f"- **{MODELS_BY_NAME[name].title}**: {exc}")
                continue
            ranges = "; ".join(f"{d.name} {d.describe()}" for d in dimensions)
            lines.append(
                f"- **{MODELS_BY_NAME[name].title}**: "
                + (ranges or "no parameter to search; tried as set")
            )
        if not lines:
            return ""
        return "\n".join(["Where the search looks for each of these models:", "", *lines])

    def _suggest(self, _=None) -> None:
        """Add the models worth trying besides this one (tree ensembles; a linear model
        where the pipeline scales the numbers) to those chosen, and the ranges proposed
        with them (XGBoost's objective, for a target of zero or more) to the search
        space shown; Save keeps them."""
        self.proposed = self.ws.suggested_tuning_space()
        try:
            self._show_rows(self.ws.search_space(proposed=self.proposed))
        except USER_ERRORS + (ValueError,) as exc:
            self.space_area[:] = [pn.pane.Alert(str(exc), alert_type="danger")]
        suggested = self.ws.suggested_tuning_models()
        self.models.value = [
            *self.models.value,
            *(name for name in suggested if name not in self.models.value),
        ]
        self._models_state()

    def _settings(self) -> dict:
        # The spec's own overrides, those proposed, and the rows changed since: the rest
        # stay declared. (Saving with the models drops the entries of models left out.)
        tuning = self.ws.spec.tuning
        space = {n: o.given() for n, o in tuning.space.items()} if tuning else {}
        space = {**self.proposed, **space}
        for row in self.rows:
            if row.override() != row.initial:
                space[row.dimension.name] = row.override()
        return {
            "method": self.method.value,
            "metric": self.metric.value,
            "n_trials": self.trials.value,
            "timeout_seconds": self.timeout.value or None,
            "cv_folds": self.folds.value,
            "pruner": self.pruner.value,
            "export_search": self.export_search.value,
            "space": {name: o for name, o in space.items() if o is not None},
            # A grid search tunes one model: the others are not saved with it.
            "models": [] if self.method.value == "grid" else list(self.models.value),
        }

    def _save(self, _=None) -> bool:
        return self.ws.has_data and self.ws.set_tuning(**self._settings())

    # -- the search ----------------------------------------------------------------

    def _start(self, _=None) -> None:
        if self._job is not None and not self._job.done:
            return
        if not self._save():
            return
        try:
            average = not self.average.disabled and self.average.value
            self._job = self.ws.start_tuning(self.trials.value, self.workers.value, average)
        except USER_ERRORS as exc:
            self.ws.tell(str(exc), "error")
            return
        self._shown = -1
        self.start_button.disabled = True
        self.use_button.disabled = True
        self.use_button.label = "Use best parameters"
        self.use_average_button.visible = False
        self.stop_button.visible = True
        self.progress.visible = True
        self.progress.value = 0
        self.status.object = "Starting the worker processes…"
        self._poll = pn.state.add_periodic_callback(self._check, period=500)

    def _stop(self, _=None) -> None:
        if self._job is not None:
            self._job.stop()
            self.status.object = "Stopping after the running trials; the best found is kept…"

    def _check(self) -> None:
        job = self._job
        progress = job.progress
        if progress is not None and progress.done != self._shown:
            self._shown = progress.done
            self.progress.value = min(100, int(100 * progress.done / max(progress.total, 1)))
            if not job.stopping:
                self.status.object = progress.line()
            self._draw(progress)
        if not job.done:
            return
        self._poll.stop()
        self._poll = None
        self.start_button.disabled = False
        self.stop_button.visible = False
        self.progress.visible = False
        if job.error:
            self.ws.tell(job.error, "error")
            self.status.object = "Tuning failed: see the message above."
            return
        self.status.object, told = self._result(job.outcome, job.tuner.spec.model.type)
        self.use_button.disabled = False
        average = job.outcome.average
        self.use_average_button.visible = average is not None
        if average is not None:
            titles = " and ".join(MODELS_BY_NAME[name].title for name, _ in average.members)
            alone = MODELS_BY_NAME[job.outcome.model].title
            self.status.object += (
                f"\n\nThe average of {titles} scores better: **{average.value:.6f}** against "
                f"{average.alone:.6f} for {alone} alone (each model at its best trial's "
                "values, compared on folds shuffled otherwise than the search's)."
            )
            told += f" The average of {titles} scores better: “Use the average” makes it the model."
            self.use_average_button.disabled = False
        elif job.average:
            self.status.object += (
                "\n\nNo average of the best models scored better than the best model alone."
            )
        self.ws.tell(told, "success")

    def _result(self, outcome, searched: str) -> tuple[str, str]:
        """What the tab says of a finished search of `searched` (the model it started
        from): its best value and values, and the model that won when it is another."""
        winner = outcome.model
        params = ", ".join(f"{k} = {v!r}" for k, v in outcome.params.items())
        line = (
            f"Best {self.metric.value}: **{outcome.value:.6f}** after {outcome.trials} trials "
            f"(study {outcome.study_name!r}, refitted to the same value)"
        )
        if winner == searched:
            self.use_button.label = "Use best parameters"
            return f"{line}. {params}", "Tuning finished: press “Use best parameters” to keep them."
        title, before = MODELS_BY_NAME[winner].title, MODELS_BY_NAME[searched].title
        self.use_button.label = "Use best model and parameters"
        told = (
            f"Tuning finished: {title} won. Press “Use best model and parameters” to make "
            "it the model on the Model tab, with these values."
        )
        return f"{line}, with **{title}** (the search started from {before}). {params}", told

    def _draw(self, progress) -> None:
        values = [(n, v) for n, v, _ in progress.history if v is not None]
        if not values:
            return
        from matplotlib.figure import Figure  # 0.5 s to import: when first drawn

        figure = Figure(figsize=(7, 3))
        axes = figure.subplots()
        numbers, scores = zip(*values)
        better = max if higher_is_better(self.metric.value) else min
        best = [better(scores[: i + 1]) for i in range(len(scores))]
        axes.plot(numbers, scores, "o", alpha=0.6, label="trial")
        axes.step(numbers, best, where="post", label="best so far")
        axes.set_xlabel("trial")
        axes.set_ylabel(self.metric.value)
        axes.legend(loc="best")
        self.history.object = figure
        self.history.visible = True
        importance = self._job.importance()
        if importance:
            frame = pd.DataFrame(
                {"parameter": list(importance), "importance": list(importance.values())}
            )
            self.importance[:] = [
                pn.pane.Markdown("#### Parameter importance"),
                table(frame.round(4), page_size=10),
            ]

    def _use(self, _=None) -> None:
        job = self._job
        if job is None or job.outcome is None:
            return
        # Used once: the spec now holds it (undo takes it back out).
        if self.ws.use_tuned(job.outcome, searched=job.tuner.spec):
            self.use_button.disabled = True
            self.use_average_button.disabled = True

    def _use_average(self, _=None) -> None:
        job = self._job
        if job is None or job.outcome is None or job.outcome.average is None:
            return
        if self.ws.use_average(job.outcome.average, searched=job.tuner.spec):
            self.use_button.disabled = self.use_average_button.disabled = True

    def __panel__(self):
        settings = pn.Column(
            pn.Row(self.method, self.metric, self.pruner),
            pn.Row(self.trials, self.timeout, self.folds, self.workers),
            self.models_area,
            self.export_search,
            self.space_area,
            pn.Row(
                self.save_button,
                self.start_button,
                self.stop_button,
                self.use_button,
                self.use_average_button,
            ),
            sizing_mode="stretch_width",
        )
        return pn.Column(
            pn.pane.Markdown(
                "### Tune the model's parameters\nEach trial cross-validates the pipeline on "
                "the training split only; the test split is never seen. The study is kept, "
                "so starting again resumes it."
            ),
            settings,
            self.progress,
            self.status,
            self.history,
            self.importance,
            sizing_mode="stretch_width",
        )
