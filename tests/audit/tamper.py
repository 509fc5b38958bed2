"""Tests that forge the audit log must first lift its append-only triggers (migration 0010), as
a forger with the table owner's rights could; inside a test's transaction, rolled back after."""

from __future__ import annotations

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session


def as_forger(db: Session | Connection) -> None:
    """Drop the triggers that refuse UPDATE and DELETE on ``audit_log`` (PostgreSQL: disable
    them) in ``db``'s transaction."""
    bind = db.get_bind() if isinstance(db, Session) else db
    if bind.dialect.name == "postgresql":
        db.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_append_only"))
    else:
        db.execute(text("DROP TRIGGER IF EXISTS audit_append_only_update"))
        db.execute(text("DROP TRIGGER IF EXISTS audit_append_only_delete"))
