"""The other models a search may choose (`tuning.models`), as the Tune tab and
`playground tune --models` set them: which names a person may give (with the
search ranges proposed along with the suggested ones), and which chosen models the
pipeline does not scale for. What taking a model out of the
search, or changing the model, leaves in `tuning.space` is runtime.search_space's.

No Panel here: the command line imports it without the UI's libraries.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from runtime.defaults import has_scaling, suggested_models, suggested_space
from runtime.models import MODELS_BY_NAME
from runtime.spec import Spec, SpecError

# What `--models` takes besides a comma-separated list of names.
SUGGESTED = "suggested"
NONE = "none"


def unscaled(spec: Spec, models: list[str]) -> list[str]:
    """Those of `models` whose results depend on the features' scales, when the
    pipeline scales nothing."""
    if has_scaling(spec):
        return []
    return [name for name in models if MODELS_BY_NAME[name].needs_scaling]


def scaling_warning(spec: Spec, models: list[str]) -> str | None:
    names = unscaled(spec, models)
    if not names:
        return None
    titles = ", ".join(MODELS_BY_NAME[name].title for name in names)
    one = len(names) == 1
    it, they = ("it", "it scores") if one else ("them", "they score")
    return (
        f"{titles} depend{'s' if one else ''} on the features' scales and this pipeline "
        f"has no Scale step: the search judges {it} on unscaled numbers, where {they} "
        f"below what {'it' if one else 'they'} can. Add a Scale step to compare {it} fairly."
    )


def models_option(
    spec: Spec, given: str, target: Callable[[], pd.Series]
) -> tuple[list[str], dict[str, Any]]:
    """The names `--models` gives: a comma-separated list, "suggested" (for the data's
    target column, `target()`) or "none"; and the tuning.space entries proposed with
    the suggested models (runtime.defaults.suggested_space), none for the others."""
    text = given.strip()
    if text.lower() == NONE:
        return [], {}
    if text.lower() == SUGGESTED:
        values = target()
        return suggested_models(spec, len(values)), suggested_space(spec, values)
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise SpecError(
            f"--models {given!r}: give model names separated by commas, "
            f"{SUGGESTED!r} or {NONE!r}"
        )
    return names, {}
