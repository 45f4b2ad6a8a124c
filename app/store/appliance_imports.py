"""Appliance import tickets (`template import`, `template create`): made empty with the query's
flags, given an archive once, then a job like an export (`store.imports` holds what every
import family's tickets share).

An accepted template becomes its appliance in the same transaction that records the upload,
so that nothing half-imported is ever seen. The bundles it names are looked up in that
transaction too: one the user does not have (any more) rolls it back whole (MissingBundles),
and the upload is then recorded as refused; so is a template that would replace one of the
same name and version without `force`.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from uforge_mock.jobs.simulation import TicketFacts
from uforge_mock.store.appliances import create_appliance, delete_appliance
from uforge_mock.store.imports import claim_upload, mark_refused, new_ticket
from uforge_mock.store.library import Criteria, criteria_page, criteria_where
from uforge_mock.store.queries import appliance_imports, appliances, my_software, users


@dataclass(frozen=True, slots=True)
class ApplianceImportRecord:
    db_id: int
    owner_id: int
    owner_login: str
    imported: bool
    force: bool
    reuse_bundles: bool
    use_major: bool
    created: datetime
    last_modified: datetime
    uploaded: datetime | None
    archive_size: int | None
    appliance_id: int | None
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


@dataclass(frozen=True, slots=True)
class ImportFlags:
    """The query of `POST /users/{uid}/imports`."""

    imported: bool = False
    force: bool = False
    reuse_bundles: bool = False
    use_major: bool = False


@dataclass(frozen=True, slots=True)
class NewAppliance:
    """The appliance an accepted template makes: its columns (`ApplianceFields`, checked),
    the mySoftware it holds by (name, version) in order, its stack's other keys."""

    values: dict[str, Any]
    bundles: tuple[tuple[str, str], ...]
    attributes: dict[str, Any]


class MissingBundles(Exception):
    """The template names mySoftware its importer does not have: (name, version) each."""

    def __init__(self, missing: Sequence[tuple[str, str]]) -> None:
        super().__init__(missing)
        self.missing = tuple(missing)


class ApplianceExists(Exception):
    """The importer has an appliance of the template's name and version (and no `force`)."""

    def __init__(self, db_id: int) -> None:
        super().__init__(db_id)
        self.db_id = db_id


_QUERY = select(appliance_imports, users.c.login.label("owner_login")).select_from(
    appliance_imports.join(users, users.c.id == appliance_imports.c.owner_id)
)


def import_by_id(connection: Connection, *, db_id: int) -> ApplianceImportRecord | None:
    row = connection.execute(_QUERY.where(appliance_imports.c.db_id == db_id)).first()
    return ApplianceImportRecord(**row._asdict()) if row is not None else None


def imports_owned_by(connection: Connection, *, owner_id: int) -> list[ApplianceImportRecord]:
    """Every import ticket of `owner_id`, by id."""
    rows = connection.execute(
        _QUERY.where(appliance_imports.c.owner_id == owner_id).order_by(appliance_imports.c.db_id)
    ).all()
    return [ApplianceImportRecord(**row._asdict()) for row in rows]


# The fields a listing of appliance imports may search and order on, by wire name.
APPLIANCE_IMPORT_COLUMNS: dict[str, Any] = {
    "dbId": appliance_imports.c.db_id,
    "created": appliance_imports.c.created,
    "lastModified": appliance_imports.c.last_modified,
    "uploadedTime": appliance_imports.c.uploaded,
    "size": appliance_imports.c.archive_size,
    "imported": appliance_imports.c.imported,
}


@dataclass(frozen=True, slots=True)
class ImportPage:
    total: int
    items: list[ApplianceImportRecord]


def import_page(connection: Connection, *, owner_id: int, criteria: Criteria) -> ImportPage:
    """One page of the import tickets of `owner_id` that meet `criteria`, and how many do
    (`GET /users/{uid}/imports`)."""
    dialect = connection.dialect.name
    owned = appliance_imports.c.owner_id == owner_id
    rows = connection.execute(
        criteria_page(
            _QUERY.where(owned),
            APPLIANCE_IMPORT_COLUMNS,
            criteria,
            appliance_imports.c.db_id,
            dialect,
        )
    ).all()
    counted = select(func.count()).select_from(appliance_imports).where(owned)
    total = connection.execute(
        criteria_where(counted, APPLIANCE_IMPORT_COLUMNS, criteria, dialect)
    ).scalar_one()
    return ImportPage(
        total=int(total), items=[ApplianceImportRecord(**row._asdict()) for row in rows]
    )


def delete_import(connection: Connection, *, db_id: int) -> bool:
    """Delete the ticket (the appliance it made stays); False when it was already gone. Its
    id is never handed out again (the table numbers with AUTOINCREMENT, or a sequence)."""
    result = connection.execute(delete(appliance_imports).where(appliance_imports.c.db_id == db_id))
    return result.rowcount == 1


def create_import(
    connection: Connection, *, owner_id: int, flags: ImportFlags, now: datetime, duration: float
) -> ApplianceImportRecord:
    """A new ticket waiting for its archive, numbered by the database."""
    result = connection.execute(
        insert(appliance_imports).values(
            owner_id=owner_id,
            imported=flags.imported,
            force=flags.force,
            reuse_bundles=flags.reuse_bundles,
            use_major=flags.use_major,
            **new_ticket(now=now, duration=duration),
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    record = import_by_id(connection, db_id=int(key[0]))
    assert record is not None
    return record


def _bundle_ids(
    connection: Connection, *, owner_id: int, bundles: Sequence[tuple[str, str]]
) -> list[int]:
    """The owner's mySoftware of each (name, version), the oldest where several match; or
    MissingBundles naming those it does not have."""
    wanted = set(bundles)
    found: dict[tuple[str, str], int] = {}
    if wanted:
        rows = connection.execute(
            select(my_software.c.db_id, my_software.c.name, my_software.c.version)
            .where(
                my_software.c.owner_id == owner_id,
                my_software.c.name.in_({name for name, _ in wanted}),
            )
            .order_by(my_software.c.db_id)
        ).all()
        for db_id, name, version in rows:
            found.setdefault((name, version), db_id)
    missing = [bundle for bundle in dict.fromkeys(bundles) if bundle not in found]
    if missing:
        raise MissingBundles(missing)
    return [found[bundle] for bundle in bundles]


def _same_template(connection: Connection, *, owner_id: int, name: str, version: str) -> list[int]:
    return list(
        connection.execute(
            select(appliances.c.db_id).where(
                appliances.c.owner_id == owner_id,
                appliances.c.name == name,
                appliances.c.version == version,
            )
        ).scalars()
    )


def accept_upload(
    connection: Connection,
    *,
    db_id: int,
    owner_id: int,
    force: bool,
    appliance: NewAppliance,
    archive_size: int,
    now: datetime,
) -> ApplianceImportRecord | None:
    """Record the upload and make its appliance; None when the ticket is gone. Raises
    MissingBundles or ApplianceExists (nothing written: the caller's transaction rolls back).
    With `force`, the owner's appliances of the same name and version are replaced."""
    claim_upload(connection, appliance_imports, db_id=db_id, archive_size=archive_size, now=now)
    bundle_ids = _bundle_ids(connection, owner_id=owner_id, bundles=appliance.bundles)
    existing = _same_template(
        connection,
        owner_id=owner_id,
        name=appliance.values["name"],
        version=appliance.values.get("version", ""),
    )
    if existing and not force:
        raise ApplianceExists(existing[0])
    for old in existing:
        delete_appliance(connection, db_id=old)
    new_id = create_appliance(
        connection,
        owner_id=owner_id,
        values=appliance.values,
        bundle_ids=bundle_ids,
        attributes=appliance.attributes,
        now=now,
    )
    connection.execute(
        update(appliance_imports)
        .where(appliance_imports.c.db_id == db_id)
        .values(appliance_id=new_id)
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
) -> ApplianceImportRecord | None:
    """Record an upload whose archive cannot be imported: the job ends in error, nothing
    is made."""
    claim_upload(connection, appliance_imports, db_id=db_id, archive_size=archive_size, now=now)
    mark_refused(connection, appliance_imports, db_id=db_id, message=message, detail=detail)
    return import_by_id(connection, db_id=db_id)
