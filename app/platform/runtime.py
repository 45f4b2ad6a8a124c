"""The resources one uforge-mock server shares between requests, built without any web
framework: the app factory, the command line and the pytest fixture all start here."""

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine
from starlette.requests import Request
from starlette.responses import Response

from uforge_mock.jobs.clock import Clock, SystemClock
from uforge_mock.platform.security import CredentialVerifier
from uforge_mock.settings import Settings
from uforge_mock.store import bootstrap, queries
from uforge_mock.store.database import Database
from uforge_mock.store.engine import create_store_engine
from uforge_mock.store.passwords import PasswordHasher
from uforge_mock.store.seed import SeedLoader, SeedReport
from uforge_mock.store.unavailable import OutageLog, unavailable_error
from uforge_mock.wire.errors import InternalError, StoreUnreachable, UForgeException
from uforge_mock.wire.responses import RenderedBodies, error_response

log = logging.getLogger("uforge_mock")
T = TypeVar("T")
# Where a request's scope holds its server's Runtime (set by the app on every request).
RUNTIME_SCOPE_KEY = "uforge_mock.runtime"


class Slots:
    """At most `size` holders at once, and no queue: one more is refused at once (the caller
    answers it a 503 with `Retry-After`). Held on the event loop only, so a count is enough."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.taken = 0

    @contextmanager
    def hold(self, refused: Callable[[], Exception]) -> Iterator[None]:
        if self.taken >= self.size:
            raise refused()
        self.taken += 1
        try:
            yield
        finally:
            self.taken -= 1


class Conversions:
    """Records made of a read's rows, kept while the read hands back the same rows object.

    The SQLite reads of the event loop answer with the very list they remembered until the file
    changes (`store/sqlite_reads.py`), so a poll converts no row into its record again. Any
    other read gives a new list each time, converted each time. The rows are held with their
    record, so a list's id is never another's while its entry lives; records are frozen."""

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._made: dict[tuple[int, Callable[[Any], Any]], tuple[object, Any]] = {}

    def of(self, rows: Sequence[Any], convert: Callable[[Sequence[Any]], T]) -> T:
        key = (id(rows), convert)
        made = self._made.get(key)
        if made is not None and made[0] is rows:
            record: T = made[1]
            return record
        record = convert(rows)
        if len(self._made) >= self._size:
            self._made.clear()
        self._made[key] = (rows, record)
        return record


@dataclass
class Runtime:
    """Settings, store, clock, credential memory and rendered bodies of one server."""

    settings: Settings
    engine: Engine
    database: Database
    clock: Clock
    hasher: PasswordHasher
    verifier: CredentialVerifier
    bodies: RenderedBodies = field(default_factory=RenderedBodies)
    conversions: Conversions = field(default_factory=Conversions)
    # Uploaded archives being received and read: each holds up to ARCHIVE_MAX_BYTES.
    uploads: Slots = field(default_factory=lambda: Slots(4))
    # Requests answered StoreUnreachable (said in the log once in a while).
    outage: OutageLog = field(default_factory=lambda: OutageLog("requests answered 503"))

    # ------------------------------------------------------------ time

    async def now(self) -> datetime:
        """The mock's current time: the base clock moved by the store's clock state."""
        rows = await self.database.fetch(queries.CLOCK_STATE)
        return self.conversions.of(rows, queries.clock_from_rows).now(self.clock.now())

    async def user_by_login(self, login: str) -> queries.UserRecord | None:
        """The user called `login` (what a Basic login checks against), or None."""
        if queries.unstorable(login):
            return None
        rows = await self.database.fetch(queries.USER_BY_LOGIN, login=login)
        return self.conversions.of(rows, queries.user_from_rows)

    def now_sync(self) -> datetime:
        """`now()` for code outside the event loop (start-up, the CLI)."""
        return bootstrap.mock_now(self.engine, self.clock)

    async def error_time(self) -> datetime:
        """The time to stamp an error with; the base clock when the store cannot tell."""
        try:
            return await self.now()
        except Exception:  # the error being reported may be the store's own
            return self.clock.now()

    # ------------------------------------------------------------ failures

    async def failure(self, request: Request, error: UForgeException) -> Response:
        """The `uforgeError` answering a request that failed with `error`."""
        # A store that cannot be reached cannot tell its clock either: not asked again.
        now = self.clock.now() if isinstance(error, StoreUnreachable) else await self.error_time()
        return error_response(request, error, now=now)

    async def store_failure(self, request: Request, error: Exception) -> Response:
        """The answer to a request that failed with `error`, not a vendor error: a store busy
        or out of reach is a 503 (`store/unavailable.py`; the outage logged once in a while,
        not at every request), anything else is a bug (`internal_error`)."""
        unavailable = unavailable_error(error)
        if unavailable is None:
            return await self.internal_error(request)
        if isinstance(unavailable, StoreUnreachable):
            self.outage.note(error)
        return await self.failure(request, unavailable)

    async def internal_error(self, request: Request) -> Response:
        """The answer to a bug (call it while handling the exception): logged here with its
        traceback, a 500 `uforgeError` to the client, never the trace."""
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return await self.failure(request, InternalError())

    # ------------------------------------------------------------ the store's life

    def prepare(self) -> SeedReport | None:
        """Schema to head, then the configured seed (or the demo on an empty store)."""
        return bootstrap.prepare_store(
            self.engine, self.settings, hasher=self.hasher, clock=self.clock
        )

    def reset(self) -> SeedReport | None:
        """The store back to its start-up state (see `bootstrap.reset_store`); the
        credential memory forgets what it knew of the old users."""
        report = bootstrap.reset_store(
            self.engine, self.settings, hasher=self.hasher, clock=self.clock
        )
        self.verifier.forget()
        return report

    def load_seed_file(self, path: Path) -> SeedReport:
        return bootstrap.load_seed_file(
            self.engine, self.settings, path, hasher=self.hasher, clock=self.clock
        )

    def seed_loader(self) -> SeedLoader:
        return bootstrap.seed_loader(self.engine, self.settings, self.hasher)

    def close(self) -> None:
        """Close the store's connections (the server stopped, or the command is done)."""
        self.database.close()


def build_runtime(settings: Settings, *, clock: Clock | None = None) -> Runtime:
    """The runtime `settings` describe: an engine on their database (nothing is migrated or
    seeded yet: call `prepare()`), the base clock (the system's unless one is given)."""
    engine = create_store_engine(settings.resolved_database_url())
    hasher = PasswordHasher(
        memory_kib=settings.password_hash_memory_kib, time_cost=settings.password_hash_time_cost
    )
    return Runtime(
        settings=settings,
        engine=engine,
        database=Database(engine, write_wait_seconds=settings.store_write_wait_seconds),
        clock=clock or SystemClock(),
        hasher=hasher,
        verifier=CredentialVerifier(
            hasher,
            max_concurrent=settings.auth_max_concurrent_verifications,
            cache_size=settings.auth_cache_size,
            max_per_login=settings.auth_max_verifications_per_login,
            max_waiting=settings.auth_max_waiting_verifications,
            retry_after=settings.auth_retry_after_seconds,
        ),
        uploads=Slots(settings.max_concurrent_uploads),
    )
