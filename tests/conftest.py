"""Fixtures shared by test files."""

from __future__ import annotations

import pytest

from runtime.jobs import Jobs
from runtime.store import Store


@pytest.fixture
def store(tmp_path) -> Store:
    """A project store with its own SQLite database and home in tmp_path."""
    store = Store(home=tmp_path / "home")
    yield store
    store.close()


@pytest.fixture
def jobs(store) -> Jobs:
    jobs = Jobs(store)
    yield jobs
    jobs.shutdown()
