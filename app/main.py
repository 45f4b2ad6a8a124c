"""`create_app(settings)`: one uforge-mock server, with its own engine, clock and caches."""

import gc
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import openapi_document
from app.api.direct import DirectRoutes
from app.api.routes import control, exports, my_software, platform
from app.bootstrap import prepare_store
from app.clock import Clock, SystemClock
from app.control.faults import FaultTable
from app.control.journal import Journal
from app.control.middleware import ControlPlaneMiddleware
from app.db import Database, create_store_engine
from app.errors import (
    BadRequest,
    MethodNotAllowed,
    NotFound,
    UForgeException,
)
from app.responses import version_header
from app.runtime import Runtime
from app.security import CredentialVerifier, PasswordHasher
from app.settings import UFORGE_PREFIXES, Settings


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> FastAPI:
    """A uforge-mock ASGI app. Its store is prepared (migrations, seed) when it starts."""
    settings = settings or Settings()
    engine = create_store_engine(settings.resolved_database_url())
    hasher = PasswordHasher(
        memory_kib=settings.password_hash_memory_kib, time_cost=settings.password_hash_time_cost
    )
    runtime = Runtime(
        settings=settings,
        engine=engine,
        database=Database(engine),
        clock=clock or SystemClock(),
        hasher=hasher,
        verifier=CredentialVerifier(
            hasher,
            max_concurrent=settings.auth_max_concurrent_verifications,
            cache_size=settings.auth_cache_size,
        ),
        journal=Journal(settings.journal_size),
        faults=FaultTable(),
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if settings.migrate_on_start:
            prepare_store(runtime)
        # Everything alive now (modules, routes, the store's metadata) lives as long as the
        # server: out of the cyclic collector's sight, a full collection no longer walks it
        # (measured: ~40 ms each, which showed as the server's p99 latency). No collection
        # first: it would cost as much once per start, and whatever garbage is frozen here
        # goes back to the collector when the server stops. (Freezing is process-wide: where
        # one process runs several apps, as the tests do, that only costs speed.)
        gc.freeze()
        try:
            yield
        finally:
            gc.unfreeze()
            runtime.database.close()

    # The export routes first: clients poll their status, and routes match in order.
    uforge_routers = (exports.router, my_software.router, platform.router)
    app = UForgeMockApp(
        runtime,
        direct_routers=uforge_routers,
        title="uforge-mock",
        version=settings.platform_version,
        summary="A reference server for the UForge AppCenter REST API",
        description=(
            "The software-bundle export family of the UForge AppCenter API "
            f"{settings.platform_version}. Every route below also answers under `/ufws`."
        ),
        lifespan=lifespan,
    )
    for prefix in UFORGE_PREFIXES:
        for router in uforge_routers:
            app.include_router(router, prefix=prefix, include_in_schema=prefix == "/api")
    if settings.control_enabled:
        app.include_router(control.router, include_in_schema=False)
    _install_error_handlers(app, runtime)
    openapi_document.install(app)
    app.add_middleware(PlatformMiddleware, runtime=runtime)
    return app


class UForgeMockApp(FastAPI):
    """FastAPI behind uforge-mock's front layers: the control plane's when it is on (journal,
    faults), then the UForge routes served directly (`app.api.direct`). FastAPI answers what
    they pass on, and runs the lifespan."""

    def __init__(
        self, runtime: Runtime, *, direct_routers: Sequence[APIRouter], **options: Any
    ) -> None:
        super().__init__(**options)
        self.state.mock = runtime
        front: ASGIApp = DirectRoutes(self._framework, routers=direct_routers, runtime=runtime)
        if runtime.settings.control_enabled:
            front = ControlPlaneMiddleware(front, runtime)
        self._front = front

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope["app"] = self
            await self._front(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)

    async def _framework(self, scope: Scope, receive: Receive, send: Send) -> None:
        await super().__call__(scope, receive, send)


def app_from_environment() -> FastAPI:
    """The app with settings from `UFORGE_MOCK_*` variables (uvicorn `--factory` target)."""
    return create_app(Settings())


def _install_error_handlers(app: FastAPI, runtime: Runtime) -> None:
    """Every failure, the framework's included, leaves as a `uforgeError`."""

    async def vendor_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, UForgeException)
        return await runtime.failure(request, error)

    async def framework_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, StarletteHTTPException)
        vendor: UForgeException
        if error.status_code == 404:
            vendor = NotFound(f"No resource at {request.url.path}", request.url.path)
        elif error.status_code == 405:
            vendor = MethodNotAllowed(request.method, _allowed((error.headers or {}).get("Allow")))
        else:
            vendor = BadRequest(str(error.detail))
        return await runtime.failure(request, vendor)

    async def validation_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, RequestValidationError)
        problems = "; ".join(
            f"{'.'.join(str(part) for part in item['loc'])}: {item['msg']}"
            for item in error.errors()
        )
        return await runtime.failure(request, BadRequest(f"Invalid request: {problems}"))

    app.add_exception_handler(UForgeException, vendor_error)
    app.add_exception_handler(StarletteHTTPException, framework_error)
    app.add_exception_handler(RequestValidationError, validation_error)


def _allowed(allow: str | None) -> str | None:
    """The router names the methods of the one route it matched; HEAD lives beside GET."""
    if not allow:
        return None
    methods = {method.strip() for method in allow.split(",")}
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(sorted(methods))


class PlatformMiddleware:
    """Adds the `version` header to every response FastAPI sends and turns any unhandled
    exception into a 500 `uforgeError` (never a stack trace or an HTML page): what
    `DirectRoutes` does for the UForge routes."""

    def __init__(self, app: ASGIApp, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime
        self.version_header = version_header(runtime.settings.platform_version)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_with_version(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = [*message.get("headers", []), self.version_header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_version)
        except Exception:
            if started:
                raise  # half an answer is out: uvicorn logs it and closes the connection
            response = await self.runtime.internal_error(Request(scope))
            await response(scope, receive, send_with_version)
