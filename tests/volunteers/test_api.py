"""Volunteer teams through the API: a community officer sets up a team, adds members (name and
phone encrypted at rest, masked in lists, never in the audit log), plans shifts; the volunteer
sees only their own shifts of today and checks in and out (409 for a repeat or a check-out
before the check-in, 422 naming ``at`` for a time outside the shift); hours per member and team
and the recognition list; the station sends a team to a hot cell without a team this week."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from pingan.audit.models import AuditRecord
from pingan.incidents.models import Incident
from pingan.store.base import utcnow
from pingan.volunteers.models import VolunteerMember
from pingan.volunteers.service import local_tz
from tests.conftest import auth
from tests.factories import SmallCity

V = "/api/v1/volunteers"


def _team(client: TestClient, city: SmallCity, who: str = "officer0") -> dict[str, object]:
    r = client.post(
        f"{V}/teams",
        json={"community_code": "T1-S0-C0", "name": "一社区红袖标", "kind": "red_armband"},
        headers=auth(city.tokens[who]),
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


def _setup(client: TestClient, city: SmallCity) -> tuple[int, int, int]:
    """A team, the volunteer's member row and another member; a shift of each on now."""
    officer = auth(city.tokens["officer0"])
    team = _team(client, city)
    tid = int(str(team["id"]))
    r = client.post(
        f"{V}/teams/{tid}/members",
        json={"name": "李秀英", "phone": "13912345678", "username": "volunteer0"},
        headers=officer,
    )
    assert r.status_code == 201, r.text
    me = r.json()
    assert me["name_masked"] == "李**" and me["phone_masked"] == "139****5678"
    other = client.post(f"{V}/teams/{tid}/members", json={"name": "王强"}, headers=officer).json()
    now = utcnow()
    ids = []
    for m in (me, other):
        r = client.post(
            f"{V}/teams/{tid}/shifts",
            json={
                "member_id": m["id"],
                "starts_at": (now - dt.timedelta(minutes=30)).isoformat(),
                "ends_at": (now + dt.timedelta(hours=2)).isoformat(),
                "cell_code": "T1-S0-C0-G1",
            },
            headers=officer,
        )
        assert r.status_code == 201, r.text
        assert r.json()["state"] == "planned" and r.json()["cell_id"] == city.cells[1].id
        ids.append(r.json()["id"])
    return tid, ids[0], ids[1]


def test_members_are_encrypted_and_masked(
    client: TestClient, city: SmallCity, session: Session
) -> None:
    tid, _, _ = _setup(client, city)
    raw = session.execute(text("SELECT name, phone FROM volunteer_members")).all()
    assert raw and all("李秀英" not in str(n) and "13912345678" not in str(p) for n, p in raw)
    assert session.scalar(select(VolunteerMember.name).order_by(VolunteerMember.id)) == "李秀英"
    listed = client.get(f"{V}/teams/{tid}/members", headers=auth(city.tokens["chief0"])).json()
    assert [m["name_masked"] for m in listed] == ["李**", "王*"]
    details = session.scalars(
        select(AuditRecord.detail).where(AuditRecord.entity == "volunteer_member")
    ).all()
    assert details and "李秀英" not in str(details) and "13912345678" not in str(details)
    # the chief reveals the contacts to call them: audited with the reason
    r = client.post(
        f"{V}/teams/{tid}/members/reveal",
        json={"reason": "今晚巡逻人手调整"},
        headers=auth(city.tokens["chief0"]),
    )
    assert r.status_code == 200 and r.json()[0]["phone"] == "13912345678"
    why = session.scalars(
        select(AuditRecord.detail).where(
            AuditRecord.entity == "volunteer_team", AuditRecord.action == "reveal"
        )
    ).all()
    assert len(why) == 1 and "今晚巡逻人手调整" in str(why[0])
    r = client.post(
        f"{V}/teams/{tid}/members/reveal",
        json={"reason": "x"},
        headers=auth(city.tokens["commander"]),
    )
    assert r.status_code == 403
    r = client.post(f"{V}/teams/{tid}/members/reveal", json={}, headers=auth(city.tokens["chief0"]))
    assert r.status_code == 422 and r.json()["error"]["field"].endswith("reason")
    teams = client.get(f"{V}/teams", headers=auth(city.tokens["chief0"])).json()
    assert [(t["id"], t["members"]) for t in teams] == [(tid, 2)]
    assert client.get(f"{V}/teams", headers=auth(city.tokens["chief1"])).json() == []


def test_volunteer_checks_in_and_out(client: TestClient, city: SmallCity) -> None:
    _, mine, other = _setup(client, city)
    vol = auth(city.tokens["volunteer0"])
    shifts = client.get(f"{V}/shifts", params={"mine": 1}, headers=vol).json()
    assert [s["id"] for s in shifts] == [mine]
    # without mine=1 a volunteer still gets only their own
    assert [s["id"] for s in client.get(f"{V}/shifts", headers=vol).json()] == [mine]
    lon, lat = city.cell_center(1)
    t_in = utcnow() - dt.timedelta(minutes=10)
    body = {"at": t_in.isoformat(), "lon": lon, "lat": lat}
    r = client.post(f"{V}/shifts/{mine}/check-out", json=body, headers=vol)
    assert r.status_code == 409 and "not checked in yet" in r.json()["error"]["message"]
    r = client.post(f"{V}/shifts/{mine}/check-in", json=body, headers=vol)
    assert r.status_code == 200, r.text
    s = r.json()
    assert s["state"] == "on" and s["checked_in_at"] is not None and s["distance_in_m"] < 1
    assert dt.datetime.fromisoformat(s["checked_in_at"]) == t_in.replace(
        microsecond=t_in.microsecond
    )
    r = client.post(f"{V}/shifts/{mine}/check-in", json=body, headers=vol)
    assert r.status_code == 409 and "already checked in" in r.json()["error"]["message"]
    # someone else's shift is not found
    r = client.post(f"{V}/shifts/{other}/check-in", json=body, headers=vol)
    assert r.status_code == 404 and "not yours" in r.json()["error"]["message"]
    bad = {**body, "at": (t_in - dt.timedelta(minutes=1)).isoformat()}
    r = client.post(f"{V}/shifts/{mine}/check-out", json=bad, headers=vol)
    assert r.status_code == 422 and r.json()["error"]["field"] == "at"
    t_out = t_in + dt.timedelta(minutes=9)
    r = client.post(
        f"{V}/shifts/{mine}/check-out", json={**body, "at": t_out.isoformat()}, headers=vol
    )
    assert r.status_code == 200 and r.json()["state"] == "done"
    assert r.json()["minutes_worked"] == 9
    # the commander reads the shifts of the bureau but checks no one in
    cmd = auth(city.tokens["commander"])
    assert {x["id"] for x in client.get(f"{V}/shifts", headers=cmd).json()} == {mine, other}
    r = client.post(f"{V}/shifts/{other}/check-in", json=body, headers=cmd)
    assert r.status_code == 403 and "volunteer.shift" in r.json()["error"]["message"]
    # nothing else for a volunteer
    for path in ("/api/v1/volunteers/teams", "/api/v1/incidents", "/api/v1/ledger/entries"):
        assert client.get(path, headers=vol).status_code == 403, path
    # the check-in's time must lie in the shift
    far = {**body, "at": (utcnow() - dt.timedelta(hours=5)).isoformat()}
    r = client.post(f"{V}/shifts/{other}/check-in", json=far, headers=auth(city.tokens["officer0"]))
    assert r.status_code == 422 and r.json()["error"]["field"] == "at"
    r = client.post(
        f"{V}/shifts/{mine}/check-in", json={**body, "at": "2026-12-07T09:00:00"}, headers=vol
    )
    assert r.status_code == 422 and r.json()["error"]["field"] == "at"


def test_hours_recognition_and_hot_cells(
    client: TestClient, city: SmallCity, session: Session
) -> None:
    tid, mine, other = _setup(client, city)
    officer = auth(city.tokens["officer0"])
    lon, lat = city.cell_center(1)
    t0 = utcnow() - dt.timedelta(minutes=20)
    for sid in (mine, other):
        for what, at in (("check-in", t0), ("check-out", t0 + dt.timedelta(minutes=15))):
            r = client.post(
                f"{V}/shifts/{sid}/{what}",
                json={"at": at.isoformat(), "lon": lon, "lat": lat},
                headers=officer,
            )
            assert r.status_code == 200, r.text
    h = client.get(f"{V}/hours", params={"min_hours": 0.2}, headers=officer).json()
    assert [m["hours"] for m in h["members"]] == [0.25, 0.25]
    assert h["teams"][0]["hours"] == 0.5 and h["teams"][0]["shifts_done"] == 2
    assert len(h["recognition"]) == 2 and h["recognition"][0]["name"].endswith("*")
    h = client.get(f"{V}/hours", headers=officer).json()
    assert h["recognition"] == []  # under 4 hours
    # hot cells: an incident in cell 2 (no team this week), one in cell 1 (the team's shifts)
    for k, cell in enumerate((2, 2, 1)):
        x, y = city.cell_center(cell)
        c = city.cells[cell]
        session.add(
            Incident(
                code=f"JQ-V{k}",
                subtype="theft_other",
                klass="criminal",
                priority=3,
                source="call_110",
                state="closed",
                lon=x,
                lat=y,
                input_lon=x,
                input_lat=y,
                jurisdiction_id=c.id,
                jpath=c.path,
                reported_at=utcnow() - dt.timedelta(hours=3),
            )
        )
    session.flush()
    # the week of the shifts (planned half an hour ago), whatever the hour of the run
    start = utcnow() - dt.timedelta(minutes=29)
    week = {"day": start.astimezone(local_tz()).date().isoformat()}
    hot = client.get(f"{V}/hot-cells", params=week, headers=auth(city.tokens["chief0"])).json()
    assert [c["cell_id"] for c in hot] == [city.cells[2].id]
    assert hot[0]["heat"] == 2 and [t["id"] for t in hot[0]["teams"]] == [tid]
    r = client.post(
        f"{V}/assignments",
        json={
            "team_id": tid,
            "cell_code": "T1-S0-C0-G2",
            "starts_at": start.isoformat(),
            "ends_at": (start + dt.timedelta(hours=2)).isoformat(),
        },
        headers=auth(city.tokens["chief0"]),
    )
    assert r.status_code == 201, r.text
    assert len(r.json()) == 2 and {s["cell_id"] for s in r.json()} == {city.cells[2].id}
    assert (
        client.get(f"{V}/hot-cells", params=week, headers=auth(city.tokens["chief0"])).json() == []
    )
    r = client.post(
        f"{V}/assignments",
        json={
            "team_id": tid,
            "cell_code": "T1-S0-C0",
            "starts_at": start.isoformat(),
            "ends_at": (start + dt.timedelta(hours=13)).isoformat(),
        },
        headers=auth(city.tokens["chief0"]),
    )
    assert r.status_code == 422 and r.json()["error"]["field"] == "ends_at"


def test_bad_team_input(client: TestClient, city: SmallCity) -> None:
    officer = auth(city.tokens["officer0"])
    for body, field in (
        ({"community_code": "T1-S0-C0", "name": "x", "kind": "militia"}, "kind"),
        ({"community_code": "T1-S1-C0", "name": "x", "kind": "red_armband"}, "community_code"),
        ({"community_code": "T1-S0", "name": "x", "kind": "red_armband"}, "community_code"),
    ):
        r = client.post(f"{V}/teams", json=body, headers=officer)
        assert r.status_code == 422 and r.json()["error"]["field"].split(".")[-1] == field
    tid = _team(client, city)["id"]
    r = client.post(
        f"{V}/teams/{tid}/members", json={"name": "张", "username": "officer0"}, headers=officer
    )
    assert r.status_code == 422 and "not a volunteer" in r.json()["error"]["message"]
    r = client.post(
        f"{V}/teams/{tid}/members", json={"name": "张", "phone": "abc"}, headers=officer
    )
    assert r.status_code == 422 and r.json()["error"]["field"].endswith("phone")
    assert client.get(f"{V}/teams/999/members", headers=officer).status_code == 404


def test_a_member_leaves(client: TestClient, city: SmallCity) -> None:
    tid, mine, _ = _setup(client, city)
    officer = auth(city.tokens["officer0"])
    me = client.get(f"{V}/teams/{tid}/members", headers=officer).json()[0]
    start = utcnow() + dt.timedelta(days=1)
    r = client.post(
        f"{V}/teams/{tid}/shifts",
        json={
            "member_id": me["id"],
            "starts_at": start.isoformat(),
            "ends_at": (start + dt.timedelta(hours=2)).isoformat(),
            "lon": city.cell_center(0)[0],
            "lat": city.cell_center(0)[1],
            "place": "东门",
        },
        headers=officer,
    )
    assert r.status_code == 201 and r.json()["place"] == "东门"
    r = client.delete(f"{V}/teams/{tid}/members/{me['id']}", headers=officer)
    assert r.status_code == 200 and r.json()["active"] is False and r.json()["user_id"] is None
    r = client.delete(f"{V}/teams/{tid}/members/{me['id']}", headers=officer)
    assert r.status_code == 409
    # the shift under way stays (hours are kept), the one of tomorrow is gone
    day = {
        "since": (utcnow() - dt.timedelta(days=1)).date().isoformat(),
        "until": (utcnow() + dt.timedelta(days=2)).date().isoformat(),
    }
    left = [
        s["id"]
        for s in client.get(f"{V}/shifts", params=day, headers=officer).json()
        if s["member_id"] == me["id"]
    ]
    assert left == [mine]
    assert client.get(f"{V}/shifts", headers=auth(city.tokens["volunteer0"])).json() == []
    r = client.post(
        f"{V}/teams/{tid}/shifts",
        json={
            "member_id": me["id"],
            "starts_at": start.isoformat(),
            "ends_at": (start + dt.timedelta(hours=1)).isoformat(),
            "cell_code": "T1-S0-C0-G0",
        },
        headers=officer,
    )
    assert r.status_code == 422 and "has left the team" in r.json()["error"]["message"]


def test_a_shift_under_way_stays_listed_after_midnight(
    client: TestClient, city: SmallCity, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A shift that began yesterday (23:30 to 01:30) is still the volunteer's and the
    station's after midnight: the lists of "today" take the shifts under way too."""
    _, mine, other = _setup(client, city)
    from pingan.volunteers import service

    tomorrow = service._today() + dt.timedelta(days=1)
    monkeypatch.setattr(service, "_today", lambda: tomorrow)  # as if midnight had passed
    vol = auth(city.tokens["volunteer0"])
    shifts = client.get(f"{V}/shifts", params={"mine": 1}, headers=vol).json()
    assert [s["id"] for s in shifts] == [mine]
    station = client.get(f"{V}/shifts", headers=auth(city.tokens["chief0"])).json()
    assert {s["id"] for s in station} == {mine, other}
    # a day asked for by name keeps its own shifts only
    named = client.get(
        f"{V}/shifts", params={"day": tomorrow.isoformat()}, headers=auth(city.tokens["chief0"])
    ).json()
    assert named == []
