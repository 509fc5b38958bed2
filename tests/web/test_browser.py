"""Drive the real pages in headless Chromium and keep a screenshot per page."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import httpx2 as httpx
import pytest

from tests.serverutil import free_port, prepare_db, start_server
from tests.web.browserutil import watched_page

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
VENDOR = Path(__file__).resolve().parents[2] / "src" / "pingan" / "web" / "static" / "vendor"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason="Chromium not installed (Debian: apt-get install chromium)",
    ),
    pytest.mark.skipif(
        not (VENDOR / "maplibre-gl.js").exists(),
        reason="front-end packages not installed (bash scripts/install_frontend.sh)",
    ),
]
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def test_login_and_command_center(tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    url, city = prepare_db(tmp_path / "web.db")
    port = free_port()
    proc = start_server(url, port, tmp_path / "server.log")
    base = f"http://127.0.0.1:{port}"
    h = {"Authorization": f"Bearer {city.tokens['dispatcher']}"}
    try:
        _run(sync_api, base, city, h)
    finally:
        proc.terminate()
        proc.wait(10)


def _run(sync_api, base, city, h) -> None:  # type: ignore[no-untyped-def]
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
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
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
        browser.close()
