"""The navigation in headless Chromium against a real server: for a station chief and an
analyst the top menu shows exactly the pages the permission table opens for the role (the
station chief sees 快反圈 /coverage), every link answers 200 with the page's session, no
script error, and the analyst's page script is not offered 「下发指令」 (``PA.can``). A
screenshot per role in ``test-artifacts/nav-<role>.png``."""

from __future__ import annotations

from pathlib import Path

import pytest

from pingan import permissions
from tests.serverutil import free_port, prepare_db, start_server
from tests.web.browserutil import signed_in_page
from tests.web.test_browser import ARGS, ARTIFACTS, CHROMIUM, pytestmark  # noqa: F401

USERS = {"station_chief": "chief0", "analyst": "analyst"}


def test_nav_shows_what_the_role_may_open(tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    url, _city = prepare_db(tmp_path / "web.db")
    port = free_port()
    proc = start_server(url, port, tmp_path / "server.log")
    base = f"http://127.0.0.1:{port}"
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
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
            browser.close()
    finally:
        proc.terminate()
        proc.wait(10)
