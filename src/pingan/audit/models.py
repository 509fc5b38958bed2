"""The append-only, hash-chained audit log."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pingan.store.base import Base, UTCDateTime

__all__ = ["AuditRecord"]


class AuditRecord(Base):
    """Who did or saw what, when, from where.

    ``hash = sha256(prev_hash || canonical JSON of the record)``; altering or removing any row
    breaks the chain at that row, which ``pingan audit verify`` reports. ``seq``, ``prev_hash``
    and ``hash`` are empty only inside the transaction that writes the record, on PostgreSQL,
    where the chain is linked at COMMIT from ``chain_input`` (see :mod:`pingan.audit.service`).
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int | None] = mapped_column(Integer, unique=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(Integer, index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64), index=True)
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    jpath: Mapped[str | None] = mapped_column(String(255))
    ip: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text, default="{}")
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))
    chain_input: Mapped[str | None] = mapped_column(Text)
