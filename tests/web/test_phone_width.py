"""Every page fits a 390 px phone: no horizontal scroll of the document (wide tables and the
navigation scroll inside themselves), for an administrator and a station chief, in zh-CN; no
console error, nothing loaded from outside. Screenshots in ``test-artifacts/phone-*.png``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.serverutil import prepare_db
from tests.web.browserutil import ARTIFACTS, BROWSER_MARKS, served_browser, signed_in_page

pytestmark = BROWSER_MARKS

PAGES = (
    "/command",
    "/analysis",
    "/province",
    "/coverage",
    "/cameras",
    "/ops/my",
    "/ops/board",
    "/casework",
    "/evaluation",
    "/audit",
    "/reports",
    "/jobs",
    "/posts",
    "/posts/checkin",
    "/online-reports",
    "/rentals",
    "/patrols",
    "/events",
    "/ledger",
    "/volunteers",
)
PHONE = {"width": 390, "height": 844}


@pytest.mark.parametrize("user", ["admin", "chief0"])
def test_no_page_scrolls_sideways_on_a_phone(tmp_path: Path, user: str) -> None:
    url, _city = prepare_db(tmp_path / "phone.db")
    wide: dict[str, int] = {}
    with served_browser(tmp_path, url=url) as live:
        browser, base = live.browser, live.base
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
    assert wide == {}, f"pages wider than {PHONE['width']} px: {wide}"
    assert foreign == []
    # script errors and CSP refusals fail the test; answers of the API that a page shows as its
    # message (the small city has no road network: coverage answers 409) are each page's own
    # test's business
    assert [e for e in errors if not e.startswith("Failed to load resource")] == []
