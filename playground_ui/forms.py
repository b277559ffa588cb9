"""Widgets derived from parameter declarations.

Each declared `Param` (runtime/params.py) maps to one widget: its title,
bounds, choices, default and help text come from the declaration, never from
a copy here. Column parameters list only the columns of a suitable type.
"""

from __future__ import annotations

from typing import Any

import panel as pn

from runtime.params import Param
from runtime.safe_yaml import load as load_yaml

from .state import SUITABLE_TYPES


def suitable_columns(param: Param, columns: dict[str, str]) -> list[str]:
    wanted = SUITABLE_TYPES.get(param.column_kind)
    return [name for name, kind in columns.items() if wanted is None or kind in wanted]


def _text_of(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def widget_for(param: Param, value: Any, columns: dict[str, str]) -> pn.widgets.Widget:
    """The widget for one declared parameter, showing `value`."""
    common = {
        "label": param.label,
        "description": param.help or None,
        "sizing_mode": "stretch_width",
    }
    kind = param.kind
    if kind == "int":
        return pn.widgets.IntInput(
            value=value, start=_bound(param.minimum), end=_bound(param.maximum), **common
        )
    if kind == "float":
        return pn.widgets.FloatInput(value=value, start=param.minimum, end=param.maximum, **common)
    if kind == "bool":
        return pn.widgets.Checkbox(value=bool(value), label=param.label)
    if kind == "choice":
        options = {str(c): c for c in param.choices}
        if param.nullable:
            options = {"(none)": None, **options}
        return pn.widgets.Select(options=options, value=value, **common)
    if kind == "choices":
        return pn.widgets.MultiChoice(
            options=list(param.choices), value=list(value or []), **common
        )
    if kind == "column":
        options = suitable_columns(param, columns)
        if value is not None and value not in options:
            options.append(value)
        if param.nullable:
            return pn.widgets.Select(
                options={"(none)": None, **{o: o for o in options}}, value=value, **common
            )
        return pn.widgets.Select(
            options=options, value=value if value in options else None, **common
        )
    if kind == "columns":
        options = suitable_columns(param, columns)
        chosen = [v for v in (value or []) if v in options] + [
            v for v in (value or []) if v not in options
        ]
        return pn.widgets.MultiChoice(
            options=options + [v for v in chosen if v not in options], value=chosen, **common
        )
    placeholder = "comma-separated numbers, increasing" if kind == "numbers" else ""
    return pn.widgets.TextInput(value=_text_of(value), placeholder=placeholder, **common)


def _bound(value: float | None) -> int | None:
    return None if value is None else int(value)


def value_of(param: Param, widget: pn.widgets.Widget) -> Any:
    """The widget's value as the declaration expects it (validation happens in the spec)."""
    value = widget.value
    if param.kind in ("str",):
        return value if value != "" or not param.nullable else None
    if param.kind == "value":
        # "3" means the number 3 and "true" the boolean, as in a YAML spec; "?" stays text.
        parsed = load_yaml(value) if value.strip() else None
        return parsed if isinstance(parsed, (str, int, float, bool)) or parsed is None else value
    if param.kind == "numbers":
        parts = [p.strip() for p in value.split(",") if p.strip()]
        try:
            return [float(p) for p in parts]
        except ValueError:
            return value
    if param.kind in ("columns", "choices"):
        return list(value) if value else None
    return value


class ParamForm:
    """The form for one step or model: a widget per declared parameter."""

    def __init__(self, params: tuple[Param, ...], values: dict[str, Any], columns: dict[str, str]):
        self.params = params
        self.widgets = {
            p.name: widget_for(p, values.get(p.name, p.default), columns) for p in params
        }

    def values(self) -> dict[str, Any]:
        return {p.name: value_of(p, self.widgets[p.name]) for p in self.params}

    def panel(self) -> pn.viewable.Viewable:
        if not self.params:
            return pn.pane.Markdown("*No settings.*")
        rows = []
        for param in self.params:
            widget = self.widgets[param.name]
            if isinstance(widget, pn.widgets.Checkbox) and param.help:
                # Checkboxes have no help tooltip of their own.
                widget = pn.Row(widget, pn.widgets.TooltipIcon(value=param.help))
            rows.append(widget)
        return pn.Column(*rows, sizing_mode="stretch_width")
