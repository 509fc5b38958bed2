"""Audit log endpoints (administrators)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query

from pingan.api.deps import SessionDep, allowed
from pingan.api.errors import ErrorBody
from pingan.audit.service import chain_head, newest_records, parse_anchor, verify
from pingan.auth.service import Principal
from pingan.errors import Conflict
from pingan.inputs import Offset

router = APIRouter(prefix="/api/v1/audit", tags=["audit"], responses=ErrorBody)


@router.get("", operation_id="list_audit")
def list_audit(
    principal: Annotated[Principal, allowed("audit.read")],
    session: SessionDep,
    entity: str | None = None,
    action: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    before_seq: Offset | None = None,
) -> list[dict[str, Any]]:
    """Audit records, newest first (keyset paging with ``before_seq``)."""
    rows = newest_records(session, entity=entity, action=action, before_seq=before_seq, limit=limit)
    return [
        {
            "seq": r.seq,
            "at": r.at.isoformat(),
            "actor": r.actor,
            "action": r.action,
            "entity": r.entity,
            "entity_id": r.entity_id,
            "ip": r.ip,
            "detail": json.loads(r.detail),
            "hash": r.hash,
        }
        for r in rows
    ]


@router.get("/verify", operation_id="verify_audit")
def verify_audit(
    principal: Annotated[Principal, allowed("audit.read")],
    session: SessionDep,
    anchor: Annotated[
        list[str] | None,
        Query(
            description="SEQ:HASH from an earlier `GET /api/v1/audit/head`, kept outside the "
            "database: that record must still have that hash (repeatable)"
        ),
    ] = None,
) -> dict[str, Any]:
    """Walk the hash chain up to its head and report the first broken record, if any."""
    anchors = [parse_anchor(a) for a in anchor or []]
    rep = verify(session, anchors=anchors)
    return {
        "ok": rep.ok,
        "checked": rep.checked,
        "first_bad_seq": rep.first_bad_seq,
        "reason": rep.reason,
        "code": rep.code,
    }


@router.get("/head", operation_id="get_audit_head")
def get_audit_head(
    principal: Annotated[Principal, allowed("audit.read")], session: SessionDep
) -> dict[str, Any]:
    """Where the chain ends: the newest record's ``seq`` and ``hash``, and both as the
    ``anchor`` that ``verify`` checks later. 409 if the head's row is missing."""
    head = chain_head(session)
    if head is None:
        raise Conflict("the chain head (audit_chain_head) is missing", field="audit_chain_head")
    return {"seq": head.seq, "hash": head.hash, "anchor": head.anchor}
