"""The `playground` command: ui, init, validate, catalog, preview, run, export, plots, runs.

Every failure a person can cause (a bad file, a wrong column, an invalid
spec) ends with one clear line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import warnings
from pathlib import Path

from runtime.dataset import DataError
from runtime.executor import RunError
from runtime.spec import SpecError, load_spec, save_spec
from runtime.store import StoreError

USER_ERRORS = (SpecError, DataError, RunError, StoreError)


def _cmd_init(args: argparse.Namespace) -> int:
    from runtime.defaults import default_spec

    if args.target is None and not args.cluster:
        raise SpecError("name the target column with --target COLUMN, or pass --cluster")
    if args.target is not None and args.cluster:
        raise SpecError("--target and --cluster exclude each other: clustering has no target")
    out = Path(args.output or Path(args.data).with_suffix(".spec.yaml").name)
    # What a person says about the file wins over what is detected.
    read_options = {
        "sep": args.sep,
        "encoding": args.encoding,
        "decimal": args.decimal,
        "sheet_name": args.sheet,
    }
    notes: list[str] = []
    spec = default_spec(
        args.data,
        args.target,
        out.parent,
        name=args.name,
        seed=args.seed,
        read_options={k: v for k, v in read_options.items() if v is not None},
        notes=notes,
    )
    save_spec(spec, out)
    for note in notes:
        print(f"warning: {note}", file=sys.stderr)
    steps = ", ".join(s.type for s in spec.steps) or "none"
    print(f"Wrote {out}: task {spec.task}, model {spec.model.type}, steps: {steps}")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from runtime.executor import Runner

    spec = load_spec(args.spec)
    Runner(spec, Path(args.spec).parent).check()
    print(f"{args.spec}: valid ({spec.task}, {len(spec.steps)} steps, model {spec.model.type})")
    return 0


def _cmd_catalog(args: argparse.Namespace) -> int:
    from runtime.models import MODEL_TYPES
    from runtime.steps import STEP_TYPES

    catalog = {
        "steps": [s.describe() for s in STEP_TYPES],
        "models": [m.describe() for m in MODEL_TYPES],
    }
    if args.json:
        print(json.dumps(catalog, indent=2))
        return 0
    print("Steps")
    for step in catalog["steps"]:
        print(f"\n  {step['name']}  ({step['stage']})  {step['title']}\n    {step['help']}")
        _print_params(step["params"])
    print("\nModels")
    for model in catalog["models"]:
        tasks = ", ".join(model["tasks"])
        print(f"\n  {model['name']}  [{tasks}]  {model['estimator']}\n    {model['explanation']}")
        for note in model["notes"]:
            print(f"    Note: {note}")
        _print_params(model["params"])
    return 0


def _print_params(params: list[dict]) -> None:
    for p in params:
        bounds = ""
        if "choices" in p:
            bounds = " one of " + ", ".join(map(repr, p["choices"]))
        elif "minimum" in p or "maximum" in p:
            bounds = f" in [{p.get('minimum', '-inf')}, {p.get('maximum', 'inf')}]"
        print(f"      {p['name']}: {p['kind']}{bounds}, default {p['default']!r}. {p['help']}")


def _cmd_run(args: argparse.Namespace) -> int:
    from runtime.executor import Runner

    spec = load_spec(args.spec)
    runner = Runner(spec, Path(args.spec).parent)
    # Said before training starts, so that a person can stop a run that will be long.
    before = runner.warnings()
    for warning in before:
        print(f"warning: {warning}", file=sys.stderr, flush=True)
    result = runner.run()
    # What only training tells (e.g. that the clusters cannot be scored).
    for warning in result.warnings:
        if warning not in before:
            print(f"warning: {warning}", file=sys.stderr, flush=True)
    if args.json:
        out = dict(result.report, task=spec.task, model=spec.model.type, seconds=result.seconds)
        out["warnings"] = result.warnings
        print(json.dumps(out, indent=2))
        return 0
    metrics = result.metrics
    splits = list(metrics)
    names = sorted({n for split in metrics.values() for n in split})
    print(f"{spec.name}: {spec.task}, model {spec.model.type}, {result.seconds:.1f} s")
    print(f"{'metric':<20}" + "".join(f"{s:>14}" for s in splits))
    for name in names:
        cells = [metrics[s].get(name, math.nan) for s in splits]
        print(f"{name:<20}" + "".join(f"{v:>14.6f}" for v in cells))
    rows = ", ".join(f"{k} {v}" for k, v in result.report["rows"].items())
    print(f"rows: {rows}")
    cv = result.report.get("cross_validation")
    if cv:
        print(f"\n{cv['folds']}-fold cross-validation on the training split (mean ± std):")
        for name, mean in cv["mean"].items():
            print(f"{name:<20}{mean:>14.6f} ± {cv['std'][name]:.6f}")
    return 0


def _cmd_preview(args: argparse.Namespace) -> int:
    import pandas as pd

    from runtime.executor import Runner

    spec = load_spec(args.spec)
    runner = Runner(spec, Path(args.spec).parent)
    steps = [i for i, _ in spec.active_steps()]
    if args.step is not None and args.step not in steps:
        raise SpecError(f"--step {args.step}: the spec's enabled steps are {steps}")
    for index in [args.step] if args.step is not None else steps:
        preview = runner.preview(index)
        print(f"step {index} ({preview.type}, {preview.stage}): {preview.describe()}")
        if args.step is not None:
            with pd.option_context("display.width", 160, "display.max_columns", 30):
                print(f"\nfirst rows:\n{preview.head}\n\ncolumns:\n{preview.summary}")
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from generator.bundle import export
    from runtime.executor import Runner

    spec = load_spec(args.spec)
    out = export(Runner(spec, Path(args.spec).parent), args.output)
    print(f"Exported to {out}")
    return 0


def _cmd_ui(args: argparse.Namespace) -> int:
    from playground_ui.app import serve
    from runtime.store import playground_home

    home = Path(args.home) if args.home else playground_home()
    print(f"AI-Playground on http://localhost:{args.port} (projects in {home}); Ctrl+C stops it")
    serve(port=args.port, home=home, show=args.show)
    return 0


def _cmd_runs(args: argparse.Namespace) -> int:
    from runtime.store import DATABASE_FILE, URL_VARIABLE, Store, playground_home

    given = Path(args.project_or_home).expanduser()
    if given.is_dir():
        home, wanted, url = given, None, f"sqlite:///{given.resolve() / DATABASE_FILE}"
    elif "/" in args.project_or_home or os.sep in args.project_or_home:
        raise StoreError(f"{given} is not a folder; give a PLAYGROUND_HOME folder or a project")
    else:
        home, wanted, url = playground_home(), args.project_or_home, os.environ.get(URL_VARIABLE)
    if url is None or url.startswith("sqlite:///"):
        database = Path(url.removeprefix("sqlite:///")) if url else home / DATABASE_FILE
        if not database.is_file():
            raise StoreError(
                f"no AI-Playground database at {database}; give a PLAYGROUND_HOME folder, "
                "or a project id or name with PLAYGROUND_HOME set"
            )
    store = Store(url, home)
    projects = {p.id: p for p in store.projects()}
    if wanted is None:
        runs = store.runs()
    else:
        chosen = [p for p in projects.values() if str(p.id) == wanted or p.name == wanted]
        if len(chosen) != 1:
            listed = ", ".join(f"{p.id} {p.name!r}" for p in projects.values()) or "none"
            what = "several projects are" if chosen else "no project is"
            raise StoreError(
                f"{what} named {wanted!r} in {home}; give the id of one of these: {listed}"
            )
        runs = store.runs(chosen[0].id)
    print(
        f"{'run':>5}  {'project':<20} {'status':<10} {'model':<28} {'test metric':<22} "
        f"{'started':<17} time"
    )
    for run in runs:
        main = run.main_metric()
        metric = f"{main[0]} {main[1]:.6f}" if main else "-"
        started = run.started.astimezone().strftime("%Y-%m-%d %H:%M") if run.started else "-"
        seconds = f"{run.seconds:.1f} s" if run.seconds is not None else "-"
        print(
            f"{run.id:>5}  {projects[run.project_id].name[:20]:<20} {run.status:<10} "
            f"{run.model[:28]:<28} {metric:<22} {started:<17} {seconds}"
        )
        if run.status == "failed":
            print(f"{'':>7}error: {_one_line(Exception(run.error))}")
    if not runs:
        print("(no runs yet)")
    return 0


def _cmd_plots(args: argparse.Namespace) -> int:
    from runtime.executor import Runner
    from runtime.plots import all_plots, write_plots

    spec = load_spec(args.spec)
    runner = Runner(spec, Path(args.spec).parent)
    plots = all_plots(runner, runner.run())
    written = write_plots(plots, args.output)
    print(f"Wrote {len(written) - 1} plots and their data (plots.json) to {args.output}")
    for plot in plots:
        print(f"  {plot.key}.png  {plot.title}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="playground",
        description="AI-Playground: build a model from a spec and export its code.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    init = sub.add_parser("init", help="write a default spec for a data file")
    init.add_argument("data", help="CSV, TSV, Parquet, Excel or JSON file")
    init.add_argument("--target", help="the column to predict")
    init.add_argument("--cluster", action="store_true", help="no target: group rows into clusters")
    init.add_argument("-o", "--output", help="where to write the spec (default: DATA.spec.yaml)")
    init.add_argument("--name", help="project name (default: the data file's name)")
    init.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    init.add_argument(
        "--sep", help="CSV delimiter, e.g. ';' or tab (default: detected among , ; tab |)"
    )
    init.add_argument(
        "--encoding",
        help="text encoding of a CSV, TSV or JSON file, e.g. utf-8, cp1252, latin-1 "
        "(default: detected; a BOM means utf-8-sig)",
    )
    init.add_argument(
        "--decimal", help="decimal mark of numbers in a CSV or TSV file, . or , (default: detected)"
    )
    init.add_argument("--sheet", help="the Excel sheet to read, by name (default: the first)")
    init.set_defaults(func=_cmd_init)

    ui = sub.add_parser("ui", help="serve the playground in the browser")
    ui.add_argument("--port", type=int, default=5006, help="port to serve on (default 5006)")
    ui.add_argument(
        "--home", help="where projects are kept (default: $PLAYGROUND_HOME or ~/.playground)"
    )
    ui.add_argument("--show", action="store_true", help="open a browser tab")
    ui.set_defaults(func=_cmd_ui)

    validate = sub.add_parser("validate", help="check a spec and its data file")
    validate.add_argument("spec")
    validate.set_defaults(func=_cmd_validate)

    catalog = sub.add_parser("catalog", help="list every step and model with its parameters")
    catalog.add_argument("--json", action="store_true", help="machine-readable output")
    catalog.set_defaults(func=_cmd_catalog)

    run = sub.add_parser("run", help="train and print the metrics of every split")
    run.add_argument("spec")
    run.add_argument("--json", action="store_true", help="print one JSON object")
    run.set_defaults(func=_cmd_run)

    preview = sub.add_parser("preview", help="what each step does to the data")
    preview.add_argument("spec")
    preview.add_argument("--step", type=int, help="show the first rows and columns after this step")
    preview.set_defaults(func=_cmd_preview)

    export = sub.add_parser("export", help="write the project's code (a folder, or a .zip)")
    export.add_argument("spec")
    export.add_argument(
        "-o", "--output", required=True, help="a directory, or a path ending in .zip"
    )
    export.set_defaults(func=_cmd_export)

    runs = sub.add_parser("runs", help="list the runs of a project, or of every project")
    runs.add_argument(
        "project_or_home",
        metavar="PROJECT_OR_HOME",
        help="a PLAYGROUND_HOME folder (every project's runs), or a project id or name "
        "in $PLAYGROUND_HOME",
    )
    runs.set_defaults(func=_cmd_runs)

    plots = sub.add_parser(
        "plots",
        help="train, then draw the exploration views and the model's plots: one PNG each, "
        "and plots.json with the data of every plot",
    )
    plots.add_argument("spec")
    plots.add_argument("-o", "--output", required=True, help="the directory to write to")
    plots.set_defaults(func=_cmd_plots)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        with warnings.catch_warnings():
            # Library warnings (convergence and the like) would drown the
            # output a person reads; the metrics speak for the model.
            warnings.simplefilter("ignore")
            return args.func(args)
    except (*USER_ERRORS, OSError) as exc:
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        return 2


def _one_line(exc: BaseException) -> str:
    """The message on one line: several problems (an invalid spec) joined by '; '."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    if len(lines) > 1 and lines[0].endswith(":"):
        return f"{lines[0]} {'; '.join(lines[1:])}"
    return "; ".join(lines)


if __name__ == "__main__":
    sys.exit(main())
