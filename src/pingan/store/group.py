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

:class:`InlineWriter` runs the same three parts on a given session, one request at a time (tests
that wrap every request in one rolled-back transaction use it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import anyio.to_thread
from sqlalchemy.orm import Session, sessionmaker

__all__ = ["GroupWriter", "InlineWriter", "Many", "Writer"]

P = TypeVar("P")
A = TypeVar("A")
R = TypeVar("R")

log = logging.getLogger(__name__)


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
                    except BaseException:
                        session.rollback()
                        raise
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
        with self.factory() as session:
            ready: list[_Item] = []
            for item in batch:
                try:
                    item.prepared = item.prepare(session)
                except Exception as exc:
                    _answer(item, error=exc)
                else:
                    ready.append(item)
            if not ready:
                session.rollback()
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
                if len(ready) == 1:
                    _answer(ready[0], error=exc)
                    return
                failed = exc
            else:
                for item, result in applied:
                    _finish(item, result)
                return
        log.info("group writer: batch of %d rolled back (%s); one by one", len(ready), failed)
        for item in ready:
            self._run_one(item)

    def _run_one(self, item: _Item) -> None:
        with self.factory() as session:
            try:
                result = item.apply(session, item.prepared)
                session.commit()
            except Exception as exc:
                session.rollback()
                _answer(item, error=exc)
                return
        _finish(item, result)


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
