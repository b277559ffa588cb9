"""Shared checks: reports of exported code against the runtime's, CLI user errors."""

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


def assert_user_error(code: int, out: str, err: str, *fragments: str) -> str:
    """Exit 2, nothing on stdout, one `error:` line on stderr holding every fragment."""
    assert code == 2
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got:\n{err}"
    assert lines[0].startswith("error: ")
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"
    return lines[0]
