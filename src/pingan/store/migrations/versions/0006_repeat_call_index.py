"""Repeat-call search index: subtype, time and position, so that linking a new call to the
incident it repeats reads the index entries of the ±10-minute window, not their rows. It
replaces the (subtype, reported_at) index, of which it is an extension.

Revision ID: 0006_repeat_call_index
Revises: 0005_coverage
Create Date: 2026-12-02 15:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006_repeat_call_index"
down_revision: str | None = "0005_coverage"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        # the new index starts with the same two columns, so it serves every query the old one
        # did; keeping both would leave the planner free to pick the narrower one
        batch_op.drop_index("ix_incidents_subtype_reported")
        batch_op.create_index(
            "ix_incidents_repeat_search",
            ["subtype", "reported_at", "lat", "lon", "repeat_of_id", "state"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index("ix_incidents_repeat_search")
        batch_op.create_index(
            "ix_incidents_subtype_reported", ["subtype", "reported_at"], unique=False
        )
