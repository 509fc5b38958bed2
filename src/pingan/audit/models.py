"""The append-only, hash-chained audit log."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pingan.store.base import Base, UTCDateTime

__all__ = ["AuditChainHead", "AuditRecord"]


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


class AuditChainHead(Base):
    """The chain's last link, in one row (``id`` 1): the ``seq``, ``prev_hash`` and ``hash`` of
    the newest record, moved in the same transaction as every record that joins the chain.

    Writers take their place in the chain by updating this row (its row lock orders them), and
    ``pingan audit verify`` checks the chain against it: records removed from the end of the
    chain, which the links alone cannot show, are reported as missing (migration 0009)."""

    __tablename__ = "audit_chain_head"
    __table_args__ = (CheckConstraint("id = 1", name="one_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
