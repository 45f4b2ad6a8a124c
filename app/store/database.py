"""Store functions run for async request handlers: inline, or in the thread pool."""

from collections.abc import Callable
from typing import Any, TypeVar

import anyio
from sqlalchemy import Engine

from uforge_mock.store.prepared import PreparedQuery
from uforge_mock.store.sqlite_reads import SQLiteReader

T = TypeVar("T")


class Database:
    """Runs store functions (which take a Connection) for async request handlers.

    Reads on an embedded SQLite file take tens of microseconds, less than a hop to the thread
    pool costs, so they run inline. A networked database could stall the event loop, so there
    every call goes to the thread pool; so do writes everywhere (they may wait on a lock).
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.reads_inline = engine.dialect.name == "sqlite"
        self._loop_reader = SQLiteReader(engine) if self.reads_inline else None

    async def fetch(self, query: PreparedQuery, /, **params: Any) -> list[Any]:
        """Rows of a prepared query: inline on SQLite, in the thread pool elsewhere."""
        if self._loop_reader is not None:
            return self._loop_reader.fetch(query, params)
        return await anyio.to_thread.run_sync(self._fetch_pooled, query, params)

    def _fetch_pooled(self, query: PreparedQuery, params: dict[str, Any]) -> list[Any]:
        connection = self.engine.raw_connection()
        try:
            return query.run(connection.driver_connection, self.engine.dialect, params)
        finally:
            connection.close()  # back to the pool, which rolls the read transaction back

    def close(self) -> None:
        if self._loop_reader is not None:
            self._loop_reader.close()
        self.engine.dispose()

    async def read(self, function: Callable[..., T], /, **arguments: Any) -> T:
        if self.reads_inline:
            return self._read(function, arguments)
        return await anyio.to_thread.run_sync(self._read, function, arguments)

    async def write(self, function: Callable[..., T], /, **arguments: Any) -> T:
        return await anyio.to_thread.run_sync(self._write, function, arguments)

    async def run_sync(self, function: Callable[..., T], /, *arguments: Any) -> T:
        """Any blocking function (one that opens its own transaction) in the thread pool."""
        return await anyio.to_thread.run_sync(function, *arguments)

    def _read(self, function: Callable[..., T], arguments: dict[str, Any]) -> T:
        with self.engine.connect() as connection:
            return function(connection, **arguments)

    def _write(self, function: Callable[..., T], arguments: dict[str, Any]) -> T:
        with self.engine.begin() as connection:
            return function(connection, **arguments)
