"""Benchmarks of the playground against plain pandas/scikit-learn baselines.

Run with `make bench` (all) or `python -m bench NAME ... [--quick]`. Each
benchmark module `bench/bench_<name>.py` measures its baseline in the same
process and run, writes `bench/results/<name>.json`, and `bench/RESULTS.md`
is rebuilt from every JSON file there.
"""
