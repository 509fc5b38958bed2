"""Dispatch: assignments of units to incidents, incident notes, unit positions.

Revision ID: 0011_dispatch
Revises: 0010_security
Create Date: 2026-12-06 23:00:00
"""

from collections.abc import Sequence

revision: str = "0011_dispatch"
down_revision: str | None = "0010_security"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass  # filled by the work of this revision


def downgrade() -> None:
    pass
