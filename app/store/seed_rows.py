"""What a seed's sections share when they write the store: the report of a load, and the rows
of a table read and written in bulk (a statement per row held the store for minutes on a
large seed). `seed` (users, orgs, the mySoftware family) and `seed_appliances` (the appliance
family) write through these."""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import RowMapping, Table, bindparam, insert, select, update
from sqlmodel import Session

from uforge_mock.store.models import User

# Ids asked of the store at once (SQLite takes 32766 parameters a statement, older ones 999).
CHUNK = 500

_users = User.__table__  # type: ignore[attr-defined]


@dataclass
class SeedReport:
    """What a load did, per section: ids created, updated, and left as they were."""

    created: dict[str, list[str]] = field(default_factory=dict)
    updated: dict[str, list[str]] = field(default_factory=dict)
    unchanged: dict[str, list[str]] = field(default_factory=dict)

    def _note(self, kind: dict[str, list[str]], section: str, key: object) -> None:
        kind.setdefault(section, []).append(str(key))

    def as_json(self) -> dict[str, dict[str, list[str]]]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}

    def summary(self) -> str:
        def count(kind: dict[str, list[str]]) -> int:
            return sum(len(keys) for keys in kind.values())

        return (
            f"{count(self.created)} created, {count(self.updated)} updated, "
            f"{count(self.unchanged)} unchanged"
        )


def record(report: SeedReport, section: str, key: object, *, created: bool, changed: bool) -> None:
    """Note an entry of `section` in the report: created, updated or unchanged."""
    kind = report.created if created else report.updated if changed else report.unchanged
    report._note(kind, section, key)


class Writes:
    """The rows of one table a seed inserts and updates, written in bulk (executemany): a
    statement per row would hold the store for minutes on a large seed."""

    def __init__(self, table: Table) -> None:
        self._table = table
        self._inserts: list[dict[str, Any]] = []
        self._updates: list[dict[str, Any]] = []

    def insert(self, db_id: int, **values: Any) -> None:
        self._inserts.append({"db_id": db_id, **values})

    def update(self, db_id: int, row: RowMapping, values: dict[str, Any]) -> None:
        """Every column is written (one statement for all): those not in `values` as they are."""
        self._updates.append(
            {f"new_{name}": values.get(name, row[name]) for name in self._columns()}
            | {"key_db_id": db_id}
        )

    def _columns(self) -> list[str]:
        return [column.name for column in self._table.c if column.name != "db_id"]

    def write(self, session: Session) -> None:
        if self._inserts:
            session.execute(insert(self._table), self._inserts)
        if self._updates:
            statement = (
                update(self._table)
                .where(self._table.c.db_id == bindparam("key_db_id"))
                .values({name: bindparam(f"new_{name}") for name in self._columns()})
            )
            session.execute(statement, self._updates)


def chunks(values: Iterable[Any]) -> Iterator[list[Any]]:
    """`values` without repeats, in order, `CHUNK` at a time."""
    ordered = sorted(set(values))
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start : start + CHUNK]


def rows_by_id(session: Session, table: Table, ids: Iterable[int]) -> dict[int, RowMapping]:
    """The rows of `table` among `ids`, by dbId (ids not there are not)."""
    rows: dict[int, RowMapping] = {}
    for chunk in chunks(ids):
        statement = select(table).where(table.c.db_id.in_(chunk))
        rows.update((row["db_id"], row) for row in session.execute(statement).mappings())
    return rows


def user_ids(session: Session, logins: Iterable[str]) -> dict[str, int]:
    """The id of each of `logins` the store has."""
    found: dict[str, int] = {}
    for chunk in chunks(logins):
        statement = select(_users.c.login, _users.c.id).where(_users.c.login.in_(chunk))
        found.update((login, id_) for login, id_ in session.execute(statement))
    return found


def differs(row: RowMapping, values: dict[str, Any]) -> bool:
    """Whether a stored row says anything else than `values` (of its columns)."""
    return any(row[name] != value for name, value in values.items())
