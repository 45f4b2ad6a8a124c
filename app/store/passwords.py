"""Password hashes: argon2id at the cost the settings give, from libpass (the maintained fork
of passlib, same `passlib` import API)."""

import os

from passlib.context import CryptContext


class PasswordHasher:
    """argon2id hashes at the cost the settings give."""

    def __init__(self, *, memory_kib: int, time_cost: int) -> None:
        self._context = CryptContext(
            schemes=["argon2"], argon2__memory_cost=memory_kib, argon2__rounds=time_cost
        )
        self._dummy_hash: str | None = None

    def hash(self, password: str) -> str:
        return str(self._context.hash(password))

    def verify(self, password: str, password_hash: str) -> bool:
        try:
            return bool(self._context.verify(password, password_hash))
        except (ValueError, TypeError):
            return False  # a malformed stored hash matches nothing

    def dummy_hash(self) -> str:
        """A hash no password is checked against in earnest: unknown users cost the same."""
        if self._dummy_hash is None:
            self._dummy_hash = self.hash(os.urandom(16).hex())
        return self._dummy_hash
