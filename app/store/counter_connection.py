"""One connection that reads PostgreSQL's change counter, on libpq's own calls.

Every request on a shared store waits for a read of the counter (`postgres_reads`), so its cost
is the hot path's. Through psycopg's `AsyncConnection.execute` one read costs the server about
110 µs of CPU (a cursor, a result object, a reader added to the event loop and removed again,
for every call); the read is always the same prepared statement answered by one bigint. Sent
with `send_query_prepared` on a non-blocking libpq connection whose socket stays registered
with the loop, it costs about 40 µs, most of it the system calls (`bench/RESULTS.md`).

psycopg still opens the connection (its async connect, its settings); after that only this
class talks on it. `psycopg.pq` is psycopg's documented wrapper of libpq.
"""

import asyncio
from typing import Any

import psycopg
from psycopg import errors, pq

from uforge_mock.store.change_tracking import VERSION_QUERY

# The prepared statement's name on each counter connection.
STATEMENT = b"uforge_read_changes"


class CounterConnection:
    """Reads the counter, one read at a time. A connection that failed is `broken`: the
    caller discards it (`close`) and opens another."""

    def __init__(self, connection: "psycopg.AsyncConnection[Any]") -> None:
        # Kept so that psycopg does not close the connection it opened; never used again.
        self._opened_by = connection
        self._pgconn = connection.pgconn
        self._loop = asyncio.get_running_loop()
        self._answer: asyncio.Future[int] | None = None
        self._value: int | None = None
        self._error: Exception | None = None
        self.broken = False
        self._pgconn.nonblocking = 1
        self._socket = self._pgconn.socket
        self._loop.add_reader(self._socket, self._readable)

    @classmethod
    async def open(cls, conninfo: str) -> "CounterConnection":
        connection = await psycopg.AsyncConnection.connect(conninfo, autocommit=True)
        try:
            # A statement prepared in SQL is one the protocol's Bind can name.
            await connection.execute(f"PREPARE {STATEMENT.decode()} AS {VERSION_QUERY}")
        except BaseException:
            connection.pgconn.finish()
            raise
        return cls(connection)

    async def read(self) -> int:
        """The counter's value, read by a query sent now."""
        if self.broken:
            raise psycopg.OperationalError("the counter connection failed before")
        assert self._answer is None, "one read at a time on a counter connection"
        answer: asyncio.Future[int] = self._loop.create_future()
        self._answer = answer
        self._value = self._error = None
        try:
            self._pgconn.send_query_prepared(STATEMENT, None)
            self._flush()
        except psycopg.OperationalError:
            self._answer = None
            self._break()
            raise
        return await answer

    def close(self) -> None:
        """Close without waiting for the server (callable from sync code)."""
        self._break()

    # ------------------------------------------------------------ the socket

    def _flush(self) -> None:
        # A query of a few dozen bytes leaves at once, but for a full socket buffer.
        if self._pgconn.flush() != 0:
            self._loop.add_writer(self._socket, self._writable)

    def _writable(self) -> None:
        try:
            if self._pgconn.flush() == 0:
                self._loop.remove_writer(self._socket)
        except psycopg.OperationalError as error:
            self._fail(error)

    def _readable(self) -> None:
        """Whatever the server sent: the read's answer, or (between reads) a notice or the
        connection closing, which breaks it now rather than at the next read."""
        try:
            self._pgconn.consume_input()
            while not self._pgconn.is_busy():
                result = self._pgconn.get_result()
                if result is None:  # the end of the read's results
                    self._settle()
                    return
                self._take(result)
        except psycopg.OperationalError as error:
            self._fail(error)

    def _take(self, result: pq.abc.PGresult) -> None:
        if result.status == pq.ExecStatus.TUPLES_OK and result.ntuples == 1:
            value = result.get_value(0, 0)
            if value is not None:
                self._value = int(value)
                return
        self._error = _error_of(result)

    def _settle(self) -> None:
        answer, self._answer = self._answer, None
        if answer is None or answer.done():
            return
        if self._error is not None:
            answer.set_exception(self._error)
        elif self._value is None:
            answer.set_exception(psycopg.DatabaseError("the change counter read returned nothing"))
        else:
            answer.set_result(self._value)

    def _fail(self, error: Exception) -> None:
        answer, self._answer = self._answer, None
        self._break()
        if answer is not None and not answer.done():
            answer.set_exception(error)

    def _break(self) -> None:
        if self.broken:
            return
        self.broken = True
        # Off the loop before libpq closes the socket (its number may be reused at once).
        if not self._loop.is_closed():
            self._loop.remove_reader(self._socket)
            self._loop.remove_writer(self._socket)
        self._pgconn.finish()


def _error_of(result: "pq.abc.PGresult") -> Exception:
    """The psycopg exception a failed read raises through `execute`: its class from the
    SQLSTATE (an administrator's termination is an OperationalError, retried on a new
    connection; a missing counter table a ProgrammingError)."""
    message = result.error_message.decode(errors="replace").strip() or "no counter row"
    state = result.error_field(pq.DiagnosticField.SQLSTATE)
    try:
        error_class = errors.lookup(state.decode()) if state else psycopg.DatabaseError
    except KeyError:
        error_class = psycopg.DatabaseError
    return error_class(message)
