"""Creations written together (the group writer's ``many``) come out exactly as if written one
after another: repeat links inside the batch and to earlier incidents, keys replayed, counts,
timelines and the audit chain."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import numpy as np
import pytest
from sqlalchemy import Engine, event, select, text
from sqlalchemy.orm import Session

from pingan.audit.models import AuditRecord
from pingan.audit.service import verify
from pingan.auth.service import Principal, principal_for, resolve_token
from pingan.errors import Conflict
from pingan.incidents import service
from pingan.incidents.models import Incident, IncidentEvent
from pingan.incidents.schemas import IncidentCreate
from pingan.store import planner
from pingan.store.engine import analyze
from tests.conftest import rolled_back_session
from tests.factories import SmallCity, build_small_city

M_LAT = 1 / 111_000.0  # one metre of latitude, in degrees


def _principal(session: Session, city: SmallCity) -> Principal:
    return principal_for(session, resolve_token(session, city.tokens["dispatcher"]))


def _prepared(
    session: Session,
    principal: Principal,
    lon: float,
    lat: float,
    *,
    subtype: str = "fight",
    key: str | None = None,
    summary: str = "",
    at: dt.datetime | None = None,
) -> tuple[Principal, service.PreparedIncident]:
    data = IncidentCreate(subtype=subtype, lon=lon, lat=lat, summary=summary, reported_at=at)
    return principal, service.prepare_create(
        session, principal=principal, data=data, idempotency_key=key
    )


def test_a_batch_links_repeats_within_itself_and_to_earlier_calls(
    session: Session, city: SmallCity
) -> None:
    p = _principal(session, city)
    (x0, y0), (x1, y1) = city.cell_center(0), city.cell_center(5)
    earlier, _ = service.write_create_many(session, [_prepared(session, p, x0, y0)])[0]
    items = [
        _prepared(session, p, x0, y0 + 50 * M_LAT),  # repeats the earlier call
        _prepared(session, p, x1, y1),  # a new original ...
        _prepared(session, p, x1 + 0.0005, y1),  # ... repeated in the same batch (about 50 m)
        _prepared(session, p, x1, y1 + 100 * M_LAT),  # ... and again
        _prepared(session, p, x1, y1, subtype="pickpocketing"),  # other subtype: an original
        _prepared(session, p, x1, y1 + 400 * M_LAT),  # too far: an original
    ]
    rows = [row for row, created in service.write_create_many(session, items) if created]
    assert len(rows) == 6
    assert rows[0]["repeat_of_id"] == earlier["id"] and rows[0]["state"] == "duplicate"
    assert rows[1]["repeat_of_id"] is None and rows[1]["state"] == "received"
    assert rows[2]["repeat_of_id"] == rows[1]["id"] == rows[3]["repeat_of_id"]
    assert rows[4]["repeat_of_id"] is None and rows[5]["repeat_of_id"] is None
    assert len({r["id"] for r in rows}) == 6
    session.expire_all()
    stored = {i.id: i for i in session.scalars(select(Incident))}
    assert stored[earlier["id"]].repeat_count == 1
    assert stored[rows[1]["id"]].repeat_count == 2
    assert stored[rows[2]["id"]].repeat_of_id == rows[1]["id"]  # the stored link, not only the row
    kinds = session.execute(
        select(IncidentEvent.incident_id, IncidentEvent.kind).order_by(IncidentEvent.id)
    ).all()
    assert sum(k == "repeat_call" for _, k in kinds) == 3
    assert sum(k == "received" for _, k in kinds) == 7
    created = session.scalars(
        select(AuditRecord.entity_id).where(
            AuditRecord.entity == "incident", AuditRecord.action == "create"
        )
    ).all()
    assert sorted(int(e) for e in created if e is not None)[-7:] == sorted(
        [earlier["id"], *(r["id"] for r in rows)]
    )
    assert verify(session).ok


def test_repeat_counts_are_updated_in_id_order(
    session: Session, city: SmallCity, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two originals gain repeats in one batch, the later one first: their counts are still
    updated lowest id first, the order every worker locks them in (no deadlock between two
    batches that count the same pair)."""
    p = _principal(session, city)
    (x0, y0), (x1, y1) = city.cell_center(0), city.cell_center(5)
    a, _ = service.write_create_many(session, [_prepared(session, p, x0, y0)])[0]
    b, _ = service.write_create_many(session, [_prepared(session, p, x1, y1)])[0]
    seen: list[list[int]] = []
    real = service._COUNT_REPEAT_DRIVER.execute_many

    def record(conn, rows):  # type: ignore[no-untyped-def]
        seen.append([r["original_id"] for r in rows])
        return real(conn, rows)

    monkeypatch.setattr(service._COUNT_REPEAT_DRIVER, "execute_many", record)
    later_first = [_prepared(session, p, x1, y1 + 20 * M_LAT), _prepared(session, p, x0, y0)]
    service.write_create_many(session, later_first)
    assert seen == [sorted([a["id"], b["id"]])]


def test_a_batch_equals_the_same_calls_one_by_one(session: Session, city: SmallCity) -> None:
    """Random calls around two spots: writing them together or one at a time links the same
    pairs (by position in the input)."""
    p = _principal(session, city)
    rng = np.random.default_rng(11)
    spots = [city.cell_center(2), city.cell_center(9)]
    calls = []
    for i in range(40):
        x, y = spots[i % 2]
        dx, dy = rng.uniform(-0.002, 0.002, size=2)
        calls.append((x + dx, y + dy, ("fight", "pickpocketing")[int(rng.integers(2))]))

    def links(rows: list[service.IncidentRow]) -> list[int | None]:
        pos = {r["id"]: k for k, r in enumerate(rows)}
        return [None if r["repeat_of_id"] is None else pos[r["repeat_of_id"]] for r in rows]

    at0 = dt.datetime(2026, 1, 5, 8, tzinfo=dt.UTC)  # a quiet morning of its own
    sp = session.begin_nested()
    together = [
        r
        for r, _ in service.write_create_many(
            session,
            [_prepared(session, p, x, y, subtype=s, at=at0) for x, y, s in calls],
        )
    ]
    sp.rollback()
    sp = session.begin_nested()
    alone = [
        service.write_create_many(session, [_prepared(session, p, x, y, subtype=s, at=at0)])[0][0]
        for x, y, s in calls
    ]
    sp.rollback()
    assert links(together) == links(alone)
    assert any(link is not None for link in links(alone))  # the case is not trivial


def test_keys_in_a_batch_replay_and_conflict(session: Session, city: SmallCity) -> None:
    p = _principal(session, city)
    x, y = city.cell_center(3)
    first = _prepared(session, p, x, y, key="k-1", summary="a")
    again = _prepared(session, p, x, y, key="k-1", summary="a")  # same key, same body
    other = _prepared(session, p, x + 0.01, y, key="k-2")
    out = service.write_create_many(session, [first, other, again])
    assert [created for _, created in out] == [True, True, False]
    assert out[2][0]["id"] == out[0][0]["id"]
    # a later batch replays it too; another body under that key is refused
    ((row, created),) = service.write_create_many(
        session, [_prepared(session, p, x, y, key="k-1", summary="a")]
    )
    assert not created and row["id"] == out[0][0]["id"]
    with pytest.raises(Conflict) as err:
        service.write_create_many(session, [_prepared(session, p, x, y, key="k-1", summary="b")])
    assert err.value.field == "Idempotency-Key"
    # a key used twice in one batch with two bodies: the second is refused too
    with pytest.raises(Conflict, match="different request body"):
        service.write_create_many(
            session,
            [
                _prepared(session, p, x, y, key="k-3", summary="c"),
                _prepared(session, p, x, y, key="k-3", summary="d"),
            ],
        )


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_lat_band_matches_the_database_rule(dialect: str) -> None:
    # SQLite's CAST truncates toward zero, PostgreSQL's rounds half to even
    cases = {
        "sqlite": [(25.0345, 25034), (25.0349999, 25034), (-0.0005, 0), (-1.2345, -1234)],
        "postgresql": [(25.0345, 25034), (25.0346, 25035), (-0.0005, 0), (-1.2346, -1235)],
    }
    for lat, band in cases[dialect]:
        assert service.lat_band(lat, dialect) == band


def test_lat_band_in_the_database(session: Session, city: SmallCity) -> None:
    p = _principal(session, city)
    x, y = city.cell_center(1)
    lats = [y + k * 37 * M_LAT for k in range(-5, 6)]
    rows = [
        r
        for r, _ in service.write_create_many(
            session, [_prepared(session, p, x + 0.001 * k, lat) for k, lat in enumerate(lats)]
        )
    ]
    dialect = session.get_bind().dialect.name
    stored = {i: b for i, b in session.execute(select(Incident.id, Incident.lat_band))}
    for r in rows:
        assert stored[r["id"]] == service.lat_band(r["lat"], dialect)


def test_a_call_across_a_band_edge_is_linked(session: Session, city: SmallCity) -> None:
    """Two calls 20 m apart on either side of a latitude band edge are one incident."""
    p = _principal(session, city)
    x, _ = city.cell_center(6)
    dialect = session.get_bind().dialect.name
    band = service.lat_band(city.cell_center(6)[1], dialect)
    # the next band edge: where truncation (SQLite) or rounding (PostgreSQL) steps up
    y = (band + 1) / 1000 if dialect == "sqlite" else (band + 0.5) / 1000
    a, _ = service.write_create_many(session, [_prepared(session, p, x, y - 10 * M_LAT)])[0]
    b, _ = service.write_create_many(session, [_prepared(session, p, x, y + 10 * M_LAT)])[0]
    assert service.lat_band(a["lat"], dialect) != service.lat_band(b["lat"], dialect)
    assert b["repeat_of_id"] == a["id"]


def _search_params(city: SmallCity, dialect: str, cell: int = 4) -> tuple[int, dict[str, object]]:
    """The band count and parameters of the repeat-call search around a cell centre, now."""
    x, y = city.cell_center(cell)
    at = dt.datetime.now(dt.UTC)
    dlon, dlat = service._search_box(x, y)
    b0, b1 = service.lat_band(y - dlat, dialect), service.lat_band(y + dlat, dialect)
    params: dict[str, object] = {
        "subtype": "fight",
        "t0": at - dt.timedelta(minutes=10),
        "t1": at,
        "lat0": y - dlat,
        "lat1": y + dlat,
        "lon0": x - dlon,
        "lon1": x + dlon,
        **{f"b{i}": b for i, b in enumerate(range(b0, b1 + 1))},
    }
    return b1 - b0 + 1, params


def _busy_window(session: Session, city: SmallCity) -> None:
    """300 calls around one cell written at once, fights and pickpockets, then statistics made
    of them: a busy window for the repeat search."""
    p = _principal(session, city)
    rng = np.random.default_rng(5)
    x, y = city.cell_center(4)
    items = [
        _prepared(session, p, x + dx, y + dy, subtype=("fight", "pickpocketing")[k % 2])
        for k, (dx, dy) in enumerate(rng.uniform(-0.004, 0.004, size=(300, 2)))
    ]
    service.write_create_many(session, items)
    session.execute(text("ANALYZE incidents"))


def _plan(session: Session, city: SmallCity, *, generic: bool = False) -> str:
    """The plan of the repeat-call search, as the database runs it: on PostgreSQL planned with
    its values, or with ``generic`` the plan a prepared statement settles on."""
    conn = session.connection()
    dialect = conn.dialect.name
    n, params = _search_params(city, dialect)
    if generic:
        from psycopg import sql
        from sqlalchemy.dialects import postgresql

        compiled = service._REPEAT_SEARCH.statement(n).compile(
            dialect=postgresql.dialect(paramstyle="numeric_dollar")  # type: ignore[no-untyped-call]
        )
        assert compiled.positiontup is not None
        cur = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        cur.execute("PREPARE repeat_search AS " + compiled.string)
        cur.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        values = sql.SQL(",").join(sql.Literal(params[k]) for k in compiled.positiontup)
        cur.execute(sql.SQL("EXPLAIN EXECUTE repeat_search({})").format(values))
        rows = [str(r[0]) for r in cur.fetchall()]
        cur.execute("DEALLOCATE repeat_search")
        cur.execute("SET LOCAL plan_cache_mode = auto")
        return "\n".join(rows)
    prefix = "EXPLAIN QUERY PLAN " if dialect == "sqlite" else "EXPLAIN "
    plan: list[str] = []

    def explain(_c, _cur, statement, parameters, _ctx, _many):  # type: ignore[no-untyped-def]
        return prefix + statement, parameters

    def capture(_c, cursor, *_):  # type: ignore[no-untyped-def]
        plan.extend(str(r[-1]) for r in cursor.fetchall())  # before the result's own types

    # on this connection only: a listener on the engine also explains what other threads run
    # on it meanwhile (the revocation check of a server thread), which made the test flaky
    event.listen(conn, "before_cursor_execute", explain, retval=True)
    event.listen(conn, "after_cursor_execute", capture)
    try:
        conn.execute(service._REPEAT_SEARCH.statement(n), params).all()
    finally:
        event.remove(conn, "before_cursor_execute", explain)
        event.remove(conn, "after_cursor_execute", capture)
    return "\n".join(plan)


def _seeks_every_band(session: Session, plan: str) -> None:
    """Every access to ``incidents`` in ``plan`` is a seek of the band index on one band."""
    if session.get_bind().dialect.name == "sqlite":
        lines = [ln for ln in plan.splitlines() if "incidents" in ln]
        assert lines, plan
        for ln in lines:
            assert "USING INDEX ix_incidents_repeat_band (subtype=? AND lat_band=?" in ln, plan
        return
    scans = [ln for ln in plan.splitlines() if "Scan" in ln]
    conds = [ln for ln in plan.splitlines() if "Index Cond" in ln]
    assert scans and len(scans) == len(conds), plan
    assert all("Index Scan using ix_incidents_repeat_band" in ln for ln in scans), plan
    assert all("lat_band = " in ln for ln in conds), plan


@pytest.fixture()
def new_session(own_engine: Engine) -> Iterator[Session]:
    """A session (rolled back after) on a database of the test's own, whose ``incidents`` is new
    and empty: the shared one holds the pages of earlier tests' rolled-back rows, which
    PostgreSQL counts as the table's size while it has no statistics."""
    yield from rolled_back_session(own_engine)


def test_the_repeat_search_seeks_its_band_index_empty_or_full(new_session: Session) -> None:
    """Whether the table is new and empty or holds a busy window with fresh statistics, the
    search planned with its values seeks the band index, one band per branch."""
    session = new_session
    city = build_small_city(session)
    _seeks_every_band(session, _plan(session, city))
    _busy_window(session, city)
    _seeks_every_band(session, _plan(session, city))


def test_a_grown_table_gets_band_seeks_from_its_generic_plan(
    session: Session, city: SmallCity
) -> None:
    """With statistics of the table, the search runs on the prepared statement's generic plan
    (no planning per call): that plan is the band seeks, whether the statistics describe the
    table as it is or as it was when 1,200 rows old (pingan analyzes a table only while it is
    new; autovacuum may be off)."""
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("generic plans of prepared statements are PostgreSQL's")
    p = _principal(session, city)
    x, y = city.cell_center(4)
    seed = service.write_create_many(session, [_prepared(session, p, x, y)])[0][0]
    # incidents over a 2 km square and the last two days, copied from one in SQL
    varied = {
        "code": "code || '-' || g",
        "subtype": "(ARRAY['fight','pickpocketing','burglary'])[1 + g % 3]",
        "lon": "lon + (g % 200) * 1e-4",
        "lat": "lat + (g / 200) * 1e-4",
        "reported_at": "reported_at - g * interval '4 seconds'",
        "state": "'received'",
        "repeat_of_id": "NULL",
    }
    cols = [c.name for c in Incident.__table__.columns if c.name not in ("id", "lat_band")]

    def copies(first: int, last: int) -> None:
        session.execute(
            text(
                f"INSERT INTO incidents ({', '.join(cols)}) "
                f"SELECT {', '.join(varied.get(c, c) for c in cols)} "
                "FROM incidents, generate_series(CAST(:a AS integer), CAST(:b AS integer)) AS g "
                "WHERE incidents.id = :id"
            ),
            {"id": seed["id"], "a": first, "b": last},
        )

    copies(1, 1200)
    # the statistics pingan's own background ANALYZE gathers (a small sample), then growth
    analyze(session.connection(), "incidents", statistics_target=planner.SEARCH_STATS_TARGET)
    copies(1201, 40000)
    _seeks_every_band(session, _plan(session, city, generic=True))
    analyze(session.connection(), "incidents", statistics_target=planner.SEARCH_STATS_TARGET)
    _seeks_every_band(session, _plan(session, city, generic=True))
    _seeks_every_band(session, _plan(session, city))


def test_the_search_is_planned_each_call_only_while_the_table_is_new(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL plans the search at each call until the table has been analyzed with at least
    GENERIC_PLAN_MIN_ROWS rows; until then a table never analyzed, or grown by half since, is
    analyzed in the background; after that pingan leaves statistics to autovacuum; the catalog
    is read once per TTL, not at every call."""
    conn = session.connection()
    planner._PLAN_EACH_CALL.clear()
    if conn.dialect.name == "sqlite":
        assert service._plan_each_call(conn) is False
        return
    asked: list[str] = []
    monkeypatch.setattr(planner, "analyze_soon", lambda _engine, table, **_: asked.append(table))
    assert service._plan_each_call(conn) in (True, False)  # the catalog query runs as written
    cases = [
        # (tuples, changed, analyzed): planned each call, analyzed in the background
        ("SELECT 20000.0 AS tuples, 500 AS changed, true AS analyzed", False, False),
        ("SELECT 20000.0 AS tuples, 15000 AS changed, true AS analyzed", False, False),
        ("SELECT -1.0 AS tuples, 0 AS changed, false AS analyzed", True, True),
        ("SELECT 400.0 AS tuples, 100 AS changed, true AS analyzed", True, False),
        ("SELECT 400.0 AS tuples, 300 AS changed, true AS analyzed", True, True),
        ("SELECT 1.0 AS tuples, 0 AS changed, true AS analyzed WHERE false", True, False),
    ]
    for query, each, analyzes in cases:
        planner._PLAN_EACH_CALL.clear()
        asked.clear()
        monkeypatch.setattr(planner, "_STATS_STATE", text(query))
        assert service._plan_each_call(conn) is each, query
        assert asked == (["incidents"] if analyzes else []), query
        monkeypatch.setattr(planner, "_STATS_STATE", text("SELECT 1/0"))
        assert service._plan_each_call(conn) is each  # read again only after the TTL
    planner._PLAN_EACH_CALL.clear()
