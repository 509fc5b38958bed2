"""Reserved for coverage plans; siting plans are kept in their job rows, so no schema change.

Revision ID: 0005_coverage
Revises: 0004_evaluation
Create Date: 2026-12-02 13:20:00
"""

from collections.abc import Sequence

revision: str = "0005_coverage"
down_revision: str | None = "0004_evaluation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
