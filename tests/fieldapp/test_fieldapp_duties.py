"""The field app's home duties and its offline inspection: the premises of the officer's cells
due an inspection (with their checklists, so the phone can inspect offline), today's patrol
windows of his station with his posts and routes, and an inspection queued on the phone (its
own Idempotency-Key, the time he acted) stored once however often it is sent."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.auth.service import principal_for
from pingan.evaluation.models import PremisesInspection
from pingan.fieldapp import service as field
from pingan.keyplaces.service import local_tz
from pingan.patrols.models import PatrolItem, PatrolPlan
from pingan.resources import service as resources
from pingan.resources.schemas import ResourceCreate
from pingan.store.base import utcnow
from tests.conftest import auth
from tests.factories import SmallCity
from tests.ratings.conftest import Schools, schools

__all__ = ["schools"]


def _due(client: TestClient, token: str, **q: Any) -> dict[str, Any]:
    r = client.get("/api/v1/inspections/due", params=q, headers=auth(token))
    assert r.status_code == 200, r.text
    return r.json()


def test_inspections_due_in_his_cells_with_their_checklists(
    client: TestClient, schools: Schools
) -> None:
    tok = schools.city.tokens["officer0"]
    d = _due(client, tok)
    # poor: never inspected; good: passed a month ago (its window ends in 11 months);
    # fair: another station's
    assert [(x["code"], x["reason"]) for x in d["items"]] == [("S-POOR", "never")]
    assert d["total"] == 1 and d["window_days"] == 365
    codes = {i["code"] for i in d["forms"]["school"]}
    assert {"staffed_gate", "fire_inspection"} <= codes
    # within a year, good's passed inspection leaves the window too: due by then
    d = _due(client, tok, soon_days=365)
    assert [x["code"] for x in d["items"]] == ["S-POOR", "S-GOOD"]
    good = d["items"][1]
    assert good["reason"] == "expires" and good["last_outcome"] == "ok"
    assert good["due_by"] is not None
    # bad input names the field
    r = client.get("/api/v1/inspections/due?soon_days=-1", headers=auth(tok))
    assert r.status_code == 422 and "soon_days" in r.text
    # a role without inspections is refused
    assert (
        client.get("/api/v1/inspections/due", headers=auth(schools.city.tokens["dispatcher"]))
    ).status_code in (401, 403)


def _body(form: list[dict[str, Any]], at: dt.datetime, lon: float, lat: float) -> dict[str, Any]:
    items = [{"code": i["code"], "result": "pass", "note": ""} for i in form]
    items[0] = {"code": form[0]["code"], "result": "fail", "note": "门卫不在岗"}
    return {
        "items": items,
        "note": "手机离线检查",
        "owner": "王校长",
        "deadline_days": 5,
        "inspected_at": at.isoformat(),
        "lon": lon,
        "lat": lat,
    }


def test_an_inspection_from_the_phone_is_stored_once_at_the_time_it_was_done(
    client: TestClient, schools: Schools, session: Session
) -> None:
    tok = schools.city.tokens["officer0"]
    d = _due(client, tok)
    poor = d["items"][0]
    acted = (utcnow() - dt.timedelta(hours=3)).replace(microsecond=0)
    body = _body(d["forms"]["school"], acted, poor["lon"], poor["lat"])
    h = auth(tok) | {"Idempotency-Key": "insp-1"}
    url = f"/api/v1/premises/{poor['premises_id']}/inspections"
    first = client.post(url, json=body, headers=h)
    assert first.status_code == 201, first.text
    again = client.post(url, json=body, headers=h)  # the phone sends it again after a drop
    assert again.status_code == 201 and again.headers["Idempotency-Replayed"] == "true"
    assert again.json() == first.json()
    rows = session.scalars(
        select(PremisesInspection).where(PremisesInspection.premises_id == poor["premises_id"])
    ).all()
    assert len(rows) == 1
    assert rows[0].inspected_at == acted and rows[0].outcome == "issues_found"
    assert len(first.json()["orders"]) == 1
    # the failed item makes it a re-inspection: it stays on the list, saying why
    [again_due] = _due(client, tok)["items"]
    assert again_due["reason"] == "issues_found"
    assert again_due["last_at"].startswith(acted.strftime("%Y-%m-%dT%H:%M"))
    # a time in the future is refused, naming the field
    late = _body(d["forms"]["school"], utcnow() + dt.timedelta(hours=2), 0, 0)
    r = client.post(url, json=late, headers=auth(tok) | {"Idempotency-Key": "insp-2"})
    assert r.status_code == 422 and r.json()["error"]["field"] == "inspected_at"
    # more than 48 h back is refused too (a phone sends late, not back-dated)
    old = _body(d["forms"]["school"], utcnow() - dt.timedelta(hours=49), 0, 0)
    r = client.post(url, json=old, headers=auth(tok) | {"Idempotency-Key": "insp-3"})
    assert r.status_code == 422 and r.json()["error"]["field"] == "inspected_at"
    assert "48" in r.json()["error"]["message"]
    assert (
        session.scalar(
            select(func.count(PremisesInspection.id)).where(
                PremisesInspection.premises_id == poor["premises_id"]
            )
        )
        == 1
    )


def _plan(
    session: Session, station: Any, *, block: int, status: str, now: dt.datetime
) -> PatrolPlan:
    local = now.astimezone(local_tz())
    start = dt.datetime.combine(local.date(), dt.time(6 * block), tzinfo=local_tz())
    p = PatrolPlan(
        station_id=station.id,
        jpath=station.path,
        day=local.date(),
        block=block,
        starts_at=start.astimezone(dt.UTC),
        ends_at=(start + dt.timedelta(hours=6)).astimezone(dt.UTC),
        status=status,
    )
    session.add(p)
    session.flush()
    return p


def _item(plan: PatrolPlan, kind: str, label: str, **kw: Any) -> PatrolItem:
    lon, lat = 120.1, 30.2
    stops = [{"lon": lon, "lat": lat, "arrive_s": 900.0, "dwell_s": 120.0, "prize": 1.0}]
    geom = {"type": "Point", "coordinates": [lon, lat]}
    if kind == "area":
        geom = {"type": "Polygon", "coordinates": [[[lon, lat], [lon + 0.01, lat], [lon, lat]]]}
        stops = []
    return PatrolItem(
        plan_id=plan.id,
        kind=kind,
        mode="foot",
        label=label,
        geometry=json.dumps(geom),
        stops=json.dumps(stops),
        duration_s=3600.0,
        **kw,
    )


def test_todays_patrol_windows_of_his_station_with_his_posts(
    client: TestClient, city: SmallCity, session: Session
) -> None:
    now = utcnow()
    chief = principal_for(session, city.users["chief0"])
    unit = resources.create(
        session,
        principal=chief,
        data=ResourceCreate(
            code="FT-C0", kind="foot_team", name_zh="幸福社区警务队", station_code="T1-S0"
        ),
    )
    field.link_unit(session, principal=chief, username="officer0", unit_code=unit.code)
    block = now.astimezone(local_tz()).hour // 6
    mine = _plan(session, city.stations[0], block=block, status="published", now=now)
    later = _plan(session, city.stations[0], block=(block + 1) % 4, status="published", now=now)
    _plan(session, city.stations[0], block=(block + 2) % 4, status="draft", now=now)
    other = _plan(session, city.stations[1], block=block, status="published", now=now)
    officer = city.users["officer0"]
    session.add_all(
        [
            _item(mine, "line", "路线一", officer_id=officer.id),
            _item(mine, "point", "幸福路岗", resource_id=unit.id),
            _item(mine, "area", "网格二", officer_id=city.users["chief0"].id),
            _item(other, "line", "别所路线", officer_id=officer.id),
        ]
    )
    session.flush()
    r = client.get("/api/v1/field/patrols", headers=auth(city.tokens["officer0"]))
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["day"] == now.astimezone(local_tz()).date().isoformat()
    wins = {w["plan_id"]: w for w in d["windows"]}
    assert set(wins) == {mine.id, later.id}  # his station's published windows only
    w = wins[mine.id]
    assert w["now"] is True and w["station_code"] == city.stations[0].code
    assert [(i["kind"], i["label"]) for i in w["items"]] == [
        ("line", "路线一"),
        ("point", "幸福路岗"),
    ]
    line = w["items"][0]
    assert line["stops"] == 1 and line["lon"] == 120.1
    assert dt.datetime.fromisoformat(line["first_at"]) == mine.starts_at + dt.timedelta(seconds=900)
    assert wins[later.id]["items"] == [] and wins[later.id]["now"] is False
