"""The casework pages in headless Chromium, against a real server: the community officer on a
phone registers a dispute (a bad submit first), records two failed mediation steps and sees the
risk rise with the fired rule, reveals the parties with a reason (audited) and resolves; the
station chief on a wide screen filters the list by risk. zh-CN (default) and en; no page errors,
no request leaves the server, no untranslated key, nothing wider than the phone; a screenshot
per page in ``test-artifacts/casework-*-<lang>.png``."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from sqlalchemy import select

from tests.web.browserutil import ARTIFACTS, BROWSER_MARKS, served_browser, signed_in_page

pytestmark = BROWSER_MARKS
PHONE = {"width": 390, "height": 844}
WIDE = {"width": 1400, "height": 900}
UNTRANSLATED = re.compile(r"\b(casework|common|nav)\.[a-z_]+(\.[a-z_]+)*\b")

TEXT = {
    "zh-CN": {
        "place": "请填写地点：经纬度或 110 警情编号",
        "low": "低",
        "medium": "中",
        "rule": "调解失败 2 次",
        "first_step": "首次调解",
        "mediation": "现场调解：调解失败",
        "resolved": "已化解",
        "revealed": "已显示（已记入审计日志）",
    },
    "en": {
        "place": "Give the place: longitude and latitude, or the 110 incident id",
        "low": "Low",
        "medium": "Medium",
        "rule": "2 failed mediations",
        "first_step": "first mediation step",
        "mediation": "On site: Failed",
        "resolved": "Resolved",
        "revealed": "Shown (audited)",
    },
}


def test_casework_pages_in_chromium(tmp_path: Path) -> None:
    codes: dict[str, str] = {}
    with served_browser(tmp_path) as live:
        for lang in ("zh-CN", "en"):
            codes[lang] = _officer(live.browser, live.base, live.city, lang)
        for lang in ("zh-CN", "en"):
            _chief(live.browser, live.base, lang, codes)
    _assert_reveals_audited(live.url, codes)


class _Page:
    """A page signed in as ``user`` on ``path`` with its error and foreign-request
    collectors."""

    def __init__(
        self, browser: Any, base: str, lang: str, viewport: dict[str, int], user: str, path: str
    ) -> None:
        self.page, self.errors, self.foreign = signed_in_page(
            browser, base, lang=lang, user=user, path=path, viewport=viewport
        )
        self.lang, self.width = lang, viewport["width"]
        self.page.wait_for_url(f"**{path}", timeout=30_000)

    def check(self, name: str) -> None:
        """Screenshot, then: no untranslated key, nothing wider than the viewport."""
        self.page.screenshot(
            path=str(ARTIFACTS / f"casework-{name}-{self.lang}.png"), full_page=True
        )
        text = self.page.locator("main").inner_text()
        assert not UNTRANSLATED.search(text), UNTRANSLATED.search(text)
        if self.lang == "zh-CN":
            assert "first mediation step" not in text
        wide = self.page.locator("main *").evaluate_all(
            f"els => els.filter(e => e.getBoundingClientRect().right > {self.width} + 1)"
            ".map(e => e.tagName + '.' + e.className + ': ' + (e.textContent || '').slice(0, 40))"
        )
        assert not wide, wide
        assert self.page.evaluate("document.documentElement.scrollWidth") <= self.width

    def act(self, selector: str) -> None:
        """Click a button whose change reloads the page, and wait for the reload."""
        with self.page.expect_navigation(timeout=15_000):
            self.page.click(selector)

    def done(self) -> None:
        assert not self.errors, self.errors
        assert not self.foreign, self.foreign
        self.page.context.close()


def _officer(browser: Any, base: str, city: Any, lang: str) -> str:
    tx = TEXT[lang]
    pg = _Page(browser, base, lang, PHONE, "officer0", "/casework/disputes/new")
    page = pg.page
    page.wait_for_selector("#register-form")
    # a bad submit: no place
    page.fill("#register-form [name=address_text]", "翠湖小区 3 栋 2 单元")
    page.click("#register")
    page.wait_for_selector("#msg.err")
    assert page.locator("#msg").inner_text() == tx["place"]
    pg.check("new-error")
    lon, lat = city.cell_center(0)
    page.fill("#register-form [name=lon]", f"{lon:.6f}")
    page.fill("#register-form [name=lat]", f"{lat:.6f}")
    page.fill("#register-form [name=summary]", "楼上漏水，双方多次争执")
    parties = page.locator("#register-form fieldset[data-party]")
    parties.nth(0).locator("[name=display_name]").fill("张三丰")
    parties.nth(0).locator("[name=phone]").fill("13812345678")
    parties.nth(1).locator("[name=display_name]").fill("李四")
    parties.nth(1).locator("[name=phone]").fill("13900001111")
    with page.expect_navigation(url=re.compile(r"/casework/disputes/\d+$"), timeout=15_000):
        page.click("#register")
    page.wait_for_selector("#case")
    assert page.locator("#risk-level").inner_text() == tx["low"]
    assert page.locator("#party-list .pname").first.inner_text() == "张**"
    code = page.locator("#case h2.code").inner_text()
    pg.check("case")
    # two failed mediation steps: the risk rises and the rule says why
    for _ in range(2):
        page.fill("#step-form [name=mediator]", "社区调解员王")
        page.select_option("#step-form [name=method]", "on_site")
        page.select_option("#step-form [name=outcome]", "failed")
        pg.act("#step-form button[data-act=step]")
        page.wait_for_selector("#case")
    assert page.locator("#risk-level").inner_text() == tx["medium"]
    assert "risk-medium" in (page.locator("#risk-level").get_attribute("class") or "")
    rules = page.locator("#risk .cw-rules li")
    assert rules.count() == 1 and tx["rule"] in rules.first.inner_text()
    notes = page.locator("#timeline .ev-note").all_inner_texts()
    assert tx["first_step"] in notes and tx["mediation"] in notes, notes
    pg.check("case-risk")
    # reveal with a reason: the names show, the view is audited (checked after the run)
    page.click("#reveal-form button[data-act=reveal]")
    page.wait_for_selector("#msg.err")
    page.fill("#reveal-form [name=reason]", "上门调解需联系双方")
    page.click("#reveal-form button[data-act=reveal]")
    page.wait_for_selector("#msg.ok")
    assert page.locator("#msg").inner_text() == tx["revealed"]
    assert page.locator("#party-list .pname").first.inner_text() == "张三丰"
    assert page.locator("#party-list .pphone").first.inner_text() == "13812345678"
    pg.check("case-revealed")
    pg.act("#transition-form button[data-to=resolved]")
    page.wait_for_selector("#case")
    assert page.locator("#state").inner_text() == tx["resolved"]
    assert page.locator("#follow-ups li[data-follow-up]").count() == 1
    assert page.locator("#party-list .pname").first.inner_text() == "张**"  # masked again
    pg.check("case-resolved")
    pg.done()
    return code


def _chief(browser: Any, base: str, lang: str, codes: dict[str, str]) -> None:
    tx = TEXT[lang]
    pg = _Page(browser, base, lang, WIDE, "chief0", "/casework")
    page = pg.page
    page.wait_for_selector("#disputes")
    page.select_option(".cw-bar [name=risk]", "medium")
    with page.expect_navigation(url=re.compile(r"risk=medium"), timeout=15_000):
        page.click(".cw-bar button[type=submit]")
    items = page.locator("#disputes > li[data-id]")
    assert items.count() == 2
    text = page.locator("#disputes").inner_text()
    assert codes["zh-CN"] in text and codes["en"] in text
    assert page.locator("#disputes .risk.risk-medium").count() == 2
    assert page.locator("#disputes .risk:not(.risk-medium)").count() == 0
    assert tx["rule"] in page.locator("#disputes .cw-rules li").first.inner_text()
    pg.check("list-chief")
    # the fired rules carry no list marker (they showed stray "○" bullets)
    marker = page.locator("#disputes .cw-rules li").first.evaluate(
        "el => getComputedStyle(el).listStyleType"
    )
    assert marker == "none"
    page.select_option(".cw-bar [name=risk]", "high")
    with page.expect_navigation(url=re.compile(r"risk=high"), timeout=15_000):
        page.click(".cw-bar button[type=submit]")
    page.wait_for_selector("#disputes #empty")
    pg.done()


def _assert_reveals_audited(url: str, codes: dict[str, str]) -> None:
    from pingan.audit.models import AuditRecord
    from pingan.disputes.models import Dispute
    from pingan.store.engine import make_engine, unit_of_work

    engine = make_engine(url)
    try:
        with unit_of_work(engine) as s:
            ids = set(s.scalars(select(Dispute.id).where(Dispute.code.in_(codes.values()))))
            recs = s.scalars(
                select(AuditRecord).where(
                    AuditRecord.entity == "dispute", AuditRecord.action == "view_personal"
                )
            ).all()
            assert {int(r.entity_id) for r in recs} == ids and len(recs) == 2
            assert {json.loads(r.detail)["reason"] for r in recs} == {"上门调解需联系双方"}
    finally:
        engine.dispose()
