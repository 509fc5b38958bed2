"""Key places: school gate posts and check-ins, hospital police rooms and shifts, inspection item
results with photos and location, rectification orders with their timeline; a security
feature remembers the inspection that recorded it.

Revision ID: 0018_inspections
Revises: 0017_hardening
Create Date: 2026-12-07 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_inspections"
down_revision: str | None = "0017_hardening"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "school_posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("premises_id", sa.Integer(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("radius_m", sa.Float(), nullable=False),
        sa.Column("windows", sa.String(length=120), nullable=False),
        sa.Column("school_days", sa.String(length=7), nullable=False),
        sa.Column("jpath", sa.String(length=255), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
        sa.ForeignKeyConstraint(["premises_id"], ["premises.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["station_id"], ["jurisdictions.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_index("ix_school_posts_premises_id", "school_posts", ["premises_id"])
    op.create_index("ix_school_posts_jpath", "school_posts", ["jpath"])
    op.create_index("ix_school_posts_station_id", "school_posts", ["station_id"])
    op.create_table(
        "post_checkins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=True),
        sa.Column("at", _TZ, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("window", sa.String(length=16), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("distance_m", sa.Float(), nullable=False),
        sa.Column("jpath", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(["post_id"], ["school_posts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["officer_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("post_id", "day", "window", "officer_id", name="uq_post_checkin"),
    )
    op.create_index("ix_post_checkins_day", "post_checkins", ["day"])
    op.create_index("ix_post_checkins_jpath", "post_checkins", ["jpath"])
    op.create_table(
        "police_rooms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("premises_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("staffed_from", sa.String(length=5), nullable=False),
        sa.Column("staffed_to", sa.String(length=5), nullable=False),
        sa.Column("jpath", sa.String(length=255), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["premises_id"], ["premises.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["station_id"], ["jurisdictions.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("premises_id"),
    )
    op.create_index("ix_police_rooms_jpath", "police_rooms", ["jpath"])
    op.create_index("ix_police_rooms_station_id", "police_rooms", ["station_id"])
    op.create_table(
        "police_shifts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=True),
        sa.Column("starts_at", _TZ, nullable=False),
        sa.Column("ends_at", _TZ, nullable=True),
        sa.Column("jpath", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(["room_id"], ["police_rooms.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["officer_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_police_shifts_room_id", "police_shifts", ["room_id"])
    op.create_index("ix_police_shifts_starts_at", "police_shifts", ["starts_at"])
    op.create_table(
        "inspection_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inspection_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("result", sa.String(length=8), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(["inspection_id"], ["premises_inspections.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_inspection_results_inspection_id", "inspection_results", ["inspection_id"])
    op.create_table(
        "keyplace_photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(length=16), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("jpath", sa.String(length=255), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", _TZ, nullable=False),
        sa.ForeignKeyConstraint(["uploaded_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "rectification_orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("premises_id", sa.Integer(), nullable=False),
        sa.Column("inspection_id", sa.Integer(), nullable=True),
        sa.Column("item_code", sa.String(length=40), nullable=False),
        sa.Column("problem", sa.String(length=500), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("jpath", sa.String(length=255), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=True),
        sa.Column("report", sa.Text(), nullable=False),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("issued_at", _TZ, nullable=False),
        sa.Column("signed_at", _TZ, nullable=True),
        sa.Column("reported_at", _TZ, nullable=True),
        sa.Column("rework_at", _TZ, nullable=True),
        sa.Column("accepted_at", _TZ, nullable=True),
        sa.Column("escalated_at", _TZ, nullable=True),
        sa.ForeignKeyConstraint(["premises_id"], ["premises.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["inspection_id"], ["premises_inspections.id"], ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["assignee_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["station_id"], ["jurisdictions.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    for col in ("premises_id", "inspection_id", "deadline", "state", "jpath", "station_id"):
        op.create_index(f"ix_rectification_orders_{col}", "rectification_orders", [col])
    op.create_table(
        "rectification_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", _TZ, nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("from_state", sa.String(length=16), nullable=True),
        sa.Column("to_state", sa.String(length=16), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["order_id"], ["rectification_orders.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_rectification_events_order_id", "rectification_events", ["order_id"])
    with op.batch_alter_table("premises_inspections") as b:
        b.add_column(sa.Column("lon", sa.Float(), nullable=True))
        b.add_column(sa.Column("lat", sa.Float(), nullable=True))
    with op.batch_alter_table("premises_features") as b:
        b.add_column(sa.Column("inspection_id", sa.Integer(), nullable=True))
        b.create_foreign_key(
            "fk_premises_features_inspection_id",
            "premises_inspections",
            ["inspection_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("premises_features") as b:
        b.drop_constraint("fk_premises_features_inspection_id", type_="foreignkey")
        b.drop_column("inspection_id")
    with op.batch_alter_table("premises_inspections") as b:
        b.drop_column("lat")
        b.drop_column("lon")
    op.drop_index("ix_rectification_events_order_id", table_name="rectification_events")
    op.drop_table("rectification_events")
    for col in ("premises_id", "inspection_id", "deadline", "state", "jpath", "station_id"):
        op.drop_index(f"ix_rectification_orders_{col}", table_name="rectification_orders")
    op.drop_table("rectification_orders")
    op.drop_table("keyplace_photos")
    op.drop_index("ix_inspection_results_inspection_id", table_name="inspection_results")
    op.drop_table("inspection_results")
    op.drop_index("ix_police_shifts_starts_at", table_name="police_shifts")
    op.drop_index("ix_police_shifts_room_id", table_name="police_shifts")
    op.drop_table("police_shifts")
    op.drop_index("ix_police_rooms_station_id", table_name="police_rooms")
    op.drop_index("ix_police_rooms_jpath", table_name="police_rooms")
    op.drop_table("police_rooms")
    op.drop_index("ix_post_checkins_jpath", table_name="post_checkins")
    op.drop_index("ix_post_checkins_day", table_name="post_checkins")
    op.drop_table("post_checkins")
    op.drop_index("ix_school_posts_station_id", table_name="school_posts")
    op.drop_index("ix_school_posts_jpath", table_name="school_posts")
    op.drop_index("ix_school_posts_premises_id", table_name="school_posts")
    op.drop_table("school_posts")
