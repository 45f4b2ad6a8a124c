"""What an export ticket shows at a given instant: a pure function of the ticket and `now`.

An export runs from `created` for `duration_seconds`. While it runs its percentage climbs in a
straight line towards where it ends: 100 for `complete`, the ticket's `percentage` for `error`
and `cancelled` (where it stopped). At `created + duration` it takes its final state. A `running`
ticket never ends: it stands at its `percentage` for ever (the seed file's fixed status).

Nothing here reads a clock or a database, so every server process sharing a store computes the
same state for the same instant, and tests move time by passing another `now`.
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from uforge_mock.wire.digest import content_digest

OUTCOMES = ("complete", "error", "cancelled", "running")

DEFAULT_ERROR_MESSAGE = "Failed to create the archive of the software bundle"
FINAL_MESSAGES = {
    "complete": "Export complete",
    "error": "Export failed",
    "cancelled": "Export cancelled",
}
# (lowest percentage, message) of each phase of a running export, in order.
PHASES = (
    (0, "Export requested"),
    (1, "Preparing bundle metadata"),
    (25, "Creating archive"),
    (70, "Compressing archive"),
)


@dataclass(frozen=True, slots=True)
class TicketFacts:
    """The stored facts of an export ticket that decide its status."""

    db_id: int
    created: datetime
    last_modified: datetime
    duration_seconds: float
    outcome: str
    percentage: int = 0
    message: str | None = None
    error_message: str | None = None
    detailed_error_msg: str | None = None


@dataclass(frozen=True, slots=True)
class ExportState:
    """The status of an export at one instant, as the `status` object shows it."""

    percentage: int
    complete: bool
    error: bool
    cancelled: bool
    message: str
    error_message: str | None
    detailed_error_msg: str | None
    last_modified: datetime
    digest: str

    @property
    def finished(self) -> bool:
        return self.complete or self.error or self.cancelled


def phase_message(percentage: int) -> str:
    message = PHASES[0][1]
    for lowest, text in PHASES:
        if percentage >= lowest:
            message = text
    return message


def export_state(ticket: TicketFacts, now: datetime) -> ExportState:
    """The status of `ticket` at `now`."""
    if (
        ticket.outcome == "running"
        or ticket.duration_seconds <= 0
        or now >= ticket.created + timedelta(seconds=ticket.duration_seconds)
    ):
        return _settled_state(ticket)

    target = 100 if ticket.outcome == "complete" else ticket.percentage
    elapsed = max((now - ticket.created).total_seconds(), 0.0)
    duration = ticket.duration_seconds

    # Still running: the percentage reached so far, and the instant it was reached.
    reached = math.floor(target * elapsed / duration) if target else 0
    reached = min(reached, 99)
    since = ticket.created + timedelta(seconds=duration * reached / target if target else 0)
    return _state(ticket, reached, "running", since)


@lru_cache(maxsize=4096)
def _settled_state(ticket: TicketFacts) -> ExportState:
    """The state an ended (or fixed) ticket keeps for ever: computed once per ticket version,
    since polling a finished export is what clients do most."""
    if ticket.outcome == "running":
        return _state(ticket, ticket.percentage, "running", ticket.created)
    target = 100 if ticket.outcome == "complete" else ticket.percentage
    ended = ticket.created + timedelta(seconds=ticket.duration_seconds)
    return _state(ticket, target, ticket.outcome, ended)


def _state(ticket: TicketFacts, percentage: int, phase: str, since: datetime) -> ExportState:
    # A patched ticket changed when it was patched, even if its progress says earlier.
    last_modified = _to_millisecond(max(since, ticket.last_modified, ticket.created))
    failed = phase == "error"
    if phase == "running":
        message = ticket.message or phase_message(percentage)
    else:
        message = FINAL_MESSAGES[phase]
    error_message = (ticket.error_message or DEFAULT_ERROR_MESSAGE) if failed else None
    detailed = ticket.detailed_error_msg if failed else None
    fields = (
        ticket.db_id,
        ticket.created.isoformat(),
        last_modified.isoformat(),
        percentage,
        phase,
        message,
        error_message,
        detailed,
    )
    return ExportState(
        percentage=percentage,
        complete=phase == "complete",
        error=failed,
        cancelled=phase == "cancelled",
        message=message,
        error_message=error_message,
        detailed_error_msg=detailed,
        last_modified=last_modified,
        digest=content_digest(*fields),
    )


def _to_millisecond(instant: datetime) -> datetime:
    return instant.replace(microsecond=instant.microsecond // 1000 * 1000)
