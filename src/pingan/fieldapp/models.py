"""Tables of the field app: stored answers of ``Idempotency-Key`` requests and officers' units."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pingan.store.base import Base, UTCDateTime, utcnow

__all__ = ["FieldUnit", "RequestReplay"]


class RequestReplay(Base):
    """One ``Idempotency-Key`` of a signed-in user's POST/PUT/PATCH and the answer it got.

    ``status_code`` is 0 while the first request is still being answered. The incidents'
    create keeps its own table (``idempotency_keys``, which links the incident); this one
    serves every other route (:mod:`pingan.api.idempotency`). Rows are kept 48 h."""

    __tablename__ = "request_replays"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    endpoint: Mapped[str] = mapped_column(String(300))
    """method and path, e.g. ``POST /api/v1/disputes``"""
    body_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer, default=0)
    content_type: Mapped[str] = mapped_column(String(100), default="")
    response_body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_request_replays_user_key"),)


class FieldUnit(Base):
    """The unit (``resources``) whose position an officer's phone reports, and his duty switch:
    positions are accepted from him only while he is on duty."""

    __tablename__ = "field_units"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    resource_id: Mapped[int] = mapped_column(
        ForeignKey("resources.id", ondelete="CASCADE"), index=True
    )
    on_duty: Mapped[bool] = mapped_column(Boolean, default=False)
    duty_since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
