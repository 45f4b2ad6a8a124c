"""The appliance templates of users: records, listing, creating, cloning and deleting them.

Keyword-only functions of a Connection, like `queries` and `library`: plain records in, plain
records out. An appliance's own fields are declared once (`models.ApplianceFields`); its
bundles are mySoftware it references, in order (`appliance_bundles`).
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ConfigDict
from sqlalchemy import Connection, delete, false, func, insert, select, text, update

from uforge_mock.store.library import Criteria, criteria_page, criteria_where
from uforge_mock.store.models import ApplianceFields, camel_case
from uforge_mock.store.queries import (
    APPLIANCE_EXPORTS,
    appliance_bundles,
    appliance_export_tickets,
    appliances,
    id_counters,
    my_software,
    users,
)
from uforge_mock.store.tickets import ExportRecord

# The id_counters row of appliance ids (migration 0004 makes it).
APPLIANCE_COUNTER = "appliances"


@dataclass(frozen=True, slots=True)
class BundleRef:
    """A mySoftware an appliance holds: enough to name it (URI, template file)."""

    my_software_id: int
    owner_login: str
    name: str
    version: str


class ApplianceRecord(ApplianceFields):
    """An appliance as the store holds it (its fields are declared once, in `models`), with
    its owner's login, its template file's other keys and its bundles in order."""

    # SQLModel types its config as a TypedDict of its own; pydantic reads the same keys.
    model_config = ConfigDict(frozen=True)  # type: ignore[assignment]

    db_id: int
    owner_id: int
    owner_login: str
    attributes: str | None = None
    created: datetime
    last_modified: datetime
    bundles: tuple[BundleRef, ...] = ()

    @property
    def extra(self) -> dict[str, Any]:
        """The template file's other keys of its `stack`, as an import kept them."""
        if not self.attributes:
            return {}
        loaded = json.loads(self.attributes)
        return loaded if isinstance(loaded, dict) else {}

    def digest_parts(self) -> tuple[object, ...]:
        """Everything it holds, in a fixed order (the appliance's digest)."""
        own = (getattr(self, name) for name in ApplianceFields.model_fields)
        bundles = ((b.my_software_id, b.owner_login, b.name, b.version) for b in self.bundles)
        return (
            self.db_id,
            self.owner_id,
            self.owner_login,
            *own,
            self.attributes,
            self.created,
            self.last_modified,
            *bundles,
        )


# The fields a listing may search and order on, by wire name.
APPLIANCE_COLUMNS: dict[str, Any] = {
    "dbId": appliances.c.db_id,
    "name": appliances.c.name,
    "version": appliances.c.version,
    "description": appliances.c.description,
    "archName": appliances.c.arch_name,
    "created": appliances.c.created,
    "lastModified": appliances.c.last_modified,
}

_with_owner = select(appliances, users.c.login.label("owner_login")).select_from(
    appliances.join(users, users.c.id == appliances.c.owner_id)
)


def bundles_of(
    connection: Connection, *, appliance_ids: Sequence[int]
) -> dict[int, tuple[BundleRef, ...]]:
    """The bundles of each appliance of `appliance_ids`, in their order."""
    if not appliance_ids:
        return {}
    rows = connection.execute(
        select(
            appliance_bundles.c.appliance_id,
            my_software.c.db_id,
            users.c.login,
            my_software.c.name,
            my_software.c.version,
        )
        .select_from(
            appliance_bundles.join(
                my_software, my_software.c.db_id == appliance_bundles.c.my_software_id
            ).join(users, users.c.id == my_software.c.owner_id)
        )
        .where(appliance_bundles.c.appliance_id.in_(list(appliance_ids)))
        .order_by(appliance_bundles.c.appliance_id, appliance_bundles.c.position)
    ).all()
    found: dict[int, list[BundleRef]] = {}
    for appliance_id, db_id, login, name, version in rows:
        found.setdefault(appliance_id, []).append(BundleRef(db_id, login, name, version))
    return {key: tuple(value) for key, value in found.items()}


def _records(connection: Connection, rows: Sequence[Any]) -> list[ApplianceRecord]:
    bundles = bundles_of(connection, appliance_ids=[row.db_id for row in rows])
    return [
        ApplianceRecord.model_validate({**row._asdict(), "bundles": bundles.get(row.db_id, ())})
        for row in rows
    ]


def appliance_by_id(connection: Connection, *, db_id: int) -> ApplianceRecord | None:
    rows = connection.execute(_with_owner.where(appliances.c.db_id == db_id)).all()
    records = _records(connection, rows)
    return records[0] if records else None


@dataclass(frozen=True, slots=True)
class AppliancePage:
    total: int
    items: list[ApplianceRecord]


def appliance_page(connection: Connection, *, owner_id: int, criteria: Criteria) -> AppliancePage:
    """One page of the appliances of `owner_id` that meet `criteria`, and how many do."""
    dialect = connection.dialect.name
    base = _with_owner.where(appliances.c.owner_id == owner_id)
    rows = connection.execute(
        criteria_page(base, APPLIANCE_COLUMNS, criteria, appliances.c.db_id, dialect)
    ).all()
    total = connection.execute(
        criteria_where(
            select(func.count()).select_from(appliances).where(appliances.c.owner_id == owner_id),
            APPLIANCE_COLUMNS,
            criteria,
            dialect,
        )
    ).scalar_one()
    return AppliancePage(total=int(total), items=_records(connection, rows))


# The fields a listing of appliance exports may search and order on, by wire name.
APPLIANCE_EXPORT_COLUMNS: dict[str, Any] = {
    "dbId": appliance_export_tickets.c.db_id,
    "created": appliance_export_tickets.c.created,
    "lastModified": appliance_export_tickets.c.last_modified,
    "applianceName": appliances.c.name,
    "applianceVersion": appliances.c.version,
}


@dataclass(frozen=True, slots=True)
class ExportPage:
    total: int
    items: list[ExportRecord]


def appliance_export_page(
    connection: Connection, *, owner_id: int, criteria: Criteria
) -> ExportPage:
    """One page of the exports of the appliances of `owner_id` that meet `criteria`, and how
    many do (`GET /users/{uid}/exports`)."""
    dialect = connection.dialect.name
    tickets = APPLIANCE_EXPORTS
    key = appliance_export_tickets.c.db_id
    rows = connection.execute(
        criteria_page(
            tickets.owned_statement(owner_id), APPLIANCE_EXPORT_COLUMNS, criteria, key, dialect
        )
    ).all()
    counted = (
        select(func.count())
        .select_from(
            appliance_export_tickets.join(
                appliances, appliances.c.db_id == appliance_export_tickets.c.appliance_id
            )
        )
        .where(appliances.c.owner_id == owner_id)
    )
    total = connection.execute(
        criteria_where(counted, APPLIANCE_EXPORT_COLUMNS, criteria, dialect)
    ).scalar_one()
    items = [record for row in rows if (record := tickets.from_rows([row])) is not None]
    return ExportPage(total=int(total), items=items)


# ---------------------------------------------------------------- writes

# The fields a client may set on an appliance (clone), by field name: what it is called and
# says of itself; its OS and bundles are the original's, how its exports behave only a seed
# sets, and the rest is the platform's.
_SETTABLE = {"name", "version", "description", "shared"}


def settable_fields(wire_fields: dict[str, Any]) -> dict[str, Any]:
    """The column values of a client's appliance fields (camelCase in, snake_case out)."""
    by_wire = {camel_case(name): name for name in _SETTABLE}
    return {by_wire[key]: value for key, value in wire_fields.items() if key in by_wire}


def next_appliance_id(connection: Connection) -> int:
    """The id of a new appliance: after every id handed out (seeds give ids of their own).

    The table's writers are held off first, until this transaction ends, so that two creates
    at once cannot read the same largest id (as `library.next_my_software_id`)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("LOCK TABLE appliances IN SHARE ROW EXCLUSIVE MODE"))
    else:
        connection.execute(delete(appliances).where(false()))
    largest = connection.execute(select(func.max(appliances.c.db_id))).scalar_one()
    handed_out = connection.execute(
        select(id_counters.c.last).where(id_counters.c.name == APPLIANCE_COUNTER)
    ).scalar()
    db_id = max(int(largest or 0), int(handed_out or 0)) + 1
    remember_appliance_id(connection, db_id)
    return db_id


def remember_appliance_id(connection: Connection, db_id: int) -> None:
    """Record `db_id` as handed out (or deleted), so that no new appliance takes it."""
    connection.execute(
        update(id_counters)
        .where(id_counters.c.name == APPLIANCE_COUNTER, id_counters.c.last < db_id)
        .values(last=db_id)
    )


def create_appliance(
    connection: Connection,
    *,
    owner_id: int,
    values: dict[str, Any],
    bundle_ids: Sequence[int] = (),
    attributes: dict[str, Any] | None = None,
    now: datetime,
    db_id: int | None = None,
) -> int:
    """A new appliance of `owner_id` with `values` (its `ApplianceFields`, by field name)
    holding the mySoftware `bundle_ids` in order; its id (`db_id`, or the next one)."""
    new_id = db_id if db_id is not None else next_appliance_id(connection)
    if db_id is not None:
        remember_appliance_id(connection, db_id)
    connection.execute(
        insert(appliances).values(
            db_id=new_id,
            owner_id=owner_id,
            attributes=json.dumps(attributes) if attributes else None,
            created=now,
            last_modified=now,
            **values,
        )
    )
    set_bundles(connection, appliance_id=new_id, bundle_ids=bundle_ids)
    return new_id


def set_bundles(connection: Connection, *, appliance_id: int, bundle_ids: Sequence[int]) -> None:
    """The appliance's bundles become `bundle_ids`, in that order."""
    connection.execute(
        delete(appliance_bundles).where(appliance_bundles.c.appliance_id == appliance_id)
    )
    if bundle_ids:
        connection.execute(
            insert(appliance_bundles),
            [
                {"appliance_id": appliance_id, "position": position, "my_software_id": bundle}
                for position, bundle in enumerate(bundle_ids)
            ],
        )


def delete_appliance(connection: Connection, *, db_id: int) -> bool:
    """Delete it with its bundles' links and export tickets; its id is never handed out
    again. False when it was already gone."""
    remember_appliance_id(connection, db_id)
    connection.execute(delete(appliance_bundles).where(appliance_bundles.c.appliance_id == db_id))
    connection.execute(
        delete(appliance_export_tickets).where(appliance_export_tickets.c.appliance_id == db_id)
    )
    result = connection.execute(delete(appliances).where(appliances.c.db_id == db_id))
    return result.rowcount == 1


def clone_appliance(
    connection: Connection, *, db_id: int, values: dict[str, Any], now: datetime
) -> int | None:
    """A copy of the appliance `db_id` (its fields and bundles) with `values` over them; its
    id, or None when the original is gone. A clone is the user's own: not imported."""
    original = connection.execute(select(appliances).where(appliances.c.db_id == db_id)).first()
    if original is None:
        return None
    row = original._asdict()
    new_id = next_appliance_id(connection)
    row.update(values)
    row.update(db_id=new_id, created=now, last_modified=now, imported=False)
    connection.execute(insert(appliances).values(**row))
    bundle_ids = connection.execute(
        select(appliance_bundles.c.my_software_id)
        .where(appliance_bundles.c.appliance_id == db_id)
        .order_by(appliance_bundles.c.position)
    ).scalars()
    set_bundles(connection, appliance_id=new_id, bundle_ids=list(bundle_ids))
    return new_id
