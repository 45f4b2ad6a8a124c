"""The control plane's tables, shared by every server on the store: the faults injected into
the UForge routes, and the journal of the requests they received.

`control_faults` is read on every request of the UForge routes, through the remembered reads
(`ACTIVE_FAULTS`, `database.fetch`): like any table of the store, a change to it is a commit
every server sees at its next request (SQLite's `PRAGMA data_version`, PostgreSQL's change
counter: migration 0006 tracks the table). With no fault set, a request reads an empty result
from memory.

`control_journal` is written in batches, in the background, by every server, and read only by
the control API: it must not be a change the remembered reads see, or each batch would make
every server forget every result. On PostgreSQL it is exempt from the change counter
(`change_tracking.EXEMPT`); on SQLite, where any commit to the file moves `data_version`, the
entries live in a file beside the database (`store.journal_store`), and the table the
migrations make in the database itself stays empty.
"""

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, Connection, Float, Text, delete, insert, select, update
from sqlmodel import Field, SQLModel

from uforge_mock.store.models import Id64
from uforge_mock.store.prepared import PreparedQuery


class ControlFault(SQLModel, table=True):
    """A fault: its spec (the JSON `POST /_mock/faults` took), the requests it may still
    answer (`remaining`, None: unlimited) and the requests it answered (`hits`)."""

    __tablename__ = "control_faults"
    # Ids never reused: a fault removed and another added are never confused.
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, sa_column=Column(Id64, primary_key=True))
    spec: str = Field(sa_column=Column(Text, nullable=False))
    remaining: int | None = None
    hits: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))


class JournalRecord(SQLModel, table=True):
    """A request one server received (`server` names it), with credentials redacted."""

    __tablename__ = "control_journal"
    # Ids never reused, in the order entries were written: `?after=ID` pages on them.
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, sa_column=Column(Id64, primary_key=True))
    server: str = Field(max_length=255)
    time: datetime
    method: str = Field(max_length=32)
    path: str = Field(sa_column=Column(Text, nullable=False))
    query: str = Field(sa_column=Column(Text, nullable=False))
    headers: str = Field(sa_column=Column(Text, nullable=False))  # JSON object
    status: int | None = None
    duration_ms: float = Field(sa_column=Column(Float, nullable=False))


control_faults = ControlFault.__table__  # type: ignore[attr-defined]
control_journal = JournalRecord.__table__  # type: ignore[attr-defined]


# ---------------------------------------------------------------- faults


@dataclass(frozen=True, slots=True)
class FaultRecord:
    id: int
    spec: dict[str, Any]
    remaining: int | None
    hits: int


# The hot path's read: what every request of the UForge routes asks, first added first.
ACTIVE_FAULTS = PreparedQuery(
    select(control_faults.c.id, control_faults.c.spec).order_by(control_faults.c.id)
)


def add_fault(connection: Connection, *, spec: dict[str, Any], times: int | None) -> FaultRecord:
    text = json.dumps(spec, separators=(",", ":"), sort_keys=True)
    result = connection.execute(insert(control_faults).values(spec=text, remaining=times, hits=0))
    (fault_id,) = result.inserted_primary_key or (None,)
    assert fault_id is not None
    return FaultRecord(id=int(fault_id), spec=spec, remaining=times, hits=0)


def all_faults(connection: Connection) -> list[FaultRecord]:
    rows = connection.execute(
        select(
            control_faults.c.id,
            control_faults.c.spec,
            control_faults.c.remaining,
            control_faults.c.hits,
        ).order_by(control_faults.c.id)
    ).all()
    return [
        FaultRecord(id=row.id, spec=json.loads(row.spec), remaining=row.remaining, hits=row.hits)
        for row in rows
    ]


def remove_fault(connection: Connection, *, fault_id: int) -> bool:
    return (
        connection.execute(delete(control_faults).where(control_faults.c.id == fault_id)).rowcount
        > 0
    )


def clear_faults(connection: Connection) -> int:
    return int(connection.execute(delete(control_faults)).rowcount)


def use_once(connection: Connection, *, fault_id: int) -> bool:
    """One of a counted fault's requests, taken if any is left: the conditional decrement
    decides between servers (a row's update waits for another's to commit, then sees its
    result), so `times` is counted once across all of them. The fault is gone with its last."""
    taken = connection.execute(
        update(control_faults)
        .where(control_faults.c.id == fault_id, control_faults.c.remaining > 0)
        .values(remaining=control_faults.c.remaining - 1, hits=control_faults.c.hits + 1)
    ).rowcount
    if not taken:
        return False
    connection.execute(
        delete(control_faults).where(
            control_faults.c.id == fault_id, control_faults.c.remaining <= 0
        )
    )
    return True


def count_hits(connection: Connection, *, hits: dict[int, int]) -> None:
    """Add the hits of unlimited faults (a server counts them in memory, and adds them here
    in the background); a fault removed meanwhile takes none."""
    for fault_id, count in sorted(hits.items()):
        connection.execute(
            update(control_faults)
            .where(control_faults.c.id == fault_id)
            .values(hits=control_faults.c.hits + count)
        )
