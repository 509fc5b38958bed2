"""Incidents: create (with CRS conversion, area assignment, repeat-call linking), transitions,
reads in the caller's scope, and the timeline."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple, cast

import numpy as np
from sqlalchemy import (
    BindParameter,
    Connection,
    Integer,
    Select,
    String,
    Table,
    and_,
    bindparam,
    insert,
    literal_column,
    select,
    text,
    true,
    update,
)
from sqlalchemy import column as sql_column
from sqlalchemy import values as sql_values
from sqlalchemy.orm import Session, aliased, make_transient_to_detached
from sqlalchemy.orm.util import identity_key

from pingan.aggregates import service as aggregates
from pingan.audit.service import Entry, record, record_many_on
from pingan.auth.service import Principal, get_scoped, scope_clause
from pingan.config import get_settings
from pingan.errors import Conflict, Invalid, PermissionDenied
from pingan.geo.crs import haversine_m, to_wgs84
from pingan.incidents.models import IdempotencyKey, Incident, IncidentEvent
from pingan.incidents.schemas import IncidentCreate
from pingan.incidents.taxonomy import get_taxonomy
from pingan.jurisdictions.service import assign_points
from pingan.store.base import (
    count_rows,
    count_upto,
    prefix_end,
    sorted_not_walked,
    unindexed,
    utcnow,
)
from pingan.store.driver import DriverStatement, pipeline
from pingan.store.planner import BandedSearch, lat_band, plan_each_call
from pingan.store.timeline import Timeline
from pingan.workflow import StateMachine

__all__ = [
    "COUNT_CAP",
    "LIFECYCLE",
    "NARROW_ROWS",
    "PATHS_MAX",
    "WINDOWS",
    "ListPage",
    "Plan",
    "PreparedIncident",
    "count",
    "create",
    "get_or_raise",
    "lat_band",
    "list_page",
    "list_query",
    "paths_query",
    "prepare_create",
    "request_hash",
    "reveal_caller",
    "scope_paths",
    "timeline",
    "transition",
    "write_create",
    "write_create_many",
]

LIFECYCLE = StateMachine(
    name="incident",
    initial="received",
    transitions={
        "received": ("dispatched", "resolved", "cancelled", "duplicate", "transferred"),
        "dispatched": ("en_route", "on_scene", "cancelled", "transferred"),
        "en_route": ("on_scene", "cancelled", "transferred"),
        "on_scene": ("resolved", "transferred"),
        "resolved": ("closed",),
        "closed": (),
        "cancelled": (),
        "duplicate": (),
        "transferred": (),
    },
    stamps={
        "dispatched": "dispatched_at",
        "en_route": "en_route_at",
        "on_scene": "on_scene_at",
        "resolved": "resolved_at",
        "closed": "closed_at",
    },
)


def request_hash(body: IncidentCreate) -> str:
    """A stable hash of a create request, for idempotency checks."""
    canon = json.dumps(body.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canon.encode("utf-8")).hexdigest()


_T_INC = cast(Table, Incident.__table__)
_T_EVENT = cast(Table, IncidentEvent.__table__)
_T_IDEM = cast(Table, IdempotencyKey.__table__)
# statements built once: each request binds values only (no statement building or cache keys)
_COUNT_REPEAT = (
    update(_T_INC)
    .where(_T_INC.c.id == bindparam("original_id"))
    .values(repeat_count=_T_INC.c.repeat_count + bindparam("n"), updated_at=bindparam("now"))
)
_RB: dict[str, BindParameter[Any]] = {
    k: bindparam(k) for k in ("subtype", "t0", "t1", "lat0", "lat1", "lon0", "lon1")
}


def _repeat_branch(i: int) -> Select[Any]:
    """The repeat-call search's branch for the ``i``-th latitude band: an equality on (subtype,
    lat_band) and a range on reported_at, served by one seek of ``ix_incidents_repeat_band``
    (see :class:`pingan.store.planner.BandedSearch`)."""
    c = _T_INC.c
    return select(c.id, c.reported_at, c.lon, c.lat).where(
        c.subtype == _RB["subtype"],
        c.lat_band == bindparam(f"b{i}"),
        c.reported_at.between(_RB["t0"], _RB["t1"]),
        c.lat.between(_RB["lat0"], _RB["lat1"]),
        c.lon.between(_RB["lon0"], _RB["lon1"]),
        c.repeat_of_id.is_(None),  # the partial index's own condition
        # written out, not bound: an expanding IN would render the SQL at every call
        c.state.not_in([literal_column("'cancelled'"), literal_column("'duplicate'")]),
    )


_REPEAT_SEARCH = BandedSearch(_repeat_branch)
"""The repeat-call search: originals near a point in a time window, by latitude bands; run by
:func:`_search`, planned with its values at each call while :func:`_plan_each_call` says so."""


def _plan_each_call(conn: Connection) -> bool:
    """Whether PostgreSQL plans the repeat-call search with its values at each call
    (:func:`pingan.store.planner.plan_each_call` on ``incidents``)."""
    return plan_each_call(conn, "incidents")


def _search_box(lon: float, lat: float) -> tuple[float, float]:
    """Half-sizes (degrees of longitude, latitude) of the box around the repeat radius."""
    dlat = get_settings().repeat_call_radius_m / 111_000.0
    return dlat / max(math.cos(math.radians(lat)), 1e-6), dlat


_KEY_DRIVER = DriverStatement(
    select(_T_IDEM.c.request_hash, _T_IDEM.c.incident_id).where(
        _T_IDEM.c.user_id == bindparam("user_id", type_=Integer),
        _T_IDEM.c.key == bindparam("key", type_=String),
    )
)
_NEXT_IDS = {
    # PostgreSQL: ids drawn from the column's sequence, as a plain INSERT would
    "postgresql": DriverStatement(
        text(
            "SELECT nextval(pg_get_serial_sequence('incidents', 'id')) FROM generate_series(1, :n)"
        ).bindparams(bindparam("n", type_=Integer))
    ),
    # SQLite: the rowids an INSERT would take (max + 1, ...): the write lock is held from BEGIN
    "sqlite": DriverStatement(text("SELECT coalesce(max(id), 0) FROM incidents")),
}
_INCIDENT_COLUMNS = [c.key for c in _T_INC.columns if c.key != "lat_band"]
_INSERT_INCIDENTS = DriverStatement(insert(_T_INC), columns=_INCIDENT_COLUMNS)
_EVENT_COLUMNS = [c.key for c in _T_EVENT.columns if c.key != "id"]
_INSERT_EVENT = DriverStatement(insert(_T_EVENT), columns=_EVENT_COLUMNS)
_IDEM_COLUMNS = ["user_id", "key", "request_hash", "incident_id", "created_at"]
_INSERT_IDEM = DriverStatement(insert(_T_IDEM), columns=_IDEM_COLUMNS)
_COUNT_REPEAT_DRIVER = DriverStatement(_COUNT_REPEAT)

Candidate = tuple[tuple[int, int], dt.datetime, float, float]
"""A possible original: ``((0, database id) or (1, batch position), reported_at, lon, lat)``."""


def _search(
    conn: Connection,
    *,
    subtype: str,
    lon: float,
    lat: float,
    at: dt.datetime,
    prepare: bool | None,
) -> Any:
    """Send the repeat-call search for one call: originals of ``subtype`` near (lon, lat) in
    the window around ``at``, by index seeks into the few latitude bands the box spans,
    O(log n + k) in the k entries of those bands in the window. Returns the statement and its
    cursor (read with :func:`_candidates`). ``prepare`` is psycopg's (see
    :func:`_plan_each_call`)."""
    window = dt.timedelta(seconds=get_settings().repeat_call_window_s)
    dlon, dlat = _search_box(lon, lat)
    params: dict[str, Any] = {
        "subtype": subtype,
        "t0": at - window,
        "t1": at + window,
        "lat0": lat - dlat,
        "lat1": lat + dlat,
        "lon0": lon - dlon,
        "lon1": lon + dlon,
    }
    return _REPEAT_SEARCH.send(conn, params, lat0=lat - dlat, lat1=lat + dlat, prepare=prepare)


def _candidates(conn: Connection, sent: Any) -> list[Candidate]:
    return [
        ((0, int(r[0])), r[1], float(r[2]), float(r[3])) for r in _REPEAT_SEARCH.rows(conn, sent)
    ]


def _nearest_in_time(
    candidates: Sequence[tuple[tuple[int, int], dt.datetime, float, float]],
    *,
    lon: float,
    lat: float,
    at: dt.datetime,
) -> tuple[int, int] | None:
    """The key of the candidate within the repeat radius nearest in time to ``at`` (ties: the
    lower key, so the earlier incident), or None. O(k)."""
    if not candidates:
        return None
    radius = get_settings().repeat_call_radius_m
    d = haversine_m(
        lon, lat, np.array([c[2] for c in candidates]), np.array([c[3] for c in candidates])
    )
    ok = [
        (abs((c[1] - at).total_seconds()), c[0])
        for c, m in zip(candidates, d, strict=True)
        if m <= radius
    ]
    return min(ok)[1] if ok else None


def _new_code(at: dt.datetime) -> str:
    return f"JQ{at:%Y%m%d}-{secrets.token_hex(4).upper()}"


@dataclass
class PreparedIncident:
    """A checked creation request, ready to write (:func:`prepare_create`)."""

    idempotency_key: str | None
    digest: str | None
    values: dict[str, Any]


IncidentRow = dict[str, Any]
"""An incident's stored columns by name (``id`` included; not the database-made ``lat_band``)."""


def row_of(inc: Incident) -> IncidentRow:
    """The stored columns of an incident object as an :data:`IncidentRow`."""
    return {c.key: getattr(inc, c.key) for c in _T_INC.columns if c.key != "lat_band"}


def create(
    session: Session,
    *,
    principal: Principal,
    data: IncidentCreate,
    idempotency_key: str | None = None,
) -> tuple[Incident, bool]:
    """Create an incident; returns ``(incident, created)``.

    With an ``idempotency_key`` a repeated request with the same body returns the first
    incident (``created`` False); the same key with a different body is a ``Conflict``.
    It is :func:`prepare_create` then :func:`write_create`; the API runs the two through the
    group writer (:mod:`pingan.store.group`), which shares one commit among concurrent calls.
    """
    prepared = prepare_create(
        session, principal=principal, data=data, idempotency_key=idempotency_key
    )
    return write_create(session, principal=principal, prepared=prepared)


def prepare_create(
    session: Session,
    *,
    principal: Principal,
    data: IncidentCreate,
    idempotency_key: str | None = None,
) -> PreparedIncident:
    """Check a creation request and compute its row without writing: the taxonomy, the CRS
    conversion, the cell/community/station, the caller's scope and the time. O(log cells)."""
    digest = None
    if idempotency_key is not None:
        if not 1 <= len(idempotency_key) <= 200:
            raise Invalid("Idempotency-Key", "must be 1-200 characters")
        digest = request_hash(data)
    sub = get_taxonomy().subtype(data.subtype)
    try:
        lon_a, lat_a = to_wgs84([data.lon], [data.lat], data.crs)
    except ValueError as exc:
        raise Invalid("lon", str(exc)) from None
    lon, lat = float(lon_a[0]), float(lat_a[0])
    assigned = assign_points(session, [lon], [lat])
    jid = int(assigned.jurisdiction_id[0])
    if jid < 0:
        raise Invalid(
            "lon",
            f"point ({data.lon}, {data.lat}) {data.crs} is outside every jurisdiction "
            "of this bureau",
        )
    jpath = str(assigned.jpath[0])
    if not principal.can_see(jpath):
        raise PermissionDenied("the incident location is outside your jurisdiction", field="lon")
    now = utcnow()
    at = data.reported_at or now
    if at.tzinfo is None:
        raise Invalid("reported_at", "must include a timezone, e.g. 2026-11-22T08:00:00+08:00")
    if at > now + dt.timedelta(minutes=5):
        raise Invalid("reported_at", "is in the future")
    values: dict[str, Any] = {
        "code": _new_code(at),
        "subtype": sub.code,
        "klass": sub.klass,
        "priority": data.priority or sub.priority,
        "source": data.source,
        "state": LIFECYCLE.initial,
        "summary": data.summary,
        "address_text": data.address_text,
        "lon": lon,
        "lat": lat,
        "input_crs": data.crs,
        "input_lon": data.lon,
        "input_lat": data.lat,
        "jurisdiction_id": jid,
        "jpath": jpath,
        "reported_at": at,
        "dispatched_at": None,
        "en_route_at": None,
        "on_scene_at": None,
        "resolved_at": None,
        "closed_at": None,
        "repeat_of_id": None,
        "repeat_count": 0,
        "caller_name": data.caller_name,
        "caller_phone": data.caller_phone,
        "dataset": None,
        "external_id": None,
        "created_by_id": principal.user_id,
        "created_at": now,
        "updated_at": now,
    }
    return PreparedIncident(idempotency_key, digest, values)


def write_create(
    session: Session, *, principal: Principal, prepared: PreparedIncident
) -> tuple[Incident, bool]:
    """Write one prepared creation (:func:`write_create_many` of one); the new incident is
    attached to the session as written, without being read back."""
    row, created = write_create_many(session, [(principal, prepared)])[0]
    if not created:
        return get_or_raise(session, principal=principal, incident_id=int(row["id"])), False
    inc = Incident(**row)
    make_transient_to_detached(inc)
    session.add(inc)
    return inc, True


def write_create_many(
    session: Session, items: Sequence[tuple[Principal, PreparedIncident]]
) -> list[tuple[IncidentRow, bool]]:
    """Write prepared creations in order, as if one after another: replay each whose
    idempotency key was seen, link each to the call it repeats (in the database or earlier in
    ``items``), insert the incidents, their timelines, the repeat counts, the keys and the
    audit records. Returns ``(row, created)`` per item: the row as written (no ORM object is
    made, nothing is read back), or for a replay the first incident's row.

    Two round trips on PostgreSQL whatever the batch size (psycopg's pipeline mode,
    :mod:`pingan.store.driver`): one sends the key lookups, the repeat-call searches (index
    seeks, see :func:`_search`) and draws the new ids (:func:`_look_up`); the other sends every
    write (:func:`_write`; the caller's commit is a third). The statements run on the driver's
    cursor, not through SQLAlchemy's execution (about 0.1-0.2 ms of Python a statement).
    Replays read the first incident through the ORM. O(n·k) in the n items and the k
    candidates each search finds.
    Safe to run again on the same ``items`` after a rollback (see :mod:`pingan.store.group`).

    The steps, each over the whole batch: :func:`_look_up` (first round trip),
    :func:`_sort_out` (replays and keys used again), :func:`_link_repeats` (ids and repeat
    calls), :func:`_writes_of` (timelines, keys, audit records), :func:`_write` (second round
    trip), then the answers of keys used twice in the batch.
    """
    conn = session.connection()
    seen_keys, found, fresh = _look_up(conn, items)
    out, new, again = _sort_out(session, items, seen_keys)
    rows = _link_repeats(items, new, found, fresh)
    writes = _writes_of(items, new, rows)
    for values, i in zip(rows, new, strict=True):
        out[i] = (values, True)
    _write(session, conn, rows, writes)
    for i, first in again.items():  # the first was written (or replayed) above
        first_row = out[first]
        if first_row is None:
            raise AssertionError("an idempotency key's first use in the batch has no answer")
        _same_body(items[i][1], items[first][1].digest)
        out[i] = (dict(first_row[0]), False)
    done = [o for o in out if o is not None]
    if len(done) != len(items):
        raise AssertionError("every item is either written or replayed")
    return done


Items = Sequence[tuple[Principal, PreparedIncident]]


def _look_up(
    conn: Connection, items: Items
) -> tuple[list[list[tuple[Any, ...]] | None], list[list[Candidate]], Iterator[int]]:
    """The first round trip: for each item the earlier use of its idempotency key (None
    without a key), the repeat-call candidates in the database; and the new ids, in order."""
    dialect = conn.dialect.name
    # on PostgreSQL planned with its values while the statistics do not describe the table
    prepare = False if _plan_each_call(conn) else None
    with pipeline(conn) as sync:
        keys_sent = [
            None
            if prepared.idempotency_key is None
            else _KEY_DRIVER.execute(
                conn, {"user_id": principal.user_id, "key": prepared.idempotency_key}
            )
            for principal, prepared in items
        ]
        searches = [
            _search(
                conn,
                subtype=p.values["subtype"],
                lon=p.values["lon"],
                lat=p.values["lat"],
                at=p.values["reported_at"],
                prepare=prepare,
            )
            for _, p in items
        ]
        ids_stmt = _NEXT_IDS["postgresql" if dialect == "postgresql" else "sqlite"]
        ids_sent = ids_stmt.execute(conn, {"n": len(items)})
        sync()
        seen_keys = [None if c is None else _KEY_DRIVER.rows(conn, c) for c in keys_sent]
        found = [_candidates(conn, s) for s in searches]
        drawn = [int(r[0]) for r in ids_stmt.rows(conn, ids_sent)]
    fresh = iter(
        drawn if dialect == "postgresql" else range(drawn[0] + 1, drawn[0] + 1 + len(items))
    )
    return seen_keys, found, fresh


def _sort_out(
    session: Session, items: Items, seen_keys: list[list[tuple[Any, ...]] | None]
) -> tuple[list[tuple[IncidentRow, bool] | None], list[int], dict[int, int]]:
    """Which items insert and which answer with an earlier incident: the answers so far (the
    replays of keys seen in the database), the positions that insert, in order, and the
    positions whose key an earlier item of the batch used (position -> the first's)."""
    out: list[tuple[IncidentRow, bool] | None] = [None] * len(items)
    new: list[int] = []
    again: dict[int, int] = {}
    first_of: dict[tuple[int | None, str], int] = {}
    for i, (principal, prepared) in enumerate(items):
        key = prepared.idempotency_key
        if key is not None:
            if (principal.user_id, key) in first_of:
                again[i] = first_of[(principal.user_id, key)]
                continue
            hit = seen_keys[i]
            if hit:
                out[i] = (row_of(_replay_of(session, principal, prepared, *hit[0])), False)
                continue
            first_of[(principal.user_id, key)] = i
        new.append(i)
    return out, new, again


def _link_repeats(
    items: Items, new: list[int], found: list[list[Candidate]], fresh: Iterator[int]
) -> list[dict[str, Any]]:
    """The rows of the new incidents, in the order of ``new``: each with its id and, when it
    repeats a call (in the database or earlier in the batch), linked to the nearest in time
    as a ``duplicate`` (the batch's originals counting their repeats)."""
    rows: list[dict[str, Any]] = []
    window = dt.timedelta(seconds=get_settings().repeat_call_window_s)
    for i in new:
        values = dict(items[i][1].values)  # a retry starts again from the prepared row
        values["id"] = next(fresh)
        lon, lat, at, sub = values["lon"], values["lat"], values["reported_at"], values["subtype"]
        dlon, dlat = _search_box(lon, lat)
        candidates = found[i] + [
            ((1, j), o["reported_at"], o["lon"], o["lat"])
            for j, o in enumerate(rows)
            if o["repeat_of_id"] is None
            and o["subtype"] == sub
            and abs(o["reported_at"] - at) <= window
            and abs(o["lat"] - lat) <= dlat
            and abs(o["lon"] - lon) <= dlon
        ]
        link = _nearest_in_time(candidates, lon=lon, lat=lat, at=at)
        values["state"] = "duplicate" if link is not None else LIFECYCLE.initial
        if link is not None:
            values["repeat_of_id"] = link[1] if link[0] == 0 else rows[link[1]]["id"]
            if link[0] == 1:
                rows[link[1]]["repeat_count"] += 1
        rows.append(values)
    return rows


@dataclass
class _Writes:
    """What the new incidents write beside their rows."""

    events: list[dict[str, Any]] = field(default_factory=list)
    gained: dict[int, int] = field(default_factory=dict)
    """database original id -> its repeats in this batch"""
    idem: list[dict[str, Any]] = field(default_factory=list)
    audit: list[Entry] = field(default_factory=list)


def _writes_of(items: Items, new: list[int], rows: list[dict[str, Any]]) -> _Writes:
    """The timeline entries (received; repeat call on the original), the repeat counts the
    database originals gain, the idempotency keys and the audit records of the new rows."""
    out = _Writes()
    in_batch = {values["id"] for values in rows}
    for values, i in zip(rows, new, strict=True):
        principal, prepared = items[i]
        now, new_id, original_id = values["created_at"], values["id"], values["repeat_of_id"]
        out.events.append(
            _event(new_id, now, "received", values["state"], principal.user_id, "", "{}")
        )
        if original_id is not None:
            if original_id not in in_batch:
                out.gained[original_id] = out.gained.get(original_id, 0) + 1
            out.events.append(
                _event(
                    original_id,
                    now,
                    "repeat_call",
                    None,
                    principal.user_id,
                    f"repeat call {values['code']} linked",
                    json.dumps({"incident_id": new_id}),
                )
            )
        if prepared.idempotency_key is not None:
            out.idem.append(
                {
                    "user_id": principal.user_id,
                    "key": prepared.idempotency_key,
                    "request_hash": prepared.digest,
                    "incident_id": new_id,
                    "created_at": now,
                }
            )
        out.audit.append(
            Entry(
                principal.actor,
                "create",
                "incident",
                new_id,
                values["jpath"],
                {"code": values["code"], "subtype": values["subtype"], "repeat_of": original_id},
            )
        )
    return out


def _write(session: Session, conn: Connection, rows: list[dict[str, Any]], writes: _Writes) -> None:
    """The second round trip: the rows (originals first: a repeat of the batch refers to a
    row inserted before it), timelines, repeat counts, keys and audit records; then the
    session forgets the counts it holds of the originals."""
    with pipeline(conn):
        _INSERT_INCIDENTS.execute_many(conn, rows)
        _INSERT_EVENT.execute_many(conn, writes.events)
        if writes.gained:
            # in id order: concurrent batches (other workers) lock the originals they count
            # in one order, so two of them cannot deadlock on a pair of originals
            now = rows[0]["created_at"]
            _COUNT_REPEAT_DRIVER.execute_many(
                conn,
                [
                    {"original_id": k, "n": writes.gained[k], "now": now}
                    for k in sorted(writes.gained)
                ],
            )
        _INSERT_IDEM.execute_many(conn, writes.idem)
        record_many_on(conn, writes.audit)
        aggregates.count_created(conn, rows)
    for original_id in writes.gained:
        stale = session.identity_map.get(identity_key(Incident, original_id))
        if stale is not None:
            session.expire(stale, ["repeat_count", "updated_at"])


def _replay_of(
    session: Session,
    principal: Principal,
    prepared: PreparedIncident,
    request_hash: str,
    incident_id: int,
) -> Incident:
    """The incident of a seen key, or a ``Conflict`` if the key came with another body."""
    _same_body(prepared, request_hash)
    return get_or_raise(session, principal=principal, incident_id=incident_id)


def _same_body(prepared: PreparedIncident, request_hash: str | None) -> None:
    """A ``Conflict`` unless ``prepared`` has the body its key was first used with."""
    if request_hash != prepared.digest:
        raise Conflict(
            "Idempotency-Key was already used with a different request body",
            field="Idempotency-Key",
        )


def _event(
    incident_id: int,
    at: dt.datetime,
    kind: str,
    to_state: str | None,
    actor_id: int | None,
    note: str,
    data: str,
) -> dict[str, Any]:
    return {
        "incident_id": incident_id,
        "at": at,
        "kind": kind,
        "from_state": None,
        "to_state": to_state,
        "actor_id": actor_id,
        "note": note,
        "data": data,
    }


def get_or_raise(session: Session, *, principal: Principal, incident_id: int) -> Incident:
    """The incident if it exists and is inside the caller's scope, else ``NotFound``."""
    return get_scoped(session, Incident, incident_id, principal=principal, what="incident")


def transition(
    session: Session,
    *,
    principal: Principal,
    incident_id: int,
    to_state: str,
    note: str = "",
    at: dt.datetime | None = None,
) -> Incident:
    """Move an incident along its lifecycle; illegal steps raise ``StateTransition`` (409)."""
    inc = get_or_raise(session, principal=principal, incident_id=incident_id)
    LIFECYCLE.check(inc.state, to_state)
    when = at or utcnow()
    if when < inc.reported_at:
        raise Invalid("at", "is before the incident was reported")
    previous = LIFECYCLE.apply(
        inc,
        to_state,
        at=when,
        actor=principal.user_id,
        note=note,
        timeline=Timeline(session, IncidentEvent, incident_id=inc.id),
    )
    aggregates.count_moved(session, inc, previous)
    record(
        session,
        actor=principal.actor,
        action="transition",
        entity="incident",
        entity_id=inc.id,
        jpath=inc.jpath,
        detail={"from": previous, "to": to_state},
    )
    return inc


NARROW_ROWS = 5_000
"""A list filter keeping at most this many rows is searched by its index and the rows sorted
by time (cheap); past it the rows are read in a time index's order, filtered as they come
(a page then reads about ``limit × all / matched`` rows, never sorts them all), or on
PostgreSQL newest first path by path (:data:`PATHS_MAX`)."""

COUNT_CAP = 10_000
"""A list counts its matches up to this many (the ``total`` of a page; ``total_exact`` false
past it): O(cap) index entries at most, however long the history. A whole province's
list (100 million incidents) would otherwise count for seconds before showing 50 rows; a
``since``/``until`` bound or a filter narrow enough gives the exact number."""

PATHS_MAX = 128
"""On PostgreSQL, a scope holding at most this many distinct jurisdiction paths (a station and
its communities and grids) is paged newest first path by path when the list is wide: each
path's newest rows by the scope index, merged (:func:`paths_query`). Past it (a city, a
district) the time-index walk of a wide page reads few rows anyway (``limit × all /
matched``)."""

Plan = Literal["count", "narrow", "wide"]
"""How :func:`list_query` lets the database search (see :func:`list_page`): ``count`` the
matches, a ``narrow`` page (at most :data:`NARROW_ROWS` matches: found by the scope's or the
bbox's index, then sorted) or a ``wide`` one (read in the order of a time index)."""


def _filters(
    principal: Principal,
    plan: Plan,
    *,
    state: str | None = None,
    subtype: str | None = None,
    klass: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    include_repeats: bool = True,
    source: str | None = None,
) -> list[Any]:
    """The conditions of a list other than its scope (see :func:`list_query`)."""
    wide = plan == "wide"
    scoped = principal.jpath != "/"
    by_filter = wide or (not scoped and not bbox)  # state, klass, subtype lead
    conds: list[Any] = []
    for column, value in (
        (Incident.state, state),
        (Incident.subtype, subtype),
        (Incident.klass, klass),
    ):
        if value:
            conds.append((column if by_filter else unindexed(column)) == value)
    if source:
        conds.append(unindexed(Incident.source) == source)  # few online; checked on the rows
    when: Any = Incident.reported_at if wide or not scoped else unindexed(Incident.reported_at)
    if since:
        conds.append(when >= since)
    if until:
        conds.append(when <= until)
    if bbox:
        by_box = not wide and not scoped
        lon: Any = Incident.lon if by_box else unindexed(Incident.lon)
        lat: Any = Incident.lat if by_box else unindexed(Incident.lat)
        conds += [lon.between(bbox[0], bbox[2]), lat.between(bbox[1], bbox[3])]
    if not include_repeats:
        conds.append(Incident.repeat_of_id.is_(None))
    return conds


def list_query(principal: Principal, *, plan: Plan = "narrow", **filters: Any) -> Select[Any]:
    """A scoped, filtered query of incidents, newest first (the caller pages it). Filters:
    ``state``, ``subtype``, ``klass``, ``since``, ``until``, ``bbox`` (W, S, E, N),
    ``include_repeats`` (default true) and ``source``.

    ``plan`` says which filters may be searched by their index (the others are checked on the
    rows found; SQLite, which keeps no statistics, would otherwise pick by the kind of
    condition, e.g. ``state = 'closed'``, nine rows in ten, before a cell's twenty rows). In a
    station's or a cell's scope the scope index leads a count or a narrow page (it covers every
    filter); bureau-wide the bbox's, else a filter's ``(x, reported_at)`` index; a wide page
    walks the time order of ``(state|klass|subtype, reported_at)`` or ``reported_at``."""
    conds: list[Any] = [scope_clause(principal, Incident.jpath, indexed=plan != "wide")]
    conds += _filters(principal, plan, **filters)
    # a narrow page's few matches are found by the filter's index and sorted, never met by
    # walking the time index (PostgreSQL, misled by an estimate, would: see sorted_not_walked)
    when: Any = (
        sorted_not_walked(Incident.reported_at) if plan == "narrow" else Incident.reported_at
    )
    return select(Incident).where(and_(*conds)).order_by(when.desc(), Incident.id.desc())


_PATHS_SQL = """
WITH RECURSIVE p(path, n) AS (
    (SELECT jpath COLLATE "C", 1 FROM incidents
     WHERE jpath COLLATE "C" >= :lo AND jpath COLLATE "C" < :hi{when}
     ORDER BY jpath COLLATE "C" LIMIT 1)
    UNION ALL
    SELECT (SELECT i.jpath COLLATE "C" FROM incidents i
            WHERE i.jpath COLLATE "C" > p.path AND i.jpath COLLATE "C" < :hi{when_i}
            ORDER BY i.jpath COLLATE "C" LIMIT 1),
           p.n + 1
    FROM p WHERE p.path IS NOT NULL AND p.n < :most
)
SELECT path FROM p WHERE path IS NOT NULL
"""
_SCOPE_PATHS = text(_PATHS_SQL.format(when="", when_i=""))
_SCOPE_PATHS_SINCE = text(
    _PATHS_SQL.format(when=" AND reported_at >= :since", when_i=" AND i.reported_at >= :since")
)


def scope_paths(
    session: Session,
    principal: Principal,
    *,
    most: int = PATHS_MAX + 1,
    since: dt.datetime | None = None,
) -> list[str]:
    """The distinct jurisdiction paths of the incidents in the caller's scope (reported from
    ``since`` on, if given), in byte order, at most ``most`` of them: a skip scan of the
    bytewise scope index, one index descent per path. On a table partitioned by month a
    descent is one per month read, so ``since`` (which prunes the months before it) keeps it
    short; on one table ``since`` would read each path's older rows, leave it out there.
    PostgreSQL only. O(paths × log rows)."""
    lo = principal.jpath
    params: dict[str, Any] = {"lo": lo, "hi": prefix_end(lo), "most": most}
    if since is not None:
        params["since"] = since
    q = _SCOPE_PATHS if since is None else _SCOPE_PATHS_SINCE
    return [str(r[0]) for r in session.execute(q, params)]


WINDOWS = (dt.timedelta(days=31), dt.timedelta(days=366))
"""On a table partitioned by month, a wide list read path by path tries the newest month, then
the last year, before the whole history: a full page from a window is the page (every row
outside it is older), and the window prunes the months before it."""


def paths_query(
    principal: Principal, paths: Sequence[str], *, depth: int, **filters: Any
) -> Select[Any]:
    """The scope's incidents newest first, read path by path: for each of ``paths`` (those of
    :func:`scope_paths`) its newest ``depth`` matches by the scope index ``(jpath,
    reported_at, …)`` in a ``LATERAL`` subquery, then merged by time. A page of ``limit`` rows
    at ``offset`` needs ``depth = offset + limit``. The same rows as :func:`list_query` (every
    match lies on one of the paths) at O(paths × depth) index entries, however many rows the
    scope holds in all: a station's whole-history list at 100 million incidents reads its
    communities' newest rows, not the bureau's time index. PostgreSQL only (``LATERAL``)."""
    if not paths:
        raise ValueError("paths: at least one")
    listed = sql_values(sql_column("path", String), name="scope_paths").data([(p,) for p in paths])
    top = (
        select(Incident)
        .where(Incident.jpath == listed.c.path, *_filters(principal, "narrow", **filters))
        .order_by(Incident.reported_at.desc(), Incident.id.desc())
        .limit(depth)
        .correlate(listed)
        .lateral("path_top")
    )
    row = aliased(Incident, top)
    return (
        select(row)
        .select_from(listed)
        .join(top, true())
        .order_by(row.reported_at.desc(), row.id.desc())
    )


class ListPage(NamedTuple):
    """One page of a list: its rows, the number of matches (up to :data:`COUNT_CAP`), whether
    that number is exact, and the plan that read the page."""

    rows: list[Incident]
    total: int
    exact: bool
    plan: str


def list_page(
    session: Session,
    principal: Principal,
    *,
    limit: int,
    offset: int,
    now: dt.datetime | None = None,
    **filters: Any,
) -> ListPage:
    """One page of :func:`list_query` and the number of incidents it matches: counted first
    (``plan="count"``, from an index alone in a station's or cell's scope, at most
    :data:`COUNT_CAP` + 1 entries), then the page read by the plan that suits that number:
    ``narrow`` up to :data:`NARROW_ROWS`; past it, on PostgreSQL in a scope of at most
    :data:`PATHS_MAX` paths, ``paths`` (:func:`paths_query`; on a table partitioned by month
    within :data:`WINDOWS` of ``until`` or ``now`` first), else ``wide``. O(min(matched, cap))
    index entries for the count; O(matched) more when narrow, O(paths × (offset + limit))
    by paths, O((offset + limit) × all / matched) when wide."""
    q0 = list_query(principal, plan="count", **filters)
    counted = count_upto(session, q0, COUNT_CAP)
    total, exact = min(counted, COUNT_CAP), counted <= COUNT_CAP
    if total <= NARROW_ROWS:
        q = list_query(principal, plan="narrow", **filters).limit(limit).offset(offset)
        return ListPage(list(session.scalars(q)), total, exact, "narrow")
    if principal.jpath != "/" and session.get_bind().dialect.name == "postgresql":
        rows = _page_by_paths(
            session, principal, limit=limit, offset=offset, now=now, matched=total, **filters
        )
        if rows is not None:
            return ListPage(rows, total, exact, "paths")
    q = list_query(principal, plan="wide", **filters).limit(limit).offset(offset)
    return ListPage(list(session.scalars(q)), total, exact, "wide")


_TABLE_STATE = text(
    "SELECT c.relkind, CASE WHEN c.relkind = 'p' THEN (SELECT min(p.reltuples) FROM pg_inherits i "
    "JOIN pg_class p ON p.oid = i.inhrelid WHERE i.inhparent = c.oid) ELSE c.reltuples END, "
    "CASE WHEN c.relkind = 'p' THEN (SELECT sum(greatest(p.reltuples, 0)) FROM pg_inherits i "
    "JOIN pg_class p ON p.oid = i.inhrelid WHERE i.inhparent = c.oid) ELSE c.reltuples END "
    "FROM pg_class c WHERE c.oid = to_regclass('incidents')"
)


def _table_state(session: Session) -> tuple[bool, float | None]:
    """Whether ``incidents`` is partitioned, and its rows as PostgreSQL last counted them
    (``reltuples``, summed over the partitions; None while any was never analyzed). O(months)."""
    row = session.execute(_TABLE_STATE).one_or_none()
    if row is None:
        return False, None
    kind, least, rows = row
    unknown = least is None or float(least) < 0
    return kind == "p", None if unknown else float(rows or 0)


def _page_by_paths(
    session: Session,
    principal: Principal,
    *,
    limit: int,
    offset: int,
    now: dt.datetime | None,
    matched: int,
    **filters: Any,
) -> list[Incident] | None:
    """A page read path by path (:func:`paths_query`), or None when the time index reads fewer
    rows: more than :data:`PATHS_MAX` paths, or so many that paths × ``matched`` (the matches
    counted, a lower bound past the cap) reaches the table's rows, i.e. paths ≥ all / matched,
    the rows a time-index walk reads per match. On a partitioned table the windows of
    :data:`WINDOWS` come first."""
    since: dt.datetime | None = filters.pop("since", None)
    until: dt.datetime | None = filters.get("until")
    partitioned, rows_in_table = _table_state(session)
    attempts: list[dt.datetime | None] = [None]
    if partitioned:
        end = until or now or utcnow()
        attempts = [end - w for w in WINDOWS if since is None or end - w > since] + [None]
    for start in attempts:
        lower = since if start is None else start
        paths = scope_paths(session, principal, since=start)
        if len(paths) > PATHS_MAX:
            return None
        if start is None and rows_in_table is not None and len(paths) * matched >= rows_in_table:
            return None  # a large share of the table: the time index finds a page sooner
        if not paths:
            if start is None:
                return []
            continue
        q = paths_query(principal, paths, depth=offset + limit, since=lower, **filters)
        rows = list(session.scalars(q.limit(limit).offset(offset)))
        if len(rows) == limit or start is None:
            return rows
    return None  # not reached: the last attempt has no window


count = count_rows
"""Number of rows a list query matches (:func:`pingan.store.base.count_rows`)."""


def timeline(session: Session, *, principal: Principal, incident_id: int) -> list[IncidentEvent]:
    """Every event of an incident in time order."""
    get_or_raise(session, principal=principal, incident_id=incident_id)
    return list(
        session.scalars(
            select(IncidentEvent)
            .where(IncidentEvent.incident_id == incident_id)
            .order_by(IncidentEvent.at, IncidentEvent.id)
        )
    )


def reveal_caller(
    session: Session, *, principal: Principal, incident_id: int, reason: str
) -> dict[str, str | None]:
    """The unmasked caller contact of an incident; the view itself is audited with its reason."""
    if not reason.strip():
        raise Invalid("reason", "say why you need the caller's contact data")
    inc = get_or_raise(session, principal=principal, incident_id=incident_id)
    record(
        session,
        actor=principal.actor,
        action="view_personal",
        entity="incident",
        entity_id=inc.id,
        jpath=inc.jpath,
        detail={"fields": ["caller_name", "caller_phone"], "reason": reason},
    )
    return {"caller_name": inc.caller_name, "caller_phone": inc.caller_phone}
