"""The navigation in headless Chromium against a real server: for a station chief and an
analyst the top menu shows exactly the pages the permission table opens for the role (the
station chief sees 快反圈 /coverage), every link answers 200 with the page's session, no
script error, and the analyst's page script is not offered 「下发指令」 (``PA.can``). A
screenshot per role in ``test-artifacts/nav-<role>.png``."""

from __future__ import annotations

from pathlib import Path

from pingan import permissions
from tests.web.browserutil import ARTIFACTS, BROWSER_MARKS, served_browser, signed_in_page

pytestmark = BROWSER_MARKS

USERS = {"station_chief": "chief0", "analyst": "analyst"}


def test_nav_shows_what_the_role_may_open(tmp_path: Path) -> None:
    with served_browser(tmp_path) as live:
        browser, base = live.browser, live.base
        for role, user in USERS.items():
            page, errors, foreign = signed_in_page(
                browser,
                base,
                lang="zh-CN",
                user=user,
                path="/command",
                viewport={"width": 1400, "height": 860},
            )
            page.wait_for_selector("header nav.nav a")
            hrefs = page.eval_on_selector_all(
                "header nav.nav a", "els => els.map(e => e.getAttribute('href'))"
            )
            expected = [q.path for q in permissions.nav_for(role)]
            assert hrefs == expected, role
            assert ("/coverage" in hrefs) and (("/ops/board" in hrefs) is (role != "analyst"))
            page.screenshot(path=str(ARTIFACTS / f"nav-{role}.png"), full_page=False)
            for href in hrefs:  # with the page's session cookie
                assert page.request.get(f"{base}{href}").status == 200, (role, href)
            assert page.evaluate("PA.can('instruction.issue')") is (role != "analyst")
            assert errors == [] and foreign == [], (role, errors, foreign)
            page.close()
