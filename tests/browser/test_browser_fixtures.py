"""The browser fixtures themselves: a page sees the server, and only the server."""

import httpx
from playwright.sync_api import Page

from tests.browser.conftest import PageEvents
from uforge_mock.testing.server import MockServer


def test_page_reaches_the_server_and_loads_its_status(page: Page, page_events: PageEvents) -> None:
    response = page.goto("/api/status")
    assert response is not None and response.ok
    assert "serviceStatus" in page.content()
    page_events.assert_clean()


def test_page_refuses_and_records_a_request_to_another_host(
    page: Page, page_events: PageEvents
) -> None:
    page.goto("/api/status")
    failed = page.evaluate(
        "fetch('https://cdn.example.org/x.js').then(() => 'fetched', () => 'refused')"
    )
    assert failed == "refused"
    assert page_events.foreign_requests == ["https://cdn.example.org/x.js"]


def test_page_records_a_console_error(page: Page, page_events: PageEvents) -> None:
    page.goto("/api/status")
    page.evaluate("console.error('something broke')")
    assert any("something broke" in error for error in page_events.console_errors)


def test_live_server_holds_the_demo_dataset_and_its_control_api(live_server: MockServer) -> None:
    viewer = httpx.get(
        f"{live_server.base_url}/users/viewer",
        auth=("viewer", "viewer-secret"),
        headers={"Accept": "application/json"},
    )
    assert viewer.status_code == 200
    # Answers with the fixture's token (MockServer raises on a refusal).
    assert live_server.now().year >= 2019
