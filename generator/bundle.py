"""The exported project: every file rendered from the spec and the run it gave.

`render_bundle` returns {relative path: text or bytes}; `write_bundle` puts
that in a directory, or in a zip when the target ends in `.zip`.
"""

from __future__ import annotations

import functools
import json
import re
import sys
import zipfile
from importlib import metadata
from pathlib import Path

from generator.formatting import format_sources
from generator.notebook import code_cells, percent_to_notebook
from generator.plots import notebook_plots, render_plots
from generator.render import (
    VERSION,
    environment,
    merge_imports,
    model_code,
    render_preprocessing,
    render_train,
    rendered_steps,
    training_context,
    uses_xgboost,
)
from runtime.executor import Runner, RunResult
from runtime.models import MODELS_BY_NAME
from runtime.schema import input_schema
from runtime.spec import dump_spec, spec_to_dict

TASK_TITLES = {
    "binary": "binary classification",
    "multiclass": "multiclass classification",
    "regression": "regression",
    "clustering": "clustering",
}
STAGE_LABELS = {
    "clean": "cleaning, before the split",
    "derive": "column derivation, inside the model",
    "learn": "fitted on the training split, inside the model",
}
# Distributions the exported code needs, by what the bundle does.
BASE_REQUIREMENTS = [
    "pandas",
    "numpy",
    "scipy",
    "scikit-learn",
    "joblib",
    "threadpoolctl",
    "pyarrow",
]
# httptools and uvloop: uvicorn's C HTTP parser and libuv event loop, which it
# picks itself when installed (its "standard" extra, advised for production).
SERVING_REQUIREMENTS = ["fastapi", "pydantic", "uvicorn", "httptools", "uvloop", "orjson"]
# Requirements that only some platforms can install: uvloop has no Windows build,
# and uvicorn runs on asyncio's own loop there.
PLATFORM_MARKERS = {"uvloop": '; sys_platform != "win32"'}
NOTEBOOK_REQUIREMENTS = ["matplotlib", "ipykernel", "papermill"]
TEST_REQUIREMENTS = ["pytest", "httpx2"]


# Read once a process: each look-up scans the installed distributions (~20 ms).
@functools.cache
def installed_version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def requirements(uses_xgboost: bool, data_format: str) -> dict[str, str]:
    names = list(BASE_REQUIREMENTS)
    if uses_xgboost:
        # xgboost-cpu is the same library without the CUDA wheel.
        names.append("xgboost-cpu" if installed_version("xgboost-cpu") else "xgboost")
    if data_format == "excel":
        names.append("openpyxl")
    names += SERVING_REQUIREMENTS + NOTEBOOK_REQUIREMENTS + TEST_REQUIREMENTS
    return {name: version for name in names if (version := installed_version(name))}


def slug(text: str) -> str:
    """A lowercase name safe for images and folders."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "model"


def _common_context(spec, result: RunResult, data_filename: str, sha256: str) -> dict:
    decl = MODELS_BY_NAME[spec.model.type]
    steps = [{"title": s.title, "stage_label": STAGE_LABELS[s.stage]} for s in rendered_steps(spec)]
    context = training_context(spec)
    context.update(
        data_filename=data_filename,
        sha256=sha256,
        task_title=TASK_TITLES[spec.task],
        model_title=decl.title,
        model_explanation=decl.explanation,
        model_code=model_code(spec),
        steps=steps,
        uses_xgboost=uses_xgboost(spec),
        image_name=slug(spec.name),
        python_version=f"{sys.version_info.major}.{sys.version_info.minor}",
    )
    return context


def render_notebook(source: str) -> str:
    """notebook.ipynb from its percent-format source, each code cell formatted."""
    import nbformat  # imported at the first export, not when the server starts

    return nbformat.writes(percent_to_notebook(source))


def notebook_source(context: dict) -> str:
    """The notebook's percent-format source (# %% cells), before formatting."""
    env = environment()
    spec = context["spec"]
    imports = context["training_imports"] + [
        "import json",
        "from pathlib import Path",
        "import joblib",
    ]
    # The plots are drawn by plots.py, the code the playground draws them with.
    plots = notebook_plots(spec)
    imports += plots.pop("imports")
    return env.get_template("notebook.py.j2").render(
        context,
        **plots,
        imports=merge_imports(imports),
        training=env.get_template("_training.py.j2").make_module(context),
        explore=env.get_template("_explore.py.j2").make_module(context),
    )


def render_bundle(runner: Runner, result: RunResult) -> dict[str, str | bytes]:
    """Every file of the exported project."""
    spec = result.spec
    data_filename = Path(spec.dataset.path).name
    sha256 = runner.data_sha256()
    splits = runner.split_frames()
    schema = input_schema(spec, splits["train"], [splits[n] for n in splits if n != "train"])
    context = _common_context(spec, result, data_filename, sha256)
    report = result.report
    libraries = requirements(context["uses_xgboost"], spec.dataset.format)
    ships_search = spec.tuning is not None and spec.tuning.export_search
    if ships_search and (optuna_version := installed_version("optuna")):
        libraries["optuna"] = optuna_version

    exported_spec = spec.model_copy(deep=True)
    exported_spec.dataset.path = f"data/{data_filename}"
    exported_spec.dataset.sha256 = sha256
    manifest = {
        "generated_by": f"AI-Playground {VERSION}",
        "name": spec.name,
        "task": spec.task,
        "target": spec.target,
        "classes": spec.classes,
        "seed": spec.seed,
        "n_jobs": spec.n_jobs,
        "data": {"file": data_filename, "sha256": sha256, "format": spec.dataset.format},
        "libraries": libraries,
        "python": sys.version.split()[0],
        "input_schema": schema,
        **report,
    }
    if spec.tuning is not None:
        # How the model's parameters were found, whether or not tune.py is shipped.
        manifest["tuning"] = spec_to_dict(spec)["tuning"]
    env = environment()

    def text(template: str, **extra) -> str:
        return env.get_template(template).render(context, **extra)

    numeric_columns = [c["name"] for c in schema if c["type"] == "numeric"]
    python = {
        "preprocessing.py": render_preprocessing(spec, formatted=False),
        "train.py": render_train(spec, data_filename, formatted=False),
        "plots.py": render_plots(spec, formatted=False),
        "predict.py": text("predict.py.j2"),
        "app/main.py": text("app/main.py.j2", schema=schema),
        "tests/test_bundle.py": text(
            "tests/test_bundle.py.j2",
            schema_numeric=numeric_columns[0] if numeric_columns else None,
        ),
    }
    if ships_search:
        from generator.tuning import render_tune

        python["tune.py"] = render_tune(spec, data_filename, formatted=False)
    notebook = notebook_source(context)
    # One formatter run for every Python file and notebook cell (a process each would
    # cost more than the formatting); the notebook then finds its cells formatted.
    formatted = format_sources([*python.values(), *code_cells(notebook)])
    files: dict[str, str | bytes] = {
        "README.md": text(
            "README.md.j2",
            rows=sum(report["rows"].values()),
            metrics=report["metrics"],
            split_names=list(report["metrics"]),
            metric_names=sorted({m for split in report["metrics"].values() for m in split}),
        ),
        "spec.yaml": dump_spec(exported_spec),
        "manifest.json": json.dumps(manifest, indent=2, ensure_ascii=False) + "\n",
        "requirements.txt": "".join(
            f"{n}=={v}{PLATFORM_MARKERS.get(n, '')}\n" for n, v in libraries.items()
        ),
        **dict(zip(python, formatted)),
        "notebook.ipynb": render_notebook(notebook),
        "app/__init__.py": text("app/__init__.py.j2"),
        "pytest.ini": text("pytest.ini.j2"),
        "Dockerfile": text("Dockerfile.j2"),
        ".dockerignore": ".venv\n__pycache__\n*.pyc\n",
        f"data/{data_filename}": runner.data_path.read_bytes(),
    }
    return files


def write_bundle(files: dict[str, str | bytes], out: str | Path) -> Path:
    """Write the files to a directory, or to a zip file when `out` ends in .zip."""
    out = Path(out)
    if out.suffix.lower() == ".zip":
        out.parent.mkdir(parents=True, exist_ok=True)
        folder = slug(out.stem)
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, content in sorted(files.items()):
                archive.writestr(f"{folder}/{name}", content)
        return out
    out.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return out


def export(runner: Runner, out: str | Path, result: RunResult | None = None) -> Path:
    """Run the spec (unless a result is given) and write its project."""
    result = result or runner.run()
    return write_bundle(render_bundle(runner, result), out)
