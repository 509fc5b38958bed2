"""Disputes over the API: register, scope, masking, encryption at rest, audited reveal, the
declared workflow, mediation log, follow-ups, and the error messages users see."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from pingan.audit.models import AuditRecord
from pingan.audit.service import verify
from pingan.disputes.models import Dispute, DisputeParty
from tests.conftest import auth
from tests.error_body import plain
from tests.factories import SmallCity

TODAY = dt.date.today()


def body(city: SmallCity, **kw: object) -> dict[str, object]:
    lon, lat = city.cell_center(0)
    return {
        "kind": "neighbourhood",
        "source": "visit",
        "lon": lon,
        "lat": lat,
        "address_text": "翠湖小区 3 栋",
        "summary": "楼上漏水引发争执",
        "parties": [
            {"role": "complainant", "display_name": "张三丰", "phone": "13812345678"},
            {"role": "respondent", "display_name": "李四", "phone": "13900001111"},
        ],
        **kw,
    }


def register(client: TestClient, city: SmallCity, user: str = "officer0", **kw: object) -> dict:  # type: ignore[type-arg]
    r = client.post("/api/v1/disputes", json=body(city, **kw), headers=auth(city.tokens[user]))
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def step(outcome: str = "failed", **kw: object) -> dict[str, object]:
    return {
        "held_on": TODAY.isoformat(),
        "mediator": "社区调解员王",
        "method": "on_site",
        "outcome": outcome,
        **kw,
    }


def test_register_assigns_cell_owner_and_audits(
    client: TestClient, city: SmallCity, session: Session
) -> None:
    out = register(client, city)
    assert out["jurisdiction_id"] == city.cells[0].id
    assert out["owner_id"] == city.users["officer0"].id
    assert out["state"] == "registered" and out["risk_level"] == "low"
    assert out["allowed_transitions"] == ["mediating", "referred"]
    assert out["code"].startswith("JF")
    assert verify(session).ok
    rec = session.scalars(
        select(AuditRecord).where(AuditRecord.entity == "dispute", AuditRecord.action == "create")
    ).one()
    assert json.loads(rec.detail)["parties"] == 2


def test_parties_masked_in_lists_and_encrypted_at_rest(
    client: TestClient, city: SmallCity, session: Session
) -> None:
    out = register(client, city)
    page = client.get("/api/v1/disputes", headers=auth(city.tokens["chief0"])).json()
    assert page["total"] == 1
    parties = page["items"][0]["parties"]
    assert parties[0]["display_name_masked"] == "张**"
    assert parties[0]["phone_masked"] == "138****5678"
    assert "张三丰" not in json.dumps(page, ensure_ascii=False)
    assert "13812345678" not in json.dumps(page)
    raw = session.execute(
        text("SELECT display_name, phone FROM dispute_parties WHERE dispute_id = :d"),
        {"d": out["id"]},
    ).all()
    assert raw and all("张三丰" not in r[0] and "13812345678" not in (r[1] or "") for r in raw)
    assert all(r[0].startswith("gAAAA") for r in raw)  # Fernet tokens
    orm = session.scalars(select(DisputeParty).where(DisputeParty.dispute_id == out["id"])).all()
    assert {p.display_name for p in orm} == {"张三丰", "李四"}


def test_reveal_is_audited_with_reason(
    client: TestClient, city: SmallCity, session: Session
) -> None:
    out = register(client, city)
    url = f"/api/v1/disputes/{out['id']}/parties/reveal"
    r = client.post(url, json={"reason": "约双方到所调解"}, headers=auth(city.tokens["chief0"]))
    assert r.status_code == 200, r.text
    assert {p["display_name"] for p in r.json()} == {"张三丰", "李四"}
    rec = session.scalars(select(AuditRecord).where(AuditRecord.action == "view_personal")).one()
    assert rec.entity == "dispute" and rec.entity_id == str(out["id"])
    assert json.loads(rec.detail)["reason"] == "约双方到所调解"
    assert rec.actor == "chief0"
    r = client.post(url, json={"reason": ""}, headers=auth(city.tokens["chief0"]))
    assert r.status_code == 422 and r.json()["error"]["field"] == "reason"
    r = client.post(url, json={"reason": "看看"}, headers=auth(city.tokens["analyst"]))
    assert r.status_code == 403
    assert r.json()["error"]["message"] == (
        "role 'analyst' may not reveal dispute parties (dispute.reveal_parties); "
        "allowed: commander, station_chief, community_officer"
    )
    assert verify(session).ok


def test_scope_other_station_sees_nothing(client: TestClient, city: SmallCity) -> None:
    out = register(client, city)
    h1 = auth(city.tokens["chief1"])
    r = client.get(f"/api/v1/disputes/{out['id']}", headers=h1)
    assert r.status_code == 404
    assert r.json()["error"]["message"] == (
        f"dispute {out['id']} does not exist or is outside your jurisdiction"
    )
    assert client.get("/api/v1/disputes", headers=h1).json()["total"] == 0
    r = client.post(
        f"/api/v1/disputes/{out['id']}/parties/reveal", json={"reason": "x"}, headers=h1
    )
    assert r.status_code == 404
    # registering in another station's area is a 403
    r = client.post("/api/v1/disputes", json=body(city), headers=h1)
    assert r.status_code == 403
    assert r.json()["error"]["message"] == "the dispute place is outside your jurisdiction"


def test_analyst_may_read_but_not_register(client: TestClient, city: SmallCity) -> None:
    r = client.post("/api/v1/disputes", json=body(city), headers=auth(city.tokens["analyst"]))
    assert r.status_code == 403
    assert r.json()["error"]["field"] == "role"


@pytest.mark.parametrize(
    "patch,field,reason",
    [
        ({"kind": "tribal"}, "kind", "Input should be 'neighbourhood'"),
        ({"source": "rumour"}, "source", "Input should be 'call_110', 'visit' or 'screening'"),
        ({"lon": None, "lat": None}, "lon", "give the place: lon and lat, address_id"),
        ({"lat": None}, "lat", "give both lon and lat"),
        ({"lon": 0.0, "lat": 0.0}, "lon", "outside every jurisdiction"),
        ({"religion": "x"}, "religion", "Extra inputs are not permitted"),
        ({"incident_id": 999999}, "incident_id", "incident 999999 does not exist"),
        (
            {"parties": [{"role": "complainant", "display_name": "王", "vulnerable": True}]},
            "parties.0.vulnerable_reason",
            "say why the party is vulnerable",
        ),
        (
            {"parties": [{"role": "complainant", "display_name": "王", "ethnicity": "x"}]},
            "parties.0.ethnicity",
            "Extra inputs are not permitted",
        ),
        (
            {"parties": [{"role": "judge", "display_name": "王"}]},
            "parties.0.role",
            "Input should be 'complainant', 'respondent' or 'other'",
        ),
        ({"registered_at": "2099-01-01T00:00:00+08:00"}, "registered_at", "is in the future"),
    ],
)
def test_bad_input_names_field(
    client: TestClient, city: SmallCity, patch: dict[str, object], field: str, reason: str
) -> None:
    r = client.post(
        "/api/v1/disputes", json=body(city, **patch), headers=auth(city.tokens["officer0"])
    )
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["field"] == field
    assert reason in err["message"]


def test_workflow_mediation_resolution_follow_up(
    client: TestClient, city: SmallCity, session: Session
) -> None:
    h = auth(city.tokens["officer0"])
    d = register(client, city)
    url = f"/api/v1/disputes/{d['id']}"
    r = client.post(url + "/transitions", json={"to_state": "resolved"}, headers=h)
    assert r.status_code == 409
    err = r.json()["error"]
    assert err["code"] == "illegal_transition"
    assert err["message"] == (
        "dispute cannot go from 'registered' to 'resolved'; allowed: mediating, referred"
    )
    assert err["detail"]["allowed"] == ["mediating", "referred"]
    r = client.post(url + "/transitions", json={"to_state": "finished"}, headers=h)
    assert (
        r.status_code == 422 and "'finished' is not a dispute state" in r.json()["error"]["message"]
    )
    # the first mediation step moves the case to mediating
    nxt = (TODAY + dt.timedelta(days=7)).isoformat()
    r = client.post(url + "/mediation-steps", json=step("partial", next_on=nxt), headers=h)
    assert r.status_code == 201, r.text
    got = client.get(url, headers=h).json()
    assert got["state"] == "mediating" and got["mediating_at"]
    assert [s["outcome"] for s in got["mediation_steps"]] == ["partial"]
    assert got["mediation_steps"][0]["next_on"] == nxt
    r = client.post(
        url + "/transitions",
        json={"to_state": "resolved", "follow_up_on": (TODAY + dt.timedelta(days=10)).isoformat()},
        headers=h,
    )
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["state"] == "resolved" and out["allowed_transitions"] == ["closed"]
    assert len(out["follow_ups"]) == 1 and out["follow_ups"][0]["done_at"] is None
    # no more mediation steps after resolution
    r = client.post(url + "/mediation-steps", json=step("agreed"), headers=h)
    assert r.status_code == 409
    assert (
        "mediation steps are recorded while a dispute is registered or mediating"
        in (r.json()["error"]["message"])
    )
    # follow-ups: schedule another, record one
    r = client.post(
        url + "/follow-ups", json={"due_on": (TODAY - dt.timedelta(days=1)).isoformat()}, headers=h
    )
    assert r.status_code == 422 and r.json()["error"]["field"] == "due_on"
    assert "is in the past" in r.json()["error"]["message"]
    r = client.post(
        url + "/follow-ups", json={"due_on": (TODAY + dt.timedelta(days=30)).isoformat()}, headers=h
    )
    assert r.status_code == 201
    fid = out["follow_ups"][0]["id"]
    r = client.post(url + f"/follow-ups/{fid}/record", json={"outcome": "stable"}, headers=h)
    assert r.status_code == 200 and r.json()["outcome"] == "stable"
    r = client.post(url + f"/follow-ups/{fid}/record", json={"outcome": "stable"}, headers=h)
    assert r.status_code == 409 and "was already recorded" in r.json()["error"]["message"]
    r = client.post(url + "/transitions", json={"to_state": "closed"}, headers=h)
    assert r.status_code == 200 and r.json()["closed_at"]
    r = client.post(url + "/transitions", json={"to_state": "mediating"}, headers=h)
    assert r.status_code == 409
    assert r.json()["error"]["message"].endswith("allowed: none (final state)")
    tl = client.get(url + "/timeline", headers=h).json()
    kinds = [e["kind"] for e in tl]
    assert kinds[0] == "registered" and "mediation" in kinds and kinds.count("transition") == 3
    assert verify(session).ok


def test_referral_needs_target(client: TestClient, city: SmallCity) -> None:
    h = auth(city.tokens["officer0"])
    d = register(client, city, kind="labour_wages")
    url = f"/api/v1/disputes/{d['id']}/transitions"
    r = client.post(url, json={"to_state": "referred"}, headers=h)
    assert r.status_code == 422
    assert plain(r.json()["error"]) == {
        "code": "invalid",
        "message": "referral_target: required to refer a dispute: use court, "
        "mediation_committee or other_department",
        "field": "referral_target",
    }
    r = client.post(url, json={"to_state": "referred", "referral_target": "church"}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["field"] == "referral_target"
    r = client.post(url, json={"to_state": "mediating", "referral_target": "court"}, headers=h)
    assert r.status_code == 422 and "only a referral has a target" in r.json()["error"]["message"]
    r = client.post(
        url, json={"to_state": "referred", "referral_target": "mediation_committee"}, headers=h
    )
    assert r.status_code == 200
    assert r.json()["state"] == "referred" and r.json()["referral_target"] == "mediation_committee"


@pytest.mark.parametrize(
    "patch,field,reason",
    [
        ({"next_on": "2000-01-01"}, "next_on", "is in the past (2000-01-01)"),
        ({"held_on": "2099-01-01"}, "held_on", "is in the future (2099-01-01)"),
        ({"outcome": "settled"}, "outcome", "Input should be 'agreed', 'partial', 'failed'"),
        ({"method": "telepathy"}, "method", "Input should be 'on_site'"),
        ({"mediator": ""}, "mediator", "at least 1 character"),
    ],
)
def test_mediation_bad_input(
    client: TestClient, city: SmallCity, patch: dict[str, object], field: str, reason: str
) -> None:
    d = register(client, city)
    r = client.post(
        f"/api/v1/disputes/{d['id']}/mediation-steps",
        json=step(**patch),
        headers=auth(city.tokens["officer0"]),
    )
    assert r.status_code == 422, r.text
    assert r.json()["error"]["field"] == field
    assert reason in r.json()["error"]["message"]


def test_list_filters_and_paging(client: TestClient, city: SmallCity, session: Session) -> None:
    for kind in ("family", "family", "commercial"):
        register(client, city, kind=kind)
    register(client, city, kind="other", weapons_mentioned=True)
    h = auth(city.tokens["chief0"])
    assert client.get("/api/v1/disputes?kind=family", headers=h).json()["total"] == 2
    assert client.get("/api/v1/disputes?risk=high", headers=h).json()["total"] == 1
    page = client.get("/api/v1/disputes?limit=2&offset=1", headers=h).json()
    assert page["total"] == 4 and len(page["items"]) == 2
    assert client.get(f"/api/v1/disputes?cell={city.cells[0].id}", headers=h).json()["total"] == 4
    assert client.get(f"/api/v1/disputes?cell={city.cells[1].id}", headers=h).json()["total"] == 0
    r = client.get("/api/v1/disputes?risk=extreme", headers=h)
    assert r.status_code == 422 and r.json()["error"]["field"] == "risk"
    r = client.get("/api/v1/disputes?state=open", headers=h)
    assert r.status_code == 422 and r.json()["error"]["field"] == "state"


def test_incident_shows_dispute_history(client: TestClient, city: SmallCity) -> None:
    d = register(client, city, threats_reported=True)
    lon, lat = city.cell_center(0)
    r = client.post(
        "/api/v1/incidents",
        json={"subtype": "neighbour_dispute", "lon": lon + 0.0002, "lat": lat},
        headers=auth(city.tokens["dispatcher"]),
    )
    assert r.status_code == 201, r.text
    inc = r.json()["id"]
    out = client.get(
        f"/api/v1/incidents/{inc}/disputes", headers=auth(city.tokens["dispatcher"])
    ).json()
    assert [x["id"] for x in out] == [d["id"]]
    assert out[0]["risk_level"] == "medium" and out[0]["fired_rules"] == ["threats_reported"]
    assert 15 < out[0]["distance_m"] < 25
    far = client.get(
        f"/api/v1/incidents/{inc}/disputes?radius_m=10", headers=auth(city.tokens["dispatcher"])
    ).json()
    assert far == []
    r = client.get(f"/api/v1/incidents/{inc}/disputes", headers=auth(city.tokens["chief1"]))
    assert r.status_code == 404


def test_register_from_incident_takes_its_place(
    client: TestClient, city: SmallCity, session: Session
) -> None:
    lon, lat = city.cell_center(2)
    r = client.post(
        "/api/v1/incidents",
        json={"subtype": "family_dispute", "lon": lon, "lat": lat, "address_text": "金星路 8 号"},
        headers=auth(city.tokens["dispatcher"]),
    )
    inc = r.json()["id"]
    r = client.post(
        "/api/v1/disputes",
        json={"kind": "family", "source": "call_110", "incident_id": inc},
        headers=auth(city.tokens["dispatcher"]),
    )
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["incident_id"] == inc and out["jurisdiction_id"] == city.cells[2].id
    assert out["address_text"] == "金星路 8 号"
    assert session.get(Dispute, out["id"]) is not None


def test_openapi_has_stable_operation_ids(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    ops = {
        op["operationId"]
        for path, item in spec["paths"].items()
        if "disputes" in path
        for op in item.values()
    }
    assert {
        "create_dispute",
        "list_disputes",
        "get_dispute",
        "get_dispute_timeline",
        "get_dispute_risk",
        "transition_dispute",
        "update_dispute_facts",
        "add_mediation_step",
        "schedule_dispute_follow_up",
        "record_dispute_follow_up",
        "reveal_dispute_parties",
        "list_incident_disputes",
    } <= ops
