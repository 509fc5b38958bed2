"""Indexes for reads under load, and a purgeable sign-in throttle.

- ``incidents``: ``(state, reported_at)`` and ``(klass, reported_at)`` in place of the single
  column indexes, so a filtered list is read newest first in index order instead of sorting
  every match; ``(lon, lat)`` for OGC bbox filters and their counts; the scope index
  ``(jpath, reported_at, state, klass, subtype, lon, lat)`` in place of ``(jpath)`` and
  ``(jpath, reported_at)``: it answers a station's or a cell's counts with every list filter
  from the index alone; on PostgreSQL also the same with ``jpath COLLATE "C"``, which the
  scope's prefix range (:func:`pingan.store.base.prefix_match`) searches whatever the
  database's collation.
- ``login_throttle.window_start``: expired addresses are deleted by range.

Revision ID: 0017_hardening
Revises: 0016_aggregates
Create Date: 2026-12-07 02:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017_hardening"
down_revision: str | None = "0016_aggregates"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCOPE_COLUMNS = ("jpath", "reported_at", "state", "klass", "subtype", "lon", "lat")
JPATH_BYTEWISE = "ix_incidents_jpath_bytewise"
"""PostgreSQL only; not in the models (an expression index): the migration test skips it."""


def upgrade() -> None:
    op.drop_index("ix_incidents_state", table_name="incidents")
    op.drop_index("ix_incidents_klass", table_name="incidents")
    op.drop_index("ix_incidents_jpath", table_name="incidents")
    op.drop_index("ix_incidents_jpath_reported", table_name="incidents")
    op.create_index("ix_incidents_scope", "incidents", list(SCOPE_COLUMNS))
    op.create_index("ix_incidents_state_reported", "incidents", ["state", "reported_at"])
    op.create_index("ix_incidents_klass_reported", "incidents", ["klass", "reported_at"])
    op.create_index("ix_incidents_lon_lat", "incidents", ["lon", "lat"])
    if op.get_bind().dialect.name == "postgresql":
        rest = ", ".join(SCOPE_COLUMNS[1:])
        op.execute(f'CREATE INDEX {JPATH_BYTEWISE} ON incidents (jpath COLLATE "C", {rest})')
    op.create_index(op.f("ix_login_throttle_window_start"), "login_throttle", ["window_start"])


def downgrade() -> None:
    op.drop_index(op.f("ix_login_throttle_window_start"), table_name="login_throttle")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP INDEX {JPATH_BYTEWISE}")
    op.drop_index("ix_incidents_lon_lat", table_name="incidents")
    op.drop_index("ix_incidents_klass_reported", table_name="incidents")
    op.drop_index("ix_incidents_state_reported", table_name="incidents")
    op.drop_index("ix_incidents_scope", table_name="incidents")
    op.create_index("ix_incidents_jpath_reported", "incidents", ["jpath", "reported_at"])
    op.create_index("ix_incidents_jpath", "incidents", ["jpath"])
    op.create_index("ix_incidents_klass", "incidents", ["klass"])
    op.create_index("ix_incidents_state", "incidents", ["state"])
