"""`playground serve`: the server listens first, the app's own modules load behind it.

Panel and Bokeh alone take a minimal Panel app's whole start; the playground's modules
(pandas, SQLAlchemy for the store, the spec's pydantic models, the views), opening the
store and building the first page took as long again. So the server starts listening
with Panel alone and a thread prepares the rest (`Preparation`) once the first page has
been answered, while the browser loads Panel's scripts. A page asked for before
that is done is the app's frame, its title and a spinner, filled in with the whole app
as soon as the browser has it and the thread is done; a page asked for later is whole
at once.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from pathlib import Path

import panel as pn
from tornado.ioloop import IOLoop

from runtime.settings import max_upload_bytes, playground_home

# The page's script defines the custom models known when it is drawn: the upload's must
# be among them even on a page drawn before the views are imported.
from .views.upload import GuardedFileInput  # noqa: F401

TITLE = "AI-Playground"
# Seconds after the server listens that it prepares the app if no page has been asked for.
PREPARE_UNASKED_AFTER = 1.0


class Preparation:
    """The app's modules, the store and the training jobs, made ready once per server."""

    def __init__(self, home: Path):
        self.home = home
        self.ready: Future = Future()
        self._started = threading.Lock()

    def start(self) -> None:
        """Prepare on a thread of its own (once); `ready` says when it is done."""
        if self._started.acquire(blocking=False):
            threading.Thread(target=self.prepare, name="prepare the app", daemon=True).start()

    def prepare(self) -> None:
        try:
            from . import app

            store = app.Store(home=self.home)
            # Runs a crashed server left behind are marked failed, not shown as running.
            store.fail_interrupted()
            # One worker waits with its imports done, so that a click trains at once.
            jobs = app.Jobs(
                store,
                max_workers=app.TRAINING_WORKERS,
                time_limit=app.TRAINING_TIME_LIMIT,
                standby=True,
            )
        except BaseException as exc:  # noqa: BLE001 - the pages and `serve` say why
            self.ready.set_exception(exc)
        else:
            self.ready.set_result((app, store, jobs))


def _warm_up() -> None:
    """Import the libraries previews and training use, so that the first click is not
    the slow one."""
    import sklearn.ensemble
    import sklearn.linear_model  # noqa: F401
    import xgboost  # noqa: F401


_warming_up = threading.Lock()


def _start_warm_up() -> None:
    """Once the first page has loaded (not before: the imports would slow it), warm up in
    the background."""
    if _warming_up.acquire(blocking=False):
        threading.Thread(target=_warm_up, name="warm-up imports", daemon=True).start()


def serve(
    port: int = 5006,
    home: str | Path | None = None,
    show: bool = False,
    threaded: bool = False,
    **kwargs,
):
    """Serve the app; each browser session gets its own (app.build_app).

    `threaded` (tests, embedding) returns the server's thread once the app is prepared,
    so that every page it serves is whole; otherwise this runs the server until stopped
    and raises what kept the app from starting (e.g. a store that cannot be opened)."""
    pn.extension("tabulator", "codeeditor", notifications=False)
    home = Path(home) if home else playground_home()
    preparation = Preparation(home)
    # An upload reaches the server as one base64 websocket message; Tornado drops a
    # larger one than this without a word, so it follows the upload limit.
    kwargs.setdefault("websocket_max_message_size", max_upload_bytes() * 4 // 3 + 2**20)
    # Panel's built-in logins; with one, every user has projects of their own.
    login = any(kwargs.get(option) for option in ("basic_auth", "oauth_provider"))

    def whole_page():
        app, store, jobs = preparation.ready.result()
        return app.build_app(home, store, jobs, login=login)

    def session():
        if preparation.ready.done():
            page = whole_page()
            pn.state.onload(_start_warm_up)
            return page
        # After this first page has been answered: the browser still loads Panel's
        # scripts for a while, time enough for the preparation.
        IOLoop.current().add_callback(preparation.start)
        return _frame_filled_when_ready(preparation.ready, whole_page)

    if threaded:
        preparation.prepare()
        preparation.ready.result()
        return pn.serve(session, port=port, show=show, title=TITLE, threaded=True, **kwargs)
    server = pn.serve(session, port=port, show=show, title=TITLE, start=False, **kwargs)

    def stop_if_failed(ready: Future) -> None:
        if ready.exception() is not None:
            server.io_loop.add_callback(server.io_loop.stop)

    preparation.ready.add_done_callback(stop_if_failed)
    server.start()  # listening: the page's frame can be served while the rest loads
    # Prepared after the first page (above), or soon anyway: a store that cannot be
    # opened is said at once, and runs a crashed server left behind are marked failed.
    server.io_loop.call_later(PREPARE_UNASKED_AFTER, preparation.start)
    try:
        server.io_loop.start()
    except RuntimeError:  # as pn.serve: a loop already running (e.g. in a notebook)
        pass
    if preparation.ready.done():
        preparation.ready.result()  # raises what kept the app from starting
    return server


def _frame_filled_when_ready(ready: Future, whole_page) -> pn.Column:
    """The app's frame for now; once the browser has loaded it and `ready` is done, the
    whole app in it (or why it could not start)."""
    frame = pn.Column(
        pn.pane.Markdown(f"## {TITLE}", margin=(0, 10)),
        sizing_mode="stretch_width",
        loading=True,
    )

    def fill():
        try:
            page = whole_page()
        except Exception as exc:  # noqa: BLE001 - the page says why
            page = pn.pane.Alert(f"The playground could not start: {exc}", alert_type="danger")
        frame.objects = [page]
        frame.loading = False
        # After the page has gone to the browser: the imports would slow it.
        pn.state.execute(_start_warm_up, schedule=True)

    def when_ready():
        # A periodic callback of the page's own, where widgets may change (as
        # views.common.in_background does).
        def check():
            if ready.done():
                poll.stop()
                fill()

        poll = pn.state.add_periodic_callback(check, period=50)

    pn.state.onload(when_ready)
    return frame
