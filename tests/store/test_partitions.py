"""PostgreSQL's month partitions of ``incidents`` (issue 25, migration 0031_partitions): the
keys stay unique across months, deletes cascade, rows move months, the scheduler's job creates
months ahead and is idempotent, reads by time are pruned to their months, and an existing table
is converted in place with its rows (and back). SQLite keeps its one table."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from pingan.auth.service import Principal
from pingan.incidents.models import IdempotencyKey, Incident, IncidentEvent
from pingan.incidents.service import list_query
from pingan.store.engine import MIGRATIONS_DIR, migrate
from pingan.store.partitions import (
    DEFAULT_PARTITION,
    ensure_partitions,
    is_partitioned,
    list_partitions,
    partition_name,
)
from tests.conftest import PG_URL, _fresh_pg

UTC = dt.UTC


def _incident(code: str, at: dt.datetime, **kw: Any) -> Incident:
    values: dict[str, Any] = {
        "code": code,
        "subtype": "theft",
        "klass": "property",
        "priority": 2,
        "source": "call_110",
        "state": "new",
        "lon": 102.7,
        "lat": 25.0,
        "input_lon": 102.7,
        "input_lat": 25.0,
        "jpath": "/1/2/",
        "reported_at": at,
        **kw,
    }
    return Incident(**values)


def _pg(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("month partitions are PostgreSQL's")


def _partition_of(s: Session, incident_id: int) -> str:
    return str(
        s.execute(
            text("SELECT tableoid::regclass::text FROM incidents WHERE id = :i"), {"i": incident_id}
        ).scalar_one()
    )


def test_sqlite_keeps_one_table_and_the_job_does_nothing(own_engine: Engine) -> None:
    from pingan.scheduler.jobs import partitions

    with own_engine.connect() as conn:
        parted = is_partitioned(conn)
        assert parted is (own_engine.dialect.name == "postgresql")
        assert (list_partitions(conn) != []) is parted
    out = partitions(own_engine, dt.datetime(2026, 12, 7, tzinfo=UTC))
    if not parted:
        assert out == {"created": 0, "moved": 0, "partitions": 0}


def test_the_job_creates_months_ahead_and_is_idempotent(own_engine: Engine) -> None:
    from pingan.scheduler.jobs import get_job

    _pg(own_engine)
    job = get_job("partitions")
    assert job is not None and job.label("zh-CN") and job.label("en")
    now = dt.datetime(2031, 5, 20, 23, 0, tzinfo=UTC)
    first = job.run(own_engine, now)
    assert first["created"] == 4  # May (this month) and three months ahead
    with own_engine.connect() as conn:
        names = [p.name for p in list_partitions(conn)]
    assert names[-5:] == [
        "incidents_p2031_05",
        "incidents_p2031_06",
        "incidents_p2031_07",
        "incidents_p2031_08",
        DEFAULT_PARTITION,
    ]
    assert names == [*sorted(names[:-1]), DEFAULT_PARTITION]
    again = job.run(own_engine, now)
    assert again == {"created": 0, "moved": 0, "partitions": first["partitions"]}
    # a month later, one more
    assert job.run(own_engine, now + dt.timedelta(days=15))["created"] == 1


def test_codes_stay_unique_across_months_and_deletes_cascade(own_engine: Engine) -> None:
    _pg(own_engine)
    with Session(own_engine) as s:
        a = _incident("P-1", dt.datetime(2026, 12, 2, tzinfo=UTC), dataset="d", external_id="x")
        s.add(a)
        s.flush()
        s.add(IncidentEvent(incident_id=a.id, at=a.reported_at, kind="create", data="{}"))
        s.add(IdempotencyKey(user_id=_user(s), key="k1", request_hash="h", incident_id=a.id))
        s.commit()
        aid = a.id
        # another month, the same code: refused by incident_keys' unique code
        s.add(_incident("P-1", dt.datetime(2027, 1, 5, tzinfo=UTC)))
        with pytest.raises(IntegrityError, match="uq_incidents_code"):
            s.flush()
        s.rollback()
        s.add(_incident("P-2", dt.datetime(2027, 1, 5, tzinfo=UTC), dataset="d", external_id="x"))
        with pytest.raises(IntegrityError, match="uq_incidents_dataset_external"):
            s.flush()
        s.rollback()
        # a row pointing at no incident is refused (the foreign key onto incident_keys)
        s.add(IncidentEvent(incident_id=999_999, at=a.reported_at, kind="note", data="{}"))
        with pytest.raises(IntegrityError):
            s.flush()
        s.rollback()
        # retention: deleting the incident deletes its key, which cascades
        s.execute(text("DELETE FROM incidents WHERE id = :i"), {"i": aid})
        s.commit()
        for table in ("incident_keys", "incident_events", "idempotency_keys"):
            col = "id" if table == "incident_keys" else "incident_id"
            n = s.execute(text(f"SELECT count(*) FROM {table} WHERE {col} = :i"), {"i": aid})
            assert n.scalar_one() == 0, table
        # the code is free again
        s.add(_incident("P-1", dt.datetime(2027, 1, 5, tzinfo=UTC)))
        s.commit()


def _user(s: Session) -> int:
    from pingan.auth.models import User

    u = User(
        username=f"u{dt.datetime.now().timestamp()}",
        display_name="u",
        password_hash="x",
        role="admin",
    )
    s.add(u)
    s.flush()
    return int(u.id)


def test_a_row_moves_month_with_its_key_and_timeline(own_engine: Engine) -> None:
    _pg(own_engine)
    with own_engine.begin() as conn:
        ensure_partitions(conn, now=dt.datetime(2026, 12, 1, tzinfo=UTC))
    with Session(own_engine) as s:
        a = _incident("M-1", dt.datetime(2026, 12, 30, tzinfo=UTC))
        s.add(a)
        s.flush()
        s.add(IncidentEvent(incident_id=a.id, at=a.reported_at, kind="create", data="{}"))
        s.commit()
        assert _partition_of(s, a.id) == "incidents_p2026_12"
        a.reported_at = dt.datetime(2027, 1, 2, tzinfo=UTC)
        a.code = "M-1b"
        s.commit()
        assert _partition_of(s, a.id) == "incidents_p2027_01"
        key = s.execute(
            text("SELECT code, reported_at FROM incident_keys WHERE id = :i"), {"i": a.id}
        ).one()
        assert key == ("M-1b", dt.datetime(2027, 1, 2, tzinfo=UTC))
        n = s.scalar(select(func.count()).where(IncidentEvent.incident_id == a.id))
        assert n == 1


def test_rows_in_the_default_partition_move_to_their_new_month(own_engine: Engine) -> None:
    _pg(own_engine)
    odd = dt.datetime(2041, 3, 3, tzinfo=UTC)  # no month partition yet: the default takes it
    with Session(own_engine) as s:
        a = _incident("D-1", odd)
        s.add(a)
        s.flush()
        s.add(IncidentEvent(incident_id=a.id, at=odd, kind="create", data="{}"))
        s.commit()
        assert _partition_of(s, a.id) == DEFAULT_PARTITION
        aid = a.id
    with own_engine.begin() as conn:
        out = ensure_partitions(conn, now=odd, ahead=0)
    assert out["created"] == ["incidents_p2041_03"] and out["moved"] == 1
    with Session(own_engine) as s:
        assert _partition_of(s, aid) == "incidents_p2041_03"
        assert s.execute(text("SELECT count(*) FROM incident_keys WHERE id = :i"), {"i": aid})
        n = s.scalar(select(func.count()).where(IncidentEvent.incident_id == aid))
        assert n == 1
        # and the new partition has the table's indexes and keys
        s.add(_incident("D-1", odd + dt.timedelta(days=1)))
        with pytest.raises(IntegrityError, match="uq_incidents_code"):
            s.flush()


def test_reads_by_time_are_pruned_to_their_months(own_engine: Engine) -> None:
    _pg(own_engine)
    now = dt.datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    with own_engine.begin() as conn:
        ensure_partitions(conn, now=now, since=dt.date(2024, 1, 1))
        total = len(list_partitions(conn))
    station = Principal(user_id=0, username="x", role="admin", jpath="/1/2/", jurisdiction_id=None)
    with Session(own_engine) as s:
        for plan in ("count", "narrow", "wide"):
            q = list_query(station, since=now - dt.timedelta(hours=24), plan=plan)  # type: ignore[arg-type]
            sql = q.compile(own_engine, compile_kwargs={"literal_binds": True})
            lines = [r[0] for r in s.execute(text(f"EXPLAIN {sql}"))]
            read = {ln.split(" on ")[1].split()[0] for ln in lines if " on incidents_" in ln}
            # this month, the months ahead and the default: not the 35 months before
            assert read <= {partition_name(dt.date(2026, m, 1)) for m in (12,)} | {
                "incidents_p2027_01",
                "incidents_p2027_02",
                "incidents_p2027_03",
                DEFAULT_PARTITION,
            }, lines
            assert "incidents_p2026_12" in read and total > 30


@pytest.fixture()
def pg_engine() -> Iterator[Engine]:
    if not PG_URL:
        pytest.skip("PINGAN_TEST_DATABASE_URL is not set")
    eng, admin, name = _fresh_pg(PG_URL, "_conv")
    try:
        yield eng
    finally:
        eng.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _alembic(eng: Engine, fn: str, rev: str) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with eng.begin() as conn:
        cfg.attributes["connection"] = conn
        getattr(command, fn)(cfg, rev)


@pytest.mark.postgres
def test_an_existing_table_is_converted_in_place_and_back(pg_engine: Engine) -> None:
    migrate(pg_engine, revision="0030_cell_days")
    cols = (
        "code, subtype, klass, priority, source, state, summary, lon, lat, input_crs, "
        "input_lon, input_lat, jpath, reported_at, repeat_count, created_at, updated_at"
    )
    with pg_engine.begin() as conn:
        conn.execute(
            text(
                f"INSERT INTO incidents ({cols}) SELECT 'C-' || g, 'theft', 'property', 2, "
                "'call_110', 'closed', '', 102.7, 25.0, 'WGS84', 102.7, 25.0, '/1/2/', "
                "timestamptz '2025-01-15 00:00+00' + g * interval '9 days', 0, now(), now() "
                "FROM generate_series(1, 60) g"
            )
        )
        conn.execute(
            text(
                "INSERT INTO incident_events (incident_id, at, kind, note, data) "
                "SELECT id, reported_at, 'create', '', '{}' FROM incidents"
            )
        )
        conn.execute(
            text(
                "UPDATE incidents SET repeat_of_id = (SELECT min(id) FROM incidents) "
                "WHERE id % 7 = 0"
            )
        )
        before = conn.execute(text("SELECT id, code, reported_at FROM incidents ORDER BY id")).all()
    migrate(pg_engine)
    with pg_engine.connect() as conn:
        assert is_partitioned(conn)
        parts = list_partitions(conn)
        after = conn.execute(text("SELECT id, code, reported_at FROM incidents ORDER BY id")).all()
        keys = conn.execute(
            text("SELECT id, code, reported_at FROM incident_keys ORDER BY id")
        ).all()
        assert conn.execute(text("SELECT count(*) FROM incidents_default")).scalar() == 0
        nextid = conn.execute(text("SELECT nextval('incidents_id_seq')")).scalar()
    assert after == before == keys
    assert nextid == before[-1][0] + 1
    # one month each from January 2025, through the months ahead of today
    assert parts[0].name == "incidents_p2025_01" and parts[-1].name == DEFAULT_PARTITION
    assert sum(p.rows for p in parts) == 60
    # the repeats still point at their original, which cannot go while they do
    with pytest.raises(IntegrityError), pg_engine.begin() as conn:
        conn.execute(text("DELETE FROM incidents WHERE id = :i"), {"i": before[0][0]})
    _alembic(pg_engine, "downgrade", "0030_cell_days")
    with pg_engine.connect() as conn:
        assert not is_partitioned(conn)
        back = conn.execute(text("SELECT id, code, reported_at FROM incidents ORDER BY id")).all()
        events = conn.execute(text("SELECT count(*) FROM incident_events")).scalar()
    assert back == before and events == 60


def test_cli_lists_the_partitions(own_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from pingan.cli import app
    from pingan.store import engine as store_engine

    monkeypatch.setattr(store_engine, "get_engine", lambda: own_engine)
    out = CliRunner().invoke(app, ["db", "partitions", "--ensure", "--json"])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.output)
    if own_engine.dialect.name == "sqlite":
        assert doc == {"partitioned": False, "created": [], "partitions": []}
        return
    assert doc["partitioned"] is True
    names = [p["name"] for p in doc["partitions"]]
    assert DEFAULT_PARTITION in names and len(names) >= 5
    out = CliRunner().invoke(app, ["db", "partitions"])
    assert out.exit_code == 0 and "DEFAULT" in out.output and "partitions" in out.output


def test_the_planner_sees_the_partitions_changes_as_the_tables(own_engine: Engine) -> None:
    """pingan's own ANALYZE of a new table (:mod:`pingan.store.planner`) waits for the table to
    change; a partitioned table counts no changes itself, its partitions do."""
    import time

    from pingan.store.planner import _STATS_STATE

    _pg(own_engine)
    with Session(own_engine) as s:
        for k in range(12):
            s.add(_incident(f"S-{k}", dt.datetime(2026, 12, 1 + k, tzinfo=UTC)))
        s.commit()
    changed = 0
    for _ in range(40):  # the server publishes its counts within a second
        with own_engine.connect() as conn:
            changed = conn.execute(_STATS_STATE, {"table": "incidents"}).one().changed
        if changed >= 12:
            break
        time.sleep(0.1)
    assert changed >= 12
