"""Basic information (一标三实): standard addresses, premises, key areas."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pingan.places.kinds import PREMISES_KINDS
from pingan.store.base import Base, EncryptedStr, UTCDateTime, utcnow

__all__ = ["PREMISES_KINDS", "Address", "KeyArea", "Premises"]


class Address(Base):
    """A standard address (标准地址) with its point and cell."""

    __tablename__ = "addresses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    text_zh: Mapped[str] = mapped_column(String(300))
    # parts of the label where known (migration 0012_addresses; pingan.geocoding)
    road_zh: Mapped[str | None] = mapped_column(String(100))
    door_no: Mapped[str | None] = mapped_column(String(20))
    building: Mapped[str | None] = mapped_column(String(40))
    unit: Mapped[str | None] = mapped_column(String(40))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id"), index=True)
    jpath: Mapped[str] = mapped_column(String(255), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_addresses_lat_lon", "lat", "lon"),)


class Premises(Base):
    """A unit/premises (实有单位): school, hospital, market, rental house and so on.

    Contact name and phone are personal data: encrypted at rest, masked in lists, and every read
    of them is audited; ``contact_recorded_at`` drives the retention rule.
    """

    __tablename__ = "premises"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    address_id: Mapped[int | None] = mapped_column(ForeignKey("addresses.id"))
    address_text: Mapped[str | None] = mapped_column(String(300))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id"), index=True)
    jpath: Mapped[str] = mapped_column(String(255), index=True)
    capacity: Mapped[int] = mapped_column(Integer, default=0)
    police_room: Mapped[bool] = mapped_column(Boolean, default=False)
    contact_name: Mapped[str | None] = mapped_column(EncryptedStr(512))
    contact_phone: Mapped[str | None] = mapped_column(EncryptedStr(512))
    contact_recorded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class KeyArea(Base):
    """A rapid-response key area (快速处置重点区域) with its response standard."""

    __tablename__ = "key_areas"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32), default="other")
    geometry: Mapped[str] = mapped_column(Text)
    min_lon: Mapped[float] = mapped_column(Float)
    min_lat: Mapped[float] = mapped_column(Float)
    max_lon: Mapped[float] = mapped_column(Float)
    max_lat: Mapped[float] = mapped_column(Float)
    centroid_lon: Mapped[float] = mapped_column(Float)
    centroid_lat: Mapped[float] = mapped_column(Float)
    response_standard_s: Mapped[int] = mapped_column(Integer)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id"), index=True)
    jpath: Mapped[str] = mapped_column(String(255), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
