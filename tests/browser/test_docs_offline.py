"""/docs and /redoc render in a browser that can reach nothing but the server."""

from playwright.sync_api import Page, expect

from tests.browser.conftest import PageEvents

# The summary of GET .../exports/{eid}/status in the OpenAPI document.
STATUS_SUMMARY = "Retrieve the current status of exporting a software bundle"


def test_docs_renders_its_operations_offline(page: Page, page_events: PageEvents) -> None:
    page.goto("/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("uforge-mock")
    status = page.locator(".opblock-summary", has_text="/exports/{eid}/status")
    expect(status.first).to_be_visible()
    expect(page.get_by_text(STATUS_SUMMARY).first).to_be_visible()
    expect(page.get_by_text("Unable to render this definition")).to_have_count(0)
    page_events.assert_clean()


def test_docs_tries_an_operation_against_the_server(page: Page, page_events: PageEvents) -> None:
    page.goto("/docs")
    operation = page.locator(".opblock", has_text="/api/status").first
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()
    expect(
        operation.locator(".live-responses-table tbody .response-col_status").first
    ).to_have_text("200")
    page_events.assert_clean()


def test_redoc_renders_its_operations_offline(page: Page, page_events: PageEvents) -> None:
    page.goto("/redoc")
    expect(page.locator("h1").first).to_contain_text("uforge-mock")
    expect(page.get_by_role("heading", name=STATUS_SUMMARY)).to_be_visible()
    page_events.assert_clean()
