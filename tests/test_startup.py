"""`playground serve` answers its first page without what the first page does not use.

The heavy libraries (scikit-learn, xgboost, shap, optuna, matplotlib, black, nbformat,
bokeh.plotting, joblib) are imported when first needed, not when the app's modules load;
the server listens before the app's own modules (pandas, SQLAlchemy, the spec's models)
load, and a page asked for meanwhile is the app's frame, filled in once they have; the
first page builds the Data tab only, the other tabs when first shown.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import panel as pn
import pytest

from playground_ui.app import STAGES, build_app

DEFERRED = (
    "sklearn",
    "xgboost",
    "shap",
    "optuna",
    "matplotlib",
    "black",
    "nbformat",
    "bokeh.plotting",
    "scipy",
    "joblib",
)


def modules_loaded_by(modules: str) -> list[str]:
    """The modules importing `modules` (comma-separated) loads, in a fresh interpreter."""
    probe = f"import sys, json, {modules}; print(json.dumps(sorted(sys.modules)))"
    run = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True)
    return json.loads(run.stdout)


def test_serving_imports_none_of_the_heavy_libraries():
    """The app's modules (all a served page needs, loaded as the server starts)."""
    loaded = modules_loaded_by("playground_ui.cli, playground_ui.app")
    early = [name for name in DEFERRED if name in loaded]
    assert not early, f"imported before the first page: {early}"


# What the server needs no module of before a page can be answered: the app's own
# modules load on a thread once it listens (playground_ui.server.Preparation).
LOADED_AFTER_LISTENING = (
    *DEFERRED,
    "pandas",
    "sqlalchemy",
    "pydantic",
    "runtime.spec",
    "runtime.store",
    "runtime.dataset",
    "playground_ui.state",
    "playground_ui.app",
)

# Serves with the preparation held back for `delay` seconds (none: never), prints whether
# GET / answered with the app's frame and the modules loaded by then.
SERVE_HELD_BACK = """
import json, os, sys, threading, time, urllib.request
import playground_ui.server as server

port, home, delay = int(sys.argv[1]), sys.argv[2], sys.argv[3]
start = server.Preparation.start
if delay == "none":
    server.Preparation.start = lambda self: None
else:
    server.Preparation.start = lambda self: threading.Timer(float(delay), start, (self,)).start()

def first_page():
    while True:
        try:
            page = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30).read()
            break
        except OSError:
            time.sleep(0.05)
    print(json.dumps({"frame": "AI-Playground" in page.decode(), "loaded": sorted(sys.modules)}))
    sys.stdout.flush()
    if delay == "none":
        os._exit(0)

threading.Thread(target=first_page, daemon=True).start()
server.serve(port=port, home=home)
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve_held_back(home, delay: str) -> tuple[subprocess.Popen, int]:
    port = free_port()
    command = [sys.executable, "-c", SERVE_HELD_BACK, str(port), str(home), delay]
    return subprocess.Popen(command, stdout=subprocess.PIPE, text=True), port


def test_the_server_answers_before_the_apps_modules_load(tmp_path):
    """The first page of `playground serve` (as `playground_ui.server.serve` runs it) is
    answered with none of the app's own modules imported."""
    process, _ = serve_held_back(tmp_path, "none")
    try:
        out, _ = process.communicate(timeout=120)
    finally:
        process.kill()
    answer = json.loads(out.splitlines()[-1])
    assert answer["frame"]
    early = [name for name in LOADED_AFTER_LISTENING if name in answer["loaded"]]
    assert not early, f"imported before the first page was answered: {early}"


def test_the_cli_loads_no_runtime_module_until_a_command_needs_one():
    loaded = modules_loaded_by("playground_ui.cli")
    early = [name for name in LOADED_AFTER_LISTENING if name in loaded]
    assert not early, f"imported by the command line alone: {early}"


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="install Chromium: apt-get install -y chromium")
def test_a_page_opened_while_the_app_loads_fills_in_and_works(tmp_path):
    """In Chromium: the frame served before the app's modules have loaded becomes the whole
    app, whose Data tab opens an example."""
    sync_api = pytest.importorskip("playwright.sync_api")
    process, port = serve_held_back(tmp_path, "4")
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM)
            page = browser.new_page()
            deadline = time.monotonic() + 60
            while True:  # the page as soon as the server answers: the frame
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30) as got:
                        assert "Start with data" not in got.read().decode()
                    break
                except OSError:
                    assert time.monotonic() < deadline, "the server did not answer"
                    time.sleep(0.05)
            page.goto(f"http://127.0.0.1:{port}/")  # the frame too, the app held back 4 s
            sync_api.expect(page.get_by_text("Start with data").first).to_be_visible(timeout=60000)
            page.get_by_role("button", name="Open example").click()
            sync_api.expect(page.get_by_text("rows, ").first).to_be_visible(timeout=60000)
            browser.close()
    finally:
        process.send_signal(2)  # Ctrl+C: the server stops its workers
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()


def test_the_first_page_builds_the_data_tab_only(store, jobs):
    app = build_app(store.home, store, jobs)
    first, *others = STAGES
    assert app.views.built == [first]
    # Showing a tab builds it (once); the tabs already built stay as they were.
    data_view = app.views[first]
    app.tabs.active = 2
    assert app.views.built == [first, others[1]]
    assert app.tabs[2].objects  # the Prepare tab's widgets
    assert not any(app.tabs[i].objects for i in (1, 3, 4, 5, 6, 7))
    app.tabs.active = 0
    assert app.views[first] is data_view
    assert len(app.views.built) == 2
    pn.state.reset()


def test_a_tab_built_late_starts_from_the_current_state(store, jobs, tmp_path):
    """A hidden tab's counters follow the workspace once it is shown, built or not."""
    app = build_app(store.home, store, jobs)
    ws = app.workspace
    data = "a,b,target\n" + "\n".join(f"{i},{i % 3},{i % 2}" for i in range(30))
    assert ws.load_file("small.csv", data.encode()), ws.message
    runs = list(STAGES)[6]
    assert app.views.shown[runs].data_revision != ws.data_revision
    app.tabs.active = 6
    assert app.views.shown[runs].data_revision == ws.data_revision
    assert app.views[runs].shown is app.views.shown[runs]
    pn.state.reset()
