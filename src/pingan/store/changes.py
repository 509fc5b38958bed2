"""Wake this process's live streams when a transaction that wrote commits.

The event stream (``GET /api/v1/incidents/stream``) reads the changes since its last read every
``poll_s`` (0.5 s): a dispatch seen by a second screen waited a quarter of a second on average
for the next read. Every engine made by :func:`pingan.store.engine.make_engine` marks a
connection that ran an INSERT, UPDATE or DELETE and, when that connection commits, wakes every
stream of this process, which reads :data:`MIN_GAP_S` later (the commit has landed by then,
and a burst of commits is read once). A change
written by another worker process is still seen at the next regular read.

O(1) per statement (a prefix test) and O(w) per commit that wrote, for w streams open.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine, event

__all__ = ["MIN_GAP_S", "notify", "track_writes", "waiter"]

MIN_GAP_S = 0.05
"""A woken stream reads this long after the wake (the commit event comes just before the
COMMIT), and so at most this often in a burst of commits."""

_WRITES = ("INSERT", "UPDATE", "DELETE")
_waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()
_lock = threading.Lock()


def notify() -> None:
    """Wake every stream of this process (from any thread)."""
    with _lock:
        waiting = list(_waiters)
    for loop, wake in waiting:
        with contextlib.suppress(RuntimeError):  # its loop closed meanwhile
            loop.call_soon_threadsafe(wake.set)


@contextlib.contextmanager
def waiter() -> Iterator[asyncio.Event]:
    """An event of the running loop, set whenever a write commits in this process."""
    entry = (asyncio.get_running_loop(), asyncio.Event())
    with _lock:
        _waiters.add(entry)
    try:
        yield entry[1]
    finally:
        with _lock:
            _waiters.discard(entry)


def track_writes(engine: Engine) -> None:
    """Mark ``engine``'s connections that write, and :func:`notify` when one commits."""

    @event.listens_for(engine, "before_cursor_execute")
    def _statement(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip()[:6].upper() in _WRITES:
            conn.info["pingan_wrote"] = True

    @event.listens_for(engine, "commit")
    def _commit(conn: Any) -> None:
        # fired just before the COMMIT: a woken stream waits MIN_GAP_S before it reads
        if conn.info.pop("pingan_wrote", False):
            notify()

    @event.listens_for(engine, "rollback")
    def _rollback(conn: Any) -> None:
        conn.info.pop("pingan_wrote", None)
