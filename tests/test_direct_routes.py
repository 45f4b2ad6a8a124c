"""The UForge routes are served in front of FastAPI (`uforge_mock.api.direct`); what FastAPI answers
(unknown paths, wrong methods, the docs) must look the same to a client."""

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import Response

from tests.conftest import GUEST, STATUS_17, basic
from tests.xmlcheck import assert_valid_uforge_xml
from uforge_mock.api.direct import DirectRoutes


@pytest.mark.parametrize(
    ("method", "path", "headers", "status"),
    [
        ("GET", STATUS_17, GUEST, 200),
        ("HEAD", STATUS_17, GUEST, 200),
        ("GET", "/ufws/users/guest/mysoftware/918/exports/17/status", GUEST, 200),
        ("GET", "/api//users/guest/mysoftware/918/exports/17/status", GUEST, 200),
        ("GET", STATUS_17, basic("guest", "wrong"), 401),
        ("GET", "/api/users/guest/mysoftware/918/exports/999/status", GUEST, 404),
        ("DELETE", STATUS_17, GUEST, 405),  # not a method of the resource
        ("GET", "/api/no/such/thing", GUEST, 404),  # no route: FastAPI answers
        ("GET", "/api/status", {}, 200),
        ("GET", "/openapi.json", {}, 200),
    ],
)
def test_every_answer_carries_the_platform_version(
    client: TestClient, method: str, path: str, headers: dict[str, str], status: int
) -> None:
    response = client.request(method, path, headers=headers)
    assert response.status_code == status
    assert response.headers["version"] == "3.8.13"


def test_a_bug_on_a_uforge_route_is_a_500_uforge_error_with_the_version(
    client: TestClient, app: FastAPI
) -> None:
    with app.state.mock.engine.begin() as connection:
        connection.execute(text("DROP TABLE mock_clock"))
    response = client.get(STATUS_17, headers=GUEST)
    assert response.status_code == 500
    assert response.headers["version"] == "3.8.13"
    document = assert_valid_uforge_xml(response.content, "uforgeError")
    assert "mock_clock" not in response.text and "Traceback" not in response.text
    assert document.findtext("statusCode") == "500"


def _router_with(handler: object, path: str = "/users/{uid}") -> APIRouter:
    router = APIRouter()
    router.add_api_route(path, handler, methods=["GET"])  # type: ignore[arg-type]
    return router


async def _wants_an_id(request: Request, uid: str) -> Response:
    return Response()


async def _takes_the_request(request: Request) -> Response:
    return Response()


def test_a_handler_wanting_more_than_the_request_is_refused_at_start(app: FastAPI) -> None:
    with pytest.raises(TypeError, match="takes only the Request"):
        DirectRoutes(app, routers=[_router_with(_wants_an_id)])


def test_a_typed_path_parameter_is_refused_at_start(app: FastAPI) -> None:
    router = _router_with(_takes_the_request, "/users/{uid:int}")
    with pytest.raises(TypeError, match="plain strings"):
        DirectRoutes(app, routers=[router])


@pytest.mark.parametrize(
    ("method", "allow"),
    [("DELETE", "GET, HEAD"), ("POST", "GET, HEAD"), ("OPTIONS", "GET, HEAD")],
)
def test_a_literal_resource_is_never_served_by_a_template_that_matches_its_path(
    client: TestClient, method: str, allow: str
) -> None:
    # `/users/{uid}/imports/statuses` is a resource of its own, as on the platform (JAX-RS
    # takes the most literal template): `/users/{uid}/imports/{iid}` does not take its DELETE.
    response = client.request(method, "/api/users/guest/imports/statuses", headers=GUEST)
    assert response.status_code == 405
    assert response.headers["allow"] == allow
    document = assert_valid_uforge_xml(response.content, "uforgeError")
    assert document.findtext("localizedErrorMsg/messageId") == "mock.error.method_not_allowed"


def test_a_method_of_the_resource_is_served_whichever_of_its_routes_holds_it(
    client: TestClient,
) -> None:
    # GET and POST of `/users/{uid}/imports` are two routes of one resource.
    assert client.get("/api/users/guest/imports", headers=GUEST).status_code == 200
    assert client.post("/api/users/guest/imports", headers=GUEST).status_code == 201
    assert client.delete("/api/users/guest/imports", headers=GUEST).status_code == 405


def _answering(text: str) -> object:
    async def handler(request: Request) -> Response:
        return Response(text)

    return handler


def test_a_literal_template_wins_over_a_template_declared_before_it(app: FastAPI) -> None:
    router = APIRouter()
    templates = [("/users/{uid}/items/{iid}", "one item"), ("/users/{uid}/items/all", "all")]
    for path, answer in templates:
        router.add_api_route(path, _answering(answer), methods=["GET"])  # type: ignore[arg-type]
    client = TestClient(DirectRoutes(app, routers=[router]))
    assert client.get("/api/users/guest/items/all").text == "all"
    assert client.get("/api/users/guest/items/7").text == "one item"


def test_a_resources_methods_are_found_whatever_routes_lie_between_them(app: FastAPI) -> None:
    router = APIRouter()
    router.add_api_route("/users/{uid}/items", _answering("made"), methods=["POST"])  # type: ignore[arg-type]
    router.add_api_route("/users/{uid}", _answering("user"), methods=["GET"])  # type: ignore[arg-type]
    router.add_api_route("/users/{uid}/items", _answering("listed"), methods=["GET"])  # type: ignore[arg-type]
    client = TestClient(DirectRoutes(app, routers=[router]))
    assert client.get("/api/users/guest/items").text == "listed"
    assert client.post("/api/users/guest/items").text == "made"
    assert client.get("/api/users/guest").text == "user"
