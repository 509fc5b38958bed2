"""The operations pages in headless Chromium: the community officer signs, starts and reports
back on an instruction and ticks off a checklist duty on a phone; the station chief accepts the
report and reads the escalation notices on the board. Both languages; a screenshot per page."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import update

from tests.factories import SmallCity
from tests.serverutil import prepare_db
from tests.web.browserutil import ARTIFACTS, needs_browser, served_browser, signed_in_page

WEB = Path(__file__).resolve().parents[2] / "src" / "pingan" / "web"
LANGS = ("zh-CN", "en")
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1400, "height": 900}


def _i18n(lang: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in ("core", "ops"):
        out |= json.loads((WEB / "i18n" / f"{part}.{lang}.json").read_text(encoding="utf-8"))
    return out


def test_ops_i18n_files_cover_every_key() -> None:
    zh = json.loads((WEB / "i18n" / "ops.zh-CN.json").read_text(encoding="utf-8"))
    en = json.loads((WEB / "i18n" / "ops.en.json").read_text(encoding="utf-8"))
    assert set(zh) == set(en)
    text = (WEB / "static" / "js" / "ops.js").read_text(encoding="utf-8")
    for name in ("ops_my.html", "ops_board.html"):
        text += (WEB / "templates" / name).read_text(encoding="utf-8")
    used = set(re.findall(r'\bt\("((?:ops|common)\.[a-z0-9_.]+[a-z0-9_])"\)', text))
    core = json.loads((WEB / "i18n" / "core.en.json").read_text(encoding="utf-8"))
    assert used and not {k for k in used if k not in en and k not in core}
    # keys built at run time: t("ops.state." + state) and friends
    for prefix, names in {
        "ops.state.": ("issued", "signed", "in_progress", "reported", "accepted", "open", "done"),
        "ops.act.": ("signed", "in_progress", "reported", "accepted", "returned", "done"),
        "ops.kind.": ("station", "unit", "officer"),
        "ops.target.": ("station", "officer", "cell", "premises"),
        "ops.level.": ("bureau", "district", "station"),
    }.items():
        assert {prefix + n for n in names} <= set(en)


def _seed(url: str, city: SmallCity) -> dict[str, Any]:
    """Per language an instruction from the station chief to the officer; one to the station
    that is overdue to sign (escalated: a notice on the board); today's checklist."""
    from pingan.audit.service import Actor
    from pingan.auth.models import User
    from pingan.auth.service import principal_for
    from pingan.checklists import flows as checklist_flows
    from pingan.checklists import service as checklist_service
    from pingan.instructions import flows
    from pingan.instructions.models import InstructionRecipient
    from pingan.store.engine import make_engine, unit_of_work

    engine = make_engine(url)
    now = dt.datetime.now(dt.UTC)
    out: dict[str, Any] = {}
    with unit_of_work(engine) as s:
        chief = principal_for(s, s.get_one(User, city.users["chief0"].id))
        admin = principal_for(s, s.get_one(User, city.users["admin"].id))
        officer = ("officer", city.users["officer0"].id)
        titles = {
            "zh-CN": ("核查幸福里小区电动车集中充电隐患", "请于今日内到现场核查，拍照反馈。"),
            "en": ("Check e-bike charging hazards at Xingfu Li", "Inspect on site today, report."),
        }
        for lang, (title, text) in titles.items():
            ins = flows.instruction_issue_flow(
                s,
                principal=chief,
                title=title,
                text=text,
                priority="high",
                recipients=[officer],
                sign_by=now + dt.timedelta(hours=2),
                complete_by=now + dt.timedelta(hours=30),
            )
            out[lang] = ins.id
        late = flows.instruction_issue_flow(
            s,
            principal=chief,
            title="节前安全检查（重点单位）",
            text="对辖区重点单位开展节前安全检查。",
            priority="urgent",
            recipients=[("station", city.stations[0].id)],
            sign_by=now + dt.timedelta(hours=1),
            complete_by=now + dt.timedelta(days=3),
        )
        s.execute(
            update(InstructionRecipient)
            .where(InstructionRecipient.instruction_id == late.id)
            .values(sign_by=now - dt.timedelta(hours=3))
        )
        s.commit()
        assert flows.instruction_escalate_flow(s, actor=Actor.system("test")).sign_overdue == 1
        for code, zh, en in (
            ("patrol_log", "社区巡查日志", "Community patrol log"),
            ("shop_visit", "沿街商铺安全走访", "Street-shop safety visits"),
        ):  # one duty to tick off per language
            checklist_service.create_template(
                s,
                principal=admin,
                code=code,
                name_zh=zh,
                name_en=en,
                role="community_officer",
                frequency="daily",
                target="officer",
            )
        s.commit()
        today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
        assert checklist_flows.checklist_schedule_flow(
            s, actor=Actor.system("test"), day=today
        ).created
    engine.dispose()
    return out


@needs_browser
def test_ops_pages_in_chromium(tmp_path: Path) -> None:
    url, city = prepare_db(tmp_path / "web.db")
    ids = _seed(url, city)
    with served_browser(tmp_path, url=url) as live:
        browser, base = live.browser, live.base
        for lang in LANGS:
            tr = _i18n(lang)
            _officer(browser, base, lang, tr, ids[lang])
            _chief(browser, base, lang, tr, ids[lang])


def _open(browser: Any, base: str, lang: str, viewport: dict[str, int], user: str, path: str):  # type: ignore[no-untyped-def]
    page, errors, foreign = signed_in_page(
        browser, base, lang=lang, user=user, path=path, viewport=viewport
    )
    page.wait_for_selector("body[data-ready='1']", timeout=30_000)
    assert page.url == f"{base}{path}"
    return page, errors, foreign


def _no_overflow(page: Any) -> None:
    """Nothing wider than the viewport: no sideways scrolling on a phone."""
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], width


def _no_raw_keys(page: Any) -> None:
    text = page.inner_text("body")
    assert not re.search(r"\b(ops|common|nav)\.[a-z_]+\.?[a-z_]*\b", text), text


def _officer(browser: Any, base: str, lang: str, tr: dict[str, str], ins_id: int) -> None:
    page, errors, foreign = _open(browser, base, lang, PHONE, "officer0", "/ops/my")
    item = f"#queue li[data-ins='{ins_id}']"
    page.wait_for_selector(item)
    assert page.locator("#n-to_sign").inner_text() == ("2" if lang == "zh-CN" else "1")
    page.screenshot(path=str(ARTIFACTS / f"ops-my-{lang}.png"), full_page=True)
    _no_overflow(page)
    _no_raw_keys(page)
    # sign: it leaves the to-sign box
    page.click(f"{item} button[data-act='signed']")
    page.wait_for_selector(item, state="detached")
    page.click("#tabs [data-box='to_do']")
    page.click(f"{item} button[data-act='in_progress']")
    page.wait_for_selector(f"{item} .badge.st-in_progress")
    page.click(f"{item} button[data-act='more']")
    page.wait_for_selector(f"{item} [data-body]:not(:empty)")
    page.click(f"{item} button[data-act='reported']")
    page.wait_for_selector(f"{item} form.report")
    page.click(f"{item} button[data-act='send-report']")  # nothing said yet
    msg = page.locator(f"{item} [data-msg]")
    assert msg.inner_text() == tr["ops.report.need_text"]
    assert "err" in (msg.get_attribute("class") or "")
    page.screenshot(path=str(ARTIFACTS / f"ops-my-report-{lang}.png"), full_page=True)
    _no_overflow(page)
    page.fill(f"{item} form.report textarea", "已到现场核查，发现 3 处飞线充电，已督促整改。")
    page.click(f"{item} button[data-act='send-report']")
    page.wait_for_selector(item, state="detached")  # reported: no longer to do
    # today's checklist duty
    page.click("#tabs [data-box='checklist']")
    done = "#queue li[data-task] button[data-act='done']"
    page.wait_for_selector(done)
    open_before = page.locator(done).count()
    assert open_before == (2 if lang == "zh-CN" else 1)
    page.locator(done).first.click()
    for _ in range(100):  # the list is redrawn with the task done
        if page.locator(done).count() == open_before - 1:
            break
        page.wait_for_timeout(100)
    assert page.locator(done).count() == open_before - 1
    finished = "#queue li[data-task] .badge.st-done, #queue li[data-task] .badge.st-late"
    assert page.locator(finished).count() == 3 - open_before
    page.screenshot(path=str(ARTIFACTS / f"ops-my-checklist-{lang}.png"), full_page=True)
    _no_overflow(page)
    _no_raw_keys(page)
    assert not errors, errors
    assert not foreign, foreign
    page.close()


def _chief(browser: Any, base: str, lang: str, tr: dict[str, str], ins_id: int) -> None:
    page, errors, foreign = _open(browser, base, lang, DESK, "chief0", "/ops/board")
    row = f"#issued tr[data-ins='{ins_id}']"
    page.wait_for_selector(f"{row} button[data-act='accepted']")
    assert page.locator("#status").inner_text() == ""
    assert page.locator("#rates dd").count() == 4
    unread = page.locator("#notices li.unread")
    if lang == "zh-CN":
        assert unread.count() == 1
        assert page.locator("#n-notices").inner_text() == "1 " + tr["ops.notice.unread"]
    page.screenshot(path=str(ARTIFACTS / f"ops-board-{lang}.png"), full_page=True)
    _no_overflow(page)
    _no_raw_keys(page)
    page.click(f"{row} button[data-act='accepted']")
    page.wait_for_selector(f"{row} .badge.st-accepted")
    assert page.locator(f"{row} .badge.st-accepted").inner_text() == tr["ops.state.accepted"]
    if lang == "zh-CN":  # mark the notice read; the board then shows it read
        page.click("#notices li.unread button[data-act='read-notice']")
        page.wait_for_selector("#notices li.read")
        assert page.locator("#notices li.unread").count() == 0
        assert page.locator("#n-notices").inner_text() == ""
        assert not page.locator("#notices-read-all").is_visible()
    assert not errors, errors
    assert not foreign, foreign
    page.close()
