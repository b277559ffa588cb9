"""Large data: previews on a seeded sample beyond PLAYGROUND_PREVIEW_ROWS (training on
every row), the sample in every preview's cache key, and loading off the page's thread."""

from __future__ import annotations

import threading

import pytest

from playground_ui.state import Workspace
from runtime.dataset import DataError, preview_rows, sample_note
from runtime.executor import PrefixCache, Runner

SAMPLE = 600  # seattle_weather.csv has 1,461 rows


@pytest.fixture
def weather(tmp_path) -> Workspace:
    ws = Workspace(tmp_path)
    assert ws.load_example("seattle_weather.csv"), ws.message
    assert ws.set_target("weather"), ws.message
    return ws


def _first_step(ws: Workspace) -> int:
    return ws.spec.active_steps()[0][0]


def test_previews_use_a_seeded_sample_beyond_the_limit_and_say_so(weather, monkeypatch):
    full = weather.preview(_first_step(weather))
    assert weather.preview_note() == ""
    monkeypatch.setenv("PLAYGROUND_PREVIEW_ROWS", str(SAMPLE))
    sampled = weather.preview(_first_step(weather))
    assert sampled.rows_before < full.rows_before  # the split of 600 rows, not of 1,461
    assert weather.preview_note() == "on a seeded sample of 600 of 1,461 rows"
    # Deterministic: a fresh cache computes the same rows again.
    runner = Runner(weather.spec, weather.project_dir, cache=PrefixCache())
    again = runner.preview(_first_step(weather))
    assert again.head.equals(sampled.head)
    # Another seed is another sample, and another cache entry.
    assert weather.set_seed(weather.spec.seed + 1), weather.message
    other = weather.runner().preview_data()
    assert len(other) == SAMPLE
    assert not other.index.equals(runner.preview_data().index)


def test_training_uses_every_row_while_previews_use_the_sample(weather, monkeypatch):
    monkeypatch.setenv("PLAYGROUND_PREVIEW_ROWS", str(SAMPLE))
    runner = weather.runner()
    assert len(runner.preview_data()) == SAMPLE
    assert len(runner.raw_data()) == 1461
    splits = runner.split_frames()
    assert sum(len(part) for part in splits.values()) == 1461
    rows, _ = runner.training_shape()  # scaled up from the sample, for size warnings
    assert abs(rows - 0.6 * 1461) < 0.1 * 1461


def test_a_bad_preview_size_is_refused_with_what_to_write(monkeypatch):
    monkeypatch.setenv("PLAYGROUND_PREVIEW_ROWS", "lots")
    with pytest.raises(DataError, match="whole number of rows"):
        preview_rows()
    monkeypatch.delenv("PLAYGROUND_PREVIEW_ROWS")
    assert preview_rows() == 250_000
    assert sample_note(250_000, 1_000_000) == "on a seeded sample of 250,000 of 1,000,000 rows"


def test_loading_runs_in_the_background_and_the_workspace_changes_only_when_done(tmp_path):
    ws = Workspace(tmp_path)
    threads: list[threading.Thread] = []
    finished: list = []

    def run(work, done):
        # What in_background does, with the page's next tick played by the test.
        def worker():
            finished.append(work())

        threads.append(threading.Thread(target=worker))
        threads[0].start()
        run.done = done

    ws.load_in_background(None, None, run, example="penguins.csv")
    assert "Reading penguins.csv" in ws.loading
    assert threads and threads[0] is not threading.current_thread()
    threads[0].join(timeout=60)
    assert ws.spec is None and ws.data_revision == 0  # nothing shown from the worker
    run.done(finished[0])
    assert ws.loading == ""
    assert ws.spec is not None and ws.data_revision == 1
    assert "344 rows" in ws.message


def test_a_file_that_cannot_be_read_in_the_background_says_why(tmp_path):
    ws = Workspace(tmp_path)

    def run(work, done):
        done(work())

    ws.load_in_background("notes.pdf", b"%PDF-1.4", run)
    assert ws.loading == "" and ws.spec is None
    assert ws.message_kind == "error" and "not a data file" in ws.message
