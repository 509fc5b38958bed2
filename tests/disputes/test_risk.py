"""Escalation risk: the rules fire with their facts and explanations, the level follows the
fired rules, a rise issues an instruction to the owning officer, and the re-screening pass."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.audit.service import Actor, verify
from pingan.disputes.flows import dispute_rescreen_flow
from pingan.disputes.models import Dispute
from pingan.disputes.risk import CaseFacts, NearbyCall, RuleSet, evaluate, get_rules
from tests.conftest import auth
from tests.disputes.test_disputes_api import body, register, step
from tests.factories import SmallCity

AT = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)


def call(
    i: int, days_ago: float, m: float = 20.0, subtype: str = "neighbour_dispute"
) -> NearbyCall:
    klass = "dispute" if subtype.endswith("_dispute") else "public_order"
    return NearbyCall(i, subtype, klass, AT - dt.timedelta(days=days_ago), m)


def test_no_rule_is_low() -> None:
    r = evaluate(CaseFacts(), at=AT)
    assert r.level == "low" and r.fired == [] and r.reason_en == "no rule fired"


def test_repeat_calls_counts_window_radius_and_subtypes() -> None:
    calls = [
        call(1, 2),
        call(2, 10, subtype="noise"),
        call(3, 29),
        call(4, 31),  # outside the 30-day window
        call(5, 3, m=80),  # outside 50 m
        call(6, 1, subtype="pickpocketing"),  # not a related subtype
    ]
    r = evaluate(CaseFacts(nearby_calls=calls), at=AT)
    assert r.level == "medium"
    (f,) = r.fired
    assert f.code == "repeat_calls" and f.facts["calls"] == 3
    assert f.facts["incident_ids"] == [3, 2, 1]
    assert f.explanation_en == (
        "3 calls within 30 days within 50 m of the dispute place (incidents 3, 2, 1)"
    )
    assert f.explanation_zh == "30 天内距纠纷地点 50 米内有 3 起相关警情（3, 2, 1）"
    assert evaluate(CaseFacts(nearby_calls=calls[:2]), at=AT).level == "low"
    five = [call(i, i) for i in range(1, 6)]
    assert evaluate(CaseFacts(nearby_calls=five), at=AT).fired[0].level == "high"


def test_flags_failed_mediations_and_vulnerability() -> None:
    r = evaluate(CaseFacts(weapons_mentioned=True), at=AT)
    assert r.level == "high" and r.reason_en == "high: weapons_mentioned fired"
    assert r.fired[0].explanation_zh == "提及凶器或武器"
    r = evaluate(CaseFacts(threats_reported=True), at=AT)
    assert r.level == "medium" and r.reason_en == "medium: threats_reported fired"
    steps = [(dt.date(2026, 5, 1), "failed"), (dt.date(2026, 5, 9), "no_show")]
    assert evaluate(CaseFacts(mediation_outcomes=steps), at=AT).level == "low"
    steps.append((dt.date(2026, 5, 20), "failed"))
    r = evaluate(CaseFacts(mediation_outcomes=steps), at=AT)
    assert r.fired[0].facts == {"failed": 2, "dates": ["2026-05-01", "2026-05-20"]}
    assert r.fired[0].explanation_en == "2 failed mediations (on 2026-05-01, 2026-05-20)"
    r = evaluate(CaseFacts(vulnerable_reasons=["social_isolation"]), at=AT)
    assert r.fired[0].explanation_en == "1 vulnerable party (social isolation)"
    assert r.fired[0].explanation_zh == "有 1 名当事人处于易受伤害情形（独居或孤立）"
    r = evaluate(CaseFacts(threats_reported=True, vulnerable_reasons=["child_at_risk"]), at=AT)
    assert r.level == "high"
    assert r.reason_en == (
        "high: 2 medium rules fired together (threats_reported, vulnerable_party)"
    )


def test_rules_file_is_validated() -> None:
    assert get_rules().version == 1
    with pytest.raises(ValueError, match=r"rules\.x\.level: use medium or high"):
        RuleSet.from_mapping({"rules": {"x": {"level": "extreme", "zh": "", "en": ""}}})
    with pytest.raises(ValueError, match=r"rules\.x\.en: the explanation text is missing"):
        RuleSet.from_mapping({"rules": {"x": {"level": "high", "zh": ""}}})


def _calls(client: TestClient, city: SmallCity, n: int, dx: float = 0.0002) -> list[int]:
    lon, lat = city.cell_center(0)
    ids = []
    for i in range(n):
        at = dt.datetime.now(dt.UTC) - dt.timedelta(days=2 + 3 * i)
        r = client.post(
            "/api/v1/incidents",
            json={
                "subtype": "neighbour_dispute",
                "lon": lon + dx,
                "lat": lat,
                "reported_at": at.isoformat(),
            },
            headers=auth(city.tokens["dispatcher"]),
        )
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    return ids


def test_repeat_calls_fire_on_register_with_incident_ids(
    client: TestClient, city: SmallCity
) -> None:
    ids = _calls(client, city, 3)
    d = register(client, city)
    assert d["risk_level"] == "medium"
    risk = client.get(
        f"/api/v1/disputes/{d['id']}/risk", headers=auth(city.tokens["officer0"])
    ).json()
    (f,) = risk["fired"]
    assert f["code"] == "repeat_calls" and sorted(f["facts"]["incident_ids"]) == sorted(ids)
    assert risk["reason_en"] == "medium: repeat_calls fired" and risk["rules_version"] == 1


def test_failed_mediations_raise_on_the_second_failure(client: TestClient, city: SmallCity) -> None:
    h = auth(city.tokens["officer0"])
    d = register(client, city)
    url = f"/api/v1/disputes/{d['id']}"
    client.post(url + "/mediation-steps", json=step("failed"), headers=h)
    assert client.get(url, headers=h).json()["risk_level"] == "low"
    client.post(url + "/mediation-steps", json=step("failed"), headers=h)
    got = client.get(url, headers=h).json()
    assert got["risk_level"] == "medium"
    assert [f["code"] for f in got["fired_rules"]] == ["failed_mediations"]
    tl = client.get(url + "/timeline", headers=h).json()
    assert [e["note"] for e in tl if e["kind"] == "risk"] == ["medium: failed_mediations fired"]


def test_rise_issues_instruction_to_owner(
    client: TestClient, city: SmallCity, session: Session
) -> None:
    from pingan.instructions.models import Instruction, InstructionRecipient

    h = auth(city.tokens["officer0"])
    d = register(client, city)
    assert session.scalars(select(Instruction)).all() == []
    r = client.patch(
        f"/api/v1/disputes/{d['id']}/facts",
        json={"weapons_mentioned": True, "note": "一方称要带刀"},
        headers=h,
    )
    assert r.status_code == 200 and r.json()["risk_level"] == "high"
    (ins,) = session.scalars(select(Instruction)).all()
    assert ins.dispute_id == d["id"] and ins.priority == "urgent"
    assert ins.issuer_id == city.users["chief0"].id
    assert "weapons were mentioned" in ins.text
    (rec,) = session.scalars(
        select(InstructionRecipient).where(InstructionRecipient.instruction_id == ins.id)
    ).all()
    assert rec.officer_id == city.users["officer0"].id
    risk = client.get(f"/api/v1/disputes/{d['id']}/risk", headers=h).json()
    assert risk["instruction_id"] == ins.id
    # the same level again issues nothing new
    client.patch(f"/api/v1/disputes/{d['id']}/facts", json={"threats_reported": True}, headers=h)
    assert len(session.scalars(select(Instruction)).all()) == 1
    # a fall is recorded but issues nothing
    client.patch(
        f"/api/v1/disputes/{d['id']}/facts",
        json={"weapons_mentioned": False, "threats_reported": False},
        headers=h,
    )
    assert client.get(f"/api/v1/disputes/{d['id']}", headers=h).json()["risk_level"] == "low"
    assert len(session.scalars(select(Instruction)).all()) == 1
    assert verify(session).ok


def test_rescreen_reports_rises(client: TestClient, city: SmallCity, session: Session) -> None:
    d = register(client, city)
    closed = register(client, city)
    h = auth(city.tokens["officer0"])
    client.post(
        f"/api/v1/disputes/{closed['id']}/transitions",
        json={"to_state": "referred", "referral_target": "court"},
        headers=h,
    )
    _calls(client, city, 3)  # calls after registration: only a re-screen sees them
    assert session.get(Dispute, d["id"]).risk_level == "low"  # type: ignore[union-attr]
    out = dispute_rescreen_flow(session, actor=Actor.system("test"))
    assert out.checked == 1 and out.changed == 1
    assert out.rises == [
        {"id": d["id"], "code": d["code"], "from": "low", "to": "medium", "rules": ["repeat_calls"]}
    ]
    assert out.instructions == 1
    again = dispute_rescreen_flow(session, actor=Actor.system("test"))
    assert again.changed == 0 and again.rises == [] and again.instructions == 0
    assert "1 open disputes re-screened: 0 changed level" in again.message()


def test_rescreen_bulk_matches_single(
    client: TestClient, city: SmallCity, session: Session
) -> None:
    from pingan.disputes import service

    _calls(client, city, 4)
    _calls(client, city, 2, dx=0.002)  # 200 m away
    lon, lat = city.cell_center(0)
    now = dt.datetime.now(dt.UTC)
    single = service.nearby_calls(session, lon=lon, lat=lat, at=now)
    (bulk,) = service.nearby_calls_bulk(session, lon=[lon], lat=[lat], at=now)
    assert sorted(c.incident_id for c in single) == sorted(c.incident_id for c in bulk)
    assert len(single) == 4


def test_no_person_fields_in_schema(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    fields = set(spec["PartyIn"]["properties"])
    assert fields == {"role", "display_name", "phone", "vulnerable", "vulnerable_reason"}
    assert "score" not in str(spec["DisputeRead"]).lower()
    assert body  # the shared body helper is importable
