"""Every page fits a 390 px phone: no horizontal scroll of the document (wide tables and the
navigation scroll inside themselves), for every role that signs in to the staff pages, each on
every page of the navigation that the permission table lets it open (plus the gate check-in),
in zh-CN; no console error, nothing loaded from outside. Screenshots in
``test-artifacts/phone-*.png``."""

from __future__ import annotations

from pathlib import Path

import pytest

from pingan.permissions import PAGES as NAV_PAGES
from pingan.permissions import allows
from tests.serverutil import prepare_db
from tests.web.browserutil import ARTIFACTS, BROWSER_MARKS, served_browser, signed_in_page

pytestmark = BROWSER_MARKS

PAGES = (*(r.path for r in NAV_PAGES if r.nav), "/posts/checkin")
"""The pages of the navigation (from the permission table) and the officer's gate check-in."""
PHONE = {"width": 390, "height": 844}


ROLES = {
    "admin": "admin",
    "commander": "commander",
    "dispatcher": "dispatcher",
    "chief0": "station_chief",
    "officer0": "community_officer",
    "analyst": "analyst",
    "supervisor": "supervisor",
}
"""A user of the small city for every role of the staff pages (volunteers have only /m/)."""


def _opened_by(role: str, path: str) -> bool:
    return any(r.path == path and allows(role, r.action) for r in NAV_PAGES)


def test_every_page_of_the_navigation_is_measured() -> None:
    nav = {r.path for r in NAV_PAGES if r.nav}
    assert nav <= set(PAGES) and {"/premises", "/hazards", "/supervision"} <= set(PAGES)
    for path in nav:  # every page of the navigation is opened by some role measured here
        assert any(_opened_by(role, path) for role in ROLES.values()), path


@pytest.mark.parametrize("user", list(ROLES))
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
            if not _opened_by(ROLES[user], path):
                continue
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
