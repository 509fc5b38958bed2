"""The services ledger through the API: an officer records services at points of his
community (the cell and community come from the point, the officer is the caller), bad input
is a 422 naming the field, lists are scoped (an officer sees his own, a chief his station, the
other station nothing), and the summary counts per officer, cell and community per day and
month; every entry is audited."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.audit.models import AuditRecord
from pingan.ledger.service import local_tz
from pingan.store.base import utcnow
from tests.conftest import auth
from tests.factories import SmallCity

URL = "/api/v1/ledger/entries"


def _entry(city: SmallCity, cell: int = 0, **kw: object) -> dict[str, object]:
    lon, lat = city.cell_center(cell)
    body: dict[str, object] = {
        "kind": "visit",
        "at": (utcnow() - dt.timedelta(minutes=5)).isoformat(),
        "lon": lon,
        "lat": lat,
        "minutes": 20,
    }
    body.update(kw)
    return body


def test_record_and_read_back(client: TestClient, city: SmallCity, session: Session) -> None:
    officer = auth(city.tokens["officer0"])
    r = client.post(URL, json=_entry(city, 1, note="帮助找回钱包"), headers=officer)
    assert r.status_code == 201, r.text
    e = r.json()
    assert e["officer_id"] == city.users["officer0"].id
    assert e["cell_id"] == city.cells[1].id
    assert e["community_id"] == city.communities[0].id
    assert e["minutes"] == 20 and e["note"] == "帮助找回钱包" and e["kind"] == "visit"
    assert {"id", "at", "lon", "lat", "created_at"} <= set(e)
    n = session.scalar(
        select(func.count()).where(
            AuditRecord.entity == "ledger_entry", AuditRecord.entity_id == str(e["id"])
        )
    )
    assert n == 1
    page = client.get(URL, headers=officer).json()
    assert page["total"] == 1 and page["items"][0]["id"] == e["id"]
    assert page["items"][0]["cell_name"] == "网格1"
    # the chief of the station sees it; the other station's chief does not
    assert client.get(URL, headers=auth(city.tokens["chief0"])).json()["total"] == 1
    assert client.get(URL, headers=auth(city.tokens["chief1"])).json()["total"] == 0
    # filters
    q = {"kind": "mediation"}
    assert client.get(URL, params=q, headers=officer).json()["total"] == 0
    q2 = {"cell_id": city.cells[1].id, "officer_id": city.users["officer0"].id}
    assert client.get(URL, params=q2, headers=officer).json()["total"] == 1


def test_bad_input_names_the_field(client: TestClient, city: SmallCity) -> None:
    officer = auth(city.tokens["officer0"])
    cases = [
        (_entry(city, kind="arrest"), "kind"),
        (_entry(city, minutes=0), "minutes"),
        (_entry(city, minutes=601), "minutes"),
        (_entry(city, note="x" * 501), "note"),
        (_entry(city, at="2026-12-07T09:30:00"), "at"),
        (_entry(city, at=(utcnow() + dt.timedelta(hours=2)).isoformat()), "at"),
        (_entry(city, at=(utcnow() - dt.timedelta(days=40)).isoformat()), "at"),
        (_entry(city, note="王先生 138 1234 5678"), "note"),
        (_entry(city, note="身份证530102199001011234"), "note"),
        (_entry(city, lon=90.0, lat=10.0), "lon"),
        (_entry(city, 8), "lon"),  # a cell of the other station: outside his jurisdiction
        ({**_entry(city), "officer_id": 5}, "officer_id"),
    ]
    for body, field in cases:
        r = client.post(URL, json=body, headers=officer)
        assert r.status_code == 422, (field, r.text)
        assert r.json()["error"]["field"].split(".")[-1] == field, (field, r.json())
    r = client.post(URL, json=_entry(city, 8), headers=officer)
    assert "outside your jurisdiction" in r.json()["error"]["message"]
    r = client.post(URL, json=_entry(city, note="电话13812345678"), headers=officer)
    assert "no personal data of the person served" in r.json()["error"]["message"]
    r = client.post(URL, json=_entry(city, note="调解用时 45 分钟，双方签字 2 份"), headers=officer)
    assert r.status_code == 201


def test_only_officers_and_chiefs_record(client: TestClient, city: SmallCity) -> None:
    for who in ("analyst", "dispatcher", "volunteer0"):
        r = client.post(URL, json=_entry(city), headers=auth(city.tokens[who]))
        assert r.status_code == 403, who
        assert "ledger.record" in r.json()["error"]["message"]
    assert client.get(URL, headers=auth(city.tokens["volunteer0"])).status_code == 403


def test_summary_by_officer_cell_and_community(client: TestClient, city: SmallCity) -> None:
    officer = auth(city.tokens["officer0"])
    chief = auth(city.tokens["chief0"])
    for cell, kind, minutes in ((0, "visit", 10), (0, "help", 30), (2, "mediation", 45)):
        r = client.post(URL, json=_entry(city, cell, kind=kind, minutes=minutes), headers=chief)
        assert r.status_code == 201, r.text
    r = client.post(URL, json=_entry(city, 3, minutes=15), headers=officer)
    assert r.status_code == 201
    today = (utcnow() - dt.timedelta(minutes=5)).astimezone(local_tz()).date()
    s = client.get("/api/v1/ledger/summary", params={"by": "cell"}, headers=chief).json()
    assert s["total_entries"] == 4 and s["total_minutes"] == 100
    by_cell = {r["key_id"]: r for r in s["rows"]}
    assert by_cell[city.cells[0].id]["entries"] == 2
    assert by_cell[city.cells[0].id]["by_kind"] == {"help": 1, "visit": 1}
    assert by_cell[city.cells[0].id]["period"] == today.isoformat()
    assert s["rows_total"] == len(s["rows"]) == 3
    # a page asks for the rows it shows: the latest periods' first, the totals still whole
    cut = client.get(
        "/api/v1/ledger/summary", params={"by": "cell", "limit": 1}, headers=chief
    ).json()
    assert [r["key_id"] for r in cut["rows"]] == [city.cells[0].id]  # the most entries
    assert cut["rows_total"] == 3 and cut["total_entries"] == 4 and cut["total_minutes"] == 100
    r = client.get("/api/v1/ledger/summary", params={"limit": 0}, headers=chief)
    assert r.status_code == 422 and r.json()["error"]["field"].endswith("limit")
    s = client.get(
        "/api/v1/ledger/summary", params={"by": "community", "period": "month"}, headers=chief
    ).json()
    assert [(r["key_id"], r["entries"], r["period"]) for r in s["rows"]] == [
        (city.communities[0].id, 4, today.strftime("%Y-%m"))
    ]
    s = client.get("/api/v1/ledger/summary", params={"by": "officer"}, headers=chief).json()
    assert sorted(r["entries"] for r in s["rows"]) == [1, 3]
    # the officer's own summary counts his own entries only
    s = client.get("/api/v1/ledger/summary", headers=officer).json()
    assert s["total_entries"] == 1
    r = client.get("/api/v1/ledger/summary", params={"by": "person"}, headers=chief)
    assert r.status_code == 422 and r.json()["error"]["field"].endswith("by")
    r = client.get(
        "/api/v1/ledger/summary",
        params={"since": "2026-12-07", "until": "2026-12-01"},
        headers=chief,
    )
    assert r.status_code == 422 and r.json()["error"]["field"] == "since"
