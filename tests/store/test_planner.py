"""PostgreSQL planning helpers (pingan.store.planner): the latitude-band rule, searches over
bands built once per band count and run through the driver, and the per-table choice between
planning each call and a generic plan."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, Select, String, bindparam, select
from sqlalchemy.orm import Session

from pingan.store import planner


def _branch(i: int) -> Select[Any]:
    return select(
        bindparam(f"b{i}", type_=Integer).label("band"), bindparam("tag", type_=String).label("tag")
    )


def test_lat_band_truncates_on_sqlite_and_rounds_on_postgresql() -> None:
    assert planner.lat_band(25.0405, "sqlite") == 25040
    assert planner.lat_band(25.0405, "postgresql") == 25040  # 25040.499…: below the half
    assert planner.lat_band(25.0407, "postgresql") == 25041
    assert planner.lat_band(-25.0407, "sqlite") == -25040  # toward zero
    assert planner.lat_band(-25.0407, "postgresql") == -25041


def test_banded_search_sends_one_branch_per_band(session: Session) -> None:
    search = planner.BandedSearch(_branch)
    assert search.statement(3) is search.statement(3)  # built once per band count
    assert len(search.statement(3).selects) == 3
    conn = session.connection()
    dialect = conn.dialect.name
    lat0, lat1 = 25.0402, 25.0423
    sent = search.send(conn, {"tag": "x"}, lat0=lat0, lat1=lat1, prepare=None)
    rows = search.rows(conn, sent)
    first, last = planner.lat_band(lat0, dialect), planner.lat_band(lat1, dialect)
    assert sorted(rows) == [(b, "x") for b in range(first, last + 1)]
    assert len(rows) == 3


def test_plan_each_call_is_per_table_and_never_on_sqlite(session: Session) -> None:
    conn = session.connection()
    planner._PLAN_EACH_CALL.clear()
    try:
        if conn.dialect.name == "sqlite":
            assert planner.plan_each_call(conn, "incidents") is False
            assert not planner._PLAN_EACH_CALL
            return
        # a table that does not exist has no statistics: plan with the values
        assert planner.plan_each_call(conn, "no_such_table") is True
        planner.plan_each_call(conn, "incidents")
        assert set(planner._PLAN_EACH_CALL[conn.engine]) == {"no_such_table", "incidents"}
    finally:
        planner._PLAN_EACH_CALL.clear()
