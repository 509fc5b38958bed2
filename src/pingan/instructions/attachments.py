"""Attachments of instructions: files the issuer attaches, photos a recipient attaches to a
report. Bytes are content-addressed under ``data_dir/attachments``; rows keep the metadata."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.audit.service import record
from pingan.auth.service import Principal
from pingan.config import get_settings
from pingan.errors import Invalid, NotFound, PermissionDenied
from pingan.instructions.models import (
    InstructionAttachment,
    InstructionEvent,
)
from pingan.instructions.service import (
    can_act_as_issuer,
    can_act_as_recipient,
    get_or_raise,
    recipient_or_raise,
    visible_recipients,
)
from pingan.store.base import utcnow
from pingan.store.timeline import Timeline

__all__ = [
    "ALLOWED_CONTENT_TYPES",
    "MAX_ATTACHMENT_BYTES",
    "add_attachment",
    "attachment_path",
    "attachments_of",
    "get_attachment_or_raise",
]

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
ALLOWED_CONTENT_TYPES: tuple[str, ...] = (
    "image/jpeg",
    "image/png",
    "image/webp",
    "image/heic",
    "application/pdf",
    "text/plain",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
)


def attachment_path(sha256: str) -> Path:
    """Where the bytes of an attachment live (content-addressed under ``data_dir``)."""
    return get_settings().data_dir / "attachments" / sha256[:2] / sha256


def add_attachment(
    session: Session,
    *,
    principal: Principal,
    instruction_id: int,
    filename: str,
    content_type: str,
    data: bytes,
    recipient_id: int | None = None,
) -> InstructionAttachment:
    """Store a file for an instruction (issuing side) or a recipient's report (recipient side);
    at most :data:`MAX_ATTACHMENT_BYTES`, of a type in :data:`ALLOWED_CONTENT_TYPES`."""
    if recipient_id is None:
        ins = get_or_raise(session, principal=principal, instruction_id=instruction_id)
        if not can_act_as_issuer(principal, ins):
            raise PermissionDenied(
                "only the issuing office may attach files to the instruction; recipients attach "
                "photos to their report with recipient_id",
                field="recipient_id",
            )
    else:
        ins, rec = recipient_or_raise(
            session, principal=principal, instruction_id=instruction_id, recipient_id=recipient_id
        )
        if not can_act_as_recipient(principal, rec):
            raise PermissionDenied("only the recipient may attach report photos", field="file")
    if not data:
        raise Invalid("file", "is empty")
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise Invalid(
            "file", f"is {len(data)} bytes; at most {MAX_ATTACHMENT_BYTES} bytes (10 MiB)"
        )
    ctype = (content_type or "").split(";")[0].strip().lower()
    if ctype not in ALLOWED_CONTENT_TYPES:
        raise Invalid(
            "file",
            f"type {ctype or 'unknown'!r} is not accepted; use photos (JPEG, PNG), PDF, "
            "text, Word or Excel files",
        )
    name = Path(filename or "file").name.strip()[:200] or "file"
    digest = hashlib.sha256(data).hexdigest()
    path = attachment_path(digest)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        tmp.write_bytes(data)
        tmp.replace(path)
    att = InstructionAttachment(
        instruction_id=ins.id,
        recipient_id=recipient_id,
        filename=name,
        content_type=ctype,
        size_bytes=len(data),
        sha256=digest,
        storage_path=str(path.relative_to(get_settings().data_dir)),
        uploaded_by_id=principal.user_id,
    )
    session.add(att)
    session.flush()
    Timeline(session, InstructionEvent, instruction_id=ins.id, recipient_id=recipient_id)(
        kind="attachment",
        at=utcnow(),
        actor_id=principal.user_id,
        note=name,
        data={"attachment_id": att.id, "size_bytes": len(data)},
    )
    record(
        session,
        actor=principal.actor,
        action="attach",
        entity="instruction",
        entity_id=ins.id,
        jpath=ins.jpath,
        detail={"attachment_id": att.id, "filename": name, "sha256": digest, "bytes": len(data)},
    )
    return att


def get_attachment_or_raise(
    session: Session, *, principal: Principal, instruction_id: int, attachment_id: int
) -> InstructionAttachment:
    """An attachment of an instruction the caller can see."""
    ins = get_or_raise(session, principal=principal, instruction_id=instruction_id)
    att = session.get(InstructionAttachment, attachment_id)
    if att is None or att.instruction_id != ins.id:
        raise NotFound(f"instruction {instruction_id} has no attachment {attachment_id}")
    if att.recipient_id is not None:
        visible = {r.id for r in visible_recipients(session, principal=principal, ins=ins)}
        if att.recipient_id not in visible:
            raise NotFound(f"instruction {instruction_id} has no attachment {attachment_id}")
    return att


def attachments_of(session: Session, *, instruction_id: int) -> list[InstructionAttachment]:
    """Every attachment of an instruction (the caller filters by visible recipients)."""
    return list(
        session.scalars(
            select(InstructionAttachment)
            .where(InstructionAttachment.instruction_id == instruction_id)
            .order_by(InstructionAttachment.id)
        )
    )
