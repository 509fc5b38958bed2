"""Disputes, mediation log and escalation rules.

Revision ID: 0003_disputes
Revises: 0002_tasks
Create Date: 2026-12-02 13:20:00
"""

from collections.abc import Sequence

revision: str = "0003_disputes"
down_revision: str | None = "0002_tasks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
