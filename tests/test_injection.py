"""Adversarial user text reaches the generated code only as Python literals.

Column names, category values, class labels, the data file name, the project
name, read options and free-text step parameters (arithmetic's `output`,
impute_categorical's `fill_value`) are fuzzed with hypothesis, mixing arbitrary
unicode with payloads aimed at every layer a value passes through: Python
source (quotes, backslashes, line breaks, code), Jinja (`{{ }}`, `{% %}` and
template-injection payloads), str.format, f-strings, the notebook's percent
cell markers, shells, Markdown, black/ruff pragmas, keywords and dunders.
Payloads that would do something when executed touch an absolute canary file
(or a relative one); no canary may ever exist.

- test_user_text_is_only_ever_a_literal (10,000 examples, render only; 3,000 in
  make test, the full count with PLAYGROUND_FULL_FUZZ=1): for a
  spec made of adversarial text, every generated source (preprocessing.py,
  train.py, the notebook's percent source, predict.py, app/main.py,
  tests/test_bundle.py) is, byte for byte, the source rendered for the same
  spec made of placeholder names, except that each placeholder literal became
  a one-line literal evaluating to the adversarial value (and a Markdown title
  the one-line `md` text of it). The placeholder renderings compile, so the
  adversarial ones do; each example also compiles one of its sources for real.
  Spec shapes come from 150 seeded layouts (their placeholder renderings are
  made once); hypothesis draws the layout and the text.
- test_formatted_code_is_black_clean (30 examples, hypothesis-drawn shapes):
  the same check with every source compiled, and black leaves the formatted
  preprocessing.py and train.py unchanged.
- test_adversarial_project_builds_runs_and_exports (slow, 25 examples, 10 in make
  test, real
  data): a CSV or Parquet file with adversarial names and values goes through
  default_spec, the runtime run, render_bundle and write_bundle; every .py file
  and notebook code cell parses and is black-clean, the bundle is ruff-clean,
  train.py runs in a subprocess in the bundle (about one example in four), the
  values round-trip through the literals, spec.yaml, manifest.json and README.
"""

from __future__ import annotations

import ast
import functools
import json
import math
import os
import random
import re
import shlex
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import black
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, note, reject, settings
from hypothesis import strategies as st
from synthetic import model_dict

from generator import bundle, render
from generator.literals import markdown_text
from generator.notebook import _cells
from runtime.defaults import default_spec
from runtime.executor import Runner
from runtime.models import models_for_task
from runtime.params import Param
from runtime.spec import Spec, SpecError, load_spec, parse_spec, spec_to_dict
from runtime.steps import STAGES, STEP_TYPES, STEPS_BY_NAME

RUFF = Path(sys.executable).parent / "ruff"
BLACK_MODE = black.Mode(line_length=88)

# Payloads write here when executed: an absolute path, and a relative name
# (created in whatever directory the code runs in).
CANARY = Path(tempfile.gettempdir()) / "ai-playground-injection-canary" / "CANARY"
REL_CANARY = "CANARY_rel"

_PAYLOADS = [
    # Python: break out of a literal, or be code.
    "__import__('os').system('touch @C@')",
    "\"); open('@C@', 'w')#",
    "'); open('@C@', 'w')#",
    "''' + open('@C@', 'w').name + '''",
    '""" + open(\'@C@\', \'w\').name + """',
    "\\'); open('@C@', 'w')#",
    "\n__import__('os').system('touch @C@')\n",
    "\r\nimport os; os.system('touch @C@')  #",
    "', open('@C@', 'w'), '",
    "eval(\"open('@C@', 'w')\")",
    # Jinja: expressions, statements and template injection.
    "{{ cycler.__init__.__globals__.os.system('touch @C@') }}",
    "{{ lipsum.__globals__['os'].popen('touch @C@').read() }}",
    "{% for c in ().__class__.__base__.__subclasses__() %}{% endfor %}",
    "{{ 7*7 }}",
    "{% raw %}",
    "{% endraw %}",
    "{#",
    "#}",
    "{{",
    "}}",
    "{%- if true -%}",
    # str.format and f-strings.
    "{0}",
    "{}",
    "{x!r}",
    "{spec.name}",
    'f"{x}"',
    'f\'{__import__("os").system("touch @C@")}\'',
    # Escapes and quotes.
    "\\",
    "\\\\",
    "\\n",
    "\\x00",
    "\\N{BULLET}",
    "\\u2028",
    "'",
    '"',
    "'''",
    '"""',
    "`",
    "```",
    # Line breaks (all of str.splitlines), controls and odd unicode.
    "\n",
    "\r",
    "\r\n",
    "\t",
    "\x0b",
    "\x0c",
    "\x1c",
    "\x1d",
    "\x1e",
    "\x85",
    "\u2028",
    "\u2029",
    "\x1b[31m",
    "\x7f",
    "\ufeff",
    "\u200b",
    "\u202e",
    "\u00a0",
    "é",
    "e\u0301",
    "名前",
    "😀",
    "👩\u200d👩\u200d👧",
    "𝔘",
    "ﬁ",
    # Python keywords, builtins, dunders and the generated code's own names.
    "class",
    "import",
    "None",
    "True",
    "lambda",
    "await",
    "match",
    "_",
    "__class__",
    "__builtins__",
    "__import__",
    "__init__",
    "__index_level_0__",
    "df",
    "pd",
    "TARGET",
    "FEATURES",
    "CLASSES",
    # Comments, pragmas and the notebook's cell markers.
    "#",
    "# %%",
    "# %% [markdown]",
    "\n# %%\nopen('@C@', 'w')\n",
    "# noqa",
    "# fmt: off",
    "# type: ignore",
    # Shell, markdown and HTML.
    "$(touch @R@)",
    "`touch @R@`",
    "; touch @R@",
    "&& touch @R@ &&",
    "${IFS}",
    "~",
    "-rf",
    "--out",
    "<script>alert(1)</script>",
    "](javascript:alert(1))",
    "|",
    "*",
    ",",
    ";",
    "..",
    # Values that parsers like to reinterpret.
    " ",
    "0",
    "-1.5e3",
    "nan",
    "inf",
    "NA",
    "null",
]
PAYLOADS = [p.replace("@C@", str(CANARY)).replace("@R@", REL_CANARY) for p in _PAYLOADS]

# Any character but NUL and lone surrogates (which no text file can hold).
_chars = st.characters(exclude_categories=("Cs",), exclude_characters="\x00")
_atom = st.one_of(st.sampled_from(PAYLOADS), st.text(_chars, min_size=1, max_size=6))
user_text = st.lists(_atom, min_size=1, max_size=3).map("".join)


def canaries(*dirs: Path) -> list[Path]:
    """Canary files that exist (there must be none)."""
    candidates = [CANARY, Path.cwd() / REL_CANARY, *(d / REL_CANARY for d in dirs)]
    return [path for path in candidates if path.exists()]


@pytest.fixture(scope="module", autouse=True)
def canary_dir():
    CANARY.parent.mkdir(parents=True, exist_ok=True)
    assert not canaries(), "a canary exists before the tests ran"
    yield CANARY.parent
    assert not canaries()


# -- spec shapes: a valid spec whose user text is numbered slots ----------------------


@dataclass(frozen=True)
class T:
    """A slot for user text in a spec's shape: the i-th text."""

    i: int


@dataclass(frozen=True)
class Slot:
    """What a slot accepts: texts of one group are distinct (column names, classes);
    a file name has no "/" and ends in `suffix`."""

    group: str | None = None
    suffix: str = ""


def materialize(shape: Any, texts: list[str]) -> Any:
    """The shape with every slot replaced by its text."""
    if isinstance(shape, T):
        return texts[shape.i]
    if isinstance(shape, dict):
        return {k: materialize(v, texts) for k, v in shape.items()}
    if isinstance(shape, list):
        return [materialize(v, texts) for v in shape]
    return shape


PLACEHOLDER = re.compile(r"Zq(\d+)qZ")


def placeholders(texts: list) -> list[str]:
    """Tame stand-ins for the texts: nothing to escape, nothing to collide."""
    return [f"Zq{i}qZ" for i in range(len(texts))]


class Chooser:
    """The structural choices of a shape: drawn by hypothesis, or from a seeded Random."""

    def __init__(self, draw=None, rng: random.Random | None = None):
        self.draw, self.rng = draw, rng

    def pick(self, options: list) -> Any:
        if self.draw:
            return self.draw(st.sampled_from(options))
        return self.rng.choice(options)

    def flag(self) -> bool:
        return self.pick([False, True])

    def integer(self, low: int, high: int) -> int:
        if self.draw:
            return self.draw(st.integers(low, high))
        return self.rng.randint(low, high)

    def subset(self, items: list, at_least: int = 1) -> list:
        """Some of the items, in their order."""
        if not items:
            return []
        if self.draw:
            indexes = self.draw(
                st.lists(st.sampled_from(range(len(items))), min_size=at_least, unique=True)
            )
        else:
            indexes = self.rng.sample(range(len(items)), self.rng.randint(at_least, len(items)))
        return [items[i] for i in sorted(indexes)]


def catalog_steps(c: Chooser, slot, columns: list[dict], has_target: bool) -> list[dict]:
    """Some steps of the catalog, in stage order, their parameters drawn from their
    declarations: user text for every free-text parameter, column names for column
    parameters (of the declared kind, when there is one)."""
    by_kind: dict[str, list] = {"any": [col["name"] for col in columns]}
    for col in columns:
        by_kind.setdefault(col["type"], []).append(col["name"])
    by_kind["categorical"] = by_kind.get("categorical", []) + by_kind.get("boolean", [])

    def value(param: Param) -> Any:
        """A value for the parameter; None when the spec has no column it can take."""
        if param.kind in ("column", "columns"):
            names = by_kind.get(param.column_kind, [])
            if not names:
                return None
            return c.pick(names) if param.kind == "column" else c.subset(names)
        if param.kind == "bool":
            return c.flag()
        if param.kind == "choice":
            return c.pick(list(param.choices))
        if param.kind == "choices":
            return c.subset(list(param.choices))
        if param.kind in ("int", "float"):
            low = -math.inf if param.minimum is None else param.minimum
            high = math.inf if param.maximum is None else param.maximum
            numbers = [param.default, param.minimum, param.maximum, 2, 3]
            cast = int if param.kind == "int" else float
            return cast(c.pick([n for n in numbers if n is not None and low <= n <= high]))
        if param.kind == "numbers":
            return [-1.5, 0.0, 10.0]
        if param.kind in ("str", "value"):
            kinds = ["text", "text", "text", "empty"] + ["none"] * param.nullable
            kinds += ["number", "flag"] * (param.kind == "value")
            kind = c.pick(kinds)
            fixed = {"empty": "", "none": None, "number": -1.5, "flag": True}
            return slot() if kind == "text" else fixed[kind]
        raise AssertionError(f"{param.name}: teach test_injection the parameter kind {param.kind}")

    steps = []
    for decl in sorted(STEP_TYPES, key=lambda d: STAGES.index(d.stage)):
        if decl.name == "drop_missing_target" and not has_target:
            continue
        if not c.pick([False, False, False, True]):
            continue
        params = {}
        for param in decl.params:
            params[param.name] = value(param)
            if (
                params[param.name] is None
                and param.kind.startswith("column")
                and not param.nullable
            ):
                break
        else:
            steps.append(
                {"type": decl.name, "params": params, "enabled": c.pick([True] * 3 + [False])}
            )
    return steps


def fitting_models(task: str, split_kind: str) -> list:
    """The task's models a spec may pick with this split (stacking needs random folds)."""
    return [
        m
        for m in models_for_task(task)
        if not (m.ensemble and m.ensemble.kind == "stacking" and split_kind != "random")
    ]


def build_shape(c: Chooser) -> tuple[dict, list[Slot]]:
    """{"spec": a spec, "schema": an API input schema}, with T slots for user text."""
    slots: list[Slot] = []

    def slot(group: str | None = None, suffix: str = "") -> T:
        slots.append(Slot(group, suffix))
        return T(len(slots) - 1)

    task = c.pick(["binary", "multiclass", "regression", "clustering"])
    counts = {"numeric": c.integer(2, 3), "categorical": c.integer(1, 2)}
    counts.update(datetime=c.integer(0, 2), boolean=c.integer(0, 1), text=c.integer(0, 1))
    has_target = task != "clustering"
    columns = []
    if has_target:
        kind = "numeric" if task == "regression" else "categorical"
        columns.append({"name": slot("columns"), "type": kind, "role": "target"})
    for kind, count in counts.items():
        role = "ignore" if kind == "text" else "feature"
        columns += [{"name": slot("columns"), "type": kind, "role": role} for _ in range(count)]
    target = columns[0]["name"] if has_target else None
    of_type = {
        kind: [col["name"] for col in columns[has_target:] if col["type"] == kind]
        for kind in counts
    }
    nums, cats, dates = of_type["numeric"], of_type["categorical"], of_type["datetime"]
    features = [col["name"] for col in columns if col["role"] == "feature"]

    classes: list | None = None
    if task in ("binary", "multiclass"):
        k = 2 if task == "binary" else c.integer(3, 4)
        kind = c.pick(["text", "text", "int", "bool"])
        if kind == "bool" and k == 2:
            classes = [False, True]
        elif kind == "int":
            classes = c.subset(list(range(-3, 12)), k)[:k]
        else:
            classes = [slot("classes") for _ in range(k)]
            if c.flag():
                classes[-1] = ""  # an empty label is a label too

    fmt = c.pick(["csv", "tsv", "parquet", "excel", "json"])
    suffix = {"csv": ".csv", "tsv": ".tsv", "parquet": ".parquet", "excel": ".xlsx"}
    options: dict[str, Any] = {}
    if fmt in ("csv", "tsv"):
        allowed = ["encoding", "decimal", "thousands"] + (["sep"] if fmt == "csv" else [])
        options = {name: slot() for name in c.subset(allowed, 0)}
    elif fmt == "excel":
        options["sheet_name"] = c.pick([0, 2, slot()])
    elif fmt == "json":
        options["lines"] = c.flag()
    dataset = {"path": slot(suffix=suffix.get(fmt, ".json")), "format": fmt}
    dataset["read_options"] = options

    explore: list[dict] = [{"view": "summary"}, {"view": "missing"}]
    if target:
        explore.append({"view": "target_balance", "columns": [target]})
    explore += [
        {"view": "correlation", "columns": nums},
        {"view": "distribution", "columns": c.subset(features)},
        {"view": "scatter", "columns": nums[:2]},
        {"view": "box", "columns": [nums[0], *c.subset(cats, 0)[:1]]},
    ]

    steps = catalog_steps(c, slot, columns, has_target)

    split: dict[str, Any] = c.pick(
        [
            {"train": 0.6, "validation": 0.2, "test": 0.2},
            {"train": 0.7, "validation": 0.0, "test": 0.3, "stratify": False},
        ]
    )
    split["kind"] = c.pick(["random", "time", "group"])
    if split["kind"] == "time":
        split["time_column"] = c.pick(dates + nums)
    elif split["kind"] == "group":
        split["group_column"] = c.pick(cats + of_type["text"] + nums)

    spec = {
        "spec_version": 2,
        "name": slot(),
        "task": task,
        "seed": c.pick([0, 42, 2**32 - 1]),
        "dataset": dataset,
        "columns": columns,
        "classes": classes,
        "explore": c.subset(explore, 0),
        "steps": steps,
        "split": split,
        "model": model_dict(c.pick(fitting_models(task, split["kind"])), task),
        "evaluation": {"cv_folds": c.pick([None, 3])},
    }
    # The API's input schema: one entry per feature; categories are user text too.
    schema = []
    for i, column in enumerate(col for col in columns if col["role"] == "feature"):
        kind = column["type"]
        entry: dict[str, Any] = {"name": column["name"], "type": kind, "nullable": c.flag()}
        entry["dtype"] = {"numeric": "float64", "boolean": "bool"}.get(kind, "str")
        if kind == "numeric":
            entry.update(minimum=-1.5, maximum=c.pick([0, 7, 10**6]))
        elif kind == "boolean":
            entry["categories"] = [False, True]
        elif kind == "categorical":
            entry["categories"] = [slot(f"levels{i}") for _ in range(c.integer(1, 3))]
        schema.append(entry)

    # Steps whose drawn parameters the spec refuses (beyond their declaration) go.
    benign = placeholders(slots)
    while True:
        try:
            parse_spec(materialize(spec, benign))
            break
        except SpecError as exc:
            refused = re.search(r"steps\[(\d+)\]", str(exc))
            if not refused:
                raise
            del steps[int(refused[1]) - 1]
    return {"spec": spec, "schema": schema}, slots


def file_name(text: str, suffix: str) -> str:
    return text.replace("/", "_") + suffix


@st.composite
def adversarial_shapes(draw) -> tuple[dict, list[str]]:
    """A shape drawn by hypothesis, its slots filled with hypothesis' user_text."""
    shape, slots = build_shape(Chooser(draw=draw))
    texts: list[str | None] = [None] * len(slots)
    groups: dict[str | None, list[int]] = {}
    for i, slot in enumerate(slots):
        groups.setdefault(slot.group, []).append(i)
    for group, members in groups.items():
        if group is None:
            values = [draw(user_text) for _ in members]
        else:
            n = len(members)
            values = draw(st.lists(user_text, min_size=n, max_size=n, unique=True))
        for i, value in zip(members, values, strict=True):
            texts[i] = file_name(value, slots[i].suffix) if slots[i].suffix else value
    return shape, texts


# Characters that matter to some layer, for the cheap filler below.
_SPECIAL = (
    "'\"\\\n\r\t\x0b\x0c\x1c\x1d\x1e\x1f\x85\x7f\u2028\u2029\ufeff\u200b\u202e\u00a0"
    "{}%#$`;|,<>[]()=:.*/~ -_é名😀"
)


def fill_from_noise(slots: list[Slot], pool: str, noise: bytes) -> list[str]:
    """Texts for the slots, cheaply: each is 1 to 3 pieces, a piece being a payload,
    a run of `pool` (hypothesis text, any character) or a special character, chosen
    by the bytes of `noise` (zero bytes, as shrinking makes them, give the first)."""
    stream = iter(noise)

    def byte() -> int:
        return next(stream, 0)

    seen: dict[str | None, set[str]] = {}
    texts = []
    for slot in slots:
        pieces = []
        for _ in range(1 + byte() % 3):
            kind = byte() % 3
            if kind == 0 or not pool:
                pieces.append(PAYLOADS[byte() % len(PAYLOADS)])
            elif kind == 1:
                start = byte() % len(pool)
                pieces.append(pool[start : start + 1 + byte() % 8])
            else:
                pieces.append(_SPECIAL[byte() % len(_SPECIAL)])
        text = "".join(pieces)
        if slot.group is not None:
            taken = seen.setdefault(slot.group, set())
            while text in taken:
                text += str(len(taken))
            taken.add(text)
        texts.append(file_name(text, slot.suffix) if slot.suffix else text)
    return texts


SHA256 = "0" * 64


def render_sources(spec: Spec, schema: list[dict]) -> dict[str, str]:
    """Every generated Python source, unformatted (black is what makes export slow)."""
    env = render.environment()
    data_filename = Path(spec.dataset.path).name
    context = bundle._common_context(spec, None, data_filename, SHA256)
    numeric = [c["name"] for c in schema if c["type"] == "numeric"]
    return {
        "preprocessing.py": render.render_preprocessing(spec, formatted=False),
        "train.py": render.render_train(spec, data_filename, formatted=False),
        "notebook.py": bundle.notebook_source(context),
        "predict.py": env.get_template("predict.py.j2").render(context),
        "app/main.py": env.get_template("app/main.py.j2").render(context, schema=schema),
        "tests/test_bundle.py": env.get_template("tests/test_bundle.py.j2").render(
            context, schema_numeric=numeric[0] if numeric else None
        ),
    }


@dataclass(frozen=True)
class Cut:
    """A placeholder rendering cut at its placeholders: (text before, the placeholder
    literal's value or None, the bare placeholder's text index or None) pieces, and
    the text after the last one."""

    pieces: tuple[tuple[str, str | None, int | None], ...]
    tail: str


# Where a placeholder shows in the placeholder rendering: inside a literal (plain:
# no escapes, no quotes inside), or bare, as Markdown text in a comment line.
_BENIGN_SLOT = re.compile(r"""(['"])([^'"\\\n]*Zq\d+qZ[^'"\\\n]*)\1|Zq(\d+)qZ""")
# Any one-line string literal without prefix, as Python's tokenizer reads it.
_ANY_LITERAL = re.compile(r"""'(?:[^'\\\n\r\x00]|\\.)*'|"(?:[^"\\\n\r\x00]|\\.)*\"""")


def cut(benign: str) -> Cut:
    pieces = []
    done = 0
    for match in _BENIGN_SLOT.finditer(benign):
        static = benign[done : match.start()]
        if match[3] is None:
            # A prefix (f, r, b...) would make the literal something else.
            assert not (static[-1:].isalnum() or static.endswith("_")), static[-80:]
            pieces.append((static, match[2], None))
        else:
            pieces.append((static, None, int(match[3])))
        done = match.end()
    return Cut(tuple(pieces), benign[done:])


def benign_sources(shape: dict, n_texts: int) -> dict[str, Cut]:
    """render_sources for the shape with placeholder texts (each compiles), cut."""
    benign = placeholders(range(n_texts))
    sources = render_sources(
        parse_spec(materialize(shape["spec"], benign)), materialize(shape["schema"], benign)
    )
    compile_all(sources)
    return {name: cut(source) for name, source in sources.items()}


def assert_same_code_but_literals(benign: Cut, adversarial: str, texts: list[str], where: str):
    """`adversarial` is the `benign` rendering with each placeholder literal swapped
    for a literal of the same value made of the user's texts, and each bare
    placeholder (Markdown in a comment) for the `md` text of the user's, on one
    line; everything else is equal, byte for byte.

    Since the swapped tokens are plain one-line string literals (no prefix, no
    triple quote) the token stream keeps its shape: the adversarial source
    compiles when the placeholder one does, to the same code but for the values
    of those literals. No user text is code, comment, cell marker, template or
    line break.
    """
    pos = 0
    for static, inner, bare in benign.pieces:
        assert adversarial.startswith(
            static, pos
        ), f"{where}: the code around user text changed near {adversarial[pos:pos + 200]!r}"
        pos += len(static)
        if bare is not None:
            text = markdown_text(texts[bare])
            assert len(text.splitlines()) <= 1, f"{where}: Markdown text {text!r} breaks lines"
            assert adversarial.startswith(text, pos), f"{where}: Markdown text is not {text!r}"
            pos += len(text)
            continue
        literal = _ANY_LITERAL.match(adversarial, pos)
        assert literal, f"{where}: no string literal where user text goes: {adversarial[pos:]!r}"
        source = literal.group()
        assert not adversarial.startswith(source[0] * 3, pos), f"{where}: triple quotes"
        expected = PLACEHOLDER.sub(lambda m: texts[int(m[1])], inner)
        # repr round-trips by definition; anything else must evaluate to the value.
        if source != repr(expected):
            assert ast.literal_eval(source) == expected, f"{where}: {source} != {expected!r}"
        pos = literal.end()
    assert adversarial[pos:] == benign.tail, f"{where}: the code after user text changed"


def compile_all(sources: dict[str, str], only: str | None = None) -> None:
    """Compile (which parses, and more) every file and every notebook code cell."""
    for name, source in sources.items():
        if only is not None and name != only:
            continue
        if name == "notebook.py":
            cells = [lines for kind, lines in _cells(source) if kind != "markdown"]
            for i, lines in enumerate(cells):
                compile("\n".join(lines), f"notebook cell {i}", "exec", dont_inherit=True)
        else:
            compile(source, name, "exec", dont_inherit=True)


def check_rendering(
    shape: dict, texts: list[str], benign: dict[str, Cut], compiled: str | None
) -> tuple[Spec, dict[str, str]]:
    """The only-literals check for every source; `compiled` names the sources that are
    also compiled for real (None: all). Returns the spec and the sources."""
    try:
        spec = parse_spec(materialize(shape["spec"], texts))
    except SpecError:
        reject()  # refused by validation: there is no code to check
    adversarial = render_sources(spec, materialize(shape["schema"], texts))
    assert adversarial.keys() == benign.keys()
    for name, source in adversarial.items():
        assert_same_code_but_literals(benign[name], source, texts, name)
    compile_all(adversarial, only=compiled)
    assert not canaries()
    return spec, adversarial


# Spec shapes for the fast property: seeded, so that each shape's placeholder
# rendering is made (and compiled) once; hypothesis supplies the text.
N_LAYOUTS = 150


@functools.cache
def layout(index: int) -> tuple[dict, list[Slot], dict[str, Cut]]:
    shape, slots = build_shape(Chooser(rng=random.Random(index)))
    return shape, slots, benign_sources(shape, len(slots))


ARTIFACTS = ["preprocessing.py", "train.py", "notebook.py", "predict.py", "app/main.py"]
ARTIFACTS.append("tests/test_bundle.py")

# The full fuzz run (before a release, PLAYGROUND_FULL_FUZZ=1): 10,000 rendered
# specs and 25 projects built and run; make test runs fewer of each.
FULL_FUZZ = bool(os.environ.get("PLAYGROUND_FULL_FUZZ"))
RENDER_EXAMPLES = 10_000 if FULL_FUZZ else 3_000
PROJECT_EXAMPLES = 25 if FULL_FUZZ else 10

QUICK = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@settings(QUICK, max_examples=RENDER_EXAMPLES)
@given(
    index=st.integers(0, N_LAYOUTS - 1),
    pool=st.text(_chars, max_size=48),
    noise=st.binary(min_size=256, max_size=256),
)
def test_user_text_is_only_ever_a_literal(index, pool, noise):
    """10,000 examples (3,000 in make test): every source is its placeholder rendering
    but for literals.

    Each example also compiles one source for real (in turn), on top of the
    token-level argument of assert_same_code_but_literals.
    """
    shape, slots, benign = layout(index)
    texts = fill_from_noise(slots, pool, noise)
    note(f"texts: {texts!r}")
    check_rendering(shape, texts, benign, compiled=ARTIFACTS[noise[-1] % len(ARTIFACTS)])


@settings(QUICK, max_examples=30)
@given(adversarial_shapes())
def test_formatted_code_is_black_clean(case):
    """Hypothesis-drawn shapes and texts: only literals, everything compiles, and
    black leaves the formatted sources (as the export formats them) as they are."""
    shape, texts = case
    spec, sources = check_rendering(shape, texts, benign_sources(shape, len(texts)), None)
    formatted = {
        "preprocessing.py": render.render_preprocessing(spec),
        "train.py": render.render_train(spec, Path(spec.dataset.path).name),
    }
    for name in ("predict.py", "app/main.py", "tests/test_bundle.py"):
        formatted[name] = render.format_code(sources[name])
    for name, source in formatted.items():
        ast.parse(source, name)
        assert black.format_str(source, mode=BLACK_MODE) == source, f"{name} is not black-clean"
    assert not canaries()


# -- the slow property: real data, run, export, execute ------------------------------

# Field values pandas reads back as missing from a CSV file.
CSV_MISSING = {
    "",
    "#N/A",
    "#N/A N/A",
    "#NA",
    "-1.#IND",
    "-1.#QNAN",
    "-NaN",
    "-nan",
    "1.#IND",
    "1.#QNAN",
    "<NA>",
    "N/A",
    "NA",
    "NULL",
    "NaN",
    "None",
    "n/a",
    "nan",
    "null",
}
file_stem = user_text.map(lambda s: s.replace("/", "_")).filter(
    lambda s: s not in (".", "..") and len(s.encode()) <= 200
)
# The CSV reader sniffs the delimiter among , ; tab and |: a header holding many
# of the others is read wrongly (that is no code generation matter), so CSV data
# keeps them out of its text; Parquet data holds any text.
_NOT_IN_CSV = str.maketrans({";": ",", "\t": ",", "|": ","})


@dataclass
class Project:
    """A drawn data set: its columns, and the free text the spec gets on top."""

    fmt: str
    task: str
    rows: int
    numeric: list[str]
    categorical: dict[str, list[str]]  # column -> its categories
    dates: list[str]
    flags: list[str]  # boolean columns
    groups: dict[str, list[str]]  # the group split's column -> its groups
    target: str | None
    classes: list[str]
    file_stem: str
    name: str
    ratio_output: str
    fill_value: str
    replacement: str  # replace_values' replace_with, for a category
    other_value: str  # filter_rows' value: in no column, so that no row goes
    sum_output: str  # arithmetic's output
    model: str | None  # None: the default_spec one
    split: str  # random, time (by the date column) or group
    cv_folds: int | None
    missing: bool
    seed: int
    run_train: bool


# Models the slow property may pick instead of default_spec's: the ones whose
# input handling differs (XGBoost and its feature names, linear models and NaN).
SLOW_MODELS = ["logistic_regression", "random_forest_classifier", "xgboost_classifier"]
SLOW_MODELS += ["ridge", "random_forest_regressor", "xgboost_regressor"]


@st.composite
def projects(draw) -> Project:
    fmt = draw(st.sampled_from(["csv", "parquet"]))
    text = user_text.map(lambda s: s.translate(_NOT_IN_CSV)) if fmt == "csv" else user_text
    # What pandas takes for a header: not blank, not the "Unnamed: n" of a missing one.
    names_ = text.filter(lambda s: s.strip() != "" and not s.startswith("Unnamed: "))
    values = text.filter(lambda s: s not in CSV_MISSING) if fmt == "csv" else text
    task = draw(st.sampled_from(["binary", "multiclass", "regression", "clustering"]))
    n_num, n_cat = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    n_date, n_flag = draw(st.integers(0, 1)), draw(st.integers(0, 1))
    split = draw(st.sampled_from(["random", "random", "group"] + ["time"] * n_date))
    n_group = split == "group"
    n = (task != "clustering") + n_num + n_cat + n_date + n_flag + n_group
    names = draw(st.lists(names_, min_size=n, max_size=n, unique=True))
    target = names.pop() if task != "clustering" else None
    numeric, names = names[:n_num], names[n_num:]
    dates, names = names[:n_date], names[n_date:]
    flags, names = names[:n_flag], names[n_flag:]
    group_names, names = names[:n_group], names[n_group:]
    groups = {
        name: draw(st.lists(values, min_size=8, max_size=8, unique=True)) for name in group_names
    }
    categorical = {
        name: draw(st.lists(values, min_size=2, max_size=3, unique=True)) for name in names
    }
    k = {"binary": 2, "multiclass": 3}.get(task, 0)
    classes = draw(st.lists(values, min_size=k, max_size=k, unique=True))
    replacement = draw(user_text)
    for_task = {m.name for m in models_for_task(task)}
    return Project(
        fmt=fmt,
        task=task,
        rows=draw(st.integers(30, 60)),
        numeric=numeric,
        categorical=categorical,
        dates=dates,
        flags=flags,
        groups=groups,
        target=target,
        classes=classes,
        file_stem=draw(file_stem),
        name=draw(user_text),
        ratio_output=draw(user_text.filter(lambda s: s not in [*names, *numeric, target])),
        fill_value=draw(user_text),
        replacement=replacement,
        other_value=draw(
            user_text.filter(
                lambda s: s != replacement and all(s not in v for v in categorical.values())
            )
        ),
        sum_output=draw(user_text.filter(lambda s: s not in [*names, *numeric, target])),
        model=draw(st.sampled_from([None, None, *(m for m in SLOW_MODELS if m in for_task)])),
        split=split,
        cv_folds=draw(st.sampled_from([None, None, None, 3])),
        missing=draw(st.booleans()),
        seed=draw(st.integers(0, 2**16)),
        run_train=draw(st.integers(0, 3)) == 0,
    )


def write_data(project: Project, folder: Path) -> Path:
    rng = np.random.default_rng(project.seed)
    n = project.rows
    data: dict[str, Any] = {}
    for name in project.numeric:
        # Away from zero: a ratio's denominator.
        data[name] = (rng.uniform(0.5, 10.0, n) * rng.choice([-1, 1], n)).round(3)
    for name, levels in project.categorical.items():
        values = rng.choice(np.array(levels, dtype=object), n)
        if project.missing:
            values[rng.random(n) < 0.15] = None
        data[name] = values
    for name in project.dates:
        days = pd.to_timedelta(rng.integers(0, 900, n), unit="D")
        values = (pd.Timestamp("2021-01-01") + days).strftime("%Y-%m-%d").to_numpy(dtype=object)
        if project.missing:
            values[rng.random(n) < 0.1] = None
        data[name] = values
    for name in project.flags:
        data[name] = rng.random(n) < 0.5
    for name, levels in project.groups.items():
        data[name] = rng.permutation(np.resize(np.array(levels, object), n))
    if project.task in ("binary", "multiclass"):
        # Balanced, so that every split holds every class.
        data[project.target] = rng.permutation(np.resize(np.array(project.classes, object), n))
    elif project.task == "regression":
        data[project.target] = rng.normal(100.0, 15.0, n).round(2)
    frame = pd.DataFrame(data)
    path = folder / f"{project.file_stem}.{project.fmt}"
    if project.fmt == "csv":
        # CRLF lines: the writer then quotes every field holding a \r or a \n.
        frame.to_csv(path, index=False, lineterminator="\r\n")
    else:
        frame.to_parquet(path, index=False)
    return path


def adversarial_spec(project: Project, path: Path) -> Spec:
    """default_spec, plus the free-text parameters and explore views it does not set."""
    spec = default_spec(path, project.target, path.parent, name=project.name)
    data = spec_to_dict(spec)
    steps = data["steps"]
    first_learn = next(
        (
            i
            for i, s in enumerate(steps)
            if s["type"] not in ("drop_duplicates", "drop_missing_target")
        ),
        len(steps),
    )
    numeric = [
        c["name"] for c in data["columns"] if c["type"] == "numeric" and c["role"] == "feature"
    ]
    categorical = [
        c["name"] for c in data["columns"] if c["type"] == "categorical" and c["role"] == "feature"
    ]
    learn: list[dict] = []
    if len(numeric) >= 2:
        ratio = {
            "left": numeric[0],
            "right": numeric[1],
            "operation": "ratio",
            "output": project.ratio_output,
        }
        steps.insert(first_learn, {"type": "arithmetic", "params": ratio, "enabled": True})
        first_learn += 1
    imputers = [s for s in steps if s["type"] == "impute_categorical"]
    if imputers:
        imputers[0]["params"].update(strategy="constant", fill_value=project.fill_value)
    elif categorical:
        params = {"columns": categorical, "strategy": "constant", "fill_value": project.fill_value}
        learn.append({"type": "impute_categorical", "params": params, "enabled": True})
    steps[first_learn:first_learn] = learn
    # Steps whose free text reaches the data, where the catalog has them.
    if categorical and declares("filter_rows", "column", "operator", "value"):
        params = {"column": categorical[0], "operator": "!=", "value": project.other_value}
        steps.insert(0, {"type": "filter_rows", "params": params, "enabled": True})
    levels = project.categorical.get(categorical[0], []) if categorical else []
    if levels and declares("replace_values", "columns", "find", "replace_with"):
        params = {
            "columns": categorical[:1],
            "find": levels[0],
            "replace_with": project.replacement,
        }
        steps.insert(0, {"type": "replace_values", "params": params, "enabled": True})
    if len(numeric) >= 2 and declares("arithmetic", "left", "right", "operation", "output"):
        params = {"left": numeric[0], "right": numeric[1], "operation": "sum"}
        params["output"] = project.sum_output
        stages = [STEPS_BY_NAME[step["type"]].stage for step in steps] + ["learn"]
        at = stages.index("learn")
        steps.insert(at, {"type": "arithmetic", "params": params, "enabled": True})
    features = [c["name"] for c in data["columns"] if c["role"] == "feature"]
    data["explore"] += [
        {"view": "distribution", "columns": features},
        {"view": "box", "columns": features[:1] + categorical[:1]},
    ]
    if len(numeric) >= 2:
        data["explore"].append({"view": "scatter", "columns": numeric[:2]})
    if project.model:
        data["model"] = {"type": project.model, "params": {}}
    if project.split == "time":
        data["split"].update(kind="time", time_column=project.dates[0])
    elif project.split == "group":
        data["split"].update(kind="group", group_column=next(iter(project.groups)))
    data["evaluation"]["cv_folds"] = project.cv_folds
    return parse_spec(data)


def declares(step: str, *params: str) -> bool:
    """Whether the catalog has this step, with these parameters."""
    decl = STEPS_BY_NAME.get(step)
    return decl is not None and set(params) <= {p.name for p in decl.params}


def clean_env() -> dict[str, str]:
    """This environment without what lets the project lean on the playground."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH" and not k.startswith("PYTEST")}


def literal_assigned(source: str, name: str) -> Any:
    """The value of the module-level literal assignment `name = ...`."""
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == [
            name
        ]:
            return ast.literal_eval(node.value)
    raise AssertionError(f"no assignment to {name}")


@pytest.mark.slow
@settings(
    max_examples=PROJECT_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(project=projects())
def test_adversarial_project_builds_runs_and_exports(project):
    with tempfile.TemporaryDirectory(prefix="injection-") as tmp:
        check_project(project, Path(tmp))


def check_project(project: Project, tmp: Path) -> None:
    data_dir = tmp / "data"
    data_dir.mkdir()
    path = write_data(project, data_dir)
    spec = adversarial_spec(project, path)
    runner = Runner(spec, data_dir)
    result = runner.run()
    files = bundle.render_bundle(runner, result)
    out = bundle.write_bundle(files, tmp / "bundle")
    assert not canaries(data_dir, out)

    # (1) parses and (2) black-clean: every Python file and notebook code cell.
    sources = {name: text for name, text in files.items() if name.endswith(".py")}
    notebook = json.loads(files["notebook.ipynb"])
    for i, cell in enumerate(c for c in notebook["cells"] if c["cell_type"] == "code"):
        sources[f"notebook cell {i}"] = "".join(cell["source"]) + "\n"
    for name, source in sources.items():
        ast.parse(source, name)
        assert black.format_str(source, mode=BLACK_MODE) == source, f"{name} is not black-clean"
    lint = subprocess.run(
        [str(RUFF), "check", "--isolated", "--no-cache", "."],
        check=False,
        cwd=out,
        capture_output=True,
        text=True,
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr

    # The values reach the code as literals of exactly themselves.
    prep = files["preprocessing.py"]
    assert literal_assigned(prep, "FEATURES") == spec.features
    assert literal_assigned(prep, "TARGET") == spec.target
    if spec.classes:
        assert literal_assigned(prep, "CLASSES") == spec.classes
    # ... and round-trip through the spec and the manifest.
    exported = load_spec(out / "spec.yaml")
    assert exported.name == spec.name
    assert [c.name for c in exported.columns] == [c.name for c in spec.columns]
    assert exported.classes == spec.classes
    assert exported.steps == spec.steps
    manifest = json.loads(files["manifest.json"])
    assert manifest["name"] == spec.name and manifest["classes"] == spec.classes
    assert manifest["data"]["file"] == path.name
    # The README: user text stays inside its line (title, data line), and the shell
    # command names the data file as one quoted word.
    readme = files["README.md"]
    lines = re.split(r"\r\n|\r|\n", readme)  # Markdown's line endings
    assert lines[0] == f"# {markdown_text(spec.name)}: {bundle.TASK_TITLES[spec.task]}"
    assert lines[2].startswith("Generated by AI-Playground")
    rows = sum(result.report["rows"].values())
    assert any(line.startswith("- Data: ") and f" ({rows} rows), sha256 " in line for line in lines)
    command = readme.split("python predict.py --data ", 1)[1].split(" --out predictions.csv")[0]
    assert shlex.split(command) == [f"data/{path.name}"]
    assert re.fullmatch(r"[a-z0-9-]+", bundle.slug(spec.name))

    # (3) runs: the exported training script, in its own folder, without the playground.
    if project.run_train:
        train = subprocess.run(
            [sys.executable, "train.py", "--out", str(tmp / "output")],
            check=False,
            cwd=out,
            env=clean_env(),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert train.returncode == 0, train.stderr[-3000:]
        report = json.loads((tmp / "output" / "metrics.json").read_text())
        assert report["metrics"].keys() == result.report["metrics"].keys()
    # (4) nothing beyond the spec happened.
    assert not canaries(data_dir, out, tmp / "output")


def test_the_canary_payloads_work(tmp_path):
    """The payloads are live: executed, they create their canary (here, a private one)."""
    private = tmp_path / "CANARY"
    for payload in (p for p in PAYLOADS if p.startswith(("__import__(", "eval("))):
        eval(payload.replace(str(CANARY), str(private)))  # what injection would do
        assert private.exists()
        private.unlink()


def test_the_literal_check_catches_text_outside_literals():
    """The check is not vacuous: a value pasted with naive quotes, or Markdown that
    keeps a line break, fails it."""
    shape, slots, benign = layout(0)
    texts = [f"v{i}'); open('x', 'w'); ('" + slot.suffix for i, slot in enumerate(slots)]
    spec = parse_spec(materialize(shape["spec"], texts))
    sources = render_sources(spec, materialize(shape["schema"], texts))
    for name, source in sources.items():
        assert_same_code_but_literals(benign[name], source, texts, name)

    column = spec.features[0]
    source = sources["preprocessing.py"]
    assert repr(column) in source
    forged = source.replace(repr(column), f"'{column}'", 1)
    with pytest.raises(AssertionError, match="preprocessing.py"):
        assert_same_code_but_literals(benign["preprocessing.py"], forged, texts, "preprocessing.py")

    source = sources["notebook.py"]
    title = markdown_text(spec.name)
    assert title in source
    forged = source.replace(title, spec.name + "\n# %%\nimport os", 1)
    with pytest.raises(AssertionError, match="notebook.py"):
        assert_same_code_but_literals(benign["notebook.py"], forged, texts, "notebook.py")
