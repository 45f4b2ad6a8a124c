"""What the dashboard shows, read from the store at one instant: plain rows, bounded.

Bounded: the newest `ROWS` of each kind (a store of a million tickets costs what a store of
fifty does: every read walks a primary key backwards and stops), and a flag saying whether
there are more. Never a secret: the users' columns read are their login, admin flag and
entitlements; password hashes and API keys are not selected at all, so no template can show
them by mistake.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection, Table, select

from uforge_mock.api.export_engine import ExportFamily
from uforge_mock.api.routes.bundle_imports import WAITING_MESSAGE, import_state
from uforge_mock.api.routes.exports import MY_SOFTWARE_EXPORTS
from uforge_mock.jobs.clock import ClockState
from uforge_mock.jobs.simulation import ExportState, export_state
from uforge_mock.store import imports
from uforge_mock.store import queries as store
from uforge_mock.store.tickets import ExportRecord

T = TypeVar("T")

# The newest rows of each kind a dashboard shows.
ROWS = 50
# The export families the dashboard lists (the appliance family, once it exists, joins here).
EXPORT_FAMILIES: tuple[ExportFamily, ...] = (MY_SOFTWARE_EXPORTS,)


@dataclass(frozen=True, slots=True)
class UserRow:
    login: str
    admin: bool
    entitlements: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SoftwareRow:
    db_id: int
    name: str
    version: str
    owner: str
    imported: bool


@dataclass(frozen=True, slots=True)
class JobRow:
    """An export or an import at the instant read: its facts and its state."""

    kind: str  # "export", "import"
    family: str  # what it is of (an export) or makes (an import): "mySoftware"
    db_id: int
    owner: str
    resource_id: int | None
    resource_label: str
    output_format: str | None
    phase: str  # "waiting", "running", "complete", "error", "cancelled"
    percentage: int
    message: str
    error_message: str | None
    detailed_error_msg: str | None
    created: datetime
    forever: bool  # runs for ever (outcome `running`)
    download_path: str | None  # the UForge download route, once complete


@dataclass(frozen=True, slots=True)
class Rows(Generic[T]):
    """The newest rows of a kind, newest first, and whether older ones were left out."""

    items: tuple[T, ...]
    more: bool


@dataclass(frozen=True, slots=True)
class World:
    """Everything the dashboard reads from the store, at `now`."""

    now: datetime
    system_now: datetime
    clock: ClockState
    users: Rows[UserRow]
    software: Rows[SoftwareRow]
    exports: Rows[JobRow]
    imports: Rows[JobRow]
    appliances: Rows[Any]


def read_world(connection: Connection, *, base: datetime) -> World:
    """The store as the dashboard shows it; `base` is the server's base clock's time."""
    clock = store.clock_state(connection)
    now = clock.now(base)
    exports = [row for family in EXPORT_FAMILIES for row in export_rows(connection, family, now)]
    exports.sort(key=lambda row: (row.created, row.db_id), reverse=True)
    return World(
        now=now,
        system_now=base,
        clock=clock,
        users=user_rows(connection),
        software=software_rows(connection),
        exports=_bounded(exports),
        imports=_bounded(import_rows(connection, now)),
        appliances=appliance_rows(connection),
    )


def _bounded(rows: Sequence[T]) -> Rows[T]:
    return Rows(tuple(rows[:ROWS]), len(rows) > ROWS)


def _newest_ids(connection: Connection, table: Table, key: str = "db_id") -> list[int]:
    column = table.c[key]
    return list(
        connection.execute(select(column).order_by(column.desc()).limit(ROWS + 1)).scalars()
    )


def user_rows(connection: Connection) -> Rows[UserRow]:
    users, entitlements = store.users, store.entitlements
    found = connection.execute(
        select(users.c.id, users.c.login, users.c.admin).order_by(users.c.login).limit(ROWS + 1)
    ).all()
    held: dict[int, list[str]] = {}
    ids = [row.id for row in found[:ROWS]]
    for user_id, name in connection.execute(
        select(entitlements.c.user_id, entitlements.c.name)
        .where(entitlements.c.user_id.in_(ids))
        .order_by(entitlements.c.name)
    ):
        held.setdefault(user_id, []).append(name)
    rows = [UserRow(row.login, bool(row.admin), tuple(held.get(row.id, ()))) for row in found]
    return _bounded(rows)


def software_rows(connection: Connection) -> Rows[SoftwareRow]:
    software, users = store.my_software, store.users
    found = connection.execute(
        select(
            software.c.db_id,
            software.c.name,
            software.c.version,
            users.c.login,
            software.c.imported,
        )
        .select_from(software.join(users, users.c.id == software.c.owner_id))
        .order_by(software.c.db_id.desc())
        .limit(ROWS + 1)
    ).all()
    return _bounded([SoftwareRow(*row) for row in found])


def export_rows(connection: Connection, family: ExportFamily, now: datetime) -> list[JobRow]:
    """The newest tickets of `family` (the store's own page of them, from the oldest of the
    newest), newest first."""
    ids = _newest_ids(connection, family.tickets.table)
    if not ids:
        return []
    records = family.tickets.page(connection, after=min(ids) - 1, limit=len(ids))
    return [export_row(family, record, now) for record in reversed(records)]


def export_row(family: ExportFamily, export: ExportRecord, now: datetime) -> JobRow:
    facts = export.facts
    state = export_state(facts, now)
    return JobRow(
        kind="export",
        family=family.name,
        db_id=facts.db_id,
        owner=export.owner_login,
        resource_id=export.resource_id,
        resource_label=f"{export.resource_name} {export.resource_version}".strip(),
        output_format=export.output_format,
        phase=_phase(state),
        percentage=state.percentage,
        message=state.message,
        error_message=state.error_message,
        detailed_error_msg=state.detailed_error_msg,
        created=facts.created,
        forever=facts.outcome == "running",
        download_path=f"/api/{family.export_uri(export)}/downloads" if state.complete else None,
    )


def import_rows(connection: Connection, now: datetime) -> list[JobRow]:
    """The newest bundle imports, newest first."""
    ids = _newest_ids(connection, store.bundle_imports)
    if not ids:
        return []
    records = imports.import_page(connection, after=min(ids) - 1, limit=len(ids))
    return [import_row(record, now) for record in reversed(records)]


def import_row(record: imports.ImportRecord, now: datetime) -> JobRow:
    state = import_state(record, now)
    return JobRow(
        kind="import",
        family="mySoftware",  # what it makes
        db_id=record.db_id,
        owner=record.owner_login,
        resource_id=record.my_software_id,
        resource_label="",
        output_format=None,
        phase=_phase(state) if state else "waiting",
        percentage=state.percentage if state else 0,
        message=state.message if state else WAITING_MESSAGE,
        error_message=state.error_message if state else None,
        detailed_error_msg=state.detailed_error_msg if state else None,
        created=record.created,
        forever=record.outcome == "running",
        download_path=None,
    )


def appliance_rows(connection: Connection) -> Rows[Any]:
    """The appliances with their exports and imports: none until the store holds them (the
    appliance family's branch fills this in; the page shows the section once it has rows)."""
    return Rows((), more=False)


def _phase(state: ExportState) -> str:
    if state.complete:
        return "complete"
    if state.error:
        return "error"
    if state.cancelled:
        return "cancelled"
    return "running"
