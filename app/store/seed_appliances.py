"""The sections of the appliance family in a seed: `appliances` (templates, their fields as
`models.ApplianceFields` declares them, and the mySoftware they hold), `applianceExports`
(their export tickets, as `exports` are for mySoftware) and `applianceImports` (import tickets,
as `bundleImports`). Their entries, their checks against the file and the store, and their
writes; `seed.py` reads the document and calls these in its one transaction.
"""

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Self

from pydantic import ConfigDict, field_validator, model_validator
from sqlalchemy import Table, select
from sqlmodel import Session

from uforge_mock.store.appliances import set_bundles
from uforge_mock.store.models import (
    Appliance,
    ApplianceBundle,
    ApplianceExportTicket,
    ApplianceFields,
    ApplianceImport,
    MySoftware,
    User,
    seed_name,
)
from uforge_mock.store.seed_errors import DbId, Problems, SeedEntry, utc
from uforge_mock.store.seed_family import Login, SeedExportJob, SeedImportJob
from uforge_mock.store.seed_rows import (
    SeedReport,
    Writes,
    chunks,
    differs,
    record,
    rows_by_id,
    user_ids,
)

_appliances = Appliance.__table__  # type: ignore[attr-defined]
_appliance_bundles = ApplianceBundle.__table__  # type: ignore[attr-defined]
_export_tickets = ApplianceExportTicket.__table__  # type: ignore[attr-defined]
_imports = ApplianceImport.__table__  # type: ignore[attr-defined]
_my_software = MySoftware.__table__  # type: ignore[attr-defined]
_users = User.__table__  # type: ignore[attr-defined]

# The tables of the family whose rows a seed gives the ids of and the store numbers too (their
# counters are moved after the largest id, as `seed.SEEDED_ID_TABLES`'). Appliances are
# numbered after every id handed out (`appliances.next_appliance_id`): a seeded id is seen.
APPLIANCE_ID_TABLES: tuple[Table, ...] = (_export_tickets, _imports)


class SeedAppliance(ApplianceFields, SeedEntry):
    """An appliance template: its key, owner and times, every field the store declares for an
    appliance (`models.ApplianceFields`) under its seed name, and `bundles`, the dbIds of the
    owner's mySoftware it holds, in order (left out: it keeps those it has)."""

    # SQLModel types its config as a TypedDict of its own; pydantic reads the same keys.
    model_config = ConfigDict(  # type: ignore[assignment]
        extra="forbid", alias_generator=seed_name, validate_by_name=False, validate_by_alias=True
    )

    dbId: DbId
    owner: Login
    created: datetime | None = None
    lastModified: datetime | None = None
    bundles: list[DbId] | None = None

    _zones = field_validator("created", "lastModified")(utc)


class SeedApplianceExport(SeedExportJob):
    """An appliance export ticket, as a mySoftware's export is (`exports`)."""

    appliance: DbId


class SeedApplianceImport(SeedImportJob):
    """An appliance import ticket (`template import` / `template create`), as a bundle import
    is, with the other flags of its query; `appliance` is the template a complete one made."""

    force: bool = False
    reuseBundles: bool = False
    useMajor: bool = False
    appliance: DbId | None = None

    @model_validator(mode="after")
    def _made(self) -> Self:
        self.made_only_if_complete("appliance", "an appliance")
        return self


# The sections, by their name in a document, in the order they are read and written.
APPLIANCE_SECTIONS: dict[str, type[SeedEntry]] = {
    "appliances": SeedAppliance,
    "applianceExports": SeedApplianceExport,
    "applianceImports": SeedApplianceImport,
}


@dataclass(frozen=True)
class ApplianceSeed:
    """The appliance family's sections of one document."""

    appliances: Sequence[SeedAppliance]
    exports: Sequence[SeedApplianceExport]
    imports: Sequence[SeedApplianceImport]

    def __bool__(self) -> bool:
        return bool(self.appliances or self.exports or self.imports)

    def tables_with_ids(self) -> list[Table]:
        """The tables of APPLIANCE_ID_TABLES this seed writes rows of."""
        written = {_export_tickets: bool(self.exports), _imports: bool(self.imports)}
        return [table for table in APPLIANCE_ID_TABLES if written[table]]

    def owners(self) -> set[str]:
        """The logins its entries name."""
        return {entry.owner for entry in self.appliances} | {t.owner for t in self.imports}

    # ------------------------------------------------------------ checks

    def duplicates(self) -> Iterator[str]:
        """The same dbId twice in a section; a mySoftware twice in an appliance's bundles."""
        sections: list[tuple[str, Sequence[Any]]] = [
            ("appliances", self.appliances),
            ("applianceExports", self.exports),
            ("applianceImports", self.imports),
        ]
        for section, entries in sections:
            seen: dict[int, int] = {}
            for index, entry in enumerate(entries):
                first = seen.setdefault(entry.dbId, index)
                if first != index:
                    yield (
                        f"{section}[{index}] (dbId {entry.dbId}): field 'dbId': the same dbId "
                        f"as {section}[{first}]"
                    )
        for index, appliance in enumerate(self.appliances):
            listed = appliance.bundles or []
            for position, software in enumerate(listed):
                if software in listed[:position]:
                    yield (
                        f"appliances[{index}] (dbId {appliance.dbId}): field "
                        f"'bundles.{position}': mySoftware {software} is listed twice"
                    )

    def check(
        self,
        session: Session,
        *,
        logins: set[str],
        software_owners: Mapping[int, str],
        problems: Problems,
    ) -> None:
        """Check what the entries name against the file and the store: owners, the owner's
        mySoftware an appliance holds, the appliance of an export or of an import.

        `logins`: the users of the file; `software_owners`: the owner of each mySoftware of
        the file, by dbId."""
        if not self:
            return
        known = logins | user_ids(session, self.owners() - logins).keys()
        software = dict(software_owners)
        wanted = {s for a in self.appliances for s in a.bundles or ()} - software.keys()
        software.update(_owners_of(session, _my_software, wanted))
        appliance_owners = {entry.dbId: entry.owner for entry in self.appliances}
        wanted = {e.appliance for e in self.exports} | {
            i.appliance for i in self.imports if i.appliance is not None
        }
        appliance_owners.update(_owners_of(session, _appliances, wanted - appliance_owners.keys()))
        for index, appliance in enumerate(self.appliances):
            where = f"appliances[{index}] (dbId {appliance.dbId})"
            if appliance.owner not in known:
                problems.add(
                    f"{where}: field 'owner': no user {appliance.owner!r} in the file or the store"
                )
            for position, db_id in enumerate(appliance.bundles or ()):
                if db_id not in software:
                    problems.add(
                        f"{where}: field 'bundles.{position}': no mySoftware {db_id} in the "
                        "file or the store"
                    )
                elif software[db_id] != appliance.owner:
                    problems.add(
                        f"{where}: field 'bundles.{position}': mySoftware {db_id} is not "
                        f"{appliance.owner}'s"
                    )
        for index, export in enumerate(self.exports):
            if export.appliance not in appliance_owners:
                problems.add(
                    f"applianceExports[{index}] (dbId {export.dbId}): field 'appliance': no "
                    f"appliance {export.appliance} in the file or the store"
                )
        for index, ticket in enumerate(self.imports):
            where = f"applianceImports[{index}] (dbId {ticket.dbId})"
            if ticket.owner not in known:
                problems.add(
                    f"{where}: field 'owner': no user {ticket.owner!r} in the file or the store"
                )
            if ticket.appliance is None:
                continue
            if ticket.appliance not in appliance_owners:
                problems.add(
                    f"{where}: field 'appliance': no appliance {ticket.appliance} in the file "
                    "or the store"
                )
            elif appliance_owners[ticket.appliance] != ticket.owner:
                problems.add(
                    f"{where}: field 'appliance': appliance {ticket.appliance} is not "
                    f"{ticket.owner}'s"
                )

    # ------------------------------------------------------------ writes

    def write(
        self, session: Session, *, now: datetime, export_duration: float, report: SeedReport
    ) -> None:
        """Write the sections (after the users and the mySoftware they name), matched on
        dbId: an entry that says what the store has is not touched."""
        if not self:
            return
        owners = user_ids(session, self.owners())
        self._put_appliances(session, owners, now, report)
        self._put_exports(session, now, export_duration, report)
        self._put_imports(session, owners, now, export_duration, report)

    def _put_appliances(
        self, session: Session, owners: dict[str, int], now: datetime, report: SeedReport
    ) -> None:
        existing = rows_by_id(session, _appliances, [entry.dbId for entry in self.appliances])
        stored_bundles = _bundles_of(session, existing.keys())
        rows = Writes(_appliances)
        new_bundles: dict[int, list[int]] = {}
        for entry in self.appliances:
            values: dict[str, Any] = {
                "owner_id": owners[entry.owner],
                **{name: getattr(entry, name) for name in ApplianceFields.model_fields},
            }
            row = existing.get(entry.dbId)
            if row is None:
                created = entry.created or now
                rows.insert(
                    entry.dbId,
                    attributes=None,
                    created=created,
                    last_modified=entry.lastModified or created,
                    **values,
                )
                new_bundles[entry.dbId] = entry.bundles or []
                record(report, "appliances", entry.dbId, created=True, changed=True)
                continue
            if entry.created is not None:
                values["created"] = entry.created
            bundles_differ = entry.bundles is not None and entry.bundles != stored_bundles.get(
                entry.dbId, []
            )
            if bundles_differ:
                new_bundles[entry.dbId] = entry.bundles or []
            changed = differs(row, values) or bundles_differ
            if entry.lastModified is not None:
                changed |= row["last_modified"] != entry.lastModified
                values["last_modified"] = entry.lastModified
            elif changed:
                values["last_modified"] = now
            if changed:
                rows.update(entry.dbId, row, values)
            record(report, "appliances", entry.dbId, created=False, changed=changed)
        rows.write(session)
        connection = session.connection()
        for db_id, bundle_ids in new_bundles.items():
            set_bundles(connection, appliance_id=db_id, bundle_ids=bundle_ids)

    def _put_exports(
        self, session: Session, now: datetime, export_duration: float, report: SeedReport
    ) -> None:
        existing = rows_by_id(session, _export_tickets, [entry.dbId for entry in self.exports])
        rows = Writes(_export_tickets)
        for entry in self.exports:
            values: dict[str, Any] = {
                "appliance_id": entry.appliance,
                "output_format": entry.outputFormat,
                **entry.job_values(export_duration),
            }
            _put_ticket(rows, existing.get(entry.dbId), entry.dbId, entry.created, values, now)
            _note(report, "applianceExports", entry.dbId, existing.get(entry.dbId), values)
        rows.write(session)

    def _put_imports(
        self,
        session: Session,
        owners: dict[str, int],
        now: datetime,
        export_duration: float,
        report: SeedReport,
    ) -> None:
        existing = rows_by_id(session, _imports, [entry.dbId for entry in self.imports])
        rows = Writes(_imports)
        for entry in self.imports:
            values: dict[str, Any] = {
                "owner_id": owners[entry.owner],
                "imported": entry.imported,
                "force": entry.force,
                "reuse_bundles": entry.reuseBundles,
                "use_major": entry.useMajor,
                "uploaded": entry.uploaded,
                "appliance_id": entry.appliance,
                **entry.job_values(export_duration),
            }
            row = existing.get(entry.dbId)
            if row is None:
                values["archive_size"] = None
            created = entry.created if row is not None else entry.created_at(now)
            _put_ticket(rows, row, entry.dbId, created, values, now)
            _note(report, "applianceImports", entry.dbId, row, values)
        rows.write(session)


def _put_ticket(
    rows: Writes,
    row: Any,
    db_id: int,
    created: datetime | None,
    values: dict[str, Any],
    now: datetime,
) -> None:
    """A ticket inserted, or updated when it differs. Without a `created` in the file a
    stored ticket keeps the one it was first loaded with. (`values` gets the times written.)"""
    if row is None:
        start = created or now
        values.update(created=start, last_modified=start)
        rows.insert(db_id, **values)
        return
    if created is not None:
        values["created"] = created
    if differs(row, values):
        rows.update(
            db_id, row, {**values, "last_modified": max(now, values.get("created", row["created"]))}
        )


def _note(report: SeedReport, section: str, db_id: int, row: Any, values: dict[str, Any]) -> None:
    created = row is None
    record(report, section, db_id, created=created, changed=created or differs(row, values))


def _owners_of(session: Session, table: Table, ids: set[int]) -> dict[int, str]:
    """The login of the owner of each row of `table` (a mySoftware, an appliance) among `ids`."""
    found: dict[int, str] = {}
    for chunk in chunks(ids):
        statement = (
            select(table.c.db_id, _users.c.login)
            .select_from(table.join(_users, _users.c.id == table.c.owner_id))
            .where(table.c.db_id.in_(chunk))
        )
        found.update((db_id, login) for db_id, login in session.execute(statement))
    return found


def _bundles_of(session: Session, appliance_ids: Any) -> dict[int, list[int]]:
    """The mySoftware each stored appliance of `appliance_ids` holds, in order."""
    found: dict[int, list[int]] = {}
    for chunk in chunks(appliance_ids):
        statement = (
            select(_appliance_bundles.c.appliance_id, _appliance_bundles.c.my_software_id)
            .where(_appliance_bundles.c.appliance_id.in_(chunk))
            .order_by(_appliance_bundles.c.appliance_id, _appliance_bundles.c.position)
        )
        for appliance_id, software in session.execute(statement):
            found.setdefault(appliance_id, []).append(software)
    return found
