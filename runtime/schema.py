"""The input schema of a trained model: what one raw row must look like.

Read off the training split, it is written into manifest.json and rendered
into the API's request models and predict.py's column check.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from runtime.spec import Spec

# Categories listed in the schema per column; beyond this the list is left out.
MAX_LISTED_CATEGORIES = 200


def input_schema(
    spec: Spec, X_train: pd.DataFrame, scored: Sequence[pd.DataFrame] = ()
) -> list[dict[str, Any]]:
    """One entry per raw input column: name, type, dtype, nullable, range or categories.

    Ranges and categories are read off the training split. A column is nullable
    when it has a missing value in the training split or in any of the `scored`
    frames (the other splits): every row the playground scored can be served.
    """
    schema = []
    for name in spec.features:
        col = X_train[name]
        kind = spec.column(name).type
        entry: dict[str, Any] = {
            "name": name,
            "type": kind,
            "dtype": str(col.dtype),
            "nullable": any(bool(f[name].isna().any()) for f in [X_train, *scored]),
        }
        if kind == "numeric" and pd.api.types.is_numeric_dtype(col) and col.notna().any():
            entry["minimum"] = _plain(col.min())
            entry["maximum"] = _plain(col.max())
        elif kind in ("categorical", "boolean"):
            levels = sorted({_plain(v) for v in col.dropna().unique()}, key=str)
            if len(levels) <= MAX_LISTED_CATEGORIES:
                entry["categories"] = levels
        schema.append(entry)
    return schema


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value
