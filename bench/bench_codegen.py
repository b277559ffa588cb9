"""Code generation: render and format (black's style) every file of the export for a 30-step spec."""

from __future__ import annotations

import cProfile
import io
import pstats
import tempfile
import time
from pathlib import Path

from bench.harness import Goal, Section, ratio, timed
from bench.overhead_data import CATEGORICAL, NUMERIC, STEPS, make_spec, write_data

LIMIT_SECONDS = 1.0
OPERATIONS = ("sum", "difference", "product", "ratio")


def thirty_steps() -> list[dict]:
    """Two cleaning steps, 22 derivations, six fitted steps: 30 in all."""
    derived: list[dict] = []
    for i in range(13):
        left, right = NUMERIC[i % 6], NUMERIC[(i + 1) % 6]
        params = {"left": left, "right": right, "operation": OPERATIONS[i % 4]}
        derived.append({"type": "arithmetic", "params": {**params, "output": f"combined_{i}"}})
    for i, function in enumerate(("log1p", "sqrt", "power", "log1p")):
        params = {"columns": [f"combined_{9 + i}"], "function": function}
        derived.append({"type": "math_transform", "params": params})
    for i in range(5):
        params = {"columns": [NUMERIC[i]], "lower": -100.0, "upper": 100.0 + i}
        derived.append({"type": "clip", "params": params})
    # The transformed columns may be renamed: the later steps leave them alone.
    numbers = NUMERIC + [f"combined_{i}" for i in range(9)]
    fitted = [
        {"type": "rare_categories", "params": {"columns": ["region"]}},
        {"type": "impute_numeric", "params": {"columns": numbers, "strategy": "median"}},
        {"type": "impute_categorical", "params": {"columns": CATEGORICAL}},
        {"type": "one_hot", "params": {"columns": CATEGORICAL, "handle_unknown": "ignore"}},
        {"type": "scale", "params": {"columns": numbers}},
        {"type": "select_variance", "params": {"columns": numbers}},
    ]
    steps = STEPS[:2] + derived + fitted
    assert len(steps) == 30, len(steps)
    return steps


# Takes the missing values the number transforms leave (log of a negative number).
MODEL = {"type": "hist_gradient_boosting_classifier", "params": {"max_iter": 20}}


def run(quick: bool = False) -> Section:
    from generator import formatting, render
    from generator.bundle import render_bundle
    from runtime.executor import PrefixCache, Runner

    repeat = 1 if quick else 7
    section = Section(name="codegen", title="Code generation")
    with tempfile.TemporaryDirectory(prefix="bench-codegen-") as tmp:
        data_path = write_data(Path(tmp), 300)
        spec = make_spec(data_path, steps=thirty_steps(), model=MODEL)
        runner = Runner(spec, data_path.parent, cache=PrefixCache())
        result = runner.run()

        def fresh_bundle():
            # Nothing formatted before: formatted sources are kept by their text.
            formatting.clear_cache()
            return render_bundle(runner, result)

        # The first bundle of a fresh process also compiles every template once.
        render.environment.cache_clear()
        start = time.perf_counter()
        files = fresh_bundle()
        first = time.perf_counter() - start
        bundle = timed(fresh_bundle, repeat=repeat, warmup=0)
        # Exported again (the code shown, then the zip; or after training in the same
        # process): the formatted sources are reused.
        again = timed(lambda: render_bundle(runner, result), repeat=repeat, warmup=0)

        profile = cProfile.Profile()
        profile.enable()
        fresh_bundle()
        profile.disable()
        formatted = _cumulative(profile, "format_sources")

        # What formatting costs, and what black took for the same sources (the
        # formatter before): every source one bundle formats, caught on their way in.
        sources, fallbacks = _formatted_sources(formatting, fresh_bundle)
        ruff_seconds = timed(lambda: formatting.ruff_format(sources), repeat=repeat, warmup=0)
        black_seconds = _black_seconds(sources, repeat)

        python_files = sorted(name for name in files if name.endswith(".py"))
        sizes = {name: len(content) for name, content in files.items() if isinstance(content, str)}

    kb = sum(len(source) for source in sources) / 1000
    black_text = (
        f"black.format_str on the same sources {black_seconds * 1000:.0f} ms "
        f"({ratio(black_seconds, ruff_seconds):.0f}× ruff's); {fallbacks} of them left to "
        "black (long user texts, wide characters)"
    )
    section.goals = [
        Goal(
            "bundle of a 30-step spec",
            bundle,
            LIMIT_SECONDS,
            unit="s",
            detail=f"render_bundle {bundle * 1000:.0f} ms (median, templates compiled; the "
            f"first bundle of a process {first * 1000:.0f} ms); formatting its {len(sources)} "
            f"Python sources ({kb:.0f} kB: files and notebook cells) in one `ruff format` "
            f"run {ruff_seconds * 1000:.0f} ms, {black_text}; {len(files)} files in all.",
        )
    ]
    section.table = [
        {"measure": "render_bundle, median", "seconds": bundle},
        {"measure": "render_bundle, first in the process", "seconds": first},
        {
            "measure": "render_bundle of the same spec again (formatted sources kept)",
            "seconds": again,
        },
        {"measure": "format_sources within a profiled bundle", "seconds": formatted},
        {"measure": "one ruff format run over the bundle's sources", "seconds": ruff_seconds},
        {
            "measure": "black.format_str over the same sources (the former formatter)",
            "seconds": black_seconds,
        },
    ] + [
        {"measure": f"size of {name} (characters)", "seconds": "", "size": sizes[name]}
        for name in python_files
    ]
    section.notes = NOTES + RESULT.format(
        ruff=ruff_seconds * 1000,
        black=black_text,
        rest=(bundle - ruff_seconds) * 1000,
        again=again * 1000,
    )
    return section


def _formatted_sources(formatting, make_bundle) -> tuple[list[str], int]:
    """The sources one bundle hands to the formatter, and how many of them go to black."""
    caught: list[str] = []
    to_black: list[str] = []
    run_ruff, run_black = formatting.ruff_format, formatting.black_format

    def catching(sources):
        caught.extend(sources)
        return run_ruff(sources)

    def counting(source):
        to_black.append(source)
        return run_black(source)

    formatting.ruff_format, formatting.black_format = catching, counting
    try:
        make_bundle()
    finally:
        formatting.ruff_format, formatting.black_format = run_ruff, run_black
    return caught, len(to_black)


def _black_seconds(sources: list[str], repeat: int) -> float:
    import black

    mode = black.Mode(line_length=88)
    # At most three times: it is the comparison, and seconds each on a busy machine.
    return timed(
        lambda: [black.format_str(s, mode=mode) for s in sources], min(repeat, 3), warmup=0
    )


def _cumulative(profile: cProfile.Profile, function: str) -> float:
    stats = pstats.Stats(profile, stream=io.StringIO())
    return sum(value[3] for (_, _, name), value in stats.stats.items() if name == function)


NOTES = """\
How it was measured: a spec of 30 enabled steps (2 cleaning steps, 13 column
combinations, 4 number transforms, 5 clips, rare categories, two imputations,
one-hot encoding, scaling and a variance filter) with hist gradient boosting, trained on
300 rows so that the run itself costs little. `render_bundle` renders every file of
the export (README, spec.yaml, manifest, requirements, preprocessing.py, train.py,
plots.py, predict.py, the notebook, the FastAPI app, its tests, Dockerfile) and
formats every Python file and notebook cell, exactly as the Export tab and
`playground export` do;
it also reads the data file to ship it. The goal is the median over repeated bundles
in one process, with the Jinja templates compiled (a server compiles them once); the
first bundle of a process, which compiles them, is in the table.
"""

RESULT = """
What was done: the generated code used to be formatted by black, file by file and cell
by cell, which was ~1.5 s of the 1.7 s a bundle took (black is compiled, yet formats only
some 40 kB a second here). It is now formatted by ruff's formatter, built to give black's
output: one `ruff format` process over all the bundle's Python files and notebook cells
(written to a temporary folder), with every setting that shapes the output pinned
(line length 88, target py311, double quotes, spaces, LF, magic trailing commas, no
preview) and config files ignored (`--isolated`), so a user's ruff config changes
nothing. Where the two formatters can differ (a long user text standing alone on a line,
a line of code too long, a character of uncertain width) that source alone is formatted
by black (generator/formatting.py, fits_both); ordinary names never need it. Here the
ruff run took {ruff:.0f} ms, {black}. The rest of the bundle, about {rest:.0f} ms, is
Jinja rendering, the YAML spec, the input schema and the notebook; there nbformat
validated every cell when made and again with the notebook (now once, with the
notebook), and the installed versions were looked up for every bundle (now once a
process). tests/test_formatting.py proves black leaves the output unchanged for every
step variation, every model, each decision rule, tuning (tune.py), four example specs,
75-character column names and this 30-step spec; two docstrings in the plot templates
had a last line where black and ruff differ (the closing quotes past the line length)
and were rewrapped so that both agree. Formatted sources are still kept by their text,
so exporting the same spec again costs {again:.0f} ms.
"""
