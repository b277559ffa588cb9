"""Run a spec by running the code the generator renders for it.

Nothing here implements a step: previews execute the step's rendered snippet
(a module holding just that step), training executes the rendered
preprocessing.py and train.py. This module only instruments them: it checks
column references, caches results by spec prefix, times and reports.
"""

from __future__ import annotations

import hashlib
import json
import sys
import threading
import time
import types
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from runtime.dataset import (
    DataError,
    preview_rows,
    preview_sample,
    read_error,
    sample_note,
    sha256_of,
)
from runtime.models import MODELS_BY_NAME, size_warning
from runtime.preview_stats import changed_columns, column_summary, missing_count
from runtime.spec import Spec, steps_using
from runtime.steps import STEPS_BY_NAME


class RunError(RuntimeError):
    """A spec that could not run, with a message a person can act on."""


def _renderer():
    # The runtime calls the generator only to render the code it runs.
    from generator import render

    return render


_IMPORT_LOCK = threading.Lock()


def read_with(dataset, path: str | Path, cache: PrefixCache | None = None) -> pd.DataFrame:
    """Read a data file through the generated read_data for these options.

    With a `cache`, the frame is kept under the key `Runner.raw_data` looks up:
    the file read to write a default spec is not read again to show it. The
    cached frame is shared: change a copy of it, never the frame itself.
    """

    def read() -> Frame:
        module, _ = load_modules(_renderer().render_reader(dataset))
        return Frame(module.read_data(str(path)))

    if cache is None:
        return read().data
    return cache.get_or_compute(read_key(sha256_of(path), dataset), "read", read).data


def read_key(sha: str, dataset) -> str:
    """The cache key of a file's content as read with the dataset's options."""
    return _key("read", sha, _renderer().read_call(dataset))


@lru_cache(maxsize=512)
def compiled(source: str, filename: str) -> types.CodeType:
    """The code object of rendered `source`, compiled once per process.

    Only the code is shared: every load executes it into a new module, whose
    functions, classes and globals are its own, so modules stay independent.
    """
    return compile(source, filename, "exec")


def load_modules(preprocessing_source: str, train_source: str | None = None):
    """Execute rendered sources as the modules `preprocessing` and `train`.

    train.py does `from preprocessing import ...`; while it executes, the
    freshly built preprocessing module stands in sys.modules under a lock, so
    runs of different specs never see each other's code.
    """
    prep = types.ModuleType("preprocessing")
    # Running the rendered code is the point: it is the code we export.
    exec(compiled(preprocessing_source, "preprocessing.py"), prep.__dict__)  # noqa: S102
    if train_source is None:
        return prep, None
    return prep, load_beside(prep, "train", train_source)


_PREVIEW_MODULES: OrderedDict[tuple[str, str | None], tuple] = OrderedDict()
_PREVIEW_MODULES_LOCK = threading.Lock()


def preview_modules(preprocessing_source: str, train_source: str | None = None):
    """load_modules, remembered by source for previews: an edit re-renders every step
    it recomputes, and the step modules it had run before need not be executed again.
    Their functions build new objects on every call, so sharing them is safe."""
    key = (preprocessing_source, train_source)
    with _PREVIEW_MODULES_LOCK:
        if key in _PREVIEW_MODULES:
            _PREVIEW_MODULES.move_to_end(key)
            return _PREVIEW_MODULES[key]
    modules = load_modules(preprocessing_source, train_source)
    with _PREVIEW_MODULES_LOCK:
        _PREVIEW_MODULES[key] = modules
        while len(_PREVIEW_MODULES) > 256:
            _PREVIEW_MODULES.popitem(last=False)
    return modules


def load_beside(prep: types.ModuleType, name: str, source: str) -> types.ModuleType:
    """Execute rendered `source` as the module `name` (train.py, plots.py), which may
    `from preprocessing import ...`: `prep` answers that import."""
    module = types.ModuleType(name)
    module.__file__ = f"{name}.py"  # train.py derives its default data path from it
    with standing_in(prep):
        exec(compiled(source, f"{name}.py"), module.__dict__)  # noqa: S102
    return module


@contextmanager
def standing_in(prep: types.ModuleType) -> Iterator[types.ModuleType]:
    """`prep` is the module `preprocessing` while the block runs, under a lock.

    For code that imports it (train.py, plots.py), and for joblib saving or
    loading a fitted pipeline, which refers to the functions of preprocessing.py
    by name.
    """
    with _IMPORT_LOCK:
        saved = sys.modules.get("preprocessing")
        sys.modules["preprocessing"] = prep
        try:
            yield prep
        finally:
            if saved is None:
                sys.modules.pop("preprocessing", None)
            else:
                sys.modules["preprocessing"] = saved


class PrefixCache:
    """Results keyed by the hash of the spec prefix they depend on (LRU)."""

    def __init__(self, capacity: int = 128):
        self.capacity = capacity
        self._items: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.computed: list[str] = []  # what was computed, for tests and logs

    def get_or_compute(self, key: str, label: str, compute):
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = compute()
        with self._lock:
            self.computed.append(label)
            self._items[key] = value
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


CACHE = PrefixCache()


def _key(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


@dataclass
class Frame:
    """The data after some step: full rows before the split, training features after."""

    data: pd.DataFrame
    target: pd.Series | None = None
    fitted: Any = None


@dataclass
class StepPreview:
    """What a step did. The numbers are computed when first read (accepting an edit
    previews the step only to run it), and only for the columns the step changed:
    the others' come from the frame before it (runtime/preview_stats.py)."""

    index: int
    type: str
    stage: str
    rows_before: int
    rows_after: int
    columns_added: list[str]
    columns_removed: list[str]
    before: pd.DataFrame = field(repr=False)
    after: pd.DataFrame = field(repr=False)

    @cached_property
    def missing_before(self) -> int:
        return missing_count(self.before)

    @cached_property
    def missing_after(self) -> int:
        # The summary counts them per column, mostly reusing the frame before's counts.
        return int(self.summary["missing"].sum())

    @cached_property
    def head(self) -> pd.DataFrame:
        return self.after.head(10)

    @cached_property
    def summary(self) -> pd.DataFrame:
        return column_summary(self.after, self.before)

    @cached_property
    def columns_changed(self) -> list[str]:
        """Columns kept, on the same rows, whose values (or dtype) the step changed."""
        return changed_columns(self.before, self.after)

    def _outline_parts(self) -> list[str]:
        # Column steps are fitted and previewed on the training split.
        rows = "rows" if self.stage == "clean" else "training rows"
        parts = [f"{self.rows_after} {rows}"]
        if self.rows_after != self.rows_before:
            parts.append(f"{self.rows_before - self.rows_after} removed")
        if self.columns_added:
            parts.append(f"added {', '.join(map(repr, self.columns_added[:8]))}")
        if self.columns_removed:
            parts.append(f"removed {', '.join(map(repr, self.columns_removed[:8]))}")
        return parts

    def outline(self) -> str:
        """The start of `describe`, known without comparing or summarising columns:
        rows kept and removed, columns added and removed. The Prepare tab draws it with
        the first rows at once, and the rest when the statistics are ready."""
        return "; ".join(self._outline_parts())

    def describe(self) -> str:
        parts = self._outline_parts()
        if self.columns_changed:
            parts.append(f"changed values in {', '.join(map(repr, self.columns_changed[:8]))}")
        # Fewer gaps on the same rows and columns: the step filled them.
        if (
            self.missing_after < self.missing_before
            and self.rows_after == self.rows_before
            and not self.columns_removed
        ):
            parts.append(f"{self.missing_before - self.missing_after} missing values filled")
        return "; ".join(parts)


class RunResult:
    """A run's report (its metrics and the rest), fitted pipeline, seconds and spec, and
    what a person should know about it (`warnings`, e.g. that the data is large for the
    model).

    A recorded run's pipeline may come as `load_pipeline` instead, called on the first
    use of `pipeline` (Run.result): showing the metrics needs only the report, and
    unpickling the model cost 10-35 ms of the wait after the Train click. The plots,
    explanations and exports that use it load it then, once."""

    def __init__(
        self,
        report: dict,
        pipeline: Any,
        seconds: float,
        spec: Spec,
        warnings: list[str] | None = None,
        *,
        load_pipeline: Callable[[], Any] | None = None,
    ):
        if (pipeline is None) == (load_pipeline is None):
            raise ValueError("give the pipeline or a function that loads it, not both")
        self.report, self.seconds, self.spec = report, seconds, spec
        self.warnings = list(warnings or [])
        self._pipeline, self._load_pipeline = pipeline, load_pipeline
        self._loading = threading.Lock()  # plots and explanations may ask from threads

    @property
    def pipeline(self) -> Any:
        if self._pipeline is None:
            with self._loading:
                if self._pipeline is None:
                    self._pipeline = self._load_pipeline()
        return self._pipeline

    @property
    def metrics(self) -> dict:
        return self.report["metrics"]

    def __repr__(self) -> str:
        return f"<RunResult {self.spec.model.type} on {self.spec.name!r}, {self.seconds:.2f} s>"


def cluster_warnings(spec: Spec, report: dict) -> list[str]:
    """Why the cluster scores are missing when the model found fewer than two clusters."""
    if spec.task != "clustering":
        return []
    sizes = report["cluster_sizes"]["train"]
    found = sum(1 for label, size in sizes.items() if label != "noise" and size > 0)
    if found >= 2:
        return []
    noise = sizes.get("noise", 0)
    rows = report["rows"]["train"]
    what = "no cluster" if found == 0 else "a single cluster"
    left = ""
    if noise:
        left = f", and left {'all' if noise == rows else noise} of them out as noise"
    message = (
        f"{MODELS_BY_NAME[spec.model.type].title} found {what} in the {rows} training rows"
        f"{left}: silhouette, Calinski-Harabasz and Davies-Bouldin need at least two "
        "clusters, so they are not shown. Try other model parameters (DBSCAN: a larger eps "
        "or a smaller min_samples) or scale the features."
    )
    return [message]


def _classes_trained_on(report: dict) -> int:
    """How many classes the training split holds: the non-empty rows of its confusion
    matrix (rows are the true classes)."""
    return sum(1 for row in report["confusion_matrix"]["train"] if sum(row) > 0)


class Runner:
    """Runs one spec whose dataset path is relative to `base_dir`."""

    def __init__(self, spec: Spec, base_dir: str | Path = ".", cache: PrefixCache = CACHE):
        self.spec = spec
        self.base_dir = Path(base_dir)
        self.cache = cache
        self._modules = None
        # Within one preview (`_one_look`): the file's hash and frame, checked once. Per
        # thread: a session may preview with one runner from more than one thread.
        self._looks = threading.local()

    @property
    def _looked(self) -> dict[str, Any] | None:
        return getattr(self._looks, "found", None)

    @_looked.setter
    def _looked(self, found: dict[str, Any] | None) -> None:
        self._looks.found = found

    @contextmanager
    def _one_look(self) -> Iterator[None]:
        """Check the data file once for everything one preview asks: its ten steps'
        keys each need the file's hash and row count, and each check resolves the path,
        stats the file and builds the read key. Outside a preview every call checks."""
        if self._looked is not None:
            yield
            return
        self._looked = {}
        try:
            yield
        finally:
            self._looked = None

    # -- data ------------------------------------------------------------

    @property
    def data_path(self) -> Path:
        return (self.base_dir / self.spec.dataset.path).resolve()

    def data_sha256(self) -> str:
        if self._looked is not None and "sha256" in self._looked:
            return self._looked["sha256"]
        path = self.data_path
        if not path.is_file():
            raise DataError(
                f"dataset not found: {self.spec.dataset.path} (relative to the spec's folder); "
                "put the file there or fix dataset.path"
            )
        digest = sha256_of(path)  # kept while the file is unchanged
        expected = self.spec.dataset.sha256
        if expected and digest != expected:
            raise DataError(
                f"dataset {self.spec.dataset.path} has changed since the spec was written "
                f"(sha256 {digest[:12]}…, spec says {expected[:12]}…); restore the file, or "
                "set dataset.sha256 to the new hash if the change is intended"
            )
        if self._looked is not None:
            self._looked["sha256"] = digest
        return digest

    def check(self) -> None:
        """Read the data and run the enabled steps on it: a missing or changed file, a
        column the data lacks, a step naming a column that is not there, raise here."""
        self.raw_data()
        active = self.spec.active_steps()
        if active:
            self.preview(active[-1][0])

    def raw_data(self) -> pd.DataFrame:
        """Every row of the data file, read by the generated read_data (read once:
        the frame is cached under the file's hash and the read options)."""
        if self._looked is not None and "raw" in self._looked:
            return self._looked["raw"]
        self.data_sha256()  # a missing or changed file is refused before reading
        dataset = self.spec.dataset
        try:
            # read_data alone, rendered as preprocessing.py renders it: reading
            # needs neither the steps nor the model's imports.
            data = read_with(dataset, self.data_path, self.cache)
        except Exception as exc:  # noqa: BLE001 - any reader error becomes a clear message
            raise read_error(
                self.data_path, dataset.path, dataset.format, dataset.read_options, exc
            ) from None
        frame = Frame(data)
        present = set(frame.data.columns)
        missing = [c.name for c in self.spec.columns if c.name not in present]
        if missing:
            users = steps_using(self.spec, missing)
            used = f" (used by step(s) {', '.join(map(str, users))})" if users else ""
            raise DataError(
                f"columns {missing[:5]} of the spec are not in {self.spec.dataset.path}{used}; "
                f"its columns are {list(frame.data.columns)[:20]}; remove them from the spec's "
                "columns and steps, or use data that has them"
            )
        if self._looked is not None:
            self._looked["raw"] = frame.data
        return frame.data

    def preview_data(self) -> pd.DataFrame:
        """The rows previews and exploration start from: every row, or beyond
        $PLAYGROUND_PREVIEW_ROWS a sample of that many seeded by the spec's seed.
        Training (run, split_frames, jobs, train.py) uses every row."""
        data = self.raw_data()
        sample = self.sample_key()
        if sample is None:
            return data
        limit, seed = sample
        key = _key("preview sample", self.data_sha256(), sample)
        return self.cache.get_or_compute(key, "sample", lambda: preview_sample(data, limit, seed))

    def sample_key(self) -> list[int] | None:
        """[rows, seed] of the preview sample, None when previews see every row.
        Part of every preview's cache key: a sample is other data."""
        limit = preview_rows()
        if len(self.raw_data()) <= limit:
            return None
        return [limit, self.spec.seed]

    def sample_note(self) -> str:
        """'on a seeded sample of 250,000 of 1,000,000 rows', or '' without a sample."""
        return sample_note(len(self.preview_data()), len(self.raw_data()))

    # -- rendered code -----------------------------------------------------

    def modules(self):
        """The rendered preprocessing.py and train.py, executed."""
        if self._modules is None:
            render = _renderer()
            # Unformatted: the code the export holds, without black's second per spec.
            self._modules = load_modules(
                render.render_preprocessing(self.spec, formatted=False),
                render.render_train(self.spec, Path(self.spec.dataset.path).name, formatted=False),
            )
        return self._modules

    # -- previews ----------------------------------------------------------

    def _prefix_key(self, upto: int, after_split: bool | None = None) -> str:
        """The cache key of the data after step `upto` (0: as read, or sampled).

        Keys are chained: step k's key is the digest of step k-1's key and of step k
        alone, so the keys of a 10-step spec cost ten small digests, not the digests
        of 1, 2, ... 10 steps. Any change to the data, the read options, the target,
        the sample or an earlier enabled step changes every later key. After the
        split, the spec's columns, task, classes, split and seed belong to it too.
        """
        # The spec's parts are worked out once per runner (whose spec, like its
        # modules, is fixed); the data's hash is checked on every call.
        digest = self.data_sha256()
        sample = self.sample_key()  # a sample is other data
        memo = self.__dict__.setdefault("_prefix_keys", {})
        memo_key = (upto, after_split, digest, tuple(sample or ()))
        if memo_key in memo:
            return memo[memo_key]
        split = after_split
        if split is None:
            first = self._first_pipeline_step
            split = first is not None and upto >= first
        key = self._steps_key(upto, digest, sample)
        if split:
            key = _key("after the split", key, self._split_parts)
        memo[memo_key] = key
        return key

    def _steps_key(self, upto: int, digest: str, sample: list[int] | None) -> str:
        """The chained key of the enabled steps 1..`upto` on this data (no split)."""
        chain = self.__dict__.setdefault("_chain_keys", {})
        data = (digest, tuple(sample or ()))
        # Clean steps see the file as read_data reads it (format and options) and
        # may use TARGET (drop_missing_target), so both belong to every key.
        done = 0
        key = chain.get((0, data))
        if key is None:
            key = _key("data", digest, self._read_call, self.spec.target, sample)
            chain[(0, data)] = key
        for position in range(upto, 0, -1):  # resume after the last key worked out
            if (position, data) in chain:
                done, key = position, chain[(position, data)]
                break
        for position in range(done + 1, upto + 1):
            if self.spec.steps[position - 1].enabled:  # a disabled step changes nothing
                key = _key("step", key, self._step_digest(position))
            chain[(position, data)] = key
        return key

    def _step_digest(self, position: int) -> str:
        """The digest of step `position`'s type, parameters and state, once per runner."""
        digests = self.__dict__.setdefault("_spec_digests", {})
        if position not in digests:
            step = self.spec.steps[position - 1]
            digests[position] = _key(step.model_dump(mode="json"))
        return digests[position]

    def reuse_keys(self, other: Runner) -> None:
        """Take the chained keys `other` worked out for the steps both specs share.

        An edit makes a new spec whose steps before the edited one are those of the
        spec before it: their keys (on the same data, read the same way, for the same
        target) are the same, and need not be digested again. Keys after the first
        step that differs, and after the split, are this runner's own work.
        """
        mine, theirs = self.spec, other.spec
        if mine.dataset != theirs.dataset or mine.target != theirs.target:
            return
        shared = 0
        for step, their_step in zip(mine.steps, theirs.steps, strict=False):
            if step != their_step:
                break
            shared += 1
        # Copies (made without yielding to other threads), then filtered.
        chain = dict(other.__dict__.get("_chain_keys", {}))
        digests = dict(other.__dict__.get("_spec_digests", {}))
        own_chain = self.__dict__.setdefault("_chain_keys", {})
        for (position, data), key in chain.items():
            if position <= shared:
                own_chain.setdefault((position, data), key)
        own_digests = self.__dict__.setdefault("_spec_digests", {})
        for position, digest in digests.items():
            if position <= shared:
                own_digests.setdefault(position, digest)

    @cached_property
    def _read_call(self) -> str:
        return _renderer().read_call(self.spec.dataset)

    @cached_property
    def _first_pipeline_step(self) -> int | None:
        """The first enabled step after the split (a derive or learn step), if any."""
        return next(
            (i for i, s in self.spec.active_steps() if STEPS_BY_NAME[s.type].stage != "clean"),
            None,
        )

    @cached_property
    def _split_parts(self) -> str:
        """The digest of what the split depends on besides the rows it splits."""
        parts = self.spec.model_dump(
            mode="json", include={"columns", "task", "classes", "split", "seed"}
        )
        return _key(parts)

    def _frame_before(self, index: int) -> Frame:
        """The frame a step at position `index` receives."""
        earlier = [i for i, _ in self.spec.active_steps() if i < index]
        if earlier:
            frame = self._frame_after(earlier[-1])
        else:
            frame = Frame(self.preview_data())
        stage = STEPS_BY_NAME[self.spec.steps[index - 1].type].stage
        if stage != "clean" and (not earlier or self._stage_of(earlier[-1]) == "clean"):
            frame = self._split_for_training(frame, index)
        return frame

    def _stage_of(self, index: int) -> str:
        return STEPS_BY_NAME[self.spec.steps[index - 1].type].stage

    def _split_for_training(self, frame: Frame, index: int) -> Frame:
        # The split depends on the seed, fractions, task and columns too.
        key = _key(self._prefix_key(index - 1, after_split=True), "split")

        def split() -> Frame:
            # The rendered train.py, unformatted: black would cost more than the split.
            render = _renderer()
            _, train = preview_modules(
                render.render_preprocessing(self.spec, formatted=False),
                render.render_train(self.spec, Path(self.spec.dataset.path).name, formatted=False),
            )
            parts = self._guard("split", lambda: train.split_data(frame.data))
            X, y = self._guard("target", lambda: train.features_and_target(parts["train"]))
            return Frame(X, y)

        return self.cache.get_or_compute(key, "split", split)

    def _frame_after(self, index: int) -> Frame:
        step = self.spec.steps[index - 1]
        key = self._prefix_key(index)

        def compute() -> Frame:
            before = self._frame_before(index)
            self._check_columns(index, before.data)
            where = f"steps[{index}] ({step.type})"
            render = _renderer()
            module, _ = preview_modules(
                render.render_preprocessing(self.spec, only=[index], formatted=False)
            )
            if self._stage_of(index) == "clean":
                # A cleaning step may assign to `df` in place (replace_values does): it
                # gets a shallow copy (copy-on-write), so the cached frame before it,
                # and the numbers kept for it, stay as they are.
                data = self._guard(where, lambda: module.clean(before.data.copy(deep=False)))
                if data.empty:
                    raise RunError(
                        f"steps[{index}] ({step.type}) removed every row; loosen it or remove it"
                    )
                return Frame(data)
            transformer = module.build_preprocessing()
            data = self._guard(where, lambda: transformer.fit_transform(before.data, before.target))
            return Frame(data, before.target, transformer)

        return self.cache.get_or_compute(key, f"step{index}:{step.type}", compute)

    def _check_columns(self, index: int, data: pd.DataFrame) -> None:
        step = self.spec.steps[index - 1]
        decl = STEPS_BY_NAME[step.type]
        for param in decl.params:
            if param.kind not in ("column", "columns"):
                continue
            value = step.params.get(param.name)
            names = [value] if isinstance(value, str) else (value or [])
            absent = [n for n in names if n not in data.columns]
            if absent:
                here = ", ".join(map(repr, list(data.columns)[:30]))
                raise RunError(
                    f"steps[{index}] ({step.type}): column {absent[0]!r} does not exist at this "
                    f"point; the columns here are: {here}"
                )
            if param.column_kind == "numeric":
                dtypes = data.dtypes  # no column taken out of the frame to ask its type
                text = [n for n in names if not pd.api.types.is_numeric_dtype(dtypes[n])]
                if text:
                    raise RunError(
                        f"steps[{index}] ({step.type}): column {text[0]!r} holds "
                        f"{data[text[0]].dtype} values, not numbers; change its type to "
                        "number or encode it in an earlier step, or choose a numeric column"
                    )

    @staticmethod
    def _guard(what: str, action):
        try:
            return action()
        except (RunError, DataError):
            raise
        except Exception as exc:
            raise RunError(f"{what} failed: {type(exc).__name__}: {exc}") from exc

    def preview(self, index: int) -> StepPreview:
        """What step `index` (1-based) did to the data."""
        step = self.spec.steps[index - 1]
        if not step.enabled:
            raise RunError(f"steps[{index}] ({step.type}) is disabled; enable it to preview it")
        with self._one_look():
            before = self._frame_before(index).data
            after = self._frame_after(index).data
        # As lists: iterating a frame's columns (Arrow-backed strings) converts each name.
        listed_before, listed_after = before.columns.tolist(), after.columns.tolist()
        names_before, names_after = set(listed_before), set(listed_after)
        return StepPreview(
            index=index,
            type=step.type,
            stage=self._stage_of(index),
            rows_before=len(before),
            rows_after=len(after),
            columns_added=[c for c in listed_after if c not in names_before],
            columns_removed=[c for c in listed_before if c not in names_after],
            before=before,
            after=after,
        )

    def data_after(self, index: int) -> pd.DataFrame:
        """The data after step `index`: all rows after a cleaning step, the training
        split's features after a column step."""
        with self._one_look():
            return self._frame_after(index).data

    def previews(self) -> list[StepPreview]:
        return [self.preview(i) for i, _ in self.spec.active_steps()]

    # -- training ------------------------------------------------------------

    def run(self) -> RunResult:
        """Run train() on the data; if it fails, say which step failed and why.

        Training is not preceded by a preview of every step: that would fit each step
        once more and summarise its output, work the training does not need. The
        previews' checks (columns a step names, a training split with one class) run
        when training fails, to turn a library's error into a message naming the step.
        """
        start = time.perf_counter()
        df = self.raw_data()
        _, train = self.modules()
        try:
            pipeline, report = train.train(df)
        except (RunError, DataError):
            raise
        except Exception as exc:
            self._diagnose()
            raise RunError(f"training failed: {type(exc).__name__}: {exc}") from exc
        if self.spec.is_classification and _classes_trained_on(report) < 2:
            self._check_training_split()  # raises, naming the one class and the split
        warnings = self._size_warnings(report, pipeline) + cluster_warnings(self.spec, report)
        seconds = time.perf_counter() - start
        return RunResult(report, pipeline, seconds, self.spec, warnings=warnings)

    def _diagnose(self) -> None:
        """Raise the message of the first step that fails on its own, of a training
        split with a single class, or of a target below 0 for a model parameter that
        needs zero or more; return if none explains a failed training."""
        self.previews()
        self._check_training_split()
        self._check_target_sign()

    def _size_warnings(self, report: dict, pipeline: Any) -> list[str]:
        """warnings(), from the shape the model was trained on (no step is run again)."""
        columns = getattr(pipeline[-1], "n_features_in_", None)
        if columns is None:
            return self.warnings()
        warning = size_warning(self.spec.model.type, report["rows"]["train"], columns)
        return [warning] if warning else []

    def warnings(self) -> list[str]:
        """What to know before training: whether the data is large for the model.

        Cheap to call before run(): the step previews it computes are cached.
        """
        rows, columns = self.training_shape()
        warning = size_warning(self.spec.model.type, rows, columns)
        return [warning] if warning else []

    def training_shape(self) -> tuple[int, int]:
        """(rows, columns) the model is trained on.

        Exact after a column step (its preview is the training split); otherwise
        the training share of the cleaned rows, and the spec's feature columns.
        Previews on a sample count its rows scaled up to the whole data.
        """
        scale = len(self.raw_data()) / len(self.preview_data())
        active = [i for i, _ in self.spec.active_steps()]
        if active and self._stage_of(active[-1]) != "clean":
            rows, columns = self._frame_after(active[-1]).data.shape
            return round(rows * scale), columns
        data = self._frame_after(active[-1]).data if active else self.preview_data()
        return round(len(data) * scale * self.spec.split.train), len(self.spec.features)

    def _check_training_split(self) -> None:
        """A classifier needs at least two classes in its training rows."""
        if not self.spec.is_classification:
            return
        train_rows = self._guard("split", lambda: self.split_frames()["train"])
        classes = train_rows[self.spec.target].dropna().unique().tolist()
        if len(classes) < 2:
            split = self.spec.split
            how = {
                "random": "a random split",
                "time": f"a time split ordered by {split.time_column!r}",
                "group": f"a group split by {split.group_column!r}",
            }[split.kind]
            raise RunError(
                f"the training split holds only the class {classes[0]!r} after {how}; "
                "a classifier needs at least two. Choose another split kind or column, "
                "or a larger training share."
            )

    def _check_target_sign(self) -> None:
        """A model parameter value that needs a target of zero or more (a declared
        NonnegativeTarget: XGBoost's Tweedie objective) meets training rows below 0."""
        models = [self.spec.model, *(self.spec.model.members or [])]
        models += [self.spec.model.meta] if self.spec.model.meta else []
        needs = [
            need
            for model in models
            if (need := MODELS_BY_NAME[model.type].nonnegative_target)
            and model.params.get(need.param) in need.values
        ]
        if not needs:
            return
        train_rows = self._guard("split", lambda: self.split_frames()["train"])
        lowest = pd.to_numeric(train_rows[self.spec.target], errors="coerce").min()
        if lowest < 0:
            raise RunError(needs[0].refusal(self.spec.target, float(lowest)))

    def split_frames(self) -> dict[str, pd.DataFrame]:
        """The cleaned data split exactly as train() splits it."""
        prep, train = self.modules()
        return train.split_data(prep.clean(self.raw_data()))
