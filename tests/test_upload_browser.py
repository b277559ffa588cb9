"""In Chromium: a file over the upload limit is refused in the browser, with a message,
and the session keeps working; and the Data tab's read options re-read the file."""

from __future__ import annotations

import pytest

# The browser tests' marks (slow; skipped without Chromium outside CI) and fixtures.
from test_ui_browser import (  # noqa: F401 - browser and page are fixtures
    ROOT,
    browser,
    free_port,
    page,
    pytestmark,
    select,
    shows,
    sync_api,
    upload,
)

from playground_ui.app import serve

LIMIT_MB = 0.05
LIMIT = int(LIMIT_MB * 2**20)


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    """The app served with a small upload limit (the browser tests' `page` opens it)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PLAYGROUND_MAX_UPLOAD_MB", str(LIMIT_MB))
        port = free_port()
        server = serve(port=port, home=tmp_path_factory.mktemp("home"), threaded=True)
        yield f"http://localhost:{port}"
        server.stop()


def chosen(on_page, label: str):
    """The select labelled `label`, to read its value."""
    return on_page.locator(".bk-input-group").filter(has_text=label).locator("select")


def csv_of_size(size: int) -> bytes:
    row = b"1.5,2.5,a\n"
    return (b"x,y,z\n" + row * (size // len(row) + 1))[:size]


def test_an_upload_over_the_limit_is_refused_in_the_browser(page):  # noqa: F811
    """With a message naming the sizes; the session keeps working."""
    shows(page, f"at most {LIMIT_MB:g} MB")
    # Far above: as one websocket message Tornado would drop it and break the session.
    upload(page, ROOT / "huge.csv", csv_of_size(3 * 2**20))
    shows(page, "huge.csv: the file is 3 MB, more than the 0.05 MB limit")
    shows(page, "raise the limit with PLAYGROUND_MAX_UPLOAD_MB")
    # Just above the limit: refused the same way.
    upload(page, ROOT / "just_over.csv", csv_of_size(LIMIT + 1))
    shows(page, "just_over.csv: the file is 52,429 bytes, more than the 52,428 bytes limit")
    # The session still works: a file within the limit loads.
    upload(page, ROOT / "examples" / "data" / "penguins.csv")
    shows(page, "344 rows")


def test_the_read_options_show_what_was_detected_and_read_the_file_again(page):  # noqa: F811
    european = "city;price;rooms\n" + "".join(
        f"{city};{100 + i},5;{i % 4 + 1}\n" for i, city in enumerate(["Köln", "Graz"] * 10)
    )
    upload(page, ROOT / "flats.csv", european.encode())
    shows(page, "flats.csv: 20 rows, 3 columns")
    shows(page, "Read the file with")
    # The detected options are the ones shown.
    sync_api.expect(chosen(page, "Delimiter")).to_have_value("semicolon ;")
    sync_api.expect(chosen(page, "Decimal mark")).to_have_value("comma ,")
    sync_api.expect(chosen(page, "Encoding")).to_have_value("utf-8")
    # A delimiter that cannot read the file: the reason, and the file as it was.
    select(page, "Delimiter", "comma ,")
    shows(page, "only one column ('city;price;rooms') was found")
    shows(page, "The data: 20 rows")
    sync_api.expect(chosen(page, "Delimiter")).to_have_value("semicolon ;")
    select(page, "Decimal mark", "point .")
    shows(page, "Read the file again: 3 columns, new columns")
    page.get_by_role("button", name="↶ Undo").click()
    shows(page, "Undone.")
