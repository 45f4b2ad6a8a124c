"""The queries of one family's export tickets, whichever resource the family exports.

A family's tickets live in a table of their own: the job's columns (`models.ExportJob`) plus a
key naming the exported row (`my_software_id`), a row of a resource table with `owner_id`,
`name` and `version`. `ExportTickets` is built once per family from those two tables and
answers every question the export engine asks; the hot one (a ticket by id) is prepared.
"""

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Select, Table, bindparam, delete, insert, select, update

from uforge_mock.jobs.simulation import TicketFacts
from uforge_mock.store.models import User
from uforge_mock.store.prepared import PreparedQuery

_users = User.__table__  # type: ignore[attr-defined]
_FACTS = tuple(field.name for field in fields(TicketFacts))


@dataclass(frozen=True, slots=True)
class ExportRecord:
    """An export ticket with what its routes need of the resource it exports."""

    facts: TicketFacts
    resource_id: int
    owner_id: int
    owner_login: str
    output_format: str
    resource_name: str
    resource_version: str


class ExportTickets:
    """The tickets of `table`, whose column `resource_key` names a row of `resources`."""

    def __init__(self, table: Table, *, resource_key: str, resources: Table) -> None:
        self.table = table
        self.resource_key = resource_key
        self.resources = resources
        key = table.c[resource_key]
        self._query = select(
            table,
            resources.c.owner_id,
            _users.c.login.label("owner_login"),
            resources.c.name.label("resource_name"),
            resources.c.version.label("resource_version"),
        ).select_from(
            table.join(resources, resources.c.db_id == key).join(
                _users, _users.c.id == resources.c.owner_id
            )
        )
        # Statements are built once: building and keying a SELECT costs more than running it.
        self._by_id = self._query.where(table.c.db_id == bindparam("db_id"))
        self.BY_ID = PreparedQuery(self._by_id)
        at = {name: index for index, name in enumerate(self.BY_ID.keys)}
        # Rows are read by position (this is the hot path): one C call picks each group.
        self._facts_of = itemgetter(*(at[name] for name in _FACTS))
        self._rest_of = itemgetter(
            at[resource_key],
            at["owner_id"],
            at["owner_login"],
            at["output_format"],
            at["resource_name"],
            at["resource_version"],
        )

    def from_rows(self, rows: Sequence[Sequence[Any]]) -> ExportRecord | None:
        """The export of BY_ID's rows, if any (read by position: this is the hot path)."""
        if not rows:
            return None
        row = rows[0]
        return ExportRecord(TicketFacts(*self._facts_of(row)), *self._rest_of(row))

    def by_id(self, connection: Connection, *, db_id: int) -> ExportRecord | None:
        return self.from_rows(connection.execute(self._by_id, {"db_id": db_id}).all())

    def all(self, connection: Connection) -> list[ExportRecord]:
        rows = connection.execute(self._query.order_by(self.table.c.db_id)).all()
        return [record for row in rows if (record := self.from_rows([row])) is not None]

    def owned_statement(self, owner_id: int) -> Select[Any]:
        """The SELECT of the tickets on the resources of `owner_id`, for a listing to narrow,
        order and page (`from_rows` reads its rows)."""
        return self._query.where(self.resources.c.owner_id == owner_id)

    def owned_by(self, connection: Connection, *, owner_id: int) -> list[ExportRecord]:
        """The tickets on the resources of `owner_id`, by id."""
        statement = self.owned_statement(owner_id).order_by(self.table.c.db_id)
        rows = connection.execute(statement).all()
        return [record for row in rows if (record := self.from_rows([row])) is not None]

    def page(self, connection: Connection, *, after: int, limit: int) -> list[ExportRecord]:
        """At most `limit` tickets, by id, from the first one above `after` (a listing in
        pages: all of a large store at once would be a body of hundreds of megabytes)."""
        statement = (
            self._query.where(self.table.c.db_id > after).order_by(self.table.c.db_id).limit(limit)
        )
        rows = connection.execute(statement).all()
        return [record for row in rows if (record := self.from_rows([row])) is not None]

    def create(
        self,
        connection: Connection,
        *,
        resource_id: int,
        output_format: str,
        created: datetime,
        duration_seconds: float,
        outcome: str,
        percentage: int,
    ) -> ExportRecord:
        """A new ticket on the resource `resource_id`, numbered by the database."""
        result = connection.execute(
            insert(self.table).values(
                {
                    self.resource_key: resource_id,
                    "output_format": output_format,
                    "created": created,
                    "last_modified": created,
                    "duration_seconds": duration_seconds,
                    "outcome": outcome,
                    "percentage": percentage,
                }
            )
        )
        key = result.inserted_primary_key
        assert key is not None
        record = self.by_id(connection, db_id=int(key[0]))
        assert record is not None
        return record

    def delete(self, connection: Connection, *, db_id: int) -> bool:
        """Delete the ticket; False when it was already gone."""
        statement = delete(self.table).where(self.table.c.db_id == db_id)
        return connection.execute(statement).rowcount > 0

    def update_unless_changed(
        self,
        connection: Connection,
        *,
        seen: TicketFacts,
        values: dict[str, object],
        now: datetime,
    ) -> ExportRecord | None:
        """Change the ticket's facts if they are still those `seen` (another server may have
        changed them since: then its change stands); the ticket as it is after, None when
        it is gone."""
        table = self.table
        connection.execute(
            update(table)
            .where(
                table.c.db_id == seen.db_id,
                table.c.outcome == seen.outcome,
                table.c.last_modified == seen.last_modified,
            )
            .values(**values, last_modified=now)
        )
        return self.by_id(connection, db_id=seen.db_id)

    def update(
        self, connection: Connection, *, db_id: int, values: dict[str, object], now: datetime
    ) -> ExportRecord | None:
        """Change a ticket's facts; it is then last modified `now`. None when it is gone."""
        result = connection.execute(
            update(self.table)
            .where(self.table.c.db_id == db_id)
            .values(**values, last_modified=now)
        )
        return self.by_id(connection, db_id=db_id) if result.rowcount else None
