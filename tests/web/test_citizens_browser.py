"""The public side in headless Chromium at 390 px: a citizen reports online (category, a pin
on the map, what happened; the proof of work solved by the page), gets a tracking code, follows
it, reads the station's reply; complains about conduct; the English pages. Fails on any console
error (CSP refusals included) and on any request leaving the server; screenshots in
``test-artifacts/citizens-*.png``."""

from __future__ import annotations

from pathlib import Path

import httpx2 as httpx
import pytest

from tests.serverutil import free_port, prepare_db, start_server
from tests.web.browserutil import (
    ARGS,
    ARTIFACTS,
    BROWSER_MARKS,
    CHROMIUM,
    signed_in_page,
    watched_page,
)

pytestmark = BROWSER_MARKS

PHONE = {"width": 390, "height": 844}


def _no_sideways_scroll(page) -> None:  # type: ignore[no-untyped-def]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_citizen_reports_and_tracks_on_a_phone(tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    url, city = prepare_db(tmp_path / "web.db")
    port = free_port()
    proc = start_server(url, port, tmp_path / "server.log")
    base = f"http://127.0.0.1:{port}"
    ARTIFACTS.mkdir(exist_ok=True)
    chief = {"Authorization": f"Bearer {city.tokens['chief0']}"}
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page, errors, foreign = watched_page(browser, base, PHONE)
            page.goto(f"{base}/report")
            page.wait_for_selector('body[data-ready="1"]')
            assert "110" in page.inner_text("#emergency")
            _no_sideways_scroll(page)
            page.click("text=噪音扰民")
            page.click("#pick-map")
            svg = page.locator("#map-box svg")
            svg.wait_for()
            svg.scroll_into_view_if_needed()
            box = svg.bounding_box()
            assert box is not None
            # first tap zooms into the area, the second pins the place
            page.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.5)
            page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
            page.locator("#place", has_text="已选地点").wait_for()
            page.fill("#description", "楼下烧烤摊每晚营业到凌晨三点，音响声音很大")
            page.fill("#phone", "13812345678")
            page.click("#submit")
            page.wait_for_selector("#form-error:not([hidden])", timeout=5000)
            assert "同意" in page.inner_text("#form-error")  # a phone needs the consent
            page.check("#consent")
            page.click("#submit")
            page.wait_for_selector("#done:not([hidden])", timeout=60_000)
            code = page.inner_text("#done-code").strip()
            assert code.startswith("WB") and len(code) == 12
            _no_sideways_scroll(page)
            page.screenshot(path=str(ARTIFACTS / "citizens-report-done.png"), full_page=True)
            page.click("#done-track")
            page.wait_for_selector('body[data-ready="1"]')
            assert page.inner_text("#track-state") == "已受理"
            _no_sideways_scroll(page)

            # the station answers in public; the citizen reads it
            queue = httpx.get(f"{base}/api/v1/online-reports", headers=chief).json()
            inc = next(i for i in queue["items"] if i["code"] == code)
            assert inc["phone_masked"] == "138****5678"
            r = httpx.post(
                f"{base}/api/v1/online-reports/{inc['incident_id']}/replies",
                headers=chief,
                json={"text": "已通知城管和社区民警到场处理"},
            )
            assert r.status_code == 201
            page.reload()
            page.wait_for_selector('body[data-ready="1"]')
            assert "已通知城管" in page.inner_text("#replies")
            page.screenshot(path=str(ARTIFACTS / "citizens-track.png"), full_page=True)

            # a complaint about conduct, followed by its own code
            page.goto(f"{base}/complaints")
            page.wait_for_selector('body[data-ready="1"]')
            page.select_option("#c-category", "inaction")
            page.select_option("#c-station", "T1-S0")
            page.fill("#c-description", "报警后两个小时没有民警到场，电话也无人接听。")
            page.click("#c-submit")
            page.wait_for_selector("#done:not([hidden])", timeout=60_000)
            assert page.inner_text("#done-code").strip().startswith("DC")
            _no_sideways_scroll(page)
            page.screenshot(path=str(ARTIFACTS / "citizens-complaint.png"), full_page=True)

            # the other public pages, in Chinese then in English
            for path in ("/notices", "/officer", "/track"):
                page.goto(f"{base}{path}")
                page.wait_for_selector('body[data-ready="1"]')
                _no_sideways_scroll(page)
            page.goto(f"{base}/lang/en?back=/report")
            page.wait_for_selector('body[data-ready="1"]')
            assert page.inner_text("h1") == "Report online"
            _no_sideways_scroll(page)
            page.screenshot(path=str(ARTIFACTS / "citizens-report-en.png"), full_page=True)
            assert errors == [] and foreign == [], (errors, foreign)
            page.close()

            # the supervision office takes the complaint up on its page
            page, errors, foreign = signed_in_page(
                browser,
                base,
                lang="zh-CN",
                user="supervisor",
                path="/supervision",
                viewport={"width": 1300, "height": 800},
            )
            page.wait_for_selector('body[data-ready="1"]')
            page.click("#sv-rows tr[data-id]")
            page.wait_for_selector("#sv-text")
            assert "两个小时" in page.inner_text("#sv-text")
            page.fill("#sv-public", "已受理，将在30日内答复")
            page.click('button[data-to="accepted"]')
            # the step shown, or the page's error: either ends the wait (a failure says which)
            page.wait_for_selector('#sv-detail h2:has-text("已立案"), #sv-error:not([hidden])')
            assert page.locator("#sv-error:not([hidden])").count() == 0, (
                page.inner_text("#sv-detail"),
                errors,
                (tmp_path / "server.log").read_text()[-3000:],
            )
            page.screenshot(path=str(ARTIFACTS / "citizens-supervision.png"), full_page=True)
            assert errors == [] and foreign == [], (errors, foreign)
            page.close()
            page, errors, foreign = signed_in_page(
                browser, base, lang="zh-CN", user="chief0", path="/supervision", viewport=PHONE
            )
            page.wait_for_selector('body[data-ready="1"]')
            assert page.locator("#forbidden").count() == 1  # station chiefs cannot read them
            page.close()
            browser.close()
    finally:
        proc.terminate()
        proc.wait(10)
