"""The bearer-token cache, and how a revocation reaches every process at once.

A validated token is trusted for ``TOKEN_CACHE_S`` seconds without a database lookup: the hot
write path (incident intake) then answers the caller on the event loop. A token stops being
valid when it is revoked or its user is disabled; each of those moves the one-row
``auth_revocation.generation`` on in the same transaction (:func:`bump`). Every process keeps a
:class:`Watcher` per database that reads the generation every ``POLL_S`` seconds in a thread of
its own; a cached token is used only while the generation it was cached under is still the
current one and the watcher has read it within ``STALE_S`` (a watcher that cannot read the
database turns the cache off). The process that revokes also forgets its cache at once
(:func:`forget_all`, after the commit).

So a revoked token is refused by the revoking process at once, and by every other process
within ``POLL_S`` (0.2 s), instead of living out its 10 s in their caches.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from pingan.auth.models import AuthRevocation

if TYPE_CHECKING:
    from pingan.auth.service import Principal

__all__ = [
    "POLL_S",
    "STALE_S",
    "TOKEN_CACHE_S",
    "Watcher",
    "bump",
    "cached",
    "forget_all",
    "remember",
    "watcher_for",
]

log = logging.getLogger(__name__)

TOKEN_CACHE_S = 10.0
POLL_S = 0.2
STALE_S = 1.0
_MAX_ENTRIES = 10_000

_GENERATION = select(AuthRevocation.generation).where(AuthRevocation.id == 1)


def bump(session: Session) -> None:
    """Move the revocation generation on, in the caller's transaction (the caller commits, then
    calls :func:`forget_all`)."""
    session.execute(
        update(AuthRevocation)
        .where(AuthRevocation.id == 1)
        .values(generation=AuthRevocation.generation + 1)
        .execution_options(synchronize_session=False)
    )


class Watcher:
    """The current revocation generation of one database, read every ``POLL_S`` seconds by a
    daemon thread (which ends when the engine is garbage-collected)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = weakref.ref(engine)
        self.generation = -1
        self.read_at = float("-inf")
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.poll(engine)

    def fresh(self) -> bool:
        """Whether the generation was read within ``STALE_S`` seconds."""
        return time.monotonic() - self.read_at < STALE_S

    def poll(self, engine: Engine) -> bool:
        """Read the generation now; forget the cached tokens if it moved. Whether it was read."""
        try:
            with engine.connect() as conn:
                gen = int(conn.execute(_GENERATION).scalar_one())
        except Exception as exc:  # a database that is gone or busy: the cache goes off
            log.debug("revocation generation unreadable: %s", exc)
            return False
        with self._lock:
            if gen != self.generation:
                if self.generation != -1:
                    forget_all()
                self.generation = gen
            self.read_at = time.monotonic()
        return True

    def start(self) -> None:
        """Start the polling thread (once)."""
        with self._lock:
            if self._thread is not None:
                return
            self._thread = threading.Thread(
                target=self._run, name="pingan-revocation-watcher", daemon=True
            )
            self._thread.start()

    def _run(self) -> None:
        wait_s = POLL_S
        while True:
            time.sleep(wait_s)
            engine = self._engine()
            if engine is None:
                return
            ok = self.poll(engine)
            del engine
            # a database that is down: the cache is off (stale) and the polls back off to 5 s
            wait_s = POLL_S if ok else min(wait_s * 2, 5.0)


_watchers: weakref.WeakKeyDictionary[Engine, Watcher] = weakref.WeakKeyDictionary()
_watchers_lock = threading.Lock()


def watcher_for(engine: Engine) -> Watcher:
    """The process's watcher of ``engine`` (made and started on first use: one read)."""
    w = _watchers.get(engine)
    if w is None:
        with _watchers_lock:
            w = _watchers.get(engine)
            if w is None:
                w = _watchers[engine] = Watcher(engine)
                w.start()
    return w


@dataclass(frozen=True)
class _Entry:
    expires: float
    generation: int
    watcher: Watcher
    principal: Principal


_cache: dict[str, _Entry] = {}


def cached(token: str) -> Principal | None:
    """The principal of ``token`` if cached, unexpired, and no revocation happened since."""
    e = _cache.get(token)
    if e is None or e.expires <= time.monotonic():
        return None
    w = e.watcher
    if e.generation != w.generation or not w.fresh():
        return None
    return e.principal


def remember(token: str, principal: Principal, *, watcher: Watcher, generation: int) -> None:
    """Cache ``token``'s principal; ``generation`` is the watcher's generation read *before*
    the token was looked up (so a revocation committed after the lookup invalidates it)."""
    if len(_cache) > _MAX_ENTRIES:
        _cache.clear()
    _cache[token] = _Entry(time.monotonic() + TOKEN_CACHE_S, generation, watcher, principal)


def forget_all() -> None:
    """Forget every cached token (after a revocation commits, and in tests)."""
    _cache.clear()
