"""Render a spec into Python source: the code the runtime runs and exports.

Templates live in `templates/`; each step's code is its snippet there. User
values enter the code only through the `py` filter (generator.literals).
"""

from __future__ import annotations

import functools
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

import jinja2

import templates
from generator.formatting import format_code
from generator.literals import markdown_text, py_literal
from runtime.models import MODELS_BY_NAME
from runtime.spec import DatasetSpec, Spec, StepSpec
from runtime.steps import STEPS_BY_NAME

VERSION = "0.1.0"
TEMPLATES_DIR = Path(templates.__file__).resolve().parent

READ_FUNCTIONS = {
    "csv": "pd.read_csv",
    "tsv": "pd.read_csv",
    "parquet": "pd.read_parquet",
    "excel": "pd.read_excel",
    "json": "pd.read_json",
}


@functools.cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["py"] = py_literal
    # Titles in Markdown (README, notebook) show user text as plain text.
    env.filters["md"] = markdown_text
    # Shell commands shown in the exported README quote user file names.
    env.filters["sh"] = shlex.quote
    return env


def merge_imports(lines: list[str]) -> str:
    """Deduplicate and group import lines the way isort would."""
    plain: set[str] = set()
    from_imports: dict[str, set[str]] = {}
    for line in lines:
        line = line.strip()
        if not line:
            continue
        if line.startswith("from "):
            module, names = line[5:].split(" import ")
            from_imports.setdefault(module, set()).update(n.strip() for n in names.split(","))
        else:
            plain.add(line)

    def group(module: str) -> int:
        top = module.split(".")[0]
        if top in sys.stdlib_module_names:
            return 0
        if top in {"preprocessing", "plots"}:
            return 2
        return 1

    def by_name(module: str) -> tuple[str, str]:
        return module.lower(), module

    # In each group, as isort: `import x` lines first, then `from x import y`.
    out: list[list[str]] = [[], [], []]
    modules = {line.split()[1]: line for line in plain}
    for module in sorted(modules, key=by_name):
        out[group(module)].append(modules[module])
    for module in sorted(from_imports, key=by_name):
        names = ", ".join(sorted(from_imports[module], key=_import_order))
        out[group(module)].append(f"from {module} import {names}")
    return "\n\n".join("\n".join(block) for block in out if block)


def _import_order(name: str) -> tuple[int, str, str]:
    """isort's order-by-type: CONSTANTS, then Classes, then functions."""
    kind = 0 if name.isupper() else 1 if name[0].isupper() else 2
    return (kind, name.lower(), name)


@dataclass(frozen=True)
class RenderedStep:
    """One step of the spec, rendered from its snippet."""

    index: int
    type: str
    title: str
    stage: str
    code: str
    imports: tuple[str, ...]
    seeded: bool = False
    # Module-level code the step's expression uses (a fitted transformer class).
    definitions: str = ""

    @property
    def function(self) -> str:
        # An identifier built from our own names only, never from user text.
        return f"{self.type}_step{self.index}"

    @property
    def pipeline_name(self) -> str:
        return f"step{self.index}_{self.type}"


def render_step(index: int, step: StepSpec, task: str) -> RenderedStep:
    decl = STEPS_BY_NAME[step.type]
    # Snippets see their parameters and the task (e.g. to pick a score function).
    snippet = environment().get_template(decl.snippet).make_module({"task": task})
    code = str(snippet.code(step.params)).strip()
    imports = tuple(line for line in str(snippet.imports(step.params)).splitlines() if line.strip())
    # A snippet may define module-level code too (its optional `definitions` macro).
    definitions = getattr(snippet, "definitions", None)
    definitions = str(definitions(step.params)).strip() if definitions else ""
    return RenderedStep(
        index, step.type, decl.title, decl.stage, code, imports, decl.seeded, definitions
    )


def read_call(dataset: DatasetSpec) -> str:
    """The statement that reads the data file, with the spec's read options."""
    options = dict(dataset.read_options)
    if dataset.format == "tsv":
        options.setdefault("sep", "\t")
    # Option names come from a fixed list validated in the spec, so they are
    # safe as keywords; values are literals.
    args = "".join(f", {name}={py_literal(value)}" for name, value in options.items())
    return f"return {READ_FUNCTIONS[dataset.format]}(path{args})"


def render_reader(dataset: DatasetSpec) -> str:
    """A module holding just read_data, for reading before a spec exists."""
    body = read_call(dataset)
    return f"import pandas as pd\n\n\ndef read_data(path):\n    {body}\n"


def estimator_code(model_type: str, params: dict, spread: str | None = None) -> str:
    """`Class(**params)` of one declared model, inside its wrapper if it has one.

    `spread` names a dict variable whose items are passed first (`**spread`)."""
    decl = MODELS_BY_NAME[model_type]
    args = [f"**{spread}"] if spread else []
    args += [f"{name}={py_literal(value)}" for name, value in params.items()]
    args += [f"{name}={py_literal(value)}" for name, value in decl.fixed]
    if decl.seed_arg:
        args.append(f"{decl.seed_arg}=SEED")
    if decl.n_jobs_arg:
        args.append(f"{decl.n_jobs_arg}=N_JOBS")
    code = f"{decl.cls}({', '.join(args)})"
    # A declared meta-estimator (probabilities, a standardised target) wraps it.
    return decl.wrapper.render(code) if decl.wrapper else code


def model_code(spec: Spec) -> str:
    """The model expression. An ensemble's members come from build_members() (see
    members_code), a weighted ensemble's weights from build_pipeline's argument."""
    decl = MODELS_BY_NAME[spec.model.type]
    params = decl.estimator_params(spec.model.params)
    if decl.ensemble is None:
        return estimator_code(spec.model.type, params)
    args = ["build_members()"]
    args += [f"{name}={py_literal(value)}" for name, value in params.items()]
    args += [f"{name}={py_literal(value)}" for name, value in decl.fixed]
    if decl.ensemble.kind == "weighted":
        args.append("weights=weights")
    if decl.ensemble.kind == "stacking":
        meta = spec.model.meta
        args.append(f"final_estimator={estimator_code(meta.type, meta.params)}")
    return f"{decl.cls}({', '.join(args)})"


def members_code(spec: Spec) -> list[tuple[str, str]]:
    """(name, expression) of every member of an ensemble; names come from the catalog."""
    return [
        (f"member{i}_{member.type}", estimator_code(member.type, member.params))
        for i, member in enumerate(spec.model.members or [], start=1)
    ]


def model_types(spec: Spec) -> list:
    """The declarations of every model the spec builds: the model, its members and meta."""
    models = [spec.model, *(spec.model.members or [])]
    if spec.model.meta is not None:
        models.append(spec.model.meta)
    return [MODELS_BY_NAME[m.type] for m in models]


def model_imports(spec: Spec) -> list[str]:
    """The imports of the model expression (and of build_members for an ensemble)."""
    return [line for decl in model_types(spec) for line in decl.import_lines]


def uses_xgboost(spec: Spec) -> bool:
    return any(decl.module == "xgboost" for decl in model_types(spec))


def rendered_steps(spec: Spec, only: list[int] | None = None) -> list[RenderedStep]:
    return [
        render_step(i, step, spec.task)
        for i, step in spec.active_steps()
        if only is None or i in only
    ]


def model_helper(spec: Spec) -> tuple[str, tuple[str, ...]]:
    """The code and imports of a class the saved model uses (its clustering rule), if any.

    It lives in preprocessing.py, which the saved model's users import anyway."""
    assign = MODELS_BY_NAME[spec.model.type].assign
    if assign is None or assign.snippet is None:
        return "", ()
    snippet = environment().get_template(assign.snippet).make_module()
    imports = tuple(line for line in str(snippet.imports()).splitlines() if line.strip())
    return str(snippet.code()).strip(), imports


def render_preprocessing(spec: Spec, only: list[int] | None = None, formatted: bool = True) -> str:
    """preprocessing.py; with `only`, a module holding just those steps (for previews)."""
    steps = rendered_steps(spec, only)
    imports = ["import pandas as pd", "from sklearn.pipeline import Pipeline"]
    helper, helper_imports = model_helper(spec) if only is None else ("", ())
    imports.extend(helper_imports)
    pipeline_steps = [s for s in steps if s.stage != "clean"]
    # Derivations are wrapped in FunctionTransformer, and so is the identity
    # step of an empty preprocessing pipeline.
    if not pipeline_steps or any(s.stage == "derive" for s in pipeline_steps):
        imports.append("from sklearn.preprocessing import FunctionTransformer")
    for step in steps:
        imports.extend(step.imports)
    source = (
        environment()
        .get_template("preprocessing.py.j2")
        .render(
            spec=spec,
            version=VERSION,
            imports=merge_imports(imports),
            read_call=read_call(spec.dataset),
            clean_steps=[s for s in steps if s.stage == "clean"],
            derive_steps=[s for s in steps if s.stage == "derive"],
            pipeline_steps=pipeline_steps,
            # Each definition once, however many steps use it.
            definitions=list(dict.fromkeys(s.definitions for s in steps if s.definitions)),
            seeded=any(s.seeded for s in steps),
            model_helper=helper,
        )
    )
    return format_code(source) if formatted else source


def _split_imports(spec: Spec) -> list[str]:
    split, imports = spec.split, []
    if split.kind == "random":
        imports.append("from sklearn.model_selection import train_test_split")
    elif split.kind == "group":
        imports.append("from sklearn.model_selection import GroupShuffleSplit")
    if spec.evaluation.cv_folds:
        imports += cv_imports(spec)
    return imports


def cv_imports(spec: Spec) -> list[str]:
    """What cv_folds (templates/_training.py.j2) needs for the spec's split kind."""
    split = spec.split
    if split.kind == "time":
        splitter = "TimeSeriesSplit"
    elif split.kind == "group":
        splitter = "GroupKFold"
    elif spec.is_classification and split.stratify:
        splitter = "StratifiedKFold"
    else:
        splitter = "KFold"
    return ["import numpy as np", f"from sklearn.model_selection import {splitter}"]


def _ensemble_imports(spec: Spec) -> list[str]:
    """A weighted ensemble scores its members by cross-validation, on the split's folds."""
    ensemble = MODELS_BY_NAME[spec.model.type].ensemble
    if ensemble is None or ensemble.kind != "weighted":
        return []
    return ["from sklearn.model_selection import cross_val_score", *cv_imports(spec)]


def _decision_imports(spec: Spec) -> list[str]:
    if spec.decision is None:
        return []
    imports = ["from sklearn.model_selection import FixedThresholdClassifier"]
    if spec.decision.rule != "manual":
        imports += ["import numpy as np", "from sklearn.metrics import precision_recall_curve"]
    return imports


def cluster_count_code(decl) -> str:
    """The number of clusters of the fitted `pipeline`, as code: a clusterer's own, or
    the clusters the rule for new rows knows (those of the training rows)."""
    if decl.assign:
        return "len(pipeline[-1].classes_)"
    return f"pipeline[-1].{decl.cluster_count_arg}"


def training_context(spec: Spec) -> dict:
    """What the training macros (shared by train.py and the notebook) need."""
    decl = MODELS_BY_NAME[spec.model.type]
    imports = [
        "import pandas as pd",
        "from sklearn.pipeline import Pipeline",
        *model_imports(spec),
        "from preprocessing import FEATURES, build_preprocessing, clean, read_data",
    ]
    imports += _split_imports(spec) + _ensemble_imports(spec) + _decision_imports(spec)
    if spec.target is not None:  # clustering has no target
        imports.append("from preprocessing import TARGET")
    # XGBoost refuses feature names holding "[", "]" or "<", as column names (and
    # the one-hot columns named after categories) may: it is given the values only.
    array_input = uses_xgboost(spec)
    if array_input:
        imports += ["import numpy as np", "from sklearn.preprocessing import FunctionTransformer"]
    imports.append("from threadpoolctl import threadpool_limits")
    if decl.assign:
        imports += decl.assign.imports
    if spec.is_classification:
        imports.append("from preprocessing import CLASSES")
        imports.append(
            "from sklearn.metrics import accuracy_score, average_precision_score, "
            "balanced_accuracy_score, confusion_matrix, log_loss, matthews_corrcoef, "
            "precision_recall_fscore_support, roc_auc_score"
        )
        if spec.task == "multiclass":
            imports.append("from sklearn.preprocessing import label_binarize")
        detail_name = "confusion_matrix"
    elif spec.task == "regression":
        imports.append(
            "from sklearn.metrics import mean_absolute_error, mean_absolute_percentage_error, "
            "mean_squared_error, median_absolute_error, r2_score, root_mean_squared_error"
        )
        detail_name = None
    else:
        imports.append(
            "from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, "
            "silhouette_score"
        )
        if spec.evaluation.label_column:
            imports.append("from sklearn.metrics import adjusted_rand_score")
        detail_name = "cluster_sizes"
    split_names = (
        ["train", "validation", "test"] if spec.split.validation > 0 else ["train", "test"]
    )
    return {
        "spec": spec,
        "version": VERSION,
        "model_code": model_code(spec),
        "array_input": array_input,
        "cluster_count": cluster_count_code(decl),
        "assign": decl.assign,
        "model_class": decl.cls,
        "detail_name": detail_name,
        "split_names": split_names,
        "training_imports": imports,
        "ensemble": decl.ensemble,
        "members": members_code(spec),
        "decision": spec.decision,
    }


def render_train(spec: Spec, data_filename: str, formatted: bool = True) -> str:
    env = environment()
    context = training_context(spec)
    imports = context["training_imports"] + [
        "import argparse",
        "import json",
        "from pathlib import Path",
        "import joblib",
    ]
    training = env.get_template("_training.py.j2").make_module(context)
    source = env.get_template("train.py.j2").render(
        context,
        training=training,
        imports=merge_imports(imports),
        data_filename=data_filename,
    )
    return format_code(source) if formatted else source
