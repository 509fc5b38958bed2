"""Large-event security: events, their zones, posts, checks and log.

Revision ID: 0021_events
Revises: 0020_patrols
Create Date: 2026-12-07 02:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021_events"
down_revision: str | None = "0020_patrols"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(64), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("station_id", sa.Integer(), sa.ForeignKey("jurisdictions.id"), nullable=False),
        sa.Column("jpath", sa.String(255), nullable=False),
        sa.Column("venue", sa.Text(), nullable=False),
        sa.Column("venue_lon", sa.Float(), nullable=False),
        sa.Column("venue_lat", sa.Float(), nullable=False),
        sa.Column("expected_crowd", sa.Integer(), nullable=False),
        sa.Column("arrival_at", TZ, nullable=False),
        sa.Column("starts_at", TZ, nullable=False),
        sa.Column("ends_at", TZ, nullable=False),
        sa.Column("dispersal_until", TZ, nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_index("ix_events_station_id", "events", ["station_id"])
    op.create_index("ix_events_jpath", "events", ["jpath"])
    op.create_index("ix_events_arrival_at", "events", ["arrival_at"])
    fk = sa.ForeignKey("events.id", ondelete="CASCADE")
    op.create_table(
        "event_zones",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("event_id", sa.Integer(), fk, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("geometry", sa.Text(), nullable=False),
    )
    op.create_index("ix_event_zones_event_id", "event_zones", ["event_id"])
    op.create_table(
        "event_posts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "event_id", sa.Integer(), sa.ForeignKey("events.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("shift", sa.String(16), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("radius_m", sa.Float(), nullable=True),
        sa.Column("detour", sa.Text(), nullable=True),
        sa.Column("officers_needed", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), sa.ForeignKey("resources.id"), nullable=True),
        sa.Column("officer_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("staffed_at", TZ, nullable=True),
    )
    op.create_index("ix_event_posts_event_id", "event_posts", ["event_id"])
    op.create_table(
        "event_checks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "event_id", sa.Integer(), sa.ForeignKey("events.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("text", sa.String(300), nullable=False),
        sa.Column("premises_id", sa.Integer(), sa.ForeignKey("premises.id"), nullable=True),
        sa.Column("key_area_id", sa.Integer(), sa.ForeignKey("key_areas.id"), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("due_at", TZ, nullable=False),
        sa.Column("done_at", TZ, nullable=True),
        sa.Column("done_by", sa.String(100), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
    )
    op.create_index("ix_event_checks_event_id", "event_checks", ["event_id"])
    op.create_table(
        "event_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "event_id", sa.Integer(), sa.ForeignKey("events.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("at", TZ, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author", sa.String(100), nullable=False),
    )
    op.create_index("ix_event_log_event_id", "event_log", ["event_id"])
    op.create_index("ix_event_log_at", "event_log", ["at"])


def downgrade() -> None:
    for t in ("event_log", "event_checks", "event_posts", "event_zones", "events"):
        op.drop_table(t)
