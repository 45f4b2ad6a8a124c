"""the control plane shared by servers: faults and journal in the store (issue 15)

`control_faults` is read by every request through the remembered reads, so a change to it
must make every server forget them: on PostgreSQL it is tracked by the change counter of
migration 0005 (on SQLite any commit to the file moves `PRAGMA data_version`).

`control_journal` is written in the background by every server, every fraction of a second
while requests come: it must never move what the remembered reads watch. On PostgreSQL it is
NOT tracked (it is in `change_tracking.EXEMPT`; 0005 put triggers on the tables that existed
then, and this migration adds none to it): keep it so. On SQLite the servers keep the entries
in a file of their own beside the database (`store.journal_store`), so the table made here in
the database stays empty there.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 18:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from uforge_mock.store import change_tracking

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id64 = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "control_faults",
        sa.Column("id", Id64, nullable=False),
        sa.Column("spec", sa.Text(), nullable=False),
        sa.Column("remaining", sa.Integer(), nullable=True),
        sa.Column("hits", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    change_tracking.track_changes("control_faults")
    op.create_table(
        "control_journal",
        sa.Column("id", Id64, nullable=False),
        sa.Column("server", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("time", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("method", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("headers", sa.Text(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("duration_ms", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    op.drop_table("control_journal")
    change_tracking.untrack_changes("control_faults")
    op.drop_table("control_faults")
