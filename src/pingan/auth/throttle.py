"""Failed sign-ins per client address, across accounts (a database row per address, so every
worker process counts the same failures).

An address with ``login_throttle_failures`` failures inside ``login_throttle_window_s`` seconds
is refused (429 with ``Retry-After``) until its window ends, before any password is checked. The
count is one ``INSERT … ON CONFLICT DO UPDATE … RETURNING``: concurrent failures are never lost.

Rows whose window has ended are deleted (:func:`purge_expired`) by each new failure and by the
scheduler's daily ``retention`` job, so the table holds at most the addresses that failed
within one window and cannot grow without bound (an indexed ``DELETE`` on ``window_start``).
"""

from __future__ import annotations

import datetime as dt
import math

from sqlalchemy import case, delete, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from pingan.auth.models import LoginThrottle
from pingan.config import get_settings
from pingan.errors import TooManyRequests
from pingan.store.base import UTCDateTime

__all__ = ["check_address", "count_failure", "purge_expired"]


def check_address(session: Session, *, ip: str | None, now: dt.datetime) -> None:
    """Raise :class:`TooManyRequests` if ``ip`` has used up its failures in this window."""
    if not ip:
        return
    s = get_settings()
    row = session.execute(
        select(LoginThrottle.failures, LoginThrottle.window_start).where(LoginThrottle.ip == ip)
    ).first()
    if row is None or row.failures < s.login_throttle_failures:
        return
    ends = row.window_start + dt.timedelta(seconds=s.login_throttle_window_s)
    if ends <= now:
        return
    wait_s = max(1, math.ceil((ends - now).total_seconds()))
    raise TooManyRequests(
        f"too many failed sign-ins from this address ({row.failures} in "
        f"{s.login_throttle_window_s} s); try again in {wait_s} s",
        retry_after_s=wait_s,
        field="username",
    )


def count_failure(session: Session, *, ip: str | None, now: dt.datetime) -> int:
    """Count one failed sign-in from ``ip`` (atomically); the address's failures in its window."""
    if not ip:
        return 0
    s = get_settings()
    cutoff = now - dt.timedelta(seconds=s.login_throttle_window_s)
    purge_expired(session, now=now)
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(LoginThrottle).values(ip=ip[:64], window_start=now, failures=1)
    expired = LoginThrottle.window_start < cutoff
    upsert = stmt.on_conflict_do_update(
        index_elements=[LoginThrottle.ip],
        set_={
            "failures": case((expired, 1), else_=LoginThrottle.failures + 1),
            "window_start": case(
                (expired, literal(now, UTCDateTime())), else_=LoginThrottle.window_start
            ),
        },
    ).returning(LoginThrottle.failures)
    return int(session.execute(upsert).scalar_one())


def purge_expired(session: Session, *, now: dt.datetime) -> int:
    """Delete the addresses whose window ended before ``now`` (their count would start again
    at 1 anyway); the number deleted. O(expired rows), by the index on ``window_start``."""
    cutoff = now - dt.timedelta(seconds=get_settings().login_throttle_window_s)
    result = session.execute(
        delete(LoginThrottle)
        .where(LoginThrottle.window_start < cutoff)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
