"""One server, many people: concurrent sessions stay apart, training is bounded and
queued in view, a double click starts one job, and a login can be required."""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from http.cookiejar import CookieJar

import pytest
from reports import assert_same_report
from synthetic import make_frame
from test_ui_browser import free_port

from playground_ui.app import serve
from playground_ui.state import Workspace
from runtime.executor import PrefixCache, Runner
from runtime.jobs import Jobs
from runtime.store import StoreError

pytestmark = pytest.mark.slow
PASSWORD = "s3cret"
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


def logged_in(url: str, user: str, password: str):
    """A cookie-keeping opener logged in as `user`, and the app page it was sent to."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    form = urllib.parse.urlencode({"username": user, "password": password}).encode()
    return opener, opener.open(f"{url}/login", form, timeout=30)


@contextmanager
def server_with_login(home):
    """The app served from `home` behind Panel's login (one password, any user name); its URL."""
    port = free_port()
    server = serve(port=port, home=home, threaded=True, basic_auth=PASSWORD, cookie_secret="sign")
    url = f"http://localhost:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/login", timeout=10)
                break
            except (urllib.error.URLError, ConnectionError):
                assert time.monotonic() < deadline, "the server did not answer"
                time.sleep(0.3)
        yield url
    finally:
        server.stop()
        threading.Event().wait(0.1)


def test_a_login_can_be_required(tmp_path):
    with server_with_login(tmp_path) as url:
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        page = opener.open(f"{url}/", timeout=10)
        # Without a login the app is not served: the login page is.
        assert urllib.parse.urlparse(page.url).path == "/login"
        wrong = urllib.parse.urlencode({"username": "ana", "password": "guess"}).encode()
        assert urllib.parse.urlparse(opener.open(f"{url}/login", wrong).url).path == "/login"
        _, app = logged_in(url, "ana", PASSWORD)
        assert urllib.parse.urlparse(app.url).path == "/"
        assert "AI-Playground" in app.read().decode()


def test_logged_in_users_see_and_open_only_their_own_projects(tmp_path, monkeypatch):
    import playground_ui.app as app_module

    sessions: list[Workspace] = []

    class Recorded(Workspace):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            sessions.append(self)

    monkeypatch.setattr(app_module, "Workspace", Recorded)
    data = make_frame(40, task="regression", seed=1).to_csv(index=False).encode()
    # A project made before logins were asked for belongs to no one who logs in.
    Workspace(tmp_path).load_file("before.csv", data)
    with server_with_login(tmp_path) as url:
        # Each page load through the real login makes one session of that user.
        logged_in(url, "ana", PASSWORD)[1].read()
        (ana,) = sessions
        assert ana.owner == "ana"
        assert ana.projects() == []
        assert ana.load_file("ana.csv", data), ana.message
        assert ana.set_target("target"), ana.message
        assert ana.set_model("linear_regression", {}), ana.message
        assert ana.train() is not None, ana.message
        ana_project, (ana_run,) = ana.project, ana.runs()

        logged_in(url, "bob", PASSWORD)[1].read()
        bob = sessions[1]
        assert bob.owner == "bob"
        assert bob.projects() == []
        # Not even by id: ana's project, its runs and their exports stay hers.
        assert not bob.open_project(ana_project.id)
        assert bob.message == f"there is no project {ana_project.id}; it may have been deleted"
        assert bob.project is None and bob.runs() == []
        assert bob.load_file("bob.csv", data), bob.message
        with pytest.raises(StoreError, match=f"there is no run {ana_run.id}"):
            bob.export_run_zip(ana_run.id)
        assert not bob.open_run(ana_run.id)
        assert [p.name for p in bob.projects()] == ["bob"]

        # Ana logs in again (a new page): her project, not bob's nor the older one.
        logged_in(url, "ana", PASSWORD)[1].read()
        again = sessions[2]
        assert [p.id for p in again.projects()] == [ana_project.id]
        assert again.open_project(ana_project.id), again.message
        assert [r.id for r in again.runs()] == [ana_run.id]
        assert again.export_run_zip(ana_run.id)[:2] == b"PK"
