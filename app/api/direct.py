"""The UForge routes, served without FastAPI's per-request machinery.

Every UForge handler is `async def handler(request) -> Response` and makes its own checks in
the contract's order (`uforge_mock.api.deps`), then hands its document to
`uforge_mock.wire.responses`: FastAPI has nothing to inject, validate or serialise for them.
Yet its machinery (exception middleware, routing through every router, dependency solving, the
endpoint wrapper) cost more CPU per request than the whole status check (bench/RESULTS.md).
This layer matches the request against the same `APIRoute`s and calls their handlers directly;
FastAPI still owns the routes: it documents them (OpenAPI) and answers everything this layer
passes on (unknown paths and methods, the control plane, /docs).
"""

import inspect
from collections.abc import Awaitable, Callable, Sequence
from re import Pattern

from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import compile_path
from starlette.types import ASGIApp, Receive, Scope, Send

from uforge_mock.settings import UFORGE_PREFIXES


class DirectRoutes:
    """ASGI layer in front of FastAPI: a UForge path with one of its route's methods goes
    straight to the handler; anything else goes on to `app`. What the platform does for every
    answer (`//`, the `version` header, errors as `uforgeError`s) is the edge's, around it."""

    def __init__(self, app: ASGIApp, *, routers: Sequence[APIRouter]) -> None:
        self.app = app
        # In the order FastAPI would try them: per prefix, the routers as included.
        self.routes = tuple(
            _direct_route(prefix, route)
            for prefix in UFORGE_PREFIXES
            for router in routers
            for route in router.routes
            if isinstance(route, APIRoute)
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path, method = scope["path"], scope["method"]
            for pattern, methods, handler in self.routes:
                match = pattern.match(path)
                if match is not None and method in methods:
                    scope["path_params"] = match.groupdict()
                    response = await handler(Request(scope, receive))
                    await response(scope, receive, send)
                    return
        await self.app(scope, receive, send)

    def allowed_methods(self, path: str) -> set[str]:
        """Every method of the UForge routes at `path` (a 405's `Allow`)."""
        return {
            method
            for pattern, methods, _ in self.routes
            if pattern.match(path) is not None
            for method in methods
        }


Handler = Callable[[Request], Awaitable[Response]]


def _direct_route(prefix: str, route: APIRoute) -> tuple[Pattern[str], frozenset[str], Handler]:
    """The route's pattern under `prefix`, its methods and its handler. The handler must take
    the request alone, since nothing is injected here: a handler wanting more fails at start,
    not on a request."""
    parameters = list(inspect.signature(route.endpoint).parameters.values())
    if [parameter.annotation for parameter in parameters] != [Request]:
        raise TypeError(f"{route.path}: a UForge handler takes only the Request")
    pattern, _, convertors = compile_path(prefix + route.path)
    if any(convertor.regex != "[^/]+" for convertor in convertors.values()):
        raise TypeError(f"{route.path}: UForge path parameters are plain strings")
    return pattern, frozenset(route.methods or ()), route.endpoint
