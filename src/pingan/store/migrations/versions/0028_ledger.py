"""The services ledger (服务台账) and volunteer teams (群防群治): ledger entries, volunteer teams,
their members (name and phone encrypted) and shifts with check-in and check-out.

Revision ID: 0028_ledger
Revises: 0022_citizen
Create Date: 2026-12-07 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028_ledger"
down_revision: str | None = "0022_citizen"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "volunteer_teams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=True),
        sa.Column("jpath", sa.String(length=255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["jurisdictions.id"],
            name=op.f("fk_volunteer_teams_community_id_jurisdictions"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["jurisdictions.id"],
            name=op.f("fk_volunteer_teams_station_id_jurisdictions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteer_teams")),
        sa.UniqueConstraint("code", name=op.f("uq_volunteer_teams_code")),
    )
    op.create_index(
        op.f("ix_volunteer_teams_community_id"), "volunteer_teams", ["community_id"], unique=False
    )
    op.create_index(op.f("ix_volunteer_teams_jpath"), "volunteer_teams", ["jpath"], unique=False)
    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("cell_id", sa.Integer(), nullable=True),
        sa.Column("community_id", sa.Integer(), nullable=True),
        sa.Column("station_id", sa.Integer(), nullable=True),
        sa.Column("jpath", sa.String(length=255), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cell_id"], ["jurisdictions.id"], name=op.f("fk_ledger_entries_cell_id_jurisdictions")
        ),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["jurisdictions.id"],
            name=op.f("fk_ledger_entries_community_id_jurisdictions"),
        ),
        sa.ForeignKeyConstraint(
            ["officer_id"],
            ["users.id"],
            name=op.f("fk_ledger_entries_officer_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["jurisdictions.id"],
            name=op.f("fk_ledger_entries_station_id_jurisdictions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entries")),
    )
    op.create_index(op.f("ix_ledger_entries_cell_id"), "ledger_entries", ["cell_id"], unique=False)
    op.create_index(
        op.f("ix_ledger_entries_community_id"), "ledger_entries", ["community_id"], unique=False
    )
    op.create_index("ix_ledger_entries_jpath_day", "ledger_entries", ["jpath", "day"], unique=False)
    op.create_index(
        "ix_ledger_entries_officer_day", "ledger_entries", ["officer_id", "day"], unique=False
    )
    op.create_table(
        "volunteer_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=512), nullable=False),
        sa.Column("phone", sa.String(length=512), nullable=True),
        sa.Column("jpath", sa.String(length=255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("joined_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["volunteer_teams.id"],
            name=op.f("fk_volunteer_members_team_id_volunteer_teams"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_volunteer_members_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteer_members")),
        sa.UniqueConstraint("user_id", name=op.f("uq_volunteer_members_user_id")),
    )
    op.create_index(
        op.f("ix_volunteer_members_jpath"), "volunteer_members", ["jpath"], unique=False
    )
    op.create_index(
        op.f("ix_volunteer_members_team_id"), "volunteer_members", ["team_id"], unique=False
    )
    op.create_table(
        "volunteer_shifts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("cell_id", sa.Integer(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("jpath", sa.String(length=255), nullable=False),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("in_lon", sa.Float(), nullable=True),
        sa.Column("in_lat", sa.Float(), nullable=True),
        sa.Column("checked_out_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("out_lon", sa.Float(), nullable=True),
        sa.Column("out_lat", sa.Float(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cell_id"],
            ["jurisdictions.id"],
            name=op.f("fk_volunteer_shifts_cell_id_jurisdictions"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_volunteer_shifts_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["volunteer_members.id"],
            name=op.f("fk_volunteer_shifts_member_id_volunteer_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["volunteer_teams.id"],
            name=op.f("fk_volunteer_shifts_team_id_volunteer_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteer_shifts")),
    )
    op.create_index(
        op.f("ix_volunteer_shifts_cell_id"), "volunteer_shifts", ["cell_id"], unique=False
    )
    op.create_index(
        "ix_volunteer_shifts_jpath_day", "volunteer_shifts", ["jpath", "day"], unique=False
    )
    op.create_index(
        op.f("ix_volunteer_shifts_member_id"), "volunteer_shifts", ["member_id"], unique=False
    )
    op.create_index(
        "ix_volunteer_shifts_team_day", "volunteer_shifts", ["team_id", "day"], unique=False
    )


def downgrade() -> None:
    op.drop_table("volunteer_shifts")
    op.drop_table("volunteer_members")
    op.drop_table("ledger_entries")
    op.drop_table("volunteer_teams")
