"""Engine, sessions and the unit of work.

SQLite (the embedded default) runs in WAL mode with ``synchronous=NORMAL``; write units of work
start with ``BEGIN IMMEDIATE`` so that concurrent writers queue instead of failing half-way
(the SQLite specifics live in :mod:`pingan.store.sqlite` and are re-exported here). PostgreSQL
uses the ordinary read-committed transactions, pooled connections pinged after idling, and
:func:`analyze_soon` for tables that are still new. The schema is created only by the Alembic
migrations in ``pingan/store/migrations`` (:func:`migrate`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from pingan.config import Settings, get_settings
from pingan.store.base import set_data_key
from pingan.store.changes import track_writes
from pingan.store.sqlite import (
    WriteLock,
    inline_write_session,
    start_wal_checkpointer,
    stop_wal_checkpointer,
    write_lock_for,
)
from pingan.store.sqlite import configure as configure_sqlite

__all__ = [
    "WriteLock",
    "analyze",
    "analyze_soon",
    "get_engine",
    "inline_write_session",
    "make_engine",
    "migrate",
    "reset_engine",
    "session_factory",
    "start_wal_checkpointer",
    "stop_wal_checkpointer",
    "unit_of_work",
    "write_lock_for",
]

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
log = logging.getLogger(__name__)


def make_engine(url: str, *, settings: Settings | None = None, echo: bool = False) -> Engine:
    """Create an engine for ``url`` with pingan's connection settings."""
    settings = settings or get_settings()
    set_data_key(settings.fernet_key)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=8,
            max_overflow=16,
        )
        configure_sqlite(engine)
        track_writes(engine)
        return engine
    engine = create_engine(url, echo=echo, pool_size=10, max_overflow=20, pool_use_lifo=True)
    _ping_when_idle(engine, IDLE_PING_S)
    track_writes(engine)
    return engine


_ANALYZING: set[tuple[int, str]] = set()
_ANALYZE_LOCK = threading.Lock()
_ANALYZE_LOCK_KEY = 7_316_002  # "pingan analyze": one ANALYZE of a table at a time per database
BACKGROUND_ANALYZE = True
"""Whether :func:`analyze_soon` runs. The test suite turns it off: its rows are never committed,
so an ANALYZE from another connection would describe an empty table under the test's feet."""


def analyze(conn: Connection, table: str, *, statistics_target: int | None = None) -> None:
    """``ANALYZE`` ``table`` (all of it) in ``conn``'s transaction, sampling at
    ``statistics_target`` (PostgreSQL's ``default_statistics_target``, set for this transaction
    only) if given: 300 rows per unit of target, so 10 samples 3,000 rows where the default of
    100 reads 30,000. Measured on 12,000 incidents: 145-165 ms at the default, 27 ms at 10.
    The whole table, because PostgreSQL resets its count of rows changed since the last ANALYZE
    (``n_mod_since_analyze``) only after a whole-table one: after one of named columns the
    table would look stale for ever."""
    if statistics_target is not None:
        conn.execute(text(f"SET LOCAL default_statistics_target = {int(statistics_target)}"))
    conn.execute(text(f"ANALYZE {_quoted(table)}"))


def _quoted(name: str) -> str:
    if not name.replace("_", "").isalnum():
        raise ValueError(f"table name {name!r}: letters, digits and _ only")
    return f'"{name}"'


def analyze_soon(
    engine: Engine,
    table: str,
    *,
    statistics_target: int | None = None,
    then: Callable[[], Any] | None = None,
) -> bool:
    """Have PostgreSQL's statistics of ``table`` brought up to date in a background thread
    (:func:`analyze` on a connection of its own, at most one run at a time per table and
    process, and skipped when another process holds the database's analyze lock); ``then``
    runs after it. Returns whether a run was started. Plans that depend on the table are remade
    by PostgreSQL on their next use. Autovacuum does the same when it is on, but may come
    minutes late. For a role that may not analyze the table PostgreSQL skips it with a warning
    in its own log; an error (a lost connection) is logged here. O(sample) on the database
    side: ANALYZE reads a fixed-size sample of the table."""
    if engine.dialect.name != "postgresql" or not BACKGROUND_ANALYZE:
        return False
    key = (id(engine), table)
    with _ANALYZE_LOCK:
        if key in _ANALYZING:
            return False
        _ANALYZING.add(key)

    def run() -> None:
        try:
            with engine.begin() as conn:
                got = conn.execute(
                    text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": _ANALYZE_LOCK_KEY}
                ).scalar()
                if got:
                    analyze(conn, table, statistics_target=statistics_target)
            if then is not None:
                then()
        except Exception as exc:  # a background helper: never take the process down
            log.warning("could not analyze %s: %s", table, exc)
        finally:
            with _ANALYZE_LOCK:
                _ANALYZING.discard(key)

    threading.Thread(target=run, name=f"pingan-analyze-{table}", daemon=True).start()
    return True


IDLE_PING_S = 10.0
"""A pooled PostgreSQL connection idle for longer than this is pinged before it is handed out."""


def _ping_when_idle(engine: Engine, idle_s: float) -> None:
    """Check a pooled connection that sat idle for over ``idle_s`` seconds before handing it
    out, and replace it if the server went away (restart, failover, idle timeout). Unlike
    ``pool_pre_ping``, a connection in steady use costs no extra round trip per checkout. The
    pool is last-in-first-out, so under light load the idle ones stay idle and the busy ones
    keep their prepared statements warm."""

    @event.listens_for(engine, "checkin")
    def _checkin(_dbapi_conn: Any, record: Any) -> None:
        record.info["pingan_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("pingan_idle_since")
        if since is None or time.monotonic() - since < idle_s:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
            dbapi_conn.rollback()  # the ping opened a transaction
        except Exception as exc:  # any failure: the pool retries with a new connection
            raise DisconnectionError("pooled connection went away while idle") from exc


_engine: Engine | None = None


def get_engine() -> Engine:
    """The process-wide engine for the configured database."""
    global _engine
    if _engine is None:
        _engine = make_engine(get_settings().resolved_database_url)
    return _engine


def reset_engine(engine: Engine | None = None) -> None:
    """Dispose of the process-wide engine (or install ``engine`` in its place)."""
    global _engine
    if _engine is not None and _engine is not engine:
        _engine.dispose()
    _engine = engine


def session_factory(engine: Engine | None = None, *, write: bool = False) -> sessionmaker[Session]:
    """A session factory; ``write=True`` starts SQLite transactions with ``BEGIN IMMEDIATE``
    and queues them on the :class:`WriteLock` from BEGIN to COMMIT/ROLLBACK."""
    eng = engine or get_engine()
    if write and eng.dialect.name == "sqlite":
        eng = eng.execution_options(sqlite_begin="IMMEDIATE")
    return sessionmaker(bind=eng, expire_on_commit=False, autoflush=True)


@contextmanager
def unit_of_work(engine: Engine | None = None, *, write: bool = True) -> Iterator[Session]:
    """One unit of work: a session that the caller commits; rolled back on any error."""
    eng = engine or get_engine()
    session = session_factory(eng, write=write)()
    try:
        yield session
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def migrate(engine: Engine | None = None, *, revision: str = "head") -> None:
    """Bring the schema to ``revision`` with Alembic (the only way tables are created)."""
    from alembic import command
    from alembic.config import Config

    eng = engine or get_engine()
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with eng.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
