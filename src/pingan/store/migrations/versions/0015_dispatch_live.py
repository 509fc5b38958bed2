"""Dispatch, live: the route an assignment was sent along, and move-ups.

* ``assignments.route``: the route (GeoJSON LineString) the unit was expected to take when it
  was sent, so every browser can draw it, not only the dispatcher's.
* ``moveups``: an available unit sent to stand at another place to restore 1-3-5 minute
  coverage (sent → arrived, or cancelled); the unit stays available for calls meanwhile. A
  partial unique index keeps one active move-up per unit.

Revision ID: 0015_dispatch_live
Revises: 0014_ratings
Create Date: 2026-12-07 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_dispatch_live"
down_revision: str | None = "0014_ratings"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = "state = 'sent'"


def upgrade() -> None:
    with op.batch_alter_table("assignments") as batch:
        batch.add_column(sa.Column("route", sa.Text(), nullable=True))
    op.create_table(
        "moveups",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("resource_id", sa.Integer(), sa.ForeignKey("resources.id"), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("jpath", sa.String(255), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("from_lon", sa.Float(), nullable=True),
        sa.Column("from_lat", sa.Float(), nullable=True),
        sa.Column("gain", sa.Float(), nullable=True),
        sa.Column("travel_s", sa.Float(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("arrived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dispatcher_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_moveups_resource_id", "moveups", ["resource_id"])
    op.create_index(
        "uq_moveups_active_unit",
        "moveups",
        ["resource_id"],
        unique=True,
        sqlite_where=sa.text(ACTIVE),
        postgresql_where=sa.text(ACTIVE),
    )


def downgrade() -> None:
    op.drop_index("uq_moveups_active_unit", table_name="moveups")
    op.drop_index("ix_moveups_resource_id", table_name="moveups")
    op.drop_table("moveups")
    with op.batch_alter_table("assignments") as batch:
        batch.drop_column("route")
