"""Reads and writes of the services ledger. An entry's place comes from its point: the grid
cell, community and station it falls in (``jurisdictions.service.assign_points``); its local
day is taken in the bureau's time zone. Reads are scoped to the caller's jurisdiction, and a
community officer reads only their own entries (``ledger.read`` is ``own`` for them). Nothing
here commits."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from pingan.auth.models import User
from pingan.auth.service import Principal, scope_clause
from pingan.config import get_settings
from pingan.errors import Invalid
from pingan.jurisdictions.models import Jurisdiction
from pingan.jurisdictions.service import assign_points
from pingan.ledger.models import KINDS, LedgerEntry
from pingan.ledger.schemas import (
    By,
    EntryCreate,
    EntryPage,
    EntryRead,
    Period,
    SummaryRead,
    SummaryRow,
)
from pingan.permissions import scope_of
from pingan.schemas import paginate
from pingan.store.base import utcnow

__all__ = [
    "MAX_AGE_DAYS",
    "Place",
    "check_note",
    "create_entry",
    "entry_read",
    "list_entries",
    "local_tz",
    "place_of",
    "summary",
]

MAX_AGE_DAYS = 31
"""How far back an entry may be dated (a phone offline for days still sends its queue)."""
FUTURE_SLACK = dt.timedelta(minutes=10)
"""How far ahead of the server's clock an entry's time may lie (phone clocks drift)."""


def local_tz() -> ZoneInfo:
    """The bureau's time zone (the ledger's days and months are local)."""
    return ZoneInfo(get_settings().timezone)


@dataclass(frozen=True)
class Place:
    """Where a point falls: its finest jurisdiction's path, the cell, community and station."""

    jpath: str
    cell_id: int | None
    community_id: int | None
    station_id: int | None


def place_of(session: Session, *, lon: float, lat: float, field: str = "lon") -> Place:
    """The cell, community and station of a point (``Invalid`` naming ``field`` when the
    point lies outside every jurisdiction)."""
    a = assign_points(session, [lon], [lat])
    if int(a.jurisdiction_id[0]) < 0:
        raise Invalid(field, f"the point ({lon}, {lat}) lies outside every jurisdiction")
    jpath = str(a.jpath[0])
    ids = [int(x) for x in jpath.strip("/").split("/") if x]
    levels = dict(
        session.execute(
            select(Jurisdiction.level, Jurisdiction.id).where(Jurisdiction.id.in_(ids))
        ).all()
    )
    return Place(jpath, levels.get("cell"), levels.get("community"), levels.get("station"))


_PERSONAL = re.compile(
    r"(?<!\d)(1[3-9]\d{9}|\d{17}[\dXx]|\d{15})(?![\dXx])"  # a mobile or an ID card number
)


def check_note(note: str) -> str:
    """The note, stripped; ``Invalid`` naming ``note`` when it holds what looks like a mobile
    or ID card number (the ledger keeps no personal data of the person served)."""
    if _PERSONAL.search(note.replace(" ", "").replace("-", "")):
        raise Invalid(
            "note",
            "looks like a phone or ID card number; the ledger keeps no personal data of the "
            "person served",
        )
    return note.strip()


def _check_at(at: dt.datetime, now: dt.datetime) -> dt.datetime:
    if at.tzinfo is None:
        raise Invalid("at", "give a time zone, e.g. 2026-12-07T09:30:00+08:00")
    at = at.astimezone(dt.UTC)
    if at > now + FUTURE_SLACK:
        raise Invalid("at", f"{at.isoformat()} lies in the future")
    if at < now - dt.timedelta(days=MAX_AGE_DAYS):
        raise Invalid("at", f"lies more than {MAX_AGE_DAYS} days ago; record recent services")
    return at


def create_entry(
    session: Session, *, principal: Principal, data: EntryCreate, now: dt.datetime | None = None
) -> LedgerEntry:
    """Store a service done by the caller at a point of their jurisdiction (``Invalid`` naming
    ``at``, ``lon`` or ``note`` otherwise)."""
    at = _check_at(data.at, now or utcnow())
    if data.kind not in KINDS:  # the schema's Literal already refuses it; the CLI passes here
        raise Invalid("kind", f"{data.kind!r} is not a kind; use one of {', '.join(KINDS)}")
    place = place_of(session, lon=data.lon, lat=data.lat)
    if not principal.can_see(place.jpath):
        raise Invalid("lon", f"the point ({data.lon}, {data.lat}) lies outside your jurisdiction")
    row = LedgerEntry(
        officer_id=principal.user_id,
        kind=data.kind,
        at=at,
        day=at.astimezone(local_tz()).date(),
        lon=data.lon,
        lat=data.lat,
        cell_id=place.cell_id,
        community_id=place.community_id,
        station_id=place.station_id,
        jpath=place.jpath,
        minutes=data.minutes,
        note=check_note(data.note),
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    return row


def _names(session: Session, ids: set[int]) -> dict[int, tuple[str, str]]:
    if not ids:
        return {}
    rows = session.execute(
        select(Jurisdiction.id, Jurisdiction.name_zh, Jurisdiction.name_en).where(
            Jurisdiction.id.in_(ids)
        )
    ).all()
    return {r.id: (r.name_zh, r.name_en) for r in rows}


def _officers(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all()
    return {r.id: r.display_name for r in rows}


def entry_read(session: Session, row: LedgerEntry) -> EntryRead:
    """One entry with the names of its officer, cell and community."""
    names = _names(session, {i for i in (row.cell_id, row.community_id) if i is not None})
    out = EntryRead.model_validate(row)
    out.officer_name = _officers(session, {row.officer_id}).get(row.officer_id)
    out.cell_name = names.get(row.cell_id or 0, (None, None))[0]
    out.community_name = names.get(row.community_id or 0, (None, None))[0]
    return out


def _scoped(principal: Principal) -> Select[LedgerEntry]:
    q = select(LedgerEntry).where(scope_clause(principal, LedgerEntry.jpath))
    if scope_of(principal.role, "ledger.read") == "own":
        q = q.where(LedgerEntry.officer_id == principal.user_id)
    return q


def list_entries(
    session: Session,
    *,
    principal: Principal,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    officer_id: int | None = None,
    cell_id: int | None = None,
    community_id: int | None = None,
    kind: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> EntryPage:
    """The caller's entries (in scope; a community officer's own), newest first, filtered by
    time (``since`` inclusive, ``until`` exclusive), officer, cell, community and kind."""
    q = _scoped(principal)
    if since is not None:
        q = q.where(LedgerEntry.at >= since)
    if until is not None:
        q = q.where(LedgerEntry.at < until)
    if officer_id is not None:
        q = q.where(LedgerEntry.officer_id == officer_id)
    if cell_id is not None:
        q = q.where(LedgerEntry.cell_id == cell_id)
    if community_id is not None:
        q = q.where(LedgerEntry.community_id == community_id)
    if kind is not None:
        q = q.where(LedgerEntry.kind == kind)
    page = paginate(
        session,
        q.order_by(LedgerEntry.at.desc(), LedgerEntry.id.desc()),
        limit=limit,
        offset=offset,
        to=EntryRead.model_validate,
        page=EntryPage,
    )
    rows = page.items
    names = _names(session, {i for r in rows for i in (r.cell_id, r.community_id) if i is not None})
    officers = _officers(session, {r.officer_id for r in rows})
    for r in rows:
        r.officer_name = officers.get(r.officer_id)
        r.cell_name = names.get(r.cell_id or 0, (None, None))[0]
        r.community_name = names.get(r.community_id or 0, (None, None))[0]
    return page


def summary(
    session: Session,
    *,
    principal: Principal,
    by: By = "officer",
    period: Period = "day",
    since: dt.date | None = None,
    until: dt.date | None = None,
    today: dt.date | None = None,
    limit: int | None = None,
) -> SummaryRead:
    """Entries and minutes per officer, cell or community and per local day or month, from
    ``since`` to ``until`` (local days, both inclusive; default the last 30 days), in the
    caller's scope (a community officer: their own). Rows ordered by period, then most
    entries; with ``limit``, only the ``limit`` rows of the latest periods, newest first (the
    totals and ``rows_total`` still count every row: a bureau-wide month by cell and day is
    22,000 rows, 3.4 MB). One GROUP BY (key, day, kind) in the database; O(groups) here."""
    today = today or utcnow().astimezone(local_tz()).date()
    until = until or today
    since = since or until - dt.timedelta(days=29)
    if since > until:
        raise Invalid("since", f"{since} lies after until ({until})")
    if (until - since).days > 800:
        raise Invalid("since", "the window is longer than 800 days; ask for a shorter one")
    key_col = {
        "officer": LedgerEntry.officer_id,
        "cell": LedgerEntry.cell_id,
        "community": LedgerEntry.community_id,
    }[by]
    q = (
        _scoped(principal)
        .where(LedgerEntry.day >= since, LedgerEntry.day <= until)
        .with_only_columns(
            key_col,
            LedgerEntry.day,
            LedgerEntry.kind,
            func.count(),
            func.coalesce(func.sum(LedgerEntry.minutes), 0),
        )
        .group_by(key_col, LedgerEntry.day, LedgerEntry.kind)
    )
    acc: dict[tuple[int | None, str], list[int]] = {}
    kinds: dict[tuple[int | None, str], dict[str, int]] = defaultdict(dict)
    for key, day, kind, n, minutes in session.execute(q):
        p = day.isoformat() if period == "day" else day.strftime("%Y-%m")
        k = (key, p)
        a = acc.setdefault(k, [0, 0])
        a[0] += int(n)
        a[1] += int(minutes)
        kinds[k][kind] = kinds[k].get(kind, 0) + int(n)
    keys = {k for k, _ in acc if k is not None}
    if by == "officer":
        people = _officers(session, keys)
        names = {i: (n, n) for i, n in people.items()}
    else:
        names = _names(session, keys)
    rows = [
        SummaryRow(
            key_id=k,
            key_name=names.get(k or 0, ("—", "—"))[0],
            key_name_en=names.get(k or 0, ("—", "—"))[1],
            period=p,
            entries=v[0],
            minutes=v[1],
            by_kind=dict(sorted(kinds[(k, p)].items())),
        )
        for (k, p), v in acc.items()
    ]
    total_entries = sum(v[0] for v in acc.values())
    total_minutes = sum(v[1] for v in acc.values())
    rows_total = len(rows)
    if limit is not None:  # the latest periods first, only as many rows as asked for
        rows.sort(key=lambda r: (-r.entries, r.key_name))
        rows.sort(key=lambda r: r.period, reverse=True)
        rows = rows[:limit]
    else:
        rows.sort(key=lambda r: (r.period, -r.entries, r.key_name))
    return SummaryRead(
        by=by,
        period=period,
        since=since,
        until=until,
        rows=rows,
        rows_total=rows_total,
        total_entries=total_entries,
        total_minutes=total_minutes,
    )
