"""The mock's sense of time. Handlers never call `datetime.now()`: they ask the runtime, which
combines the base clock (the system's, or a test's) with the clock state kept in the store, so
every server process sharing the store agrees on "now", and the control API can move it."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, an aware datetime in UTC."""
        ...


class SystemClock:
    """Wall-clock time."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A base clock that stands still until told to move; for tests."""

    def __init__(self, at: datetime) -> None:
        self._at = at

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = at

    def advance(self, seconds: float) -> None:
        self._at += timedelta(seconds=seconds)


@dataclass(frozen=True, slots=True)
class ClockState:
    """What the store says about time: frozen at an instant, or running with an offset."""

    frozen_at: datetime | None = None
    offset_seconds: float = 0.0

    def now(self, base: datetime) -> datetime:
        if self.frozen_at is not None:
            return self.frozen_at
        return base + timedelta(seconds=self.offset_seconds) if self.offset_seconds else base

    def frozen(self, at: datetime) -> "ClockState":
        return ClockState(frozen_at=at, offset_seconds=0.0)

    def running_from(self, at: datetime, base: datetime) -> "ClockState":
        """Running again, showing `at` now."""
        return ClockState(frozen_at=None, offset_seconds=(at - base).total_seconds())

    def advanced(self, seconds: float, base: datetime) -> "ClockState":
        if self.frozen_at is not None:
            return ClockState(frozen_at=self.frozen_at + timedelta(seconds=seconds))
        return ClockState(offset_seconds=self.offset_seconds + seconds)


REAL_TIME = ClockState()
