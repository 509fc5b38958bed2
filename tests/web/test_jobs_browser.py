"""The administrator's pages that need no terminal, in headless Chromium against a real server:
``/jobs`` (run the escalation job now and see its run recorded) and the API documentation
(Swagger UI and ReDoc served offline, under the pages' content-security policy). Fails on any
console error (CSP refusals included) and on any request that leaves the server; screenshots in
``test-artifacts/jobs-<lang>.png`` and ``api-docs.png``."""

from __future__ import annotations

from pathlib import Path

from tests.web.browserutil import (
    ARTIFACTS,
    BROWSER_MARKS,
    served_browser,
    signed_in_page,
    watched_page,
)

pytestmark = BROWSER_MARKS

TEXT = {
    "zh-CN": {"title": "定时任务", "job": "逾期指令升级", "done": "完成"},
    "en": {"title": "Scheduled jobs", "job": "Escalate overdue instructions", "done": "done"},
}


def test_admin_runs_a_job_and_reads_the_api_docs(tmp_path: Path) -> None:
    with served_browser(tmp_path) as live:
        browser, base = live.browser, live.base
        for lang in ("zh-CN", "en"):
            page, errors, foreign = signed_in_page(
                browser,
                base,
                lang=lang,
                user="admin",
                path="/jobs",
                viewport={"width": 1300, "height": 800},
            )
            page.wait_for_selector('body[data-ready="1"]')
            assert TEXT[lang]["title"] in page.inner_text("h1")
            row = page.locator('#jobs tr[data-job="escalate"]')
            assert TEXT[lang]["job"] in row.inner_text()
            row.locator("button.run-now").click()
            page.wait_for_selector('#jobs tr[data-job="escalate"] .badge.st-ok')
            page.wait_for_selector('body[data-ready="1"]')
            assert TEXT[lang]["done"] in page.inner_text("#runs tbody tr:first-child")
            page.screenshot(path=str(ARTIFACTS / f"jobs-{lang}.png"), full_page=True)
            assert errors == [] and foreign == []
            page.close()
        for path, selector in (
            ("/api/v1/docs", "#swagger-ui .opblock"),
            ("/api/v1/redoc", "#redoc h1"),
        ):
            page, errors, foreign = watched_page(browser, base, {"width": 1300, "height": 800})
            page.goto(base + path)
            page.wait_for_selector('body[data-ready="1"]', timeout=60_000)
            page.wait_for_selector(selector)
            assert "create_incident" in page.content() or "incidents" in page.content()
            if path.endswith("docs"):
                page.screenshot(path=str(ARTIFACTS / "api-docs.png"))
            assert errors == [] and foreign == [], (path, errors, foreign)
            page.close()
