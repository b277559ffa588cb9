"""runtime/safe_yaml.py: YAML read with libyaml's parser where PyYAML has it, and the
same values, refusals and messages as PyYAML's pure safe loader."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from runtime import safe_yaml
from runtime import spec as spec_module
from runtime.spec import SpecError, dump_spec, load_spec, loads_spec

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.yaml"))
OPTIONS = {"sort_keys": False, "allow_unicode": True, "width": 100}
# Line breaks PyYAML knows beyond \n, a byte-order mark, quotes, YAML's indicators, an
# astral character: what a column name or category could hold.
ODD = list("ab :-\n\t'\"#[]{},!&*?|>%@`\\0.1e\r") + ["\x85", "\u2028", "\u2029", "\ufeff", "😀"]


def pure(text: str):
    return yaml.load(text, Loader=yaml.SafeLoader)


needs_libyaml = pytest.mark.skipif(
    safe_yaml._FAST_LOADER is None, reason="PyYAML without libyaml: the pure loader reads"
)


@needs_libyaml
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_the_example_specs_read_the_same(path):
    text = path.read_text(encoding="utf-8")
    assert safe_yaml.load(text) == pure(text)
    assert load_spec(path) == spec_module.parse_spec(pure(text))


@needs_libyaml
@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    text=st.text(max_size=200) | st.text(alphabet=st.sampled_from(ODD), max_size=40),
    number=st.floats(allow_nan=False) | st.integers(),
)
@example(text="a\x85b", number=0)
@example(text="\u2028\ufeffbe", number=0)
def test_what_the_spec_dumpers_write_reads_the_same(text, number):
    # Documents shaped like a spec, written as dump_spec writes them (the pure dumper,
    # and the C one where dump_spec uses it): both loaders give the same values.
    document = {"name": text, "items": [text, {"value": number, "list": [text]}], "n": number}
    if text:
        document[text] = [number]
    dumpers = [spec_module._SpecDumper]
    if spec_module._libyaml_writes_same(document):
        dumpers.append(spec_module._CSpecDumper)
    for dumper in dumpers:
        written = yaml.dump(document, Dumper=dumper, **OPTIONS)
        assert safe_yaml.load(written) == pure(written) == document


def test_a_spec_round_trips():
    spec = load_spec(EXAMPLES[0])
    assert loads_spec(dump_spec(spec)) == spec


def test_tags_that_build_objects_are_refused_and_never_run(tmp_path):
    canary = tmp_path / "CANARY"
    payload = f"!!python/object/apply:os.system ['touch {canary}']"
    with pytest.raises(yaml.constructor.ConstructorError, match="python/object/apply"):
        safe_yaml.load(payload)
    with pytest.raises(SpecError, match="tags that build objects are not allowed"):
        loads_spec(f"name: {payload}\n")
    assert not canary.exists()


@pytest.mark.parametrize(
    "text", ["a: [1,\n b", "a: b: c", "- a\nb: c", "a: 'unclosed", "a: 1\na: [", "x: '\ud800'"]
)
def test_unreadable_text_gets_the_pure_loaders_error(text):
    with pytest.raises(yaml.YAMLError) as expected:
        pure(text)
    with pytest.raises(yaml.YAMLError) as got:
        safe_yaml.load(text)
    assert type(got.value) is type(expected.value) and str(got.value) == str(expected.value)


def test_without_libyaml_the_pure_loader_reads(monkeypatch):
    used = []
    real = yaml.load

    def load(text, Loader):
        used.append(Loader)
        return real(text, Loader=Loader)

    monkeypatch.setattr(safe_yaml, "_FAST_LOADER", None)
    monkeypatch.setattr(yaml, "load", load)
    assert safe_yaml.load("a: [1, 2]\n") == {"a": [1, 2]}
    assert used == [yaml.SafeLoader]
