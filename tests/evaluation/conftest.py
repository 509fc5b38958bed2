"""Work records in the small city with figures computable by hand (period 2026Q3).

Station 0's cells are owned by ``officer0``, station 1's by ``officer1``. In cell 0 of station 0:

- instructions to officer0 (created 10 July): one signed and reported on time, one signed and
  reported late, one never signed (deadlines passed) -> signed on time 1/3, completed 1/3;
  one to officer1, signed and reported on time -> 1/1;
- checklist tasks of officer0: done, late, missed, open -> completion 2/3, on time 1/3;
- disputes resolved in the period: one stable, one found recurring at a follow-up, one with a
  new dispute 10 m away 20 days later -> 1/3 (the later one is not resolved);
- burglaries: 2 this quarter, 4 in 2025Q3 -> 0.5; response seconds 100, 200, 600 -> median
  200, p90 520;
- two schools, one inspected -> 0.5; a survey of 40 residents, 36 satisfied -> 0.9.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest
from sqlalchemy.orm import Session

from pingan.audit.service import Actor
from pingan.auth import service as auth
from pingan.auth.models import User
from pingan.checklists.models import ChecklistTask, ChecklistTemplate
from pingan.disputes.models import Dispute, DisputeFollowUp
from pingan.evaluation.models import PremisesInspection, SatisfactionSurvey
from pingan.incidents.models import Incident
from pingan.instructions.models import Instruction, InstructionRecipient
from pingan.places.models import Premises
from tests.factories import SmallCity

UTC = dt.UTC
NOW = dt.datetime(2026, 12, 1, tzinfo=UTC)
T0 = dt.datetime(2026, 7, 10, 2, tzinfo=UTC)


@dataclass
class Records:
    city: SmallCity
    officer1: User
    late_recipients: list[int] = field(default_factory=list)
    ontime_recipient: int = 0
    disputes: list[int] = field(default_factory=list)
    incidents: list[int] = field(default_factory=list)


def _h(hours: float) -> dt.timedelta:
    return dt.timedelta(hours=hours)


@pytest.fixture()
def records(session: Session, city: SmallCity) -> Records:
    """The records of the module docstring, in the test's rolled-back transaction."""
    return seed_records(session, city)


def seed_records(session: Session, city: SmallCity) -> Records:
    """Add the records of the module docstring to ``city`` (flushed, not committed)."""
    sys = Actor.system("test")
    off0 = city.users["officer0"]
    off1 = auth.create_user(
        session,
        actor=sys,
        username="officer1",
        password="correct-horse-1",
        role="community_officer",
        jurisdiction_code="T1-S1-C0",
    )
    city.tokens["officer1"] = auth.create_token(session, actor=sys, user=off1, name="test")
    for cell in city.cells[8:]:
        cell.owner_id = off1.id
    session.flush()
    rec = Records(city, off1)
    cell0, com0 = city.cells[0], city.communities[0]
    admin = city.users["admin"]

    # ---- instructions
    ins = Instruction(
        code="ZL-T-1",
        title="巡查",
        text="巡查",
        priority="normal",
        issuer_id=admin.id,
        issuer_level="bureau",
        jpath="/",
        sign_by=T0 + _h(2),
        complete_by=T0 + _h(48),
    )
    session.add(ins)
    session.flush()

    def recipient(officer: User, jpath: str, signed: float | None, reported: float | None) -> int:
        r = InstructionRecipient(
            instruction_id=ins.id,
            kind="officer",
            officer_id=officer.id,
            jpath=jpath,
            state="issued" if signed is None else "reported",
            priority="normal",
            sign_by=T0 + _h(2),
            complete_by=T0 + _h(48),
            signed_at=None if signed is None else T0 + _h(signed),
            first_reported_at=None if reported is None else T0 + _h(reported),
            created_at=T0,
        )
        session.add(r)
        session.flush()
        return r.id

    rec.ontime_recipient = recipient(off0, com0.path, 1, 30)
    rec.late_recipients = [
        recipient(off0, com0.path, 5, 60),
        recipient(off0, com0.path, None, None),
    ]
    recipient(off1, city.communities[2].path, 1, 10)

    # ---- checklist tasks
    tpl = ChecklistTemplate(
        code="t-visit",
        name_zh="走访",
        name_en="Visit",
        role="community_officer",
        frequency="daily",
        target="cell",
    )
    session.add(tpl)
    session.flush()
    for k, state in enumerate(("done", "late", "missed", "open")):
        day = dt.date(2026, 7, 1 + k)
        due = dt.datetime(2026, 7, 1 + k, 8, tzinfo=UTC)
        session.add(
            ChecklistTask(
                template_id=tpl.id,
                station_id=city.stations[0].id,
                assignee_id=off0.id,
                target_kind="cell",
                target_id=cell0.id,
                jpath=city.stations[0].path,
                day=day,
                slot="",
                due_at=due,
                close_at=due + _h(24),
                state=state,
            )
        )

    # ---- disputes
    lon, lat = city.cell_center(0)

    def dispute(
        code: str, dlon: float, registered: dt.datetime, resolved: dt.datetime | None
    ) -> Dispute:
        d = Dispute(
            code=code,
            kind="neighbourhood",
            state="resolved" if resolved else "mediating",
            source="visit",
            lon=lon + dlon,
            lat=lat,
            jurisdiction_id=cell0.id,
            jpath=cell0.path,
            owner_id=off0.id,
            registered_at=registered,
            resolved_at=resolved,
        )
        session.add(d)
        session.flush()
        rec.disputes.append(d.id)
        return d

    dispute("JF-1", 0.0, dt.datetime(2026, 7, 2, tzinfo=UTC), dt.datetime(2026, 7, 20, tzinfo=UTC))
    d2 = dispute(
        "JF-2", 0.003, dt.datetime(2026, 7, 3, tzinfo=UTC), dt.datetime(2026, 7, 21, tzinfo=UTC)
    )
    session.add(
        DisputeFollowUp(
            dispute_id=d2.id,
            due_on=dt.date(2026, 8, 20),
            done_at=dt.datetime(2026, 8, 20, tzinfo=UTC),
            outcome="recurring",
        )
    )
    dispute("JF-3", 0.006, dt.datetime(2026, 7, 4, tzinfo=UTC), dt.datetime(2026, 8, 1, tzinfo=UTC))
    dispute("JF-4", 0.0061, dt.datetime(2026, 8, 21, tzinfo=UTC), None)  # 10 m from JF-3

    # ---- incidents: burglaries this quarter and last year, response times
    def incident(
        code: str, at: dt.datetime, on_scene_s: float | None, subtype: str = "burglary"
    ) -> None:
        i = Incident(
            code=code,
            subtype=subtype,
            klass="criminal",
            priority=2,
            source="call_110",
            state="closed",
            lon=lon,
            lat=lat,
            input_lon=lon,
            input_lat=lat,
            jurisdiction_id=cell0.id,
            jpath=cell0.path,
            reported_at=at,
            on_scene_at=None if on_scene_s is None else at + dt.timedelta(seconds=on_scene_s),
        )
        session.add(i)
        session.flush()
        rec.incidents.append(i.id)

    incident("JQ-1", dt.datetime(2026, 7, 5, tzinfo=UTC), 100)
    incident("JQ-2", dt.datetime(2026, 8, 5, tzinfo=UTC), 600)
    incident("JQ-3", dt.datetime(2026, 9, 5, tzinfo=UTC), 200, subtype="fraud")
    for k in range(4):
        incident(f"JQ-L{k}", dt.datetime(2025, 7, 5 + k, tzinfo=UTC), None)

    # ---- premises, inspections, survey
    for k in range(2):
        p = Premises(
            code=f"P-{k}",
            kind="school",
            name=f"学校{k}",
            lon=lon,
            lat=lat,
            jurisdiction_id=cell0.id,
            jpath=cell0.path,
        )
        session.add(p)
        session.flush()
        if k == 0:
            session.add(
                PremisesInspection(
                    premises_id=p.id,
                    jpath=cell0.path,
                    officer_id=off0.id,
                    inspected_at=dt.datetime(2026, 8, 1, tzinfo=UTC),
                )
            )
    session.add(
        SatisfactionSurvey(
            cell_id=cell0.id,
            jpath=cell0.path,
            period_start=dt.date(2026, 7, 1),
            period_end=dt.date(2026, 9, 30),
            respondents=40,
            satisfied=36,
        )
    )
    session.flush()
    return rec
