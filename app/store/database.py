"""Store functions run for async request handlers: inline, on the event loop, or in the thread
pool."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import anyio
from sqlalchemy import Connection, Engine

from uforge_mock.store.engine import SQLITE_BUSY_TIMEOUT_MS
from uforge_mock.store.postgres_reads import PostgresReader
from uforge_mock.store.postgres_reads import forget_this_task as forget_postgres_value
from uforge_mock.store.prepared import PreparedQuery
from uforge_mock.store.sqlite_reads import SQLiteReader
from uforge_mock.store.sqlite_reads import forget_this_task as forget_sqlite_check
from uforge_mock.store.unavailable import busy_as_unavailable

T = TypeVar("T")

# How long a request's write waits for the store, unless the settings say.
DEFAULT_WRITE_WAIT_SECONDS = 5.0


class Database:
    """Runs store functions (which take a Connection) for async request handlers.

    The prepared reads of the hot path (`fetch`) are remembered until anything commits to the
    store, from this server or any other process: on SQLite until `PRAGMA data_version` moves
    (`sqlite_reads`), on PostgreSQL until the change counter its triggers keep moves
    (`postgres_reads`, on the driver's async connections: no hop to the thread pool). Other
    reads on an embedded SQLite file take tens of microseconds, less than a hop to the thread
    pool costs, so they run inline; on a networked database they go to the thread pool, so do
    writes everywhere (they may wait on a lock).

    A write waits at most `write_wait_seconds` for a store another writer holds (a seed, a
    reset: seconds, where a request's own write takes a millisecond), then fails as
    `StoreBusy`; a seed or a reset (`run_sync`) waits as long as the engine says (SQLite's busy
    timeout, 30 s), and fails so too.
    """

    def __init__(
        self, engine: Engine, *, write_wait_seconds: float = DEFAULT_WRITE_WAIT_SECONDS
    ) -> None:
        self.engine = engine
        self.reads_inline = engine.dialect.name == "sqlite"
        self._sqlite_reader = SQLiteReader(engine) if self.reads_inline else None
        self._postgres_reader = (
            PostgresReader(engine) if engine.dialect.name == "postgresql" else None
        )
        self._write_wait_ms = max(1, round(write_wait_seconds * 1000))

    async def fetch(self, query: PreparedQuery, /, **params: Any) -> list[Any]:
        """Rows of a prepared query, as committed when the call began (or later): remembered
        until anything commits to the store."""
        if self._sqlite_reader is not None:
            return self._sqlite_reader.fetch(query, params)
        if self._postgres_reader is not None:
            return await self._postgres_reader.fetch(query, params)
        return await anyio.to_thread.run_sync(self._fetch_pooled, query, params)

    def _fetch_pooled(self, query: PreparedQuery, params: dict[str, Any]) -> list[Any]:
        connection = self.engine.raw_connection()
        try:
            return query.run(connection.driver_connection, self.engine.dialect, params)
        finally:
            connection.close()  # back to the pool, which rolls the read transaction back

    def close(self) -> None:
        if self._sqlite_reader is not None:
            self._sqlite_reader.close()
        if self._postgres_reader is not None:
            self._postgres_reader.close()
        self.engine.dispose()

    async def read(self, function: Callable[..., T], /, **arguments: Any) -> T:
        if self.reads_inline:
            return self._read(function, arguments)
        return await anyio.to_thread.run_sync(self._read, function, arguments)

    async def write(self, function: Callable[..., T], /, **arguments: Any) -> T:
        """`function` in a transaction of its own, in the thread pool; `StoreBusy` when the
        store stays held by another writer longer than the write may wait."""
        try:
            return await anyio.to_thread.run_sync(self._write, function, arguments)
        finally:
            self._forget_this_task()

    async def run_sync(self, function: Callable[..., T], /, *arguments: Any) -> T:
        """Any blocking function (one that opens its own transaction) in the thread pool;
        `StoreBusy` when another writer held the store past the engine's wait."""
        try:
            return await anyio.to_thread.run_sync(self._run_sync, function, arguments)
        finally:
            self._forget_this_task()

    @staticmethod
    def _forget_this_task() -> None:
        """After a write of the task's own, its next fetch checks the store again: the
        version or counter value it read before does not count that write."""
        forget_sqlite_check()
        forget_postgres_value()

    def _run_sync(self, function: Callable[..., T], arguments: tuple[Any, ...]) -> T:
        with busy_as_unavailable():
            return function(*arguments)

    def _read(self, function: Callable[..., T], arguments: dict[str, Any]) -> T:
        with self.engine.connect() as connection:
            return function(connection, **arguments)

    def _write(self, function: Callable[..., T], arguments: dict[str, Any]) -> T:
        with (
            busy_as_unavailable(),
            self.engine.connect() as connection,
            self._waiting_briefly(connection),
            connection.begin(),
        ):
            if connection.dialect.name == "postgresql":
                # LOCAL: back to the server's default when the transaction ends.
                connection.exec_driver_sql(f"SET LOCAL lock_timeout = {self._write_wait_ms}")
            return function(connection, **arguments)

    @contextmanager
    def _waiting_briefly(self, connection: Connection) -> Iterator[None]:
        """On SQLite, the connection's busy timeout shortened for this write (and then put
        back to the engine's: a pooled connection serves seeds too)."""
        if connection.dialect.name != "sqlite":
            yield
            return
        # The driver's own connection: a PRAGMA through SQLAlchemy would begin a transaction.
        driver = connection.connection.driver_connection
        assert driver is not None
        driver.execute(f"PRAGMA busy_timeout = {self._write_wait_ms}")
        try:
            yield
        finally:
            driver.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
