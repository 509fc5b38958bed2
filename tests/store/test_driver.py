"""Driver statements (pingan.store.driver) store and read values exactly as SQLAlchemy does,
and PostgreSQL's pipeline sends them together inside the caller's transaction."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any, cast

import pytest
from sqlalchemy import Engine, Table, bindparam, insert, select, text
from sqlalchemy.orm import Session

from pingan.incidents.models import IncidentEvent
from pingan.places.models import Premises
from pingan.store.driver import DriverStatement, pipeline
from pingan.store.engine import analyze_soon
from tests.factories import SmallCity

EVENTS = cast(Table, IncidentEvent.__table__)


def _event_row(incident_id: int, at: dt.datetime, note: str) -> dict[str, Any]:
    return {
        "incident_id": incident_id,
        "at": at,
        "kind": "note",
        "from_state": None,
        "to_state": None,
        "actor_id": None,
        "note": note,
        "data": "{}",
    }


def _an_incident(session: Session, city: SmallCity) -> int:
    from pingan.auth.service import principal_for, resolve_token
    from pingan.incidents import service
    from pingan.incidents.schemas import IncidentCreate

    p = principal_for(session, resolve_token(session, city.tokens["dispatcher"]))
    x, y = city.cell_center(0)
    inc, _ = service.create(
        session, principal=p, data=IncidentCreate(subtype="fight", lon=x, lat=y)
    )
    session.flush()
    return inc.id


def test_rows_written_by_the_driver_read_back_as_through_sqlalchemy(
    session: Session, city: SmallCity
) -> None:
    incident_id = _an_incident(session, city)
    at = dt.datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    cols = [c.key for c in EVENTS.columns if c.key != "id"]
    stmt = DriverStatement(insert(EVENTS), columns=cols)
    conn = session.connection()
    stmt.execute_many(conn, [_event_row(incident_id, at, "driver")])
    conn.execute(insert(EVENTS), [_event_row(incident_id, at, "sqlalchemy")])
    got = session.execute(
        select(IncidentEvent.note, IncidentEvent.at).where(IncidentEvent.incident_id == incident_id)
    ).all()
    by_note = {note: when for note, when in got}
    assert by_note["driver"] == by_note["sqlalchemy"] == at  # the same instant, stored as UTC
    assert by_note["driver"].tzinfo is not None
    # and a driver SELECT reads it back through the column types' result processors
    query = DriverStatement(
        select(EVENTS.c.note, EVENTS.c.at).where(EVENTS.c.incident_id == bindparam("i"))
    )
    rows = query.rows(conn, query.execute(conn, {"i": incident_id}))
    assert sorted(rows) == sorted((n, w) for n, w in got)
    assert all(w.utcoffset() == dt.timedelta(0) for _, w in rows)


def test_personal_data_is_encrypted_by_the_driver_too(session: Session, city: SmallCity) -> None:
    table = cast(Table, Premises.__table__)
    jid = session.scalar(text("SELECT min(id) FROM jurisdictions"))
    now = dt.datetime.now(dt.UTC)
    row = {
        "code": "P-DRIVER-1",
        "kind": "business",
        "name": "driver shop",
        "name_en": None,
        "address_id": None,
        "address_text": None,
        "lon": 102.7,
        "lat": 25.04,
        "jurisdiction_id": jid,
        "jpath": "/",
        "capacity": 0,
        "police_room": False,
        "contact_name": "张三",
        "contact_phone": "13812345678",
        "contact_recorded_at": now,
        "created_at": now,
        "updated_at": now,
    }
    DriverStatement(insert(table), columns=list(row)).execute_many(session.connection(), [row])
    stored = session.execute(
        text("SELECT contact_phone FROM premises WHERE code = 'P-DRIVER-1'")
    ).scalar_one()
    assert "13812345678" not in stored  # ciphertext at rest
    obj = session.scalars(select(Premises).where(Premises.code == "P-DRIVER-1")).one()
    assert obj.contact_phone == "13812345678" and obj.contact_name == "张三"


def test_an_insert_must_name_every_column_it_binds() -> None:
    from sqlalchemy.dialects import sqlite

    stmt = DriverStatement(insert(EVENTS), columns=["incident_id", "at", "kind"])
    with pytest.raises(ValueError, match="columns: the INSERT also binds"):
        stmt.compiled(sqlite.dialect())


def test_a_pipeline_sends_together_and_fails_as_a_whole(session: Session, city: SmallCity) -> None:
    incident_id = _an_incident(session, city)
    conn = session.connection()
    cols = [c.key for c in EVENTS.columns if c.key != "id"]
    stmt = DriverStatement(insert(EVENTS), columns=cols)
    count = DriverStatement(
        select(EVENTS.c.id).where(EVENTS.c.incident_id == bindparam("i"), EVENTS.c.kind == "note")
    )
    now = dt.datetime.now(dt.UTC)
    with pipeline(conn) as sync:
        stmt.execute_many(conn, [_event_row(incident_id, now, f"n{k}") for k in range(3)])
        sent = count.execute(conn, {"i": incident_id})
        sync()
        assert len(count.rows(conn, sent)) == 3
    sp = conn.begin_nested()
    with pytest.raises(Exception, match=r"(?i)foreign key"), pipeline(conn):
        stmt.execute_many(conn, [_event_row(10**9, now, "no such incident")])
    sp.rollback()
    assert len(count.rows(conn, count.execute(conn, {"i": incident_id}))) == 3


def test_analyze_soon_brings_the_statistics_up_to_date(
    own_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pingan.store import engine as store_engine

    monkeypatch.setattr(store_engine, "BACKGROUND_ANALYZE", True)
    if own_engine.dialect.name != "postgresql":
        assert analyze_soon(own_engine, "incidents") is False
        return
    done = threading.Event()
    assert analyze_soon(own_engine, "incidents", statistics_target=10, then=done.set) is True
    assert analyze_soon(own_engine, "incidents") is False  # one at a time
    assert done.wait(30)
    with own_engine.connect() as conn:
        analyzed = conn.execute(
            text(
                "SELECT coalesce(last_analyze, last_autoanalyze) IS NOT NULL "
                "FROM pg_stat_user_tables WHERE relname = 'incidents'"
            )
        ).scalar_one()
    assert analyzed


def test_analyze_names_must_be_plain(session: Session) -> None:
    from pingan.store.engine import analyze

    with pytest.raises(ValueError, match="letters, digits and _ only"):
        analyze(session.connection(), "incidents; DROP TABLE users")
