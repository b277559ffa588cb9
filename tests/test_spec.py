"""The spec: invalid documents fail with messages a person can act on, YAML is
read safely, a saved spec loads back equal, and a changed data file is noticed.
"""

from __future__ import annotations

import copy
import os

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from synthetic import (
    features_by_type,
    make_frame,
    model_dict,
    param_values,
    spec_dict,
    write_frame,
)

from playground_ui.cli import main
from runtime import spec as spec_module
from runtime.dataset import DataError, sha256_of
from runtime.defaults import default_spec
from runtime.executor import PrefixCache, Runner
from runtime.models import MODEL_TYPES, MODELS_BY_NAME
from runtime.spec import (
    SPEC_VERSION,
    Spec,
    SpecError,
    dump_spec,
    load_spec,
    parse_spec,
    save_spec,
    spec_to_dict,
)
from runtime.steps import STEP_TYPES

FRAME = make_frame(n_rows=30, task="binary")
BASE_STEPS = [
    {"type": "drop_duplicates"},
    {"type": "one_hot", "params": {"columns": ["cat_a"]}},
    {"type": "scale", "params": {"columns": ["num_a"]}},
]
STEP_NAMES = [s.name for s in STEP_TYPES]
MODEL_NAMES = [m.name for m in MODEL_TYPES]
BINARY_MODELS = [m.name for m in MODEL_TYPES if "binary" in m.tasks]
TOP_FIELDS = list(Spec.model_fields)


def base() -> dict:
    model = {"type": "logistic_regression", "params": {}}
    return spec_dict(FRAME, "binary", copy.deepcopy(BASE_STEPS), model=model)


def test_base_spec_is_valid():
    spec = parse_spec(base())
    assert spec.target == "target" and spec.task == "binary"
    # Declared defaults are filled in.
    assert spec.steps[0].params == {"columns": None, "keep": "first"}
    assert spec.steps[2].params == {"columns": ["num_a"], "method": "standard"}


def _set(path: str, value):
    """A change that sets a dotted path (list positions as numbers) to `value`."""

    def change(spec: dict) -> None:
        *parents, last = path.split(".")
        node = spec
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        node[int(last) if last.isdigit() else last] = value

    return change


def _drop(key: str):
    return lambda spec: spec.pop(key)


def _append_step(step: dict):
    return lambda spec: spec["steps"].append(step)


def _no_target(spec: dict) -> None:
    for column in spec["columns"]:
        column["role"] = "feature"


def _two_targets(spec: dict) -> None:
    spec["columns"][0]["role"] = "target"


# (id, change, fragments the message must contain: the field, the bad value and
# the allowed values where there is a list of them)
INVALID = [
    ("unknown-top-key", _set("colour", "red"), ["colour", "unknown field", *TOP_FIELDS]),
    (
        "unknown-nested-key",
        _set("split.shuffle", True),
        ["split.shuffle", "train", "validation", "test", "stratify"],
    ),
    (
        "unknown-step-key",
        _set("steps.0.param", {}),
        ["steps[1].param", "type", "params", "enabled"],
    ),
    ("wrong-type-seed", _set("seed", "abc"), ["seed", "'abc'", "integer"]),
    ("wrong-type-name", _set("name", ["x"]), ["name", "['x']", "string"]),
    (
        "wrong-type-step-param",
        _set("steps.2.params.columns", "num_a"),
        ["steps[3].params.columns", "'num_a'", "list"],
    ),
    (
        "wrong-type-model-param",
        _set("model.params.C", "big"),
        ["model.params.C", "'big'", "number"],
    ),
    ("bool-for-int", _set("model.params.max_iter", True), ["model.params.max_iter", "True"]),
    ("nan-for-float", _set("model.params.C", float("nan")), ["model.params.C", "nan", "finite"]),
    (
        "bad-choice-task",
        _set("task", "ranking"),
        ["task", "'ranking'", "'binary'", "'multiclass'", "'regression'", "'clustering'"],
    ),
    (
        "bad-choice-step-param",
        _set("steps.2.params.method", "zscore"),
        ["steps[3].params.method", "'zscore'", "'standard'", "'minmax'", "'robust'", "'maxabs'"],
    ),
    (
        "bad-choice-format",
        _set("dataset.format", "xml"),
        ["dataset.format", "'xml'", "'csv'", "'tsv'", "'parquet'", "'excel'", "'json'"],
    ),
    (
        "bad-choice-column-type",
        _set("columns.0.type", "float"),
        ["columns[1].type", "'float'", "'numeric'", "'categorical'", "'datetime'"],
    ),
    (
        "bad-choice-model-param",
        _set("model.params.class_weight", "even"),
        ["model.params.class_weight", "'even'", "'balanced'"],
    ),
    ("below-minimum", _set("model.params.C", 0.0), ["model.params.C", "0.0", "minimum 1e-06"]),
    (
        "above-maximum",
        _set("model.params.max_iter", 10**7),
        ["model.params.max_iter", "10000000", "maximum 100000"],
    ),
    (
        "step-param-below-minimum",
        _set("steps.1.params.max_categories", 1),
        ["steps[2].params.max_categories", "1", "minimum 2"],
    ),
    ("negative-seed", _set("seed", -1), ["seed", "-1", "greater than or equal to 0"]),
    (
        "split-fraction-out-of-range",
        _set("split.train", 1.2),
        ["split.train", "1.2", "less than 1"],
    ),
    (
        "unknown-step-type",
        _append_step({"type": "tsne"}),
        ["steps[4].type", "'tsne'", *STEP_NAMES],
    ),
    (
        "unknown-step-param",
        _set("steps.2.params.with_mean", False),
        ["steps[3].params", "'with_mean'", "columns", "method"],
    ),
    ("unknown-model", _set("model", {"type": "svm"}), ["model.type", "'svm'", *MODEL_NAMES]),
    (
        "unknown-model-param",
        _set("model.params.alpha", 1.0),
        ["model.params", "'alpha'", "C", "max_iter", "class_weight"],
    ),
    (
        "model-not-for-task",
        _set("model", {"type": "ridge"}),
        ["model.type", "'ridge'", "'binary'", *BINARY_MODELS],
    ),
    (
        "future-spec-version",
        _set("spec_version", SPEC_VERSION + 1),
        ["spec_version", str(SPEC_VERSION + 1), "newer", str(SPEC_VERSION)],
    ),
    ("zero-spec-version", _set("spec_version", 0), ["spec_version", "0", str(SPEC_VERSION)]),
    (
        "split-not-summing-to-one",
        _set("split", {"train": 0.6, "validation": 0.3, "test": 0.2}),
        ["split", "1.1", "add up to 1"],
    ),
    ("missing-target", _no_target, ["columns", "'binary'", "'target'", "found 0"]),
    ("two-targets", _two_targets, ["columns", "'target'", "found 2"]),
    ("missing-task-field", _drop("task"), ["task", "required"]),
    ("missing-model-field", _drop("model"), ["model", "required"]),
    (
        "cleaning-step-after-column-step",
        _append_step({"type": "drop_missing_target"}),
        ["steps[4]", "drop_missing_target", "before every column step"],
    ),
    (
        "read-option-not-allowed",
        _set("dataset.read_options", {"engine": "python"}),
        ["dataset.read_options", "'engine'", "csv", "sep", "encoding", "decimal", "thousands"],
    ),
    (
        "read-option-for-other-format",
        _set("dataset.read_options", {"sheet_name": 0}),
        ["dataset.read_options", "'sheet_name'", "sep", "encoding"],
    ),
    ("classes-missing", _set("classes", None), ["classes", "None", "at least 2"]),
    ("binary-with-three-classes", _set("classes", ["a", "b", "c"]), ["classes", "3", "2"]),
    ("duplicate-column", _set("columns.1.name", "num_a"), ["columns", "'num_a'", "more than once"]),
    (
        "column-listed-twice-in-step",
        _set("steps.2.params.columns", ["num_a", "num_a"]),
        ["steps[3].params.columns", "['num_a', 'num_a']", "twice"],
    ),
    (
        "bad-explore-view",
        _set("explore", [{"view": "pie"}]),
        ["explore[1].view", "'pie'", "'summary'", "'correlation'"],
    ),
]


@pytest.mark.parametrize("change, fragments", [pytest.param(c, f, id=i) for i, c, f in INVALID])
def test_invalid_spec_names_field_value_and_allowed(change, fragments):
    data = base()
    change(data)
    with pytest.raises(SpecError) as info:
        parse_spec(data)
    message = str(info.value)
    assert message.startswith("invalid spec")
    missing = [f for f in fragments if f not in message]
    assert not missing, f"{missing} not in message:\n{message}"
    # Plain words for a person, not a validation library's links.
    assert "pydantic" not in message and "http" not in message


def test_parse_spec_does_not_change_its_input():
    data = base()
    before = copy.deepcopy(data)
    parse_spec(data)
    assert data == before


@pytest.mark.parametrize(
    "data, fragment",
    [
        ([1, 2], "expected a mapping at the top, got list"),
        ("text", "got str"),
        (None, "the spec is empty"),
    ],
)
def test_spec_that_is_not_a_mapping(data, fragment):
    with pytest.raises(SpecError, match=fragment):
        parse_spec(data)


# -- loading YAML safely -----------------------------------------------------------

PYTHON_TAGS = [
    "!!python/object/apply:os.system ['touch {canary}']",
    "!!python/object/new:os.system ['touch {canary}']",
    "!!python/object/apply:subprocess.call [['touch', '{canary}']]",
    "!!python/name:os.system",
    "!!python/module:os",
    "!!python/object:runtime.spec.SplitSpec {{train: 0.5}}",
    "!python/object/apply:os.system ['touch {canary}']",
]


@pytest.mark.parametrize("where", ["name", "step-param", "top"])
@pytest.mark.parametrize("tag", PYTHON_TAGS)
def test_python_tags_fail_without_constructing_anything(tmp_path, monkeypatch, capsys, tag, where):
    canary = tmp_path / "CANARY"
    calls = []
    monkeypatch.setattr(os, "system", lambda *a: calls.append(a) or 0)
    value = tag.format(canary=canary)
    text = dump_spec(parse_spec(base()))
    if where == "name":
        text = text.replace("name: synthetic binary", f"name: {value}", 1)
    elif where == "step-param":
        text = text.replace("keep: first", f"keep: {value}", 1)
    else:
        text = f"--- {value}\n"
    assert value in text
    path = tmp_path / "spec.yaml"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(SpecError) as info:
        load_spec(path)
    assert "not valid YAML" in str(info.value)
    assert "python/" in str(info.value)
    assert not canary.exists() and calls == []

    # The CLI refuses it the same way: one line, exit status 2.
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and err.startswith("error: ") and "python/" in err
    assert not canary.exists() and calls == []


def test_canary_would_be_created_by_an_unsafe_loader(tmp_path):
    """The payload above is real: an unsafe loader runs it (so the test above means something)."""
    canary = tmp_path / "CANARY"
    yaml.unsafe_load(f"!!python/object/apply:os.system ['touch {canary}']")
    assert canary.exists()


@pytest.mark.parametrize(
    "content, fragment",
    [
        (b"name: [unclosed", "not valid YAML"),
        (b"\xff\xfe\x00binary", "not a UTF-8 text file"),
        (b"", "the spec is empty"),
        (b"- a\n- b\n", "expected a mapping"),
    ],
)
def test_unreadable_spec_files(tmp_path, content, fragment):
    path = tmp_path / "spec.yaml"
    path.write_bytes(content)
    with pytest.raises(SpecError, match=fragment):
        load_spec(path)


def test_missing_spec_file(tmp_path):
    with pytest.raises(SpecError, match="spec file not found"):
        load_spec(tmp_path / "nope.yaml")


# -- round trip ----------------------------------------------------------------------


def full_spec() -> dict:
    """Every step type, with values derived from its declaration; every field set."""
    features = features_by_type(FRAME)
    clean = [s for s in STEP_TYPES if s.stage == "clean"]
    other = [s for s in STEP_TYPES if s.stage != "clean"]
    steps = [{"type": s.name, "params": param_values(s.params, features)} for s in clean + other]
    steps[-1]["enabled"] = False
    return spec_dict(
        FRAME,
        "binary",
        steps,
        model={"type": "xgboost_classifier", "params": {"learning_rate": 0.05, "max_depth": 3}},
        explore=[{"view": "summary"}, {"view": "correlation", "columns": ["num_a", "num_b"]}],
        evaluation={"silhouette_sample_size": 1000},
        n_jobs=2,
    )


def test_dump_then_load_gives_an_equal_spec(tmp_path):
    spec = parse_spec(full_spec())
    path = tmp_path / "spec.yaml"
    save_spec(spec, path)
    loaded = load_spec(path)
    assert loaded == spec
    assert spec_to_dict(loaded) == spec_to_dict(spec)
    # Saving is deterministic, and a second round trip changes nothing.
    assert dump_spec(loaded) == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("model", MODEL_TYPES, ids=lambda m: m.name)
def test_round_trip_of_every_model_with_its_defaults(model):
    task = model.tasks[0]
    frame = FRAME.drop(columns="target") if task == "clustering" else FRAME
    spec = parse_spec(spec_dict(frame, task, model=model_dict(model, task)))
    assert spec.model.params == {p.name: p.default for p in MODELS_BY_NAME[model.name].params}
    assert parse_spec(yaml.safe_load(dump_spec(spec))) == spec


# Names YAML would otherwise read as something else: booleans, null, numbers, dates.
TRICKY = ["yes", "no", "on", "null", "~", "1e3", "0x10", "2024-01-01", "a: b", "#x", " x ", "'q'"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.text(min_size=1, max_size=20) | st.sampled_from(TRICKY),
    fill=st.text(max_size=20) | st.sampled_from(TRICKY),
    labels=st.lists(
        st.text(min_size=1, max_size=8) | st.sampled_from(TRICKY) | st.integers() | st.booleans(),
        min_size=2,
        max_size=2,
        unique_by=lambda v: (type(v), v),
    ),
    column=st.text(min_size=1, max_size=12) | st.sampled_from(TRICKY),
)
def test_round_trip_of_arbitrary_text(name, fill, labels, column):
    data = spec_dict(FRAME, "binary")
    data["name"] = name
    data["classes"] = labels
    data["columns"].append({"name": column, "type": "categorical", "role": "ignore"})
    data["steps"] = [
        {
            "type": "impute_categorical",
            "params": {"columns": ["cat_a"], "strategy": "constant", "fill_value": fill},
        }
    ]
    if column in {c["name"] for c in data["columns"][:-1]}:
        return
    spec = parse_spec(data)
    assert parse_spec(yaml.safe_load(dump_spec(spec))) == spec


def test_default_spec_round_trips(tmp_path):
    write_frame(make_frame(n_rows=60, task="multiclass", missing_target=True), tmp_path)
    spec = default_spec(tmp_path / "data.csv", "target", tmp_path)
    save_spec(spec, tmp_path / "spec.yaml")
    assert load_spec(tmp_path / "spec.yaml") == spec


# -- the data file behind a spec ---------------------------------------------------


def test_changed_dataset_gives_a_clear_data_error(tmp_path):
    path = write_frame(make_frame(n_rows=60, task="binary"), tmp_path)
    data = spec_dict(make_frame(n_rows=60, task="binary"), "binary", [{"type": "drop_duplicates"}])
    data["dataset"]["sha256"] = sha256_of(path)
    spec = parse_spec(data)
    runner = Runner(spec, tmp_path, cache=PrefixCache())
    assert runner.data_sha256() == spec.dataset.sha256

    with path.open("a", encoding="utf-8") as handle:
        handle.write("1.0,1.0,1.0,red,north,2023-01-01 00:00:00,yes\n")
    new_sha = sha256_of(path)
    for action in (runner.run, lambda: Runner(spec, tmp_path, cache=PrefixCache()).preview(1)):
        with pytest.raises(DataError) as info:
            action()
        message = str(info.value)
        assert "data.csv" in message and "changed" in message
        assert new_sha[:12] in message and spec.dataset.sha256[:12] in message
        assert "dataset.sha256" in message  # says how to accept the change


def test_missing_dataset_gives_a_clear_data_error(tmp_path):
    spec = parse_spec(spec_dict(FRAME, "binary"))
    with pytest.raises(DataError, match="dataset not found: data.csv"):
        Runner(spec, tmp_path, cache=PrefixCache()).run()


def test_spec_columns_missing_from_the_data(tmp_path):
    write_frame(FRAME.drop(columns="cat_b"), tmp_path)
    spec = parse_spec(spec_dict(FRAME, "binary", [{"type": "drop_duplicates"}]))
    with pytest.raises(DataError, match=r"columns \['cat_b'\] of the spec are not in data.csv"):
        Runner(spec, tmp_path, cache=PrefixCache()).preview(1)


# -- clustering: labels kept aside ------------------------------------------------

CLUSTER_FRAME = FRAME.drop(columns="target")


def clusters_with_labels(role: str, label_column: str = "cat_b") -> dict:
    spec = spec_dict(CLUSTER_FRAME, "clustering", evaluation={"label_column": label_column})
    for column in spec["columns"]:
        if column["name"] == "cat_b":
            column["role"] = role
    return spec


def test_label_column_kept_aside_is_not_a_feature():
    spec = parse_spec(clusters_with_labels("ignore"))
    assert spec.evaluation.label_column == "cat_b"
    assert "cat_b" not in spec.features


@pytest.mark.parametrize(
    "spec, fragments",
    [
        pytest.param(
            clusters_with_labels("feature"),
            ["evaluation.label_column", "'cat_b'", "is a feature", "role to 'ignore'"],
            id="a-feature",
        ),
        pytest.param(
            clusters_with_labels("ignore", "cultivar"),
            ["evaluation.label_column", "'cultivar'", "not a column", "num_a", "cat_b"],
            id="not-a-column",
        ),
        pytest.param(
            dict(base(), evaluation={"label_column": "cat_b"}),
            ["evaluation.label_column", "only clustering", "binary", "target"],
            id="not-clustering",
        ),
    ],
)
def test_invalid_label_column_says_what_to_do(spec, fragments):
    with pytest.raises(SpecError) as info:
        parse_spec(spec)
    message = str(info.value)
    missing = [f for f in fragments if f not in message]
    assert not missing, f"{missing} not in message:\n{message}"


def test_version_1_ratio_step_loads_as_arithmetic(tmp_path):
    old = base()
    old["spec_version"] = 1
    named = {"numerator": "num_a", "denominator": "num_b", "output": "shape"}
    unnamed = {"numerator": "num_b", "denominator": "num_a"}
    old["steps"][1:1] = [{"type": "ratio", "params": named}, {"type": "ratio", "params": unnamed}]
    spec = parse_spec(old)
    assert spec.spec_version == SPEC_VERSION
    assert [s.type for s in spec.steps[1:3]] == ["arithmetic", "arithmetic"]
    assert spec.steps[1].params == {
        "left": "num_a",
        "right": "num_b",
        "operation": "ratio",
        "output": "shape",
    }
    # The version 1 default name is kept, so later steps still find the column.
    assert spec.steps[2].params["output"] == "num_b_per_num_a"
    path = write_frame(FRAME, tmp_path)
    spec = parse_spec({**old, "dataset": {**old["dataset"], "path": str(path)}})
    after = Runner(spec, cache=PrefixCache()).data_after(3)
    expected = FRAME["num_b"] / FRAME["num_a"].replace(0, float("nan"))
    assert after["num_b_per_num_a"].tolist() == pytest.approx(
        expected.loc[after.index].tolist(), nan_ok=True
    )
    assert "ratio" not in {s.name for s in STEP_TYPES}


# -- the C dumper writes what the pure dumper writes ---------------------------------

# One-line names of every kind the fast path takes, and text it leaves to the pure dumper:
# NEL, line and paragraph separators, astral characters, control characters, new lines.
VARIED_TEXT = [
    *TRICKY,
    "prix €, taille ø",
    "列 名",
    "Größe (m²)",
    "x" * 250,
    "word " * 60,
    "a" + "\u2003" * 3 + "b",
    "trailing ",
    "- dash",
    "? what",
    ".nan",
    "a\x85b",
    "line\u2028sep",
    "para\u2029sep",
    "emoji 😀",
    "bell\x07",
    "\ufeffbom",
    "two\nlines",
    "tab\there",
    ('long "quoted" text with a tab\t ' * 8),
]


def _pure_dump(spec: Spec) -> str:
    return yaml.dump(
        spec_to_dict(spec),
        Dumper=spec_module._SpecDumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
    )


def _spec_naming(text: str, fill: str, threshold: float) -> Spec:
    data = spec_dict(FRAME, "binary")
    data["name"] = text
    data["columns"].append({"name": text, "type": "categorical", "role": "ignore"})
    data["steps"] = [
        {
            "type": "impute_categorical",
            "params": {"columns": ["cat_a"], "strategy": "constant", "fill_value": fill},
        },
        {"type": "clip", "params": {"columns": ["num_a"], "lower": threshold, "upper": None}},
    ]
    return parse_spec(data)


@pytest.mark.parametrize("text", VARIED_TEXT)
@pytest.mark.parametrize("threshold", [0.1, -1e-300, 1.7976931348623157e308, 12345678.5])
def test_dump_spec_is_the_pure_dumpers_text(text, threshold):
    spec = _spec_naming(text, text, threshold)
    assert dump_spec(spec) == _pure_dump(spec)
    assert parse_spec(yaml.safe_load(dump_spec(spec))) == spec


def test_full_spec_takes_the_fast_path_and_writes_the_same_text():
    spec = parse_spec(full_spec())
    if spec_module._CSpecDumper is None:
        pytest.skip("PyYAML without libyaml: only the pure dumper exists")
    assert spec_module._libyaml_writes_same(spec_to_dict(spec))
    assert dump_spec(spec) == _pure_dump(spec)


@pytest.mark.skipif(not yaml.__with_libyaml__, reason="PyYAML without libyaml")
@settings(max_examples=300, deadline=None)
@given(
    text=st.text(max_size=300),
    number=st.floats(allow_nan=True, allow_infinity=True) | st.integers(),
)
# Keys near 128 long: libyaml counts bytes where the pure dumper counts characters.
@example(text="k" * 122, number=0)
@example(text="k" * 123, number=0)
@example(text="k" * 128, number=0)
@example(text="\xa0" * 64, number=0)
@example(text="\xa0" * 65, number=0)
@example(text="\u0800" * 43, number=0)
@example(text="0" + "\xa0" * 40 + "\u0800" * 20 + "\u1265", number=0.0)
def test_libyaml_writes_the_same_text_where_the_fast_path_uses_it(text, number):
    # Documents shaped like a spec; where the check admits them, the C and pure
    # dumpers must write the same bytes.
    document = {"name": text, "items": [text, {"value": number, "list": [text]}], "n": number}
    if text:
        document[text] = [number]
    if not spec_module._libyaml_writes_same(document):
        return
    options = {"sort_keys": False, "allow_unicode": True, "width": 100}
    fast = yaml.dump(document, Dumper=spec_module._CSpecDumper, **options)
    assert fast == yaml.dump(document, Dumper=spec_module._SpecDumper, **options)


def test_long_keys_go_to_the_pure_dumper():
    assert spec_module._libyaml_writes_same({"k" * 122: 1})
    assert not spec_module._libyaml_writes_same({"k" * 123: 1})
    # 43 characters, 129 bytes in UTF-8.
    assert not spec_module._libyaml_writes_same({"\u0800" * 43: 1})


def test_without_libyaml_the_pure_dumper_writes(monkeypatch):
    spec = _spec_naming("prix €", "x", 0.5)
    monkeypatch.setattr(spec_module, "_CSpecDumper", None)
    assert dump_spec(spec) == _pure_dump(spec)
