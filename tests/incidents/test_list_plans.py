"""List and OGC reads at 500k incidents search an index (migration 0017_hardening): the scope
is a bytewise prefix range, the count comes first and picks a narrow (index + sort) or a wide
(time-index walk) plan. The rows are the same as the old ``LIKE 'path%'`` query's for every
plan; on SQLite (no statistics: the plan depends on the query's shape, not on the data, so a
small table shows the plan of a large one) no plan reads the whole table."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from sqlalchemy import Select, func, select, text
from sqlalchemy.orm import Session

from pingan.api import ogc
from pingan.auth.service import Principal
from pingan.incidents import service
from pingan.incidents.models import Incident
from tests.factories import SmallCity, incident_row

T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
STATES = ("received", "dispatched", "closed")


def _principal(jpath: str) -> Principal:
    return Principal(user_id=1, username="t", role="admin", jpath=jpath, jurisdiction_id=None)


@pytest.fixture()
def rows(session: Session, city: SmallCity) -> SmallCity:
    station = city.stations[0].path
    # a path that shares the station's digits but is not inside it: "/1/2/" and "/1/20/"
    lookalike = station[:-1] + "0/"
    paths = [c.path for c in city.cells] + [lookalike]
    for i, (path, state) in enumerate(itertools.product(paths, STATES * 2)):
        lon, lat = city.cell_center(i % len(city.cells))
        session.add(
            incident_row(
                f"PLAN-{i:04d}",
                T0 + dt.timedelta(hours=i),
                lon=lon,
                lat=lat,
                subtype="fight" if i % 2 else "pickpocketing",
                klass="public_order" if i % 2 else "criminal",
                priority=3,
                state=state,
                jpath=path,
            )
        )
    session.flush()
    return city


def _ids(session: Session, q: Select[Any]) -> list[int]:
    return list(session.scalars(q.with_only_columns(Incident.id)))


def _rows(session: Session, q: Select[Any]) -> list[int]:
    return [r.id for r in session.scalars(q)]


def _scopes(city: SmallCity) -> list[str]:
    return ["/", city.stations[0].path, city.communities[0].path, city.cells[0].path]


FILTERS: list[dict[str, Any]] = [
    {},
    {"state": "closed"},
    {"klass": "criminal", "subtype": "pickpocketing"},
    {"since": T0 + dt.timedelta(hours=5), "until": T0 + dt.timedelta(hours=30)},
    {"bbox": (-180.0, -90.0, 180.0, 90.0)},
    {"state": "received", "bbox": (-180.0, -90.0, 180.0, 90.0), "since": T0},
]


def _reference(session: Session, jpath: str, f: dict[str, Any]) -> list[int]:
    q = select(Incident.id).where(Incident.code.startswith("PLAN-"))
    if jpath != "/":
        q = q.where(Incident.jpath.startswith(jpath, autoescape=True))
    for key in ("state", "klass", "subtype"):
        if key in f:
            q = q.where(getattr(Incident, key) == f[key])
    if "since" in f:
        q = q.where(Incident.reported_at >= f["since"])
    if "until" in f:
        q = q.where(Incident.reported_at <= f["until"])
    if "bbox" in f:
        w, s, e, n = f["bbox"]
        q = q.where(Incident.lon.between(w, e), Incident.lat.between(s, n))
    return sorted(session.scalars(q))


def test_every_plan_finds_the_rows_of_the_old_query(session: Session, rows: SmallCity) -> None:
    for jpath, f in itertools.product(_scopes(rows), FILTERS):
        expected = _reference(session, jpath, f)
        for plan in ("count", "narrow", "wide"):
            q = service.list_query(_principal(jpath), plan=plan, **f).where(
                Incident.code.startswith("PLAN-")
            )
            assert sorted(_ids(session, q)) == expected, (jpath, f, plan)
    station = rows.stations[0].path
    got = _ids(session, service.list_query(_principal(station)))
    assert got and all(
        session.get(Incident, i).jpath.startswith(station)  # type: ignore[union-attr]
        for i in got
    )


def test_list_page_counts_then_pages_newest_first(session: Session, rows: SmallCity) -> None:
    principal = _principal(rows.stations[0].path)
    page = service.list_page(session, principal, limit=5, offset=2, state="closed")
    reference = service.list_query(principal, state="closed")
    everything = list(session.scalars(reference))
    assert page.total == len(everything) > 7 and page.exact and page.plan == "narrow"
    assert [r.id for r in page.rows] == [r.id for r in everything[2:7]]


def test_the_count_stops_at_the_cap_and_says_so(
    session: Session, rows: SmallCity, monkeypatch: pytest.MonkeyPatch
) -> None:
    principal = _principal(rows.stations[0].path)
    everything = list(session.scalars(service.list_query(principal)))
    assert len(everything) > 6
    monkeypatch.setattr(service, "COUNT_CAP", 6)
    page = service.list_page(session, principal, limit=4, offset=3)
    assert (page.total, page.exact) == (6, False)  # at least six
    assert [r.id for r in page.rows] == [r.id for r in everything[3:7]]
    monkeypatch.setattr(service, "COUNT_CAP", len(everything))
    page = service.list_page(session, principal, limit=4, offset=3)
    assert (page.total, page.exact) == (len(everything), True)


def _postgresql(session: Session) -> None:
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("paging path by path is PostgreSQL's (LATERAL); SQLite walks the time index")


def test_scope_paths_are_the_distinct_paths_inside_the_scope(
    session: Session, rows: SmallCity
) -> None:
    _postgresql(session)
    station = rows.stations[0].path
    got = service.scope_paths(session, _principal(station))
    inside = sorted(
        {p for p in session.scalars(select(Incident.jpath).distinct()) if p.startswith(station)},
        key=lambda p: p.encode(),
    )
    assert got == inside and got and station[:-1] + "0/" not in got  # not the lookalike
    assert service.scope_paths(session, _principal(station), most=2) == inside[:2]
    assert service.scope_paths(session, _principal("/nowhere/")) == []


def test_paths_query_gives_the_rows_of_the_list_query_in_its_order(
    session: Session, rows: SmallCity
) -> None:
    _postgresql(session)
    for jpath, f in itertools.product(_scopes(rows)[1:], FILTERS):
        p = _principal(jpath)
        expected = _ids(session, service.list_query(p, **f))
        paths = service.scope_paths(session, p)
        got = _rows(session, service.paths_query(p, paths, depth=len(expected) + 1, **f))
        assert got == expected, (jpath, f)
        for offset, limit in ((0, 3), (2, 5), (7, 4)):
            q = service.paths_query(p, paths, depth=offset + limit, **f)
            page = _rows(session, q.limit(limit).offset(offset))
            assert page == expected[offset : offset + limit], (jpath, f, offset)


def test_the_table_state_on_one_plain_table(session: Session, rows: SmallCity) -> None:
    _postgresql(session)
    partitioned, count = service._table_state(session)
    assert partitioned is False and (count is None or count >= 0)


def test_a_wide_list_in_a_station_is_paged_path_by_path_on_postgresql(
    session: Session, rows: SmallCity, monkeypatch: pytest.MonkeyPatch
) -> None:
    principal = _principal(rows.stations[0].path)
    everything = [r.id for r in session.scalars(service.list_query(principal))]
    monkeypatch.setattr(service, "NARROW_ROWS", 3)  # the station's rows count as many
    # statistics as of a never analyzed table (autovacuum may have analyzed this one)
    monkeypatch.setattr(service, "_table_state", lambda s: (False, None))
    postgresql = session.get_bind().dialect.name == "postgresql"
    for offset in (0, 5, len(everything) - 2):
        page = service.list_page(session, principal, limit=4, offset=offset)
        assert page.plan == ("paths" if postgresql else "wide")
        assert [r.id for r in page.rows] == everything[offset : offset + 4]
    monkeypatch.setattr(service, "PATHS_MAX", 1)  # more paths than that: the time index
    page = service.list_page(session, principal, limit=4, offset=0)
    assert page.plan == "wide" and [r.id for r in page.rows] == everything[:4]
    page = service.list_page(session, _principal("/"), limit=4, offset=0)  # bureau-wide
    assert page.plan == "wide"
    monkeypatch.setattr(service, "PATHS_MAX", 128)
    # the station holds a large share of the table: paths × matches ≥ rows, the time index
    monkeypatch.setattr(service, "_table_state", lambda s: (False, float(len(everything))))
    page = service.list_page(session, principal, limit=4, offset=0)
    assert page.plan == "wide" and [r.id for r in page.rows] == everything[:4]
    monkeypatch.setattr(service, "_table_state", lambda s: (False, 1e9))  # a province
    page = service.list_page(session, principal, limit=4, offset=0)
    assert page.plan == ("paths" if postgresql else "wide")


def _plans(session: Session, q: Select[Any]) -> list[str]:
    sql = str(q.compile(session.get_bind(), compile_kwargs={"literal_binds": True}))
    return [r[-1] for r in session.execute(text("EXPLAIN QUERY PLAN " + sql))]


def test_no_list_or_ogc_plan_reads_the_whole_table_on_sqlite(
    session: Session, rows: SmallCity
) -> None:
    if session.get_bind().dialect.name != "sqlite":
        pytest.skip("SQLite's plans; PostgreSQL plans from statistics (docs/benchmarks.md)")
    shown = []
    for jpath, f in itertools.product(_scopes(rows), FILTERS):
        p = _principal(jpath)
        box, when = f.get("bbox"), None
        if "since" in f:
            when = (f["since"], f.get("until"))
        for plan in ("count", "narrow", "wide"):
            q = service.list_query(p, plan=plan, **f)
            counted = select(func.count()).select_from(q.order_by(None).subquery())
            for stmt in (counted if plan == "count" else q.limit(50), _ogc(p, box, when, plan)):
                lines = _plans(session, stmt)
                shown.append((jpath, f, plan, lines))
                full = [ln for ln in lines if ln.startswith("SCAN incidents") and "INDEX" not in ln]
                assert not full, (jpath, f, plan, lines)
    # a station's count is answered from the scope index alone
    station = _principal(rows.stations[0].path)
    q = service.list_query(station, plan="count", state="closed", klass="criminal")
    lines = _plans(session, select(func.count()).select_from(q.order_by(None).subquery()))
    assert any("COVERING INDEX ix_incidents_scope" in ln for ln in lines), lines
    # a wide page walks a time index: no sort of every match
    lines = _plans(session, service.list_query(station, plan="wide", state="closed").limit(50))
    assert not any("TEMP B-TREE" in ln for ln in lines), lines


def _ogc(p: Principal, box: Any, when: Any, plan: Any) -> Select[Any]:
    q = ogc._query(ogc.COLLECTIONS["incidents"], p, box, when, plan=plan)
    if plan == "count":
        return select(func.count()).select_from(q.subquery())
    return q.order_by(Incident.reported_at.desc(), Incident.id.desc()).limit(50)


def test_a_narrow_page_is_sorted_never_walked_in_time_order(
    session: Session, rows: SmallCity
) -> None:
    """A narrow page's few matches are found by the filter's index and sorted: its sort key is
    one no index serves on PostgreSQL, so a misestimated filter cannot send the planner walking
    the time index (1.6 s at 12.5 M rows for a subtype the station never had)."""
    from sqlalchemy.dialects import postgresql

    p = _principal(rows.stations[0].path)
    pg = postgresql.dialect()  # type: ignore[no-untyped-call]
    narrow = str(service.list_query(p, plan="narrow", subtype="theft").compile(dialect=pg))
    wide = str(service.list_query(p, plan="wide", subtype="theft").compile(dialect=pg))
    assert "ORDER BY (incidents.reported_at + interval '0') DESC, incidents.id DESC" in narrow
    assert "ORDER BY incidents.reported_at DESC" in wide
    q = service.list_query(p, plan="narrow", state="closed").limit(3)
    got = [r.id for r in session.scalars(q)]
    ref = service.list_query(p, plan="wide", state="closed").limit(3)
    assert got == [r.id for r in session.scalars(ref)] and len(got) == 3
    if session.get_bind().dialect.name == "postgresql":
        sql = q.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
        plan = " ".join(str(r[0]) for r in session.execute(text(f"EXPLAIN {sql}")))
        assert "Sort" in plan and "ix_incidents_reported_at" not in plan, plan
