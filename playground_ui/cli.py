"""The `playground` command: ui (or serve), init, validate, catalog, preview, run, export, plots,
explain, runs, tune.

Every failure a person can cause (a bad file, a wrong column, an invalid
spec) ends with one clear line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import secrets
import sys
import warnings
from pathlib import Path

# The runtime's modules are imported by the commands that use them: together they
# import pandas, pydantic and SQLAlchemy (~1 s), which `playground serve` leaves to a
# thread started once it listens (playground_ui.server).


def user_errors() -> tuple[type[Exception], ...]:
    """The errors a person can cause (a bad file, a wrong column, an invalid spec)."""
    from runtime.dataset import DataError
    from runtime.executor import RunError
    from runtime.spec import SpecError
    from runtime.store import StoreError

    return (SpecError, DataError, RunError, StoreError)


def _cmd_init(args: argparse.Namespace) -> int:
    from runtime.defaults import default_spec
    from runtime.spec import SpecError, save_spec

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
    from runtime.spec import load_spec

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
    from runtime.spec import load_spec

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
    from runtime.spec import SpecError, load_spec

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
    from runtime.spec import load_spec

    spec = load_spec(args.spec)
    out = export(Runner(spec, Path(args.spec).parent), args.output)
    print(f"Exported to {out}")
    return 0


def _cmd_ui(args: argparse.Namespace) -> int:
    from playground_ui.server import serve
    from runtime.settings import playground_home

    home = Path(args.home) if args.home else playground_home()
    login = {}
    password = args.basic_auth or os.environ.get("PLAYGROUND_BASIC_AUTH")
    if password:
        # Panel's own login page: a password, or a JSON file of {user: password}.
        secret = args.cookie_secret or os.environ.get("PLAYGROUND_COOKIE_SECRET")
        login = {"basic_auth": password, "cookie_secret": secret or secrets.token_urlsafe(32)}
    print(f"AI-Playground on http://localhost:{args.port} (projects in {home}); Ctrl+C stops it")
    if password:
        print("Login required (Panel basic authentication).")
    serve(port=args.port, home=home, show=args.show, **login)
    return 0


def _open_runs(args: argparse.Namespace):
    from runtime.store import StoreError

    """(store, projects by id, the runs asked for) from a home folder or a project."""
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
        return store, projects, store.runs()
    chosen = [p for p in projects.values() if str(p.id) == wanted or p.name == wanted]
    if len(chosen) != 1:
        listed = ", ".join(f"{p.id} {p.name!r}" for p in projects.values()) or "none"
        what = "several projects are" if chosen else "no project is"
        raise StoreError(
            f"{what} named {wanted!r} in {home}; give the id of one of these: {listed}"
        )
    return store, projects, store.runs(chosen[0].id)


def _pick_run(runs: list, run_id: int, where: str):
    from runtime.store import StoreError

    for run in runs:
        if run.id == run_id:
            return run
    known = ", ".join(str(r.id) for r in sorted(runs, key=lambda r: r.id)) or "none"
    raise StoreError(f"there is no run {run_id} in {where}; its runs: {known}")


def _cmd_runs(args: argparse.Namespace) -> int:
    from runtime.store import StoreError

    store, projects, runs = _open_runs(args)
    given = args.project_or_home
    where = f"the home {given}" if Path(given).expanduser().is_dir() else f"project {given!r}"
    if args.diff:
        return _print_diff(*(_pick_run(runs, i, where) for i in args.diff), args.yaml)
    if args.export is not None:
        return _export_run(store, _pick_run(runs, args.export, where), args.output)
    if args.output:
        raise StoreError("-o names where --export RUN writes its zip; give --export RUN too")
    ranked = args.metric or args.split or args.model
    if ranked:
        from runtime.leaderboard import default_metric, leaderboard

        metric = args.metric or default_metric(runs)
        split = args.split or "test"
        _check_model(args.model, runs)
        if metric is None:
            print("(no runs yet)")
            return 0
        entries = leaderboard(runs, metric, split, args.model)
        rows = [(e.rank, e.run, e.value) for e in entries]
        heading = f"{metric} ({split})"
    else:
        rows = [(None, run, _main_value(run)) for run in runs]
        heading = "test metric"
    print(
        ("rank  " if ranked else "")
        + f"{'run':>5}  {'project':<20} {'status':<10} {'model':<28} {heading:<22} "
        f"{'started':<17} time"
    )
    for rank, run, value in rows:
        if ranked:
            metric_text = "-" if value is None else f"{value:.6f}"
            prefix = f"{rank if rank is not None else '-':>4}  "
        else:
            metric_text, prefix = value, ""
        started = run.started.astimezone().strftime("%Y-%m-%d %H:%M") if run.started else "-"
        seconds = f"{run.seconds:.1f} s" if run.seconds is not None else "-"
        print(
            f"{prefix}{run.id:>5}  {projects[run.project_id].name[:20]:<20} {run.status:<10} "
            f"{run.model[:28]:<28} {metric_text:<22} {started:<17} {seconds}"
        )
        if run.status == "failed":
            print(f"{'':>7}error: {_one_line(Exception(run.error))}")
    if not rows:
        print("(no runs yet)" if not args.model else f"(no runs of {args.model})")
    return 0


def _main_value(run) -> str:
    main = run.main_metric()
    return f"{main[0]} {main[1]:.6f}" if main else "-"


def _check_model(model: str | None, runs: list) -> None:
    from runtime.models import MODELS_BY_NAME
    from runtime.store import StoreError

    if model and model not in MODELS_BY_NAME:
        trained = ", ".join(sorted({r.model for r in runs})) or "none yet"
        raise StoreError(f"no model type {model!r}; the runs here trained: {trained}")


def _print_diff(old, new, as_yaml: bool) -> int:
    from runtime.spec_diff import spec_diff, yaml_diff

    if as_yaml:
        print(yaml_diff(old.spec, new.spec, f"run {old.id}", f"run {new.id}"), end="")
        return 0
    lines = spec_diff(old.spec, new.spec)
    print(f"From run {old.id} ({old.model}) to run {new.id} ({new.model}):")
    for line in lines or ["(the two specs are the same)"]:
        print(f"  {line}")
    return 0


def _export_run(store, run, output: str | None) -> int:
    from generator.bundle import export
    from runtime.executor import Runner
    from runtime.store import StoreError

    if not output:
        raise StoreError(f"--export {run.id} needs -o OUT.zip (or a folder) to write to")
    if run.status != "finished":
        raise StoreError(f"run {run.id} is {run.status}; only a finished run can be exported")
    runner = Runner(run.spec, store.project_directory(run.project_id))
    out = export(runner, output, run.result())
    print(f"Exported run {run.id} to {out}")
    return 0


def _cmd_plots(args: argparse.Namespace) -> int:
    from runtime.executor import Runner
    from runtime.plots import all_plots, write_plots
    from runtime.spec import load_spec

    spec = load_spec(args.spec)
    runner = Runner(spec, Path(args.spec).parent)
    plots = all_plots(runner, runner.run())
    written = write_plots(plots, args.output)
    print(f"Wrote {len(written) - 1} plots and their data (plots.json) to {args.output}")
    for plot in plots:
        print(f"  {plot.key}.png  {plot.title}")
    return 0


def _cmd_explain(args: argparse.Namespace) -> int:
    from runtime.executor import Runner
    from runtime.explain import explain_default, require_explanation
    from runtime.plots import explain_plots, write_plots
    from runtime.spec import load_spec, parse_spec, save_spec, spec_to_dict

    spec = load_spec(args.spec)
    require_explanation(spec)  # before training, which may take a while
    runner = Runner(spec, Path(args.spec).parent)
    result = runner.run()
    if spec.explain and args.row is None:
        plots = explain_plots(runner, result)
    else:
        spec, plots = explain_default(runner, result, args.row or 0)
    written = write_plots(plots, args.output)
    # The spec recording these explanations (its export's notebook shows them too),
    # its dataset path relative to where it is written.
    data = spec_to_dict(spec)
    data["dataset"]["path"] = os.path.relpath(runner.data_path, Path(args.output).resolve())
    save_spec(parse_spec(data), Path(args.output) / "spec.yaml")
    print(f"Wrote {len(written) - 1} explanations and their data (plots.json) to {args.output}")
    for plot in plots:
        print(f"  {plot.key}.png  {plot.title}")
    print("  spec.yaml  the spec recording these explanations")
    return 0


def _cmd_tune(args: argparse.Namespace) -> int:
    from runtime.executor import Runner
    from runtime.models import MODELS_BY_NAME
    from runtime.search_space import searched_space
    from runtime.spec import SpecError, TuningSpec, load_spec, parse_spec, save_spec
    from runtime.tuning import Tuner

    from .tuning_models import models_option, scaling_warning

    spec = load_spec(args.spec)
    if spec.tuning is None:
        # No section yet: the defaults (TPE on the task's usual metric), checked as any.
        data = spec.model_dump(mode="json")
        data["tuning"] = TuningSpec().model_dump(mode="json", exclude_none=True)
        spec = parse_spec(data)
    proposed: dict = {}
    if args.models is not None:
        # This run's models, checked as the spec's own; a model left out takes its
        # space entries with it. The suggested models come with the ranges proposed
        # for them (runtime.defaults.suggested_space), unless the spec sets those.
        base = Path(args.spec).parent

        def target():
            return Runner(spec, base).raw_data()[spec.target]

        models, proposed = models_option(spec, args.models, target)
        data = spec.model_dump(mode="json")
        data["tuning"]["models"] = models
        space = {**proposed, **data["tuning"]["space"]}
        data["tuning"]["space"] = searched_space(space, spec.model.type, models)
        spec = parse_spec(data)
    for name, value in (("--trials", args.trials), ("--timeout", args.timeout)):
        if value is not None and value <= 0:
            raise SpecError(f"{name} {value}: give a number above 0")
    if args.workers < 1:
        raise SpecError(f"--workers {args.workers}: give 1 or more worker processes")
    if args.average and not spec.tuning.models:
        raise SpecError(
            "--average: averages the best of several models; give --models too "
            "(e.g. --models suggested)"
        )
    tuner = Tuner(spec, Path(args.spec).parent, storage=args.storage, study=args.study)
    tuner.study()  # a storage that cannot be opened is said before anything else
    tuning = spec.tuning
    warning = scaling_warning(spec, tuning.models)
    if warning:
        print(f"warning: {warning}", file=sys.stderr)
    searched = spec.model.type
    if tuning.models:
        searched = f"{', '.join([spec.model.type, *tuning.models])} (the best of these models)"
    print(
        f"Tuning {searched} by {tuning.metric} ({tuning.method}, {tuning.cv_folds}-fold "
        f"cross-validation of the training split), study {tuner.study_name!r}, "
        f"{args.workers} worker(s)",
        flush=True,
    )
    for key, entry in proposed.items():
        choices = ", ".join(map(repr, entry["choices"]))
        print(f"  searching {key} over {choices} too: the target has no value below 0")
    outcome = tuner.tune(
        trials=args.trials,
        timeout=args.timeout,
        workers=args.workers,
        on_progress=lambda progress: print(f"  {progress.line()}", flush=True),
        average=args.average,
    )
    print(
        f"best {tuning.metric}: {outcome.value!r} (trial {outcome.spec.tuning.best.trial} of "
        f"{outcome.trials}; refitted: {outcome.refit_value!r})"
    )
    winner = outcome.model
    if tuning.models:
        instead = "" if winner == spec.model.type else f", in place of {spec.model.type}"
        print(f"best model: {winner} ({MODELS_BY_NAME[winner].title}){instead}")
    for name, value in outcome.params.items():
        print(f"  {name} = {value!r}")
    spec_path = Path(args.spec)
    out = Path(args.output) if args.output else spec_path.with_name(f"{spec_path.stem}_tuned.yaml")
    tuned = outcome.spec
    if outcome.average is not None:
        names = " + ".join(name for name, _ in outcome.average.members)
        print(
            f"the average of {names} scores better: {tuning.metric} "
            f"{outcome.average.value!r} against {outcome.average.alone!r} for {winner} alone "
            "(on folds shuffled otherwise than the search's); the tuned spec is that average "
            "ensemble"
        )
        tuned = outcome.average.spec
    elif args.average:
        print("no average of the best models scored better than the best model")
    if out.parent.resolve() != spec_path.parent.resolve():
        # The data path is relative to the spec's folder: keep it pointing at the file.
        data = (spec_path.parent / spec.dataset.path).resolve()
        tuned.dataset.path = Path(os.path.relpath(data, out.parent.resolve())).as_posix()
    out.parent.mkdir(parents=True, exist_ok=True)
    save_spec(tuned, out)
    print(f"Wrote the tuned spec to {out}")
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

    ui = sub.add_parser("ui", aliases=["serve"], help="serve the playground in the browser")
    ui.add_argument("--port", type=int, default=5006, help="port to serve on (default 5006)")
    ui.add_argument(
        "--home", help="where projects are kept (default: $PLAYGROUND_HOME or ~/.playground)"
    )
    ui.add_argument("--show", action="store_true", help="open a browser tab")
    ui.add_argument(
        "--basic-auth",
        metavar="PASSWORD_OR_FILE",
        help="ask for a login: one password for all, or a JSON file mapping user names to "
        "passwords (default: $PLAYGROUND_BASIC_AUTH; none: no login)",
    )
    ui.add_argument(
        "--cookie-secret",
        help="signs the login cookies; set it to keep people logged in across restarts "
        "(default: $PLAYGROUND_COOKIE_SECRET, else a new random one per start)",
    )
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

    runs = sub.add_parser(
        "runs",
        help="list, rank and compare the runs of a project (or of every project); " "export one",
    )
    runs.add_argument(
        "project_or_home",
        metavar="PROJECT_OR_HOME",
        help="a PLAYGROUND_HOME folder (every project's runs), or a project id or name "
        "in $PLAYGROUND_HOME",
    )
    runs.add_argument(
        "--metric", help="rank by this metric, best first (default: the task's main metric)"
    )
    runs.add_argument(
        "--split", help="rank on this split: test (default), validation, train, or cv (the CV mean)"
    )
    runs.add_argument("--model", help="only runs of this model type")
    runs.add_argument(
        "--diff",
        nargs=2,
        type=int,
        metavar=("A", "B"),
        help="what changed from run A's spec to run B's",
    )
    runs.add_argument("--yaml", action="store_true", help="with --diff: the unified YAML diff")
    runs.add_argument(
        "--export", type=int, metavar="RUN", help="export this run's project (with -o)"
    )
    runs.add_argument("-o", "--output", help="with --export: a directory, or a path ending in .zip")
    runs.set_defaults(func=_cmd_runs)

    plots = sub.add_parser(
        "plots",
        help="train, then draw the exploration views and the model's plots: one PNG each, "
        "and plots.json with the data of every plot",
    )
    plots.add_argument("spec")
    plots.add_argument("-o", "--output", required=True, help="the directory to write to")
    plots.set_defaults(func=_cmd_plots)

    explain = sub.add_parser(
        "explain",
        help="train, then explain the model: SHAP importance, beeswarm and one row's SHAP "
        "values, permutation importance and partial dependence; one PNG each, plots.json, "
        "and spec.yaml recording them (without --row, the spec's own `explain` list if it "
        "has one)",
    )
    explain.add_argument("spec")
    explain.add_argument("-o", "--output", required=True, help="the directory to write to")
    explain.add_argument(
        "--row", type=int, help="the test row (its position, from 0) to explain (default 0)"
    )
    explain.set_defaults(func=_cmd_explain)

    tune = sub.add_parser(
        "tune",
        help="search the model's parameters with Optuna (the spec's tuning section, or "
        "the defaults) and write the tuned spec",
    )
    tune.add_argument("spec")
    tune.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    tune.add_argument("--trials", type=int, help="trials to add (default: tuning.n_trials)")
    tune.add_argument("--timeout", type=float, help="seconds per worker (default: none)")
    tune.add_argument(
        "--storage",
        help="an Optuna storage URL, e.g. postgresql://... (default: "
        "$PLAYGROUND_OPTUNA_STORAGE, else a SQLite file in PLAYGROUND_HOME)",
    )
    tune.add_argument(
        "--models",
        help="other models the search may choose instead of the spec's, comma-separated "
        "(e.g. random_forest_classifier,xgboost_classifier); 'suggested' for the ones "
        "the playground proposes, 'none' for the spec's model alone (default: "
        "tuning.models)",
    )
    tune.add_argument(
        "--average",
        action="store_true",
        help="with several models, also try averaging the best ones (each at its best "
        "parameters); when the average scores better than the best model alone, the tuned "
        "spec is that average ensemble",
    )
    tune.add_argument("--study", help="the study's name (default: derived from the spec)")
    tune.add_argument(
        "-o", "--output", help="where to write the tuned spec (default: SPEC_tuned.yaml)"
    )
    tune.set_defaults(func=_cmd_tune)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        with warnings.catch_warnings():
            # Library warnings (convergence and the like) would drown the
            # output a person reads; the metrics speak for the model.
            warnings.simplefilter("ignore")
            return args.func(args)
    except Exception as exc:
        if not isinstance(exc, (*user_errors(), OSError)):
            raise
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
