"""Engine, sessions and the unit of work.

SQLite (the embedded default) runs in WAL mode with ``synchronous=NORMAL``; write units of work
start with ``BEGIN IMMEDIATE`` so that concurrent writers queue on the busy timeout instead of
failing half-way. PostgreSQL uses the ordinary read-committed transactions. The schema is created
only by the Alembic migrations in ``pingan/store/migrations`` (:func:`migrate`).
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from pingan.config import Settings, get_settings
from pingan.store.base import set_data_key

__all__ = [
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
        _configure_sqlite(engine)
        return engine
    engine = create_engine(url, echo=echo, pool_size=10, max_overflow=20, pool_use_lifo=True)
    _ping_when_idle(engine, IDLE_PING_S)
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


_CHECKPOINTED: weakref.WeakSet[Engine] = weakref.WeakSet()
CHECKPOINT_EVERY_S = 1.0
"""How often the background checkpointer of a served SQLite database runs."""


def start_wal_checkpointer(engine: Engine, *, every_s: float = CHECKPOINT_EVERY_S) -> bool:
    """Checkpoint a file SQLite database's write-ahead log in a background thread instead of
    in the commits that cross SQLite's threshold (1,000 pages). A checkpoint copies the log
    into the database and syncs it to disk: run by a commit, it held the write lock for it and
    stalled every writer for 80-200 ms every few thousand creations, the worst of a served
    SQLite's latency. Here a thread runs ``PRAGMA wal_checkpoint(PASSIVE)`` on a connection of
    its own every ``every_s`` seconds, which waits for no reader or writer; new pooled
    connections turn their own automatic checkpoints off (the pool is emptied so that every
    one does). Commits stay as durable as before: the log is synced at each checkpoint, at
    most ``every_s`` apart. For server processes; one-shot commands keep SQLite's automatic
    checkpoints. Returns whether it started (not for other databases or twice)."""
    lock = write_lock_for(engine)
    if lock is None or engine in _CHECKPOINTED:
        return False
    _CHECKPOINTED.add(engine)
    engine.dispose()  # pooled connections were opened with automatic checkpoints on
    path = str(engine.url.database)

    def run() -> None:
        import sqlite3

        conn = sqlite3.connect(path, timeout=30, check_same_thread=False)
        try:
            while engine in _CHECKPOINTED:
                time.sleep(every_s)
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error as exc:  # busy or gone: try again at the next turn
                    log.warning("WAL checkpoint of %s: %s", path, exc)
        finally:
            conn.close()

    threading.Thread(target=run, name="pingan-wal-checkpointer", daemon=True).start()
    return True


def stop_wal_checkpointer(engine: Engine) -> None:
    """Stop the thread of :func:`start_wal_checkpointer` at its next turn (tests, shutdown)."""
    _CHECKPOINTED.discard(engine)


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


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (see _on_begin)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        if engine in _CHECKPOINTED:  # a background thread checkpoints (see below)
            cur.execute("PRAGMA wal_autocheckpoint=0")
        cur.close()

    lock = write_lock_for(engine)
    held: dict[int, WriteLock] = {}
    dialect: Any = engine.dialect
    base_commit, base_rollback = dialect.do_commit, dialect.do_rollback

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        options = conn.get_execution_options()
        mode = options.get("sqlite_begin", "DEFERRED")
        if mode == "IMMEDIATE" and lock is not None:
            # queue writers on the lock, held from BEGIN to COMMIT/ROLLBACK only: parsing the
            # request and writing the response happen outside the critical section
            dbapi_conn = conn.connection.dbapi_connection
            if not options.get(_LOCK_HELD):  # else taken already (see inline_write_session)
                lock.__enter__()
            held[id(dbapi_conn)] = lock
            try:
                conn.exec_driver_sql(f"BEGIN {mode}")
            except BaseException:
                held.pop(id(dbapi_conn), None)
                lock.__exit__(None, None, None)
                raise
            return
        conn.exec_driver_sql(f"BEGIN {mode}")

    def _release(conn: Any) -> None:
        # SQLAlchemy hands do_commit/do_rollback the pool's proxy; key on the raw connection
        raw = getattr(conn, "dbapi_connection", conn)
        owned = held.pop(id(raw), None)
        if owned is not None:
            owned.__exit__(None, None, None)

    def _do_commit(dbapi_conn: Any) -> None:
        try:
            base_commit(dbapi_conn)
        finally:
            _release(dbapi_conn)

    def _do_rollback(dbapi_conn: Any) -> None:
        try:
            base_rollback(dbapi_conn)
        finally:
            _release(dbapi_conn)

    dialect.do_commit = _do_commit
    dialect.do_rollback = _do_rollback


class WriteLock:
    """Serialises SQLite writers across threads and processes with immediate hand-off.

    A thread lock queues writers of one process; an ``flock`` on ``<db>.writelock`` queues the
    processes (uvicorn workers, CLI commands). SQLite's own busy handler sleeps with back-off
    (up to 100 ms a step), which ruins tail latency under concurrent writes.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._thread_lock = threading.Lock()
        self._fd: int | None = None
        self._holder: object | None = None

    def __enter__(self) -> WriteLock:
        self._thread_lock.acquire()
        try:
            if self._fd is None:
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self._fd, fcntl.LOCK_EX)
        except BaseException:
            self._thread_lock.release()
            raise
        self._holder = self
        return self

    def try_enter(self, holder: object) -> bool:
        """Take the lock only if no thread or process holds it; ``holder`` marks who did."""
        if not self._thread_lock.acquire(blocking=False):
            return False
        try:
            if self._fd is None:
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._thread_lock.release()
            return False
        except BaseException:
            self._thread_lock.release()
            raise
        self._holder = holder
        return True

    def held_by(self, holder: object) -> bool:
        """Whether ``holder`` (of :meth:`try_enter`) holds the lock now."""
        return self._holder is holder

    def __exit__(self, *exc: object) -> None:
        self._holder = None
        try:
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._thread_lock.release()


def write_lock_for(engine: Engine) -> WriteLock | None:
    """The writer lock of a file SQLite database (None for other databases). Looked up once
    per engine (resolving the path costs a system call per directory, on every write)."""
    hit = _lock_of_engine.get(engine, _UNSEEN)
    if hit is not _UNSEEN:
        return cast("WriteLock | None", hit)
    lock: WriteLock | None = None
    db = engine.url.database
    if engine.dialect.name == "sqlite" and db and db != ":memory:":
        path = Path(db).resolve()
        with _locks_guard:
            lock = _write_locks.get(path)
            if lock is None:
                lock = _write_locks[path] = WriteLock(path.with_name(path.name + ".writelock"))
    _lock_of_engine[engine] = lock
    return lock


_UNSEEN = object()
_lock_of_engine: weakref.WeakKeyDictionary[Engine, object] = weakref.WeakKeyDictionary()
_write_locks: dict[Path, WriteLock] = {}
_locks_guard = threading.Lock()


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


_LOCK_HELD = "pingan_write_lock_held"
_inline_factories: weakref.WeakKeyDictionary[Engine, sessionmaker[Session]] = (
    weakref.WeakKeyDictionary()
)


@contextmanager
def inline_write_session(engine: Engine) -> Iterator[Session | None]:
    """A write session on file SQLite that already holds the write lock, if the lock is free
    at this moment (no other writer in this process or another); else ``None``, without
    waiting. For short writes on an event loop (:class:`pingan.store.group.GroupWriter`): the
    caller commits or rolls back, which releases the lock as for any write session; a session
    that never began a transaction releases it on exit."""
    lock = write_lock_for(engine)
    token = object()
    if lock is None or not lock.try_enter(token):
        yield None
        return
    factory = _inline_factories.get(engine)
    if factory is None:  # built once per engine: requests only open a session
        factory = _inline_factories[engine] = sessionmaker(
            bind=engine.execution_options(sqlite_begin="IMMEDIATE", **{_LOCK_HELD: True}),
            expire_on_commit=False,
            autoflush=True,
        )
    session = factory()
    try:
        yield session
    finally:
        try:
            session.close()  # rolls back an open transaction, which releases the lock
        finally:
            if lock.held_by(token):  # no transaction began: the lock is still ours
                lock.__exit__(None, None, None)


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
