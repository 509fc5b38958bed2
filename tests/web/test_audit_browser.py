"""The audit log page in headless Chromium against a real server: the administrator signs in,
reads the newest records and the chain's anchor, checks the chain with that anchor; zh-CN and
en, no page errors, no request leaves the server; a screenshot per language in
``test-artifacts/audit-<lang>.png``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.serverutil import free_port, prepare_db, start_server
from tests.web.browserutil import signed_in_page
from tests.web.test_browser import ARGS, ARTIFACTS, CHROMIUM, pytestmark  # noqa: F401

TEXT = {
    "zh-CN": {"title": "审计日志", "ok": "审计日志完好：已校验"},
    "en": {"title": "Audit log", "ok": "Audit log intact:"},
}


def test_admin_checks_the_chain_in_the_browser(tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    url, _city = prepare_db(tmp_path / "web.db")
    port = free_port()
    proc = start_server(url, port, tmp_path / "server.log")
    base = f"http://127.0.0.1:{port}"
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            for lang in ("zh-CN", "en"):
                page, errors, foreign = signed_in_page(
                    browser,
                    base,
                    lang=lang,
                    user="admin",
                    path="/audit",
                    viewport={"width": 1400, "height": 860},
                )
                page.wait_for_selector("#records")
                assert TEXT[lang]["title"] in page.inner_text("h1")
                assert page.locator("#records tbody tr[data-seq]").count() > 5
                anchor = page.inner_text("#anchor-now")
                page.fill("#check-form input[name=anchor]", anchor)
                page.click("#check-form button")
                page.wait_for_selector("#verify-ok")
                assert TEXT[lang]["ok"] in page.inner_text("#verify-ok")
                page.screenshot(path=str(ARTIFACTS / f"audit-{lang}.png"), full_page=False)
                assert errors == [] and foreign == []
                page.close()
            browser.close()
    finally:
        proc.terminate()
        proc.wait(10)
