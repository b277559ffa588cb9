"""A standby worker's warm-up: a tiny run end to end, in a temporary folder, that
keeps nothing of its made-up file: not in the prefix cache, not on disk."""

from __future__ import annotations

import os

from runtime import executor
from runtime.warm_up import warm_up


def test_the_warm_up_trains_quietly_and_leaves_no_trace(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    warm_up()
    # A failure would print its traceback (the warm-up carries on without it).
    assert capsys.readouterr().err == ""
    assert not executor.CACHE._items  # nothing of the made-up file is kept
    assert os.listdir(tmp_path) == []
