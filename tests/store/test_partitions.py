"""PostgreSQL's month partitions of ``incidents`` (issue 25, migration 0031_partitions), opt-in
(``PINGAN_PARTITION_INCIDENTS=1``): by default, and on SQLite, the migration leaves one plain
table and the job does nothing; on a database migrated with the setting (``parted_engine``) the
keys stay unique across months, deletes cascade, rows move months, the scheduler's job creates
months ahead and is idempotent, reads by time are pruned to their months, the models still match
the migrations, and the repeat-call search seeks its band index; an existing table is converted
in place with its rows (and back), by the migration or by ``pingan db partitions --convert``."""

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
from pingan.config import get_settings
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
from tests.factories import incident_row

UTC = dt.UTC


def _incident(code: str, at: dt.datetime, **kw: Any) -> Incident:
    return incident_row(code, at, lon=102.7, lat=25.0, **{"jpath": "/1/2/", **kw})


def _setting(monkeypatch: pytest.MonkeyPatch, on: bool) -> None:
    """``PINGAN_PARTITION_INCIDENTS`` as the next migration reads it."""
    monkeypatch.setenv("PINGAN_PARTITION_INCIDENTS", "1" if on else "0")
    get_settings.cache_clear()


@pytest.fixture()
def pg_engine(monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """A new, empty PostgreSQL database (not migrated), dropped after the test."""
    if not PG_URL:
        pytest.skip("PINGAN_TEST_DATABASE_URL is not set")
    eng, admin, name = _fresh_pg(PG_URL, "_conv")
    try:
        yield eng
    finally:
        get_settings.cache_clear()
        eng.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture()
def parted_engine(pg_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """A PostgreSQL database migrated with ``PINGAN_PARTITION_INCIDENTS=1``: month partitions."""
    _setting(monkeypatch, True)
    migrate(pg_engine)
    _setting(monkeypatch, False)
    with pg_engine.connect() as conn:
        assert is_partitioned(conn)
    return pg_engine


def _partition_of(s: Session, incident_id: int) -> str:
    return str(
        s.execute(
            text("SELECT tableoid::regclass::text FROM incidents WHERE id = :i"), {"i": incident_id}
        ).scalar_one()
    )


def test_by_default_one_plain_table_and_the_job_says_so(own_engine: Engine) -> None:
    """SQLite, and PostgreSQL without ``PINGAN_PARTITION_INCIDENTS`` (a city bureau): the
    migration leaves ``incidents`` one plain table; the job does nothing and says why."""
    from pingan.scheduler.jobs import partitions

    assert get_settings().partition_incidents is False
    with own_engine.connect() as conn:
        assert not is_partitioned(conn)
        assert list_partitions(conn) == []
        if own_engine.dialect.name == "postgresql":
            assert conn.execute(text("SELECT to_regclass('incident_keys')")).scalar() is None
            kind = "SELECT relkind FROM pg_class WHERE oid = 'incidents'::regclass"
            assert conn.execute(text(kind)).scalar() == "r"
    out = partitions(own_engine, dt.datetime(2026, 12, 7, tzinfo=UTC))
    assert out == {"partitioned": False}


def test_the_job_creates_months_ahead_and_is_idempotent(parted_engine: Engine) -> None:
    from pingan.scheduler.jobs import get_job

    job = get_job("partitions")
    assert job is not None and job.label("zh-CN") and job.label("en")
    now = dt.datetime(2031, 5, 20, 23, 0, tzinfo=UTC)
    first = job.run(parted_engine, now)
    assert first["created"] == 4  # May (this month) and three months ahead
    with parted_engine.connect() as conn:
        names = [p.name for p in list_partitions(conn)]
    assert names[-5:] == [
        "incidents_p2031_05",
        "incidents_p2031_06",
        "incidents_p2031_07",
        "incidents_p2031_08",
        DEFAULT_PARTITION,
    ]
    assert names == [*sorted(names[:-1]), DEFAULT_PARTITION]
    again = job.run(parted_engine, now)
    assert again == {"created": 0, "moved": 0, "partitions": first["partitions"]}
    # a month later, one more
    assert job.run(parted_engine, now + dt.timedelta(days=15))["created"] == 1


def test_codes_stay_unique_across_months_and_deletes_cascade(parted_engine: Engine) -> None:
    with Session(parted_engine) as s:
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


def test_a_row_moves_month_with_its_key_and_timeline(parted_engine: Engine) -> None:
    with parted_engine.begin() as conn:
        ensure_partitions(conn, now=dt.datetime(2026, 12, 1, tzinfo=UTC))
    with Session(parted_engine) as s:
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


def test_rows_in_the_default_partition_move_to_their_new_month(parted_engine: Engine) -> None:
    odd = dt.datetime(2041, 3, 3, tzinfo=UTC)  # no month partition yet: the default takes it
    with Session(parted_engine) as s:
        a = _incident("D-1", odd)
        s.add(a)
        s.flush()
        s.add(IncidentEvent(incident_id=a.id, at=odd, kind="create", data="{}"))
        s.commit()
        assert _partition_of(s, a.id) == DEFAULT_PARTITION
        aid = a.id
    with parted_engine.begin() as conn:
        out = ensure_partitions(conn, now=odd, ahead=0)
    assert out["created"] == ["incidents_p2041_03"] and out["moved"] == 1
    with Session(parted_engine) as s:
        assert _partition_of(s, aid) == "incidents_p2041_03"
        assert s.execute(text("SELECT count(*) FROM incident_keys WHERE id = :i"), {"i": aid})
        n = s.scalar(select(func.count()).where(IncidentEvent.incident_id == aid))
        assert n == 1
        # and the new partition has the table's indexes and keys
        s.add(_incident("D-1", odd + dt.timedelta(days=1)))
        with pytest.raises(IntegrityError, match="uq_incidents_code"):
            s.flush()


def test_reads_by_time_are_pruned_to_their_months(parted_engine: Engine) -> None:
    now = dt.datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    with parted_engine.begin() as conn:
        ensure_partitions(conn, now=now, since=dt.date(2024, 1, 1))
        total = len(list_partitions(conn))
    station = Principal(user_id=0, username="x", role="admin", jpath="/1/2/", jurisdiction_id=None)
    with Session(parted_engine) as s:
        for plan in ("count", "narrow", "wide"):
            q = list_query(station, since=now - dt.timedelta(hours=24), plan=plan)  # type: ignore[arg-type]
            sql = q.compile(parted_engine, compile_kwargs={"literal_binds": True})
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


def _alembic(eng: Engine, fn: str, rev: str) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with eng.begin() as conn:
        cfg.attributes["connection"] = conn
        getattr(command, fn)(cfg, rev)


@pytest.mark.postgres
def test_an_existing_table_is_converted_in_place_and_back(
    pg_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Migration 0031 with the setting on, on a database with history (and its downgrade)."""
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
    _setting(monkeypatch, True)
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


def _cli(engine: Engine, monkeypatch: pytest.MonkeyPatch, *args: str) -> Any:
    from pingan.cli import app
    from pingan.store import engine as store_engine

    monkeypatch.setattr(store_engine, "get_engine", lambda: engine)
    return CliRunner().invoke(app, ["db", "partitions", *args])


def test_cli_lists_the_partitions(parted_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    out = _cli(parted_engine, monkeypatch, "--ensure", "--json")
    assert out.exit_code == 0, out.output
    doc = json.loads(out.output)
    assert doc["partitioned"] is True
    names = [p["name"] for p in doc["partitions"]]
    assert DEFAULT_PARTITION in names and len(names) >= 5
    out = _cli(parted_engine, monkeypatch)
    assert out.exit_code == 0 and "DEFAULT" in out.output and "partitions" in out.output
    # the months of history before an import
    out = _cli(parted_engine, monkeypatch, "--ensure", "--since", "2024-11", "--json")
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["created"][:2] == ["incidents_p2024_11", "incidents_p2024_12"]
    for bad in (["--ensure", "--since", "2024-13"], ["--since", "2024-11"]):
        out = _cli(parted_engine, monkeypatch, *bad)
        assert out.exit_code == 2 and "--since" in out.output, out.output


def test_cli_on_a_plain_table_lists_nothing_and_converts_on_request(
    own_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The default layout: ``pingan db partitions`` says in one line that the table is not
    partitioned; ``--convert`` converts it with its rows and ``--unconvert`` turns it back
    (PostgreSQL); SQLite refuses both with exit 2 and one line."""
    out = _cli(own_engine, monkeypatch, "--json")
    assert out.exit_code == 0, out.output
    assert json.loads(out.output) == {"partitioned": False, "created": [], "partitions": []}
    out = _cli(own_engine, monkeypatch)
    assert out.exit_code == 0 and len(out.output.strip().splitlines()) == 1, out.output
    assert "incidents is not partitioned" in out.output
    if own_engine.dialect.name == "sqlite":
        for flag in ("--convert", "--unconvert"):
            out = _cli(own_engine, monkeypatch, flag)
            assert out.exit_code == 2, out.output
            assert out.output.strip().splitlines() == [
                f"{flag}: month partitions are PostgreSQL's (sqlite)"
            ]
        return
    with Session(own_engine) as s:
        for k in range(5):
            s.add(_incident(f"V-{k}", dt.datetime(2025, 3 + k, 2, tzinfo=UTC)))
        s.commit()
        before = s.execute(text("SELECT id, code, reported_at FROM incidents ORDER BY id")).all()
    out = _cli(own_engine, monkeypatch, "--convert")
    assert out.exit_code == 0, out.output
    assert out.output.startswith("incidents converted: 5 rows into "), out.output
    with own_engine.connect() as conn:
        assert is_partitioned(conn)
        parts = [p.name for p in list_partitions(conn)]
        after = conn.execute(text("SELECT id, code, reported_at FROM incidents ORDER BY id")).all()
    assert after == before
    assert parts[0] == "incidents_p2025_03" and parts[-1] == DEFAULT_PARTITION
    out = _cli(own_engine, monkeypatch, "--convert")
    assert out.exit_code == 0 and out.output.strip() == "incidents is already partitioned"
    out = _cli(own_engine, monkeypatch)
    assert "incidents_p2025_07" in out.output
    # the job now has months to make
    from pingan.scheduler.jobs import partitions

    assert "created" in partitions(own_engine, dt.datetime.now(UTC))
    out = _cli(own_engine, monkeypatch, "--unconvert", "--json")
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["done"] is True
    with own_engine.connect() as conn:
        assert not is_partitioned(conn)
        back = conn.execute(text("SELECT id, code, reported_at FROM incidents ORDER BY id")).all()
        assert conn.execute(text("SELECT to_regclass('incident_keys')")).scalar() is None
    assert back == before
    out = _cli(own_engine, monkeypatch, "--unconvert")
    assert out.exit_code == 0 and out.output.strip() == "incidents is already one plain table"


def test_models_match_migrations_on_month_partitions(parted_engine: Engine) -> None:
    """The models still describe the partitioned layout, but for what it changes on purpose:
    the partitions and ``incident_keys`` (the migration's and the job's), ``incidents``' unique
    keys (in ``incident_keys``), and the foreign keys onto an incident (they point there)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    import pingan.models  # noqa: F401
    from pingan.store.base import Base
    from tests.store.test_migrations import _modelled

    def include(name: str | None, type_: str, parent: object) -> bool:
        names = [name or ""]
        if isinstance(parent, dict):
            names.append(str(parent.get("table_name") or ""))
        layout = any(
            n == "incident_keys" or n.startswith("incidents_p") or n == DEFAULT_PARTITION
            for n in names
        )
        return not layout and _modelled(name, type_, parent)

    def on_purpose(d: Any) -> bool:
        op = d[0] if isinstance(d, tuple) else None
        if op in ("add_constraint", "remove_constraint") and d[1].table.name == "incidents":
            return d[1].name in ("uq_incidents_code", "uq_incidents_dataset_external")
        if op in ("add_fk", "remove_fk"):
            return d[1].name.endswith("_incidents") or d[1].name == "fk_incidents_id_incident_keys"
        return False

    with parted_engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"include_name": include})
        diff = compare_metadata(ctx, Base.metadata)
    assert [d for d in diff if on_purpose(d)], "the layout's own differences are gone?"
    assert [d for d in diff if not on_purpose(d)] == []


def test_the_repeat_search_on_month_partitions(
    parted_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The repeat-call search on a month partition (tests/incidents/test_create_many.py has the
    plain table's): a new month, never analyzed, holds no statistics to choose between indexes
    it costs alike at one row, so there each branch must read the current month only, by an
    index; with the month's statistics it must seek the band index (a partition's copy of
    ``ix_incidents_repeat_band`` is named by its columns)."""

    from pingan.store.partitions import month_of
    from tests.factories import build_small_city
    from tests.incidents.test_create_many import _busy_window, _plan

    conn = parted_engine.connect()
    trans = conn.begin()
    s = Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        city = build_small_city(s)
        now = dt.datetime.now(UTC)
        this_month = {partition_name(month_of(now - dt.timedelta(hours=h))) for h in (0, 1)}
        plan = _plan(s, city)
        scans = [ln for ln in plan.splitlines() if "Scan" in ln]
        assert scans and all("Index Scan using" in ln for ln in scans), plan
        assert {ln.split(" on ")[1].split()[0] for ln in scans} <= this_month, plan
        _busy_window(s, city)
        plan = _plan(s, city)
        scans = [ln for ln in plan.splitlines() if "Scan" in ln]
        conds = [ln for ln in plan.splitlines() if "Index Cond" in ln]
        assert scans and len(scans) == len(conds), plan
        assert all("_subtype_lat_band_reported_at_lat_lon_" in ln for ln in scans), plan
        assert all("lat_band = " in ln for ln in conds), plan
    finally:
        s.close()
        trans.rollback()
        conn.close()


def test_the_planner_sees_the_partitions_changes_as_the_tables(parted_engine: Engine) -> None:
    """pingan's own ANALYZE of a new table (:mod:`pingan.store.planner`) waits for the table to
    change; a partitioned table counts no changes itself, its partitions do."""
    import time

    from pingan.store.planner import _STATS_STATE

    with Session(parted_engine) as s:
        for k in range(12):
            s.add(_incident(f"S-{k}", dt.datetime(2026, 12, 1 + k, tzinfo=UTC)))
        s.commit()
    changed = 0
    for _ in range(40):  # the server publishes its counts within a second
        with parted_engine.connect() as conn:
            changed = conn.execute(_STATS_STATE, {"table": "incidents"}).one().changed
        if changed >= 12:
            break
        time.sleep(0.1)
    assert changed >= 12


def test_a_station_s_whole_history_is_paged_by_paths_and_windows(
    parted_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A wide list in a station's scope on month partitions: read path by path, in the newest
    month first, the last year, then the whole history; each page the same as the plain query's
    (every row outside a window is older than a full page inside it)."""
    from pingan.incidents import service

    now = dt.datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    with parted_engine.begin() as conn:
        ensure_partitions(conn, now=now, since=dt.date(2024, 1, 1))
    station = Principal(user_id=0, username="x", role="admin", jpath="/1/2/", jurisdiction_id=None)
    cells = ["/1/2/7/", "/1/2/8/", "/1/2/9/", "/1/20/"]  # the last is outside (a lookalike)
    with Session(parted_engine) as s:
        n = 0
        # 8 rows in the last month, 16 over the year before, 24 in the two years before that
        for first, last, count in ((1, 25, 8), (40, 300, 16), (400, 1000, 24)):
            for i in range(count):
                at = now - dt.timedelta(days=first + (last - first) * i / count, minutes=n)
                s.add(_incident(f"W{n:03d}", at, jpath=cells[n % len(cells)]))
                n += 1
        s.commit()
        everything = [r.id for r in s.scalars(list_query(station))]
        assert len(everything) == 36
        s.execute(text("ANALYZE incidents"))  # the parent and every month
        assert service._table_state(s) == (True, 48.0)  # the months' rows, summed
        monkeypatch.setattr(service, "NARROW_ROWS", 2)  # wide: read by paths
        monkeypatch.setattr(service, "_table_state", lambda s: (True, 1e9))  # a province's
        seen: list[str] = []
        real = service.scope_paths

        def spy(*a: Any, **kw: Any) -> list[str]:
            seen.append("window" if kw.get("since") is not None else "all")
            return real(*a, **kw)

        monkeypatch.setattr(service, "scope_paths", spy)
        for offset, limit, windows in (
            (0, 4, ["window"]),  # the newest month holds the page
            (2, 6, ["window", "window"]),  # the year does
            (14, 8, ["window", "window", "all"]),  # the whole history
            (30, 10, ["window", "window", "all"]),  # the last rows
        ):
            seen.clear()
            page = service.list_page(s, station, limit=limit, offset=offset, now=now)
            assert page.plan == "paths" and seen == windows, (offset, seen)
            assert [r.id for r in page.rows] == everything[offset : offset + limit]
        since = now - dt.timedelta(days=200)
        ref = [r.id for r in s.scalars(list_query(station, since=since))]
        seen.clear()
        page = service.list_page(s, station, limit=5, offset=3, now=now, since=since)
        assert [r.id for r in page.rows] == ref[3:8] and seen == ["window", "all"]
