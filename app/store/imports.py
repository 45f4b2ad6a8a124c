"""Bundle import tickets: made empty, given an archive once, then a job like an export.

A ticket's job starts when its archive is uploaded (`uploaded`): the simulation
(`uforge_mock.jobs.simulation`) reads the job's facts with that instant as their start. An
accepted archive becomes its mySoftware in the same transaction that records the upload, so
that nothing half-imported is ever seen; a refused one records why and makes nothing.

What every import family's tickets share (a `models.Job` table with `uploaded` and
`archive_size`) is here once: a new ticket's job columns (`new_ticket`), the one upload a
ticket takes (`claim_upload`), and a refusal (`mark_refused`); `appliance_imports` uses them.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, func, insert, select, update

from uforge_mock.jobs.simulation import TicketFacts
from uforge_mock.store.library import (
    delete_my_software,
    next_my_software_id,
    project_category,
)
from uforge_mock.store.queries import bundle_imports, my_software, software_artifacts, users


@dataclass(frozen=True, slots=True)
class ImportRecord:
    db_id: int
    owner_id: int
    owner_login: str
    imported: bool
    created: datetime
    last_modified: datetime
    uploaded: datetime | None
    archive_size: int | None
    my_software_id: int | None
    duration_seconds: float
    outcome: str
    percentage: int
    message: str | None
    error_message: str | None
    detailed_error_msg: str | None

    @property
    def facts(self) -> TicketFacts:
        """The job's facts, started at the upload (or, before it, at the ticket's making)."""
        return TicketFacts(
            db_id=self.db_id,
            created=self.uploaded or self.created,
            last_modified=self.last_modified,
            duration_seconds=self.duration_seconds,
            outcome=self.outcome,
            percentage=self.percentage,
            message=self.message,
            error_message=self.error_message,
            detailed_error_msg=self.detailed_error_msg,
        )


_QUERY = select(bundle_imports, users.c.login.label("owner_login")).select_from(
    bundle_imports.join(users, users.c.id == bundle_imports.c.owner_id)
)


def _record(row: Any) -> ImportRecord:
    return ImportRecord(**row._asdict())


def import_by_id(connection: Connection, *, db_id: int) -> ImportRecord | None:
    row = connection.execute(_QUERY.where(bundle_imports.c.db_id == db_id)).first()
    return _record(row) if row is not None else None


def import_page(connection: Connection, *, after: int, limit: int) -> list[ImportRecord]:
    rows = connection.execute(
        _QUERY.where(bundle_imports.c.db_id > after).order_by(bundle_imports.c.db_id).limit(limit)
    ).all()
    return [_record(row) for row in rows]


def new_ticket(*, now: datetime, duration: float) -> dict[str, Any]:
    """The job columns of a ticket made `now`: waiting for its archive, then running for
    `duration` seconds from the upload to `complete` (unless the archive is refused)."""
    return {
        "created": now,
        "last_modified": now,
        "duration_seconds": duration,
        "outcome": "complete",
        "percentage": 0,
    }


def create_import(
    connection: Connection, *, owner_id: int, imported: bool, now: datetime, duration: float
) -> ImportRecord:
    """A new ticket waiting for its archive, numbered by the database."""
    result = connection.execute(
        insert(bundle_imports).values(
            owner_id=owner_id, imported=imported, **new_ticket(now=now, duration=duration)
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    record = import_by_id(connection, db_id=int(key[0]))
    assert record is not None
    return record


@dataclass(frozen=True, slots=True)
class NewSoftware:
    """A mySoftware an accepted archive makes: its columns, its category's name, and its
    artifacts' rows (without their mySoftware's id, which is given here)."""

    values: dict[str, Any]
    category: str | None
    artifacts: list[dict[str, Any]]


class AlreadyUploaded(Exception):
    """The ticket has its archive already (a second upload changes nothing)."""


def accept_upload(
    connection: Connection,
    *,
    db_id: int,
    owner_id: int,
    software: NewSoftware,
    archive_size: int,
    now: datetime,
) -> ImportRecord | None:
    """Record the upload and make its mySoftware; None when the ticket is gone."""
    claim_upload(connection, bundle_imports, db_id=db_id, archive_size=archive_size, now=now)
    category_id = project_category(connection, user_id=owner_id, name=software.category, db_id=None)
    new_id = next_my_software_id(connection)
    connection.execute(
        insert(my_software).values(
            db_id=new_id,
            owner_id=owner_id,
            category_id=category_id,
            created=now,
            last_modified=now,
            **software.values,
        )
    )
    for artifact in software.artifacts:
        connection.execute(
            insert(software_artifacts).values(my_software_id=new_id, created=now, **artifact)
        )
    connection.execute(
        update(bundle_imports).where(bundle_imports.c.db_id == db_id).values(my_software_id=new_id)
    )
    return import_by_id(connection, db_id=db_id)


def refuse_upload(
    connection: Connection,
    *,
    db_id: int,
    archive_size: int,
    message: str,
    detail: str,
    now: datetime,
) -> ImportRecord | None:
    """Record an upload whose archive cannot be imported: the job ends in error."""
    claim_upload(connection, bundle_imports, db_id=db_id, archive_size=archive_size, now=now)
    mark_refused(connection, bundle_imports, db_id=db_id, message=message, detail=detail)
    return import_by_id(connection, db_id=db_id)


def claim_upload(
    connection: Connection, table: Table, *, db_id: int, archive_size: int, now: datetime
) -> None:
    """Mark the ticket `db_id` of `table` uploaded `now`, or raise AlreadyUploaded: one
    archive per ticket, even when two uploads race (the update is conditional)."""
    result = connection.execute(
        update(table)
        .where(table.c.db_id == db_id, table.c.uploaded.is_(None))
        .values(uploaded=now, last_modified=now, archive_size=archive_size)
    )
    if result.rowcount != 1:
        raise AlreadyUploaded(db_id)


def mark_refused(
    connection: Connection, table: Table, *, db_id: int, message: str, detail: str
) -> None:
    """End the job of the ticket `db_id` of `table` in error: `message` is its error
    message, `detail` what was wrong with the archive."""
    connection.execute(
        update(table)
        .where(table.c.db_id == db_id)
        .values(outcome="error", percentage=10, error_message=message, detailed_error_msg=detail)
    )


def update_import(
    connection: Connection, *, db_id: int, values: dict[str, Any], now: datetime
) -> ImportRecord | None:
    """Change a ticket's job facts (the control plane). A ticket made to fail takes back the
    mySoftware it made: an import in error has made nothing."""
    record = import_by_id(connection, db_id=db_id)
    if record is None:
        return None
    changes = dict(values, last_modified=now)
    if values.get("outcome") == "error" and record.my_software_id is not None:
        delete_my_software(connection, db_id=record.my_software_id)
        changes["my_software_id"] = None
    connection.execute(
        update(bundle_imports).where(bundle_imports.c.db_id == db_id).values(**changes)
    )
    return import_by_id(connection, db_id=db_id)


def count_imports(connection: Connection) -> int:
    return int(connection.execute(select(func.count()).select_from(bundle_imports)).scalar_one())
