"""Comparing a report written by exported code with the runtime's report."""

from __future__ import annotations

import json
import math

import pytest

# Same data, same seed, same code: the numbers agree to rounding noise.
TOLERANCE = 1e-9


def assert_same_report(got: dict, expected: dict) -> None:
    """Metrics equal to TOLERANCE (same splits, same names); the rest exactly."""
    expected = json.loads(json.dumps(expected))  # as it reads back from metrics.json
    assert got.keys() == expected.keys()
    assert got["metrics"].keys() == expected["metrics"].keys()
    for split, metrics in expected["metrics"].items():
        assert got["metrics"][split].keys() == metrics.keys(), split
        for name, value in metrics.items():
            assert math.isfinite(value), f"{split} {name} = {value}"
            assert got["metrics"][split][name] == pytest.approx(
                value, rel=0, abs=TOLERANCE
            ), f"{split} {name}"
    for key in expected.keys() - {"metrics"}:
        assert got[key] == expected[key], key
