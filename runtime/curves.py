"""Live training curves: what a fitting model prints, read line by line.

A model declares (`LiveCurve` in runtime/models) which parameter makes it print a
line per epoch, boosting round or tree, and how to read those lines. While a
training worker runs the rendered train.py, `reporting_curves` turns that
parameter on in every pipeline train.py builds, reads what is printed and hands
each point to `send`. Afterwards every pipeline gets its parameter back, so the
saved model is exactly the one train.py fits: printing changes nothing fitted.
"""

from __future__ import annotations

import io
import re
import threading
import time
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout

from runtime.models import ModelType

# send(series, x, y): one point of a curve.
Send = Callable[[str, float, float], None]


class CurveReader(io.TextIOBase):
    """A text stream that reads curve points from the lines written to it.

    Everything else written (library chatter such as joblib's progress) is dropped.
    """

    def __init__(self, curve, send: Send):
        super().__init__()
        self.lines = [(series, re.compile(pattern)) for series, pattern in curve.lines]
        self.send = send
        self.pending = ""
        self.fit_label = ""
        self.last_x: float | None = None
        self.began = time.monotonic()
        # Forests print from their worker threads.
        self.lock = threading.Lock()

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        with self.lock:
            self.pending += text
            *complete, self.pending = self.pending.split("\n")
            for line in complete:
                self._read(line)
        return len(text)

    def new_fit(self, label: str) -> None:
        """The following lines belong to a new fit: its series are named with `label`."""
        with self.lock:
            self.fit_label, self.last_x, self.began = label, None, time.monotonic()

    def _read(self, line: str) -> None:
        for series, pattern in self.lines:
            found = pattern.search(line)
            if found is None:
                continue
            groups = found.groupdict()
            x = float(groups["x"]) if groups.get("x") is not None else self.last_x
            if x is None:
                continue
            self.last_x = x
            y = float(groups["y"]) if groups.get("y") is not None else self.seconds()
            self.send(self.fit_label + series, x, y)

    def seconds(self) -> float:
        return round(time.monotonic() - self.began, 3)


@contextmanager
def reporting_curves(
    train_module: types.ModuleType, model: ModelType, send: Send
) -> Iterator[None]:
    """While the block runs, pipelines built by `train_module` report their curves.

    The first pipeline built is the model's fit on the training split; later ones
    are cross-validation folds, whose series are named "CV fold k: ...".
    """
    curve = model.live_curve
    if curve is None:
        yield
        return
    key = f"model__{model.param_key(curve.param)}"
    reader = CurveReader(curve, send)
    build = train_module.build_pipeline
    built: list[tuple[object, object]] = []

    def build_reporting_pipeline():
        pipeline = build()
        built.append((pipeline, pipeline.get_params()[key]))
        pipeline.set_params(**{key: curve.value})
        reader.new_fit("" if len(built) == 1 else f"CV fold {len(built) - 1}: ")
        return pipeline

    # train.py calls build_pipeline by its module-level name.
    train_module.build_pipeline = build_reporting_pipeline
    try:
        with redirect_stdout(reader), redirect_stderr(reader):
            yield
    finally:
        train_module.build_pipeline = build
        for pipeline, value in built:
            pipeline.set_params(**{key: value})
