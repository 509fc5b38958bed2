"""The audit log page in headless Chromium against a real server: the administrator signs in,
reads the newest records and the chain's anchor, checks the chain with that anchor; zh-CN and
en, no page errors, no request leaves the server; a screenshot per language in
``test-artifacts/audit-<lang>.png``."""

from __future__ import annotations

from pathlib import Path

from tests.web.browserutil import ARTIFACTS, BROWSER_MARKS, served_browser, signed_in_page

pytestmark = BROWSER_MARKS

TEXT = {
    "zh-CN": {"title": "审计日志", "ok": "审计日志完好：已校验"},
    "en": {"title": "Audit log", "ok": "Audit log intact:"},
}


def test_admin_checks_the_chain_in_the_browser(tmp_path: Path) -> None:
    with served_browser(tmp_path) as live:
        for lang in ("zh-CN", "en"):
            page, errors, foreign = signed_in_page(
                live.browser,
                live.base,
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
