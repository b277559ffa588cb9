"""One preview checks the data file once, not once per earlier step's cache key;
the next preview checks it again."""

from __future__ import annotations

import pytest

from playground_ui.state import Workspace
from runtime import executor
from runtime.dataset import DataError


@pytest.fixture
def ws(tmp_path) -> Workspace:
    """Penguins with the default steps (imputation, encoding, ...)."""
    ws = Workspace(tmp_path)
    assert ws.load_example("penguins.csv") and ws.set_target("species"), ws.message
    assert len(ws.spec.steps) >= 2
    return ws


def test_a_preview_hashes_the_file_once_and_the_next_one_again(ws, monkeypatch):
    hashed = []
    real = executor.sha256_of
    monkeypatch.setattr(executor, "sha256_of", lambda path: hashed.append(path) or real(path))
    last = len(ws.spec.steps)
    runner = ws.runner()
    runner.preview(last)
    once = len(hashed)
    # The runner's own check, and the read key of the cached frame.
    assert 1 <= once <= 2
    runner.preview(last)
    assert len(hashed) == 2 * once


def test_a_file_changed_between_previews_is_refused(ws):
    runner = ws.runner()
    last = len(ws.spec.steps)
    runner.preview(last)
    path = runner.data_path
    path.write_text(path.read_text() + path.read_text().splitlines()[1] + "\n")
    if not ws.spec.dataset.sha256:
        pytest.skip("the spec keeps no hash of its data file")
    with pytest.raises(DataError, match="has changed"):
        runner.preview(last)
