"""The edge: what the platform does for every answer a uforge-mock server gives, whatever
answers (the UForge routes served directly, FastAPI's own 404 and 405, the control plane, the
documentation, middleware a user added):

- a path written with `//` routes like one with `/` (clients whose base URL ends with a slash
  send `/api//users/...`; the raw path, which API-key signatures cover, is left as sent);
- every response carries the `version` header;
- a vendor error (`UForgeException`) raised anywhere becomes its `uforgeError`, in the
  negotiated format, a store busy or out of reach a 503 with `Retry-After`, and a bug a 500
  `uforgeError` (logged; never a trace):
  `answer_failure`, the one place that decides, called by the two layers below;
- `DropConnection` closes the connection without a byte of answer (the control plane's faults).

`Edge` is the outermost layer; `Failures` sits right around the routes, so that the layers in
between (a user's middleware, the journal) see a failure as the answer it becomes.
"""

import asyncio
from collections.abc import Callable

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from uforge_mock.platform.runtime import Runtime
from uforge_mock.wire.errors import PayloadTooLarge, UForgeException
from uforge_mock.wire.responses import version_header

# Set in the scope once an answer has begun: a failure after that cannot be answered.
_ANSWERED = "uforge_mock.answered"


class DropConnection(Exception):
    """Raise it to end a request with no answer at all: the connection is closed."""


class Edge:
    """The outermost layer: `//`, the `version` header, and the last word on failures (a bug
    in a layer above `Failures`, such as a user's middleware, or a fault's error)."""

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
        version = self.version_header

        async def send_with_version(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), version]
                scope[_ANSWERED] = True  # what `answer_failure` asks, in every layer
            await send(message)

        try:
            await self.app(scope, receive, send_with_version)
        except DropConnection:
            await drop_connection(send)
        except Exception as error:
            await answer_failure(self.runtime, error, scope, receive, send_with_version)


class Failures:
    """The innermost layer, around the routes: a failure there becomes its answer here, so
    that every layer between it and the edge (a user's middleware, the journal) sees the
    `uforgeError` as an answer, as a client does."""

    def __init__(self, app: ASGIApp, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        except DropConnection:
            raise
        except Exception as error:
            await answer_failure(self.runtime, error, scope, receive, send)


async def answer_failure(
    runtime: Runtime, error: Exception, scope: Scope, receive: Receive, send: Send
) -> None:
    """Answer a request that failed with `error`: a vendor error as its `uforgeError`, a store
    busy or out of reach as a 503 (`Runtime.store_failure`), any other exception (a bug) as a
    logged 500 `uforgeError`, never a trace. When half an answer is out already, nothing can
    be answered: the error goes on to the server, which logs it and closes the connection."""
    if scope.get(_ANSWERED):
        raise error
    request = Request(scope)
    if isinstance(error, UForgeException):
        response = await runtime.failure(request, error)
    else:
        response = await runtime.store_failure(request, error)
    await response(scope, receive, send)


class BodyLimit:
    """Request bodies are held to the limit of the route they are sent to (`limit_for`, by
    path): one that declares more (`Content-Length`) is refused before it is read, one that
    sends more is refused when it crosses the limit, with a 413 uforgeError (raised, and
    answered by `Failures`). GET and HEAD carry no body: they pass untouched."""

    def __init__(self, app: ASGIApp, limit_for: Callable[[str], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in _BODILESS:
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        for name, value in scope["headers"]:
            # (A number of more digits than any limit has is over it, and never parsed.)
            if (
                name == b"content-length"
                and value.isdigit()
                and (len(value) > 18 or int(value) > limit)
            ):
                raise PayloadTooLarge.over(limit)
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise PayloadTooLarge.over(limit)
            return message

        await self.app(scope, limited_receive, send)


_BODILESS = frozenset({"GET", "HEAD"})


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
