"""Rendered sources are compiled once per process; every load still builds its own modules.

The runtime executes preprocessing.py and train.py as rendered for a spec. Compiling
them is the part it may reuse (the same text compiles to the same code); the modules
executed from that code must stay independent, so one run never sees another's state.
"""

from __future__ import annotations

import pytest
from synthetic import make_frame, spec_dict

from generator import render
from runtime.executor import compiled, load_modules
from runtime.spec import parse_spec

STEPS = [
    {"type": "impute_numeric", "params": {"columns": ["num_a", "num_b"]}},
    {"type": "scale", "params": {"columns": ["num_a", "num_b"], "method": "standard"}},
]


def sources(steps: list[dict]) -> tuple[str, str]:
    """preprocessing.py and train.py freshly rendered for a spec with `steps`: new
    string objects on every call, as every Runner renders its own."""
    df = make_frame(n_rows=50, task="binary", seed=5)
    spec = parse_spec(spec_dict(df, "binary", steps=steps))
    return (
        render.render_preprocessing(spec, formatted=False),
        render.render_train(spec, "data.csv", formatted=False),
    )


def test_the_same_source_gives_the_same_code_object():
    first, again = sources(STEPS), sources(STEPS)
    assert first[0] == again[0] and first[0] is not again[0]
    code = compiled(first[0], "preprocessing.py")
    assert compiled(again[0], "preprocessing.py") is code
    assert code.co_filename == "preprocessing.py"


def test_modules_loaded_from_one_source_are_independent():
    prep_a, train_a = load_modules(*sources(STEPS))
    prep_b, train_b = load_modules(*sources(STEPS))
    # Compiled once: the functions of both loads run the same code object...
    assert prep_a.build_preprocessing.__code__ is prep_b.build_preprocessing.__code__
    assert train_a.train.__code__ is train_b.train.__code__
    # ...but each load is its own module, with its own functions and globals.
    assert prep_a is not prep_b and train_a is not train_b
    assert prep_a.build_preprocessing is not prep_b.build_preprocessing
    assert prep_a.build_preprocessing.__globals__ is prep_a.__dict__
    assert prep_b.build_preprocessing.__globals__ is prep_b.__dict__
    prep_a.FEATURES.append("changed in one module only")
    assert "changed in one module only" not in prep_b.FEATURES
    prep_a.TARGET = "other"
    assert prep_b.TARGET == "target"
    # And each pipeline built is a new object.
    assert prep_a.build_preprocessing() is not prep_b.build_preprocessing()


def test_a_changed_source_is_compiled_again():
    before, _ = sources(STEPS)
    after, _ = sources(
        [STEPS[0], {**STEPS[1], "params": {**STEPS[1]["params"], "method": "minmax"}}]
    )
    assert before != after
    assert compiled(after, "preprocessing.py") is not compiled(before, "preprocessing.py")
    old, _ = load_modules(before)
    new, _ = load_modules(after)
    assert "StandardScaler" in repr(old.build_preprocessing())
    assert "MinMaxScaler" in repr(new.build_preprocessing())


def test_the_file_name_is_part_of_the_key():
    source, _ = sources(STEPS)
    # Tracebacks name the file the code was loaded as.
    assert compiled(source, "plots.py") is not compiled(source, "preprocessing.py")
    assert compiled(source, "plots.py").co_filename == "plots.py"


def test_a_source_that_does_not_compile_fails_every_time():
    for _ in range(2):
        with pytest.raises(SyntaxError):
            load_modules("def broken(:\n")
