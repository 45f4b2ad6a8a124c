"""The per-app resources a running server shares between requests (`app.state.mock`)."""

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine
from starlette.requests import Request
from starlette.responses import Response

from app import store
from app.clock import Clock
from app.control.faults import FaultTable
from app.control.journal import Journal
from app.db import Database
from app.errors import InternalError, UForgeException
from app.responses import RenderedBodies, error_response
from app.security import CredentialVerifier, PasswordHasher
from app.settings import Settings

log = logging.getLogger("uforge_mock")


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    database: Database
    clock: Clock
    hasher: PasswordHasher
    verifier: CredentialVerifier
    journal: Journal = field(default_factory=Journal)
    faults: FaultTable = field(default_factory=FaultTable)
    bodies: RenderedBodies = field(default_factory=RenderedBodies)

    async def now(self) -> datetime:
        """The mock's current time: the base clock moved by the store's clock state."""
        state = store.clock_from_rows(await self.database.fetch(store.CLOCK_STATE))
        return state.now(self.clock.now())

    async def error_time(self) -> datetime:
        """The time to stamp an error with; the base clock when the store cannot tell."""
        try:
            return await self.now()
        except Exception:  # the error being reported may be the store's own
            return self.clock.now()

    async def failure(self, request: Request, error: UForgeException) -> Response:
        """The `uforgeError` answering a request that failed with `error`."""
        return error_response(request, error, now=await self.error_time())

    async def internal_error(self, request: Request) -> Response:
        """The answer to a bug (call it while handling the exception): logged here with its
        traceback, a 500 `uforgeError` to the client, never the trace."""
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return await self.failure(request, InternalError())

    def now_sync(self) -> datetime:
        """`now()` for code outside the event loop (start-up, the CLI)."""
        with self.engine.connect() as connection:
            return store.clock_state(connection).now(self.clock.now())
