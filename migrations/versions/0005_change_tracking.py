"""change tracking: what any commit changed, for remembered reads on PostgreSQL (issue 15)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 18:40:00
"""

from collections.abc import Sequence

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass  # filled in by its issue


def downgrade() -> None:
    pass
