"""The field app's server side: the Idempotency-Key replay layer, the duty switch and the
officer's own-unit positions, instruction steps stamped with the time the officer acted."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from pingan.auth.service import principal_for, resolve_token
from pingan.disputes.models import Dispute
from pingan.fieldapp import service
from pingan.fieldapp.models import RequestReplay
from tests.conftest import auth
from tests.factories import SmallCity


def _dispute(city: SmallCity, **kw: Any) -> dict[str, Any]:
    lon, lat = city.cell_center(0)
    return {"kind": "neighbourhood", "summary": "噪音", "lon": lon, "lat": lat, **kw}


def test_same_key_same_body_is_answered_once(
    client: TestClient, city: SmallCity, session: Session
) -> None:
    h = auth(city.tokens["officer0"]) | {"Idempotency-Key": "k-1"}
    first = client.post("/api/v1/disputes", json=_dispute(city), headers=h)
    assert first.status_code == 201, first.text
    assert "Idempotency-Replayed" not in first.headers
    again = client.post("/api/v1/disputes", json=_dispute(city), headers=h)
    assert again.status_code == 201
    assert again.headers["Idempotency-Replayed"] == "true"
    assert again.json() == first.json()
    assert session.scalar(select(func.count(Dispute.id))) == 1
    # a key is the user's own: another user with the same key makes his own
    other = auth(city.tokens["chief0"]) | {"Idempotency-Key": "k-1"}
    assert client.post("/api/v1/disputes", json=_dispute(city), headers=other).status_code == 201
    assert session.scalar(select(func.count(Dispute.id))) == 2


def test_a_resend_while_the_first_is_answered_waits_for_its_answer(
    own_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A resend that meets its key still being answered (the answer is sent before it is
    stored, so a phone that resends at once can) waits and is replayed; a first request that
    stays unanswered past the wait is a 409 saying so (it was a 409 at once, and a browser
    test's quick resend met it under load)."""
    import hashlib
    import json
    import threading
    import time

    from pingan.api import idempotency
    from pingan.api.app import create_app
    from pingan.store.engine import unit_of_work
    from tests.factories import build_small_city

    with unit_of_work(own_engine) as s:
        city = build_small_city(s)
        s.commit()
        officer_id = resolve_token(s, city.tokens["officer0"]).id
    body = json.dumps(_dispute(city)).encode()
    digest = hashlib.sha256(b"POST /api/v1/disputes?\n" + body).hexdigest()

    def claimed(key: str) -> int:
        with unit_of_work(own_engine) as s:
            got = service.claim(
                s, user_id=officer_id, key=key, endpoint="POST /api/v1/disputes", body_hash=digest
            )
            s.commit()
            assert isinstance(got, service.Claimed)
            return got.replay_id

    def answer_later(replay_id: int) -> None:
        time.sleep(0.3)
        with unit_of_work(own_engine) as s:
            service.finish(
                s,
                replay_id=replay_id,
                status_code=201,
                content_type="application/json",
                body='{"id": 7}',
            )
            s.commit()

    h = auth(city.tokens["officer0"]) | {"Content-Type": "application/json"}
    with TestClient(create_app(engine=own_engine)) as c:
        later = threading.Thread(target=answer_later, args=(claimed("k-race"),))
        later.start()
        r = c.post("/api/v1/disputes", content=body, headers=h | {"Idempotency-Key": "k-race"})
        later.join()
        assert r.status_code == 201 and r.headers["Idempotency-Replayed"] == "true", r.text
        assert r.json() == {"id": 7}
        monkeypatch.setattr(idempotency, "IN_PROGRESS_WAIT_S", 0.3)
        claimed("k-stuck")
        r = c.post("/api/v1/disputes", content=body, headers=h | {"Idempotency-Key": "k-stuck"})
        assert r.status_code == 409 and r.json()["error"]["message"] == (
            "Idempotency-Key: the first request with this key is still running"
        )


def test_same_key_other_body_is_a_409_naming_the_header(
    client: TestClient, city: SmallCity
) -> None:
    h = auth(city.tokens["officer0"]) | {"Idempotency-Key": "k-2"}
    assert client.post("/api/v1/disputes", json=_dispute(city), headers=h).status_code == 201
    r = client.post("/api/v1/disputes", json=_dispute(city, summary="别的"), headers=h)
    assert r.status_code == 409
    assert r.json()["error"] == {
        "code": "conflict",
        "field": "Idempotency-Key",
        "message": "Idempotency-Key was already used with a different request body",
    }
    # another path with the same key is another request too
    r = client.post("/api/v1/field/duty", json={"on_duty": True}, headers=h)
    assert r.status_code == 409 and r.json()["error"]["field"] == "Idempotency-Key"


def test_refusals_are_replayed_and_faults_of_sign_in_are_not(
    client: TestClient, city: SmallCity, session: Session
) -> None:
    h = auth(city.tokens["officer0"]) | {"Idempotency-Key": "k-3"}
    bad = client.post("/api/v1/disputes", json=_dispute(city, kind="nope"), headers=h)
    assert bad.status_code == 422
    again = client.post("/api/v1/disputes", json=_dispute(city, kind="nope"), headers=h)
    assert again.status_code == 422 and again.headers["Idempotency-Replayed"] == "true"
    # a caller the server does not know: no key is kept, the endpoint answers 401
    anon = {"Authorization": "Bearer pa_wrong", "Idempotency-Key": "k-4"}
    assert client.post("/api/v1/disputes", json=_dispute(city), headers=anon).status_code == 401
    assert session.scalar(select(func.count(RequestReplay.id))) == 1


def test_key_length_is_checked(client: TestClient, city: SmallCity) -> None:
    h = auth(city.tokens["officer0"]) | {"Idempotency-Key": "x" * 201}
    r = client.post("/api/v1/disputes", json=_dispute(city), headers=h)
    assert r.status_code == 422
    assert r.json()["error"]["message"] == "Idempotency-Key: must be 1-200 characters"


def test_keys_are_kept_48_hours(session: Session, city: SmallCity) -> None:
    uid = city.users["officer0"].id
    now = dt.datetime.now(dt.UTC)
    first = service.claim(session, user_id=uid, key="a", endpoint="POST /x", body_hash="h", now=now)
    assert isinstance(first, service.Claimed)
    same = service.claim(session, user_id=uid, key="a", endpoint="POST /x", body_hash="h", now=now)
    assert isinstance(same, service.InProgress)
    service.finish(session, replay_id=first.replay_id, status_code=201, content_type="", body="{}")
    later = now + dt.timedelta(hours=47)
    assert isinstance(
        service.claim(session, user_id=uid, key="a", endpoint="POST /x", body_hash="h", now=later),
        service.Replay,
    )
    assert service.purge(session, now=now + dt.timedelta(hours=49)) == 1
    gone = now + dt.timedelta(hours=49)
    assert isinstance(
        service.claim(session, user_id=uid, key="a", endpoint="POST /x", body_hash="h", now=gone),
        service.Claimed,
    )


def test_the_incident_create_keeps_its_own_keys(client: TestClient, city: SmallCity) -> None:
    lon, lat = city.cell_center(0)
    data = {"subtype": "fight", "lon": lon, "lat": lat, "summary": "打架"}
    h = auth(city.tokens["dispatcher"]) | {"Idempotency-Key": "inc-1"}
    first = client.post("/api/v1/incidents", json=data, headers=h)
    assert first.status_code == 201, first.text
    again = client.post("/api/v1/incidents", json=data, headers=h)
    assert again.headers["Idempotency-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]


def _unit(client: TestClient, city: SmallCity, code: str) -> Any:
    r = client.post(
        "/api/v1/resources",
        json={"code": code, "kind": "foot_team", "name_zh": "社区警务队", "station_code": "T1-S0"},
        headers=auth(city.tokens["chief0"]),
    )
    assert r.status_code == 201, r.text
    return r.json()


def test_duty_switch_and_own_unit_positions(
    client: TestClient, city: SmallCity, session: Session
) -> None:
    unit, other = _unit(client, city, "FT-1"), _unit(client, city, "FT-2")
    h = auth(city.tokens["officer0"])
    lon, lat = city.cell_center(0)
    pos = {"lon": lon, "lat": lat}
    r = client.post("/api/v1/field/duty", json={"on_duty": True}, headers=h)
    assert r.status_code == 409 and r.json()["error"]["field"] == "on_duty"
    assert (
        client.post(f"/api/v1/resources/{unit['id']}/positions", json=pos, headers=h).status_code
        == 404
    )
    chief = principal_for(session, city.users["chief0"])
    service.link_unit(session, principal=chief, username="officer0", unit_code="FT-1")
    me = client.get("/api/v1/field/me", headers=h).json()
    assert me["unit"]["code"] == "FT-1" and me["on_duty"] is False
    r = client.post(f"/api/v1/resources/{unit['id']}/positions", json=pos, headers=h)
    assert r.status_code == 409
    assert (
        r.json()["error"]["message"] == "you are off duty: positions are shared only while on duty"
    )
    me = client.post("/api/v1/field/duty", json={"on_duty": True}, headers=h).json()
    assert me["on_duty"] is True and me["duty_since"] is not None
    at = (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=20)).isoformat()
    r = client.post(f"/api/v1/resources/{unit['id']}/positions", json=pos | {"at": at}, headers=h)
    assert r.status_code == 200 and r.json()["lon"] == lon
    assert (
        client.post(f"/api/v1/resources/{other['id']}/positions", json=pos, headers=h).status_code
        == 404
    )
    client.post("/api/v1/field/duty", json={"on_duty": False}, headers=h)
    r = client.post(f"/api/v1/resources/{unit['id']}/positions", json=pos, headers=h)
    assert r.status_code == 409
    # the station's dispatchers still move any unit of their scope
    r = client.post(
        f"/api/v1/resources/{other['id']}/positions",
        json=pos,
        headers=auth(city.tokens["dispatcher"]),
    )
    assert r.status_code == 200


def test_field_app_is_for_officers(client: TestClient, city: SmallCity) -> None:
    r = client.get("/api/v1/field/me", headers=auth(city.tokens["analyst"]))
    assert r.status_code == 403 and "field.use" in r.json()["error"]["message"]


def test_instruction_steps_keep_the_time_the_officer_acted(
    client: TestClient, city: SmallCity
) -> None:
    now = dt.datetime.now(dt.UTC)
    ins = client.post(
        "/api/v1/instructions",
        json={
            "title": "走访",
            "text": "请走访并反馈",
            "priority": "normal",
            "recipients": [{"kind": "officer", "id": city.users["officer0"].id}],
            "sign_by": (now + dt.timedelta(hours=2)).isoformat(),
            "complete_by": (now + dt.timedelta(hours=24)).isoformat(),
        },
        headers=auth(city.tokens["chief0"]),
    ).json()
    rid = ins["recipients"][0]["id"]
    url = f"/api/v1/instructions/{ins['id']}/recipients/{rid}"
    h = auth(city.tokens["officer0"])
    issued = dt.datetime.fromisoformat(ins["created_at"])
    acted = issued + dt.timedelta(milliseconds=1)
    for at, message in (
        (now + dt.timedelta(hours=1), "at: is in the future: send the time the step was taken"),
        (
            now - dt.timedelta(hours=49),
            "at: is more than 48 hours ago: steps are accepted up to 48 h late",
        ),
        (issued - dt.timedelta(minutes=1), "at: is before the instruction was issued"),
    ):
        r = client.post(
            url + "/transitions", json={"to_state": "signed", "at": at.isoformat()}, headers=h
        )
        assert r.status_code == 422 and r.json()["error"]["message"] == message
    r = client.post(
        url + "/transitions", json={"to_state": "signed", "at": acted.isoformat()}, headers=h
    )
    assert r.status_code == 200, r.text
    assert dt.datetime.fromisoformat(r.json()["signed_at"]) == acted
    client.post(url + "/transitions", json={"to_state": "in_progress"}, headers=h)
    r = client.post(
        url + "/report",
        json={"text": "已走访", "at": (acted + dt.timedelta(minutes=5)).isoformat()},
        headers=h,
    )
    assert r.status_code == 200
    assert dt.datetime.fromisoformat(r.json()["reported_at"]) == acted + dt.timedelta(minutes=5)


def test_a_checklist_task_keeps_the_time_it_was_done(
    client: TestClient, city: SmallCity, session: Session
) -> None:
    from zoneinfo import ZoneInfo

    from pingan.audit.service import Actor
    from pingan.checklists import flows as checklist_flows
    from pingan.checklists import service as checklist_service

    admin = principal_for(session, city.users["admin"])
    checklist_service.create_template(
        session,
        principal=admin,
        code="patrol_log",
        name_zh="社区巡查日志",
        name_en="Community patrol log",
        role="community_officer",
        frequency="daily",
        target="officer",
    )
    today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    checklist_flows.checklist_schedule_flow(session, actor=Actor.system("test"), day=today)
    h = auth(city.tokens["officer0"])
    [task] = client.get(f"/api/v1/checklists/tasks?day={today}", headers=h).json()["items"]
    url = f"/api/v1/checklists/tasks/{task['id']}/done"
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat()
    r = client.post(url, json={"at": future}, headers=h)
    assert r.status_code == 422
    assert r.json()["error"]["message"] == "at: is in the future: send the time the task was done"
    old = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=49)).isoformat()
    r = client.post(url, json={"at": old}, headers=h)
    assert r.json()["error"]["message"] == (
        "at: is more than 48 hours ago: tasks are accepted up to 48 h late"
    )
    acted = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=3)
    r = client.post(url, json={"at": acted.isoformat()}, headers=h)
    assert r.status_code == 200, r.text
    assert dt.datetime.fromisoformat(r.json()["done_at"]) == acted


def test_the_station_links_an_officer_to_his_unit_over_the_api(
    client: TestClient, city: SmallCity
) -> None:
    """``PUT /api/v1/field/links``: no CLI needed; in the caller's jurisdiction; audited."""
    _unit(client, city, "FT-9")
    body = {"username": "officer0", "unit_code": "FT-9"}
    r = client.put("/api/v1/field/links", json=body, headers=auth(city.tokens["officer0"]))
    assert r.status_code == 403 and "resource.write" in r.json()["error"]["message"]
    r = client.put("/api/v1/field/links", json=body, headers=auth(city.tokens["chief0"]))
    assert r.status_code == 200, r.text
    assert r.json()["unit_code"] == "FT-9" and r.json()["on_duty"] is False
    me = client.get("/api/v1/field/me", headers=auth(city.tokens["officer0"])).json()
    assert me["unit"]["code"] == "FT-9"
    r = client.put(
        "/api/v1/field/links",
        json={"username": "nobody", "unit_code": "FT-9"},
        headers=auth(city.tokens["chief0"]),
    )
    assert r.status_code == 404 and r.json()["error"]["field"] == "username"
    r = client.put(  # officer0's station is not chief1's
        "/api/v1/field/links", json=body, headers=auth(city.tokens["chief1"])
    )
    assert r.status_code == 404
    r = client.put(
        "/api/v1/field/links",
        json={"username": "officer0", "unit_code": "\x00"},
        headers=auth(city.tokens["chief0"]),
    )
    assert r.status_code == 422
