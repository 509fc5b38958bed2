"""SQLite specifics: connection pragmas, the writer lock, ``BEGIN IMMEDIATE`` and the dialect's
commit/rollback hooks, the background WAL checkpointer and inline write sessions.

SQLite (the embedded default) runs in WAL mode with ``synchronous=NORMAL``; write units of work
start with ``BEGIN IMMEDIATE`` and queue on a :class:`WriteLock` (a thread lock and an ``flock``)
from BEGIN to COMMIT/ROLLBACK, so that concurrent writers hand off at once instead of sleeping in
SQLite's busy handler. :func:`pingan.store.engine.make_engine` calls :func:`configure`.
"""

from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Connection, Engine, event
from sqlalchemy.orm import Session, sessionmaker

__all__ = [
    "CHECKPOINT_EVERY_S",
    "WriteLock",
    "configure",
    "inline_write_session",
    "start_wal_checkpointer",
    "stop_wal_checkpointer",
    "write_lock_for",
    "writing",
]

log = logging.getLogger(__name__)


_CHECKPOINTED: weakref.WeakSet[Engine] = weakref.WeakSet()
_CHANGES = ("INSERT", "UPDATE", "DELETE", "REPLACE")
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


SQLITE_MMAP_BYTES = 1 << 30
"""Address space SQLite may map of a database file (1 GiB; pages, not memory, are shared)."""


def configure(engine: Engine) -> None:
    """Set up an SQLite engine: WAL and the pragmas on every connection, ``BEGIN`` emitted by
    pingan (``DEFERRED`` or, for write sessions, ``IMMEDIATE`` queued on the
    :class:`WriteLock`), and the dialect's commit and rollback wrapped to release that lock."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (see _on_begin)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        # reads through a memory map of the file (shared by every connection through the OS
        # page cache) instead of a read() and a copy per page into a 2 MB private cache: a
        # count over an index of 519,000 incidents took 8-9 ms of CPU, 2 ms mapped; the
        # state=closed count 31 ms, 20 ms (benchmarks/hardening.md, "SQLite reads")
        cur.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
        if engine in _CHECKPOINTED:  # a background thread checkpoints (see below)
            cur.execute("PRAGMA wal_autocheckpoint=0")
        cur.close()

    lock = write_lock_for(engine)
    held: dict[int, WriteLock] = {}
    # DEFERRED transactions: the connection's total_changes at BEGIN (see _writing)
    deferred: dict[int, int] = {}
    # transactions moved to a newer snapshot than their reads (see _writing): appends only
    stale: set[int] = set()
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
        raw = conn.connection.dbapi_connection
        deferred[id(raw)] = raw.total_changes

    def _release(conn: Any) -> None:
        # SQLAlchemy hands do_commit/do_rollback the pool's proxy; key on the raw connection
        raw = getattr(conn, "dbapi_connection", conn)
        deferred.pop(id(raw), None)
        stale.discard(id(raw))
        owned = held.pop(id(raw), None)
        if owned is not None:
            owned.__exit__(None, None, None)

    def _writing(conn: Any) -> None:
        raw = conn.connection.dbapi_connection
        key = id(raw)
        if lock is None or key in held or conn.in_nested_transaction():
            # no writer lock (in memory), a write transaction already, or inside a savepoint
            # (a COMMIT would end the savepoints its owner still means to release)
            return
        changes = deferred.get(key)
        if changes is None or raw.total_changes != changes:
            return  # not begun by pingan, or it wrote already (it holds SQLite's write lock)
        # a read so far: end its snapshot (nothing to lose) and queue as a writer
        seen = raw.execute("PRAGMA data_version").fetchone()[0]
        raw.execute("COMMIT")
        deferred.pop(key, None)
        lock.__enter__()
        held[key] = lock
        try:
            raw.execute("BEGIN IMMEDIATE")
            if raw.execute("PRAGMA data_version").fetchone()[0] != seen:
                stale.add(key)  # others committed since its reads: appends only from here
        except BaseException:
            held.pop(key, None)
            lock.__exit__(None, None, None)
            raise

    dialect.pingan_writing = _writing

    @event.listens_for(engine, "before_cursor_execute")
    def _no_stale_change(
        conn: Any, _cursor: Any, statement: str, _params: Any, _context: Any, _many: bool
    ) -> None:
        # a change after _writing moved a transaction past what it read could undo another's
        # change (a lost update): refused as SQLite refuses a stale reader's first write
        if (
            stale
            and id(conn.connection.dbapi_connection) in stale
            and statement.lstrip()[:7].upper().startswith(_CHANGES)
        ):
            raise sqlite3.OperationalError(
                "database is locked (its reads are older than a commit since)"
            )

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


def writing(conn: Connection) -> None:
    """Make ``conn``'s transaction a writer before an append that needs no earlier read: on file
    SQLite, a ``DEFERRED`` transaction that has only read so far is ended and a ``BEGIN
    IMMEDIATE`` queued on the :class:`WriteLock` takes its place; elsewhere nothing.

    For the audit record of a view (a GET that reads, then appends who looked): upgrading the
    read transaction in place fails at once with "database is locked" when another connection
    committed since it began (SQLite cannot move a reader's snapshot), which answered such views
    with a 503 while others wrote. For appends whose own reads come after this call (the audit
    chain's head is read inside the new transaction). When others did commit after the
    transaction's reads, any later INSERT/UPDATE/DELETE through SQLAlchemy in it is refused
    with SQLite's own "database is locked" (a 503, nothing done), as before: a change computed
    from those reads could undo another's (a lost update). O(1)."""
    fn = getattr(conn.dialect, "pingan_writing", None)
    if fn is not None:
        fn(conn)


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
