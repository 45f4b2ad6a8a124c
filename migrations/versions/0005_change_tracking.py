"""change tracking: what any commit changed, for remembered reads on PostgreSQL (issue 15)

A counter PostgreSQL moves in every transaction that changes a table (see
`uforge_mock.store.change_tracking`), on every table there is so far; later migrations call
`track_changes` for the tables they create. Nothing on SQLite (`PRAGMA data_version`).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 18:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from uforge_mock.store import change_tracking

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _tables() -> list[str]:
    names = sa.inspect(op.get_bind()).get_table_names()
    return sorted(name for name in names if name not in change_tracking.EXEMPT)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    change_tracking.create_counter()
    for table in _tables():
        change_tracking.track_changes(table)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in _tables():
        change_tracking.untrack_changes(table)
    change_tracking.drop_counter()
