"""The per-app resources a running server shares between requests (`app.state.mock`)."""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine

from app import store
from app.clock import Clock
from app.control.faults import FaultTable
from app.control.journal import Journal
from app.db import Database
from app.security import CredentialVerifier, PasswordHasher
from app.settings import Settings


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

    async def now(self) -> datetime:
        """The mock's current time: the base clock moved by the store's clock state."""
        state = await self.database.read(store.clock_state)
        return state.now(self.clock.now())

    async def error_time(self) -> datetime:
        """The time to stamp an error with; the base clock when the store cannot tell."""
        try:
            return await self.now()
        except Exception:  # the error being reported may be the store's own
            return self.clock.now()

    def now_sync(self) -> datetime:
        """`now()` for code outside the event loop (start-up, the CLI)."""
        with self.engine.connect() as connection:
            return store.clock_state(connection).now(self.clock.now())
