"""Rate limits of the public side.

- :func:`hit` counts a request under a key (``report:ip:<hash>``, ``report:dev:<hash>``,
  ``o311:<key id>``) in a fixed window, in the database (every worker counts the same), and
  raises ``TooManyRequests`` (429 with ``Retry-After``) past the limit. The caller commits the
  count on its own, before the work, so that refused requests count too.
- :class:`ReadLimiter` limits public reads (pages, lookups) per address per minute in the
  process: cheap, and a worker that restarts forgets (reads change nothing).
- :func:`spend` records a proof-of-work nonce once; a second use is refused.

Addresses and device ids are stored as keyed hashes (HMAC under the session secret), never raw.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import threading
import time
from collections import OrderedDict

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from pingan.citizens.models import PublicThrottle
from pingan.errors import Invalid, TooManyRequests

__all__ = ["ReadLimiter", "hashed", "hit", "purge", "spend"]


def hashed(key: bytes, value: str) -> str:
    """A keyed hash of an address or a device id (32 hex characters)."""
    return hmac.new(key, b"pingan-public:" + value.encode(), hashlib.sha256).hexdigest()[:32]


def hit(
    session: Session,
    *,
    key: str,
    limit: int,
    window_s: int,
    now: dt.datetime,
    field: str = "client",
) -> int:
    """Count one request under ``key``; past ``limit`` in the window raise ``TooManyRequests``
    naming how long to wait. Returns the count so far. One row read and written per call."""
    row = session.get(PublicThrottle, key, with_for_update=True)
    if row is None or now - row.window_start >= dt.timedelta(seconds=window_s):
        if row is None:
            row = PublicThrottle(key=key, window_start=now, count=0)
            session.add(row)
        else:
            row.window_start, row.count = now, 0
    row.count += 1
    session.flush()
    if row.count > limit:
        wait = window_s - int((now - row.window_start).total_seconds())
        raise TooManyRequests(
            f"too many requests from this {field}: at most {limit} in {window_s // 60} minutes; "
            f"try again in {max(wait, 1)} s",
            retry_after_s=max(wait, 1),
            field=field,
        )
    return row.count


def spend(session: Session, *, nonce: str, now: dt.datetime) -> None:
    """Spend a proof-of-work nonce; a nonce already spent is refused (``pow``)."""
    key = f"pow:{nonce}"
    if session.get(PublicThrottle, key) is not None:
        raise Invalid("pow", "this challenge was already used; load the form again")
    session.add(PublicThrottle(key=key, window_start=now, count=1))
    session.flush()


def purge(session: Session, *, before: dt.datetime) -> int:
    """Forget counters and spent nonces whose window began before ``before``."""
    old = select(PublicThrottle.key).where(PublicThrottle.window_start < before)
    n = len(session.scalars(old).all())
    session.execute(delete(PublicThrottle).where(PublicThrottle.window_start < before))
    return n


class ReadLimiter:
    """At most ``per_min`` reads per key in a sliding minute, in this process (LRU of 10,000
    keys). ``check`` answers the seconds to wait, 0 when the read may go."""

    def __init__(self, per_min: int, *, size: int = 10_000) -> None:
        self.per_min = per_min
        self.size = size
        self._seen: OrderedDict[str, list[float]] = OrderedDict()
        self._lock = threading.Lock()

    def check(self, key: str, *, now_s: float | None = None) -> int:
        now = now_s if now_s is not None else time.monotonic()
        with self._lock:
            stamps = [t for t in self._seen.pop(key, []) if now - t < 60.0]
            if len(stamps) >= self.per_min:
                self._seen[key] = stamps
                return max(1, int(60.0 - (now - stamps[0])) + 1)
            stamps.append(now)
            self._seen[key] = stamps
            while len(self._seen) > self.size:
                self._seen.popitem(last=False)
            return 0
