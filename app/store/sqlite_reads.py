"""The event loop's own reads of an embedded SQLite file, remembered until the file changes.

Clients poll: the same few rows are read again and again, and between two polls nothing has
usually been written. SQLite says cheaply whether anything was: `PRAGMA data_version` changes
whenever another connection, in this process or any other, commits to the file. This reader
never writes, so every commit is another connection's: while the version stands still, a
result read before is still the file's content and is served again without running the query.

A request's later fetches trust the version its first fetch read (as `postgres_reads` does
with its counter): the request is an asyncio task of its own, so the check is kept per task,
for `REUSE_SECONDS` at most, and forgotten after a write of the task's own
(`forget_this_task`, called by `Database`). A commit by someone else between two fetches of
one request is then seen by the next request, as if the request had arrived a moment sooner;
a poll reads the version once where it read it three times (user, ticket, clock).
"""

import asyncio
import time
from contextvars import ContextVar
from typing import Any

from sqlalchemy import Engine

from uforge_mock.store.prepared import PreparedQuery

# Results kept at most; more distinct reads between two commits start the memory afresh.
MEMORY_SIZE = 4096
# How long a task's later fetches may trust the version its first fetch read.
REUSE_SECONDS = 0.1

# The last version check of the current task: by which reader, in which task, when.
_LAST_CHECK: ContextVar["tuple[SQLiteReader, asyncio.Task[Any] | None, float] | None"] = ContextVar(
    "uforge_mock_last_data_version_check", default=None
)


def forget_this_task() -> None:
    """The current task's next fetch reads the version again (after a write of its own)."""
    _LAST_CHECK.set(None)


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
        if not self._checked_by_this_task():
            # A SELECT alone never opens a transaction in the sqlite3 driver: the version
            # read here, and the query after it, see the latest commit.
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

    def _checked_by_this_task(self) -> bool:
        """Whether this task checked the version a moment ago (and notes a check if not)."""
        try:
            task = asyncio.current_task()
        except RuntimeError:  # no event loop: every fetch checks
            return False
        now = time.monotonic()
        last = _LAST_CHECK.get()
        if (
            task is not None
            and last is not None
            and last[0] is self
            and last[1] is task
            and now - last[2] <= REUSE_SECONDS
        ):
            return True
        _LAST_CHECK.set((self, task, now))
        return False

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
