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


def test_every_link_is_in_reach_on_a_desktop(tmp_path: Path) -> None:
    """An administrator's 21 pages do not fit a 1280-pixel bar: the ones that do not are under
    「更多」, in order, each visible once it is opened; none is cut off out of sight. A phone
    keeps one row that scrolls sideways (no menu)."""
    with served_browser(tmp_path) as live:
        page, errors, foreign = signed_in_page(
            live.browser,
            live.base,
            lang="zh-CN",
            user="admin",
            path="/reports",
            viewport={"width": 1280, "height": 800},
        )
        page.wait_for_selector("header nav.nav a")
        page.wait_for_selector(".nav-more summary")
        hrefs = page.eval_on_selector_all(
            "header nav.nav a", "els => els.map(e => e.getAttribute('href'))"
        )
        assert hrefs == [q.path for q in permissions.nav_for("admin")]
        nav = page.locator("header nav.nav")
        assert nav.evaluate("n => n.scrollWidth <= n.clientWidth")  # nothing cut off
        bar = page.locator("header nav.nav > a")
        under = page.locator(".nav-more-list a")
        assert bar.count() >= 5 and under.count() >= 1
        assert bar.count() + under.count() == len(hrefs)
        assert page.locator(".nav-more summary").inner_text().startswith("更多")
        assert not under.first.is_visible()
        page.click(".nav-more summary")
        for k in range(under.count()):
            assert under.nth(k).is_visible(), under.nth(k).get_attribute("href")
        under.last.click()  # the last page of the table opens, and 更多 marks it current
        page.wait_for_url(f"**{hrefs[-1]}")
        page.wait_for_selector(".nav-more.active")
        page.set_viewport_size({"width": 390, "height": 800})
        page.wait_for_timeout(400)
        assert page.locator(".nav-more").is_hidden()
        assert page.locator("header nav.nav > a").count() == len(hrefs)
        assert errors == [] and foreign == [], (errors, foreign)
