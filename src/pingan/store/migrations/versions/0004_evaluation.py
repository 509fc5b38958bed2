"""Community-officer evaluation: scorecards and surveys.

Revision ID: 0004_evaluation
Revises: 0003_disputes
Create Date: 2026-12-02 13:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_evaluation"
down_revision: str | None = "0003_disputes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "evaluation_scorecards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name_zh", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("period_kind", sa.String(length=16), nullable=False),
        sa.Column("jurisdiction_id", sa.Integer(), nullable=True),
        sa.Column("jpath", sa.String(length=255), nullable=False),
        sa.Column("achievement_cap", sa.Float(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["jurisdiction_id"],
            ["jurisdictions.id"],
            name=op.f("fk_evaluation_scorecards_jurisdiction_id_jurisdictions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_scorecards")),
        sa.UniqueConstraint("code", name=op.f("uq_evaluation_scorecards_code")),
    )
    op.create_index(
        op.f("ix_evaluation_scorecards_jpath"), "evaluation_scorecards", ["jpath"], unique=False
    )
    op.create_table(
        "evaluation_indicators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scorecard_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name_zh", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("target", sa.Float(), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(
            ["scorecard_id"],
            ["evaluation_scorecards.id"],
            name=op.f("fk_evaluation_indicators_scorecard_id_evaluation_scorecards"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_indicators")),
        sa.UniqueConstraint("scorecard_id", "code", name="uq_evaluation_indicators_card_code"),
    )
    op.create_index(
        op.f("ix_evaluation_indicators_scorecard_id"),
        "evaluation_indicators",
        ["scorecard_id"],
        unique=False,
    )
    op.create_table(
        "satisfaction_surveys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cell_id", sa.Integer(), nullable=False),
        sa.Column("jpath", sa.String(length=255), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("respondents", sa.Integer(), nullable=False),
        sa.Column("satisfied", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cell_id"],
            ["jurisdictions.id"],
            name=op.f("fk_satisfaction_surveys_cell_id_jurisdictions"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_satisfaction_surveys_recorded_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_satisfaction_surveys")),
        sa.UniqueConstraint(
            "cell_id", "period_start", "period_end", name="uq_satisfaction_cell_period"
        ),
    )
    op.create_index(
        op.f("ix_satisfaction_surveys_cell_id"), "satisfaction_surveys", ["cell_id"], unique=False
    )
    op.create_index(
        op.f("ix_satisfaction_surveys_jpath"), "satisfaction_surveys", ["jpath"], unique=False
    )
    op.create_index(
        "ix_satisfaction_surveys_period",
        "satisfaction_surveys",
        ["period_start", "period_end"],
        unique=False,
    )
    op.create_table(
        "premises_inspections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("premises_id", sa.Integer(), nullable=False),
        sa.Column("jpath", sa.String(length=255), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=True),
        sa.Column("inspected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["users.id"], name=op.f("fk_premises_inspections_officer_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["premises_id"],
            ["premises.id"],
            name=op.f("fk_premises_inspections_premises_id_premises"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_premises_inspections")),
    )
    op.create_index(
        op.f("ix_premises_inspections_inspected_at"),
        "premises_inspections",
        ["inspected_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_premises_inspections_jpath"), "premises_inspections", ["jpath"], unique=False
    )
    op.create_index(
        op.f("ix_premises_inspections_premises_id"),
        "premises_inspections",
        ["premises_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_premises_inspections_premises_id"), table_name="premises_inspections")
    op.drop_index(op.f("ix_premises_inspections_jpath"), table_name="premises_inspections")
    op.drop_index(op.f("ix_premises_inspections_inspected_at"), table_name="premises_inspections")
    op.drop_table("premises_inspections")
    op.drop_index("ix_satisfaction_surveys_period", table_name="satisfaction_surveys")
    op.drop_index(op.f("ix_satisfaction_surveys_jpath"), table_name="satisfaction_surveys")
    op.drop_index(op.f("ix_satisfaction_surveys_cell_id"), table_name="satisfaction_surveys")
    op.drop_table("satisfaction_surveys")
    op.drop_index(op.f("ix_evaluation_indicators_scorecard_id"), table_name="evaluation_indicators")
    op.drop_table("evaluation_indicators")
    op.drop_index(op.f("ix_evaluation_scorecards_jpath"), table_name="evaluation_scorecards")
    op.drop_table("evaluation_scorecards")
