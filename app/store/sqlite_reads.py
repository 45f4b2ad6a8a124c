"""The event loop's own reads of an embedded SQLite file, remembered until the file changes.

Clients poll: the same few rows are read again and again, and between two polls nothing has
usually been written. SQLite says cheaply whether anything was: `PRAGMA data_version` changes
whenever another connection, in this process or any other, commits to the file. This reader
never writes, so every commit is another connection's: while the version stands still, a
result read before is still the file's content and is served again without running the query.
"""

from typing import Any

from sqlalchemy import Engine

from uforge_mock.store.prepared import PreparedQuery

# Results kept at most; more distinct reads between two commits start the memory afresh.
MEMORY_SIZE = 4096


class SQLiteReader:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect
        self._pooled: Any = None
        self._connection: Any = None
        self._version: int | None = None
        self._results: dict[tuple[Any, ...], list[Any]] = {}

    def fetch(self, query: PreparedQuery, params: dict[str, Any]) -> list[Any]:
        """The rows of `query`, as committed in the file now."""
        connection = self._connection or self._connect()
        # A SELECT alone never opens a transaction in the sqlite3 driver: the version read
        # here, and the query after it, see the latest commit.
        version = connection.execute("PRAGMA data_version").fetchone()[0]
        if version != self._version:
            self._results.clear()
            self._version = version
        key = (query, *params.items())
        rows = self._results.get(key)
        if rows is None:
            rows = query.run(connection, self.dialect, params)
            if len(self._results) >= MEMORY_SIZE:
                self._results.clear()
            self._results[key] = rows
        return rows

    def _connect(self) -> Any:
        # Checked out of the pool for good: no writer is ever handed this connection.
        self._pooled = self.engine.raw_connection()
        self._connection = self._pooled.driver_connection
        return self._connection

    def close(self) -> None:
        if self._pooled is not None:
            self._pooled.close()
        self._pooled = self._connection = self._version = None
        self._results.clear()
