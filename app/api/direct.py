"""The UForge routes, served without FastAPI's per-request machinery.

Every UForge handler is `async def handler(request) -> Response` and makes its own checks in
the contract's order (`app.api.deps`), then hands its document to `app.responses`: FastAPI has
nothing to inject, validate or serialise for them. Yet its machinery (exception middleware,
routing through every router, dependency solving, the endpoint wrapper) cost more CPU per
request than the whole status check (bench/RESULTS.md). This layer matches the request against
the same `APIRoute`s and calls their handlers directly; FastAPI still owns the routes: it
documents them (OpenAPI) and answers everything this layer passes on (unknown paths and methods,
the control plane, /docs).
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

from app.errors import UForgeException
from app.responses import version_header
from app.runtime import Runtime
from app.settings import UFORGE_PREFIXES


class DirectRoutes:
    """ASGI layer in front of FastAPI: a UForge path with one of its route's methods goes
    straight to the handler; anything else goes on to `app`.

    It owns what the platform does for every UForge answer: a path written with `//` routes
    like one with `/`, failures become `uforgeError`s (a 500 for a bug, never a trace), and
    every response carries the `version` header. (`PlatformMiddleware` does the same inside
    FastAPI for what this passes on.)
    """

    def __init__(self, app: ASGIApp, *, routers: Sequence[APIRouter], runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime
        self.version_header = version_header(runtime.settings.platform_version)
        # In the order FastAPI would try them: per prefix, the routers as included.
        self.routes = tuple(
            _direct_route(prefix, route)
            for prefix in UFORGE_PREFIXES
            for router in routers
            for route in router.routes
            if isinstance(route, APIRoute)
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "//" in scope["path"]:
            # A client base URL written with a trailing slash sends `/api//users/...`; the
            # platform routes it like `/api/users/...` (the signature still sees the raw path).
            scope = {**scope, "path": collapse_slashes(scope["path"])}
        path, method = scope["path"], scope["method"]
        for pattern, methods, handler in self.routes:
            match = pattern.match(path)
            if match is not None and method in methods:
                scope["path_params"] = match.groupdict()
                await self._serve(handler, Request(scope, receive), send)
                return
        await self.app(scope, receive, send)

    async def _serve(self, handler: "Handler", request: Request, send: Send) -> None:
        try:
            response = await handler(request)
        except UForgeException as error:
            response = await self.runtime.failure(request, error)
        except Exception:
            response = await self.runtime.internal_error(request)
        response.raw_headers.append(self.version_header)
        await response(request.scope, request.receive, send)


def collapse_slashes(path: str) -> str:
    while "//" in path:
        path = path.replace("//", "/")
    return path


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
