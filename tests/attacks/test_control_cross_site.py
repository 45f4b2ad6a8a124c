"""A web page driving an open control API through the developer's browser.

The attack: any page the developer opened POSTed a JSON seed as `text/plain` (a simple
request: no CORS preflight) to `http://127.0.0.1:PORT/_mock/seed`; the seed made an admin, who
then downloaded another user's export. The same page could wipe the store with a form posted to
`/_mock/reset`, or (DNS rebinding) read the journal under its own name. Each test sends what the
browser would send, against a real `uforge-mock serve` running its control API open, and checks
that nothing changed; the last ones check the legitimate clients still get through.
"""

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.servers import server_process, uforge_mock

GUEST_EXPORT = "/api/users/guest/mysoftware/918/exports/17/downloads"
ATTACKER = "http://attacker.example"
# What a browser adds to a request a page on another site makes.
FROM_A_PAGE = {"Origin": ATTACKER, "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors"}
ALLOWED_NAME = "uforge-mock"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`uforge-mock serve` on loopback, demo dataset, control API open (no token)."""
    data_dir = tmp_path_factory.mktemp("cross-site")
    with server_process(
        data_dir,
        control_enabled="true",
        control_open="true",
        control_allowed_hosts=ALLOWED_NAME,
    ) as base:
        yield base


def admin_seed(login: str) -> str:
    user = {"login": login, "password": "pw", "admin": True, "entitlements": ["software_upload"]}
    return json.dumps({"users": [user]})


def signs_in(base: str, login: str) -> bool:
    """Whether `login` (password `pw`) exists: it can download guest's export as an admin."""
    response = httpx.get(f"{base}{GUEST_EXPORT}", auth=(login, "pw"), timeout=30)
    assert response.status_code in (200, 401), response.text
    return response.status_code == 200


def seed_user(base: str, login: str) -> None:
    response = httpx.post(f"{base}/_mock/seed", content=admin_seed(login), timeout=30,
                          headers={"Content-Type": "application/json"})  # fmt: skip
    assert response.status_code == 200, response.text


def refused(response: httpx.Response, status: int, message_id: str) -> None:
    assert response.status_code == status, response.text
    error = response.json()["uforgeError"]["localizedErrorMsg"]
    assert error["messageId"] == message_id, response.text


def host_of(base: str) -> str:
    return base.removeprefix("http://")


# ---------------------------------------------------------------- the attack as it was made


@pytest.mark.parametrize(
    ("headers", "status", "message_id"),
    [
        (FROM_A_PAGE, 403, "mock.error.forbidden.cross_site"),
        ({}, 415, "mock.error.unsupported_media_type"),
    ],
    ids=["from-a-page", "text-plain-alone"],
)
def test_text_plain_seed_making_an_admin_is_refused(
    server: str, headers: dict[str, str], status: int, message_id: str
) -> None:
    login = f"mallory-{status}"
    response = httpx.post(
        f"{server}/_mock/seed",
        content=admin_seed(login),
        headers={**headers, "Content-Type": "text/plain;charset=UTF-8"},
        timeout=30,
    )
    refused(response, status, message_id)
    assert not signs_in(server, login)


# ---------------------------------------------------------------- forms


FORMS: dict[str, dict[str, Any]] = {
    "urlencoded": {"data": {"confirm": "yes"}},
    "multipart": {"files": {"file": ("seed.json", b"{}", "application/json")}},
    "text-plain": {"content": b"confirm=yes", "headers": {"Content-Type": "text/plain"}},
}


@pytest.mark.parametrize("form", FORMS.values(), ids=FORMS.keys())
@pytest.mark.parametrize("origin", [True, False], ids=["from-a-page", "alone"])
def test_form_post_cannot_reset_the_store(
    server: str, form: dict[str, Any], origin: bool, request: pytest.FixtureRequest
) -> None:
    login = f"carol-{request.node.callspec.id}"
    seed_user(server, login)
    headers = {**(FROM_A_PAGE if origin else {}), **form.get("headers", {})}
    options = {key: value for key, value in form.items() if key != "headers"}
    response = httpx.post(f"{server}/_mock/reset", headers=headers, timeout=30, **options)
    if origin:
        refused(response, 403, "mock.error.forbidden.cross_site")
    else:
        refused(response, 415, "mock.error.unsupported_media_type")
    assert signs_in(server, login), "the store was reset"


# ---------------------------------------------------------------- a forged Origin


PAGES = {
    "another-site": {"Origin": ATTACKER},
    "null-origin": {"Origin": "null"},
    "another-local-port": {"Origin": "http://127.0.0.1:1"},
    "https-attacker": {"Origin": "https://attacker.example"},
    "fetch-metadata-only": {"Sec-Fetch-Site": "same-site"},
}


@pytest.mark.parametrize("page", PAGES.values(), ids=PAGES.keys())
def test_json_seed_from_another_origin_is_refused(
    server: str, page: dict[str, str], request: pytest.FixtureRequest
) -> None:
    login = f"mallory-{request.node.callspec.id}"
    response = httpx.post(
        f"{server}/_mock/seed",
        content=admin_seed(login),
        headers={**page, "Content-Type": "application/json"},
        timeout=30,
    )
    refused(response, 403, "mock.error.forbidden.cross_site")
    assert not signs_in(server, login)


def test_bodyless_reset_from_another_origin_is_refused(server: str) -> None:
    """`fetch(url, {method: "POST", mode: "no-cors"})`: no body, no Content-Type."""
    seed_user(server, "dave")
    response = httpx.post(f"{server}/_mock/reset", headers=FROM_A_PAGE, timeout=30)
    refused(response, 403, "mock.error.forbidden.cross_site")
    assert signs_in(server, "dave")


# ---------------------------------------------------------------- DNS rebinding


def test_rebound_page_cannot_read_the_journal(server: str) -> None:
    """attacker.example resolved to 127.0.0.1: same-origin to the browser, the name in Host."""
    port = server.rsplit(":", 1)[1]
    response = httpx.get(
        f"{server}/_mock/requests", headers={"Host": f"attacker.example:{port}"}, timeout=30
    )
    refused(response, 403, "mock.error.forbidden.cross_site")


def test_rebound_page_cannot_seed_an_admin(server: str) -> None:
    port = server.rsplit(":", 1)[1]
    rebound = f"attacker.example:{port}"
    response = httpx.post(
        f"{server}/_mock/seed",
        content=admin_seed("mallory-rebound"),
        headers={
            "Host": rebound,
            "Origin": f"http://{rebound}",
            "Sec-Fetch-Site": "same-origin",
            "Content-Type": "application/json",
        },
        timeout=30,
    )
    refused(response, 403, "mock.error.forbidden.cross_site")
    assert not signs_in(server, "mallory-rebound")


# ---------------------------------------------------------------- the legitimate clients


def test_httpx_with_json_drives_the_control_api(server: str) -> None:
    with httpx.Client(base_url=f"{server}/_mock", timeout=30) as control:
        seed_user(server, "erin")
        clock = control.put("/clock", json={"action": "freeze", "at": "2019-06-05T21:40:12Z"})
        assert clock.status_code == 200, clock.text
        assert control.put("/clock", json={"action": "real"}).status_code == 200
        fault = control.post("/faults", json={"path": "/api/nothing", "status": 503})
        assert fault.status_code == 201, fault.text
        assert control.delete(f"/faults/{fault.json()['id']}").status_code == 204
        patch = control.patch("/exports/18", json={"message": "still going"})
        assert patch.status_code == 200, patch.text
        assert control.delete("/requests").status_code == 200
        assert control.delete("/faults").status_code == 200
        assert control.get("/exports").status_code == 200
    assert signs_in(server, "erin")


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "{base}", "Sec-Fetch-Site": "same-origin"},
        {"Host": "localhost:{port}"},
        {"Host": "[::1]:{port}"},
        {"Host": f"{ALLOWED_NAME}:8080"},
        {"Host": ALLOWED_NAME.upper()},
    ],
    ids=["own-page", "localhost", "ipv6-loopback", "allowed-name", "allowed-name-no-port"],
)
def test_the_servers_own_names_and_pages_pass(server: str, headers: dict[str, str]) -> None:
    port = server.rsplit(":", 1)[1]
    given = {name: value.format(base=server, port=port) for name, value in headers.items()}
    response = httpx.put(
        f"{server}/_mock/clock", json={"action": "real"}, headers=given, timeout=30
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("media_type", ["application/yaml", "application/x-yaml", "text/yaml"])
def test_yaml_seed_is_taken(server: str, media_type: str) -> None:
    login = "yaml-" + media_type.replace("/", "-")
    document = f"users: [{{login: {login}, password: pw, admin: true}}]\n"
    response = httpx.post(
        f"{server}/_mock/seed",
        content=document,
        headers={"Content-Type": f"{media_type}; charset=utf-8"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    assert response.json()["created"] == {"users": [login]}


def ctl(tmp_path: Path, base: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    result = uforge_mock(tmp_path, "ctl", "--url", base, "--json", *arguments)
    assert result.returncode == 0, result.stderr
    return result


def test_the_ctl_command_drives_the_control_api(server: str, tmp_path: Path) -> None:
    yaml_seed = tmp_path / "world.yml"
    yaml_seed.write_text(
        "users: [{login: frank, password: pw, admin: true, entitlements: [software_upload]}]\n"
    )
    json_seed = tmp_path / "world.json"
    json_seed.write_text(admin_seed("grace"))
    ctl(tmp_path, server, "seed", str(yaml_seed))
    ctl(tmp_path, server, "seed", str(json_seed))
    assert signs_in(server, "frank") and signs_in(server, "grace")
    ctl(tmp_path, server, "clock", "freeze", "2019-06-05T21:40:12Z")
    ctl(tmp_path, server, "clock", "real")
    added = ctl(tmp_path, server, "faults", "add", "--path", "/x", "--status", "503")
    fault = json.loads(added.stdout)
    ctl(tmp_path, server, "faults", "remove", str(fault["id"]))
    ctl(tmp_path, server, "faults", "clear")
    ctl(tmp_path, server, "requests", "--clear")
    ctl(tmp_path, server, "patch", "18", "--message", "from the CLI")
    ctl(tmp_path, server, "reset")
    assert not signs_in(server, "frank")
