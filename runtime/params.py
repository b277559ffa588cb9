"""Parameter declarations shared by the step and model catalogs.

A parameter is declared once, with its type, default, bounds or choices and
help text. Validation, the CLI catalog listing, the UI forms and the tests all
read these declarations; nothing copies them.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any

# Column kinds a column parameter may ask for; matched against column types.
COLUMN_KINDS = ("any", "numeric", "categorical", "datetime", "text", "boolean")


class ParamError(ValueError):
    """A parameter value that does not fit its declaration."""


@dataclass(frozen=True)
class Param:
    """One declared parameter.

    kind is one of: int, float, bool, choice, choices (several of `choices`),
    str, value (text, number or true/false), numbers (an increasing list of
    numbers), column, columns.
    Column parameters name columns of the frame the step receives; `column_kind`
    says which columns make sense (the UI lists only those).
    """

    name: str
    kind: str
    default: Any = None
    help: str = ""
    title: str = ""
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[Any, ...] = ()
    nullable: bool = False
    column_kind: str = "any"
    # Tuning: the search range or choices used when this parameter is tuned.
    search: dict[str, Any] | None = field(default=None)

    @property
    def label(self) -> str:
        return self.title or self.name.replace("_", " ").capitalize()

    def describe(self) -> dict[str, Any]:
        """A JSON-ready description (for `playground catalog --json`)."""
        out: dict[str, Any] = {"name": self.name, "kind": self.kind, "title": self.label}
        out["default"] = self.default
        if self.minimum is not None:
            out["minimum"] = self.minimum
        if self.maximum is not None:
            out["maximum"] = self.maximum
        if self.choices:
            out["choices"] = list(self.choices)
        if self.nullable:
            out["nullable"] = True
        if self.kind in ("column", "columns"):
            out["column_kind"] = self.column_kind
        if self.search:
            out["search"] = self.search
        out["help"] = self.help
        return out

    def validate(self, value: Any, where: str) -> Any:
        """Return the value checked against the declaration, or raise ParamError."""
        if value is None:
            if self.nullable:
                return None
            raise ParamError(f"{where}.{self.name}: a value is required ({self.help})")
        check = getattr(self, f"_check_{self.kind}")
        return check(value, f"{where}.{self.name}")

    def _bounds(self, value: float, path: str) -> None:
        if self.minimum is not None and value < self.minimum:
            raise ParamError(f"{path}: {value!r} is below the minimum {self.minimum}")
        if self.maximum is not None and value > self.maximum:
            raise ParamError(f"{path}: {value!r} is above the maximum {self.maximum}")

    def _check_int(self, value: Any, path: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ParamError(f"{path}: expected an integer, got {value!r}")
        self._bounds(value, path)
        return value

    def _check_float(self, value: Any, path: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ParamError(f"{path}: expected a number, got {value!r}")
        if not math.isfinite(value):
            raise ParamError(f"{path}: expected a finite number, got {value!r}")
        self._bounds(value, path)
        return float(value)

    def _check_bool(self, value: Any, path: str) -> bool:
        if not isinstance(value, bool):
            raise ParamError(f"{path}: expected true or false, got {value!r}")
        return value

    def _check_choice(self, value: Any, path: str) -> Any:
        # Compare types too, so that True is not taken for the choice 1.
        if not any(value == c and type(value) is type(c) for c in self.choices):
            allowed = ", ".join(repr(c) for c in self.choices)
            raise ParamError(f"{path}: {value!r} is not allowed; choose one of {allowed}")
        return value

    def _check_choices(self, value: Any, path: str) -> list[Any]:
        if not isinstance(value, list) or not value:
            raise ParamError(f"{path}: expected a non-empty list, got {value!r}")
        for item in value:
            self._check_choice(item, path)
        return list(value)

    def _check_value(self, value: Any, path: str) -> Any:
        if isinstance(value, float) and not math.isfinite(value):
            raise ParamError(f"{path}: expected a finite number, got {value!r}")
        if not isinstance(value, (str, int, float, bool)):
            raise ParamError(f"{path}: expected text, a number or true/false, got {value!r}")
        return value

    def _check_numbers(self, value: Any, path: str) -> list[float]:
        if not isinstance(value, list) or len(value) < 2:
            raise ParamError(f"{path}: expected a list of at least two numbers, got {value!r}")
        numbers = [self._check_float(v, path) for v in value]
        if any(b <= a for a, b in itertools.pairwise(numbers)):
            raise ParamError(f"{path}: the numbers must increase, got {value!r}")
        return numbers

    def _check_str(self, value: Any, path: str) -> str:
        if not isinstance(value, str):
            raise ParamError(f"{path}: expected text, got {value!r}")
        return value

    def _check_column(self, value: Any, path: str) -> str:
        if not isinstance(value, str) or value == "":
            raise ParamError(f"{path}: expected a column name, got {value!r}")
        return value

    def _check_columns(self, value: Any, path: str) -> list[str]:
        if not isinstance(value, list) or not value:
            raise ParamError(f"{path}: expected a non-empty list of column names, got {value!r}")
        for item in value:
            self._check_column(item, path)
        if len(set(value)) != len(value):
            raise ParamError(f"{path}: a column is listed twice in {value!r}")
        return list(value)


def validate_params(
    declared: tuple[Param, ...], given: dict[str, Any] | None, where: str
) -> dict[str, Any]:
    """Check `given` against the declarations and fill in defaults.

    Unknown names are refused with the list of known ones.
    """
    given = dict(given or {})
    known = {p.name: p for p in declared}
    unknown = sorted(set(given) - set(known))
    if unknown:
        allowed = ", ".join(known) or "(none)"
        raise ParamError(f"{where}: unknown parameter {unknown[0]!r}; allowed: {allowed}")
    out: dict[str, Any] = {}
    for param in declared:
        value = given.get(param.name, param.default)
        out[param.name] = param.validate(value, where)
    return out
