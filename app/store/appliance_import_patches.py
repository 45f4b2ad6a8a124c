"""The control plane's side of appliance import tickets: read them a page at a time, and change
a ticket's job facts, as `store.imports` does for bundle imports. (The tickets themselves,
their making and their upload, are `store.appliance_imports`.)"""

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update

from uforge_mock.store.appliance_imports import ApplianceImportRecord, import_by_id
from uforge_mock.store.appliances import delete_appliance
from uforge_mock.store.queries import appliance_imports, users

_PAGE = select(appliance_imports, users.c.login.label("owner_login")).select_from(
    appliance_imports.join(users, users.c.id == appliance_imports.c.owner_id)
)


def import_page(connection: Connection, *, after: int, limit: int) -> list[ApplianceImportRecord]:
    """The tickets whose dbId is past `after`, by dbId, `limit` at most."""
    rows = connection.execute(
        _PAGE.where(appliance_imports.c.db_id > after)
        .order_by(appliance_imports.c.db_id)
        .limit(limit)
    ).all()
    return [ApplianceImportRecord(**row._asdict()) for row in rows]


def update_import(
    connection: Connection, *, db_id: int, values: dict[str, Any], now: datetime
) -> ApplianceImportRecord | None:
    """Change a ticket's job facts (None: no such ticket). A ticket made to fail takes back
    the appliance it made: an import in error has made nothing."""
    record = import_by_id(connection, db_id=db_id)
    if record is None:
        return None
    changes = dict(values, last_modified=now)
    if values.get("outcome") == "error" and record.appliance_id is not None:
        delete_appliance(connection, db_id=record.appliance_id)
        changes["appliance_id"] = None
    connection.execute(
        update(appliance_imports).where(appliance_imports.c.db_id == db_id).values(**changes)
    )
    return import_by_id(connection, db_id=db_id)
