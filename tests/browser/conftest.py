"""Tests in a real browser: Playwright (from PyPI) driving the system's Chromium (Debian's
`chromium` package), against a real uforge-mock served by uvicorn on a loopback port.

Playwright cannot download its own browsers here, so it is pointed at the system executable:
`UFORGE_MOCK_CHROMIUM` when set, else the first of chromium, chromium-browser, google-chrome
on the PATH. Where neither Playwright nor a Chromium exists, these tests are skipped (saying
so), unless `CI` is set: in CI a missing browser is a failure, as is either one missing alone.

Fixtures:
    browser          one headless Chromium for the session.
    live_server      a `MockServer` of this test's own: the demo dataset (docs/SEED.md, the
                     users guest/viewer/admin/supervisor and their mySoftware and exports), its
                     control API on with the token `live_server.settings.control_token`.
    live_server_settings  override it (in a module, a class, or with indirect parametrization)
                     to change that server's `Settings` fields, e.g. `{"dashboard_enabled": False}`.
    page             a fresh browser context and page for each test, its base URL the server's
                     root (`page.goto("/")`); every request for another host is refused there
                     (the page is as offline as a machine without internet) and recorded.
    page_events      what that page saw: `console_errors`, `foreign_requests`; call
                     `page_events.assert_clean()` to check there was neither.
"""

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.browser.chromium import CHROMIUM_VARIABLE, find_chromium, launch
from uforge_mock.factory import create_app
from uforge_mock.testing.server import LiveServer, MockServer, TemplateStore

try:
    from playwright.sync_api import (
        Browser,
        BrowserContext,
        ConsoleMessage,
        Error,
        Page,
        Route,
        sync_playwright,
    )

    HAVE_PLAYWRIGHT = True
except ImportError:  # pragma: no cover - only where the test extra is not installed
    HAVE_PLAYWRIGHT = False

# Schemes whose "requests" never reach a network.
LOCAL_SCHEMES = frozenset({"data", "blob", "about"})
# Playwright's timeout for every action and expectation (ms): a shared, loaded machine is slow.
ACTION_TIMEOUT_MS = 15_000


def _missing_browser() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    missing = []
    if not HAVE_PLAYWRIGHT:
        missing.append("Playwright (pip install -e '.[test]')")
    if find_chromium() is None:
        missing.append(
            f"a Chromium (apt-get install chromium, or {CHROMIUM_VARIABLE}=/path/to/chromium)"
        )
    return " and ".join(missing) or None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.browser)


# Package scope, not session: while Playwright's sync API is open it keeps an event loop
# running in the main thread, and every later test's `asyncio.run` would fail.
@pytest.fixture(scope="package")
def browser() -> "Iterator[Browser]":
    """One headless Chromium for the browser tests (a fresh profile of Playwright's own)."""
    missing = _missing_browser()
    if missing is not None:
        # Skipped only where neither exists and outside CI; anything less is broken setup.
        if HAVE_PLAYWRIGHT or find_chromium() is not None or os.environ.get("CI"):
            pytest.fail(f"the browser tests need {missing}")
        pytest.skip(f"no browser to test in: install {missing}")
    with sync_playwright() as playwright:
        launched = launch(playwright)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="session")
def _demo_template(tmp_path_factory: pytest.TempPathFactory) -> TemplateStore:
    """A store migrated and loaded with the demo dataset once, copied for each server."""
    folder = tmp_path_factory.mktemp("browser-template")
    return TemplateStore(folder, {"seed": None, "demo": True})


@pytest.fixture
def live_server_settings() -> dict[str, Any]:
    """Settings fields of this test's `live_server` (override to change them)."""
    return {}


@pytest.fixture
def live_server(
    _demo_template: TemplateStore, live_server_settings: dict[str, Any], tmp_path: Path
) -> Iterator[MockServer]:
    """A uforge-mock of this test's own, on the demo dataset, its control API on."""
    folder = tmp_path / "live-server"
    folder.mkdir()
    database = folder / "uforge-mock.db"
    shutil.copyfile(_demo_template.database, database)
    settings = _demo_template.settings_for(database).model_copy(
        update={
            "migrate_on_start": False,
            **live_server_settings,
        }
    )
    server = LiveServer(create_app(settings), settings=settings)
    server.start()
    mock = MockServer(server, settings)
    try:
        yield mock
    finally:
        mock.close()


@dataclass
class PageEvents:
    """What a page saw: console errors (and uncaught exceptions), and the URLs of the requests
    it tried to make to any host but the server's (refused, never sent)."""

    console_errors: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert self.foreign_requests == [], "requests left the server"
        assert self.console_errors == [], "the page logged errors"


@pytest.fixture
def page_events() -> PageEvents:
    return PageEvents()


@pytest.fixture
def page(browser: "Browser", live_server: MockServer, page_events: PageEvents) -> "Iterator[Page]":
    """A new page in a fresh context (no cookies, no cache), offline but for the server."""
    server_host = urlsplit(live_server.root_url).netloc
    context: BrowserContext = browser.new_context(base_url=live_server.root_url)
    context.set_default_timeout(ACTION_TIMEOUT_MS)

    def guard(route: Route) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in LOCAL_SCHEMES or parts.netloc == server_host:
            route.continue_()
        else:
            page_events.foreign_requests.append(url)
            route.abort("internetdisconnected")

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            page_events.console_errors.append(f"{message.text} ({message.location})")

    def on_page_error(error: Error) -> None:
        page_events.console_errors.append(f"uncaught: {error}")

    context.route("**/*", guard)
    opened = context.new_page()
    opened.on("console", on_console)
    opened.on("pageerror", on_page_error)
    try:
        yield opened
    finally:
        # Requests still in flight (a poll) may meet the closing context: not the test's fault.
        context.unroute_all(behavior="ignoreErrors")
        context.close()
