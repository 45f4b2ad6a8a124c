"""The edge: the one ASGI layer around everything a uforge-mock server answers.

Whatever answers inside it (the UForge routes served directly, FastAPI's own 404 and 405, the
control plane, the documentation, middleware a user added), the edge does for every answer
what the platform does:

- a path written with `//` routes like one with `/` (clients whose base URL ends with a slash
  send `/api//users/...`; the raw path, which API-key signatures cover, is left as sent);
- every response carries the `version` header;
- a vendor error (`UForgeException`) raised anywhere becomes its `uforgeError`, in the
  negotiated format, and a bug becomes a 500 `uforgeError` (logged; never a trace);
- `DropConnection` closes the connection without a byte of answer (the control plane's faults).
"""

import asyncio

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from uforge_mock.platform.runtime import Runtime
from uforge_mock.wire.errors import UForgeException
from uforge_mock.wire.responses import version_header


class DropConnection(Exception):
    """Raise it to end a request with no answer at all: the connection is closed."""


class Edge:
    def __init__(self, app: ASGIApp, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime
        self.version_header = version_header(runtime.settings.platform_version)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "//" in scope["path"]:
            scope["path"] = collapse_slashes(scope["path"])
        started = False
        version = self.version_header

        async def send_with_version(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = [*message.get("headers", ()), version]
            await send(message)

        try:
            await self.app(scope, receive, send_with_version)
        except DropConnection:
            await drop_connection(send)
        except UForgeException as error:
            if started:
                raise
            response = await self.runtime.failure(Request(scope), error)
            await response(scope, receive, send_with_version)
        except Exception:
            if started:
                raise  # half an answer is out: uvicorn logs it and closes the connection
            response = await self.runtime.internal_error(Request(scope))
            await response(scope, receive, send_with_version)


def collapse_slashes(path: str) -> str:
    while "//" in path:
        path = path.replace("//", "/")
    return path


async def drop_connection(server_send: Send) -> None:
    """Close the connection at once, answering nothing (under uvicorn; elsewhere, as an
    in-process test client, the request fails with `DropConnection`)."""
    # uvicorn's `send` is a method of its request cycle, which holds the connection's transport.
    cycle = getattr(server_send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        raise DropConnection("fault: connection dropped")
    transport.abort()
    # Let the server notice the loss, so it does not try to answer on its own.
    for _ in range(10):
        if getattr(cycle, "disconnected", True):
            break
        await asyncio.sleep(0)
