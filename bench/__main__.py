"""`python -m bench [NAME ...] [--quick]`: run benchmarks, rebuild bench/RESULTS.md."""

from __future__ import annotations

import argparse
import importlib
import sys
import time

from bench.harness import RESULTS_MD, load_all, render_markdown, save

# The order of issue 7's goals; each name is a module bench/bench_<name>.py.
BENCHMARKS = ["preview", "large_data", "training", "quality", "serving", "codegen", "startup"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", help=f"benchmarks to run (default all): {BENCHMARKS}")
    parser.add_argument(
        "--quick", action="store_true", help="smaller sizes, to check that a benchmark runs"
    )
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; choose from {BENCHMARKS}")
    failed = []
    for name in args.names or BENCHMARKS:
        module = importlib.import_module(f"bench.bench_{name}")
        print(f"== {name}", flush=True)
        start = time.perf_counter()
        section = module.run(quick=args.quick)
        section.seconds = time.perf_counter() - start
        section.quick = args.quick
        save(section)
        for goal in section.goals:
            state = "met" if goal.met else "NOT MET"
            print(f"   {goal.name}: {goal.measured:.3g} {goal.unit} (limit {goal.limit:g}) {state}")
            if not goal.met:
                failed.append(f"{name}: {goal.name}")
    RESULTS_MD.write_text(render_markdown(load_all(), BENCHMARKS))
    print(f"wrote {RESULTS_MD.relative_to(RESULTS_MD.parent.parent)}")
    if failed:
        print("goals not met (see bench/RESULTS.md for what limits them):", *failed, sep="\n  ")
    return 0


if __name__ == "__main__":
    sys.exit(main())
