"""Reading YAML: PyYAML's safe loader, with libyaml's parser when PyYAML has it.

Every YAML text the product reads (spec files, the spec of every stored run, a form's
value) goes through `load`. `yaml.CSafeLoader` is libyaml's parser under the same
SafeConstructor and resolver as `yaml.SafeLoader`: the same objects, and tags that
build Python objects (`!!python/object/apply:...`) are refused alike. It parses a
spec about ten times faster (reading a run back after training parsed its spec in
6-14 ms with the pure loader). Text it cannot read is read again by the pure loader,
so an error names the problem and its place in the pure loader's words (and text the
C parser cannot take at all, such as lone surrogates, gets the pure loader's answer).
"""

from __future__ import annotations

from typing import Any

import yaml

# None when PyYAML was built without libyaml: the pure loader reads everything.
_FAST_LOADER = getattr(yaml, "CSafeLoader", None)


def load(text: str) -> Any:
    """The one YAML document in `text`, as plain Python values (safe loader only)."""
    if _FAST_LOADER is not None:
        try:
            return yaml.load(text, Loader=_FAST_LOADER)
        except (yaml.YAMLError, UnicodeEncodeError):
            pass  # the pure loader raises its own error, with its message, below
    return yaml.load(text, Loader=yaml.SafeLoader)
