"""Demo citizen services: the supervision office's users, officers' public profiles, community
notices, online reports of the last eight weeks (some answered, some in progress or done, one
merged), complaints about conduct (two overdue and escalated), and rental houses with landlords'
phones and registered stays (a few waiting for the officer). Made through the same services as
the public forms (audited); deterministic for a seed; a few seconds."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
from sqlalchemy import select

from pingan.audit.service import Actor
from pingan.auth.models import User
from pingan.auth.service import create_user
from pingan.citizens import rental, service
from pingan.citizens.categories import CATEGORIES
from pingan.citizens.models import OfficerProfile, PublicNotice
from pingan.citizens.schemas import ComplaintIn, ReportIn, StayIn
from pingan.errors import Invalid
from pingan.incidents import service as incidents
from pingan.jurisdictions.models import Jurisdiction
from pingan.places.models import Premises
from pingan.ratings.models import StationPhone
from pingan.store.base import utcnow
from pingan.store.engine import unit_of_work

__all__ = ["seed_citizens"]

DESCRIPTIONS = {
    "theft": "放在店门口的手机被人顺走了",
    "bicycle_theft": "停在楼下的电动车不见了，车锁被剪断",
    "vehicle_break_in": "车窗被砸，包被拿走",
    "fraud": "接到冒充快递客服的电话，被骗转账两千元",
    "noise": "楼下烧烤摊每晚营业到凌晨，噪音很大",
    "gambling": "小区地下室晚上有人聚众打牌赌钱",
    "disorder": "有人在菜市场门口吵闹，影响通行",
    "traffic": "学校门口早高峰车辆乱停，堵塞严重",
    "lost_property": "在公交站遗失一个黑色双肩包",
    "neighbour": "楼上住户长期漏水，协商不成",
    "other": "路灯损坏多日，夜间行人不安全",
}
REPLIES = ("已收到，民警将尽快核实处理", "民警已到现场处理完毕", "已联系相关部门处理")
NOTICES = (
    (
        "防范电信网络诈骗",
        "近期冒充客服退款、刷单返利诈骗高发。凡是要求转账的都是诈骗，请拨打 96110 咨询。",
    ),
    ("电动车防盗提醒", "夜间请将电动车停放在有监控的集中停车点，并加装防盗锁。"),
    ("出租房屋登记提醒", "房东请扫描门口的出租房二维码，及时登记租住人员信息。"),
)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英"


def _id_no(rng: np.random.Generator) -> str:
    """A synthetic 18-character ID number (Kunming area code, a birth date, a serial)."""
    born = dt.date(1960, 1, 1) + dt.timedelta(days=int(rng.integers(0, 16000)))
    serial = int(rng.integers(0, 1000))
    check = "0123456789X"[int(rng.integers(0, 11))]
    return f"530102{born:%Y%m%d}{serial:03d}{check}"


def seed_citizens(engine: Any, *, seed: int, supervisor_password: str | None = None) -> str:
    """Seed the citizen services; a one-line summary."""
    rng = np.random.default_rng(seed + 23)
    now = utcnow()
    stations = _seed_people_and_notices(engine, supervisor_password=supervisor_password, now=now)
    made = _seed_reports(engine, rng=rng, now=now)
    _seed_complaints(engine, rng=rng, stations=stations, now=now)
    stays = _seed_rentals(engine, rng=rng, now=now)
    return f"citizens: {made} online reports, 10 complaints, {stays} rental stays"


def _seed_people_and_notices(
    engine: Any, *, supervisor_password: str | None, now: dt.datetime
) -> list[str]:
    """The supervisor, stations' phones, officers' public profiles, a notice per community;
    the station codes."""
    sys = Actor.system("demo")
    with unit_of_work(engine) as s:
        if (
            supervisor_password
            and s.scalar(select(User).where(User.username == "supervisor")) is None
        ):
            create_user(
                s,
                actor=sys,
                username="supervisor",
                password=supervisor_password,
                role="supervisor",
                display_name="督察支队",
            )
        stations = s.scalars(
            select(Jurisdiction).where(Jurisdiction.level == "station").order_by(Jurisdiction.id)
        ).all()
        for k, st in enumerate(stations):
            if s.get(StationPhone, st.id) is None:
                s.add(StationPhone(station_id=st.id, phone=f"0871-6{k:03d}1110"))
        for u in s.scalars(select(User).where(User.role == "community_officer").order_by(User.id)):
            if s.get(OfficerProfile, u.id) is None:
                s.add(
                    OfficerProfile(
                        user_id=u.id,
                        office_hours="周一至周五 9:00-12:00, 14:30-17:30",
                        work_phone=f"0871-6{u.id % 1000:03d}{u.id % 10000:04d}",
                    )
                )
        communities = s.scalars(
            select(Jurisdiction).where(Jurisdiction.level == "community").order_by(Jurisdiction.id)
        ).all()
        for k, com in enumerate(communities):
            title, body = NOTICES[k % len(NOTICES)]
            s.add(
                PublicNotice(
                    jurisdiction_id=com.id,
                    jpath=com.path,
                    title=title,
                    body=body,
                    valid_from=now.date() - dt.timedelta(days=7),
                    valid_until=now.date() + dt.timedelta(days=60),
                )
            )
        codes = [st.code for st in stations]
        s.commit()
    return codes


def _seed_reports(engine: Any, *, rng: np.random.Generator, now: dt.datetime) -> int:
    """Online reports at premises over the last eight weeks; the older ones answered and
    resolved, some in progress."""
    with unit_of_work(engine) as s:
        places = s.execute(
            select(Premises.lon, Premises.lat, Premises.address_text, Premises.name).order_by(
                Premises.id
            )
        ).all()
        n_reports = min(80, len(places))
        pick: list[int] = (
            [int(x) for x in rng.choice(len(places), size=n_reports, replace=False)]
            if places
            else []
        )
        made: list[tuple[Any, Any]] = []
        for i, k in enumerate(pick):
            p = places[k]
            cat = CATEGORIES[int(rng.integers(0, len(CATEGORIES)))]
            at = now - dt.timedelta(days=float(rng.uniform(0.05, 56)))
            jitter = rng.normal(0, 0.0005, 2)
            try:
                made.append(
                    service.create_report(
                        s,
                        data=ReportIn(
                            category=cat.code,
                            description=DESCRIPTIONS[cat.code],
                            lon=float(p.lon + jitter[0]),
                            lat=float(p.lat + jitter[1]),
                            address_text=p.address_text or p.name,
                            phone=f"13{int(rng.integers(0, 10**9)):09d}" if i % 3 == 0 else None,
                            consent=i % 3 == 0,
                        ),
                        now=at,
                    )
                )
            except Invalid:  # a premises outside every area: skip it
                continue
        who = service.public_principal("demo")
        for i, (rep, inc) in enumerate(made):
            if inc.state != "received":
                continue
            age_d = (now - rep.created_at).total_seconds() / 86400
            if age_d > 3 and i % 4 != 3:
                incidents.transition(
                    s,
                    principal=who,
                    incident_id=inc.id,
                    to_state="resolved",
                    at=rep.created_at + dt.timedelta(hours=2),
                )
                service.add_reply(
                    s, principal=who, incident_id=inc.id, text=REPLIES[1], public=True
                )
            elif i % 2 == 0:
                incidents.transition(
                    s,
                    principal=who,
                    incident_id=inc.id,
                    to_state="dispatched",
                    at=rep.created_at + dt.timedelta(minutes=30),
                )
                service.add_reply(
                    s, principal=who, incident_id=inc.id, text=REPLIES[0], public=True
                )
        s.commit()
    return len(made)


def _seed_complaints(
    engine: Any, *, rng: np.random.Generator, stations: list[str], now: dt.datetime
) -> None:
    """Ten complaints: new, in progress, one concluded, overdue ones escalated."""
    cats = ["attitude", "inaction", "misconduct", "other"]
    ages = [0.2, 1, 2, 5, 9, 12, 20, 35, 4, 6]
    with unit_of_work(engine) as s:
        for i, age in enumerate(ages):
            c = service.create_complaint(
                s,
                data=ComplaintIn(
                    category=cats[i % len(cats)],
                    station_code=stations[i % len(stations)] if stations else None,
                    description="民警接警后长时间未到场，电话联系也无人回应，希望核查。",
                    officer_text=f"警号 0{int(rng.integers(10000, 99999))}" if i % 2 else None,
                ),
                now=now - dt.timedelta(days=age),
            )
            if i in (4, 5, 6):
                c.state, c.accepted_at = "accepted", c.created_at + dt.timedelta(days=1)
            if i == 7:
                c.state, c.accepted_at = "concluded", c.created_at + dt.timedelta(days=1)
                c.concluded_at = c.created_at + dt.timedelta(days=20)
                c.conclusion = "经调查，已对涉事民警批评教育。"
        service.escalate_complaints(s, actor=Actor.system("demo"), now=now)
        s.commit()


def _seed_rentals(engine: Any, *, rng: np.random.Generator, now: dt.datetime) -> int:
    """Landlords' phones on rental houses, stays for four in five (one in seven waiting for
    the officer)."""
    stays = 0
    with unit_of_work(engine) as s:
        houses = s.scalars(
            select(Premises).where(Premises.kind == "rental_house").order_by(Premises.id).limit(400)
        ).all()
        for k, h in enumerate(houses):
            if not h.contact_phone:
                h.contact_phone = f"139{int(rng.integers(0, 10**8)):08d}"
                h.contact_recorded_at = now
            if k % 5 == 4:
                continue
            start = now.date() - dt.timedelta(days=int(rng.integers(5, 300)))
            name = (
                SURNAMES[int(rng.integers(0, len(SURNAMES)))]
                + GIVEN[int(rng.integers(0, len(GIVEN)))]
            )
            stay = rental.register_stay(
                s,
                premises_id=h.id,
                data=StayIn(
                    tenant_count=int(rng.integers(1, 5)),
                    start_date=start,
                    end_date=start + dt.timedelta(days=int(rng.integers(90, 400))),
                    tenant_name=name,
                    tenant_id_no=_id_no(rng),
                    consent=True,
                ),
                landlord_phone=h.contact_phone or "",
                now=now,
            )
            if k % 7 != 0:
                stay.state, stay.reviewed_at = "accepted", now
            stays += 1
        s.commit()
    return stays
