"""Writing and verifying the hash-chained audit log.

Every change, and every view of a person's data, calls :func:`record` inside the same
transaction as the change. Records are chained: ``hash = sha256(prev_hash + canonical JSON)``,
and the one-row table ``audit_chain_head`` holds the newest record's ``seq``, ``prev_hash`` and
``hash``, moved in the same transaction as every record that joins the chain.

Linking is serialised per database. On SQLite, write transactions already hold the database
write lock from ``BEGIN IMMEDIATE``, so :func:`record` links the record at once from the head.
On PostgreSQL, :func:`record` writes the record's canonical JSON up to its sequence number
(``chain_input``) and a deferred constraint trigger (migrations 0007 and 0009) links it at
COMMIT by moving the head, whose row lock orders concurrent commits: the lock is held for the
commit only, not for the rest of the request, and the hash it computes is the same
``sha256(prev_hash + canonical JSON)``. A record that is rolled back never takes a place in the
chain. :func:`seal` links the pending records of the current transaction early (``verify``
calls it).

:func:`verify` walks the chain up to the head: an altered record breaks its hash, a removed
one leaves a gap or (removed from the end) a chain shorter than its head says.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, insert, select, text, update
from sqlalchemy.orm import Session

from pingan.audit.models import AuditChainHead, AuditRecord
from pingan.errors import Invalid
from pingan.store.base import utcnow
from pingan.store.driver import DriverStatement
from pingan.store.sqlite import writing

__all__ = [
    "GENESIS",
    "Actor",
    "ChainHead",
    "ChainHeadMissing",
    "Entry",
    "VerifyReport",
    "chain_head",
    "iter_records",
    "newest_records",
    "parse_anchor",
    "record",
    "record_many",
    "record_many_on",
    "seal",
    "verify",
]

GENESIS = "0" * 64


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
_HEAD = cast(Table, AuditChainHead.__table__)
_INSERT = insert(_TABLE)
_SEQ_MARK = -7_316_001
_COLUMNS = [c.key for c in _TABLE.columns if c.key != "id"]
_INSERT_DRIVER = DriverStatement(_INSERT, columns=_COLUMNS)
_HEAD_ROW = select(_HEAD.c.seq, _HEAD.c.prev_hash, _HEAD.c.hash).where(_HEAD.c.id == 1)
_HEAD_DRIVER = DriverStatement(_HEAD_ROW)
_MOVE_HEAD_DRIVER = DriverStatement(
    update(_HEAD)
    .where(_HEAD.c.id == 1)
    .values(seq=bindparam("seq"), prev_hash=bindparam("prev_hash"), hash=bindparam("hash"))
)


class ChainHeadMissing(RuntimeError):
    """The one-row table ``audit_chain_head`` has no row: nothing can join the chain."""

    def __init__(self) -> None:
        super().__init__(
            "the audit chain head (audit_chain_head, id 1) is missing; run `pingan audit verify`"
        )


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

    One INSERT (and on SQLite a read and an update of the chain head). On PostgreSQL the record's
    ``seq``, ``prev_hash`` and ``hash`` are set at COMMIT (or by :func:`seal`); on SQLite at once.
    """
    record_many(session, [Entry(actor, action, entity, entity_id, jpath, detail)])


def record_many(session: Session, entries: Sequence[Entry]) -> None:
    """Append audit records in order, in the caller's transaction: one multi-row INSERT (and on
    SQLite a read of the chain head, the chain in Python, and the head moved). O(len(entries))."""
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
        _INSERT_DRIVER.execute_many(conn, rows)
        return
    writing(conn)  # a view's record in a read transaction: queue as a writer first (SQLite)
    head = _HEAD_DRIVER.rows(conn, _HEAD_DRIVER.execute(conn, {}))
    if not head:
        raise ChainHeadMissing()
    seq, prev = int(head[0][0]), str(head[0][2])
    for values in rows:
        seq += 1
        values["seq"] = seq
        values["prev_hash"] = prev
        values["hash"] = prev = _hash(prev, _canonical_of(values))
    _INSERT_DRIVER.execute_many(conn, rows)
    last = rows[-1]
    _MOVE_HEAD_DRIVER.execute(
        conn, {"seq": last["seq"], "prev_hash": last["prev_hash"], "hash": last["hash"]}
    ).close()


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
    code: str | None = None
    """What broke, for pages to say in their language: ``missing``, ``prev_hash``,
    ``content``, ``anchor``, ``cut_back``, ``head_missing``, ``head_mismatch``,
    ``beyond_head``, ``unlinked``."""


def iter_records(
    session: Session, *, batch: int = 5000, upto: int | None = None
) -> Iterator[AuditRecord]:
    """Every audit record in chain order (up to ``seq`` ``upto`` when given), read in batches."""
    after = 0
    while True:
        q = select(AuditRecord).where(AuditRecord.seq > after)
        if upto is not None:
            q = q.where(AuditRecord.seq <= upto)
        rows = session.scalars(q.order_by(AuditRecord.seq).limit(batch)).all()
        if not rows:
            return
        yield from rows
        after = int(rows[-1].seq or 0)


@dataclass(frozen=True)
class ChainHead:
    """Where the chain ends: the newest record's ``seq`` and ``hash``. Written down outside the
    database now and then, it is an anchor that :func:`verify` checks later
    (``pingan audit verify --anchor SEQ:HASH``): a rewrite of the whole chain cannot match it."""

    seq: int
    hash: str

    @property
    def anchor(self) -> str:
        """``SEQ:HASH``, as :func:`parse_anchor` reads it."""
        return f"{self.seq}:{self.hash}"


def chain_head(session: Session) -> ChainHead | None:
    """The chain's head (after linking this transaction's pending records); ``None`` if its row
    is missing."""
    seal(session)
    row = session.execute(_HEAD_ROW).first()
    return None if row is None else ChainHead(int(row.seq), str(row.hash))


_ANCHOR = re.compile(r"([0-9]{1,10}):([0-9a-f]{64})")


def parse_anchor(value: str) -> tuple[int, str]:
    """``SEQ:HASH`` (a record's number and its 64 hex digits) as a pair; :class:`Invalid`
    naming ``anchor`` otherwise."""
    m = _ANCHOR.fullmatch(value.strip().lower())
    if m is None or int(m.group(1)) < 1:
        raise Invalid(
            "anchor",
            f"{value[:80]!r} is not SEQ:HASH (a record number from 1, a colon, 64 hex digits)",
        )
    return int(m.group(1)), m.group(2)


def newest_records(
    session: Session,
    *,
    entity: str | None = None,
    action: str | None = None,
    before_seq: int | None = None,
    limit: int = 100,
) -> list[AuditRecord]:
    """Records in the chain, newest first, of one ``entity`` kind and ``action`` when given,
    older than ``before_seq`` (keyset paging): one read of at most ``limit`` rows down the
    ``seq`` index."""
    q = select(AuditRecord).where(AuditRecord.seq.is_not(None))
    if entity:
        q = q.where(AuditRecord.entity == entity)
    if action:
        q = q.where(AuditRecord.action == action)
    if before_seq:
        q = q.where(AuditRecord.seq < before_seq)
    return list(session.scalars(q.order_by(AuditRecord.seq.desc()).limit(limit)))


_BEYOND_HEAD = text(
    "SELECT min(a.seq) FROM audit_log a JOIN audit_chain_head h ON h.id = 1 WHERE a.seq > h.seq"
)
_UNLINKED = text("SELECT min(id) FROM audit_log WHERE seq IS NULL")


def verify(session: Session, *, anchors: Sequence[tuple[int, str]] = ()) -> VerifyReport:
    """Walk the chain up to its head; report the first record that was altered, inserted or
    removed. ``anchors`` are ``(seq, hash)`` pairs written down earlier (:class:`ChainHead`):
    each record must still have its hash, and the chain must still reach it.

    The head is read first, so records that other transactions commit during the walk are
    left for the next run. Then: every record from 1 to the head's ``seq`` must be there, each
    one's ``prev_hash`` the hash of the one before and its ``hash`` its content's; the last
    one must be the head (records removed from the end leave a chain shorter than its head);
    no record may lie beyond the head or outside the chain (no ``seq``).

    O(n) in the number of records, reading in batches of 5,000.
    """
    seal(session)
    head = session.execute(_HEAD_ROW).first()
    if head is None:
        return VerifyReport(
            False, 0, None, "the chain head (audit_chain_head) is missing", "head_missing"
        )
    anchored = dict(anchors)
    prev = last_prev = GENESIS
    expected_seq = 1
    checked = 0
    for rec in iter_records(session, upto=head.seq):
        if rec.seq != expected_seq:
            return VerifyReport(
                False, checked, expected_seq, f"record {expected_seq} is missing", "missing"
            )
        if rec.prev_hash != prev:
            return VerifyReport(
                False, checked, rec.seq, "prev_hash does not match the record before", "prev_hash"
            )
        if _hash(prev, _canonical(rec)) != rec.hash:
            return VerifyReport(
                False, checked, rec.seq, "content does not match its hash", "content"
            )
        if rec.seq in anchored and anchored[rec.seq] != rec.hash:
            return VerifyReport(False, checked, rec.seq, "hash does not match the anchor", "anchor")
        last_prev, prev = prev, rec.hash
        expected_seq += 1
        checked += 1
    if checked < head.seq:
        return VerifyReport(
            False, checked, expected_seq, f"record {expected_seq} is missing", "missing"
        )
    if (head.prev_hash, head.hash) != (last_prev, prev):
        return VerifyReport(
            False,
            checked,
            head.seq or None,
            f"the chain head does not match record {head.seq}",
            "head_mismatch",
        )
    if anchored and max(anchored) > head.seq:
        return VerifyReport(
            False,
            checked,
            head.seq + 1,
            f"record {head.seq + 1} is missing (the chain ends at {head.seq}; "
            f"an anchor reached {max(anchored)})",
            "cut_back",
        )
    beyond = session.execute(_BEYOND_HEAD).scalar()
    if beyond is not None:
        return VerifyReport(
            False, checked, int(beyond), "the record lies beyond the chain head", "beyond_head"
        )
    unlinked = session.execute(_UNLINKED).scalar()
    if unlinked is not None:
        return VerifyReport(
            False,
            checked,
            None,
            f"audit record id {unlinked} has no place in the chain",
            "unlinked",
        )
    return VerifyReport(True, checked)
