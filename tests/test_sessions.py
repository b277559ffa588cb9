"""One server, many people: concurrent sessions stay apart, training is bounded and
queued in view, a double click starts one job, and a login can be required."""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.cookiejar import CookieJar

import pytest
from reports import assert_same_report
from synthetic import make_frame
from test_ui_browser import free_port

from playground_ui.app import serve
from playground_ui.state import Workspace
from runtime.executor import PrefixCache, Runner
from runtime.jobs import Jobs

pytestmark = pytest.mark.slow
SESSIONS = 10
WORKERS = 2


def test_ten_sessions_train_at_once_apart_bounded_and_queued(store, tmp_path):
    jobs = Jobs(store, max_workers=WORKERS)
    sessions = []
    for i in range(SESSIONS):
        ws = Workspace(store.home, store=store, jobs=jobs)
        # Different data in every session: its own rows, seed and size.
        data = make_frame(50 + 7 * i, task="regression", seed=i).to_csv(index=False)
        assert ws.load_file(f"session{i}.csv", data.encode()), ws.message
        assert ws.set_target("target"), ws.message
        assert ws.set_model("random_forest_regressor", {"n_estimators": 5}), ws.message
        sessions.append(ws)

    # Everyone presses Train at once, as the server's session threads would.
    with ThreadPoolExecutor(SESSIONS) as pool:
        submitted = list(pool.map(Workspace.submit_training, sessions))
    assert len({job.run_id for job in submitted}) == SESSIONS
    # A double click gets the job already under way, not a second one.
    assert sessions[0].submit_training() is submitted[0]
    assert len(store.runs(sessions[0].project.id)) == 1
    waiting = [ws.queue_message(job) for ws, job in zip(sessions, submitted)]
    assert sum(m is not None for m in waiting) >= SESSIONS - WORKERS
    assert all(f"of at most {WORKERS} training now" in m for m in waiting if m)

    peak = 0
    deadline = time.monotonic() + 300
    while not all(job.done for job in submitted):
        running = sum(run.status == "running" for run in store.runs())
        peak = max(peak, running, jobs.running_count)
        assert time.monotonic() < deadline, "the trainings did not end within 300 s"
        time.sleep(0.05)
    assert 1 <= peak <= WORKERS

    for ws, job in zip(sessions, submitted):
        result = ws.finish_training(job)
        assert result is not None, ws.message
        # Each session's result is its own spec run on its own data.
        expected = Runner(ws.spec, ws.project_dir, cache=PrefixCache()).run()
        assert_same_report(result.report, expected.report)
        assert [run.id for run in store.runs(ws.project.id)] == [job.run_id]
    jobs.shutdown()


def test_a_login_can_be_required(tmp_path):
    port = free_port()
    server = serve(
        port=port, home=tmp_path, threaded=True, basic_auth="s3cret", cookie_secret="signing"
    )
    url = f"http://localhost:{port}"
    try:
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        deadline = time.monotonic() + 60
        while True:
            try:
                page = opener.open(f"{url}/", timeout=10)
                break
            except (urllib.error.URLError, ConnectionError):
                assert time.monotonic() < deadline, "the server did not answer"
                time.sleep(0.3)
        # Without a login the app is not served: the login page is.
        assert urllib.parse.urlparse(page.url).path == "/login"
        wrong = urllib.parse.urlencode({"username": "ana", "password": "guess"}).encode()
        assert urllib.parse.urlparse(opener.open(f"{url}/login", wrong).url).path == "/login"
        right = urllib.parse.urlencode({"username": "ana", "password": "s3cret"}).encode()
        app = opener.open(f"{url}/login", right)
        assert urllib.parse.urlparse(app.url).path == "/"
        assert "AI-Playground" in app.read().decode()
    finally:
        server.stop()
        threading.Event().wait(0.1)
