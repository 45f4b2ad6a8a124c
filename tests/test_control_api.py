"""The control API under /_mock: protection, reset, seed, clock, ticket patches, journal and
faults."""

import re
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import ValidationError

from tests.conftest import FAST_HASHING, GUEST, STATUS_17, T0, basic
from uforge_mock.control.routes import router as control_router
from uforge_mock.factory import create_app
from uforge_mock.jobs.clock import FrozenClock
from uforge_mock.platform.edge import DropConnection
from uforge_mock.settings import Settings

TOKEN = "s3cret-token"
CONTROL = {"Authorization": f"Bearer {TOKEN}"}
JSON = {"Accept": "application/json"}
SEED_FILE = """
users: [{login: guest, password: guest-pw, entitlements: [software_upload, appliance_create]}]
mySoftware: [{dbId: 918, owner: guest, name: Zabbix, version: 3.0.1}]
exports: [{dbId: 17, mySoftware: 918, created: 2019-06-05T21:40:12Z, duration: 20}]
"""


@pytest.fixture
def control_settings(tmp_path: Path) -> Settings:
    seed_file = tmp_path / "seed.yml"
    seed_file.write_text(SEED_FILE)
    return Settings(
        data_dir=tmp_path / "data",
        seed=seed_file,
        control_enabled=True,
        control_token=TOKEN,
        journal_size=5,
        **FAST_HASHING,
    )


@pytest.fixture
def control(control_settings: Settings, clock: FrozenClock) -> Iterator[TestClient]:
    with TestClient(create_app(control_settings, clock=clock)) as client:
        yield client


def status(client: TestClient) -> dict[str, object]:
    response = client.get(STATUS_17, headers={**GUEST, **JSON})
    assert response.status_code == 200, response.text
    return response.json()["status"]  # type: ignore[no-any-return]


# ---------------------------------------------------------------- protection


def test_control_api_is_off_by_default(client: TestClient) -> None:
    response = client.post("/_mock/reset", headers=CONTROL)
    assert response.status_code == 404


def test_enabled_control_api_needs_a_token_or_an_explicit_open() -> None:
    with pytest.raises(ValidationError, match="UFORGE_MOCK_CONTROL_TOKEN"):
        Settings(control_enabled=True)
    assert Settings(control_enabled=True, control_open=True).control_open


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, GUEST, {"Authorization": f"Basic {TOKEN}"}],
    ids=["none", "wrong-token", "uforge-credentials", "wrong-scheme"],
)
def test_control_api_refuses_anything_but_its_token(
    control: TestClient, headers: dict[str, str]
) -> None:
    response = control.get("/_mock/clock", headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/json"
    assert response.json()["uforgeError"]["statusCode"] == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_open_control_api_needs_no_token(tmp_path: Path, clock: FrozenClock) -> None:
    settings = Settings(
        data_dir=tmp_path, demo=False, control_enabled=True, control_open=True, **FAST_HASHING
    )
    with TestClient(create_app(settings, clock=clock)) as client:
        assert client.get("/_mock/clock").status_code == 200


CROSS_SITE = "mock.error.forbidden.cross_site"


def message_id(body: dict[str, dict[str, dict[str, str]]]) -> str:
    return body["uforgeError"]["localizedErrorMsg"]["messageId"]


@pytest.mark.parametrize(
    ("bound", "arrived_on", "host", "allowed", "status"),
    [
        ("0.0.0.0", "172.17.0.2", "localhost:8080", "", 200),  # docker run -p 8080:8080
        ("0.0.0.0", "172.17.0.2", "127.0.0.1:9090", "", 200),  # a published port
        ("0.0.0.0", "172.17.0.2", "172.17.0.2:8080", "", 200),  # its own address
        ("0.0.0.0", "172.17.0.2", "uforge-mock:8080", "", 403),  # a compose name, not allowed
        ("0.0.0.0", "172.17.0.2", "uforge-mock:8080", "db, uforge-mock", 200),
        ("10.1.2.3", "10.1.2.3", "localhost:8080", "", 403),  # not listening on loopback
        ("mock.internal", "10.1.2.3", "mock.internal", "", 200),  # the configured name
        ("127.0.0.1", "127.0.0.1", "attacker.example:8080", "", 403),  # DNS rebinding
        ("127.0.0.1", "127.0.0.1", "attacker.example", "*", 200),  # the check turned off
        ("127.0.0.1", "127.0.0.1", "localhost:8080:80", "", 403),
    ],
)
def test_host_must_name_the_server(
    control_settings: Settings,
    clock: FrozenClock,
    bound: str,
    arrived_on: str,
    host: str,
    allowed: str,
    status: int,
) -> None:
    settings = control_settings.model_copy(update={"host": bound, "control_allowed_hosts": allowed})
    app = create_app(settings, clock=clock)
    with TestClient(app, base_url=f"http://{arrived_on}:8080") as client:
        response = client.get("/_mock/clock", headers={**CONTROL, "Host": host})
    assert response.status_code == status, response.text
    if status == 403:
        assert message_id(response.json()) == CROSS_SITE


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Origin": "http://testserver"}, 200),
        ({"Origin": "http://testserver:80", "Sec-Fetch-Site": "same-origin"}, 200),
        ({"Origin": "https://testserver"}, 200),  # behind a TLS proxy
        ({"Origin": "http://testserver:8080"}, 403),
        ({"Origin": "http://attacker.example"}, 403),
        ({"Origin": "null"}, 403),
        ({"Sec-Fetch-Site": "cross-site"}, 403),
        ({"Sec-Fetch-Site": "none"}, 200),  # typed in the address bar
    ],
)
def test_origin_must_be_the_servers_own_even_with_the_token(
    control: TestClient, headers: dict[str, str], status: int
) -> None:
    response = control.put("/_mock/clock", headers={**CONTROL, **headers}, json={"action": "run"})
    assert response.status_code == status, response.text


FORM = "application/x-www-form-urlencoded"


@pytest.mark.parametrize(
    ("method", "path", "content_type", "body"),
    [
        ("PUT", "/_mock/clock", None, b'{"action": "run"}'),
        ("PUT", "/_mock/clock", FORM, b"action=run"),
        ("POST", "/_mock/faults", "multipart/form-data; boundary=b", b"--b--\r\n"),
        ("PATCH", "/_mock/exports/17", "text/plain", b"{}"),
        ("POST", "/_mock/seed", "text/x-yaml", b"users: []"),
        ("POST", "/_mock/reset", "text/plain", b""),
        ("DELETE", "/_mock/faults", FORM, b""),
    ],
    ids=["no-type", "form", "multipart", "text-plain", "unknown-yaml", "reset-text", "delete-form"],
)
def test_changes_are_taken_in_their_media_types_only(
    control: TestClient, method: str, path: str, content_type: str | None, body: bytes
) -> None:
    headers = {**CONTROL, **({"Content-Type": content_type} if content_type else {})}
    response = control.request(method, path, headers=headers, content=body)
    assert response.status_code == 415, response.text
    assert message_id(response.json()) == "mock.error.unsupported_media_type"


def test_bodyless_changes_need_no_media_type(control: TestClient) -> None:
    assert control.post("/_mock/reset", headers=CONTROL).status_code == 200
    json_type = {**CONTROL, "Content-Type": "application/json"}
    assert control.post("/_mock/reset", headers=json_type).status_code == 200  # the README's curl
    assert control.delete("/_mock/requests", headers=CONTROL).status_code == 200


def test_control_openapi_document_is_served(control: TestClient) -> None:
    document = control.get("/_mock/openapi.json", headers=CONTROL).json()
    assert "/_mock/clock" in document["paths"]
    assert "/_mock/clock" not in control.get("/openapi.json").json()["paths"]


# ---------------------------------------------------------------- seed and reset


def test_seed_accepts_json(control: TestClient) -> None:
    body = {"users": [{"login": "alice", "password": "pw", "entitlements": ["software_upload"]}]}
    response = control.post("/_mock/seed", headers=CONTROL, json=body)
    assert response.status_code == 200
    assert response.json()["created"] == {"users": ["alice"]}


def test_seed_accepts_yaml(control: TestClient) -> None:
    response = control.post(
        "/_mock/seed",
        headers={**CONTROL, "Content-Type": "application/yaml"},
        content="mySoftware: [{dbId: 918, owner: guest, name: Renamed}]",
    )
    assert response.json()["updated"] == {"mySoftware": ["918"]}


def test_bad_seed_is_400_and_changes_nothing(control: TestClient) -> None:
    body = {
        "users": [{"login": "bob", "password": "pw"}],
        "exports": [{"dbId": 5, "mySoftware": 4242}],
    }
    response = control.post("/_mock/seed", headers=CONTROL, json=body)
    assert response.status_code == 400
    error = response.json()["uforgeError"]["localizedErrorMsg"]
    assert "exports[0] (dbId 5): field 'mySoftware'" in error["message"]
    assert control.get(STATUS_17, headers=basic("bob", "pw")).status_code == 401


def test_reset_returns_to_the_start_up_state(control: TestClient) -> None:
    control.post("/_mock/seed", headers=CONTROL, json={"users": [{"login": "x", "password": "y"}]})
    control.put(
        "/_mock/clock", headers=CONTROL, json={"action": "freeze", "at": "2030-01-01T00:00:00Z"}
    )
    created = control.post("/api/users/guest/mysoftware/918/exports", headers={**GUEST, **JSON})
    eid = created.json()["softwareBundleExport"]["dbId"]
    control.delete(STATUS_17.removesuffix("/status"), headers=GUEST)

    control.post("/_mock/faults", headers=CONTROL, json={"status": 500, "path": "/nothing"})
    response = control.post("/_mock/reset", headers=CONTROL)
    assert response.status_code == 200
    assert response.json()["seed"]["created"]["exports"] == ["17"]
    assert control.get("/_mock/requests", headers=CONTROL).json()["requests"] == []
    assert control.get(STATUS_17, headers=basic("x", "y")).status_code == 401
    assert status(control)["dbId"] == 17
    assert control.get("/_mock/clock", headers=CONTROL).json()["frozen"] is False
    assert control.get("/_mock/faults", headers=CONTROL).json()["faults"] == []
    again = control.post("/api/users/guest/mysoftware/918/exports", headers={**GUEST, **JSON})
    assert again.json()["softwareBundleExport"]["dbId"] > eid


# ---------------------------------------------------------------- clock


def test_frozen_clock_decides_every_status(control: TestClient) -> None:
    control.put(
        "/_mock/clock", headers=CONTROL, json={"action": "freeze", "at": "2019-06-05T21:40:20Z"}
    )
    assert status(control)["percentage"] == 40
    clock = control.put(
        "/_mock/clock", headers=CONTROL, json={"action": "advance", "by": "1m"}
    ).json()
    assert clock["now"] == "2019-06-05T21:41:20.000Z" and clock["frozen"] is True
    assert status(control)["complete"] is True


def test_clock_changes_move_etags_and_last_modified(control: TestClient) -> None:
    control.put(
        "/_mock/clock", headers=CONTROL, json={"action": "freeze", "at": "2019-06-05T21:40:14Z"}
    )
    before = control.get(STATUS_17, headers=GUEST)
    control.put("/_mock/clock", headers=CONTROL, json={"action": "advance", "by": 10})
    after = control.get(STATUS_17, headers={**GUEST, "If-None-Match": before.headers["etag"]})
    assert after.status_code == 200
    assert after.headers["last-modified"] != before.headers["last-modified"]


def test_clock_set_runs_from_the_instant(control: TestClient, clock: FrozenClock) -> None:
    control.put(
        "/_mock/clock", headers=CONTROL, json={"action": "set", "at": "2019-06-05T21:40:12Z"}
    )
    clock.advance(10)  # the base clock moves on: the mock's time runs with it
    assert control.get("/_mock/clock", headers=CONTROL).json()["now"] == "2019-06-05T21:40:22.000Z"
    assert status(control)["percentage"] == 50


def test_clock_run_and_real(control: TestClient, clock: FrozenClock) -> None:
    control.put(
        "/_mock/clock", headers=CONTROL, json={"action": "freeze", "at": "2020-01-01T00:00:00Z"}
    )
    running = control.put("/_mock/clock", headers=CONTROL, json={"action": "run"}).json()
    assert running["frozen"] is False and running["now"] == "2020-01-01T00:00:00.000Z"
    real = control.put("/_mock/clock", headers=CONTROL, json={"action": "real"}).json()
    assert real["now"] == real["systemNow"]


@pytest.mark.parametrize(
    "body",
    [
        {"action": "advance"},
        {"action": "advance", "by": "soon"},
        {"action": "set"},
        {"action": "jump"},
    ],
)
def test_bad_clock_changes_are_400(control: TestClient, body: dict[str, object]) -> None:
    response = control.put("/_mock/clock", headers=CONTROL, json=body)
    assert response.status_code == 400
    assert response.json()["uforgeError"]["statusCode"] == 400


def test_clock_lives_in_the_store_so_processes_agree(
    control: TestClient, control_settings: Settings, clock: FrozenClock
) -> None:
    control.put(
        "/_mock/clock", headers=CONTROL, json={"action": "freeze", "at": "2019-06-05T21:40:20Z"}
    )
    other_settings = control_settings.model_copy(update={"seed": None, "demo": False})
    with TestClient(create_app(other_settings, clock=FrozenClock(T0 + timedelta(days=9)))) as other:
        assert status(other) == status(control)


# ---------------------------------------------------------------- tickets


def test_patch_makes_an_export_fail_now(control: TestClient) -> None:
    control.put(
        "/_mock/clock", headers=CONTROL, json={"action": "freeze", "at": "2019-06-05T21:40:20Z"}
    )
    before = control.get(STATUS_17, headers=GUEST)
    patch = {"outcome": "error", "duration": 0, "percentage": 60, "errorMessage": "Disk full"}
    response = control.patch("/_mock/exports/17", headers=CONTROL, json=patch)
    assert response.status_code == 200
    assert response.json()["status"]["error"] is True
    now = status(control)
    assert (now["error"], now["percentage"], now["errorMessage"]) == (True, 60, "Disk full")
    assert now["lastModified"] == "2019-06-05T21:40:20.000Z"
    assert (
        control.get(
            STATUS_17, headers={**GUEST, "If-None-Match": before.headers["etag"]}
        ).status_code
        == 200
    )


def test_patch_restart_starts_the_export_again(control: TestClient) -> None:
    control.put(
        "/_mock/clock", headers=CONTROL, json={"action": "freeze", "at": "2020-01-01T00:00:00Z"}
    )
    assert status(control)["complete"] is True
    control.patch("/_mock/exports/17", headers=CONTROL, json={"restart": True})
    assert status(control)["percentage"] == 0


@pytest.mark.parametrize(
    ("eid", "body", "status_code", "message_id", "message", "parameters"),
    [
        pytest.param(
            "999", {}, 404, "mock.error.notfound", "Export 999 not found", ["999"], id="unknown"
        ),
        pytest.param(
            "abc",
            {},
            404,
            "mock.error.notfound",
            "Export abc not found",
            ["abc"],
            id="not-a-number",
        ),
        pytest.param(
            "17",
            {"outcome": "maybe"},
            400,
            "mock.error.bad_request",
            "Invalid request: body.outcome: ",
            [],
            id="unknown-outcome",
        ),
        pytest.param(
            "17",
            {"percentage": 101},
            400,
            "mock.error.bad_request",
            "Invalid request: body.percentage: ",
            [],
            id="percentage-above-100",
        ),
        pytest.param(
            "17",
            {"colour": "red"},
            400,
            "mock.error.bad_request",
            "Invalid request: body.colour: ",
            [],
            id="unknown-field",
        ),
    ],
)
def test_bad_patch_is_404_for_an_unknown_export_and_400_when_invalid(
    control: TestClient,
    eid: str,
    body: dict[str, object],
    status_code: int,
    message_id: str,
    message: str,
    parameters: list[str],
) -> None:
    response = control.patch(f"/_mock/exports/{eid}", headers=CONTROL, json=body)
    assert response.status_code == status_code
    assert response.headers["content-type"] == "application/json"
    error = response.json()["uforgeError"]
    assert set(error) == {
        "localizedErrorMsg",
        "requestMethod",
        "requestUri",
        "statusCode",
        "timestamp",
    }
    assert (error["statusCode"], error["requestMethod"], error["requestUri"]) == (
        status_code,
        "PATCH",
        f"/_mock/exports/{eid}",
    )
    localized = error["localizedErrorMsg"]
    assert (localized["messageId"], localized["parameters"]) == (
        message_id,
        {"parameter": parameters},
    )
    assert localized["message"].startswith(message)


def test_exports_are_listed_with_their_status(control: TestClient) -> None:
    exports = control.get("/_mock/exports", headers=CONTROL).json()["exports"]
    assert [(e["dbId"], e["owner"]) for e in exports] == [(17, "guest")]


def test_exports_are_listed_a_page_at_a_time(control: TestClient) -> None:
    more = {"exports": [{"dbId": db_id, "mySoftware": 918} for db_id in (3, 40, 41)]}
    assert control.post("/_mock/seed", headers=CONTROL, json=more).status_code == 200
    first = control.get("/_mock/exports?limit=2", headers=CONTROL).json()
    assert [e["dbId"] for e in first["exports"]] == [3, 17]
    assert first["next"] == "/_mock/exports?limit=2&after=17"
    second = control.get(first["next"], headers=CONTROL).json()
    assert [e["dbId"] for e in second["exports"]] == [40, 41]
    assert second["next"] is None


@pytest.mark.parametrize("query", ["limit=1001", "limit=0", "after=-1", "after=x"])
def test_a_page_beyond_the_limits_is_400(control: TestClient, query: str) -> None:
    for listing in ("/_mock/exports", "/_mock/requests"):
        response = control.get(f"{listing}?{query}", headers=CONTROL)
        assert response.status_code == 400, (listing, response.text)


# ---------------------------------------------------------------- journal


def test_journal_records_uforge_requests_with_credentials_redacted(control: TestClient) -> None:
    control.get(STATUS_17, headers=GUEST)
    control.get(STATUS_17 + "?apiKey=PUB&signature=SIG")
    control.get("/_mock/clock", headers=CONTROL)  # control requests are not journaled
    entries = control.get("/_mock/requests", headers=CONTROL).json()["requests"]
    assert [(e["method"], e["path"], e["status"]) for e in entries] == [
        ("GET", STATUS_17, 200),
        ("GET", STATUS_17, 401),
    ]
    assert entries[0]["headers"]["authorization"] == "Basic guest:<redacted>"
    assert "guest-pw" not in str(entries)
    assert entries[1]["query"] == "apiKey=PUB&signature=<redacted>"
    assert entries[0]["durationMs"] >= 0


def test_journal_filters_and_clears(control: TestClient) -> None:
    control.get(STATUS_17, headers=GUEST)
    control.post("/api/users/guest/mysoftware/918/exports", headers=GUEST)
    posts = control.get("/_mock/requests?method=post", headers=CONTROL).json()["requests"]
    statuses = control.get("/_mock/requests?path=*/status", headers=CONTROL).json()["requests"]
    assert [e["method"] for e in posts] == ["POST"]
    assert [e["path"] for e in statuses] == [STATUS_17]
    assert control.delete("/_mock/requests", headers=CONTROL).json() == {"cleared": 2}
    assert control.get("/_mock/requests", headers=CONTROL).json()["requests"] == []


def test_journal_is_bounded(control: TestClient) -> None:
    for _ in range(8):
        control.get("/api/status")
    entries = control.get("/_mock/requests", headers=CONTROL).json()["requests"]
    assert len(entries) == 5
    assert entries[-1]["id"] == 8


def test_journal_answers_the_newest_or_the_page_after_an_id(control: TestClient) -> None:
    for _ in range(8):
        control.get("/api/status")
    newest = control.get("/_mock/requests?limit=2", headers=CONTROL).json()
    assert [e["id"] for e in newest["requests"]] == [7, 8] and newest["next"] is None
    seen, following = [], "/_mock/requests?after=0&limit=2"
    while following:
        page = control.get(following, headers=CONTROL).json()
        seen += [e["id"] for e in page["requests"]]
        following = page["next"]
    assert seen == [4, 5, 6, 7, 8]  # the journal keeps 5


def test_journal_pages_keep_their_filters(control: TestClient) -> None:
    for _ in range(3):
        control.get(STATUS_17, headers=GUEST)
        control.get("/api/status")
    page = control.get("/_mock/requests?path=*/status&after=0&limit=1", headers=CONTROL).json()
    assert page["next"] == "/_mock/requests?path=%2A%2Fstatus&limit=1&after=2"
    assert [e["path"] for e in control.get(page["next"], headers=CONTROL).json()["requests"]] == [
        STATUS_17
    ]


def test_a_seed_body_over_the_limit_is_413(tmp_path: Path, clock: FrozenClock) -> None:
    settings = Settings(
        data_dir=tmp_path, demo=False, control_enabled=True, control_token=TOKEN,
        seed_max_bytes=1024, **FAST_HASHING,
    )  # fmt: skip
    headers = {**CONTROL, "Content-Type": "application/yaml"}
    over = b"users: []" + b" " * 1024
    with TestClient(create_app(settings, clock=clock)) as client:
        declared = client.post("/_mock/seed", headers=headers, content=over)
        chunks = iter([over[:600], over[600:]])  # no Content-Length: read until too much
        streamed = client.post("/_mock/seed", headers=headers, content=chunks)
        within = client.post("/_mock/seed", headers=headers, content=b"users: []" + b" " * 1000)
    for response in (declared, streamed):
        assert response.status_code == 413, response.text
        error = response.json()["uforgeError"]["localizedErrorMsg"]
        assert error["messageId"] == "mock.error.limit.body"
        assert error["message"] == "The request body is larger than 1024 bytes"
    assert within.status_code == 200, within.text


# ---------------------------------------------------------------- faults


def test_status_fault_answers_the_next_request_only(control: TestClient) -> None:
    fault = {"method": "GET", "path": "*/status", "status": 503, "times": 1}
    created = control.post("/_mock/faults", headers=CONTROL, json=fault)
    assert created.status_code == 201
    failed = control.get(STATUS_17, headers={**GUEST, **JSON})
    assert failed.status_code == 503
    assert failed.json()["uforgeError"]["localizedErrorMsg"]["messageId"] == "mock.error.injected"
    assert failed.headers["version"] == "3.8.13"
    assert control.get(STATUS_17, headers=GUEST).status_code == 200
    assert control.get("/_mock/faults", headers=CONTROL).json()["faults"] == []


def test_fault_matches_method_and_path(control: TestClient) -> None:
    control.post(
        "/_mock/faults", headers=CONTROL, json={"method": "POST", "path": "*", "status": 500}
    )
    assert control.get(STATUS_17, headers=GUEST).status_code == 200
    assert control.post("/api/users/guest/mysoftware/918/exports", headers=GUEST).status_code == 500


def test_latency_fault_delays_the_answer(control: TestClient) -> None:
    control.post("/_mock/faults", headers=CONTROL, json={"latencyMs": 300, "times": 1})
    started = time.monotonic()
    assert control.get(STATUS_17, headers=GUEST).status_code == 200
    assert time.monotonic() - started >= 0.3


def test_probability_one_always_applies_until_removed(control: TestClient) -> None:
    fault = control.post(
        "/_mock/faults", headers=CONTROL, json={"status": 502, "probability": 1.0}
    ).json()
    assert [control.get("/api/status").status_code for _ in range(3)] == [502] * 3
    assert control.get("/_mock/faults", headers=CONTROL).json()["faults"][0]["hits"] == 3
    assert control.delete(f"/_mock/faults/{fault['id']}", headers=CONTROL).status_code == 204
    assert control.get("/api/status").status_code == 200
    assert control.delete(f"/_mock/faults/{fault['id']}", headers=CONTROL).status_code == 404


def test_drop_fault_without_a_server_connection_raises(control: TestClient) -> None:
    control.post("/_mock/faults", headers=CONTROL, json={"drop": True, "times": 1})
    with pytest.raises(DropConnection):
        control.get("/api/status")


@pytest.mark.parametrize(
    "fault",
    [
        {},
        {"status": 200},
        {"status": 500, "drop": True},
        {"latencyMaxMs": 5},
        {"status": 500, "times": 1, "probability": 0.5},
    ],
)
def test_bad_faults_are_400(control: TestClient, fault: dict[str, object]) -> None:
    assert control.post("/_mock/faults", headers=CONTROL, json=fault).status_code == 400


def test_delete_all_faults(control: TestClient) -> None:
    for _ in range(3):
        control.post("/_mock/faults", headers=CONTROL, json={"status": 500, "path": "/nothing"})
    assert control.delete("/_mock/faults", headers=CONTROL).json() == {"cleared": 3}


def control_routes() -> list[tuple[str, str]]:
    """(method, path) of every control API route, with a plausible value for each parameter."""
    return sorted(
        (method, re.sub(r"\{[^}]+\}", "17", route.path))
        for route in control_router.routes
        if isinstance(route, APIRoute)
        for method in route.methods or ()
    )


@pytest.mark.parametrize(
    "headers", [{}, CONTROL, GUEST], ids=["no-credentials", "would-be-token", "uforge-credentials"]
)
def test_control_routes_do_not_exist_when_the_control_api_is_off(
    client: TestClient, headers: dict[str, str]
) -> None:
    answers = {}
    for method, path in control_routes():
        response = client.request(method, path, headers=headers, json={})
        error = response.json()["uforgeError"]
        answers[method, path] = (
            response.status_code,
            response.headers["content-type"],
            error["statusCode"],
            error["localizedErrorMsg"]["messageId"],
            error["requestUri"],
        )
    assert answers == {
        (method, path): (404, "application/json", 404, "mock.error.notfound", path)
        for method, path in control_routes()
    }
