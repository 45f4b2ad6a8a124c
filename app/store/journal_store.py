"""Where the control plane's journal of requests lives, shared by every server on the store,
and its reads and writes (blocking: the control plane calls them in the thread pool).

On PostgreSQL the entries are rows of the store's `control_journal`, which the change counter
does not track (`change_tracking.EXEMPT`): a batch written leaves every server's remembered
reads standing.

On SQLite any commit to the database file moves its `PRAGMA data_version`, and every server
then forgets every remembered read: batches written there every fraction of a second would
make each request of every server read the store again. So the entries live in a file of
their own beside the database (`NAME.requests.db` beside `NAME.db`), shared the same way by
every server on that file, and made here from the same table declaration (the table the
migrations make in the database itself stays empty). It holds nothing but the journal: it is
made again when the journal's shape changes (`PRAGMA user_version`).
"""

import json
import threading
from dataclasses import dataclass
from datetime import datetime
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, delete, select, text
from sqlalchemy.pool import StaticPool
from sqlalchemy.schema import CreateTable

from uforge_mock.store.control_tables import control_journal
from uforge_mock.store.engine import create_store_engine

# The shape of the journal's own SQLite file; another value there: it is made again.
SIDECAR_VERSION = 1
# Held while a batch is written on PostgreSQL ("ujourn" in ASCII): batches commit one after
# another, so ids become visible in their order and a reader paging with `?after=ID` never
# passes over an id another server's batch commits later.
JOURNAL_LOCK = 0x756A6F75726E
# Rows read at a time while looking for the entries a path glob selects.
CHUNK = 500


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """A request as one server received it (credentials already redacted)."""

    id: int
    server: str
    time: datetime
    method: str
    path: str
    query: str
    headers: dict[str, str]
    status: int | None
    duration_ms: float


@dataclass(frozen=True, slots=True)
class NewEntry:
    """An entry before the store numbers it (its headers as the JSON object stored)."""

    server: str
    time: datetime
    method: str
    path: str
    query: str
    headers_json: str
    status: int | None
    duration_ms: float


class JournalStore:
    def __init__(self, engine: Engine, *, sidecar: bool) -> None:
        self.engine = engine
        # A file of the journal's own is made at its first use (not when a server is built).
        self._sidecar = sidecar
        self._prepared = not sidecar
        self._preparing = threading.Lock()

    @classmethod
    def beside(cls, store: Engine) -> "JournalStore":
        """The journal of the servers on `store`: its table on PostgreSQL, a file beside it
        on SQLite (an in-memory database of this process for an in-memory store)."""
        if store.dialect.name != "sqlite":
            return cls(store, sidecar=False)
        database = store.url.database
        if not database or database == ":memory:":
            engine = create_engine(
                "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
            )
        else:
            engine = create_store_engine(f"sqlite:///{sidecar_path(Path(database))}")
        return cls(engine, sidecar=True)

    def _connect(self) -> Connection:
        if not self._prepared:
            with self._preparing:
                if not self._prepared:
                    _prepare_sidecar(self.engine)
                    self._prepared = True
        return self.engine.connect()

    def append(self, entries: list[NewEntry], *, keep: int) -> None:
        """Write `entries` (numbered in their order, after every entry before) and keep the
        newest `keep` of the journal."""
        if not entries:
            return
        with self._connect() as connection, connection.begin():
            if connection.dialect.name == "postgresql":
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": JOURNAL_LOCK}
                )
            # Straight to the driver's executemany: a batch is hundreds of rows, and
            # SQLAlchemy's processing of each row's parameters cost more than the insert.
            stored_time = control_journal.c.time.type.bind_processor(connection.dialect)
            connection.exec_driver_sql(
                _insert_statement(connection.dialect.paramstyle),
                [
                    (
                        entry.server,
                        stored_time(entry.time) if stored_time else entry.time,
                        entry.method,
                        entry.path,
                        entry.query,
                        entry.headers_json,
                        entry.status,
                        entry.duration_ms,
                    )
                    for entry in entries
                ],
            )
            _trim(connection, keep)

    def page(
        self,
        *,
        limit: int,
        after: int | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> tuple[list[JournalEntry], bool]:
        """At most `limit` matching entries, oldest first: the first ones with an id above
        `after`, or without `after` the newest ones. The flag says whether more matching
        entries follow the page's last one (a page of the newest has none after it). `path`
        is a glob (`*/status`), `method` case-insensitive."""
        newest = after is None
        wanted = limit if newest else limit + 1
        chunk = wanted if path is None else max(wanted, CHUNK)
        column = control_journal.c.id
        chosen: list[JournalEntry] = []
        boundary = after
        with self._connect() as connection:
            while len(chosen) < wanted:
                query = select(control_journal).limit(chunk)
                if method is not None:
                    query = query.where(control_journal.c.method == method.upper())
                if newest:
                    query = query.order_by(column.desc())
                    if boundary is not None:
                        query = query.where(column < boundary)
                else:
                    query = query.order_by(column).where(column > boundary)
                rows = connection.execute(query).all()
                for row in rows:
                    if path is None or fnmatchcase(row.path, path):
                        chosen.append(_entry(row))
                        if len(chosen) == wanted:
                            break
                if len(rows) < chunk:
                    break
                boundary = rows[-1].id
        if newest:
            return chosen[::-1], False
        return chosen[:limit], len(chosen) > limit

    def clear(self) -> int:
        with self._connect() as connection, connection.begin():
            return int(connection.execute(delete(control_journal)).rowcount)

    def close(self) -> None:
        if self._sidecar:
            self.engine.dispose()


def sidecar_path(database: Path) -> Path:
    """`NAME.requests.db` beside `NAME.db` (not `-journal`: SQLite's own rollback file)."""
    return database.with_name(f"{database.stem}.requests{database.suffix or '.db'}")


def _prepare_sidecar(engine: Engine) -> None:
    with engine.connect() as connection:
        version = connection.exec_driver_sql("PRAGMA user_version").scalar()
        if version not in (0, SIDECAR_VERSION):
            connection.exec_driver_sql(f"DROP TABLE IF EXISTS {control_journal.name}")
        connection.execute(CreateTable(control_journal, if_not_exists=True))
        connection.exec_driver_sql(f"PRAGMA user_version = {SIDECAR_VERSION}")
        connection.commit()


_COLUMNS = ("server", "time", "method", "path", "query", "headers", "status", "duration_ms")


def _insert_statement(paramstyle: str) -> str:
    marker = "?" if paramstyle == "qmark" else "%s"
    return (
        f"INSERT INTO {control_journal.name} ({', '.join(_COLUMNS)}) "
        f"VALUES ({', '.join([marker] * len(_COLUMNS))})"
    )


def _trim(connection: Connection, keep: int) -> None:
    """Delete all but the newest `keep` entries."""
    column = control_journal.c.id
    oldest_kept = select(column).order_by(column.desc()).limit(1).offset(keep - 1)
    connection.execute(delete(control_journal).where(column < oldest_kept.scalar_subquery()))


def _entry(row: Any) -> JournalEntry:
    return JournalEntry(
        id=row.id,
        server=row.server,
        time=row.time,
        method=row.method,
        path=row.path,
        query=row.query,
        headers=json.loads(row.headers),
        status=row.status,
        duration_ms=row.duration_ms,
    )
