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
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from re import Pattern

from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import compile_path
from starlette.types import ASGIApp, Receive, Scope, Send

from uforge_mock.settings import UFORGE_PREFIXES
from uforge_mock.wire.errors import MethodNotAllowed


class DirectRoutes:
    """ASGI layer in front of FastAPI: a UForge path with one of its route's methods goes
    straight to the handler; anything else goes on to `app`. What the platform does for every
    answer (`//`, the `version` header, errors as `uforgeError`s) is the edge's, around it."""

    def __init__(self, app: ASGIApp, *, routers: Sequence[APIRouter]) -> None:
        self.app = app
        # Per prefix (a path can match the routes of one prefix only), in the order FastAPI
        # would try them (the routers as included), except that a route is tried before any
        # route of a less literal template that matches some of the same paths, as the
        # platform's JAX-RS resources match: `/users/{uid}/imports/statuses` is that resource,
        # never `/users/{uid}/imports/{iid}`.
        self.by_prefix = {
            prefix.strip("/"): _most_literal_first(
                [
                    _direct_route(prefix, route)
                    for router in routers
                    for route in router.routes
                    if isinstance(route, APIRoute)
                ]
            )
            for prefix in UFORGE_PREFIXES
        }

    def _routes(self, path: str) -> tuple["DirectRoute", ...]:
        """The routes of the prefix `path` starts with (`/api/...`: "api")."""
        return self.by_prefix.get(path[1 : path.find("/", 1)], ())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path, method = scope["path"], scope["method"]
            # (`_routes`, inline: this runs for every request.)
            for route in self.by_prefix.get(path[1 : path.find("/", 1)], ()):
                match = route.pattern.match(path)
                if match is None:
                    continue
                if method not in route.methods:
                    # Another route of the same resource (another method), else a 405: never
                    # a route of a less literal template that the path matches too.
                    route = self._route_of_resource(path, method)
                    match = route.pattern.match(path)
                    assert match is not None
                scope["path_params"] = match.groupdict()
                response = await route.handler(Request(scope, receive))
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _resource(self, path: str) -> list["DirectRoute"]:
        """The routes of the resource at `path`: those of the template of the first route
        that matches it, the most literal one (a template has a route per method, or two)."""
        routes = self._routes(path)
        first = next((route for route in routes if route.pattern.match(path)), None)
        if first is None:
            return []
        return [route for route in routes if route.pattern.pattern == first.pattern.pattern]

    def _route_of_resource(self, path: str, method: str) -> "DirectRoute":
        resource = self._resource(path)
        for route in resource:
            if method in route.methods:
                return route
        raise MethodNotAllowed(method, _allow(resource))

    def allowed_methods(self, path: str) -> set[str]:
        """Every method of the UForge resource at `path` (a 405's `Allow`)."""
        return {method for route in self._resource(path) for method in route.methods}


def _allow(resource: list["DirectRoute"]) -> str:
    return ", ".join(sorted({method for route in resource for method in route.methods}))


Handler = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True, slots=True)
class DirectRoute:
    pattern: Pattern[str]
    methods: frozenset[str]
    handler: Handler
    # The template's characters outside its parameters: the more, the more specific.
    literal_characters: int
    # The template's segments, a parameter's as None.
    segments: tuple[str | None, ...]


def _direct_route(prefix: str, route: APIRoute) -> DirectRoute:
    """The route's pattern under `prefix`, its methods and its handler. The handler must take
    the request alone, since nothing is injected here: a handler wanting more fails at start,
    not on a request."""
    parameters = list(inspect.signature(route.endpoint).parameters.values())
    if [parameter.annotation for parameter in parameters] != [Request]:
        raise TypeError(f"{route.path}: a UForge handler takes only the Request")
    pattern, _, convertors = compile_path(prefix + route.path)
    if any(convertor.regex != "[^/]+" for convertor in convertors.values()):
        raise TypeError(f"{route.path}: UForge path parameters are plain strings")
    template = prefix + route.path
    literal = re.sub(r"{[^}]*}", "", template)
    segments = tuple(None if "{" in part else part for part in template.split("/"))
    return DirectRoute(
        pattern, frozenset(route.methods or ()), route.endpoint, len(literal), segments
    )


def _may_share_paths(one: DirectRoute, other: DirectRoute) -> bool:
    """Whether some path matches both templates: as many segments, no two literals apart."""
    return len(one.segments) == len(other.segments) and all(
        a is None or b is None or a == b for a, b in zip(one.segments, other.segments, strict=True)
    )


def _most_literal_first(routes: list[DirectRoute]) -> tuple[DirectRoute, ...]:
    """`routes` in their order, but each before every route of a less literal template that
    may match the same paths: at each step, the first route left that no route left must
    precede (a few dozen routes, once at start)."""
    left = list(routes)
    ordered: list[DirectRoute] = []
    while left:
        ready = next(
            route
            for route in left
            if not any(
                other.literal_characters > route.literal_characters
                and _may_share_paths(other, route)
                for other in left
            )
        )
        left.remove(ready)
        ordered.append(ready)
    return tuple(ordered)
