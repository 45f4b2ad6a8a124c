"""The HTTP/1.1 connection of a uforge-mock server: uvicorn's httptools protocol with the limits a
server facing hostile clients needs, each answered as the vendor would, with a `uforgeError`.

- **Request head size** (`max_header_bytes`): the request line and header fields are counted as
  they arrive, before the parser sees them; the parser is never fed past the limit. A request
  past it is answered 431 (`RequestHeadersTooLarge`) and its connection closed: a 64 MB header
  costs 16 KiB of parsing, not a 5 s stall of every request.
- **Header timeout** (`header_timeout_seconds`): a connection has that long to send complete
  request headers, from its opening (its first request) or from the first byte of each next
  one; then it is closed. A connection that never sends a byte is closed as well.
- **Connection cap** (`max_connections`, per server process): a connection beyond it is
  answered 503 (`TooManyConnections`, `Retry-After`) once its request headers are in, then
  closed; past twice the cap a new connection is closed at once, so that the process keeps
  file descriptors for the connections it serves. The cap is lowered to what the process's
  descriptor limit allows.
- **Idle keep-alive** (`keep_alive_seconds`): uvicorn's own `timeout_keep_alive`.

These answers are made here, not by the app: they are stamped with the system clock (the
mock's clock lives in the store, which the protocol does not read) and carry the `version`
header like every answer. uvicorn's own `limit_concurrency` is not used: it answers a plain
text 503 and counts connections only when a request arrives, so idle ones still hold their
descriptors.

`server_options(settings)` gives the `uvicorn.run` / `uvicorn.Config` arguments that set all of
this up.
"""

import asyncio
import logging
import sys
import time
from asyncio import TimerHandle
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any, cast
from urllib.parse import unquote

from uvicorn._types import ASGIReceiveCallable, ASGISendCallable, Scope
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import (
    STATUS_LINE,
    HttpToolsProtocol,
    RequestResponseCycle,
)
from uvicorn.server import ServerState

from uforge_mock.platform.access_log import AccessLog
from uforge_mock.settings import Settings
from uforge_mock.wire.errors import (
    RequestHeadersTooLarge,
    TooManyConnections,
    UForgeException,
)
from uforge_mock.wire.responses import error_body, error_media_type, version_header

log = logging.getLogger("uforge_mock")
# What runs on every request, looked up once: uvicorn's own methods (called directly, not
# through `super()`) and the clock.
_feed = HttpToolsProtocol.data_received
_headers_complete = HttpToolsProtocol.on_headers_complete
_message_complete = HttpToolsProtocol.on_message_complete
_now = time.monotonic

# Descriptors the process keeps for itself (store, logs, the event loop) when the cap is fitted
# to its limit; the cap's refused connections may take as many again as the cap.
_RESERVED_DESCRIPTORS = 128
# After a 431, what the client still sends is read and dropped for this long before the
# connection closes: closing with unread data would reset it, and the client might lose the
# answer.
_LINGER_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class ProtocolLimits:
    """The limits one server's connections are held to (see the module's docstring)."""

    max_header_bytes: int
    header_timeout: float
    max_connections: int
    platform_version: str

    @classmethod
    def from_settings(cls, settings: Settings) -> "ProtocolLimits":
        return cls(
            max_header_bytes=settings.max_header_bytes,
            header_timeout=settings.header_timeout_seconds,
            max_connections=fitted_connection_cap(settings.max_connections),
            platform_version=settings.platform_version,
        )


def server_options(settings: Settings) -> dict[str, Any]:
    """The uvicorn arguments (`uvicorn.run`, `uvicorn.Config`) of a server with these
    settings: its HTTP protocol and its keep-alive timeout. Picklable, for `--workers`."""
    protocol = partial(UForgeHttpProtocol, limits=ProtocolLimits.from_settings(settings))
    return {
        "http": cast(type[asyncio.Protocol], protocol),
        "timeout_keep_alive": settings.keep_alive_seconds,
    }


def fitted_connection_cap(wanted: int) -> int:
    """`wanted`, or less when the process's file-descriptor limit could not hold twice as many
    connections (the served ones and the refused ones) and the process's own."""
    if sys.platform == "win32":  # pragma: no cover
        return wanted
    import resource

    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return wanted
    fitting = max(1, (soft - _RESERVED_DESCRIPTORS) // 2)
    if fitting >= wanted:
        return wanted
    log.warning(
        "max_connections lowered from %d to %d: the file-descriptor limit is %d (ulimit -n)",
        wanted,
        fitting,
        soft,
    )
    return fitting


class UForgeHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, held to `limits` (one instance per connection)."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
        *,
        limits: ProtocolLimits,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.limits = limits
        # The request cycles log through this: uvicorn's line, at a fraction of the cost.
        self.access_logger = cast(logging.Logger, AccessLog(self.access_logger))
        # True from the end of a request (or the opening) until its next headers are complete.
        self._reading_head = True
        # Bytes the head being read may still take; -1 once refused (all is dropped then).
        self._head_room = limits.max_header_bytes
        # Whether every byte of the head being read was counted. Not when it began in the read
        # that ended the request before it (pipelining): its size is then checked once the
        # parser has it whole (it holds at most one read more than the limit).
        self._head_counted = True
        self._last_headers: list[tuple[bytes, bytes]] | None = None
        # time.monotonic() when the head being read began (None when none is being read).
        self._head_started: float | None = None
        self._head_timer: TimerHandle | None = None

    # ------------------------------------------------------------ the connection

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        cap = self.limits.max_connections
        if len(self.connections) > cap:
            if len(self.connections) > 2 * cap:
                transport.close()
                return
            # Served, but by the 503 alone.
            self.app = self._too_many_connections
        self._head_started = _now()
        self._head_timer = self.loop.call_later(self.limits.header_timeout, self._head_deadline)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._reading_head:
            if self._head_started is None:
                self._head_started = _now()
            if len(data) > self._head_room:
                self._read_past_room(data)
                return
            self._head_room -= len(data)
        _feed(self, data)
        if not self._head_counted and self.headers is self._last_headers:
            # The read ended with a request: the next head starts with the next read.
            self._head_counted = True

    # ------------------------------------------------------------ the parser's callbacks

    def on_headers_complete(self) -> None:
        self._reading_head = False
        self._head_started = None
        previous = self.cycle
        if not self._head_counted and self._head_size() > self.limits.max_header_bytes:
            # The answer waits for the ones before it, like any pipelined request's.
            self.app, app = self._too_large_head, self.app
            _headers_complete(self)
            self.app = app
        else:
            _headers_complete(self)
        cycle = self.cycle
        if cycle is not None and cycle is not previous:
            OneWrite.install(cycle)

    def on_message_complete(self) -> None:
        _message_complete(self)
        self._reading_head = True
        self._head_room = self.limits.max_header_bytes
        self._head_counted = False
        self._last_headers = self.headers

    # ------------------------------------------------------------ the head's size

    def _read_past_room(self, data: bytes) -> None:
        """`data` holds more than the head being read may still take: the parser gets only
        what fits; if the head is still not complete then, it is too large (431)."""
        while data and self._head_room >= 0 and not self.transport.is_closing():
            room = self._head_room
            if not self._reading_head or len(data) <= room:
                # The head ended inside what was fed: the rest is a body or the next request.
                self.data_received(data)
                return
            fitting, data = data[:room], data[room:]
            self._head_room = 0
            if fitting:
                _feed(self, fitting)
            if self._reading_head and self._head_room == 0:
                self._refuse_head()
                return
            if not self._head_counted and self.headers is self._last_headers:
                self._head_counted = True

    def _head_size(self) -> int:
        """The size of the head just parsed, as sent (but for spaces around header values)."""
        # METHOD SP target SP HTTP/1.1 CRLF, then name: value CRLF each, then CRLF.
        size = len(self.parser.get_method()) + len(self.url) + 12
        for name, value in self.headers:
            size += len(name) + len(value) + 4
        return size + 2

    def _refuse_head(self) -> None:
        """Answer 431 to a head past the limit, and drop the rest of the connection's input."""
        self._head_room = -1
        if self.cycle is not None and not self.cycle.response_complete:
            # A response is being made: a 431 now would cut into it. Finish it, then close.
            self.flow.pause_reading()
            self.cycle.keep_alive = False
            return
        limit = self.limits.max_header_bytes
        method = self.parser.get_method().decode("ascii", "replace")
        path = _request_path(getattr(self, "url", b""))
        self.logger.warning("Headers past %d bytes: 431 to %s %s", limit, method, path)
        status, response_headers, body = error_answer(
            RequestHeadersTooLarge.over(limit),
            method=method,
            path=path,
            accept=_header(self.headers or [], b"accept"),
            platform_version=self.limits.platform_version,
        )
        content = [STATUS_LINE[status]]
        for name, value in [*self.server_state.default_headers, *response_headers]:
            content.extend([name, b": ", value, b"\r\n"])
        content.extend([b"\r\n", b"" if method == "HEAD" else body])
        self.transport.write(b"".join(content))
        # Half-close: the client reads the answer to its end, then what it still sends is
        # dropped (`_head_room` -1) until it closes, or the lingering time is up.
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(_LINGER_SECONDS, self.transport.close)

    async def _too_large_head(
        self, scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable
    ) -> None:
        """The app of a (pipelined) request whose head was found past the limit once parsed."""
        limit = self.limits.max_header_bytes
        await self._answer(scope, send, RequestHeadersTooLarge.over(limit))

    # ------------------------------------------------------------ the head's time

    def _head_deadline(self) -> None:
        """Close the connection if the head being read began `header_timeout` ago; otherwise
        look again when the one being read (or the next one) could be late."""
        self._head_timer = None
        if self.transport.is_closing() or self.transport.get_protocol() is not self:
            return  # closed, or handed over (a WebSocket upgrade)
        timeout = self.limits.header_timeout
        started, now = self._head_started, _now()
        if started is not None and now - started >= timeout:
            if self.cycle is not None and not self.cycle.response_complete:
                # A response is on its way (the late head is a pipelined one): finish it, then
                # close.
                self.cycle.keep_alive = False
            else:
                self.transport.close()
            return
        due = timeout if started is None else started + timeout - now
        self._head_timer = self.loop.call_later(due, self._head_deadline)

    # ------------------------------------------------------------ the connection cap

    async def _too_many_connections(
        self, scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable
    ) -> None:
        """The app of a connection beyond the cap: a 503 and the connection closed."""
        await self._answer(scope, send, TooManyConnections())

    async def _answer(self, scope: Scope, send: ASGISendCallable, error: UForgeException) -> None:
        assert scope["type"] == "http"
        status, headers, body = error_answer(
            error,
            method=scope["method"],
            path=scope["path"],
            accept=_header(scope["headers"], b"accept"),
            platform_version=self.limits.platform_version,
        )
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": False})


class OneWrite:
    """The transport of one request cycle, which sends a response's head with the first part
    of its body, in one write.

    uvicorn writes the head when the app sends `http.response.start` and the body when it sends
    `http.response.body`: two `send()` calls and two packets for every answer, where one does.
    The head is held until the next write, the cycle's end or the connection's closing by the
    cycle, whichever comes first; everything else is the connection's transport."""

    __slots__ = ("_completed", "_cycle", "_head_seen", "_held", "_transport")

    def __init__(self, transport: asyncio.Transport, cycle: RequestResponseCycle) -> None:
        self._transport = transport
        self._cycle = cycle
        self._held: bytes | None = None
        self._head_seen = False
        self._completed = cycle.on_response

    @classmethod
    def install(cls, cycle: RequestResponseCycle) -> None:
        one = cls(cycle.transport, cycle)
        cycle.transport = cast(asyncio.Transport, one)
        cycle.on_response = one._on_response

    def write(self, data: bytes) -> None:
        held = self._held
        if held is not None:
            self._held = None
            self._transport.write(held + data)
        elif not self._head_seen and self._cycle.response_started:
            # The head (a `100 Continue` before it is written as it comes).
            self._head_seen = True
            self._held = bytes(data)
        else:
            self._transport.write(data)

    def flush(self) -> None:
        held = self._held
        if held is not None:
            self._held = None
            self._transport.write(held)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def _on_response(self) -> None:
        self.flush()  # a HEAD's or an empty answer's head: no body write follows it
        self._completed()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def error_answer(
    error: UForgeException,
    *,
    method: str,
    path: str,
    accept: bytes | None,
    platform_version: str,
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """Status, headers and body of `error` as a `uforgeError` in the negotiated format, with
    `Connection: close` (what the edge would answer, without a request object)."""
    offered = accept.decode("latin-1") if accept is not None else None
    media_type = error_media_type(path, offered)
    now = datetime.now(UTC)
    body = error_body(error, method=method, path=path, media_type=media_type, now=now)
    extra = error.headers().items()
    headers = [
        (b"content-type", media_type.encode("ascii")),
        (b"content-length", str(len(body)).encode("ascii")),
        (b"vary", b"Accept"),
        (b"cache-control", b"no-store"),
        *((name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in extra),
        version_header(platform_version),
        (b"connection", b"close"),
    ]
    return error.status_code, headers, body


def _request_path(url: bytes) -> str:
    """The path of a request target read so far (maybe cut short), as the edge reports it."""
    target = url.split(b"?", 1)[0].decode("latin-1")
    if "://" in target:  # absolute form
        target = "/" + target.split("://", 1)[1].partition("/")[2]
    return unquote(target) if "%" in target else target


def _header(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    return next((value for key, value in headers if key == name), None)
