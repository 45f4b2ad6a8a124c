"""Cancelling an appliance export (`DELETE .../exports/{eid}/status`, the vendor's
applianceExport_cancel): a running export ends `cancelled` at the instant of the cancel, for
every server sharing the store; an ended one has nothing left to cancel."""

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import GUEST, T0, basic
from tests.servers import server_processes
from tests.test_appliance_family import make_appliance
from tests.xmlcheck import assert_valid_uforge_xml
from uforge_mock.jobs.clock import FrozenClock
from uforge_mock.jobs.simulation import APPLIANCE_EXPORT, TicketFacts, cancelled_at, export_state
from uforge_mock.store import appliances, queries
from uforge_mock.store.engine import create_store_engine, migrate_to_head
from uforge_mock.store.queries import users

JSON = {"Accept": "application/json"}


def running_export(client: TestClient, app: FastAPI, **values: Any) -> str:
    """The path of a new export of a new appliance, running for 100 s."""
    aid = make_appliance(app, export_duration_seconds=100, **values)
    path = f"/api/users/guest/appliances/{aid}/exports"
    response = client.post(path, headers={**GUEST, **JSON})
    assert response.status_code == 201
    return f"{path}/{response.json()['applianceExport']['dbId']}"


def status(client: TestClient, export: str) -> dict[str, object]:
    answer: dict[str, object] = client.get(f"{export}/status", headers={**GUEST, **JSON}).json()[
        "status"
    ]
    return answer


def test_cancel_ends_a_running_export_cancelled_at_that_instant(
    client: TestClient, app: FastAPI, clock: FrozenClock
) -> None:
    export = running_export(client, app)
    clock.advance(42.5)
    response = client.delete(f"{export}/status", headers=GUEST)
    assert response.status_code == 200
    document = assert_valid_uforge_xml(response.content, "status")
    assert document.findtext("cancelled") == "true"
    assert document.findtext("complete") == "false"
    assert document.findtext("percentage") == "42"
    assert document.findtext("message") == "Export cancelled"
    assert document.findtext("lastModified") == "2019-06-05T21:40:54.500Z"
    # Long after the export would have ended, it is still cancelled where it stopped.
    clock.advance(3600)
    later = status(client, export)
    assert (later["cancelled"], later["complete"], later["percentage"]) == (True, False, 42)
    assert later["lastModified"] == "2019-06-05T21:40:54.500Z"
    assert client.get(f"{export}/downloads", headers=GUEST).status_code == 409


def test_cancel_at_the_first_instant_stops_at_zero(
    client: TestClient, app: FastAPI, clock: FrozenClock
) -> None:
    export = running_export(client, app)
    response = client.delete(f"{export}/status", headers={**GUEST, **JSON})
    assert response.status_code == 200
    assert (response.json()["status"]["cancelled"], response.json()["status"]["percentage"]) == (
        True,
        0,
    )


def test_cancelling_a_cancelled_export_answers_the_same_status(
    client: TestClient, app: FastAPI, clock: FrozenClock
) -> None:
    export = running_export(client, app)
    clock.advance(10)
    first = client.delete(f"{export}/status", headers={**GUEST, **JSON})
    clock.advance(10)
    second = client.delete(f"{export}/status", headers={**GUEST, **JSON})
    assert second.status_code == 200
    assert second.json() == first.json()


def test_cancelling_a_complete_export_is_a_409(
    client: TestClient, app: FastAPI, clock: FrozenClock
) -> None:
    export = running_export(client, app)
    clock.advance(100)
    response = client.delete(f"{export}/status", headers=GUEST)
    assert response.status_code == 409
    assert "mock.error.conflict.export_ended" in response.text
    assert "already ended (complete)" in response.text
    assert status(client, export)["complete"] is True


def test_cancelling_a_failed_export_is_a_409(
    client: TestClient, app: FastAPI, clock: FrozenClock
) -> None:
    export = running_export(client, app, export_outcome="error")
    clock.advance(100)
    response = client.delete(f"{export}/status", headers={**GUEST, **JSON})
    assert response.status_code == 409
    assert "already ended (error)" in response.json()["uforgeError"]["localizedErrorMsg"]["message"]


def test_cancel_checks_come_in_the_contracts_order(client: TestClient, app: FastAPI) -> None:
    export = running_export(client, app)
    assert client.delete(f"{export}/status").status_code == 401
    assert client.delete(f"{export}/status", headers=basic("other", "other-pw")).status_code == 403
    missing = export.rsplit("/", 1)[0] + "/999"
    assert client.delete(f"{missing}/status", headers=GUEST).status_code == 404
    refused = client.delete(f"{export}/status", headers={**GUEST, "Accept": "text/html"})
    assert refused.status_code == 406
    # The 406 came before the write: the export still runs.
    assert status(client, export)["cancelled"] is False


def test_mysoftware_exports_have_no_cancel(client: TestClient) -> None:
    # The vendor documents a cancel for appliance exports only.
    response = client.delete("/api/users/guest/mysoftware/918/exports/18/status", headers=GUEST)
    assert response.status_code == 405
    assert "GET" in response.headers["allow"]


# ---------------------------------------------------------------- two servers, one store


@pytest.fixture
def two_servers_on_one_store(tmp_path: Path) -> Iterator[tuple[list[str], str]]:
    """Two `serve` processes on one SQLite file (the demo dataset), whose exports run 60 s.
    The file is migrated first: two processes migrating one SQLite file at once would race
    (the shared PostgreSQL store is tests/test_shared_store.py's)."""
    (tmp_path / "data").mkdir()
    url = f"sqlite:///{tmp_path / 'data' / 'shared.db'}"
    engine = create_store_engine(url)
    migrate_to_head(engine)
    engine.dispose()
    with server_processes(
        2, tmp_path / "data", database_url=url, export_duration_seconds="60"
    ) as bases:
        yield bases, url


def test_a_cancel_through_one_server_is_seen_by_the_other(
    two_servers_on_one_store: tuple[list[str], str],
) -> None:
    (first, second), url = two_servers_on_one_store
    engine = create_store_engine(url)
    try:
        with engine.begin() as connection:
            guest = connection.execute(select(users.c.id).where(users.c.login == "guest")).scalar()
            assert guest is not None
            aid = appliances.create_appliance(
                connection,
                owner_id=guest,
                values={"name": "Shared", "version": "1"},
                now=datetime.now(UTC),
            )
    finally:
        engine.dispose()
    auth = ("guest", "guest-secret")
    exports = f"/api/users/guest/appliances/{aid}/exports"
    created = httpx.post(f"{first}{exports}", auth=auth, headers=JSON)
    assert created.status_code == 201
    export = f"{exports}/{created.json()['applianceExport']['dbId']}"
    cancelled = httpx.delete(f"{first}{export}/status", auth=auth, headers=JSON)
    assert cancelled.status_code == 200
    seen = httpx.get(f"{second}{export}/status", auth=auth, headers=JSON)
    assert seen.status_code == 200
    assert seen.json() == cancelled.json()
    assert seen.json()["status"]["cancelled"] is True


# ---------------------------------------------------------------- the facts of a cancel


def test_cancelled_at_makes_facts_that_end_cancelled_at_that_instant() -> None:
    ticket = TicketFacts(
        db_id=1, created=T0, last_modified=T0, duration_seconds=100, outcome="complete"
    )
    now = T0 + timedelta(seconds=30.25)
    facts = cancelled_at(ticket, now, APPLIANCE_EXPORT)
    assert facts == {"outcome": "cancelled", "duration_seconds": 30.25, "percentage": 30}
    ended = replace(ticket, last_modified=now, **facts)  # type: ignore[arg-type]
    for instant in (now, now + timedelta(days=1)):
        state = export_state(ended, instant, APPLIANCE_EXPORT)
        assert (state.cancelled, state.percentage, state.last_modified) == (True, 30, now)


def test_a_cancel_does_not_overwrite_what_another_server_wrote_meanwhile(
    client: TestClient, app: FastAPI, clock: FrozenClock
) -> None:
    export = running_export(client, app)
    eid = int(export.rsplit("/", 1)[1])
    tickets = queries.APPLIANCE_EXPORTS
    with app.state.mock.engine.begin() as connection:
        seen = tickets.by_id(connection, db_id=eid)
        assert seen is not None
        # Another server ends the ticket first (a control-plane patch, say) ...
        tickets.update(
            connection, db_id=eid, values={"outcome": "error"}, now=T0 + timedelta(seconds=1)
        )
        # ... then this one's cancel, decided on what it had read, changes nothing.
        after = tickets.update_unless_changed(
            connection,
            seen=seen.facts,
            values=cancelled_at(seen.facts, T0 + timedelta(seconds=2)),
            now=T0 + timedelta(seconds=2),
        )
    assert after is not None and after.facts.outcome == "error"
