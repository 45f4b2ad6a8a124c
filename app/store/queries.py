"""Queries on the store. Keyword-only functions that take a Connection and return plain
records (or None); they never raise HTTP errors and know nothing of FastAPI.

The read path uses SQLAlchemy Core on the SQLModel tables: one parameterised SELECT per
question, no ORM session per request.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ConfigDict
from sqlalchemy import Connection, bindparam, delete, func, insert, select

from uforge_mock.jobs.clock import REAL_TIME, ClockState
from uforge_mock.store.models import (
    ApiKey,
    Appliance,
    ApplianceBundle,
    ApplianceExportTicket,
    ApplianceImport,
    BundleImport,
    Category,
    Entitlement,
    ExportTicket,
    IdCounter,
    MockClock,
    MySoftware,
    MySoftwareFields,
    Org,
    OrgMember,
    SoftwareArtifact,
    User,
)
from uforge_mock.store.prepared import PreparedQuery
from uforge_mock.store.tickets import ExportTickets

users = User.__table__  # type: ignore[attr-defined]
entitlements = Entitlement.__table__  # type: ignore[attr-defined]
api_keys = ApiKey.__table__  # type: ignore[attr-defined]
my_software = MySoftware.__table__  # type: ignore[attr-defined]
export_tickets = ExportTicket.__table__  # type: ignore[attr-defined]
orgs = Org.__table__  # type: ignore[attr-defined]
org_members = OrgMember.__table__  # type: ignore[attr-defined]
categories = Category.__table__  # type: ignore[attr-defined]
software_artifacts = SoftwareArtifact.__table__  # type: ignore[attr-defined]
bundle_imports = BundleImport.__table__  # type: ignore[attr-defined]
id_counters = IdCounter.__table__  # type: ignore[attr-defined]
appliances = Appliance.__table__  # type: ignore[attr-defined]
appliance_bundles = ApplianceBundle.__table__  # type: ignore[attr-defined]
appliance_export_tickets = ApplianceExportTicket.__table__  # type: ignore[attr-defined]
appliance_imports = ApplianceImport.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class UserRecord:
    id: int
    login: str
    password_hash: str
    admin: bool
    entitlements: frozenset[str]


class MySoftwareRecord(MySoftwareFields):
    """A mySoftware as the store holds it (its fields are declared once, in `models`), with
    its owner's login."""

    # SQLModel types its config as a TypedDict of its own; pydantic reads the same keys.
    model_config = ConfigDict(frozen=True)  # type: ignore[assignment]

    db_id: int
    owner_id: int
    owner_login: str
    created: datetime
    last_modified: datetime

    def digest_parts(self) -> tuple[object, ...]:
        """Everything it holds, in a fixed order (the mySoftware's digest)."""
        own = (getattr(self, name) for name in MySoftwareFields.model_fields)
        return (self.db_id, self.owner_id, self.owner_login, *own, self.created, self.last_modified)


_user_columns = (
    users.c.id,
    users.c.login,
    users.c.password_hash,
    users.c.admin,
    entitlements.c.name,
)


# Statements are built once: building and keying a SELECT costs more than running it.
_user_by_login = (
    select(*_user_columns)
    .select_from(users.outerjoin(entitlements, entitlements.c.user_id == users.c.id))
    .where(users.c.login == bindparam("login"))
)


USER_BY_LOGIN = PreparedQuery(_user_by_login)


def unstorable(text: str) -> bool:
    """PostgreSQL text cannot hold NUL, and a query naming one fails there: no stored login or
    key holds one, so such a lookup finds nothing without asking."""
    return "\x00" in text


def user_by_login(connection: Connection, *, login: str) -> UserRecord | None:
    """The user called `login` with its entitlements, in one query."""
    if unstorable(login):
        return None
    return user_from_rows(connection.execute(_user_by_login, {"login": login}).all())


def user_from_rows(rows: Sequence[Sequence[Any]]) -> UserRecord | None:
    """A user from the rows of USER_BY_LOGIN (one per entitlement)."""
    if not rows:
        return None
    user_id, login, password_hash, admin, _ = rows[0]
    return UserRecord(
        id=user_id,
        login=login,
        password_hash=password_hash,
        admin=bool(admin),
        entitlements=frozenset(row[4] for row in rows if row[4] is not None),
    )


def user_by_api_key(connection: Connection, *, public_key: str) -> tuple[UserRecord, str] | None:
    """The owner of the API key `public_key` and the key's secret."""
    if unstorable(public_key):
        return None
    row = connection.execute(
        select(users.c.login, api_keys.c.secret_key)
        .select_from(api_keys.join(users, users.c.id == api_keys.c.user_id))
        .where(api_keys.c.public_key == public_key)
    ).first()
    if row is None:
        return None
    user = user_by_login(connection, login=row.login)
    return (user, row.secret_key) if user else None


def count_users(connection: Connection) -> int:
    return int(connection.execute(select(func.count()).select_from(users)).scalar_one())


def my_software_by_id(connection: Connection, *, db_id: int) -> MySoftwareRecord | None:
    row = connection.execute(
        select(my_software, users.c.login.label("owner_login"))
        .select_from(my_software.join(users, users.c.id == my_software.c.owner_id))
        .where(my_software.c.db_id == db_id)
    ).first()
    if row is None:
        return None
    return MySoftwareRecord.model_validate(row._asdict())


# The tickets of the mySoftware exports (the export engine's queries, `tickets.py`).
MY_SOFTWARE_EXPORTS = ExportTickets(
    export_tickets, resource_key="my_software_id", resources=my_software
)
# The tickets of the appliance exports.
APPLIANCE_EXPORTS = ExportTickets(
    appliance_export_tickets, resource_key="appliance_id", resources=appliances
)


# ---------------------------------------------------------------- the mock's clock

mock_clock = MockClock.__table__  # type: ignore[attr-defined]


_clock_state = select(mock_clock.c.frozen_at, mock_clock.c.offset_seconds).where(
    mock_clock.c.id == 1
)


CLOCK_STATE = PreparedQuery(_clock_state)


def clock_state(connection: Connection) -> ClockState:
    return clock_from_rows(connection.execute(_clock_state).all())


def clock_from_rows(rows: Sequence[Sequence[Any]]) -> ClockState:
    return ClockState(rows[0][0], rows[0][1]) if rows else REAL_TIME


def save_clock_state(connection: Connection, *, state: ClockState) -> None:
    connection.execute(delete(mock_clock))
    if state != REAL_TIME:
        connection.execute(
            insert(mock_clock).values(
                id=1, frozen_at=state.frozen_at, offset_seconds=state.offset_seconds
            )
        )


# ---------------------------------------------------------------- control and listings


def wipe(connection: Connection) -> None:
    """Delete every row the seeds and the clients made (the schema stays)."""
    for table in (
        appliance_imports,
        appliance_export_tickets,
        appliance_bundles,
        appliances,
        software_artifacts,
        bundle_imports,
        export_tickets,
        my_software,
        categories,
        org_members,
        orgs,
        api_keys,
        entitlements,
        users,
        mock_clock,
    ):
        connection.execute(delete(table))


def all_users(connection: Connection) -> list[UserRecord]:
    logins = connection.execute(select(users.c.login).order_by(users.c.login)).scalars().all()
    return [user for login in logins if (user := user_by_login(connection, login=login))]
