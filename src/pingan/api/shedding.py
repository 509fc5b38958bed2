"""Load shedding: a bound on the requests one worker runs at once, and on its queue.

Without it a burst past what the database can take (SQLite has one writer at a time) piles
requests up in the worker's thread pool and its connection pool until clients time out (15 s
and more), and the ones that do get through are served late. :class:`LoadShed` keeps two gates
per worker process, one for reads (GET, HEAD, OPTIONS) and one for writes: at most ``limit``
requests of a kind run at once, at most ``queue`` more wait, each at most ``wait_s`` seconds;
a request that finds the queue full, or waits its time out, is answered at once with 503,
``Retry-After`` and the one JSON error shape (``code: "overloaded"``), having done nothing. Slots
are handed over in arrival order. Static files, the health check and the live event stream (a
long-lived connection) pass untouched.

The gates are plain counters on the event loop: entering and leaving cost no thread, no lock
and no I/O; O(1) each.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections import deque
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

from pingan.api.error_text import shown_json
from pingan.errors import Overloaded

__all__ = ["Gate", "Limits", "LoadShed", "limits_for"]

log = logging.getLogger(__name__)

_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
_PASS_PREFIXES = ("/static/", "/healthz", "/api/v1/incidents/stream", "/favicon")


@dataclass(frozen=True)
class Limits:
    """How many reads and writes one worker runs at once (0: no limit), how many may wait
    and for how long."""

    reads: int
    writes: int
    queue: int = 64
    wait_s: float = 2.0


def limits_for(
    dialect: str,
    *,
    reads: int | None = None,
    writes: int | None = None,
    queue: int = 64,
    wait_s: float = 2.0,
) -> Limits:
    """The limits for a database ``dialect``, the given ones first. SQLite runs one write at a
    time across all workers, so a worker gains nothing from more than a few writes in flight
    (8: enough for the group writer to batch creations); PostgreSQL's limits stay under the
    connection pool (10 + 20 overflow a worker) so that no request waits on the pool."""
    default_writes = 8 if dialect == "sqlite" else 12
    return Limits(
        reads=16 if reads is None else reads,
        writes=default_writes if writes is None else writes,
        queue=queue,
        wait_s=wait_s,
    )


class Gate:
    """At most ``limit`` holders at once; up to ``queue`` more wait in arrival order, each at
    most ``wait_s`` seconds. ``limit`` 0 is no limit. Used on one event loop only."""

    def __init__(self, *, limit: int, queue: int, wait_s: float) -> None:
        self.limit = limit
        self.queue = queue
        self.wait_s = wait_s
        self.running = 0
        self.shed = 0
        self._waiters: deque[asyncio.Future[bool]] = deque()

    @property
    def waiting(self) -> int:
        """Requests in the queue now."""
        return len(self._waiters)

    async def enter(self) -> bool:
        """Take a slot, waiting in the queue if need be; False when shed (queue full or
        waited ``wait_s``). A True caller must :meth:`leave`."""
        if self.limit <= 0:
            return True
        if self.running < self.limit and not self._waiters:
            self.running += 1
            return True
        if len(self._waiters) >= self.queue:
            self.shed += 1
            return False
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[bool] = loop.create_future()
        self._waiters.append(waiter)
        timer = loop.call_later(self.wait_s, _expire, waiter)
        try:
            got = await waiter
        except BaseException:  # cancelled (client gone): give back a slot handed to us
            if waiter.done() and not waiter.cancelled() and waiter.result():
                self.leave()
            raise
        finally:
            timer.cancel()
            if waiter in self._waiters:
                self._waiters.remove(waiter)
        if not got:
            self.shed += 1
        return got

    def leave(self) -> None:
        """Give the slot back: to the first request still waiting, else free it."""
        if self.limit <= 0:
            return
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(True)  # the slot passes on; running stays the same
                return
        self.running -= 1


def _expire(waiter: asyncio.Future[bool]) -> None:
    if not waiter.done():
        waiter.set_result(False)


class LoadShed:
    """ASGI middleware: every request but static files, the health check and the event stream
    passes a :class:`Gate` (reads or writes) or is answered 503 + ``Retry-After`` at once."""

    def __init__(self, app: ASGIApp, *, limits: Limits) -> None:
        self.app = app
        self.limits = limits
        self.reads = Gate(limit=limits.reads, queue=limits.queue, wait_s=limits.wait_s)
        self.writes = Gate(limit=limits.writes, queue=limits.queue, wait_s=limits.wait_s)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(_PASS_PREFIXES):
            await self.app(scope, receive, send)
            return
        write = scope["method"] not in _SAFE
        gate = self.writes if write else self.reads
        if not await gate.enter():
            await self._refuse(scope, send, write=write, gate=gate)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            gate.leave()

    async def _refuse(self, scope: Scope, send: Send, *, write: bool, gate: Gate) -> None:
        kind = "write" if write else "read"
        retry_s = max(1, math.ceil(gate.wait_s / 2))
        error = Overloaded(
            f"the server is busy ({gate.running} {kind}s running, {gate.waiting} waiting); "
            f"nothing was done, try again in {retry_s} s",
            detail={"kind": kind, "running": gate.running, "waiting": gate.waiting},
        )
        if gate.shed % 100 == 1:  # the first of a burst, then one line a hundred
            log.warning("load shed: %s (%d %ss shed so far)", error.message, gate.shed, kind)
        body = shown_json(scope, error.to_dict())
        await send(
            {
                "type": "http.response.start",
                "status": 503,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"retry-after", str(retry_s).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
