"""The edge wraps everything the server answers, and middleware a user adds with
`app.add_middleware` wraps the UForge routes too (they are served in front of FastAPI's own
routing, so this is not a given)."""

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tests.conftest import BASE_SEED, GUEST, STATUS_17, T0, seed
from tests.xmlcheck import assert_valid_uforge_xml
from uforge_mock.factory import create_app
from uforge_mock.jobs.clock import FrozenClock
from uforge_mock.settings import Settings

TOKEN = "edge-test-token"


class Stamp:
    """A user's middleware: it notes every path it sees and stamps every answer."""

    def __init__(self, app: ASGIApp, seen: list[str]) -> None:
        self.app = app
        self.seen = seen

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.seen.append(scope["path"])

        async def stamped(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), (b"x-stamped", b"yes")]
            await send(message)

        await self.app(scope, receive, stamped)


class Broken:
    """A user's middleware with a bug."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            raise RuntimeError("a bug in the user's middleware")
        await self.app(scope, receive, send)


@pytest.fixture
def control_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"control_enabled": True, "control_token": TOKEN})


@pytest.fixture
def stamped(control_settings: Settings) -> Iterator[tuple[TestClient, list[str]]]:
    app = create_app(control_settings, clock=FrozenClock(T0))
    seen: list[str] = []
    app.add_middleware(Stamp, seen=seen)
    with TestClient(app) as client:
        seed(app, BASE_SEED)
        yield client, seen


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        (STATUS_17, GUEST, 200),  # a UForge route, served directly
        ("/api/users/guest/mysoftware/918/exports/999/status", GUEST, 404),  # its vendor 404
        ("/api/no/such/thing", {}, 404),  # FastAPI's own 404
        ("/_mock/clock", {"Authorization": f"Bearer {TOKEN}"}, 200),  # the control plane
        ("/openapi.json", {}, 200),  # the documentation
    ],
)
def test_a_users_middleware_sees_every_request_and_answer(
    stamped: tuple[TestClient, list[str]], path: str, headers: dict[str, str], status: int
) -> None:
    client, seen = stamped
    response = client.get(path, headers=headers)
    assert response.status_code == status
    assert response.headers["x-stamped"] == "yes"
    assert response.headers["version"] == "3.8.13"
    assert seen[-1] == path


def test_a_users_middleware_sees_the_path_with_slashes_collapsed(
    stamped: tuple[TestClient, list[str]],
) -> None:
    client, seen = stamped
    response = client.get(STATUS_17.replace("/users", "//users"), headers=GUEST)
    assert response.status_code == 200
    assert seen[-1] == STATUS_17


def test_middleware_added_after_the_server_started_is_refused(app: FastAPI) -> None:
    with TestClient(app) as client:
        client.get("/api/status")
        with pytest.raises(RuntimeError, match="after an application has started"):
            app.add_middleware(Stamp, seen=[])


def test_a_bug_in_a_users_middleware_is_a_500_uforge_error(app: FastAPI) -> None:
    app.add_middleware(Broken)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get(STATUS_17, headers=GUEST)
    assert response.status_code == 500
    assert response.headers["version"] == "3.8.13"
    assert "Traceback" not in response.text
    assert_valid_uforge_xml(response.content, root="uforgeError")


def test_a_vendor_error_raised_by_a_control_route_is_answered_by_the_edge(
    control_settings: Settings,
) -> None:
    with TestClient(create_app(control_settings, clock=FrozenClock(T0))) as client:
        response = client.get("/_mock/clock", headers={"Authorization": "Bearer wrong"})
    assert response.status_code == 401
    assert response.headers["version"] == "3.8.13"
    assert response.json()["uforgeError"]["statusCode"] == 401
