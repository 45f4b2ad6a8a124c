"""Queries on the store. Keyword-only functions that take a Connection and return plain
records (or None); they never raise HTTP errors and know nothing of FastAPI.

The read path uses SQLAlchemy Core on the SQLModel tables: one parameterised SELECT per
question, no ORM session per request.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update
from uforge_mock.jobs.clock import REAL_TIME, ClockState
from uforge_mock.jobs.simulation import TicketFacts
from uforge_mock.store.models import ApiKey, Entitlement, ExportTicket, MockClock, MySoftware, User
from uforge_mock.store.prepared import PreparedQuery

users = User.__table__  # type: ignore[attr-defined]
entitlements = Entitlement.__table__  # type: ignore[attr-defined]
api_keys = ApiKey.__table__  # type: ignore[attr-defined]
my_software = MySoftware.__table__  # type: ignore[attr-defined]
export_tickets = ExportTicket.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class UserRecord:
    id: int
    login: str
    password_hash: str
    admin: bool
    entitlements: frozenset[str]


@dataclass(frozen=True, slots=True)
class MySoftwareRecord:
    db_id: int
    owner_id: int
    owner_login: str
    name: str
    version: str
    description: str | None
    tag: str | None
    short_tag: str | None
    release: str | None
    default_install_location: str | None
    install_location: str | None
    restricted: bool
    installed_size: int | None
    size: int
    revision: int
    maintainer: str | None
    website: str | None
    imported: bool
    generation_enabled: bool
    format_dependent: bool
    export_duration_seconds: float | None
    export_outcome: str | None
    created: datetime
    last_modified: datetime


@dataclass(frozen=True, slots=True)
class ExportRecord:
    """An export ticket with what its routes need of its mySoftware."""

    facts: TicketFacts
    my_software_id: int
    owner_id: int
    owner_login: str
    output_format: str
    bundle_name: str
    bundle_version: str


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
    values = row._asdict()
    return MySoftwareRecord(**values)


_export_query = select(
    export_tickets,
    my_software.c.owner_id,
    users.c.login.label("owner_login"),
    my_software.c.name.label("bundle_name"),
    my_software.c.version.label("bundle_version"),
).select_from(
    export_tickets.join(my_software, my_software.c.db_id == export_tickets.c.my_software_id).join(
        users, users.c.id == my_software.c.owner_id
    )
)


_FACT_COLUMNS = tuple(field.name for field in fields(TicketFacts))
_export_by_id = _export_query.where(export_tickets.c.db_id == bindparam("db_id"))
EXPORT_BY_ID = PreparedQuery(_export_by_id)


def export_by_id(connection: Connection, *, db_id: int) -> ExportRecord | None:
    row = connection.execute(_export_by_id, {"db_id": db_id}).first()
    return None if row is None else _export_record(dict(row._mapping))


_EXPORT_POSITIONS = {name: index for index, name in enumerate(EXPORT_BY_ID.keys)}
_FACT_POSITIONS = tuple(_EXPORT_POSITIONS[name] for name in _FACT_COLUMNS)


def export_from_rows(rows: Sequence[Sequence[Any]]) -> ExportRecord | None:
    """The export of EXPORT_BY_ID's rows, if any (read by position: this is the hot path)."""
    if not rows:
        return None
    row, at = rows[0], _EXPORT_POSITIONS
    return ExportRecord(
        facts=TicketFacts(*(row[index] for index in _FACT_POSITIONS)),
        my_software_id=row[at["my_software_id"]],
        owner_id=row[at["owner_id"]],
        owner_login=row[at["owner_login"]],
        output_format=row[at["output_format"]],
        bundle_name=row[at["bundle_name"]],
        bundle_version=row[at["bundle_version"]],
    )


def _export_record(values: Mapping[str, Any]) -> ExportRecord:
    return ExportRecord(
        facts=TicketFacts(**{name: values[name] for name in _FACT_COLUMNS}),
        my_software_id=values["my_software_id"],
        owner_id=values["owner_id"],
        owner_login=values["owner_login"],
        output_format=values["output_format"],
        bundle_name=values["bundle_name"],
        bundle_version=values["bundle_version"],
    )


def create_export(
    connection: Connection,
    *,
    my_software_id: int,
    output_format: str,
    created: datetime,
    duration_seconds: float,
    outcome: str,
    percentage: int,
) -> ExportRecord:
    """A new export ticket on `my_software_id`, numbered by the database."""
    result = connection.execute(
        insert(export_tickets).values(
            my_software_id=my_software_id,
            output_format=output_format,
            created=created,
            last_modified=created,
            duration_seconds=duration_seconds,
            outcome=outcome,
            percentage=percentage,
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    record = export_by_id(connection, db_id=int(key[0]))
    assert record is not None
    return record


def delete_export(connection: Connection, *, db_id: int) -> bool:
    """Delete the ticket; False when it was already gone."""
    return (
        connection.execute(delete(export_tickets).where(export_tickets.c.db_id == db_id)).rowcount
        > 0
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
    for table in (export_tickets, my_software, api_keys, entitlements, users, mock_clock):
        connection.execute(delete(table))


def update_export(
    connection: Connection, *, db_id: int, values: dict[str, object], now: datetime
) -> ExportRecord | None:
    """Change a ticket's facts; it is then last modified `now`. None when it does not exist."""
    result = connection.execute(
        update(export_tickets)
        .where(export_tickets.c.db_id == db_id)
        .values(**values, last_modified=now)
    )
    return export_by_id(connection, db_id=db_id) if result.rowcount else None


def all_exports(connection: Connection) -> list[ExportRecord]:
    rows = connection.execute(_export_query.order_by(export_tickets.c.db_id)).all()
    return [_export_record(dict(row._mapping)) for row in rows]


def all_users(connection: Connection) -> list[UserRecord]:
    logins = connection.execute(select(users.c.login).order_by(users.c.login)).scalars().all()
    return [user for login in logins if (user := user_by_login(connection, login=login))]
