"""The services ledger and the volunteer teams in headless Chromium against a real server,
played by the people who do the work:

- a community officer on a 390 px phone (zh-CN) records a mediation in his cell in one tap
  with the minutes and a note; it shows in his entries and in the summary;
- the station chief on a desktop (en) opens /volunteers: the team of a community with its
  members masked, today's shift checked in, the hours; adds a member (shown masked), and sends
  the team to the hot cell that has no team this week, which then leaves the list; the station
  board shows today's services ledger.

Fails on any console error and on any request leaving the server. Screenshots in
``test-artifacts/ledger-*.png`` and ``volunteers-*.png``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import select

from tests.serverutil import prepare_db
from tests.web.browserutil import ARTIFACTS, BROWSER_MARKS, served_browser, signed_in_page

pytestmark = BROWSER_MARKS

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1300, "height": 850}


def test_officer_records_a_service_on_a_phone(tmp_path: Path) -> None:
    with served_browser(tmp_path) as live:
        page, errors, foreign = signed_in_page(
            live.browser, live.base, lang="zh-CN", user="officer0", path="/ledger", viewport=PHONE
        )
        page.wait_for_selector('body[data-ready="1"]')
        assert "请勿填写服务对象的姓名" in page.inner_text("#lg-privacy")
        assert page.inner_text("#lg-entries").strip() == "暂无"
        page.check('input[name="kind"][value="mediation"]')
        page.select_option("#lg-cell", index=1)
        page.fill("#lg-minutes", "35")
        page.fill("#lg-note", "邻里噪音纠纷，当场调解")
        page.click("#lg-save")
        page.wait_for_selector("#lg-entries li[data-id]")
        page.wait_for_selector('body[data-ready="1"]')
        text = page.inner_text("#lg-entries")
        assert "矛盾调解" in text and "35 分钟" in text and "网格1" in text
        assert page.inner_text("#lg-sum-total") == "1"
        assert "矛盾调解 1" in page.inner_text("#lg-summary")
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= PHONE["width"] + 1
        page.screenshot(path=str(ARTIFACTS / "ledger-officer-phone.png"), full_page=True)
    assert errors == [] and foreign == []


def _volunteers(url: str) -> None:
    """A red-armband team in community T1-S0-C0 with two members, one with volunteer0's
    account and a shift on now (checked in) in cell G0; three incidents in cell G3."""
    from pingan.auth.service import Principal
    from pingan.incidents.models import Incident
    from pingan.jurisdictions.models import Jurisdiction
    from pingan.store.base import utcnow
    from pingan.store.engine import make_engine, unit_of_work
    from pingan.volunteers import service
    from pingan.volunteers.schemas import CheckIn, MemberCreate, ShiftCreate, TeamCreate

    engine = make_engine(url)
    admin = Principal(1, "admin", "admin", "/", None)
    now = utcnow()
    with unit_of_work(engine) as s:
        team = service.create_team(
            s,
            principal=admin,
            data=TeamCreate(community_code="T1-S0-C0", name="一社区红袖标队", kind="red_armband"),
        )
        me = service.create_member(
            s,
            principal=admin,
            team_id=team.id,
            data=MemberCreate(name="李秀英", phone="13912345678", username="volunteer0"),
        )
        service.create_member(s, principal=admin, team_id=team.id, data=MemberCreate(name="王强"))
        shift = service.create_shift(
            s,
            principal=admin,
            team_id=team.id,
            data=ShiftCreate(
                member_id=me.id,
                starts_at=now - dt.timedelta(minutes=20),
                ends_at=now + dt.timedelta(hours=2),
                cell_code="T1-S0-C0-G0",
            ),
        )
        g0 = s.scalars(select(Jurisdiction).where(Jurisdiction.code == "T1-S0-C0-G0")).one()
        service.check(
            s,
            principal=admin,
            shift_id=shift.id,
            data=CheckIn(
                at=now - dt.timedelta(minutes=15), lon=g0.centroid_lon, lat=g0.centroid_lat
            ),
            out=False,
        )
        g3 = s.scalars(select(Jurisdiction).where(Jurisdiction.code == "T1-S0-C0-G3")).one()
        for k in range(3):
            x, y = float(g3.centroid_lon or 0), float(g3.centroid_lat or 0)
            s.add(
                Incident(
                    code=f"JQ-B{k}",
                    subtype="theft_other",
                    klass="criminal",
                    priority=3,
                    source="call_110",
                    state="closed",
                    lon=x,
                    lat=y,
                    input_lon=x,
                    input_lat=y,
                    jurisdiction_id=g3.id,
                    jpath=g3.path,
                    reported_at=now - dt.timedelta(hours=2 + k),
                )
            )
        s.commit()
    engine.dispose()


def test_chief_runs_the_volunteer_teams(tmp_path: Path) -> None:
    url, city = prepare_db(tmp_path / "vt.db")
    _volunteers(url)
    with served_browser(tmp_path, url=url, city=city) as live:
        page, errors, foreign = signed_in_page(
            live.browser, live.base, lang="en", user="chief0", path="/volunteers", viewport=DESKTOP
        )
        page.wait_for_selector('body[data-ready="1"]')
        page.wait_for_selector("#vt-members li[data-id]")
        assert "Red armbands" in page.inner_text("#vt-teams")
        members = page.inner_text("#vt-members")
        assert "李**" in members and "139****5678" in members and "李秀英" not in members
        shifts = page.inner_text("#vt-shifts")
        assert "On patrol" in shifts and "李**" in shifts
        assert "T1-S0-C0-G3" in page.inner_html("#vt-hot")
        page.fill("#vt-m-name", "赵敏")
        page.fill("#vt-m-phone", "13700001111")
        page.click("#vt-member-add")
        page.wait_for_selector("#vt-members li:has-text('赵*')")
        assert "137****1111" in page.inner_text("#vt-members")
        assert "3 members" in page.inner_text("#vt-teams")
        page.fill("#vt-reveal-reason", "tonight's patrol roster")
        page.click("#vt-reveal")
        page.wait_for_selector("#vt-contacts li:has-text('李秀英')")
        assert "13912345678" in page.inner_text("#vt-contacts")
        page.screenshot(path=str(ARTIFACTS / "volunteers-chief-desktop.png"), full_page=True)
        page.click('#vt-hot button[data-cell="T1-S0-C0-G3"]')
        page.wait_for_selector('#vt-hot li[data-cell="T1-S0-C0-G3"]', state="detached")
        page.wait_for_selector('body[data-ready="1"]')
        assert page.inner_text("#status") == ""
        page.screenshot(path=str(ARTIFACTS / "volunteers-after-send.png"), full_page=True)
        # the station board shows today's services ledger per community
        page.goto(live.base + "/ops/board")
        page.wait_for_selector("#ledger-board tbody tr")
        assert "Services ledger today" in page.inner_text("#ledger-card")
    assert errors == [] and foreign == []
