"""Changes of the services ledger, each committing once with its audit record."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from pingan.audit.service import record
from pingan.auth.service import Principal
from pingan.ledger import service
from pingan.ledger.schemas import EntryCreate, EntryRead

__all__ = ["entry_create_flow"]


def entry_create_flow(
    session: Session, *, principal: Principal, data: EntryCreate, now: dt.datetime | None = None
) -> EntryRead:
    """Record a service done by the caller (audited with its kind, minutes and place)."""
    row = service.create_entry(session, principal=principal, data=data, now=now)
    record(
        session,
        actor=principal.actor,
        action="create",
        entity="ledger_entry",
        entity_id=row.id,
        jpath=row.jpath,
        detail={
            "kind": row.kind,
            "minutes": row.minutes,
            "at": row.at.isoformat(),
            "cell_id": row.cell_id,
            "note_chars": len(row.note),
        },
    )
    out = service.entry_read(session, row)
    session.commit()
    return out
