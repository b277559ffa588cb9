"""What changed between two specs, as lines a person reads.

    spec_diff(old, new)   # ["model.params.max_depth: 6 → 8",
                          #  "step 3 (Impute numeric columns) added", ...]
    yaml_diff(old, new)   # the unified diff of the two spec.yaml files

Steps are matched by their type in order (difflib), so an inserted step is
one "added" line rather than every later step "changed"; a step removed at
one position and added unchanged at another is one "moved" line. Columns
are matched by name. Any other part of the spec, including fields added
later, is compared field by field under its dotted path.
"""

from __future__ import annotations

import difflib
from typing import Any

from runtime.spec import Spec, dump_spec, spec_to_dict
from runtime.steps import STEPS_BY_NAME

# Shown for a field one spec sets and the other leaves out (its default applies).
UNSET = "(not set)"
ARROW = "→"


def _show(value: Any) -> str:
    if value is UNSET:
        return UNSET
    if value is None:
        return "none"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_show(v)}" for k, v in value.items()) + "}"
    return str(value)


def _changed(path: str, old: Any, new: Any) -> str:
    return f"{path}: {_show(old)} {ARROW} {_show(new)}"


def _fields(path: str, old: Any, new: Any) -> list[str]:
    """Dicts compared key by key under `path`; anything else as one value."""
    if isinstance(old, dict) and isinstance(new, dict):
        lines = []
        for key in list(old) + [k for k in new if k not in old]:
            lines += _fields(f"{path}.{key}", old.get(key, UNSET), new.get(key, UNSET))
        return lines
    return [] if old == new else [_changed(path, old, new)]


def _step_title(step: dict) -> str:
    decl = STEPS_BY_NAME.get(step["type"])
    return decl.title if decl else step["type"]


def _step_lines(old: list[dict], new: list[dict]) -> list[str]:
    matcher = difflib.SequenceMatcher(
        a=[s["type"] for s in old], b=[s["type"] for s in new], autojunk=False
    )
    removed: dict[int, dict] = {}
    added: dict[int, dict] = {}
    lines: list[tuple[int, str]] = []  # (new position for ordering, line)
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        if tag == "equal":
            for i, j in zip(range(a0, a1), range(b0, b1), strict=True):
                lines += [(j + 1, line) for line in _same_step_lines(i + 1, j + 1, old[i], new[j])]
            continue
        removed.update({i + 1: old[i] for i in range(a0, a1)})
        added.update({j + 1: new[j] for j in range(b0, b1)})
    # A step taken out at one place and put back unchanged at another has moved.
    for i, step in list(removed.items()):
        for j, candidate in added.items():
            if (candidate["type"], candidate["params"]) == (step["type"], step["params"]):
                line = f"step {i} ({_step_title(step)}) moved to step {j}"
                if candidate["enabled"] != step["enabled"]:
                    line += ", and " + ("enabled" if candidate["enabled"] else "disabled")
                lines.append((j, line))
                del removed[i], added[j]
                break
    for i, step in removed.items():
        lines.append((i, f"step {i} ({_step_title(step)}) removed"))
    for j, step in added.items():
        state = "" if step["enabled"] else ", disabled"
        params = f": {_show(step['params'])}" if step["params"] else ""
        lines.append((j, f"step {j} ({_step_title(step)}) added{state}{params}"))
    return [line for _, line in sorted(lines, key=lambda pair: pair[0])]


def _same_step_lines(i: int, j: int, old: dict, new: dict) -> list[str]:
    where = f"step {j}" if i == j else f"step {j} (was {i})"
    name = f"{where} ({_step_title(new)})"
    lines = []
    if old["enabled"] != new["enabled"]:
        lines.append(f"{name} {'enabled' if new['enabled'] else 'disabled'}")
    lines += [f"{name} {line}" for line in _fields("params", old["params"], new["params"])]
    return lines


def _column_lines(old: list[dict], new: list[dict]) -> list[str]:
    before = {c["name"]: c for c in old}
    after = {c["name"]: c for c in new}
    lines = []
    for name, column in after.items():
        if name not in before:
            lines.append(f"column {name!r} added ({column['type']}, {column['role']})")
            continue
        for field in ("role", "type"):
            if before[name][field] != column[field]:
                lines.append(
                    f"column {name!r}: {field} {before[name][field]} {ARROW} {column[field]}"
                )
    lines += [f"column {name!r} removed" for name in before if name not in after]
    return lines


def _explore_lines(old: list[dict], new: list[dict]) -> list[str]:
    def label(view: dict) -> str:
        columns = view.get("columns") or []
        return view["view"] + (f" of {', '.join(map(repr, columns))}" if columns else "")

    before, after = [label(v) for v in old], [label(v) for v in new]
    lines = [f"exploration view {v} added" for v in after if v not in before]
    return lines + [f"exploration view {v} removed" for v in before if v not in after]


def _model_lines(old: dict, new: dict) -> list[str]:
    if old["type"] == new["type"]:
        return _fields("model.params", old["params"], new["params"])
    # Another model has other parameters: both sets whole, not "(not set)" for each.
    return [
        _changed("model.type", old["type"], new["type"]),
        _changed("model.params", old["params"], new["params"]),
    ]


# Parts of the spec with their own reading; the rest is compared field by field.
_SECTIONS = {
    "columns": _column_lines,
    "steps": _step_lines,
    "model": _model_lines,
    "explore": _explore_lines,
}


def spec_diff(old: Spec, new: Spec) -> list[str]:
    """Every difference from `old` to `new`, one line each; [] for the same spec."""
    before, after = spec_to_dict(old), spec_to_dict(new)
    lines = []
    for key in list(before) + [k for k in after if k not in before]:
        a, b = before.get(key, UNSET), after.get(key, UNSET)
        if a == b:
            continue
        if key in _SECTIONS and UNSET not in (a, b):
            lines += _SECTIONS[key](a, b)
        else:
            lines += _fields(key, a, b)
    return lines


def yaml_diff(old: Spec, new: Spec, old_name: str = "old", new_name: str = "new") -> str:
    """The unified diff of the two specs' YAML, for a reader who wants every character."""
    return "".join(
        difflib.unified_diff(
            dump_spec(old).splitlines(keepends=True),
            dump_spec(new).splitlines(keepends=True),
            fromfile=old_name,
            tofile=new_name,
        )
    )
