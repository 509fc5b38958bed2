"""Writing and verifying the hash-chained audit log.

Every change, and every view of a person's data, calls :func:`record` inside the same
transaction as the change. Records are chained: ``hash = sha256(prev_hash + canonical JSON)``.

Linking is serialised per database. On SQLite, write transactions already hold the database
write lock from ``BEGIN IMMEDIATE``, so :func:`record` links the record at once. On PostgreSQL,
:func:`record` writes the record's canonical JSON up to its sequence number (``chain_input``)
and a deferred constraint trigger (migration 0007) links it at COMMIT under a
transaction-scoped advisory lock: the lock is held for the commit only, not for the rest of the
request, and the hash it computes is the same ``sha256(prev_hash + canonical JSON)``. A record
that is rolled back never takes a place in the chain. :func:`seal` links the pending records of
the current transaction early (``verify`` calls it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Table, insert, select, text
from sqlalchemy.orm import Session

from pingan.audit.models import AuditRecord
from pingan.store.base import utcnow
from pingan.store.driver import DriverStatement

__all__ = [
    "GENESIS",
    "Actor",
    "Entry",
    "VerifyReport",
    "iter_records",
    "record",
    "record_many",
    "record_many_on",
    "seal",
    "verify",
]

GENESIS = "0" * 64
_ADVISORY_LOCK_KEY = 7_316_001  # "pingan audit chain"; the trigger of migration 0007 uses it


@dataclass(frozen=True)
class Actor:
    """Who acts: a user (id, name, scope path) or the system, and from which address."""

    id: int | None
    name: str
    jpath: str = "/"
    ip: str | None = None

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        """The actor for CLI commands and scheduled work."""
        return cls(id=None, name=name, jpath="/", ip=None)


_FIELDS = ("seq", "at", "actor_id", "actor", "action", "entity", "entity_id", "jpath", "ip")


def _canonical_of(values: Mapping[str, Any]) -> str:
    """The canonical JSON of a record's content (sorted keys, so ``seq`` comes last)."""
    body = {k: values[k] for k in _FIELDS}
    body["at"] = values["at"].astimezone(dt.UTC).isoformat(timespec="microseconds")
    body["detail"] = values["detail"]
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _canonical(rec: AuditRecord) -> str:
    return _canonical_of({k: getattr(rec, k) for k in (*_FIELDS, "detail")})


def _hash(prev_hash: str, canonical: str) -> str:
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


_TABLE = cast(Table, AuditRecord.__table__)
_INSERT = insert(_TABLE)
_LAST = (
    select(_TABLE.c.seq, _TABLE.c.hash)
    .where(_TABLE.c.seq.is_not(None))
    .order_by(_TABLE.c.seq.desc())
    .limit(1)
)
_SEQ_MARK = -7_316_001
_COLUMNS = [c.key for c in _TABLE.columns if c.key != "id"]
_INSERT_DRIVER = DriverStatement(_INSERT, columns=_COLUMNS)
_LAST_DRIVER = DriverStatement(_LAST)


@dataclass(frozen=True)
class Entry:
    """One audit record to append (:func:`record_many`)."""

    actor: Actor
    action: str
    entity: str
    entity_id: str | int | None = None
    jpath: str | None = None
    detail: dict[str, Any] | None = None


def record(
    session: Session,
    *,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: str | int | None = None,
    jpath: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one audit record in the caller's transaction (the caller commits).

    One INSERT (and on SQLite one indexed read of the last record). On PostgreSQL the record's
    ``seq``, ``prev_hash`` and ``hash`` are set at COMMIT (or by :func:`seal`); on SQLite at once.
    """
    record_many(session, [Entry(actor, action, entity, entity_id, jpath, detail)])


def record_many(session: Session, entries: Sequence[Entry]) -> None:
    """Append audit records in order, in the caller's transaction: one multi-row INSERT (and on
    SQLite one indexed read of the last record, then the chain in Python). O(len(entries))."""
    record_many_on(session.connection(), entries)


def record_many_on(conn: Connection, entries: Sequence[Entry]) -> None:
    """:func:`record_many` on a connection whose transaction has begun, run on the driver's
    cursor (:mod:`pingan.store.driver`): inside :func:`pingan.store.driver.pipeline` on
    PostgreSQL it adds no round trip of its own."""
    if not entries:
        return
    at = utcnow()
    rows: list[dict[str, Any]] = [
        {
            "seq": None,
            "at": at,
            "actor_id": e.actor.id,
            "actor": e.actor.name,
            "action": e.action,
            "entity": e.entity,
            "entity_id": None if e.entity_id is None else str(e.entity_id),
            "jpath": e.jpath,
            "ip": e.actor.ip,
            "detail": json.dumps(e.detail or {}, sort_keys=True, ensure_ascii=False, default=str),
            "prev_hash": None,
            "hash": None,
            "chain_input": None,
        }
        for e in entries
    ]
    if conn.dialect.name == "postgresql":
        for values in rows:
            values["chain_input"] = _chain_input(values)
    else:
        last = _LAST_DRIVER.rows(conn, _LAST_DRIVER.execute(conn, {}))
        prev = str(last[0][1]) if last else GENESIS
        seq = int(last[0][0] or 0) if last else 0
        for values in rows:
            seq += 1
            values["seq"] = seq
            values["prev_hash"] = prev
            values["hash"] = prev = _hash(prev, _canonical_of(values))
    _INSERT_DRIVER.execute_many(conn, rows)


def _chain_input(values: Mapping[str, Any]) -> str:
    """The canonical JSON of a record up to its sequence number: the database trigger hashes
    ``prev_hash || chain_input || seq || '}'`` (``seq`` is the last key in sorted order)."""
    canon = _canonical_of({**values, "seq": _SEQ_MARK})
    head, mark, tail = canon.rpartition(f'"seq":{_SEQ_MARK}')
    if not mark or tail != "}":
        raise AssertionError("audit canonical JSON must end with its seq")
    return head + '"seq":'


def seal(session: Session) -> None:
    """Link the audit records this transaction has written so far (PostgreSQL; on SQLite they
    are linked as they are written). The chain lock is then held until the transaction ends."""
    if session.get_bind().dialect.name != "postgresql":
        return
    session.flush()
    session.execute(text("SET CONSTRAINTS audit_link IMMEDIATE"))
    session.execute(text("SET CONSTRAINTS audit_link DEFERRED"))
    for obj in list(session.identity_map.values()):
        if isinstance(obj, AuditRecord) and obj.seq is None:
            session.expire(obj)  # loaded before it was linked


@dataclass(frozen=True)
class VerifyReport:
    """The outcome of :func:`verify`."""

    ok: bool
    checked: int
    first_bad_seq: int | None = None
    reason: str | None = None


def iter_records(session: Session, *, batch: int = 5000) -> Iterator[AuditRecord]:
    """Every audit record in chain order, read in batches."""
    after = 0
    while True:
        rows = session.scalars(
            select(AuditRecord)
            .where(AuditRecord.seq > after)
            .order_by(AuditRecord.seq)
            .limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        after = int(rows[-1].seq or 0)


def verify(session: Session) -> VerifyReport:
    """Walk the chain; report the first record that was altered, inserted or removed.

    O(n) in the number of records, reading in batches of 5,000.
    """
    seal(session)
    prev = GENESIS
    expected_seq = 1
    checked = 0
    for rec in iter_records(session):
        if rec.seq != expected_seq:
            return VerifyReport(False, checked, expected_seq, f"record {expected_seq} is missing")
        if rec.prev_hash != prev:
            return VerifyReport(
                False, checked, rec.seq, "prev_hash does not match the record before"
            )
        if _hash(prev, _canonical(rec)) != rec.hash:
            return VerifyReport(False, checked, rec.seq, "content does not match its hash")
        prev = rec.hash
        expected_seq += 1
        checked += 1
    return VerifyReport(True, checked)
