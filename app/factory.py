"""`create_app(settings)`: one uforge-mock server, with its own store, clock and caches.

The layers a request crosses, outside in (ARCHITECTURE.md draws them):

    Edge                      `//`, the `version` header, the last word on failures
    ControlPlaneMiddleware    journal and faults (only with the control API on)
    middleware a user added   `app.add_middleware(...)`: it sees every request, UForge routes too
    Failures                  a failure inside becomes its `uforgeError` (a bug: a 500)
    BodyLimit                 a request body past its route's limit: 413
    DirectRoutes              the UForge routes, served without FastAPI's per-request machinery
    FastAPI                   everything else: 404/405, the control API, the dashboard (`/`,
                              `/_dashboard`), /docs, /openapi.json
"""

import gc
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.asyncexitstack import AsyncExitStackMiddleware
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from uforge_mock.api import openapi
from uforge_mock.api.direct import DirectRoutes
from uforge_mock.api.routes import (
    appliance_exports,
    appliance_imports,
    appliances,
    bundle_imports,
    exports,
    my_software,
    platform,
    users,
)
from uforge_mock.control import routes as control_routes
from uforge_mock.control.middleware import ControlPlaneMiddleware
from uforge_mock.control.plane import ControlPlane
from uforge_mock.dashboard.routes import PREFIX as DASHBOARD_PREFIX
from uforge_mock.dashboard.routes import Dashboard
from uforge_mock.jobs.clock import Clock
from uforge_mock.platform.edge import BodyLimit, Edge, Failures
from uforge_mock.platform.runtime import RUNTIME_SCOPE_KEY, Runtime, build_runtime
from uforge_mock.settings import UFORGE_PREFIXES, Settings
from uforge_mock.wire.errors import BadRequest, MethodNotAllowed, NotFound, UForgeException
from uforge_mock.wire.responses import CONTROL_PREFIX

CONTROL_SEED = CONTROL_PREFIX + "/seed"
DASHBOARD_SEED = DASHBOARD_PREFIX + "/control/seed"


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> FastAPI:
    """A uforge-mock ASGI app. Its store is prepared (migrations, seed) when it starts, unless
    `settings.migrate_on_start` is off."""
    settings = settings or Settings()
    runtime = build_runtime(settings, clock=clock)
    plane = ControlPlane.of(runtime) if settings.control_enabled else None

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if settings.migrate_on_start:
            runtime.prepare()
        # Everything alive now (modules, routes, the store's metadata) lives as long as the
        # server: out of the cyclic collector's sight, a full collection no longer walks it
        # (measured: ~40 ms each, which showed as the server's p99 latency). No collection
        # first: it would cost as much once per start, and whatever garbage is frozen here
        # goes back to the collector when the server stops. (Freezing is process-wide: where
        # one process runs several apps, as the tests do, that only costs speed.)
        gc.freeze()
        if plane is not None:
            plane.start()
        try:
            yield
        finally:
            gc.unfreeze()
            if plane is not None:
                await plane.stop()
            runtime.close()

    # The export routes first: clients poll their status, and routes match in order.
    uforge_routers = (
        exports.router,
        appliance_exports.router,
        my_software.router,
        appliances.router,
        bundle_imports.router,
        appliance_imports.router,
        users.router,
        platform.router,
    )
    app = UForgeMockApp(
        runtime,
        plane,
        direct_routers=uforge_routers,
        title="uforge-mock",
        version=settings.platform_version,
        summary="A reference server for the UForge AppCenter REST API",
        description=(
            "The software-bundle and appliance-template families of the UForge AppCenter API "
            f"{settings.platform_version}. Every route below also answers under `/ufws`."
        ),
        lifespan=lifespan,
        # /docs and /redoc are served with local assets (uforge_mock.api.doc_pages), not a CDN's.
        docs_url=None,
        redoc_url=None,
    )
    for prefix in UFORGE_PREFIXES:
        for router in uforge_routers:
            app.include_router(router, prefix=prefix, include_in_schema=prefix == "/api")
    if plane is not None:
        app.include_router(control_routes.router, include_in_schema=False)
    if settings.dashboard:
        app.include_router(Dashboard(settings).router())
    _install_error_translation(app)
    openapi.install(app)
    return app


def app_from_environment() -> FastAPI:
    """The app with settings from `UFORGE_MOCK_*` variables (uvicorn `--factory` target)."""
    return create_app(Settings())


class UForgeMockApp(FastAPI):
    """FastAPI inside uforge-mock's own layers (the module's docstring lists them).

    `app.add_middleware(...)` works as in FastAPI, and what it adds wraps the UForge routes
    too: the stack is built here, with the user's middleware between the control plane and
    the direct routes. FastAPI's own error middleware is left out: `Failures` and the edge
    answer errors (`uforge_mock.platform.edge`).
    """

    def __init__(
        self,
        runtime: Runtime,
        plane: ControlPlane | None,
        *,
        direct_routers: Sequence[APIRouter],
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.state.mock = self._runtime = runtime
        self.state.control = plane
        self._direct_routers = tuple(direct_routers)
        self.direct_routes: DirectRoutes | None = None

    def build_middleware_stack(self) -> ASGIApp:
        handlers = {
            key: handler
            for key, handler in self.exception_handlers.items()
            if key not in (500, Exception)
        }
        # FastAPI's core: its routing with the exception handlers it raises through.
        stack: ASGIApp = ExceptionMiddleware(
            AsyncExitStackMiddleware(self.router), handlers=handlers, debug=self.debug
        )
        stack = self.direct_routes = DirectRoutes(stack, routers=self._direct_routers)
        stack = Failures(BodyLimit(stack, self._body_limit), self.state.mock)
        for middleware in reversed(self.user_middleware):
            stack = middleware.cls(stack, *middleware.args, **middleware.kwargs)
        plane: ControlPlane | None = self.state.control
        if plane is not None:
            stack = ControlPlaneMiddleware(stack, plane)
        return Edge(stack, self.state.mock)

    def _body_limit(self, path: str) -> int:
        """The largest request body the route at `path` takes (README, "Limits")."""
        settings: Settings = self.state.mock.settings
        if path.startswith((CONTROL_SEED, DASHBOARD_SEED)):
            return settings.seed_max_bytes
        if path.startswith((CONTROL_PREFIX, DASHBOARD_PREFIX)):
            return settings.control_max_body_bytes
        if path.endswith("/uploads") and ("/bundleimports/" in path or "/imports/" in path):
            return settings.max_upload_bytes
        return settings.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)  # the lifespan
            return
        # FastAPI's own __call__ checks for OpenTelemetry on every request; not on this path.
        if self.middleware_stack is None:
            self.middleware_stack = self.build_middleware_stack()
        scope["app"] = self
        scope[RUNTIME_SCOPE_KEY] = self._runtime
        await self.middleware_stack(scope, receive, send)


def _install_error_translation(app: FastAPI) -> None:
    """FastAPI's own failures become vendor errors, which the edge answers as `uforgeError`s
    (as it answers the vendor errors the routes raise, which no handler here catches)."""

    async def framework_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, StarletteHTTPException)
        if isinstance(error.__cause__, UForgeException):
            # FastAPI turns any failure while it reads a body into a 400: a vendor error
            # raised there (a body past its limit, `BodyLimit`) stays itself.
            raise error.__cause__
        if error.status_code == 404:
            raise NotFound(f"No resource at {request.url.path}", request.url.path)
        if error.status_code == 405:
            raise MethodNotAllowed(request.method, _allowed(request, error))
        raise BadRequest(str(error.detail))

    async def validation_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, RequestValidationError)
        problems = "; ".join(
            f"{'.'.join(str(part) for part in item['loc'])}: {item['msg']}"
            for item in error.errors()
        )
        raise BadRequest(f"Invalid request: {problems}")

    app.add_exception_handler(StarletteHTTPException, framework_error)
    app.add_exception_handler(RequestValidationError, validation_error)


def _allowed(request: Request, error: StarletteHTTPException) -> str | None:
    """Every method the path takes: the router names only those of the first route that
    matched it, where a UForge path's methods are often spread over several routes (GET and
    POST of a collection), so those come from the direct routes. HEAD lives beside GET."""
    direct: DirectRoutes | None = getattr(request.app, "direct_routes", None)
    methods = direct.allowed_methods(request.scope["path"]) if direct is not None else set()
    if not methods:  # the control API's routes, one route per path
        allow = (error.headers or {}).get("Allow") or ""
        methods = {method.strip() for method in allow.split(",") if method.strip()}
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(sorted(methods)) or None
