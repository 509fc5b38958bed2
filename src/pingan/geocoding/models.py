"""The geocoder's gazetteer: every searchable name with its point and jurisdiction.

One row per door plate (``kind="address"``, linked to its ``addresses`` row), premises
(``"premises"``, kept in step with ``premises`` by database triggers), road and junction. The
``key`` column holds :func:`pingan.geocoding.normalize.search_key` of the label and carries the
substring index: an FTS5 trigram table ``geocode_fts`` on SQLite, a ``pg_trgm`` GIN index on
PostgreSQL (migration ``0012_addresses``).
"""

from __future__ import annotations

from sqlalchemy import Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from pingan.store.base import Base

__all__ = ["KINDS", "GeocodeName"]

KINDS: tuple[str, ...] = ("address", "premises", "road", "junction")


class GeocodeName(Base):
    """A searchable name (door plate, premises, road or junction) at a point."""

    __tablename__ = "geocode_names"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    label: Mapped[str] = mapped_column(String(300))
    key: Mapped[str] = mapped_column(String(300))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    # no foreign key: the gazetteer is derived data, and the check cost a second per 100,000
    # rows of a PostgreSQL bulk load
    jurisdiction_id: Mapped[int] = mapped_column(Integer)
    jpath: Mapped[str] = mapped_column(String(255))
    address_id: Mapped[int | None] = mapped_column(
        ForeignKey("addresses.id", ondelete="CASCADE"), index=True
    )
    premises_id: Mapped[int | None] = mapped_column(
        ForeignKey("premises.id", ondelete="CASCADE"), index=True
    )
