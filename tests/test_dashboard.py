"""The dashboard at `/`, over HTTP: who gets it, what it shows (never a secret), its live JSON,
its session cookie, and its actions, each checked against what the API then returns.

The browser's side (the script, the page moving by itself) is tests/browser/."""

import asyncio
import re
import time
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import httpx2
import lxml.html
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import BASE_SEED, GUEST, STATUS_17, T0, seed
from uforge_mock.dashboard.access import COOKIE
from uforge_mock.dashboard.reads import ROWS
from uforge_mock.dashboard.view import ASSETS, LIVE_MAX_AGE_SECONDS
from uforge_mock.factory import create_app
from uforge_mock.jobs.clock import FrozenClock
from uforge_mock.settings import Settings

TOKEN = "dashboard-test-token"
CONTROL = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"}
# What Chromium sends when it opens a page.
BROWSER = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,"
    "image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7",
    "Sec-Fetch-Site": "none",
}
# What the page's script sends.
PAGE_FETCH = {
    "Accept": "application/json",
    "Origin": "http://testserver",
    "Sec-Fetch-Site": "same-origin",
}
JSON = {"Accept": "application/json"}


def control_settings(settings: Settings, **changes: Any) -> Settings:
    values = {"control_enabled": True, "control_token": TOKEN, **changes}
    return settings.model_copy(update=values)


@pytest.fixture
def app(settings: Settings, clock: FrozenClock) -> Iterator[FastAPI]:
    """An app with the control API on (its token), on each backend."""
    app = create_app(control_settings(settings), clock=clock)
    yield app
    app.state.mock.engine.dispose()


@pytest.fixture
def dashboard(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        seed(app, BASE_SEED)
        yield client


@pytest.fixture
def unlocked(dashboard: TestClient) -> TestClient:
    """The dashboard with the session cookie of the control token."""
    response = dashboard.post("/_dashboard/session", headers=PAGE_FETCH, json={"token": TOKEN})
    assert response.status_code == 204, response.text
    return dashboard


def page(client: TestClient) -> Any:
    response = client.get("/", headers=BROWSER)
    assert response.status_code == 200, response.text
    return lxml.html.fromstring(response.text)


def live(client: TestClient) -> dict[str, Any]:
    response = client.get("/_dashboard/live", headers=PAGE_FETCH)
    assert response.status_code == 200, response.text
    news: dict[str, Any] = response.json()
    return news


def section(client: TestClient, name: str) -> Any:
    return lxml.html.fragment_fromstring(live(client)["sections"][name], create_parent="div")


def fresh_section(client: TestClient, name: str) -> Any:
    """The section once the live body of a moment ago is too old to be served again."""
    time.sleep(LIVE_MAX_AGE_SECONDS + 0.1)
    return section(client, name)


def progress(tree: Any, kind: str, db_id: int) -> int:
    (bar,) = tree.xpath(f"//progress[@data-{kind}-progress='{db_id}']")
    return int(bar.get("value"))


def phase(tree: Any, kind: str, db_id: int) -> str:
    (row,) = tree.xpath(f"//tr[@data-{kind}='{db_id}']")
    return str(row.get("data-phase"))


def act(client: TestClient, method: str, path: str, **options: Any) -> httpx2.Response:
    headers = {**PAGE_FETCH, **options.pop("headers", {})}
    return client.request(method, f"/_dashboard/control{path}", headers=headers, **options)


# ---------------------------------------------------------------- who gets the page


def test_browser_gets_the_dashboard_at_the_root(dashboard: TestClient) -> None:
    response = dashboard.get("/", headers=BROWSER)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "default-src 'self'" in response.headers["content-security-policy"]
    tree = lxml.html.fromstring(response.text)
    assert tree.xpath("//section/@id")[:4] == ["platform", "exports", "imports", "software"]


@pytest.mark.parametrize(
    ("method", "accept"),
    [
        ("GET", "application/xml"),
        ("GET", "application/json"),
        ("GET", "*/*"),  # curl
        ("GET", None),
        ("GET", "application/json, text/html;q=0.5"),
        ("GET", "text/html;q=0.5, application/xml"),
        ("POST", BROWSER["Accept"]),
        ("DELETE", BROWSER["Accept"]),
    ],
)
def test_api_clients_get_the_404_the_root_always_answered(
    dashboard: TestClient, settings: Settings, clock: FrozenClock, method: str, accept: str | None
) -> None:
    headers = {"Accept": accept} if accept is not None else {}
    response = dashboard.request(method, "/", headers=headers)
    without = create_app(settings.model_copy(update={"dashboard": False}), clock=clock)
    with TestClient(without) as plain:
        expected = plain.request(method, "/", headers=headers)
    assert response.status_code == expected.status_code == 404
    assert response.headers["content-type"] == expected.headers["content-type"]
    assert response.content == expected.content


def test_dashboard_off_is_a_404_for_browsers_too(settings: Settings, clock: FrozenClock) -> None:
    off = control_settings(settings, dashboard=False)
    with TestClient(create_app(off, clock=clock)) as client:
        response = client.get("/", headers=BROWSER)
        assert response.status_code == 404
        assert "uforgeError" in response.text
        for path in ("/_dashboard/live", "/_dashboard/static/dashboard.js"):
            assert client.get(path, headers=PAGE_FETCH).status_code == 404
        assert client.post("/_dashboard/session", json={"token": TOKEN}).status_code == 404


def test_the_page_refuses_a_host_that_is_not_the_servers(dashboard: TestClient) -> None:
    # DNS rebinding: a page of attacker.example resolved to this server reads nothing.
    response = dashboard.get("/", headers={**BROWSER, "Host": "attacker.example"})
    assert response.status_code == 403
    live = dashboard.get("/_dashboard/live", headers={**PAGE_FETCH, "Host": "attacker.example"})
    assert live.status_code == 403


def test_a_link_from_another_site_opens_the_page(dashboard: TestClient) -> None:
    response = dashboard.get("/", headers={**BROWSER, "Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 200


def test_another_sites_script_cannot_read_the_live_json(dashboard: TestClient) -> None:
    response = dashboard.get("/_dashboard/live", headers={**JSON, "Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 403


# ---------------------------------------------------------------- what it shows


def test_page_shows_platform_users_software_and_exports(dashboard: TestClient) -> None:
    tree = page(dashboard)
    platform = tree.get_element_by_id("platform").text_content()
    assert "3.8.13" in platform
    assert dashboard.app.state.mock.engine.dialect.name in platform  # type: ignore[attr-defined]
    assert "2019-06-05 21:40:12 UTC" in platform
    users = {row.get("data-user"): row.text_content() for row in tree.xpath("//tr[@data-user]")}
    assert sorted(users) == ["guest", "other", "root", "viewer"]
    assert "software_upload" in users["guest"] and "api_key_access" in users["guest"]
    assert "admin" in users["root"] and "admin" not in users["guest"]
    assert sorted(tree.xpath("//tr[@data-software]/@data-software")) == ["918", "919", "920"]
    assert tree.xpath("//tr[@data-export]/@data-export") == ["30", "20", "19", "18", "17"]


def test_no_password_hash_or_secret_key_ever_shown(dashboard: TestClient) -> None:
    shown = dashboard.get("/", headers=BROWSER).text + str(live(dashboard))
    dashboard.get(STATUS_17, headers=GUEST)  # a request in the journal, with a password
    shown += str(live(dashboard))
    for secret in ("guest-pw", "root-pw", "SEC-guest", "argon2", TOKEN, "Z3Vlc3Q6Z3Vlc3QtcHc"):
        assert secret not in shown


def test_export_state_progress_message_and_error_are_shown(
    dashboard: TestClient, clock: FrozenClock
) -> None:
    clock.advance(10)  # export 17 runs 20 s: half way
    tree = section(dashboard, "exports")
    assert progress(tree, "export", 17) == 50
    assert phase(tree, "export", 17) == "running"
    assert phase(tree, "export", 18) == "running"  # for ever
    assert "for ever" in tree.xpath("//tr[@data-export='18']")[0].text_content()
    clock.advance(10)
    tree = fresh_section(dashboard, "exports")
    assert (progress(tree, "export", 17), phase(tree, "export", 17)) == (100, "complete")
    (link,) = tree.xpath("//tr[@data-export='17']//a[@download]/@href")
    assert link == "/api/users/guest/mysoftware/918/exports/17/downloads"
    assert dashboard.get(link, headers=GUEST).status_code == 200
    failed = tree.xpath("//tr[@data-export='19']")[0]
    assert failed.get("data-phase") == "error"
    assert "No space left on device" in failed.text_content()
    assert not failed.xpath(".//a[@download]")


def test_progress_moves_with_the_mock_clock_and_stands_when_frozen(
    dashboard: TestClient, clock: FrozenClock
) -> None:
    dashboard.put("/_mock/clock", headers=CONTROL, json={"action": "freeze"})
    before = progress(section(dashboard, "exports"), "export", 17)
    clock.advance(5)  # the system's time runs on; the mock's stands
    assert progress(fresh_section(dashboard, "exports"), "export", 17) == before
    dashboard.put("/_mock/clock", headers=CONTROL, json={"action": "advance", "by": "5s"})
    assert progress(fresh_section(dashboard, "exports"), "export", 17) == before + 25


def test_bundle_imports_are_shown_with_their_state(dashboard: TestClient) -> None:
    seed(
        dashboard.app,  # type: ignore[arg-type]
        {"bundleImports": [{"dbId": 4, "owner": "guest"}]},
    )
    tree = fresh_section(dashboard, "imports")
    assert phase(tree, "import", 4) == "waiting"
    assert "Waiting for the archive upload" in tree.text_content()


def test_journal_shows_requests_with_credentials_redacted(dashboard: TestClient) -> None:
    dashboard.get(STATUS_17 + "?password=hunter2", headers=GUEST)
    tree = fresh_section(dashboard, "journal")
    (row,) = tree.xpath("//tr[@data-request]")
    text = row.text_content()
    assert "GET" in text and STATUS_17 in text and "200" in text
    assert "Basic guest:<redacted>" in text
    assert "hunter2" not in text and "guest-pw" not in text


def test_faults_are_shown(dashboard: TestClient) -> None:
    spec = {"path": "*/status", "status": 503, "times": 2}
    assert dashboard.post("/_mock/faults", headers=CONTROL, json=spec).status_code == 201
    (row,) = fresh_section(dashboard, "faults").xpath("//tr[@data-fault]")
    assert re.sub(r"\s+", " ", row.text_content()).strip() == "1 * */status 503 2 0"


def test_only_the_newest_rows_are_shown(dashboard: TestClient) -> None:
    exports = [{"dbId": 100 + n, "mySoftware": 919, "created": T0} for n in range(ROWS + 5)]
    seed(dashboard.app, {"exports": exports})  # type: ignore[arg-type]
    tree = fresh_section(dashboard, "exports")
    shown = [int(db_id) for db_id in tree.xpath("//tr[@data-export]/@data-export")]
    assert shown == list(range(100 + ROWS + 4, 104, -1))
    assert "+ (the newest)" in tree.xpath("//h2")[0].text_content()


def test_without_the_control_api_the_page_is_read_only(
    settings: Settings, clock: FrozenClock
) -> None:
    with TestClient(create_app(settings, clock=clock)) as client:
        seed(client.app, BASE_SEED)  # type: ignore[arg-type]
        tree = page(client)
        assert tree.body.get("data-mode") == "read-only"
        assert not tree.xpath("//form | //button")
        assert "control API, which is off" in tree.get_element_by_id("journal").text_content()
        assert client.post("/_dashboard/session", json={"token": TOKEN}).status_code == 404
        assert act(client, "PUT", "/clock", json={"action": "freeze"}).status_code == 404


# ---------------------------------------------------------------- assets


@pytest.mark.parametrize("name", sorted(ASSETS))
def test_assets_are_served_by_the_server_itself(dashboard: TestClient, name: str) -> None:
    response = dashboard.get(f"/_dashboard/static/{name}")
    assert response.status_code == 200
    assert response.headers["content-type"] == ASSETS[name]
    # Any URL but a namespace (`xmlns`, a name that is never fetched).
    content = re.sub(rb'xmlns="[^"]*"', b"", response.content)
    assert not re.search(rb"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", content, re.I)
    again = dashboard.get(
        f"/_dashboard/static/{name}", headers={"If-None-Match": response.headers["etag"]}
    )
    assert again.status_code == 304


def test_the_page_loads_nothing_from_elsewhere(dashboard: TestClient) -> None:
    tree = page(dashboard)
    urls = tree.xpath("//@src | //link/@href | //form/@action")
    assert urls and all(url.startswith("/_dashboard/static/") for url in urls)


def test_an_unknown_asset_is_a_404(dashboard: TestClient) -> None:
    assert dashboard.get("/_dashboard/static/../settings.py").status_code == 404
    assert dashboard.get("/_dashboard/static/page.html").status_code == 404


# ---------------------------------------------------------------- the session


def test_the_page_asks_for_the_token_once(dashboard: TestClient) -> None:
    tree = page(dashboard)
    assert tree.body.get("data-mode") == "locked"
    assert tree.get_element_by_id("login-form") is not None
    assert not tree.xpath("//button[@data-clock]")


def test_a_wrong_token_is_refused_and_sets_no_cookie(dashboard: TestClient) -> None:
    response = dashboard.post("/_dashboard/session", headers=PAGE_FETCH, json={"token": "nope"})
    assert response.status_code == 401
    assert response.json()["uforgeError"]["localizedErrorMsg"]["message"] == "Wrong control token"
    assert "set-cookie" not in response.headers
    assert not response.headers["www-authenticate"].startswith("Basic")  # no browser dialog


def test_the_token_becomes_an_http_only_strict_cookie_not_holding_it(
    unlocked: TestClient,
) -> None:
    cookie = unlocked.cookies[COOKIE]
    assert TOKEN not in cookie
    response = unlocked.post("/_dashboard/session", headers=PAGE_FETCH, json={"token": TOKEN})
    set_cookie = response.headers["set-cookie"]
    assert "HttpOnly" in set_cookie and "SameSite=strict" in set_cookie
    assert "Secure" not in set_cookie  # plain http on loopback; https would set it
    tree = page(unlocked)
    assert tree.body.get("data-mode") == "unlocked"
    assert tree.xpath("//button[@data-clock='freeze']")


def test_the_cookie_does_not_open_the_control_api(unlocked: TestClient) -> None:
    assert unlocked.get("/_mock/clock", headers=JSON).status_code == 401


def test_actions_without_the_cookie_are_refused(dashboard: TestClient) -> None:
    response = act(dashboard, "PUT", "/clock", json={"action": "freeze"})
    assert response.status_code == 401
    dashboard.cookies.set(COOKIE, "forged")
    assert act(dashboard, "PUT", "/clock", json={"action": "freeze"}).status_code == 401
    assert dashboard.get("/_mock/clock", headers=CONTROL).json()["frozen"] is False


def test_locking_forgets_the_session(unlocked: TestClient) -> None:
    response = unlocked.delete("/_dashboard/session", headers=PAGE_FETCH)
    assert response.status_code == 204
    assert act(unlocked, "PUT", "/clock", json={"action": "freeze"}).status_code == 401


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://attacker.example"},
        {"Origin": "http://testserver:3000"},  # the same site, another port
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Host": "attacker.example"},
    ],
)
def test_actions_from_another_origin_are_refused_even_with_the_cookie(
    unlocked: TestClient, headers: dict[str, str]
) -> None:
    response = act(unlocked, "PUT", "/clock", json={"action": "freeze"}, headers=headers)
    assert response.status_code == 403
    login = unlocked.post(
        "/_dashboard/session", headers={**PAGE_FETCH, **headers}, json={"token": TOKEN}
    )
    assert login.status_code == 403
    assert unlocked.get("/_mock/clock", headers=CONTROL).json()["frozen"] is False


@pytest.mark.parametrize(
    ("path", "content_type", "body"),
    [
        ("/clock", "text/plain", b'{"action": "freeze"}'),
        ("/clock", "application/x-www-form-urlencoded", b"action=freeze"),
        ("/reset", "multipart/form-data; boundary=b", b"--b--\r\n"),
        ("/seed", "text/plain", b"users: []"),
    ],
)
def test_actions_take_json_only_which_a_form_cannot_send(
    unlocked: TestClient, path: str, content_type: str, body: bytes
) -> None:
    method = "PUT" if path == "/clock" else "POST"
    response = act(unlocked, method, path, content=body, headers={"Content-Type": content_type})
    assert response.status_code == 415


def test_open_control_api_needs_no_session(tmp_path: Path, clock: FrozenClock) -> None:
    settings = Settings(data_dir=tmp_path, demo=False, control_enabled=True, control_open=True)
    with TestClient(create_app(settings, clock=clock)) as client:
        assert page(client).body.get("data-mode") == "unlocked"
        assert act(client, "PUT", "/clock", json={"action": "freeze"}).status_code == 200


# ---------------------------------------------------------------- the actions


def control_clock(client: TestClient) -> dict[str, Any]:
    clock: dict[str, Any] = client.get("/_mock/clock", headers=CONTROL).json()
    return clock


def ticket(client: TestClient, eid: int) -> dict[str, Any]:
    for export in client.get("/_mock/exports", headers=CONTROL).json()["exports"]:
        if export["dbId"] == eid:
            return export  # type: ignore[no-any-return]
    raise AssertionError(f"no export {eid}")


def test_clock_actions_are_what_the_control_api_then_says(unlocked: TestClient) -> None:
    assert act(unlocked, "PUT", "/clock", json={"action": "freeze"}).status_code == 200
    assert control_clock(unlocked)["frozen"] is True
    response = act(unlocked, "PUT", "/clock", json={"action": "advance", "by": "1m"})
    assert response.json()["now"] == "2019-06-05T21:41:12.000Z"
    assert control_clock(unlocked)["now"] == "2019-06-05T21:41:12.000Z"
    assert act(unlocked, "PUT", "/clock", json={"action": "run"}).status_code == 200
    assert control_clock(unlocked)["frozen"] is False
    bad = act(unlocked, "PUT", "/clock", json={"action": "advance", "by": "soon"})
    assert bad.status_code == 400


def test_an_export_made_in_the_dashboard_is_polled_through_the_api(
    unlocked: TestClient, clock: FrozenClock
) -> None:
    response = act(unlocked, "POST", "/exports", json={"mySoftware": 918, "outputFormat": "json"})
    assert response.status_code == 201, response.text
    eid = response.json()["dbId"]
    status_url = f"/api/users/guest/mysoftware/918/exports/{eid}/status"
    status = unlocked.get(status_url, headers={**GUEST, **JSON}).json()["status"]
    assert (status["percentage"], status["complete"]) == (0, False)
    clock.advance(10)  # the settings' 10 s
    status = unlocked.get(status_url, headers={**GUEST, **JSON}).json()["status"]
    assert status["complete"] is True
    missing = act(unlocked, "POST", "/exports", json={"mySoftware": 4242})
    assert missing.status_code == 404


def test_export_made_to_fail_now_stops_where_it_stood_with_the_message(
    unlocked: TestClient, clock: FrozenClock
) -> None:
    clock.advance(5)  # export 17 at 25 %
    response = act(unlocked, "POST", "/exports/17", json={"action": "fail", "message": "Boom"})
    assert response.status_code == 200, response.text
    status = unlocked.get(STATUS_17, headers={**GUEST, **JSON}).json()["status"]
    assert (status["error"], status["percentage"], status["errorMessage"]) == (True, 25, "Boom")


def test_export_made_complete_now(unlocked: TestClient) -> None:
    assert act(unlocked, "POST", "/exports/17", json={"action": "complete"}).status_code == 200
    status = unlocked.get(STATUS_17, headers={**GUEST, **JSON}).json()["status"]
    assert (status["complete"], status["percentage"]) == (True, 100)


def test_export_made_to_run_for_ever_stands_where_it_was(
    unlocked: TestClient, clock: FrozenClock
) -> None:
    clock.advance(3)  # 15 %
    assert act(unlocked, "POST", "/exports/17", json={"action": "forever"}).status_code == 200
    clock.advance(3600)
    status = unlocked.get(STATUS_17, headers={**GUEST, **JSON}).json()["status"]
    assert (status["complete"], status["percentage"]) == (False, 15)
    assert ticket(unlocked, 17)["outcome"] == "running"


def test_bundle_import_actions_reach_the_import(unlocked: TestClient) -> None:
    seed(
        unlocked.app,  # type: ignore[arg-type]
        {"bundleImports": [{"dbId": 5, "owner": "guest", "uploaded": T0, "duration": 60}]},
    )
    response = act(unlocked, "POST", "/bundleimports/5", json={"action": "fail", "message": "No"})
    assert response.status_code == 200, response.text
    (record,) = unlocked.get("/_mock/bundleimports", headers=CONTROL).json()["bundleImports"]
    assert record["status"]["error"] is True and record["status"]["message"] == "Import failed"
    missing = act(unlocked, "POST", "/bundleimports/77", json={"action": "complete"})
    assert missing.status_code == 404


@pytest.mark.parametrize(
    "body",
    [{"action": "explode"}, {"action": "fail", "extra": 1}, {}, {"action": "fail", "message": 3}],
)
def test_a_bad_job_action_is_a_400(unlocked: TestClient, body: dict[str, Any]) -> None:
    assert act(unlocked, "POST", "/exports/17", json=body).status_code == 400


def test_a_missing_export_is_a_404(unlocked: TestClient) -> None:
    for eid in ("4242", "x", "-1"):
        response = act(unlocked, "POST", f"/exports/{eid}", json={"action": "complete"})
        assert response.status_code == 404


def test_faults_added_and_removed_in_the_dashboard_apply_to_the_api(unlocked: TestClient) -> None:
    spec = {"method": "GET", "path": "*/status", "status": 503, "times": 1}
    response = act(unlocked, "POST", "/faults", json=spec)
    assert response.status_code == 201, response.text
    assert unlocked.get(STATUS_17, headers=GUEST).status_code == 503
    assert unlocked.get(STATUS_17, headers=GUEST).status_code == 200  # used up
    fault = act(unlocked, "POST", "/faults", json={"latencyMs": 1}).json()
    assert act(unlocked, "DELETE", f"/faults/{fault['id']}").status_code == 204
    act(unlocked, "POST", "/faults", json={"status": 500})
    assert act(unlocked, "DELETE", "/faults").json() == {"cleared": 1}
    assert unlocked.get("/_mock/faults", headers=CONTROL).json() == {"faults": []}
    assert act(unlocked, "POST", "/faults", json={"status": 200}).status_code == 400


def test_journal_cleared_in_the_dashboard(unlocked: TestClient) -> None:
    unlocked.get(STATUS_17, headers=GUEST)
    assert act(unlocked, "DELETE", "/requests").json() == {"cleared": 1}
    assert unlocked.get("/_mock/requests", headers=CONTROL).json()["requests"] == []


def test_seed_loaded_in_the_dashboard_makes_its_users(unlocked: TestClient) -> None:
    document = b"users: [{login: zoe, password: zoe-pw, entitlements: [software_upload]}]\n"
    response = act(
        unlocked, "POST", "/seed", content=document, headers={"Content-Type": "application/yaml"}
    )
    assert response.status_code == 200, response.text
    zoe = {"Authorization": "Basic em9lOnpvZS1wdw==", **JSON}  # zoe:zoe-pw
    assert unlocked.get("/api/users/zoe", headers=zoe).json()["user"]["loginName"] == "zoe"
    bad = act(unlocked, "POST", "/seed", json={"users": [{"login": "x"}]})
    assert bad.status_code == 400


def test_a_seed_past_its_limit_is_a_413(settings: Settings, clock: FrozenClock) -> None:
    small = control_settings(settings, seed_max_bytes=1024)
    with TestClient(create_app(small, clock=clock)) as client:
        client.post("/_dashboard/session", headers=PAGE_FETCH, json={"token": TOKEN})
        body = b"users: []\n" + b"#" * 2048
        headers = {"Content-Type": "application/yaml"}
        assert act(client, "POST", "/seed", content=body, headers=headers).status_code == 413


def test_reset_in_the_dashboard_goes_back_to_the_start(unlocked: TestClient) -> None:
    act(unlocked, "PUT", "/clock", json={"action": "freeze"})
    response = act(unlocked, "POST", "/reset")
    assert response.status_code == 200
    assert control_clock(unlocked)["frozen"] is False
    # The fixture seeded after start-up: back to no users at all.
    assert unlocked.get(STATUS_17, headers=GUEST).status_code == 401


def test_a_change_shows_in_the_next_live_body_at_once(unlocked: TestClient) -> None:
    assert phase(section(unlocked, "exports"), "export", 17) == "running"
    act(unlocked, "POST", "/exports/17", json={"action": "complete"})
    assert phase(section(unlocked, "exports"), "export", 17) == "complete"  # no wait


# ---------------------------------------------------------------- bounds


def test_live_requests_beyond_the_bound_are_a_503_with_retry_after(
    settings: Settings, clock: FrozenClock
) -> None:
    bounded = settings.model_copy(update={"dashboard_max_live_requests": 1})
    app = create_app(bounded, clock=clock)
    app.state.mock.prepare()

    async def two_at_once() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return list(
                await asyncio.gather(
                    client.get("/_dashboard/live", headers=PAGE_FETCH),
                    client.get("/_dashboard/live", headers=PAGE_FETCH),
                )
            )

    try:
        first, second = asyncio.run(two_at_once())
    finally:
        app.state.mock.close()
    assert first.status_code == 200
    assert second.status_code == 503
    assert second.headers["retry-after"] == "1"
    assert second.json()["uforgeError"]["localizedErrorMsg"]["messageId"] == (
        "mock.error.unavailable.dashboard"
    )


# ---------------------------------------------------------------- the appliance family

# An appliance of guest with an export 17 and an import 3 (a mySoftware export 17 exists too).
APPLIANCE_SEED: dict[str, Any] = {
    "appliances": [
        {
            "dbId": 101,
            "owner": "guest",
            "name": "CentOS Monitoring",
            "version": "1.0",
            "distributionName": "CentOS",
            "distributionVersion": "7",
            "bundles": [918],
        }
    ],
    "applianceExports": [{"dbId": 17, "appliance": 101, "created": T0, "duration": 40}],
    "applianceImports": [
        {"dbId": 3, "owner": "guest", "imported": True, "uploaded": T0, "duration": 60}
    ],
}
APPLIANCE_EXPORT_17 = "/api/users/guest/appliances/101/exports/17/status"


@pytest.fixture
def demo(app: FastAPI) -> Iterator[TestClient]:
    """The dashboard of the bundled demo dataset (its templates 101, 102, their exports 31, 32
    and the appliance import 1)."""
    with TestClient(app) as client:
        app.state.mock.load_seed_file(
            Path(str(resources.files("uforge_mock.store") / "demo-seed.yml"))
        )
        yield client


def row_text(tree: Any, kind: str, db_id: int) -> str:
    (row,) = tree.xpath(f"//tr[@data-{kind}='{db_id}']")
    return re.sub(r"\s+", " ", row.text_content()).strip()


def test_demo_appliances_are_shown_with_their_os_owner_and_jobs(
    demo: TestClient, clock: FrozenClock
) -> None:
    clock.advance(3600)  # past the end of the demo's jobs (its import is half an hour later)
    tree = page(demo)
    assert tree.xpath("//tr[@data-appliance]/@data-appliance") == ["102", "101"]
    centos = row_text(tree, "appliance", 101)
    assert "CentOS Monitoring 1.0" in centos and "CentOS 7 x86_64" in centos
    assert "guest" in centos and "export 31" in centos
    assert tree.xpath("//tr[@data-appliance='102']//a/@href") == ["#appliance-export-32"]
    exports = tree.get_element_by_id("exports")
    assert sorted(exports.xpath(".//tr[@data-appliance-export]/@data-appliance-export")) == [
        "31",
        "32",
    ]
    assert "appliance export" in row_text(tree, "appliance-export", 31)
    assert "mySoftware export" in row_text(tree, "export", 17)
    failed = row_text(tree, "appliance-export", 32)
    assert "Failed to export the template" in failed and "No space left on device" in failed
    assert phase(tree, "appliance-export", 32) == "error"
    assert phase(tree, "appliance-import", 1) == "error"
    assert "appliance import" in row_text(tree, "appliance-import", 1)


def test_appliance_export_bar_follows_the_clock_and_ends_with_its_download(
    demo: TestClient, clock: FrozenClock
) -> None:
    clock.advance(5)  # the demo's export 31 runs 10 s: half way
    tree = section(demo, "exports")
    assert (progress(tree, "appliance-export", 31), phase(tree, "appliance-export", 31)) == (
        50,
        "running",
    )
    assert not tree.xpath("//tr[@data-appliance-export='31']//a[@download]")
    demo.put("/_mock/clock", headers=CONTROL, json={"action": "freeze"})
    clock.advance(60)  # the system's time runs on; the mock's stands
    assert progress(fresh_section(demo, "exports"), "appliance-export", 31) == 50
    demo.put("/_mock/clock", headers=CONTROL, json={"action": "advance", "by": "5s"})
    tree = fresh_section(demo, "exports")
    assert (progress(tree, "appliance-export", 31), phase(tree, "appliance-export", 31)) == (
        100,
        "complete",
    )
    (link,) = tree.xpath("//tr[@data-appliance-export='31']//a[@download]/@href")
    assert link == "/api/users/guest/appliances/101/exports/31/downloads"
    assert demo.get(link, auth=("guest", "guest-secret")).status_code == 200


def test_an_export_17_of_each_family_is_two_rows_each_its_own(
    dashboard: TestClient, clock: FrozenClock
) -> None:
    seed(dashboard.app, APPLIANCE_SEED)  # type: ignore[arg-type]
    clock.advance(20)  # the mySoftware export 17 complete (20 s), the appliance one half way
    tree = page(dashboard)
    assert (phase(tree, "export", 17), phase(tree, "appliance-export", 17)) == (
        "complete",
        "running",
    )
    assert progress(tree, "appliance-export", 17) == 50
    assert tree.get_element_by_id("export-17").get("data-export") == "17"
    assert tree.get_element_by_id("appliance-export-17").get("data-appliance-export") == "17"
    assert tree.xpath("//tr[@data-export='17']//a[@download]/@href") == [
        "/api/users/guest/mysoftware/918/exports/17/downloads"
    ]
    assert "mySoftware 918" in row_text(tree, "export", 17)
    assert "appliance 101" in row_text(tree, "appliance-export", 17)
    software_links = tree.xpath("//tr[@data-software='918']//a/@href")
    assert "#export-17" in software_links and "#appliance-export-17" not in software_links
    assert tree.xpath("//tr[@data-appliance='101']//a/@href") == ["#appliance-export-17"]
    assert phase(tree, "appliance-import", 3) == "running"


def test_appliance_export_actions_reach_that_export_only(
    unlocked: TestClient, clock: FrozenClock
) -> None:
    seed(unlocked.app, APPLIANCE_SEED)  # type: ignore[arg-type]
    clock.advance(10)  # the appliance export 17 at 25 %, the mySoftware one at 50 %
    body = {"action": "fail", "message": "Boom"}
    response = act(unlocked, "POST", "/applianceexports/17", json=body)
    assert response.status_code == 200, response.text
    auth = {**GUEST, **JSON}
    status = unlocked.get(APPLIANCE_EXPORT_17, headers=auth).json()["status"]
    assert (status["error"], status["percentage"], status["errorMessage"]) == (True, 25, "Boom")
    status = unlocked.get(STATUS_17, headers=auth).json()["status"]
    assert (status["error"], status["percentage"]) == (False, 50)
    missing = act(unlocked, "POST", "/applianceexports/18", json={"action": "complete"})
    assert missing.status_code == 404


def test_an_appliance_export_made_in_the_dashboard_is_polled_through_the_api(
    unlocked: TestClient, clock: FrozenClock
) -> None:
    seed(unlocked.app, APPLIANCE_SEED)  # type: ignore[arg-type]
    response = act(unlocked, "POST", "/applianceexports", json={"appliance": 101})
    assert response.status_code == 201, response.text
    eid = response.json()["dbId"]
    status_url = f"/api/users/guest/appliances/101/exports/{eid}/status"
    status = unlocked.get(status_url, headers={**GUEST, **JSON}).json()["status"]
    assert (status["percentage"], status["complete"]) == (0, False)
    clock.advance(3600)
    status = unlocked.get(status_url, headers={**GUEST, **JSON}).json()["status"]
    assert status["complete"] is True
    assert f'data-appliance-export="{eid}"' in live(unlocked)["sections"]["exports"]
    missing = act(unlocked, "POST", "/applianceexports", json={"appliance": 4242})
    assert missing.status_code == 404


def test_appliance_import_actions_reach_the_import(unlocked: TestClient) -> None:
    seed(unlocked.app, APPLIANCE_SEED)  # type: ignore[arg-type]
    response = act(unlocked, "POST", "/applianceimports/3", json={"action": "complete"})
    assert response.status_code == 200, response.text
    (record,) = unlocked.get("/_mock/applianceimports", headers=CONTROL).json()["applianceImports"]
    assert record["status"]["complete"] is True
    # No bundle import 3: the action went to the appliance import alone.
    assert act(unlocked, "POST", "/bundleimports/3", json={"action": "complete"}).status_code == 404
    missing = act(unlocked, "POST", "/applianceimports/77", json={"action": "complete"})
    assert missing.status_code == 404
