"""Photos of inspections and of rectification fixes: images only, at most 10 MiB, the bytes
content-addressed under ``data_dir/attachments`` (as instructions' attachments), a row each."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.auth.service import Principal
from pingan.config import get_settings
from pingan.errors import Invalid, NotFound
from pingan.keyplaces.models import KeyplacePhoto
from pingan.keyplaces.schemas import PhotoRead

__all__ = ["IMAGE_TYPES", "MAX_PHOTO_BYTES", "add_photo", "get_photo_or_raise", "photo_path"]

MAX_PHOTO_BYTES = 10 * 1024 * 1024
IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp", "image/heic")


def photo_path(sha256: str) -> Path:
    """Where the bytes of a photo live."""
    return get_settings().data_dir / "attachments" / sha256[:2] / sha256


def add_photo(
    session: Session,
    *,
    principal: Principal,
    entity: str,
    entity_id: int,
    jpath: str,
    filename: str,
    content_type: str,
    data: bytes,
) -> KeyplacePhoto:
    """Store a photo of an inspection or an order (the caller checked the row is in scope)."""
    if not data:
        raise Invalid("file", "is empty")
    if len(data) > MAX_PHOTO_BYTES:
        raise Invalid("file", f"is {len(data)} bytes; at most {MAX_PHOTO_BYTES} bytes (10 MiB)")
    ctype = (content_type or "").split(";")[0].strip().lower()
    if ctype not in IMAGE_TYPES:
        raise Invalid("file", f"type {ctype or 'unknown'!r} is not a photo; use JPEG, PNG or WebP")
    digest = hashlib.sha256(data).hexdigest()
    path = photo_path(digest)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        tmp.write_bytes(data)
        tmp.replace(path)
    row = KeyplacePhoto(
        entity=entity,
        entity_id=entity_id,
        filename=Path(filename or "photo").name.strip()[:200] or "photo",
        content_type=ctype,
        size_bytes=len(data),
        sha256=digest,
        jpath=jpath,
        uploaded_by_id=principal.user_id or None,
    )
    session.add(row)
    session.flush()
    return row


def get_photo_or_raise(session: Session, *, principal: Principal, photo_id: int) -> KeyplacePhoto:
    """A photo in scope, else ``NotFound``."""
    row = session.get(KeyplacePhoto, photo_id)
    if row is None or not principal.can_see(row.jpath):
        raise NotFound(f"photo {photo_id} does not exist or is outside your jurisdiction")
    return row


def photos_of(session: Session, entity: str, ids: list[int]) -> dict[int, list[PhotoRead]]:
    """The photos of rows of ``entity``, by row id."""
    out: dict[int, list[PhotoRead]] = {}
    if not ids:
        return out
    for r in session.scalars(
        select(KeyplacePhoto)
        .where(KeyplacePhoto.entity == entity, KeyplacePhoto.entity_id.in_(ids))
        .order_by(KeyplacePhoto.id)
    ):
        out.setdefault(r.entity_id, []).append(
            PhotoRead(
                id=r.id,
                filename=r.filename,
                content_type=r.content_type,
                size_bytes=r.size_bytes,
                url=f"/api/v1/keyplace-photos/{r.id}",
            )
        )
    return out
