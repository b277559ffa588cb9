"""Read a project's data file again with other read options: the spec that gives.

The options a person may choose are the ones `playground init` takes (sep,
encoding, decimal, sheet_name); the others come from detection, as when the
file was first read. If the file reads into the same columns (names, types),
task and classes, the spec keeps every choice made and only its
dataset.read_options change. Otherwise the choices made for the old columns
no longer fit, and the spec is the default one for the file as now read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from runtime.dataset import OVERRIDE_FLAGS, DataError, sheet_names
from runtime.defaults import default_spec
from runtime.spec import Spec


def chosen_options(spec: Spec) -> dict[str, Any]:
    """The spec's read options a person can choose, as read now (a TSV's sep is a tab)."""
    options = {k: v for k, v in spec.dataset.read_options.items() if k in OVERRIDE_FLAGS}
    if spec.dataset.format == "tsv":
        options["sep"] = "\t"
    if spec.dataset.format in ("csv", "tsv"):
        options.setdefault("decimal", ".")
    return options


def workbook_sheets(spec: Spec, spec_dir: str | Path) -> list[str]:
    """The sheets of the spec's Excel workbook; [] for other formats."""
    if spec.dataset.format != "excel":
        return []
    return sheet_names(Path(spec_dir) / spec.dataset.path)


def reread(
    spec: Spec, spec_dir: str | Path, changes: dict[str, Any], notes: list[str]
) -> tuple[Spec, bool]:
    """The spec reading its data with `changes` to the read options; whether it kept
    the choices made (False: the columns changed and it is the file's default spec).

    A DataError says why the file cannot be read so; `notes` gets what to know.
    """
    unknown = sorted(set(changes) - set(OVERRIDE_FLAGS))
    if unknown:
        raise DataError(f"unknown read option {unknown[0]!r}; known: {', '.join(OVERRIDE_FLAGS)}")
    # The decimal mark (and a thousands separator with it) is detected again unless
    # it is what changes: a new delimiter or encoding can change what it looks like.
    kept = {k: v for k, v in chosen_options(spec).items() if k != "decimal"}
    options = {**kept, **changes}
    data_path = Path(spec_dir) / spec.dataset.path

    def default(target: str | None) -> Spec:
        return default_spec(
            data_path,
            target,
            spec_dir,
            name=spec.name,
            seed=spec.seed,
            read_options=options,
            notes=notes,
        )

    try:
        fresh = default(spec.target)
    except DataError:
        if spec.target is None:
            raise
        fresh = default(None)  # the file reads; the target is what no longer fits
        notes.append(f"{spec.target!r} is no longer a target column read this way")
    if (fresh.columns, fresh.task, fresh.classes) == (spec.columns, spec.task, spec.classes):
        kept = spec.model_copy(deep=True)
        kept.dataset = fresh.dataset
        return kept, True
    return fresh, False
