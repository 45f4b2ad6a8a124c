"""The outermost layer of a server with the control API on: it journals every request of the
UForge routes and applies the injected faults before the app sees the request.

It sits outside Starlette's own error middleware so that it holds the server's `send`: that is
what lets a fault drop the connection without a byte of answer (under uvicorn).
"""

import asyncio
import time
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.control.faults import Fault
from app.errors import InjectedFault
from app.responses import error_response
from app.runtime import Runtime
from app.settings import UFORGE_PREFIXES


class ConnectionDropped(Exception):
    """Raised where a fault asks to drop a connection the server does not let us close."""


class ControlPlaneMiddleware:
    def __init__(self, app: ASGIApp, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _is_uforge(scope["path"]):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status: int | None = None

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            fault = self.runtime.faults.take(scope["method"], scope["path"])
            if fault is None:
                await self.app(scope, receive, recording_send)
            else:
                await self._apply(fault, scope, receive, recording_send, send)
        finally:
            self.runtime.journal.record(
                time=datetime.now(UTC),
                method=scope["method"],
                path=scope["path"],
                query=scope.get("query_string", b"").decode("latin-1"),
                headers=list(scope.get("headers", [])),
                status=status,
                duration_ms=(time.perf_counter() - started) * 1000,
            )

    async def _apply(
        self, fault: Fault, scope: Scope, receive: Receive, send: Send, server_send: Send
    ) -> None:
        delay = fault.latency_seconds(self.runtime.faults.chance)
        if delay:
            await asyncio.sleep(delay)
        if fault.spec.drop:
            await _drop(server_send)
        elif fault.spec.status is not None:
            request = Request(scope)
            response = error_response(
                request, InjectedFault(fault.spec.status), now=await self.runtime.error_time()
            )
            response.headers["version"] = self.runtime.settings.platform_version
            await response(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def _is_uforge(path: str) -> bool:
    return any(path.startswith(prefix + "/") for prefix in UFORGE_PREFIXES)


async def _drop(server_send: Send) -> None:
    """Close the connection at once, answering nothing."""
    # uvicorn's `send` is a method of its request cycle, which holds the connection's transport.
    cycle = getattr(server_send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        raise ConnectionDropped("fault: connection dropped")
    transport.abort()
    # Let the server notice the loss, so it does not try to answer on its own.
    for _ in range(10):
        if getattr(cycle, "disconnected", True):
            break
        await asyncio.sleep(0)
