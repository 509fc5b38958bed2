"""Keyset paging of the OGC items (pingan.api.ogc_paging): the next links carry a cursor, a
page after a cursor seeks the sort index (its cost does not grow with its depth), and walking
every next link returns every row exactly once, ties of time included."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from pingan.api.ogc_paging import MAX_OFFSET, decode_cursor, encode_cursor
from pingan.errors import Invalid
from tests.conftest import auth
from tests.factories import SmallCity

ITEMS = "/api/v1/ogc/collections/incidents/items"


def _many(client: TestClient, city: SmallCity, n: int) -> list[int]:
    """``n`` incidents, three to a reported time (ties the id must break)."""
    t0 = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
    out = []
    for i in range(n):
        lon, lat = city.cell_center(i % 16)
        r = client.post(
            "/api/v1/incidents",
            headers=auth(city.tokens["dispatcher"]),
            json={
                "subtype": "fight",
                "lon": lon,
                "lat": lat,
                "reported_at": (t0 + dt.timedelta(minutes=i // 3)).isoformat(),
            },
        )
        assert r.status_code == 201, r.text
        out.append(int(r.json()["id"]))
    return out


def _walk(client: TestClient, h: dict[str, str], params: dict[str, Any]) -> tuple[list[int], int]:
    fc = client.get(ITEMS, params=params, headers=h).json()
    seen = [f["id"] for f in fc["features"]]
    pages = 1
    while nxt := next((x["href"] for x in fc["links"] if x["rel"] == "next"), None):
        assert "cursor=" in nxt and "offset=" not in nxt
        r = client.get(nxt.split("testserver", 1)[1], headers=h)
        assert r.status_code == 200, r.text
        fc = r.json()
        assert fc["numberReturned"] == len(fc["features"]) > 0
        seen += [f["id"] for f in fc["features"]]
        pages += 1
    return seen, pages


def test_walking_the_next_links_returns_every_row_once(client: TestClient, city: SmallCity) -> None:
    made = _many(client, city, 23)
    h = auth(city.tokens["commander"])
    seen, pages = _walk(client, h, {"limit": 4})
    assert pages == 6 and len(seen) == len(set(seen)) == 23 and set(seen) == set(made)
    # newest first, ties by id descending: the order of the index
    t = {f["id"]: f["properties"]["reported_at"] for f in _all(client, h)}
    assert seen == sorted(made, key=lambda i: (t[i], i), reverse=True)
    # with filters kept in the links (a station's scope and a time window)
    chief = auth(city.tokens["chief0"])
    window = "2026-10-01T00:01:00Z/2026-10-01T00:05:00Z"
    seen, _ = _walk(client, chief, {"limit": 2, "datetime": window})
    whole = client.get(ITEMS, params={"limit": 100, "datetime": window}, headers=chief).json()
    assert sorted(seen) == sorted(f["id"] for f in whole["features"])
    assert len(seen) == len(set(seen)) == whole["numberMatched"] > 0
    # an exact page count: no empty page at the end
    seen, pages = _walk(client, h, {"limit": 23})
    assert pages == 1 and len(seen) == 23
    # a collection ordered by id (grid cells), ascending
    fc = client.get("/api/v1/ogc/collections/grid-cells/items?limit=5", headers=h).json()
    ids = [f["id"] for f in fc["features"]]
    while nxt := next((x["href"] for x in fc["links"] if x["rel"] == "next"), None):
        fc = client.get(nxt.split("testserver", 1)[1], headers=h).json()
        ids += [f["id"] for f in fc["features"]]
    assert ids == sorted(ids) and len(ids) == len(set(ids)) == 16


def _all(client: TestClient, h: dict[str, str]) -> list[dict[str, Any]]:
    return list(client.get(ITEMS, params={"limit": 1000}, headers=h).json()["features"])


def test_a_page_after_a_cursor_seeks_the_index(
    client: TestClient, city: SmallCity, engine: Engine, session: Session
) -> None:
    """The page's query starts at the cursor's key in the time index (a range, not a walk and
    a drop of the rows before it, as an offset does)."""
    _many(client, city, 9)
    h = auth(city.tokens["commander"])
    fc = client.get(ITEMS, params={"limit": 3}, headers=h).json()
    nxt = next(x["href"] for x in fc["links"] if x["rel"] == "next")
    statements: list[tuple[str, Any]] = []

    def keep(_c: Any, _cur: Any, statement: str, parameters: Any, *_: Any) -> None:
        page = "LIMIT" in statement.upper() and "count(*)" not in statement  # not the count
        if page and "FROM incidents" in statement:
            statements.append((statement, parameters))

    conn = session.connection()
    event.listen(conn, "before_cursor_execute", keep)
    try:
        r = client.get(nxt.split("testserver", 1)[1], headers=h)
    finally:
        event.remove(conn, "before_cursor_execute", keep)
    assert r.status_code == 200 and r.json()["numberReturned"] == 3
    (sql, params), *_ = statements
    assert "(incidents.reported_at, incidents.id) <" in sql  # the cursor's key, no rows dropped
    if engine.dialect.name == "sqlite":
        plan = " ".join(
            str(row[-1]) for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params)
        )
        assert "USING INDEX ix_incidents_reported_at (reported_at<?)" in plan, plan
    else:
        conn.execute(text("SET LOCAL enable_seqscan = off"))  # a tiny table: ask for the index
        plan = " ".join(str(row[0]) for row in conn.exec_driver_sql(f"EXPLAIN {sql}", params))
        assert "Index" in plan and "reported_at" in plan, plan


def test_offset_is_bounded_and_a_bad_cursor_is_a_400(client: TestClient, city: SmallCity) -> None:
    h = auth(city.tokens["commander"])
    r = client.get(ITEMS, params={"offset": MAX_OFFSET + 1}, headers=h)
    assert r.status_code == 400 and r.json()["error"]["field"] == "offset"
    assert "follow the next links" in r.json()["error"]["message"]
    assert client.get(ITEMS, params={"offset": MAX_OFFSET}, headers=h).status_code == 200
    for bad in ("x", "W10=", encode_cursor([1, 2]), encode_cursor(["2026-10-01T00:00:00", 1])):
        r = client.get(ITEMS, params={"cursor": bad}, headers=h)
        assert r.status_code == 400, bad
        assert r.json()["error"]["message"] == (
            "cursor: not a cursor of this collection: follow the next link as it is"
        )
    r = client.get(ITEMS, params={"cursor": encode_cursor([1]), "offset": 5}, headers=h)
    assert r.status_code == 400 and r.json()["error"]["field"] == "offset"


def test_cursor_round_trip() -> None:
    when = dt.datetime(2026, 10, 1, 8, 30, tzinfo=dt.UTC)
    assert decode_cursor(encode_cursor([when, 42]), ["time", "id"]) == [when, 42]
    assert decode_cursor(encode_cursor([7]), ["id"]) == [7]
    for bad in ([True], [-1], ["7"], [2**63]):
        try:
            decode_cursor(encode_cursor(bad), ["id"])
        except Invalid as exc:
            assert exc.field == "cursor"
        else:
            raise AssertionError(bad)
