"""Drive the real pages in headless Chromium and keep a screenshot per page."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import httpx2 as httpx

from tests.web.browserutil import ARTIFACTS, BROWSER_MARKS, served_browser, watched_page

pytestmark = BROWSER_MARKS


def test_login_and_command_center(tmp_path: Path) -> None:
    with served_browser(tmp_path) as live:
        assert live.city is not None
        _run(live.browser, live.base, live.city)


def _run(browser, base, city) -> None:  # type: ignore[no-untyped-def]
    h = {"Authorization": f"Bearer {city.tokens['dispatcher']}"}
    for i in range(8):
        lon, lat = city.cell_center(i * 2)
        httpx.post(
            f"{base}/api/v1/incidents",
            headers=h,
            json={
                "subtype": ["fight", "pickpocketing", "fire", "traffic_accident"][i % 4],
                "lon": lon,
                "lat": lat,
                "reported_at": (dt.datetime.now(dt.UTC) - dt.timedelta(hours=i)).isoformat(),
            },
        ).raise_for_status()
    for lang in ("zh-CN", "en"):
        page, errors, foreign = watched_page(browser, base, {"width": 1400, "height": 860})
        if lang == "en":
            page.goto(f"{base}/lang/en")
        page.goto(f"{base}/login")
        page.screenshot(path=str(ARTIFACTS / f"login-{lang}.png"))
        page.fill("#username", "dispatcher")
        page.fill("#password", "correct-horse-1")
        page.click("#login-submit")
        page.wait_for_selector("body[data-ready='1']", timeout=30_000)
        before = page.locator("#queue li").count()
        assert before >= 8
        page.screenshot(path=str(ARTIFACTS / f"command-center-{lang}.png"))
        page.locator("#queue li").first.click()
        page.wait_for_selector(".timeline li", timeout=10_000)
        page.screenshot(path=str(ARTIFACTS / f"command-center-detail-{lang}.png"))
        # apart per language: a second robbery at the same spot would be a repeat call,
        # which the open queue lists under its original (×2), not as a new row
        lon, lat = city.cell_center(1 if lang == "zh-CN" else 3)
        httpx.post(
            f"{base}/api/v1/incidents",
            headers=h,
            json={"subtype": "robbery", "lon": lon, "lat": lat},
        ).raise_for_status()
        for _ in range(150):  # arrives live over the event stream, without reload
            if page.locator("#queue li").count() == before + 1:
                break
            page.wait_for_timeout(100)
        assert page.locator("#queue li").count() == before + 1
        assert errors == [], errors
        assert foreign == [], foreign
