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
from typing import Generic, TypeVar

from sqlalchemy import Connection, Table, select

from uforge_mock.api.export_engine import ExportFamily
from uforge_mock.api.routes.appliance_exports import APPLIANCE_EXPORTS
from uforge_mock.api.routes.appliance_imports import import_state as appliance_import_state
from uforge_mock.api.routes.bundle_imports import WAITING_MESSAGE, import_state
from uforge_mock.api.routes.exports import MY_SOFTWARE_EXPORTS
from uforge_mock.jobs.clock import Clock, ClockState
from uforge_mock.jobs.simulation import ExportState, export_state
from uforge_mock.store import appliance_import_patches, imports
from uforge_mock.store import queries as store
from uforge_mock.store.appliance_imports import ApplianceImportRecord
from uforge_mock.store.tickets import ExportRecord

T = TypeVar("T")

# The newest rows of each kind a dashboard shows.
ROWS = 50
# The export families the dashboard lists, in one table.
EXPORT_FAMILIES: tuple[ExportFamily, ...] = (MY_SOFTWARE_EXPORTS, APPLIANCE_EXPORTS)
# The kind of a family's export rows: the page's element ids and `data-` attributes, and the
# action's path, are by kind (a mySoftware export 17 and an appliance export 17 both exist).
EXPORT_KINDS = {MY_SOFTWARE_EXPORTS.name: "export", APPLIANCE_EXPORTS.name: "appliance-export"}
# What the page calls a row of each kind.
KIND_LABELS = {
    "export": "mySoftware export",
    "appliance-export": "appliance export",
    "import": "bundle import",
    "appliance-import": "appliance import",
}


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

    kind: str  # "export", "import", "appliance-export", "appliance-import" (`KIND_LABELS`)
    family: str  # what it is of (an export) or makes (an import): "mySoftware", "appliance"
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

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]


@dataclass(frozen=True, slots=True)
class ApplianceRow:
    db_id: int
    name: str
    version: str
    os: str  # distribution, its version, architecture
    owner: str
    imported: bool


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
    appliances: Rows[ApplianceRow]


def read_world(connection: Connection, *, base_clock: Clock) -> World:
    """The store as the dashboard shows it, at the mock's time now."""
    clock = store.clock_state(connection)
    # The base time is taken after the clock's state is read, as `Runtime.now` does: taken
    # before, a clock set running meanwhile (its offset computed from a later base time) would
    # put the mock's time back, and a bar from 30 % to 29 %.
    base = base_clock.now()
    now = clock.now(base)
    exports = [row for family in EXPORT_FAMILIES for row in export_rows(connection, family, now)]
    exports.sort(key=lambda row: (row.created, row.db_id), reverse=True)
    jobs = import_rows(connection, now) + appliance_import_rows(connection, now)
    jobs.sort(key=lambda row: (row.created, row.db_id), reverse=True)
    return World(
        now=now,
        system_now=base,
        clock=clock,
        users=user_rows(connection),
        software=software_rows(connection),
        exports=_bounded(exports),
        imports=_bounded(jobs),
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
    state = export_state(facts, now, family.wording)
    return JobRow(
        kind=EXPORT_KINDS[family.name],
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


def appliance_import_rows(connection: Connection, now: datetime) -> list[JobRow]:
    """The newest appliance imports, newest first."""
    ids = _newest_ids(connection, store.appliance_imports)
    if not ids:
        return []
    records = appliance_import_patches.import_page(connection, after=min(ids) - 1, limit=len(ids))
    return [appliance_import_row(record, now) for record in reversed(records)]


def appliance_import_row(record: ApplianceImportRecord, now: datetime) -> JobRow:
    state = appliance_import_state(record, now)
    return JobRow(
        kind="appliance-import",
        family="appliance",  # what it makes
        db_id=record.db_id,
        owner=record.owner_login,
        resource_id=record.appliance_id,
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


def appliance_rows(connection: Connection) -> Rows[ApplianceRow]:
    """The newest appliances (templates): what they are, on what OS, whose."""
    appliances, users = store.appliances, store.users
    found = connection.execute(
        select(
            appliances.c.db_id,
            appliances.c.name,
            appliances.c.version,
            appliances.c.distribution_name,
            appliances.c.distribution_version,
            appliances.c.arch_name,
            users.c.login,
            appliances.c.imported,
        )
        .select_from(appliances.join(users, users.c.id == appliances.c.owner_id))
        .order_by(appliances.c.db_id.desc())
        .limit(ROWS + 1)
    ).all()
    rows = [
        ApplianceRow(
            db_id=row.db_id,
            name=row.name,
            version=row.version,
            os=f"{row.distribution_name} {row.distribution_version} {row.arch_name}",
            owner=row.login,
            imported=bool(row.imported),
        )
        for row in found
    ]
    return _bounded(rows)


def _phase(state: ExportState) -> str:
    if state.complete:
        return "complete"
    if state.error:
        return "error"
    if state.cancelled:
        return "cancelled"
    return "running"
