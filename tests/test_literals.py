"""The one escaping filter: values become literals that evaluate back to themselves."""

import ast
import math

import numpy as np
import pytest

from generator.literals import markdown_text, py_literal


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        0,
        -3,
        2.5,
        1e-300,
        "plain",
        "quote ' and \" and ''' and \"\"\"",
        "back\\slash\\",
        "new\nline\r\u2028",
        "{{ jinja }} {% raw %} {0} f'{x}'",
        "__import__('os').system('touch CANARY')",
        "名前 é 🙂",
        ["a", 1, None, [2.0]],
        ("one",),
        (1, "two"),
        {"key": ["value"], "n": 1},
    ],
)
def test_literal_evaluates_back_to_the_value(value):
    source = py_literal(value)
    assert ast.literal_eval(source) == value
    assert "\n" not in source and "\r" not in source


def test_special_floats_and_numpy_scalars():
    assert math.isnan(eval(py_literal(float("nan"))))
    assert eval(py_literal(float("inf"))) == math.inf
    assert eval(py_literal(-math.inf)) == -math.inf
    assert py_literal(np.int64(7)) == "7"
    assert py_literal(np.float64(0.5)) == "0.5"
    assert py_literal(np.bool_(True)) == "True"


@pytest.mark.parametrize("value", [object(), {1, 2}, b"bytes", len])
def test_anything_but_plain_data_is_refused(value):
    with pytest.raises(TypeError, match="cannot render"):
        py_literal(value)


def test_markdown_text_is_one_line_without_markup():
    assert markdown_text("penguins") == "penguins"
    assert markdown_text("a\nb\r\n# c") == "a b # c"
    assert markdown_text("x_y*`z`<b>") == "x\\_y\\*\\`z\\`\\<b\\>"
