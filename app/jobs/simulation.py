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


# eq=False: hashed by identity (there is one of each), so that the memory of settled states,
# keyed on it, costs nothing more to look up on the status path.
@dataclass(frozen=True, slots=True, eq=False)
class JobWording:
    """What a kind of job says of itself: the message of each phase while it runs (lowest
    percentage, message; in order), of each end, and of an error without a message of its
    own. Exports and imports run the same way and speak differently."""

    phases: tuple[tuple[int, str], ...]
    final_messages: tuple[tuple[str, str], ...]
    default_error: str

    def final(self, outcome: str) -> str:
        return dict(self.final_messages)[outcome]


EXPORT = JobWording(
    phases=(
        (0, "Export requested"),
        (1, "Preparing bundle metadata"),
        (25, "Creating archive"),
        (70, "Compressing archive"),
    ),
    final_messages=(
        ("complete", "Export complete"),
        ("error", "Export failed"),
        ("cancelled", "Export cancelled"),
    ),
    default_error="Failed to create the archive of the software bundle",
)
APPLIANCE_EXPORT = JobWording(
    phases=(
        (0, "Export requested"),
        (1, "Preparing template metadata"),
        (25, "Creating archive"),
        (70, "Compressing archive"),
    ),
    final_messages=EXPORT.final_messages,
    default_error="Failed to create the archive of the appliance template",
)
BUNDLE_IMPORT = JobWording(
    phases=(
        (0, "Archive uploaded"),
        (1, "Extracting archive"),
        (40, "Reading bundle file"),
        (70, "Creating software bundle"),
    ),
    final_messages=(
        ("complete", "Import complete"),
        ("error", "Import failed"),
        ("cancelled", "Import cancelled"),
    ),
    default_error="Failed to import the software bundle",
)
APPLIANCE_IMPORT = JobWording(
    phases=(
        (0, "Archive uploaded"),
        (1, "Extracting archive"),
        (40, "Reading template file"),
        (70, "Creating appliance template"),
    ),
    final_messages=(
        ("complete", "Import complete"),
        ("error", "Import failed"),
        ("cancelled", "Import cancelled"),
    ),
    default_error="Failed to import the template",
)
# Today's names of the export's wording, which the seed documentation and tests read.
DEFAULT_ERROR_MESSAGE = EXPORT.default_error
FINAL_MESSAGES = dict(EXPORT.final_messages)
PHASES = EXPORT.phases


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


def phase_message(percentage: int, wording: JobWording = EXPORT) -> str:
    message = wording.phases[0][1]
    for lowest, text in wording.phases:
        if percentage >= lowest:
            message = text
    return message


def export_state(ticket: TicketFacts, now: datetime, wording: JobWording = EXPORT) -> ExportState:
    """The status of `ticket` at `now` (a job of any kind: `wording` says which)."""
    if (
        ticket.outcome == "running"
        or ticket.duration_seconds <= 0
        or now >= ticket.created + timedelta(seconds=ticket.duration_seconds)
    ):
        return _settled_state(ticket, wording)

    target = 100 if ticket.outcome == "complete" else ticket.percentage
    elapsed = max((now - ticket.created).total_seconds(), 0.0)
    duration = ticket.duration_seconds

    # Still running: the percentage reached so far, and the instant it was reached.
    reached = math.floor(target * elapsed / duration) if target else 0
    reached = min(reached, 99)
    since = ticket.created + timedelta(seconds=duration * reached / target if target else 0)
    return _state(ticket, reached, "running", since, wording)


@lru_cache(maxsize=4096)
def _settled_state(ticket: TicketFacts, wording: JobWording) -> ExportState:
    """The state an ended (or fixed) ticket keeps for ever: computed once per ticket version,
    since polling a finished export is what clients do most."""
    if ticket.outcome == "running":
        return _state(ticket, ticket.percentage, "running", ticket.created, wording)
    target = 100 if ticket.outcome == "complete" else ticket.percentage
    ended = ticket.created + timedelta(seconds=ticket.duration_seconds)
    return _state(ticket, target, ticket.outcome, ended, wording)


def _state(
    ticket: TicketFacts, percentage: int, phase: str, since: datetime, wording: JobWording
) -> ExportState:
    # A patched ticket changed when it was patched, even if its progress says earlier.
    last_modified = _to_millisecond(max(since, ticket.last_modified, ticket.created))
    failed = phase == "error"
    if phase == "running":
        message = ticket.message or phase_message(percentage, wording)
    else:
        message = wording.final(phase)
    error_message = (ticket.error_message or wording.default_error) if failed else None
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


def cancelled_at(
    ticket: TicketFacts, now: datetime, wording: JobWording = EXPORT
) -> dict[str, object]:
    """The facts that end `ticket` cancelled at `now`, where it stood then: it ran for the
    time elapsed and stopped at the percentage it had reached. Stored on the ticket, they make
    every server sharing the store show the same `cancelled` status from that instant on.
    (Only for a ticket still running at `now`: an ended job has nothing left to cancel.)"""
    reached = export_state(ticket, now, wording).percentage
    elapsed = max((now - ticket.created).total_seconds(), 0.0)
    return {"outcome": "cancelled", "duration_seconds": elapsed, "percentage": reached}
