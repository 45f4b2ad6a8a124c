"""The per-app resources a running server shares between requests (`app.state.mock`)."""

from dataclasses import dataclass

from sqlalchemy import Engine

from app.clock import Clock
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
