"""Writing and verifying the hash-chained audit log.

Every change, and every view of a person's data, calls :func:`record` inside the same
transaction as the change. Records are chained: ``hash = sha256(prev_hash + canonical JSON)``.
Appends are serialised per database (PostgreSQL: a transaction-scoped advisory lock; SQLite:
write transactions already hold the database write lock from ``BEGIN IMMEDIATE``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.audit.models import AuditRecord
from pingan.store.base import utcnow

__all__ = ["GENESIS", "Actor", "VerifyReport", "iter_records", "record", "verify"]

GENESIS = "0" * 64
_ADVISORY_LOCK_KEY = 7_316_001  # arbitrary constant: "pingan audit chain"


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


def _canonical(rec: AuditRecord) -> str:
    body = {
        "seq": rec.seq,
        "at": rec.at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor_id": rec.actor_id,
        "actor": rec.actor,
        "action": rec.action,
        "entity": rec.entity,
        "entity_id": rec.entity_id,
        "jpath": rec.jpath,
        "ip": rec.ip,
        "detail": rec.detail,
    }
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _hash(prev_hash: str, canonical: str) -> str:
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


def record(
    session: Session,
    *,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: str | int | None = None,
    jpath: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditRecord:
    """Append one audit record in the caller's transaction (the caller commits)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(_ADVISORY_LOCK_KEY)))
    last = session.execute(
        select(AuditRecord.seq, AuditRecord.hash).order_by(AuditRecord.seq.desc()).limit(1)
    ).first()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    rec = AuditRecord(
        seq=seq,
        at=utcnow(),
        actor_id=actor.id,
        actor=actor.name,
        action=action,
        entity=entity,
        entity_id=None if entity_id is None else str(entity_id),
        jpath=jpath,
        ip=actor.ip,
        detail=json.dumps(detail or {}, sort_keys=True, ensure_ascii=False, default=str),
        prev_hash=prev,
    )
    rec.hash = _hash(prev, _canonical(rec))
    session.add(rec)
    session.flush()
    return rec


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
        after = rows[-1].seq


def verify(session: Session) -> VerifyReport:
    """Walk the chain; report the first record that was altered, inserted or removed.

    O(n) in the number of records, reading in batches of 5,000.
    """
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
