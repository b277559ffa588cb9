"""The one way user values become code: Python literals.

Every value that came from a person (column names, category labels, file
names, free text) reaches generated code through `py_literal` only, as the
`py` filter of the template environment. It accepts plain data and nothing
else, so no value can turn into an identifier, a statement or a template.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def markdown_text(value: str) -> str:
    """Plain text for one line of Markdown: no line breaks, no markup."""
    text = " ".join(str(value).split())
    # Inline markup characters; the text never starts a line, so list and
    # heading markers need no escape.
    specials = "\\`*_[]<>|$"
    return "".join("\\" + ch if ch in specials else ch for ch in text)


def py_literal(value: Any) -> str:
    """Render a plain value as a Python literal that evaluates back to it."""
    if value is None or isinstance(value, (bool, str, int)):
        return repr(value)
    if isinstance(value, np.generic):
        return py_literal(value.item())
    if isinstance(value, float):
        if math.isnan(value):
            return 'float("nan")'
        if math.isinf(value):
            return 'float("inf")' if value > 0 else '-float("inf")'
        return repr(value)
    if isinstance(value, (list, tuple)):
        inner = ", ".join(py_literal(v) for v in value)
        if isinstance(value, tuple):
            return f"({inner},)" if len(value) == 1 else f"({inner})"
        return f"[{inner}]"
    if isinstance(value, dict):
        inner = ", ".join(f"{py_literal(k)}: {py_literal(v)}" for k, v in value.items())
        return "{" + inner + "}"
    raise TypeError(f"cannot render a {type(value).__name__} as a Python literal")
