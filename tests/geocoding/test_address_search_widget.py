"""address_search.js in headless Chromium on a minimal page under the production CSP; its
requests are answered by the real API (the test's database) through the test client."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi.testclient import TestClient

from tests.conftest import auth
from tests.factories import SmallCity
from tests.web.browserutil import ARTIFACTS, BROWSER_MARKS, launched_browser, watched_page

STATIC = Path(__file__).resolve().parents[2] / "src" / "pingan" / "web" / "static"
BASE = "http://pingan.test"
CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'"

pytestmark = BROWSER_MARKS

PAGE = """<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>t</title></head>
<body><label for="addr">地址</label>
<input id="addr" data-address-search data-delay-ms="300"{extra}>
<pre id="picked"></pre><button id="other">x</button>
<script src="/static/js/address_search.js"></script><script src="/picked.js"></script>
</body></html>"""
PICKED_JS = """document.getElementById("addr").addEventListener("address:pick", (e) => {
  document.getElementById("picked").textContent = JSON.stringify(e.detail);
});"""


def _serve(client: TestClient, token: str, pages: dict[str, str], calls: list[str]) -> Any:
    def handle(route: Any) -> None:
        url = urlsplit(route.request.url)
        if url.path in pages:
            route.fulfill(
                status=200,
                body=pages[url.path],
                headers={
                    "Content-Type": "text/html; charset=utf-8",
                    "Content-Security-Policy": CSP,
                },
            )
        elif url.path == "/picked.js":
            route.fulfill(status=200, body=PICKED_JS, content_type="text/javascript")
        elif url.path.startswith("/static/"):
            body = (STATIC / url.path.removeprefix("/static/")).read_text(encoding="utf-8")
            route.fulfill(status=200, body=body, content_type="text/javascript")
        elif url.path.startswith("/api/v1/"):
            calls.append(url.path + "?" + url.query)
            r = client.get(url.path + "?" + url.query, headers=auth(token))
            route.fulfill(status=r.status_code, body=r.content, content_type="application/json")
        else:
            route.fulfill(status=404, body="")

    return handle


def test_widget_suggests_picks_and_closes(client: TestClient, register: SmallCity) -> None:
    pages = {
        "/zh": PAGE.format(lang="zh-CN", extra=""),
        "/en": PAGE.format(lang="en", extra=""),
        "/custom": PAGE.format(lang="zh-CN", extra=' data-label-empty="查无此址" data-limit="3"'),
    }
    calls: list[str] = []
    with launched_browser() as browser:
        page, errors, foreign = watched_page(browser, BASE, {"width": 700, "height": 500})
        page.route(f"{BASE}/**", _serve(client, register.tokens["dispatcher"], pages, calls))

        page.goto(f"{BASE}/zh")
        box = page.locator("#addr")
        assert box.get_attribute("role") == "combobox"
        box.press_sequentially("北京８８", delay=10)  # debounced: not one request per key
        page.wait_for_selector("[role=option]")
        labels = page.locator("[role=option] .address-search-label").all_text_contents()
        assert labels[0] == "北京路88号"
        assert page.locator("[role=option] .address-search-kind").first.text_content() == "门牌"
        assert len(calls) == 1, calls
        page.screenshot(path=str(ARTIFACTS / "address-search-zh.png"))
        box.press("ArrowDown")
        box.press("ArrowDown")
        box.press("ArrowUp")
        active = box.get_attribute("aria-activedescendant")
        assert active is not None and active.endswith("-opt-0")
        box.press("Enter")
        picked = json.loads(page.locator("#picked").text_content() or "{}")
        assert picked["label"] == "北京路88号" and picked["kind"] == "address"
        assert picked["jurisdiction_code"].startswith("T1-S0-C1-")
        assert isinstance(picked["lon"], float) and isinstance(picked["lat"], float)
        assert 0 < picked["score"] <= 1
        assert box.input_value() == "北京路88号"
        assert page.locator(".address-search-list").is_hidden()
        assert box.get_attribute("aria-expanded") == "false"

        # Escape closes; a click on a suggestion picks it
        box.fill("")
        box.press_sequentially("北京", delay=10)
        page.wait_for_selector("[role=option]")
        first = page.locator("[role=option] .address-search-label").first.text_content()
        assert first == "北京路"
        box.press("Escape")
        assert page.locator(".address-search-list").is_hidden()
        box.press("ArrowDown")  # reopens
        page.wait_for_selector("[role=option]")
        page.locator("[role=option]").nth(0).click()
        assert json.loads(page.locator("#picked").text_content() or "{}")["kind"] == "road"

        # English strings from <html lang>; custom strings and limit from data attributes
        page.goto(f"{BASE}/en")
        page.locator("#addr").press_sequentially("不存在的地方", delay=5)
        page.wait_for_selector(".address-search-message")
        assert page.locator(".address-search-message").text_content() == "No matching address"
        page.screenshot(path=str(ARTIFACTS / "address-search-en.png"))
        page.goto(f"{BASE}/custom")
        page.locator("#addr").press_sequentially("不存在的地方", delay=5)
        page.wait_for_selector(".address-search-message")
        assert page.locator(".address-search-message").text_content() == "查无此址"
        page.locator("#addr").fill("北京路1")
        page.locator("#addr").press("End")
        page.wait_for_selector("[role=option]")
        assert page.locator("[role=option]").count() == 3
        assert calls[-1].endswith("&limit=3")
    assert errors == [] and foreign == []
