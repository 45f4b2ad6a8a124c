"""the control plane shared by servers: faults and journal in the store (issue 15)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 18:40:00
"""

from collections.abc import Sequence

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass  # filled in by its issue


def downgrade() -> None:
    pass
