"""Group commit: the writes of many concurrent requests share one transaction.

A request hands its work to a :class:`GroupWriter` in three parts and awaits the answer:

``prepare(session)``
    checks and computes without writing (it may read);
``apply(session, prepared)``
    writes;
``finish(applied)``
    builds the answer after the commit, outside the transaction.

Work of one kind can also give ``many(session, [prepared, …])``, which writes several prepared
items at once and returns their results in order (one multi-row INSERT per table instead of one
per item); the writer then applies all the batch's items that share that ``many`` together, as
if one after another, at the place of the first of them.

One writer thread per process takes whatever work is queued (up to ``max_batch`` items), runs
every ``prepare``, then every ``apply`` in one transaction, commits once, and answers each
request. Under load this turns N commits into one: one BEGIN, one COMMIT (one WAL write and, on
PostgreSQL, one flush to disk and one trip through the audit chain's lock), one connection
checkout; on SQLite the database write lock is taken once per batch, and only for the writes.
A lone request is a batch of one, so nothing waits for company.

With ``inline`` (file SQLite), a request that finds the queue empty and the database write lock
free runs its three parts at once on the event loop instead, without waiting for the lock: a
hand-off to the writer thread and back costs more CPU than a short SQLite write (measured
0.6–1.0 ms a creation), and the loop is blocked only for the write itself. Under contention
the lock is taken and work queues for the thread as before.

Nothing answered is lost: a request gets its answer only after the commit that holds its writes.
If any ``apply`` (or ``many``) fails, the batch is rolled back and its items are run again one
by one with ``apply``, so one bad request never fails the others; the failing one gets its own
error. ``prepare`` errors (bad input) fail only their own item.

A transient database error (:func:`is_transient`: a deadlock or serialization failure, a lost
connection, SQLite's busy lock) is not the request's fault: its item is run again, up to
:data:`RETRIES` more times with a short growing pause, on a fresh session; if the database is
still failing, the request gets :class:`pingan.errors.Unavailable` (HTTP 503 with
``Retry-After``), never a bare 500, and nothing of it was written.

:class:`InlineWriter` runs the same three parts on a given session, one request at a time (tests
that wrap every request in one rolled-back transaction use it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import anyio.to_thread
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from pingan.errors import Unavailable

__all__ = [
    "RETRIES",
    "GroupWriter",
    "InlineWriter",
    "Many",
    "Writer",
    "is_transient",
    "lost_in_commit",
    "outcome_unknown",
]

P = TypeVar("P")
A = TypeVar("A")
R = TypeVar("R")

log = logging.getLogger(__name__)

RETRIES = 3
"""How many more times an item is run after a transient database error."""
RETRY_PAUSE_S = 0.02
"""The pause before the first retry; it doubles before each next one (20, 40, 80 ms)."""

_TRANSIENT_SQLSTATE_PREFIXES = ("40", "08", "57P", "55P03")
"""SQLSTATEs worth a retry: transaction rollback (40001 serialization failure, 40P01 deadlock),
connection exceptions (08…), operator intervention (57P01 shutdown, 57P03 cannot connect now)
and 55P03 lock not available."""


def is_transient(exc: BaseException) -> bool:
    """Whether ``exc`` is a database failure that running the same work again may not meet:
    a deadlock or serialization failure, a lost or refused connection, SQLite's busy lock.
    Looks through SQLAlchemy's wrapper to the driver's error (the driver statements of
    :mod:`pingan.store.driver` raise the driver's own). Integrity errors (a broken unique key)
    and programming errors are not transient. O(1)."""
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        exc = exc.orig if exc.orig is not None else exc
    sqlstate = getattr(exc, "sqlstate", None)  # psycopg 3
    if isinstance(sqlstate, str):
        return sqlstate.startswith(_TRANSIENT_SQLSTATE_PREFIXES)
    kind = type(exc)
    if kind.__module__.startswith("psycopg") and kind.__name__ == "OperationalError":
        return True  # the connection went away: no SQLSTATE
    if kind.__module__ == "sqlite3" and kind.__name__ == "OperationalError":
        text = str(exc)
        return "database is locked" in text or "database is busy" in text
    return False


_COMMIT_FRAMES = frozenset({"_commit_impl", "_commit_twophase_impl"})
"""SQLAlchemy's frames that send COMMIT to the database."""


def lost_in_commit(exc: BaseException) -> bool:
    """Whether ``exc`` is a connection lost while the database committed (PostgreSQL killed or
    unreachable during ``COMMIT``). Then nobody knows whether the transaction landed: running
    the work again could store it twice, and "nothing was done" would be a guess. A deadlock, a
    serialization failure or SQLite's busy lock at commit did roll back and are not this. Walks
    the exception's traceback for SQLAlchemy's commit frame. O(depth of the traceback)."""
    lost = False
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        lost = True
    else:
        orig = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
        sqlstate = getattr(orig, "sqlstate", None)
        if isinstance(sqlstate, str):
            lost = sqlstate.startswith(("08", "57P"))
        else:
            kind = type(orig)
            lost = kind.__module__.startswith("psycopg") and kind.__name__ == "OperationalError"
    if not lost:
        return False
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_name in _COMMIT_FRAMES:
            return True
        tb = tb.tb_next
    return False


def outcome_unknown(exc: BaseException) -> Unavailable:
    """The 503 for :func:`lost_in_commit`: it says the change may have been saved."""
    err = Unavailable(
        "the connection to the database was lost while it committed: the change may or may "
        "not have been saved; look it up before sending it again (a request with the same "
        "Idempotency-Key is safe to send again)",
        detail={"outcome": "unknown", "cause": type(exc).__name__},
    )
    err.__cause__ = exc
    return err


Many = Callable[[Session, list[Any]], list[Any]]
"""Writes several prepared items at once: ``many(session, [p1, p2, …]) -> [a1, a2, …]``."""


class Writer(Protocol):
    """Runs ``prepare``, ``apply`` (and a commit) and ``finish`` for one request."""

    async def run(
        self,
        prepare: Callable[[Session], P],
        apply: Callable[[Session, P], A],
        finish: Callable[[A], R],
        *,
        many: Many | None = None,
    ) -> R: ...


@dataclass(eq=False)
class _Item:
    prepare: Callable[[Session], Any]
    apply: Callable[[Session, Any], Any]
    finish: Callable[[Any], Any]
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]
    many: Many | None = None
    prepared: Any = field(default=None)
    is_prepared: bool = False


class GroupWriter:
    """One writer thread that commits queued work in shared transactions (see the module)."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        *,
        max_batch: int = 16,
        threads: int = 1,
        inline: Callable[[], AbstractContextManager[Session | None]] | None = None,
    ) -> None:
        self.factory = factory
        self.max_batch = max_batch
        self.threads = threads
        self.inline = inline
        self.inline_items = 0
        self._queue: queue.SimpleQueue[_Item] = queue.SimpleQueue()
        self._started = False
        self._start_lock = threading.Lock()
        self.batches = 0
        self.items = 0
        self.retries = 0

    async def run(
        self,
        prepare: Callable[[Session], P],
        apply: Callable[[Session, P], A],
        finish: Callable[[A], R],
        *,
        many: Many | None = None,
    ) -> R:
        """Queue one request's work and wait for its answer (or its error); or, with
        ``inline``, run it at once if nothing is queued and the write lock is free."""
        if self.inline is not None and self._queue.empty():
            with self.inline() as session:
                if session is not None:
                    self.inline_items += 1
                    try:
                        result = apply(session, prepare(session))
                        session.commit()
                    except Exception as exc:
                        session.rollback()
                        if not is_transient(exc):
                            raise
                        session = None  # the writer thread runs it again, with retries
                    except BaseException:
                        session.rollback()
                        raise
                    if session is not None:
                        return finish(result)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[R] = loop.create_future()
        self._ensure_thread()
        self._queue.put(_Item(prepare, apply, finish, loop, future, many))
        return await future

    def _ensure_thread(self) -> None:
        if self._started:
            return
        with self._start_lock:
            if not self._started:
                for i in range(self.threads):
                    threading.Thread(
                        target=self._serve, name=f"pingan-group-writer-{i}", daemon=True
                    ).start()
                self._started = True

    def _serve(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < self.max_batch:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                self._run(batch)
            except BaseException as exc:  # the thread must outlive any one batch
                log.exception("group writer: batch failed")
                for item in batch:
                    _answer(item, error=exc)

    def _run(self, batch: list[_Item]) -> None:
        self.batches += 1
        self.items += len(batch)
        again: list[_Item] = []  # met a transient error while preparing: run alone
        again_error: BaseException | None = None
        with self.factory() as session:
            ready: list[_Item] = []
            for item in batch:
                try:
                    item.prepared = item.prepare(session)
                    item.is_prepared = True
                except Exception as exc:
                    if is_transient(exc):
                        session.rollback()
                        again.append(item)
                        again_error = exc
                    else:
                        _answer(item, error=exc)
                else:
                    ready.append(item)
            if not ready:
                session.rollback()
                for item in again:
                    self._run_one(item, last=again_error)
                return
            applied: list[tuple[_Item, Any]] = []
            try:
                for group in _groups(ready):
                    many = group[0].many
                    if many is None or len(group) == 1:
                        applied.append((group[0], group[0].apply(session, group[0].prepared)))
                        continue
                    results = many(session, [item.prepared for item in group])
                    if len(results) != len(group):
                        raise AssertionError("many() must return one result per item")
                    applied.extend(zip(group, results, strict=True))
                session.commit()
            except Exception as exc:
                session.rollback()
                if lost_in_commit(exc):  # landed or not: running the batch again could double it
                    log.warning("group writer: connection lost in COMMIT of %d items", len(ready))
                    for item in ready:
                        _answer(item, error=outcome_unknown(exc))
                    for item in again:
                        self._run_one(item, last=again_error)
                    return
                if len(ready) == 1 and not is_transient(exc):
                    _answer(ready[0], error=exc)
                    return
                failed = exc
            else:
                for item, result in applied:
                    _finish(item, result)
                for item in again:
                    self._run_one(item, last=again_error)
                return
        log.info("group writer: batch of %d rolled back (%s); one by one", len(ready), failed)
        # a transient failure may have been anybody's: each item counts it as one attempt
        spent = failed if is_transient(failed) else None
        for item in ready:
            self._run_one(item, last=spent)
        for item in again:
            self._run_one(item, last=again_error)

    def _run_one(self, item: _Item, *, last: BaseException | None = None) -> None:
        """Prepare (if not yet), apply and commit one item on a fresh session; again after a
        transient error, up to ``RETRIES`` times after the first attempt. ``last``: the
        transient error its first attempt (in a batch) already met."""
        first = 0 if last is None else 1
        for attempt in range(first, RETRIES + 1):
            if attempt:
                self.retries += 1
                time.sleep(RETRY_PAUSE_S * 2 ** (attempt - 1))
            with self.factory() as session:
                try:
                    if not item.is_prepared:
                        item.prepared = item.prepare(session)
                        item.is_prepared = True
                    result = item.apply(session, item.prepared)
                    session.commit()
                except Exception as exc:
                    session.rollback()
                    if lost_in_commit(exc):
                        _answer(item, error=outcome_unknown(exc))
                        return
                    if not is_transient(exc):
                        _answer(item, error=exc)
                        return
                    last = exc
                    log.warning("group writer: attempt %d failed (%s)", attempt + 1, exc)
                    continue
            _finish(item, result)
            return
        assert last is not None
        _answer(item, error=_unavailable(last))


def _groups(items: list[_Item]) -> list[list[_Item]]:
    """Items in order, those sharing a ``many`` together at the place of the first. O(n)."""
    out: list[list[_Item]] = []
    by_many: dict[Many, list[_Item]] = {}
    for item in items:
        if item.many is None:
            out.append([item])
        elif item.many in by_many:
            by_many[item.many].append(item)
        else:
            by_many[item.many] = [item]
            out.append(by_many[item.many])
    return out


def _unavailable(exc: BaseException) -> Unavailable:
    err = Unavailable(
        f"the database did not take the write after {RETRIES + 1} attempts; nothing was "
        "written, send it again",
        detail={"attempts": RETRIES + 1, "cause": type(exc).__name__},
    )
    err.__cause__ = exc
    return err


def _finish(item: _Item, result: Any) -> None:
    try:
        out = item.finish(result)
    except Exception as exc:
        _answer(item, error=exc)
    else:
        _answer(item, value=out)


def _answer(item: _Item, *, value: Any = None, error: BaseException | None = None) -> None:
    def deliver() -> None:
        if item.future.done():
            return  # the request went away (client disconnected)
        if error is not None:
            item.future.set_exception(error)
        else:
            item.future.set_result(value)

    with contextlib.suppress(RuntimeError):  # the event loop is closed: shutting down
        item.loop.call_soon_threadsafe(deliver)


class InlineWriter:
    """Runs the three parts on one given session in the thread pool, committing after
    ``apply`` (inside a test's outer transaction that commit only releases a savepoint)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    async def run(
        self,
        prepare: Callable[[Session], P],
        apply: Callable[[Session, P], A],
        finish: Callable[[A], R],
        *,
        many: Many | None = None,
    ) -> R:
        def work() -> R:
            try:
                result = apply(self.session, prepare(self.session))
                self.session.commit()
            except BaseException:
                self.session.rollback()
                raise
            return finish(result)

        return await anyio.to_thread.run_sync(work)
