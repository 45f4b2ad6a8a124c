"""The dashboard in a real browser, checked as a presenter would: it loads clean and offline,
moves with the mock's clock, acts through the token, and what it does is what the API says
(and the other way round), all without a reload; it survives the server's restart."""

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import PageEvents
from tests.conftest import ROOT
from tests.servers import free_port, server_environment
from uforge_mock.testing.server import MockServer

# Fast polling: a change shows within a second (the live body lives half a second).
POLL = {"dashboard_poll_seconds": 0.25}
JSON = {"Accept": "application/json"}
GUEST = ("guest", "guest-secret")


@pytest.fixture
def live_server_settings() -> dict[str, Any]:
    return {**POLL, "export_duration_seconds": 100}


@pytest.fixture
def api(live_server: MockServer) -> Iterator[httpx.Client]:
    """The UForge API as guest, as a client program uses it."""
    with httpx.Client(base_url=live_server.base_url, auth=GUEST, headers=JSON) as client:
        yield client


def new_export(api: httpx.Client) -> int:
    response = api.post("/users/guest/mysoftware/918/exports")
    assert response.status_code == 201, response.text
    return int(response.json()["softwareBundleExport"]["dbId"])


def export_status(api: httpx.Client, eid: int) -> dict[str, Any]:
    status: dict[str, Any] = api.get(f"/users/guest/mysoftware/918/exports/{eid}/status").json()
    return status["status"]  # type: ignore[no-any-return]


def bar(page: Page, eid: int) -> Any:
    return page.locator(f"progress[data-export-progress='{eid}']")


def unlock(page: Page, token: str) -> None:
    page.goto("/")
    page.fill("#token", token)
    page.click("#login-form button[type=submit]")
    expect(page.locator("body")).to_have_attribute("data-mode", "unlocked")


def mark_page(page: Page) -> None:
    """A mark a reload would wipe out: what follows happens in this very page."""
    page.evaluate("() => { window.uforgeMockTestMark = 'still here'; }")


def assert_not_reloaded(page: Page) -> None:
    assert page.evaluate("() => window.uforgeMockTestMark") == "still here"


def test_dashboard_loads_without_console_error_or_outside_request(
    page: Page, page_events: PageEvents
) -> None:
    page.goto("/")
    expect(page.locator("#live-state")).to_have_attribute("data-state", "live")
    expect(page.locator("[data-live=software]")).to_contain_text("Zabbix")
    expect(page.locator("[data-live=users]")).to_contain_text("supervisor")
    expect(page.locator("[data-live=platform]")).to_contain_text("3.8.13")
    page_events.assert_clean()


def test_export_bar_moves_with_the_clock_and_stands_when_frozen(
    page: Page, page_events: PageEvents, live_server: MockServer, api: httpx.Client
) -> None:
    live_server.freeze()
    eid = new_export(api)
    page.goto("/")
    expect(bar(page, eid)).to_have_attribute("value", "0")
    time.sleep(1.5)  # six polls: the frozen mock's time stands, and so does the bar
    expect(bar(page, eid)).to_have_attribute("value", "0")
    live_server.advance(30)
    expect(bar(page, eid)).to_have_attribute("value", "30")
    time.sleep(1.5)
    expect(bar(page, eid)).to_have_attribute("value", "30")
    live_server.unfreeze()  # running again: one percent a second
    expect(bar(page, eid)).not_to_have_attribute("value", "30")
    assert int(bar(page, eid).get_attribute("value") or 0) > 30
    expect(page.locator("#clock-state")).to_have_text("running")
    page_events.assert_clean()


def test_changes_made_in_the_page_are_what_the_api_then_returns(
    page: Page, page_events: PageEvents, live_server: MockServer, api: httpx.Client
) -> None:
    eid = new_export(api)
    unlock(page, live_server.settings.control_token)
    mark_page(page)

    page.click("button[data-clock=freeze]")
    expect(page.locator("#clock-state")).to_have_text("frozen")
    assert httpx.get(f"{live_server.root_url}/_mock/clock", headers=control(live_server)).json()[
        "frozen"
    ]

    page.fill("#fail-message", "Disk quota exceeded")
    page.click(f"tr[data-export='{eid}'] button[data-action=fail]")
    expect(page.locator(f"tr[data-export='{eid}']")).to_have_attribute("data-phase", "error")
    status = export_status(api, eid)
    assert (status["error"], status["errorMessage"]) == (True, "Disk quota exceeded")

    page.click("tr[data-software='918'] button[data-create-export]")
    expect(page.locator("tr[data-export]")).to_have_count(7)  # the demo's five, and two
    made = int(page.locator("tr[data-export]").first.get_attribute("data-export") or 0)
    assert export_status(api, made)["percentage"] == 0

    page.select_option("#fault-form select[name=method]", "GET")
    page.fill("#fault-form input[name=path]", "*/status")
    page.fill("#fault-form input[name=status]", "502")
    page.fill("#fault-form input[name=times]", "1")
    page.click("#fault-form button[type=submit]")
    expect(page.locator("tr[data-fault]")).to_have_count(1)
    assert api.get(f"/users/guest/mysoftware/918/exports/{eid}/status").status_code == 502
    expect(page.locator("tr[data-fault]")).to_have_count(0)  # used up, gone from the page

    assert_not_reloaded(page)
    page_events.assert_clean()


def test_changes_made_through_the_api_appear_without_a_reload(
    page: Page, page_events: PageEvents, live_server: MockServer, api: httpx.Client
) -> None:
    eid = new_export(api)
    page.goto("/")
    row = page.locator(f"tr[data-export='{eid}']")
    expect(row).to_have_attribute("data-phase", "running")
    mark_page(page)

    live_server.patch_export(eid, outcome="error", duration=0, errorMessage="Made to fail by API")
    expect(row).to_have_attribute("data-phase", "error")
    expect(row).to_contain_text("Made to fail by API")

    live_server.fail_next(503, path="*/nothing", times=3)
    expect(page.locator("tr[data-fault]")).to_contain_text("*/nothing")
    live_server.freeze()
    expect(page.locator("#clock-state")).to_have_text("frozen")

    assert_not_reloaded(page)
    page_events.assert_clean()


def test_the_journal_shows_a_request_made_with_httpx(
    page: Page, page_events: PageEvents, api: httpx.Client
) -> None:
    page.goto("/")
    expect(page.locator("#live-state")).to_have_attribute("data-state", "live")
    api.get("/users/guest/mysoftware/918/exports/17/status", params={"from": "httpx"})
    row = page.locator("tr[data-request]", has_text="exports/17/status?from=httpx").first
    expect(row).to_contain_text("GET")
    expect(row).to_contain_text("200")
    expect(row).to_contain_text("Basic guest:<redacted>")
    expect(page.locator("[data-live=journal]")).not_to_contain_text("guest-secret")
    page_events.assert_clean()


def test_the_token_is_required_and_a_wrong_one_refused(page: Page, live_server: MockServer) -> None:
    page.goto("/")
    expect(page.locator("body")).to_have_attribute("data-mode", "locked")
    expect(page.locator("button[data-clock]")).to_have_count(0)
    expect(page.locator("button[data-action]")).to_have_count(0)

    page.fill("#token", "not-the-token")
    page.click("#login-form button[type=submit]")
    expect(page.locator("#login-message")).to_have_text("Wrong control token")
    expect(page.locator("body")).to_have_attribute("data-mode", "locked")
    assert page.context.cookies() == []

    page.fill("#token", live_server.settings.control_token)
    page.click("#login-form button[type=submit]")
    expect(page.locator("body")).to_have_attribute("data-mode", "unlocked")
    (cookie,) = page.context.cookies()
    assert (cookie["httpOnly"], cookie["sameSite"]) == (True, "Strict")
    assert live_server.settings.control_token not in cookie["value"]
    assert page.evaluate("() => document.cookie") == ""  # no script reads it
    page.click("button[data-clock=freeze]")
    expect(page.locator("#clock-state")).to_have_text("frozen")


def control(server: MockServer) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.settings.control_token}", **JSON}


@contextmanager
def serving(port: int, data_dir: Path, **settings: str) -> Iterator[str]:
    """`uforge-mock serve` on `port` (the same one each time: a restart), until the block ends."""
    data_dir.mkdir(parents=True, exist_ok=True)
    root = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "uforge_mock", "serve", "--port", str(port)]
    with (data_dir / "serve.log").open("ab") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=server_environment(data_dir, **settings), stdout=log, stderr=log
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{root}/api/status", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline, "no server"
                time.sleep(0.1)
        yield root
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_the_page_recovers_by_itself_when_the_server_restarts(
    browser: Browser, tmp_path: Path
) -> None:
    port = free_port()
    data = tmp_path / "data"
    settings = {
        "control_enabled": "true",
        "control_token": "restart-token",
        "dashboard_poll_seconds": "0.25",
    }
    context = browser.new_context(base_url=f"http://127.0.0.1:{port}")
    try:
        page = context.new_page()
        with serving(port, data, **settings):
            page.goto("/")
            expect(page.locator("#live-state")).to_have_attribute("data-state", "live")
            mark_page(page)
        expect(page.locator("#live-state")).to_have_attribute("data-state", "trouble")
        with serving(port, data, **settings) as root:
            frozen = httpx.put(
                f"{root}/_mock/clock",
                headers={"Authorization": "Bearer restart-token"},
                json={"action": "freeze"},
            )
            assert frozen.status_code == 200
            expect(page.locator("#live-state")).to_have_attribute("data-state", "live")
            expect(page.locator("#clock-state")).to_have_text("frozen")
            assert_not_reloaded(page)
    finally:
        context.close()


# A page of another origin on the same host (the same *site*: the Strict cookie rides along)
# trying every request a page can make without the server's consent.
ATTACK = """<!doctype html><title>attack</title><script>
const victim = "VICTIM";
const tries = [
  fetch(victim + "/_dashboard/control/clock", {method: "PUT", credentials: "include",
    headers: {"Content-Type": "application/json"}, body: '{"action": "run"}'}),
  fetch(victim + "/_dashboard/control/reset", {method: "POST", mode: "no-cors",
    credentials: "include"}),
  fetch(victim + "/_dashboard/control/faults", {method: "POST", mode: "no-cors",
    credentials: "include", headers: {"Content-Type": "text/plain"}, body: '{"status": 500}'}),
];
Promise.allSettled(tries).then(() => { document.title = "done"; });
</script>"""


@contextmanager
def attacker_site(victim: str) -> Iterator[str]:
    """A web server of another origin serving `ATTACK` aimed at `victim`."""
    body = ATTACK.replace("VICTIM", victim).encode()

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *arguments: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def test_a_page_of_another_origin_cannot_act_with_the_cookie(
    browser: Browser, live_server: MockServer
) -> None:
    context = browser.new_context(base_url=live_server.root_url)
    try:
        page = context.new_page()
        unlock(page, live_server.settings.control_token)
        live_server.freeze()
        with attacker_site(live_server.root_url) as attack:
            page.goto(attack)
            expect(page).to_have_title("done")
        clock = httpx.get(f"{live_server.root_url}/_mock/clock", headers=control(live_server))
        assert clock.json()["frozen"] is True  # neither run nor reset
        faults = httpx.get(f"{live_server.root_url}/_mock/faults", headers=control(live_server))
        assert faults.json() == {"faults": []}
    finally:
        context.close()


def test_appliance_export_made_and_failed_in_the_page_is_what_the_api_returns(
    page: Page, page_events: PageEvents, live_server: MockServer, api: httpx.Client
) -> None:
    unlock(page, live_server.settings.control_token)
    mark_page(page)
    expect(page.locator("tr[data-appliance]")).to_have_count(2)  # the demo's 101 and 102
    expect(page.locator("tr[data-appliance-export]")).to_have_count(2)  # its 31 and 32
    software_exports = page.locator("tr[data-export]").count()

    page.click("tr[data-appliance='101'] button[data-create-appliance-export]")
    expect(page.locator("tr[data-appliance-export]")).to_have_count(3)
    row = page.locator("tr[data-appliance-export]").first
    made = int(row.get_attribute("data-appliance-export") or 0)
    expect(row).to_contain_text("appliance export")
    expect(
        page.locator(f"tr[data-appliance='101'] a[href='#appliance-export-{made}']")
    ).to_have_count(1)

    page.fill("#fail-message", "Template too large")
    row.locator("button[data-action=fail]").click()
    expect(row).to_have_attribute("data-phase", "error")
    status = api.get(f"/users/guest/appliances/101/exports/{made}/status").json()["status"]
    assert (status["error"], status["errorMessage"]) == (True, "Template too large")
    assert page.locator("tr[data-export]").count() == software_exports  # mySoftware's untouched

    assert_not_reloaded(page)
    page_events.assert_clean()
