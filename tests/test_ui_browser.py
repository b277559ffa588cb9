"""The playground in a real browser: Chromium drives the served Panel app.

The click-through goes from data to a downloaded zip, and the downloaded
notebook, run with papermill, prints the metrics the page showed.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import time
import zipfile
from pathlib import Path

import pytest

from playground_ui.app import serve

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = pytest.mark.slow

if CHROMIUM is None and not os.environ.get("CI"):
    # CI installs Chromium (.ci/run), so there a missing browser fails the tests.
    pytestmark = [
        pytestmark,
        pytest.mark.skip(reason="install Chromium: apt-get install -y chromium"),
    ]

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    port = free_port()
    server = serve(port=port, home=tmp_path_factory.mktemp("home"), threaded=True)
    yield f"http://localhost:{port}"
    server.stop()


@pytest.fixture(scope="module")
def browser():
    assert CHROMIUM, "Chromium is not installed (apt-get install -y chromium)"
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, app_url):
    context = browser.new_context(viewport={"width": 1500, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(30000)
    page.goto(app_url)
    shows(page, "Start with data")
    yield page
    context.close()


def shows(page, text: str, timeout: float = 30000) -> None:
    """Wait until the page shows `text` (get_by_text looks inside Panel's shadow DOM)."""
    expect(page.get_by_text(text).first).to_be_visible(timeout=timeout)


def tab(page, title: str) -> None:
    page.locator(".bk-tab").filter(has_text=title).click()


def select(page, label: str, value: str) -> None:
    """Choose `value` in the select whose label is `label`."""
    widget = page.locator(".bk-input-group").filter(has_text=label).locator("select")
    widget.select_option(value)


def open_example(page, name: str, target: str) -> None:
    select(page, "Or open an example", name)
    page.get_by_role("button", name="Open example").click()
    shows(page, "rows, ")
    select(page, "Target (what to predict)", target)
    shows(page, f"Now predicting '{target}'")


def upload(page, path: Path, content: bytes | None = None) -> None:
    files = {"name": path.name, "mimeType": "text/csv", "buffer": content or path.read_bytes()}
    page.locator("input[type=file]").first.set_input_files(files)


# Ace draws only the lines in view, so read the editors' whole text through their API,
# looking through every (nested) shadow root Panel draws in.
ACE_TEXTS = """() => {
  const found = [];
  const visit = (root) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.classList.contains('ace_editor') && el.env) found.push(el.env.editor.getValue());
      if (el.shadowRoot) visit(el.shadowRoot);
    }
  };
  visit(document);
  return found;
}"""


def code_shows(page, fragment: str, timeout: float = 30) -> bool:
    """Whether a code panel shows `fragment` within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(fragment in text for text in page.evaluate(ACE_TEXTS)):
            return True
        page.wait_for_timeout(200)
    return False


def shown_metrics(page) -> dict[str, dict[str, float]]:
    """The metrics table of the results, as the page shows it."""
    table = page.locator(".tabulator").filter(has_text="metric").first
    header = [h.strip() for h in table.locator(".tabulator-col-title").all_inner_texts()]
    shown: dict[str, dict[str, float]] = {}
    for row in table.locator(".tabulator-row").all():
        cells = [c.strip() for c in row.locator(".tabulator-cell").all_inner_texts()]
        values = dict(zip(header, cells, strict=False))
        name = values.pop("metric")
        shown[name] = {split: float(v.replace(",", "")) for split, v in values.items() if v}
    return shown


def explain_row(page, row: int) -> None:
    """After training: explain one test row; the explanations are recorded in the spec."""
    field = page.locator(".bk-input-group").filter(has_text="Test row to explain").locator("input")
    field.fill(str(row))
    field.press("Enter")
    page.get_by_role("button", name="Explain", exact=True).click()
    shows(page, f"SHAP explanation of one row: test row {row}", timeout=120000)
    shows(page, "Explanations recorded")
    shows(page, "Partial dependence of")
    # Recording the explanations did not make the run stale.
    expect(page.get_by_text("train again to see its numbers")).to_have_count(0)


def train_and_download(page, tmp_path: Path, explain: int | None = None) -> tuple[dict, Path]:
    tab(page, "5 · Train & results")
    page.get_by_role("button", name="Train", exact=True).click()
    shows(page, "Trained in", timeout=120000)
    metrics = shown_metrics(page)
    # The result plots appear under the metrics once the worker has computed their
    # data (the metrics are shown before) and the page has drawn them.
    shows(page, "Plots (the notebook draws the same)")
    expect(page.get_by_text("Computing the plots…")).to_have_count(0, timeout=120000)
    expect(page.get_by_text("Drawing the plots…")).to_have_count(0, timeout=120000)
    shows(page, "Permutation importance")
    if explain is not None:
        explain_row(page, explain)
    tab(page, "6 · Export")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the project (.zip)").click()
    archive = tmp_path / "project.zip"
    download.value.save_as(archive)
    folder = tmp_path / "unzipped"
    with zipfile.ZipFile(archive) as zipped:
        zipped.extractall(folder)
    (project,) = folder.iterdir()
    return metrics, project


def notebook_metrics(project: Path, work: Path) -> dict:
    import papermill

    out = work / "notebook-output"
    papermill.execute_notebook(
        str(project / "notebook.ipynb"),
        str(work / "notebook.out.ipynb"),
        parameters={"output_dir": str(out)},
        kernel_name="python3",
        cwd=str(project),
        progress_bar=False,
    )
    return json.loads((out / "metrics.json").read_text())["metrics"]


def assert_page_matches(shown: dict, exported: dict) -> None:
    assert shown, "the page showed no metrics"
    for name, splits in shown.items():
        for split, value in splits.items():
            # The page rounds to 6 decimals; the notebook's full value rounds to it.
            assert round(exported[split][name], 6) == pytest.approx(value, abs=1e-9), (name, split)


def test_click_through_classification_with_gaps_and_categories(page, tmp_path):
    upload(page, ROOT / "examples" / "data" / "penguins.csv")
    shows(page, "344 rows")
    select(page, "Target (what to predict)", "species")
    shows(page, "(multiclass)")
    tab(page, "2 · Explore")
    # The views init recorded, drawn by the plots.py the notebook will use.
    shows(page, "Target distribution of species")
    shows(page, "Correlation matrix of")
    tab(page, "3 · Prepare")
    shows(page, "Impute numeric columns")
    select(page, "Stage", "Clean rows (before the split)")
    select(page, "Step", "Drop duplicate rows")
    page.get_by_role("button", name="Add step").click()
    shows(page, "Added step: Drop duplicate rows")
    tab(page, "4 · Split & model")
    select(page, "Model", "Random forest")
    page.get_by_role("button", name="Use this model").click()
    shows(page, "Model: Random forest")
    shown, project = train_and_download(page, tmp_path)
    # The forest reported its trees while it grew them.
    tab(page, "5 · Train & results")
    shows(page, "Live training curve")
    assert "accuracy" in shown and set(shown["accuracy"]) == {"train", "validation", "test"}
    assert_page_matches(shown, notebook_metrics(project, tmp_path))
    drawn = json.loads((tmp_path / "notebook-output" / "plots.json").read_text())
    assert {"confusion_matrix", "roc_curve"} <= set(drawn)
    assert any("target_balance" in key for key in drawn)


def test_click_through_regression_with_a_date_column(page, tmp_path):
    upload(page, ROOT / "examples" / "data" / "seattle_weather.csv")
    shows(page, "1461 rows")
    select(page, "Target (what to predict)", "temp_max")
    shows(page, "(regression)")
    tab(page, "3 · Prepare")
    shows(page, "Date parts")
    shown, project = train_and_download(page, tmp_path, explain=3)
    assert "r2" in shown
    assert_page_matches(shown, notebook_metrics(project, tmp_path))
    # The notebook explains the row the page explained, with the same views.
    drawn = json.loads((tmp_path / "notebook-output" / "plots.json").read_text())
    assert any("shap_row" in key for key in drawn), sorted(drawn)
    assert any("partial_dependence" in key for key in drawn), sorted(drawn)


def test_editing_an_early_step_updates_preview_and_code_and_undo_restores(page):
    open_example(page, "penguins.csv", "species")
    tab(page, "3 · Prepare")
    page.get_by_role("button", name="Edit").first.click()
    shows(page, "Edit step 1: Impute numeric columns")
    select(page, "Strategy", "mean")
    page.get_by_role("button", name="Apply changes").click()
    shows(page, "After step 1: Impute numeric columns")
    shows(page, "strategy: mean")
    # Drawn on the next tick, after the first rows: the spec saved, then the statistics.
    shows(page, "Step 1 updated.")
    shows(page, "changed values in")
    shows(page, "Columns after it")
    assert code_shows(page, 'strategy="mean"')
    page.get_by_role("button", name="↶ Undo").click()
    shows(page, "strategy: median")
    assert code_shows(page, 'strategy="median"')


def test_a_broken_upload_shows_a_message_and_the_app_stays_usable(page):
    upload(page, Path("broken.csv"), b"\x00\x01\x02\x03" * 100)
    shows(page, "broken.csv")
    expect(page.locator(".alert-danger, .bk-alert-danger, [class*=danger]").first).to_be_visible()
    open_example(page, "wine.csv", "cultivar")
    shows(page, "(multiclass)")


def test_two_pages_stay_isolated(browser, app_url):
    first = browser.new_page()
    second = browser.new_page()
    try:
        for page in (first, second):
            page.set_default_timeout(30000)
            page.goto(app_url)
            shows(page, "Start with data")
        open_example(first, "penguins.csv", "species")
        shows(second, "no data yet")
        open_example(second, "wine.csv", "cultivar")
        shows(first, "penguins")
        expect(first.get_by_text("cultivar")).to_have_count(0)
    finally:
        first.close()
        second.close()


def test_a_reload_reopens_the_project_from_the_list(page):
    open_example(page, "wine.csv", "cultivar")
    page.reload()
    shows(page, "Start with data")
    projects = page.locator(".bk-input-group").filter(has_text="Or reopen a project")
    newest = projects.locator("option").first.text_content()
    assert newest.startswith("wine · ")
    select(page, "Or reopen a project", newest)
    page.get_by_role("button", name="Reopen").click()
    shows(page, "Reopened 'wine'")
    shows(page, "(multiclass)")


def test_an_ensemble_with_a_chosen_threshold_trains_from_the_model_form(page, tmp_path):
    open_example(page, "penguins.csv", "sex")
    tab(page, "4 · Split & model")
    # A stacking ensemble also asks for its meta-learner.
    select(page, "Model", "Ensemble: stacking")
    shows(page, "Meta-learner")
    # An average one (quicker to train and plot) starts with the first two of the task.
    select(page, "Model", "Ensemble: average")
    shows(page, "the class probabilities of the members are averaged")
    shows(page, "Members to combine (two or more)")
    page.get_by_role("button", name="Use this model").click()
    shows(page, "Model: Ensemble: average")
    select(page, "Decision threshold", "Best F1 on the validation split")
    page.get_by_role("button", name="Apply threshold").click()
    shows(page, "Decision threshold: max_f1.")
    shown, project = train_and_download(page, tmp_path)
    manifest = json.loads((project / "manifest.json").read_text())
    threshold = manifest["decision"]["threshold"]
    tab(page, "5 · Train & results")
    shows(page, f"Decision threshold: {threshold:.4f} (rule max_f1)")
    tab(page, "4 · Split & model")
    shows(page, f"Last run: threshold {threshold:.4f}.")
    # The export holds the numbers shown (tests/test_ensembles.py runs exported ensembles).
    assert_page_matches(shown, manifest["metrics"])
