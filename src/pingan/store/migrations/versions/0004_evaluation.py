"""Community-officer evaluation: scorecards and surveys.

Revision ID: 0004_evaluation
Revises: 0003_disputes
Create Date: 2026-12-02 13:20:00
"""

from collections.abc import Sequence

revision: str = "0004_evaluation"
down_revision: str | None = "0003_disputes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
