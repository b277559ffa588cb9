"""A standby worker: started ahead with its imports done, it takes the next run; a run on
it is cancelled like any other, and a standby that died while waiting is replaced."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from test_jobs import HEAVY_MODEL, WAIT, assert_process_gone, finish, project_spec, wait_for

from runtime import jobs as jobs_module
from runtime.jobs import Jobs


def standby_of(jobs: Jobs, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if jobs._standby is not None:
            return jobs._standby
        time.sleep(0.05)
    raise AssertionError("no standby worker started")


@pytest.mark.slow
def test_a_standby_worker_takes_the_next_run_and_is_replaced(store, monkeypatch):
    monkeypatch.setattr(jobs_module, "STANDBY_DELAY", 0.0)
    jobs = Jobs(store, standby=True)
    try:
        # A standby that died while it waited: the run gets a worker of its own.
        dead = standby_of(jobs)
        os.kill(dead.process.pid, signal.SIGKILL)
        dead.process.join(WAIT)
        light, _ = project_spec(store)
        cold = jobs.submit(light)
        assert cold.pid != dead.process.pid
        finish(cold)
        assert cold.status == store.run(cold.run_id).status == "finished", cold.error

        # The next run goes to the standby started meanwhile, and is cancelled as any.
        standby = standby_of(jobs)
        heavy, _ = project_spec(store, n_rows=2000, model=HEAVY_MODEL)
        warm = jobs.submit(heavy)
        assert warm.pid == standby.process.pid
        wait_for(warm, "train")
        # No next standby while a run trains: its imports would slow the training.
        assert jobs._standby is None
        warm.cancel()
        finish(warm)
        assert warm.status == store.run(warm.run_id).status == "cancelled"
        assert_process_gone(warm)
        replacement = standby_of(jobs)
        assert replacement.process.pid not in (dead.process.pid, warm.pid)
    finally:
        jobs.shutdown()
    # Stopping the server stops the standby too.
    assert jobs._standby is None
    replacement.process.join(WAIT)
    assert not replacement.process.is_alive()


EXIT_WITH_A_STANDBY = """
import sys, time
from runtime import jobs as jobs_module
from runtime.jobs import Jobs
from runtime.store import Store

jobs_module.STANDBY_DELAY = 0.0
jobs = Jobs(Store(home=sys.argv[1]), standby=True)
deadline = time.monotonic() + 60
while jobs._standby is None and time.monotonic() < deadline:
    time.sleep(0.05)
print(jobs._standby.process.pid, flush=True)
"""


@pytest.mark.slow
def test_a_process_with_a_standby_worker_exits_without_waiting_for_it(tmp_path):
    # The server stopped with Ctrl+C ends as this script does: its standby must not
    # keep it waiting at exit.
    script = subprocess.run(
        [sys.executable, "-c", EXIT_WITH_A_STANDBY, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=WAIT,
        check=False,
    )
    assert script.returncode == 0, script.stderr
    standby_pid = int(script.stdout.split()[0])
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        try:
            os.kill(standby_pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        raise AssertionError("the standby worker outlived its server")
