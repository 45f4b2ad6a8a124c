"""The status of a ticket as a pure function of the ticket and the instant."""

from datetime import timedelta

import pytest

from tests.conftest import T0
from uforge_mock.jobs.simulation import TicketFacts, export_state


def ticket(
    outcome: str, *, duration: float = 20, percentage: int = 0, **extra: object
) -> TicketFacts:
    return TicketFacts(
        db_id=17,
        created=T0,
        last_modified=T0,
        duration_seconds=duration,
        outcome=outcome,
        percentage=percentage,
        **extra,  # type: ignore[arg-type]
    )


# (outcome, stop percentage, elapsed seconds) -> (percentage, complete, error, cancelled, message)
TABLE = [
    ("complete", 0, 0, (0, False, False, False, "Export requested")),
    ("complete", 0, 1, (5, False, False, False, "Preparing bundle metadata")),
    ("complete", 0, 8, (40, False, False, False, "Creating archive")),
    ("complete", 0, 15, (75, False, False, False, "Compressing archive")),
    ("complete", 0, 19.999, (99, False, False, False, "Compressing archive")),
    ("complete", 0, 20, (100, True, False, False, "Export complete")),
    ("complete", 0, 10_000, (100, True, False, False, "Export complete")),
    ("complete", 0, -5, (0, False, False, False, "Export requested")),
    ("error", 40, 10, (20, False, False, False, "Preparing bundle metadata")),
    ("error", 40, 20, (40, False, True, False, "Export failed")),
    ("error", 0, 5, (0, False, False, False, "Export requested")),
    ("error", 0, 20, (0, False, True, False, "Export failed")),
    ("cancelled", 25, 19, (23, False, False, False, "Preparing bundle metadata")),
    ("cancelled", 25, 20, (25, False, False, True, "Export cancelled")),
    ("running", 40, 0, (40, False, False, False, "Creating archive")),
    ("running", 40, 10**7, (40, False, False, False, "Creating archive")),
]


@pytest.mark.parametrize(("outcome", "stop", "elapsed", "expected"), TABLE)
def test_state_at_elapsed_time(
    outcome: str, stop: int, elapsed: float, expected: tuple[object, ...]
) -> None:
    state = export_state(ticket(outcome, percentage=stop), T0 + timedelta(seconds=elapsed))
    assert (
        state.percentage,
        state.complete,
        state.error,
        state.cancelled,
        state.message,
    ) == expected


def test_zero_duration_has_ended_even_before_its_creation_time() -> None:
    state = export_state(ticket("error", duration=0, percentage=30), T0 - timedelta(hours=1))
    assert state.error and state.percentage == 30


def test_zero_duration_means_already_ended() -> None:
    state = export_state(ticket("complete", duration=0), T0)
    assert state.complete and state.percentage == 100
    assert state.last_modified == T0


def test_failure_carries_default_and_detailed_messages() -> None:
    state = export_state(
        ticket("error", percentage=40, detailed_error_msg="disk full"), T0 + timedelta(seconds=30)
    )
    assert state.error_message == "Failed to create the archive of the software bundle"
    assert state.detailed_error_msg == "disk full"


def test_error_texts_only_appear_once_failed() -> None:
    state = export_state(ticket("error", percentage=40, error_message="boom"), T0)
    assert state.error_message is None and state.detailed_error_msg is None


def test_message_override_replaces_phase_message_while_running() -> None:
    running = export_state(ticket("complete", message="Packing"), T0 + timedelta(seconds=5))
    ended = export_state(ticket("complete", message="Packing"), T0 + timedelta(seconds=25))
    assert running.message == "Packing"
    assert ended.message == "Export complete"


def test_last_modified_is_when_the_shown_percentage_was_reached() -> None:
    state = export_state(ticket("complete"), T0 + timedelta(seconds=8.3))
    assert state.percentage == 41
    assert state.last_modified == T0 + timedelta(seconds=8.2)


def test_last_modified_of_an_ended_export_is_its_end() -> None:
    state = export_state(ticket("complete"), T0 + timedelta(days=3))
    assert state.last_modified == T0 + timedelta(seconds=20)


def test_last_modified_follows_a_patch_of_the_ticket() -> None:
    patched = T0 + timedelta(hours=1)
    facts = TicketFacts(
        db_id=17, created=T0, last_modified=patched, duration_seconds=20, outcome="complete"
    )
    assert export_state(facts, T0 + timedelta(hours=2)).last_modified == patched


def test_digest_is_stable_for_the_same_state() -> None:
    first = export_state(ticket("complete"), T0 + timedelta(seconds=8.3))
    again = export_state(ticket("complete"), T0 + timedelta(seconds=8.39))
    assert first.digest == again.digest
    assert len(first.digest) == 32 and int(first.digest, 16) >= 0


def test_digest_changes_when_the_state_changes() -> None:
    digests = {
        export_state(ticket("complete"), T0 + timedelta(seconds=s)).digest for s in (0, 1, 2, 20)
    }
    assert len(digests) == 4
