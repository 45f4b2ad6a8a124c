"""A store that cannot serve now, told apart from a bug: which driver errors say so, what the
client is answered (503 with `Retry-After`), and a log that says so once in a while rather
than at every request.

Two kinds, both worth trying again:

- **busy**: another writer (a seed, a reset) held the store longer than this one would wait;
- **unreachable**: a PostgreSQL server down, restarting or out of connections, a SQLite file
  that cannot be opened or read. Every request meets it until the store is back, and the
  next request after that is served again (connections are opened anew as they are needed).

Errors are recognised as the driver raises them or as SQLAlchemy wraps them (`.orig`).
"""

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from sqlalchemy.exc import DBAPIError

from uforge_mock.wire.errors import ServiceUnavailable, StoreBusy, StoreUnreachable

log = logging.getLogger("uforge_mock")

# When a client answered StoreBusy or StoreUnreachable may try again.
BUSY_RETRY_AFTER_SECONDS = 2
# A store out of reach is logged at most once in this many seconds (by each OutageLog).
OUTAGE_LOG_SECONDS = 10.0

# SQLITE_BUSY and SQLITE_LOCKED (the low byte of an extended result code); PostgreSQL's
# lock_not_available (lock_timeout), serialization_failure and deadlock_detected.
_SQLITE_BUSY_CODES = {5, 6}
_POSTGRESQL_BUSY_STATES = {"55P03", "40001", "40P01"}
# SQLITE_IOERR and SQLITE_CANTOPEN; PostgreSQL's connection exceptions (class 08), a server
# shutting down or starting up (57P01-57P03) and too_many_connections. psycopg raises a failed
# connection attempt (refused, no such host, connect_timeout) with no SQLSTATE at all.
_SQLITE_UNREACHABLE_CODES = {10, 14}
_POSTGRESQL_UNREACHABLE_STATES = {"57P01", "57P02", "57P03", "53300"}


def _driver_error(error: BaseException) -> BaseException:
    if isinstance(error, DBAPIError) and error.orig is not None:
        return error.orig
    return error


def store_busy(error: BaseException) -> bool:
    """Whether `error` says the store was held by another writer (a seed, a reset) longer
    than this one would wait."""
    original = _driver_error(error)
    code = getattr(original, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF in _SQLITE_BUSY_CODES
    return isinstance(original, psycopg.Error) and original.sqlstate in _POSTGRESQL_BUSY_STATES


def store_unreachable(error: BaseException) -> bool:
    """Whether `error` says the store cannot be reached now."""
    original = _driver_error(error)
    code = getattr(original, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF in _SQLITE_UNREACHABLE_CODES
    if not isinstance(original, psycopg.OperationalError):
        return False
    state = original.sqlstate
    return state is None or state.startswith("08") or state in _POSTGRESQL_UNREACHABLE_STATES


def unavailable_error(error: BaseException) -> ServiceUnavailable | None:
    """The 503 that answers `error` when it is the store's busy or unreachable, else None."""
    if store_busy(error):
        return StoreBusy(retry_after=BUSY_RETRY_AFTER_SECONDS)
    if store_unreachable(error):
        return StoreUnreachable(retry_after=BUSY_RETRY_AFTER_SECONDS)
    return None


@contextmanager
def busy_as_unavailable() -> Iterator[None]:
    """A store busy or out of reach becomes its `ServiceUnavailable` (503, Retry-After)."""
    try:
        yield
    except (DBAPIError, psycopg.Error) as error:
        unavailable = unavailable_error(error)
        if unavailable is None:
            raise
        raise unavailable from None


def first_line(error: BaseException) -> str:
    """What the driver said, in one line (psycopg's messages run over several)."""
    text = str(_driver_error(error)).strip()
    return text.splitlines()[0] if text else type(error).__name__


class OutageLog:
    """Says in the log that `what` failed because the store is out of reach: a line (no
    traceback: not a bug) at most once per `OUTAGE_LOG_SECONDS`, counting the failures it did
    not say. Used on the event loop only."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.failures = 0
        self._said_at = -OUTAGE_LOG_SECONDS
        self._failures_said = 0

    def note(self, error: BaseException) -> None:
        self.failures += 1
        now = time.monotonic()
        if now - self._said_at < OUTAGE_LOG_SECONDS:
            return
        log.warning(
            "the store cannot be reached (%s): %s (%d since the last such line)",
            first_line(error),
            self.what,
            self.failures - self._failures_said,
        )
        self._said_at = now
        self._failures_said = self.failures
