"""`playground serve` answers its first page without what the first page does not use.

The heavy libraries (scikit-learn, xgboost, shap, optuna, matplotlib, black, nbformat,
bokeh.plotting, joblib) are imported when first needed, not when the app's modules load; the
first page builds the Data tab only, the other tabs when first shown.
"""

from __future__ import annotations

import json
import subprocess
import sys

import panel as pn

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


def test_serving_imports_none_of_the_heavy_libraries():
    """The modules `playground serve` loads before it serves, in a fresh interpreter."""
    probe = (
        "import sys, json, playground_ui.cli, playground_ui.app; "
        "print(json.dumps(sorted(sys.modules)))"
    )
    loaded = json.loads(
        subprocess.run(
            [sys.executable, "-c", probe], check=True, capture_output=True, text=True
        ).stdout
    )
    early = [name for name in DEFERRED if name in loaded]
    assert not early, f"imported before the first page: {early}"


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
