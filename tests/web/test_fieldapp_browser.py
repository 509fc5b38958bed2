"""The field app (/m/) on a phone-size Chromium, end to end against the real server: the
officer loads it online, goes offline (the context's offline switch), signs an instruction,
reports back on another with a photo, records a services-ledger entry, a volunteer checks in to
his shift; the page reloads offline and still opens with the queue; back online everything is
sent, and the server holds each action exactly once, stamped with the time it was done (not
the time it was synced). A second test: a queued action that conflicts (409) shows it."""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.factories import SmallCity
from tests.serverutil import prepare_db
from tests.web.browserutil import ARTIFACTS, VENDOR, needs_browser, served_browser

PHONE = {"width": 390, "height": 844}
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
pytestmark = pytest.mark.skipif(
    not (VENDOR / "idb.js").exists() or not (VENDOR / "workbox").is_dir(),
    reason="field app packages not installed (bash scripts/install_frontend.sh)",
)


def _ledger_served() -> bool:
    from pingan.api.app import _ROUTERS

    return "pingan.ledger.views" in _ROUTERS and "pingan.volunteers.views" in _ROUTERS


def _seed(url: str, city: SmallCity) -> dict[str, Any]:
    """Two instructions to the officer (one still to sign, one signed: to report back on), his
    unit linked, a volunteer team with volunteer0 and a shift on now."""
    from pingan.auth.models import User
    from pingan.auth.service import principal_for
    from pingan.fieldapp import service as field
    from pingan.instructions import flows
    from pingan.instructions.models import InstructionRecipient as R
    from pingan.resources import service as resources
    from pingan.resources.schemas import ResourceCreate
    from pingan.store.engine import make_engine, unit_of_work

    engine = make_engine(url)
    now = dt.datetime.now(dt.UTC)
    out: dict[str, Any] = {}
    with unit_of_work(engine) as s:
        chief = principal_for(s, s.get_one(User, city.users["chief0"].id))
        officer = principal_for(s, s.get_one(User, city.users["officer0"].id))
        for name, title in (("sign", "核查幸福里电动车充电隐患"), ("report", "走访独居老人")):
            ins = flows.instruction_issue_flow(
                s,
                principal=chief,
                title=title,
                text="请到现场核查并反馈。",
                priority="high",
                recipients=[("officer", officer.user_id)],
                sign_by=now + dt.timedelta(hours=2),
                complete_by=now + dt.timedelta(hours=30),
            )
            out[name] = (ins.id, None)
        s.commit()
        for name in ("sign", "report"):
            ins_id = out[name][0]
            out[name] = (ins_id, s.scalar(select(R.id).where(R.instruction_id == ins_id)))
        flows.instruction_transition_flow(
            s,
            principal=officer,
            instruction_id=out["report"][0],
            recipient_id=out["report"][1],
            to_state="signed",
        )
        unit = resources.create(
            s,
            principal=chief,
            data=ResourceCreate(
                code="FT-C0", kind="foot_team", name_zh="幸福社区警务队", station_code="T1-S0"
            ),
        )
        field.link_unit(s, principal=chief, username="officer0", unit_code=unit.code)
        s.commit()
        if _ledger_served():
            from pingan.volunteers import service as vol
            from pingan.volunteers.schemas import MemberCreate, ShiftCreate, TeamCreate

            team = vol.create_team(
                s,
                principal=chief,
                data=TeamCreate(community_code="T1-S0-C0", name="幸福红袖标", kind="red_armband"),
            )
            member = vol.create_member(
                s,
                principal=chief,
                team_id=team.id,
                data=MemberCreate(name="李阿姨", username="volunteer0"),
            )
            shift = vol.create_shift(
                s,
                principal=chief,
                team_id=team.id,
                data=ShiftCreate(
                    member_id=member.id,
                    starts_at=now - dt.timedelta(minutes=30),
                    ends_at=now + dt.timedelta(hours=2),
                    cell_code=city.cells[0].code,
                ),
            )
            out["shift"] = shift.id
            s.commit()
    engine.dispose()
    out["where"] = city.cell_center(0)
    return out


def _phone(
    browser: Any, base: str, user: str, where: tuple[float, float]
) -> tuple[Any, Any, list[str], list[str]]:
    """A phone-size context at ``where`` (geolocation allowed), signed in as ``user`` on /m/."""
    context = browser.new_context(
        viewport=PHONE,
        device_scale_factor=1,
        geolocation={"longitude": where[0], "latitude": where[1]},
        permissions=["geolocation"],
        service_workers="allow",
    )
    page = context.new_page()
    errors: list[str] = []
    foreign: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on(
        "request",
        lambda r: foreign.append(r.url) if not r.url.startswith((base, "blob:", "data:")) else None,
    )
    page.goto(f"{base}/login?next=/m/")
    page.fill("#username", user)
    page.fill("#password", "correct-horse-1")
    page.click("#login-submit")
    page.wait_for_selector('body[data-ready="1"]')
    # the service worker runs and controls the page: the shell is kept for the offline opening
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=30_000)
    return context, page, errors, foreign


def _outbox(page: Any) -> list[dict[str, Any]]:
    return page.evaluate(
        "() => FQ.list().then(rs => rs.map(r => ({kind: r.kind, state: r.state, at: r.at, "
        "error: r.error, key: r.key})))"
    )


def _badge(page: Any) -> int:
    return int(page.inner_text("#fa-badge"))


@needs_browser
def test_offline_actions_are_sent_once_with_the_time_they_were_done(tmp_path: Path) -> None:
    if not _ledger_served():
        pytest.skip("ledger API not merged")
    from pingan.instructions.models import InstructionAttachment, InstructionRecipient
    from pingan.ledger.models import LedgerEntry
    from pingan.store.engine import make_engine
    from pingan.volunteers.models import VolunteerShift

    url, city = prepare_db(tmp_path / "web.db")
    ids = _seed(url, city)
    with served_browser(tmp_path, url=url) as live:
        ctx, page, errors, foreign = _phone(live.browser, live.base, "officer0", ids["where"])
        page.wait_for_selector(f'#fa-sign li[data-rec="{ids["sign"][1]}"]')
        page.wait_for_selector(f'#fa-todo li[data-rec="{ids["report"][1]}"]')
        vctx, vpage, verrors, vforeign = _phone(live.browser, live.base, "volunteer0", ids["where"])
        vpage.wait_for_selector(f'#fa-shifts li[data-shift="{ids["shift"]}"] button')
        page.screenshot(path=str(ARTIFACTS / "fieldapp-home.png"))

        ctx.set_offline(True)
        vctx.set_offline(True)
        page.wait_for_selector('#fa-net[data-online="0"]')
        t0 = dt.datetime.now(dt.UTC)
        # sign
        page.click(f'#fa-sign li[data-rec="{ids["sign"][1]}"] button[data-act="sign"]')
        page.wait_for_selector(f'#fa-sign li[data-rec="{ids["sign"][1]}"] .fa-tag.wait')
        # report back with a photo (start, then report: two queued steps)
        page.click(f'#fa-todo li[data-rec="{ids["report"][1]}"] button[data-act="report-form"]')
        page.fill("#fa-report-text", "已上门走访，老人身体良好。")
        page.set_input_files(
            "#fa-photo", files=[{"name": "visit.png", "mimeType": "image/png", "buffer": PNG}]
        )
        page.wait_for_function(
            "() => document.getElementById('fa-where').textContent.includes(',')"
        )
        page.click("#fa-report button[type=submit]")
        # a services-ledger entry
        page.click('#fa-tabs button[data-tab="ledger"]')
        page.click('#fa-ledger label:has(input[value="help"])')
        page.fill("#fa-ledger-min", "25")
        page.click("#fa-ledger button[type=submit]")
        page.wait_for_selector('#fa-outbox li[data-kind="ledger.entry"][data-state="waiting"]')
        # the volunteer checks in
        vpage.click(f'#fa-shifts li[data-shift="{ids["shift"]}"] button[data-dir="in"]')
        vpage.wait_for_selector(f'#fa-shifts li[data-shift="{ids["shift"]}"] .fa-tag.wait')
        assert _badge(page) == 4 and _badge(vpage) == 1
        page.screenshot(path=str(ARTIFACTS / "fieldapp-offline-outbox.png"))

        # closed and opened again with no network: the shell and the queue are there
        page.reload()
        page.wait_for_selector('body[data-ready="1"]')
        assert page.evaluate("() => navigator.onLine") is False
        assert _badge(page) == 4
        page.click('#fa-tabs button[data-tab="home"]')
        page.wait_for_selector(f'#fa-sign li[data-rec="{ids["sign"][1]}"] .fa-tag.wait')
        queued = _outbox(page)
        assert [r["kind"] for r in queued] == [
            "instruction.sign",
            "instruction.start",
            "instruction.report",
            "ledger.entry",
        ]
        assert len({r["key"] for r in queued}) == 4
        # some time passes before the network is back: the server must keep the acted time
        page.wait_for_timeout(1500)
        t1 = dt.datetime.now(dt.UTC)
        ctx.set_offline(False)
        vctx.set_offline(False)
        page.wait_for_function(
            "() => document.getElementById('fa-badge').dataset.n === '0'", timeout=60_000
        )
        vpage.wait_for_function(
            "() => document.getElementById('fa-badge').dataset.n === '0'", timeout=60_000
        )
        sent = _outbox(page) + _outbox(vpage)
        assert {r["state"] for r in sent} == {"done"}, sent
        page.click('#fa-tabs button[data-tab="outbox"]')
        page.screenshot(path=str(ARTIFACTS / "fieldapp-synced.png"))
        assert errors == [] and foreign == [] and verrors == [] and vforeign == [], (
            errors,
            verrors,
        )
        acted = {r["kind"]: dt.datetime.fromisoformat(r["at"].replace("Z", "+00:00")) for r in sent}

    engine = make_engine(url)
    with engine.connect() as c:
        sign = c.execute(
            select(InstructionRecipient).where(InstructionRecipient.id == ids["sign"][1])
        ).one()
        assert sign.state == "signed"
        assert sign.signed_at == acted["instruction.sign"] and t0 <= sign.signed_at < t1
        rep = c.execute(
            select(InstructionRecipient).where(InstructionRecipient.id == ids["report"][1])
        ).one()
        assert rep.state == "reported" and rep.report_text.startswith("已上门走访")
        assert rep.reported_at == acted["instruction.report"] and t0 <= rep.reported_at < t1
        assert rep.report_lon == pytest.approx(ids["where"][0], abs=1e-5)
        photos = c.scalar(
            select(func.count(InstructionAttachment.id)).where(
                InstructionAttachment.recipient_id == ids["report"][1]
            )
        )
        assert photos == 1
        entries = c.execute(select(LedgerEntry)).all()
        assert len(entries) == 1 and entries[0].kind == "help" and entries[0].minutes == 25
        assert entries[0].at == acted["ledger.entry"] and t0 <= entries[0].at < t1
        shift = c.execute(select(VolunteerShift).where(VolunteerShift.id == ids["shift"])).one()
        assert shift.checked_in_at == acted["shift.in"] and t0 <= shift.checked_in_at < t1
    engine.dispose()


@needs_browser
def test_a_queued_action_that_conflicts_shows_the_reason(tmp_path: Path) -> None:
    from pingan.auth.models import User
    from pingan.auth.service import principal_for
    from pingan.instructions import flows
    from pingan.store.engine import make_engine, unit_of_work

    url, city = prepare_db(tmp_path / "web.db")
    ids = _seed(url, city)
    with served_browser(tmp_path, url=url) as live:
        ctx, page, errors, foreign = _phone(live.browser, live.base, "officer0", ids["where"])
        page.wait_for_selector(f'#fa-sign li[data-rec="{ids["sign"][1]}"]')
        ctx.set_offline(True)
        page.click(f'#fa-sign li[data-rec="{ids["sign"][1]}"] button[data-act="sign"]')
        page.wait_for_selector(f'#fa-sign li[data-rec="{ids["sign"][1]}"] .fa-tag.wait')
        # meanwhile the instruction is signed from the desk (ops page): the phone's sign conflicts
        engine = make_engine(url)
        with unit_of_work(engine) as s:
            officer = principal_for(s, s.get_one(User, city.users["officer0"].id))
            flows.instruction_transition_flow(
                s,
                principal=officer,
                instruction_id=ids["sign"][0],
                recipient_id=ids["sign"][1],
                to_state="signed",
            )
        engine.dispose()
        ctx.set_offline(False)
        page.click('#fa-tabs button[data-tab="outbox"]')
        # refused (409): the sign stays on the phone with the reason; the instruction signed at
        # the desk left the list to sign
        item = page.wait_for_selector('#fa-outbox li[data-state="failed"]', timeout=60_000)
        text = item.inner_text()
        assert "与当前状态冲突" in text and "signed" in text
        assert page.evaluate("() => document.getElementById('fa-badge').classList.contains('bad')")
        [row] = _outbox(page)
        assert row["state"] == "failed" and row["error"]["status"] == 409
        page.screenshot(path=str(ARTIFACTS / "fieldapp-conflict.png"))
        # the 409 of the sync is the answer the app expected: no console error beyond it
        assert [e for e in errors if "409" not in e] == [] and foreign == []


def test_field_i18n_files_cover_every_key() -> None:
    import json
    import re

    web = Path(__file__).resolve().parents[2] / "src" / "pingan" / "web"
    zh = json.loads((web / "i18n" / "field.zh-CN.json").read_text(encoding="utf-8"))
    en = json.loads((web / "i18n" / "field.en.json").read_text(encoding="utf-8"))
    assert set(zh) == set(en)
    text = (web / "static" / "js" / "m" / "app.js").read_text(encoding="utf-8")
    text += (web / "templates" / "field.html").read_text(encoding="utf-8")
    used = set(re.findall(r'\bt\(\s*"((?:field|ledger)\.[a-z0-9_.]+[a-z0-9_])"\s*\)', text))
    assert used and used <= set(en), used - set(en)
    for prefix, names in {
        "field.tab.": ("home", "map", "ledger", "dispute", "outbox", "shifts"),
        "field.state.": ("waiting", "sending", "done", "failed"),
        "field.err.": ("409", "422", "404", "403", "413", "other"),
        "ledger.kind.": (
            "visit", "mediation", "help", "lost_found", "certificate", "school_talk", "other",
        ),
        "field.shift_": ("in", "out"),
        "field.patrol_kind.": ("point", "line", "area"),
        "field.res.": ("pass", "fail", "na"),
        "field.due_reason.": ("never", "issues_found"),
    }.items():  # fmt: skip
        assert {prefix + n for n in names} <= set(en)


@needs_browser
def test_on_duty_shares_the_units_position_in_english(tmp_path: Path) -> None:
    from pingan.resources.models import Resource, ResourcePosition
    from pingan.store.engine import make_engine

    url, city = prepare_db(tmp_path / "web.db")
    ids = _seed(url, city)
    with served_browser(tmp_path, url=url) as live:
        _ctx, page, errors, foreign = _phone(live.browser, live.base, "officer0", ids["where"])
        page.click(".fa-lang")  # to English: the shell comes from the network, not the copy
        page.wait_for_selector('html[lang="en"] body[data-ready="1"]')
        page.wait_for_selector("#fa-duty:not([hidden])")
        assert "On duty" in page.inner_text("#fa-duty")
        assert page.inner_text("#fa-sharing") == "Off duty: your position is not shared."
        page.check("#fa-duty-toggle")
        page.wait_for_selector("#fa-sharing[data-sent]", timeout=30_000)
        assert page.inner_text("#fa-sharing").startswith("Sharing position:")
        page.screenshot(path=str(ARTIFACTS / "fieldapp-on-duty-en.png"))
        page.uncheck("#fa-duty-toggle")
        page.wait_for_function(
            "() => document.getElementById('fa-sharing').textContent.startsWith('Off duty')"
        )
        assert errors == [] and foreign == []
    engine = make_engine(url)
    with engine.connect() as c:
        unit = c.execute(select(Resource).where(Resource.code == "FT-C0")).one()
        assert unit.lon == pytest.approx(ids["where"][0]) and unit.lat == pytest.approx(
            ids["where"][1]
        )
        n = c.scalar(
            select(func.count(ResourcePosition.id)).where(ResourcePosition.resource_id == unit.id)
        )
        assert n >= 1
    engine.dispose()


@needs_browser
def test_the_map_of_his_community_opens_offline(tmp_path: Path) -> None:
    url, city = prepare_db(tmp_path / "web.db")
    ids = _seed(url, city)
    with served_browser(tmp_path, url=url) as live:
        ctx, page, errors, foreign = _phone(live.browser, live.base, "officer0", ids["where"])
        # the map's library and his cells are kept while the network is there
        page.wait_for_selector('body[data-map-kept="1"]', timeout=60_000)
        ctx.set_offline(True)
        page.reload()
        page.wait_for_selector('body[data-ready="1"]')
        page.click('#fa-tabs button[data-tab="map"]')
        page.wait_for_selector('#fa-map[data-drawn="1"]', timeout=60_000)
        cells = page.evaluate("() => FQ.getSnap('cells').then(d => d.features.length)")
        assert cells == 4  # the officer's community: its four cells
        page.screenshot(path=str(ARTIFACTS / "fieldapp-map-offline.png"))
        assert errors == [] and foreign == []


def _seed_duties(url: str, city: SmallCity) -> dict[str, Any]:
    """A school in his first cell, never inspected (due), and today's published patrol plan of
    his station with a route assigned to him."""
    import json

    from pingan.keyplaces.service import local_tz
    from pingan.patrols.models import PatrolItem, PatrolPlan
    from pingan.places.models import Premises
    from pingan.store.engine import make_engine, unit_of_work

    engine = make_engine(url)
    now = dt.datetime.now(dt.UTC)
    local = now.astimezone(local_tz())
    block = local.hour // 6
    start = dt.datetime.combine(local.date(), dt.time(6 * block), tzinfo=local_tz())
    lon, lat = city.cell_center(0)
    with unit_of_work(engine) as s:
        cell = city.cells[0]
        p = Premises(
            code="S-FIELD", kind="school", name="幸福小学", lon=lon, lat=lat,
            jurisdiction_id=cell.id, jpath=cell.path,
        )  # fmt: skip
        st = city.stations[0]
        plan = PatrolPlan(
            station_id=st.id, jpath=st.path, day=local.date(), block=block,
            starts_at=start.astimezone(dt.UTC),
            ends_at=(start + dt.timedelta(hours=6)).astimezone(dt.UTC), status="published",
        )  # fmt: skip
        s.add_all([p, plan])
        s.flush()
        stop = {"lon": lon, "lat": lat, "arrive_s": 600.0, "dwell_s": 120.0, "prize": 1.0}
        s.add(
            PatrolItem(
                plan_id=plan.id, kind="line", mode="foot", label="幸福路巡线",
                officer_id=city.users["officer0"].id,
                geometry=json.dumps({"type": "LineString", "coordinates": [[lon, lat]] * 2}),
                stops=json.dumps([stop]), duration_s=3600.0,
            )
        )  # fmt: skip
        out = {"premises": p.id, "plan": plan.id}
        s.commit()
    engine.dispose()
    return out


@needs_browser
def test_an_inspection_done_offline_is_stored_once_with_its_time(tmp_path: Path) -> None:
    from pingan.evaluation.models import PremisesInspection
    from pingan.keyplaces.models import InspectionResult, RectificationOrder
    from pingan.store.engine import make_engine

    url, city = prepare_db(tmp_path / "web.db")
    ids = _seed(url, city) | _seed_duties(url, city)
    with served_browser(tmp_path, url=url) as live:
        ctx, page, errors, foreign = _phone(live.browser, live.base, "officer0", ids["where"])
        page.wait_for_selector(f'#fa-due li[data-premises="{ids["premises"]}"] button')
        page.wait_for_selector(f'#fa-patrols li[data-plan="{ids["plan"]}"] [data-item]')
        assert "幸福路巡线" in page.inner_text("#fa-patrols")
        # with no network, opened again: the duties are drawn from the phone's copy
        ctx.set_offline(True)
        page.reload()
        page.wait_for_selector('body[data-ready="1"]')
        assert page.evaluate("() => navigator.onLine") is False
        page.wait_for_selector(f'#fa-patrols li[data-plan="{ids["plan"]}"] [data-item]')
        t0 = dt.datetime.now(dt.UTC)
        page.click(f'#fa-due li[data-premises="{ids["premises"]}"] button[data-act="inspect-form"]')
        page.wait_for_selector("#fa-inspect fieldset[data-code]")
        codes = page.eval_on_selector_all(
            "#fa-inspect fieldset[data-code]", "fs => fs.map(f => f.dataset.code)"
        )
        assert "fire_inspection" in codes
        page.click("#fa-inspect button[type=submit]")  # nothing chosen: refused on the phone
        page.wait_for_selector("#fa-toast.bad:not([hidden])")
        for k, code in enumerate(codes):
            res = "fail" if k == 0 else "pass"
            page.click(f'#fa-inspect fieldset[data-code="{code}"] label:has(input[value="{res}"])')
        page.fill(f'#fa-inspect fieldset[data-code="{codes[0]}"] .fa-item-note', "门卫不在岗")
        page.fill("#fa-inspect-owner", "王校长")
        page.screenshot(path=str(ARTIFACTS / "fieldapp-inspect-offline.png"))
        page.click("#fa-inspect button[type=submit]")
        page.wait_for_selector(f'#fa-due li[data-premises="{ids["premises"]}"] .fa-tag.wait')
        assert _badge(page) == 1
        [queued] = _outbox(page)
        assert queued["kind"] == "inspection" and queued["state"] == "waiting"
        page.wait_for_timeout(1500)
        t1 = dt.datetime.now(dt.UTC)
        ctx.set_offline(False)
        page.wait_for_function(
            "() => document.getElementById('fa-badge').dataset.n === '0'", timeout=60_000
        )
        [sent] = _outbox(page)
        assert sent["state"] == "done", sent
        # sent once more with the same key (a resend after a lost answer): replayed, not stored
        again = page.evaluate(
            """([key, url]) => FQ.list().then(([r]) => fetch(url, {method: 'POST',
                credentials: 'same-origin', body: JSON.stringify(r.body),
                headers: {'Content-Type': 'application/json', 'Idempotency-Key': key,
                          'X-CSRF-Token': FQ.csrf}}))
              .then(r => [r.status, r.headers.get('Idempotency-Replayed')])""",
            [sent["key"], f"/api/v1/premises/{ids['premises']}/inspections"],
        )
        assert again == [201, "true"]
        page.click('#fa-tabs button[data-tab="home"]')
        page.screenshot(path=str(ARTIFACTS / "fieldapp-inspect-synced.png"))
        assert errors == [] and foreign == [], errors
        acted = dt.datetime.fromisoformat(sent["at"].replace("Z", "+00:00"))

    engine = make_engine(url)
    with engine.connect() as c:
        rows = c.execute(
            select(PremisesInspection).where(PremisesInspection.premises_id == ids["premises"])
        ).all()
        assert len(rows) == 1
        insp = rows[0]
        assert insp.inspected_at == acted and t0 <= insp.inspected_at < t1
        assert insp.outcome == "issues_found" and insp.lon == pytest.approx(ids["where"][0])
        n_items = c.scalar(
            select(func.count(InspectionResult.id)).where(InspectionResult.inspection_id == insp.id)
        )
        assert n_items == len(codes)
        orders = c.execute(
            select(RectificationOrder).where(RectificationOrder.inspection_id == insp.id)
        ).all()
        assert len(orders) == 1 and orders[0].item_code == codes[0]
    engine.dispose()
