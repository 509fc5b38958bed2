"""Dispatch: assignments of units to incidents, incident notes, unit positions.

* ``assignments``: one unit sent to one incident, its state (dispatched → en_route → on_scene →
  cleared, or cancelled) with a timestamp per state, the ETA by road when it was sent and the
  dispatcher; a partial unique index keeps a unit busy with at most one incident.
* ``resources.current_incident_id``: the incident a unit is busy with (the unit board and the
  409 of a second dispatch name it); units gain the status ``en_route`` (no constraint to change).
* ``incidents.updated_at`` and ``resources.updated_at`` are indexed: the live stream reads what
  changed since its last poll.

Revision ID: 0011_dispatch
Revises: 0010_security
Create Date: 2026-12-06 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_dispatch"
down_revision: str | None = "0010_security"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = "state IN ('dispatched', 'en_route', 'on_scene')"


def upgrade() -> None:
    op.create_table(
        "assignments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "incident_id",
            sa.Integer(),
            sa.ForeignKey("incidents.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("resource_id", sa.Integer(), sa.ForeignKey("resources.id"), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("jpath", sa.String(255), nullable=False),
        sa.Column("eta_s", sa.Float(), nullable=True),
        sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("en_route_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("on_scene_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dispatcher_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_assignments_incident_id", "assignments", ["incident_id"])
    op.create_index("ix_assignments_resource_id", "assignments", ["resource_id"])
    op.create_index(
        "uq_assignments_active_unit",
        "assignments",
        ["resource_id"],
        unique=True,
        sqlite_where=sa.text(ACTIVE),
        postgresql_where=sa.text(ACTIVE),
    )
    op.add_column("resources", sa.Column("current_incident_id", sa.Integer(), nullable=True))
    op.create_index("ix_resources_current_incident_id", "resources", ["current_incident_id"])
    op.create_index("ix_resources_updated_at", "resources", ["updated_at"])
    op.create_index("ix_incidents_updated_at", "incidents", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_incidents_updated_at", table_name="incidents")
    op.drop_index("ix_resources_updated_at", table_name="resources")
    op.drop_index("ix_resources_current_incident_id", table_name="resources")
    with op.batch_alter_table("resources") as batch:
        batch.drop_column("current_incident_id")
    op.drop_index("uq_assignments_active_unit", table_name="assignments")
    op.drop_index("ix_assignments_resource_id", table_name="assignments")
    op.drop_index("ix_assignments_incident_id", table_name="assignments")
    op.drop_table("assignments")
