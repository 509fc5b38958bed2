"""Every page fits a 390 px phone: no horizontal scroll of the document (wide tables and the
navigation scroll inside themselves), for an administrator and a station chief, in zh-CN; no
console error, nothing loaded from outside. Screenshots in ``test-artifacts/phone-*.png``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.serverutil import free_port, prepare_db, start_server
from tests.web.browserutil import signed_in_page
from tests.web.test_browser import ARGS, ARTIFACTS, CHROMIUM, pytestmark  # noqa: F401

PAGES = (
    "/command",
    "/analysis",
    "/coverage",
    "/ops/my",
    "/ops/board",
    "/casework",
    "/evaluation",
    "/audit",
    "/reports",
    "/jobs",
    "/patrols",
    "/events",
)
PHONE = {"width": 390, "height": 844}


@pytest.mark.parametrize("user", ["admin", "chief0"])
def test_no_page_scrolls_sideways_on_a_phone(tmp_path: Path, user: str) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    url, _city = prepare_db(tmp_path / "phone.db")
    port = free_port()
    proc = start_server(url, port, tmp_path / "server.log")
    base = f"http://127.0.0.1:{port}"
    ARTIFACTS.mkdir(exist_ok=True)
    wide: dict[str, int] = {}
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page, errors, foreign = signed_in_page(
                browser, base, lang="zh-CN", user=user, path="/command", viewport=PHONE
            )
            page.wait_for_load_state()
            for path in PAGES:
                page.goto(base + path)
                page.wait_for_load_state("networkidle")
                width = page.evaluate("() => document.documentElement.scrollWidth")
                if width > PHONE["width"] + 1:
                    wide[path] = width
                name = path.strip("/").replace("/", "-")
                page.screenshot(path=str(ARTIFACTS / f"phone-{user}-{name}.png"))
            browser.close()
    finally:
        proc.terminate()
        proc.wait(10)
    assert wide == {}, f"pages wider than {PHONE['width']} px: {wide}"
    assert foreign == []
    # script errors and CSP refusals fail the test; answers of the API that a page shows as its
    # message (the small city has no road network: coverage answers 409) are each page's own
    # test's business
    assert [e for e in errors if not e.startswith("Failed to load resource")] == []
