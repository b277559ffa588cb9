"""Prepare: the step list, a form per step from its declaration, and a live preview."""

from __future__ import annotations

import panel as pn
import param

from runtime.steps import STEPS_BY_NAME

from ..forms import ParamForm
from ..state import Workspace
from .common import StageView, code_panel, on_next_tick, split_layout, table

STAGE_TITLES = {
    "clean": "Clean rows (before the split)",
    "derive": "Derive columns (same at training and prediction)",
    "learn": "Learn from the training split (scaling, encoding, ...)",
}


def _summary(params: dict) -> str:
    shown = []
    for name, value in params.items():
        if value is None or value == [] or value is False:
            continue
        text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        shown.append(f"{name}: {text[:60]}")
    return "; ".join(shown[:4])


class PrepareView(StageView):
    selected = param.Integer(default=0, doc="The step whose preview is shown (1-based).")
    editing = param.Integer(default=0, doc="The step whose form is open (0: adding one).")

    def __init__(self, workspace: Workspace, **params):
        super().__init__(workspace, **params)
        self.stage = pn.widgets.Select(
            label="Stage", options={v: k for k, v in STAGE_TITLES.items()}, value="learn"
        )
        self.step_type = pn.widgets.Select(label="Step")
        self.stage.param.watch(self._stage_chosen, "value")
        self._stage_chosen()
        self.form: ParamForm | None = None
        doc = pn.state.curdoc
        if doc is not None and doc.session_context is not None:
            # An edit's spec version is written on the next tick; a closing page
            # writes one still waiting.
            doc.on_session_destroyed(lambda _: workspace.save_pending())

    def _stage_chosen(self, *_):
        types = [s for s in STEPS_BY_NAME.values() if s.stage == self.stage.value]
        self.step_type.options = {s.title: s.name for s in types}
        self.step_type.value = types[0].name

    # -- step list ----------------------------------------------------------

    def _step_row(self, index: int) -> pn.Row:
        step = self.ws.spec.steps[index - 1]
        decl = STEPS_BY_NAME[step.type]
        enabled = pn.widgets.Checkbox(value=step.enabled, label="", width=24, align="center")
        enabled.param.watch(lambda e: self.ws.set_step_enabled(index, e.new), "value")
        buttons = []
        for label, action, tip in (
            ("▲", lambda _: self.ws.move_step(index, -1), "Move up"),
            ("▼", lambda _: self.ws.move_step(index, 1), "Move down"),
            ("Edit", lambda _: self._edit(index), "Change its settings"),
            ("Preview", lambda _: setattr(self, "selected", index), "Show the data after it"),
            ("Delete", lambda _: self._delete(index), "Remove the step"),
        ):
            button = pn.widgets.Button(
                label=label, description=tip, width=70 if len(label) > 1 else 36
            )
            button.on_click(action)
            buttons.append(button)
        style = {} if step.enabled else {"opacity": "0.5"}
        text = pn.pane.Markdown(
            f"**{index}. {decl.title}** <small>({decl.stage})</small><br>"
            f"<small>{_summary(step.params)}</small>",
            sizing_mode="stretch_width",
            margin=(0, 5),
        )
        return pn.Row(enabled, text, *buttons, sizing_mode="stretch_width", styles=style)

    def _delete(self, index: int) -> None:
        if self.ws.remove_step(index):
            self.selected = 0
            self.editing = 0

    def _edit(self, index: int) -> None:
        self.editing = index

    def _steps(self, revision: int):
        if not self.ws.has_data:
            return pn.pane.Markdown("Open data on the Data tab first.")
        steps = self.ws.spec.steps
        if not steps:
            return pn.pane.Markdown("### Steps\nNo steps yet: the raw columns go to the model.")
        return pn.Column(
            pn.pane.Markdown("### Steps, in the order they run"),
            *[self._step_row(i) for i in range(1, len(steps) + 1)],
            sizing_mode="stretch_width",
        )

    # -- the form: add a step or edit one --------------------------------------

    def _form(self, revision: int, editing: int, step_type: str):
        if not self.ws.has_data:
            return pn.Spacer()
        if editing and editing <= len(self.ws.spec.steps):
            step = self.ws.spec.steps[editing - 1]
            decl = STEPS_BY_NAME[step.type]
            values, position, title = step.params, editing, f"Edit step {editing}: {decl.title}"
            header = []
        else:
            decl = STEPS_BY_NAME.get(step_type)
            if decl is None:
                return pn.Spacer()
            values, position, title = {}, None, "Add a step"
            header = [self.stage, self.step_type]
        try:
            columns = self.ws.columns_for_step(decl.stage, position)
        except Exception as exc:  # noqa: BLE001 - an earlier step failed; say which
            return pn.pane.Alert(str(exc), alert_type="danger")
        self.form = ParamForm(decl.params, values, columns)
        apply = pn.widgets.Button(
            label="Apply changes" if position else "Add step", color="primary"
        )
        apply.on_click(lambda _: self._apply(decl.name, position))
        parts = [pn.pane.Markdown(f"### {title}"), *header]
        parts += [pn.pane.Markdown(decl.help), self.form.panel(), apply]
        if position:
            cancel = pn.widgets.Button(label="Cancel")
            cancel.on_click(lambda _: setattr(self, "editing", 0))
            parts[-1] = pn.Row(apply, cancel)
        return pn.Column(*parts, sizing_mode="stretch_width", styles={"background": "#f7f7fa"})

    def _apply(self, step_type: str, position: int | None) -> None:
        values = self.form.values()
        if position:
            # The preview first, the new spec version's YAML and SQL on the next tick.
            if self.ws.update_step(position, values, schedule_save=on_next_tick):
                self.selected, self.editing = position, 0
        elif self.ws.add_step(step_type, values):
            added = [i for i, s in enumerate(self.ws.spec.steps, 1) if s.type == step_type]
            self.selected = added[-1] if added else 0

    # -- preview -------------------------------------------------------------

    def _preview(self, revision: int, selected: int):
        if not self.ws.has_data:
            return pn.Spacer()
        steps = self.ws.spec.steps
        active = [i for i, _ in self.ws.spec.active_steps()]
        index = selected if selected in active else (active[-1] if active else 0)
        if not index:
            data = self.ws.raw_data()
            return pn.Column(
                pn.pane.Markdown(f"### The data\n{len(data)} rows, {data.shape[1]} columns"),
                table(data.head(200)),
                sizing_mode="stretch_width",
            )
        preview = self.ws.preview(index)
        if preview is None:
            return pn.pane.Alert(self.ws.message, alert_type="danger")
        title = STEPS_BY_NAME[steps[index - 1].type].title
        note = self.ws.preview_note()
        # Training uses every row; say so where the preview shows fewer.
        sampled = f"\n\nPreview {note}; training uses all rows." if note else ""
        heading = pn.pane.Markdown(f"### After step {index}: {title}\n{preview.outline()}{sampled}")
        columns = pn.Column(sizing_mode="stretch_width")

        def statistics() -> None:
            # Drawn after the first rows: the person sees the step's result without
            # waiting for the column summary (exact numbers for every changed column).
            heading.object = f"### After step {index}: {title}\n{preview.describe()}{sampled}"
            columns.objects = [
                pn.pane.Markdown("#### Columns after it"),
                table(preview.summary.round(4), page_size=8),
            ]

        on_next_tick(statistics)
        return pn.Column(
            heading, table(preview.head.round(4)), columns, sizing_mode="stretch_width"
        )

    def __panel__(self):
        main = pn.Column(
            pn.bind(self._steps, self.shown.param.revision),
            pn.bind(self._form, self.shown.param.revision, self.param.editing, self.step_type),
            pn.bind(self._preview, self.shown.param.revision, self.param.selected),
            sizing_mode="stretch_width",
        )
        return split_layout(main, code_panel(self, "preprocessing.py"))
