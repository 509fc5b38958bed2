"""Reveals of personal data are for the roles that handle the case (pingan.permissions): 403
with the JSON error body naming the action for the others, and nothing audited for them."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.audit.models import AuditRecord
from tests.conftest import auth
from tests.error_body import plain
from tests.factories import SmallCity


def _views(session: Session) -> int:
    q = select(func.count()).where(AuditRecord.action == "view_personal")
    return int(session.scalar(q) or 0)


def test_caller_reveal_by_role(client: TestClient, city: SmallCity, session: Session) -> None:
    lon, lat = city.cell_center(0)
    inc = client.post(
        "/api/v1/incidents",
        json={"subtype": "pickpocketing", "lon": lon, "lat": lat, "caller_phone": "13812345678"},
        headers=auth(city.tokens["dispatcher"]),
    ).json()
    url = f"/api/v1/incidents/{inc['id']}/caller"
    for user, role in (
        ("analyst", "analyst"),
        ("officer0", "community_officer"),
        ("admin", "admin"),
    ):
        before = _views(session)
        r = client.post(url, json={"reason": "看看"}, headers=auth(city.tokens[user]))
        assert r.status_code == 403, user
        assert plain(r.json()) == {
            "error": {
                "code": "forbidden",
                "field": "role",
                "message": f"role {role!r} may not reveal callers (incident.reveal_caller); "
                "allowed: commander, dispatcher, station_chief",
            }
        }
        assert "13812345678" not in r.text and _views(session) == before
    for user in ("dispatcher", "commander", "chief0"):
        r = client.post(url, json={"reason": "回拨"}, headers=auth(city.tokens[user]))
        assert r.status_code == 200 and r.json()["caller_phone"] == "13812345678", user
    # the other station's chief may, by role, but the incident is outside its scope
    r = client.post(url, json={"reason": "回拨"}, headers=auth(city.tokens["chief1"]))
    assert r.status_code == 404


def test_premises_contact_reveal_by_role(client: TestClient, city: SmallCity) -> None:
    lon, lat = city.cell_center(2)
    p = client.post(
        "/api/v1/premises",
        headers=auth(city.tokens["officer0"]),
        json={
            "kind": "school",
            "name": "翠湖小学",
            "lon": lon,
            "lat": lat,
            "contact_name": "李老师",
            "contact_phone": "0871-65123456",
        },
    ).json()
    url = f"/api/v1/premises/{p['id']}/contact"
    for user in ("analyst", "dispatcher", "commander", "admin"):
        r = client.post(url, json={"reason": "核查"}, headers=auth(city.tokens[user]))
        assert r.status_code == 403, user
        msg = r.json()["error"]["message"]
        assert "may not reveal premises contacts (premises.reveal_contact)" in msg
        assert msg.endswith("allowed: station_chief, community_officer")
    for user in ("chief0", "officer0"):
        r = client.post(url, json={"reason": "核查"}, headers=auth(city.tokens[user]))
        assert r.status_code == 200 and r.json()["contact_phone"] == "0871-65123456", user


def test_pages_keep_their_json_shape(client: TestClient, city: SmallCity) -> None:
    h = auth(city.tokens["admin"])
    for path in (
        "/api/v1/incidents",
        "/api/v1/premises",
        "/api/v1/key-areas",
        "/api/v1/resources",
        "/api/v1/jurisdictions",
        "/api/v1/disputes",
        "/api/v1/warnings",
    ):
        r = client.get(path, params={"limit": 2, "offset": 1}, headers=h)
        assert r.status_code == 200, path
        body = r.json()
        extra = {"total_exact"} if path == "/api/v1/incidents" else set()  # counted to a cap
        assert set(body) == {"items", "total", "limit", "offset"} | extra, path
        assert body["limit"] == 2 and body["offset"] == 1
    spec = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    for name in ("IncidentPage", "DisputePage", "WarningPage", "PremisesPage", "RevealIn"):
        assert name in spec
    assert spec["RevealIn"]["properties"]["reason"]["maxLength"] == 500
