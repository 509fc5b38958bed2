"""A refused action on a page reads in the page's language (pingan.api.error_text and
``PA.errorText`` in common.js): an administrator's role is changed while the /jobs page is
open; the next "run now" is refused with 403 and the row says why in Chinese on the Chinese
page (no English word but the codes it names) and in English on the English one. No page
error, no request leaves the server; the refusal's own "Failed to load resource" line is the
only console error allowed."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.web.browserutil import ARTIFACTS, BROWSER_MARKS, served_browser, signed_in_page

pytestmark = BROWSER_MARKS

SHOWN = {
    "zh-CN": "您的角色（研判分析员）无权执行此操作（job.run）",
    "en": "Your role (analyst) may not do this (job.run)",
}


def _set_role(url: str, role: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE users SET role = :r WHERE username = 'admin'"), {"r": role})
    engine.dispose()


def test_a_refusal_reads_in_the_page_language(tmp_path: Path) -> None:
    with served_browser(tmp_path) as live:
        for lang in ("zh-CN", "en"):
            _set_role(live.url, "admin")
            page, errors, foreign = signed_in_page(
                live.browser,
                live.base,
                lang=lang,
                user="admin",
                path="/jobs",
                viewport={"width": 1300, "height": 800},
            )
            page.wait_for_selector('body[data-ready="1"]')
            _set_role(live.url, "analyst")  # taken away while the page is open
            page.locator('#jobs tr[data-job="escalate"] button.run-now').click()
            shown = page.locator('#jobs tr[data-job="escalate"] .summary .error')
            shown.wait_for()
            said = shown.inner_text()
            assert said == SHOWN[lang]
            if lang == "zh-CN":
                rest = said.replace("analyst", "").replace("job.run", "")
                assert not re.search(r"[A-Za-z]{2,}", rest), said
            page.screenshot(path=str(ARTIFACTS / f"error-display-{lang}.png"))
            others = [e for e in errors if "status of 403" not in e]
            assert others == [] and foreign == [], errors
            page.close()
