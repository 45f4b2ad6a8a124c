"""The event loop's own reads of a shared PostgreSQL store, remembered until anything commits.

What `sqlite_reads` does with `PRAGMA data_version`, done with the counter PostgreSQL keeps
(`change_tracking`: every transaction that changes a table moves it, whoever commits), read on
psycopg's async connections, so that a read never crosses to the thread pool.

Why no stale answer slips through:

- A fetch serves a result only after a read of the counter that *began after the fetch was
  called*: every commit answered before the request arrived is counted in it (the counter
  changes in the committing transaction itself, so it is visible exactly when the data is).
- A result is remembered under the counter value read before its query ran, and a query's
  snapshot is taken after that read: the result holds at least every commit that value counts.
  Commits take the counter's row lock, so they are counted in the order they become visible:
  a value stands for one set of commits. A result is served only to a fetch that read that
  same value, and stored only if the memory still stands for it when the query returns.
- Many requests in flight share one counter read: a fetch joins the next read to begin (never
  one already under way, which could have begun before it), so under load the counter costs
  one round trip for everybody waiting. One read is under way at a time: a fetch that comes
  during a read waits for its end and the next read, at most two round trips (about 0.2 ms on
  loopback), with every fetch that came meanwhile. Two reads at once answered no faster under
  load and cost PostgreSQL and the server more (`bench/RESULTS.md`). The next read waits one
  turn of the event loop, so that the requests read from their sockets in the turn the last
  read ended join it (two servers under wrk: a read per 8.8 requests instead of 6.2).
- A request's later fetches reuse the counter value its first fetch read: that read began
  after the request did, so it counts every commit the request must see. A request is an
  asyncio task of its own (uvicorn starts one per request), so the value is kept per task, and
  for `REUSE_SECONDS` at most, so that a long-lived task (no request's) never reads a value
  older than that.
"""

import asyncio
import time
from contextvars import ContextVar
from typing import Any

import psycopg
from sqlalchemy import Dialect, Engine

from uforge_mock.store.counter_connection import CounterConnection
from uforge_mock.store.prepared import PreparedQuery

# Results kept at most; more distinct reads between two commits start the memory afresh.
MEMORY_SIZE = 4096
# Connections running the queries whose results are not remembered (one more reads the counter).
QUERY_CONNECTIONS = 4
# Counter reads under way at once (each on a connection of its own).
COUNTER_READS_IN_FLIGHT = 1
# How long a task's later fetches may reuse the counter value its first fetch read.
REUSE_SECONDS = 0.1

# The counter value the current task read last: by which reader, when the read began.
_LAST_READ: ContextVar["tuple[PostgresReader, asyncio.Task[Any] | None, int, float] | None"] = (
    ContextVar("uforge_mock_last_counter_read", default=None)
)


def forget_this_task() -> None:
    """The current task's later fetches read the counter again: called after a write of its
    own, which the value it read before does not count."""
    _LAST_READ.set(None)


class PostgresReader:
    def __init__(self, engine: Engine) -> None:
        self.dialect: Dialect = engine.dialect
        self._conninfo = engine.url.set(drivername="postgresql").render_as_string(
            hide_password=False
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        # Connections reading the counter: all of them, and those free.
        self._counters: list[CounterConnection] = []
        self._free_counters: list[CounterConnection] = []
        self._idle: list[psycopg.AsyncConnection[Any]] = []
        self._opened = 0
        self._freed: asyncio.Condition | None = None
        # Fetches waiting for the next counter read, and the reads under way.
        self._waiting: list[asyncio.Future[int]] = []
        self._reading = 0
        self._reader_tasks: set[asyncio.Task[None]] = set()  # held: the loop keeps weak refs
        self._version: int | None = None
        self._results: dict[tuple[Any, ...], list[Any]] = {}
        # Observable (tests, diagnostics): counter reads and queries run.
        self.counter_reads = 0
        self.queries = 0

    async def fetch(self, query: PreparedQuery, params: dict[str, Any]) -> list[Any]:
        """The rows of `query`, as committed in the store when the call began, or later."""
        self._on_this_loop()
        version = await self._version_for_this_task()
        if version != self._version:
            self._results.clear()
            self._version = version
        key = (query, *params.items())
        rows = self._results.get(key)
        if rows is None:
            rows = await self._query(query, params)
            # Kept only if the memory still stands for the value read before the query.
            if self._version == version:
                if len(self._results) >= MEMORY_SIZE:
                    self._results.clear()
                self._results[key] = rows
        return rows

    # ------------------------------------------------------------ the counter

    async def _version_for_this_task(self) -> int:
        task = asyncio.current_task()
        last = _LAST_READ.get()
        now = time.monotonic()
        if (
            last is not None
            and last[0] is self
            and last[1] is task
            and now - last[3] <= REUSE_SECONDS
        ):
            return last[2]
        version = await self._next_version()
        _LAST_READ.set((self, task, version, now))  # the read began after `now`
        return version

    def _next_version(self) -> "asyncio.Future[int]":
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._waiting.append(future)
        if self._reading < COUNTER_READS_IN_FLIGHT:
            self._reading += 1
            self._reader_tasks.add(asyncio.get_running_loop().create_task(self._read_counter()))
        return future

    async def _read_counter(self) -> None:
        """Read the counter for the fetches waiting, again while more came meanwhile."""
        try:
            while self._waiting:
                # One turn of the loop first: the requests read from their sockets in this
                # turn reach their fetch and join this read rather than wait for the next.
                await asyncio.sleep(0)
                # The fetches waiting now: each came before the read below begins.
                batch, self._waiting = self._waiting, []
                try:
                    version = await self._counter_value()
                except Exception as error:
                    _settle(batch, None, error)
                else:
                    _settle(batch, version, None)
        finally:
            task = asyncio.current_task()
            if task in self._reader_tasks:  # not a task of a loop since closed
                self._reader_tasks.discard(task)
                self._reading -= 1

    async def _counter_value(self) -> int:
        self.counter_reads += 1
        for attempt in (1, 2):
            if self._free_counters:
                connection = self._free_counters.pop()
            else:
                connection = await CounterConnection.open(self._conninfo)
                self._counters.append(connection)
            try:
                version = await connection.read()
            except psycopg.OperationalError:
                # A connection the server dropped (a restart): one more try on a new one (the
                # free ones were opened before the same drop).
                for dropped in (connection, *self._free_counters):
                    self._counters.remove(dropped)
                    dropped.close()
                self._free_counters.clear()
                if attempt == 2:
                    raise
                continue
            self._free_counters.append(connection)
            return version
        raise AssertionError("unreachable")

    # ------------------------------------------------------------ queries

    async def _query(self, query: PreparedQuery, params: dict[str, Any]) -> list[Any]:
        self.queries += 1
        for attempt in (1, 2):
            connection = await self._take()
            try:
                rows = await query.run_async(connection, self.dialect, params)
            except psycopg.OperationalError:
                # A connection the server dropped (a restart, an administrator): the idle
                # ones were opened before the same drop, so the next try opens a new one.
                for dropped in (connection, *self._idle):
                    _discard(dropped)
                self._opened -= 1 + len(self._idle)
                self._idle.clear()
                await self._give_back(None)
                if attempt == 2:
                    raise
                continue
            except BaseException:
                # A cancelled request may leave the connection mid-query: not reused.
                _discard(connection)
                self._opened -= 1
                await self._give_back(None)
                raise
            await self._give_back(connection)
            return rows
        raise AssertionError("unreachable")

    async def _take(self) -> "psycopg.AsyncConnection[Any]":
        assert self._freed is not None
        async with self._freed:
            while not self._idle and self._opened >= QUERY_CONNECTIONS:
                await self._freed.wait()
            if self._idle:
                return self._idle.pop()
            self._opened += 1
        try:
            return await self._connect()
        except BaseException:
            self._opened -= 1
            raise

    async def _give_back(self, connection: "psycopg.AsyncConnection[Any] | None") -> None:
        assert self._freed is not None
        async with self._freed:
            if connection is not None:
                self._idle.append(connection)
            self._freed.notify()

    async def _connect(self) -> "psycopg.AsyncConnection[Any]":
        # Autocommit: each SELECT is its own transaction, with a snapshot taken as it starts.
        return await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True)

    # ------------------------------------------------------------ life

    def _on_this_loop(self) -> None:
        """Connections belong to the event loop they were opened on: a new loop (a test
        client's) starts afresh."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self.close()
            self._loop = loop
            self._freed = asyncio.Condition()

    def close(self) -> None:
        for counter in self._counters:
            counter.close()
        for connection in self._idle:
            _discard(connection)
        self._counters, self._free_counters, self._idle = [], [], []
        self._opened = 0
        self._waiting = []
        self._reading = 0
        self._reader_tasks = set()
        self._loop = self._freed = None
        self._version = None
        self._results.clear()


def _settle(
    batch: list["asyncio.Future[int]"], version: int | None, error: Exception | None
) -> None:
    for future in batch:
        if future.done():  # a fetch cancelled while it waited
            continue
        if version is None:
            assert error is not None
            future.set_exception(error)
        else:
            future.set_result(version)


def _discard(connection: "psycopg.AsyncConnection[Any]") -> None:
    """Close without waiting for the server (from sync code, or a connection in doubt)."""
    connection.pgconn.finish()
