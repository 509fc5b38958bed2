"""The group writer: concurrent creations share commits, nothing answered is lost, and one bad
request in a batch fails alone. Runs on a database of its own (it commits)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections import Counter

import psycopg
import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from pingan.audit.service import verify
from pingan.auth.service import principal_for, resolve_token
from pingan.errors import Invalid, Unavailable
from pingan.incidents import flows
from pingan.incidents.models import Incident, IncidentEvent
from pingan.incidents.schemas import IncidentCreate
from pingan.store.engine import session_factory, unit_of_work
from pingan.store.group import RETRIES, GroupWriter, is_transient, lost_in_commit
from tests.factories import build_small_city


def test_concurrent_creations_share_commits_and_bad_ones_fail_alone(own_engine: Engine) -> None:
    with unit_of_work(own_engine) as s:
        city = build_small_city(s)
        s.commit()
        principal = principal_for(s, resolve_token(s, city.tokens["dispatcher"]))
    centres = [city.cell_center(i) for i in range(len(city.cells))]
    writer = GroupWriter(session_factory(own_engine, write=True), max_batch=8)

    def finish(result: tuple[dict[str, object], bool]) -> int:
        return int(str(result[0]["id"]))

    async def one(i: int) -> int | BaseException:
        lon, lat = centres[i % len(centres)]
        if i % 10 == 7:
            lon = 0.0  # outside every jurisdiction: refused in prepare
        data = IncidentCreate(subtype="fight", lon=lon, lat=lat, summary=f"g{i}")
        key = "same-key" if i in (3, 13) else None  # 13 replays 3 with another body: 409
        prepare, apply = flows.incident_create_steps(
            principal=principal, data=data, idempotency_key=key
        )
        try:
            return await writer.run(prepare, apply, finish, many=flows.incident_create_many)
        except Exception as exc:
            return exc

    async def burst() -> list[int | BaseException]:
        return await asyncio.gather(*(one(i) for i in range(60)))

    out = asyncio.run(burst())
    ids = [x for x in out if isinstance(x, int)]
    errors = [x for x in out if not isinstance(x, int)]
    invalid = [e for e in errors if isinstance(e, Invalid)]
    assert len(invalid) == 6 and all(e.field == "lon" for e in invalid)
    assert len(errors) == 7  # six outside the city, one idempotency conflict
    assert writer.batches < writer.items  # commits were shared
    with unit_of_work(own_engine, write=False) as s:
        stored = set(s.scalars(select(Incident.id)))
        assert set(ids) <= stored and len(stored) == len(ids)  # every answer is stored
        assert s.scalar(select(func.count()).select_from(Incident)) == 53
        assert verify(s).ok
        # the same spot again and again: one original per cell centre, every other call linked
        # to it, whether it came in the same batch or a later one
        rows = s.execute(
            select(
                Incident.id,
                Incident.lon,
                Incident.repeat_of_id,
                Incident.repeat_count,
                Incident.state,
            )
        ).all()
        originals = {r.id: r for r in rows if r.repeat_of_id is None}
        assert len(originals) == len(centres)
        assert all(r.state == "received" for r in originals.values())
        for r in rows:
            if r.repeat_of_id is not None:
                assert r.state == "duplicate" and originals[r.repeat_of_id].lon == r.lon
        linked = Counter(r.repeat_of_id for r in rows if r.repeat_of_id is not None)
        assert {k: o.repeat_count for k, o in originals.items()} == {
            k: linked.get(k, 0) for k in originals
        }
        events = s.scalar(
            select(func.count())
            .select_from(IncidentEvent)
            .where(IncidentEvent.kind == "repeat_call")
        )
        assert events == len(rows) - len(originals)


def test_a_failing_write_rolls_back_the_batch_and_the_rest_is_retried(own_engine: Engine) -> None:
    writer = GroupWriter(session_factory(own_engine, write=True), max_batch=8)

    def prepare(session: Session) -> None:
        return None

    def good(n: int):  # type: ignore[no-untyped-def]
        def apply(session: Session, _: None) -> int:
            session.execute(text("CREATE TABLE IF NOT EXISTS gw (n INTEGER PRIMARY KEY)"))
            session.execute(text("INSERT INTO gw (n) VALUES (:n)"), {"n": n})
            return n

        return apply

    async def burst() -> list[object]:
        calls = [writer.run(prepare, good(n), lambda r: r) for n in (1, 2, 2, 3)]
        return await asyncio.gather(*calls, return_exceptions=True)

    out = asyncio.run(burst())
    assert sorted(x for x in out if isinstance(x, int)) == [1, 2, 3]
    assert sum(isinstance(x, Exception) for x in out) == 1  # the duplicate key alone
    with own_engine.connect() as c:
        assert sorted(c.execute(text("SELECT n FROM gw")).scalars()) == [1, 2, 3]


def _raise_sqlstate(session: Session, sqlstate: str) -> None:
    """A real error with ``sqlstate`` from the database (PostgreSQL raises it in PL/pgSQL; on
    SQLite, which has no SQLSTATEs, the busy lock's own error)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text(f"DO $$ BEGIN RAISE EXCEPTION 'test' USING ERRCODE = '{sqlstate}'; END $$")
        )
    else:
        raise sqlite3.OperationalError("database is locked")


def test_is_transient_knows_deadlocks_lost_connections_and_busy_locks() -> None:
    assert is_transient(psycopg.errors.DeadlockDetected("deadlock detected"))
    assert is_transient(psycopg.errors.SerializationFailure("could not serialize"))
    assert is_transient(psycopg.errors.LockNotAvailable("lock not available"))
    assert is_transient(psycopg.errors.AdminShutdown("terminating connection"))
    assert is_transient(psycopg.OperationalError("server closed the connection unexpectedly"))
    assert is_transient(sqlite3.OperationalError("database is locked"))
    wrapped = OperationalError("INSERT …", {}, psycopg.errors.DeadlockDetected("deadlock"))
    assert is_transient(wrapped)
    assert not is_transient(psycopg.errors.UniqueViolation("duplicate key"))
    assert not is_transient(psycopg.errors.QueryCanceled("statement timeout"))
    assert not is_transient(sqlite3.IntegrityError("UNIQUE constraint failed"))
    assert not is_transient(sqlite3.OperationalError("no such table: gw"))
    assert not is_transient(ValueError("40P01"))


def test_a_lone_write_that_meets_a_deadlock_is_run_again(own_engine: Engine) -> None:
    writer = GroupWriter(session_factory(own_engine, write=True), max_batch=8)
    with own_engine.begin() as c:
        c.execute(text("CREATE TABLE gw (n INTEGER PRIMARY KEY)"))
    attempts: list[int] = []

    def apply(session: Session, _: None) -> int:
        session.execute(text("INSERT INTO gw (n) VALUES (7)"))
        attempts.append(1)
        if len(attempts) <= 2:  # the first two attempts deadlock
            _raise_sqlstate(session, "40P01")
        return 7

    out = asyncio.run(writer.run(lambda s: None, apply, lambda r: r))
    assert out == 7 and len(attempts) == 3 and writer.retries == 2
    with own_engine.connect() as c:  # the failed attempts left nothing behind
        assert list(c.execute(text("SELECT n FROM gw")).scalars()) == [7]


def test_a_write_the_database_keeps_refusing_gets_503_and_writes_nothing(
    own_engine: Engine,
) -> None:
    writer = GroupWriter(session_factory(own_engine, write=True), max_batch=8)
    with own_engine.begin() as c:
        c.execute(text("CREATE TABLE gw (n INTEGER PRIMARY KEY)"))

    def apply(session: Session, _: None) -> int:
        session.execute(text("INSERT INTO gw (n) VALUES (1)"))
        _raise_sqlstate(session, "40001")
        return 1

    def prepare_fails(session: Session) -> None:
        _raise_sqlstate(session, "40P01")

    async def both() -> list[object]:
        return await asyncio.gather(
            writer.run(lambda s: None, apply, lambda r: r),
            writer.run(prepare_fails, apply, lambda r: r),
            return_exceptions=True,
        )

    for err in asyncio.run(both()):
        assert isinstance(err, Unavailable) and err.status == 503
        assert err.to_dict()["error"] == {
            "code": "unavailable",
            "message": "the database did not take the write after 4 attempts; nothing was "
            "written, send it again",
            "detail": {"attempts": 4, "cause": err.detail["cause"]},
        }
    assert writer.retries == 2 * RETRIES
    with own_engine.connect() as c:
        assert list(c.execute(text("SELECT n FROM gw")).scalars()) == []


def test_a_connection_lost_in_commit_is_not_run_again_and_says_the_outcome_is_unknown(
    own_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL killed while it commits: the transaction may have landed. Running the batch
    again (as for a deadlock) would store it twice, so each item is answered with a 503 that
    says the outcome is unknown, and the work ran once."""
    writer = GroupWriter(session_factory(own_engine, write=True), max_batch=8)
    with own_engine.begin() as c:
        c.execute(text("CREATE TABLE gw (n INTEGER)"))  # no key: a second run would double it
    real = own_engine.dialect.do_commit
    lost = {"armed": True}

    def commit_then_lose_the_answer(dbapi_connection: object) -> None:
        real(dbapi_connection)  # landed ...
        if lost.pop("armed", False):  # ... and the connection dropped before the answer
            raise psycopg.OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(own_engine.dialect, "do_commit", commit_then_lose_the_answer)
    runs: list[int] = []

    def apply(session: Session, _: None) -> int:
        session.execute(text("INSERT INTO gw (n) VALUES (5)"))
        runs.append(5)
        return 5

    with pytest.raises(Unavailable) as caught:
        asyncio.run(writer.run(lambda s: None, apply, lambda r: r))
    error = caught.value.to_dict()["error"]
    assert error["code"] == "unavailable" and error["detail"]["outcome"] == "unknown"
    assert error["message"].startswith(
        "the connection to the database was lost while it committed: the change may or may "
        "not have been saved"
    )
    assert runs == [5] and writer.retries == 0
    with own_engine.connect() as c:
        assert list(c.execute(text("SELECT n FROM gw")).scalars()) == [5]


def test_lost_in_commit_is_only_a_lost_connection_inside_commit() -> None:
    lost = psycopg.OperationalError("server closed the connection unexpectedly")
    assert not lost_in_commit(lost)  # raised by a statement: nothing was committed
    assert not lost_in_commit(sqlite3.OperationalError("database is locked"))
