"""uvicorn's access log line, written without the logging machinery when nothing would see the
difference.

uvicorn logs one line per request through `logging.getLogger("uvicorn.access").info(...)`:
a `LogRecord`, a walk of the caller's frames, two copies of the record in its formatters, the
status's phrase looked up in an enum. Measured on a status poll, 22 µs of CPU: more than the
whole UForge route. When the access logger is configured exactly as uvicorn's default
configuration leaves it (one `StreamHandler` with uvicorn's `AccessFormatter`, its default
format, no colours, no filters, not propagated), `AccessLog.info` writes that same line to that
same stream itself. Under any other configuration (a log config of one's own, colours on a
terminal, a handler a test added), it hands the call to the logger unchanged.

`StreamHandler` writes and flushes every line: a `write` system call per request, which on
a server whose output is a file or a pipe (Docker, CI, the benchmark) is a good part of the cost
of a status poll (`bench/RESULTS.md`). The lines formatted here wait in memory instead and are
written together, at most `FLUSH_DELAY_SECONDS` after the first of them, by the event loop
that formatted it; at most `MAX_WAITING_LINES` wait. Lines still waiting when the event loop
stops are written by the next line's writer or when the process exits.
"""

import asyncio
import atexit
import http
import logging
from typing import Any, TextIO

from uvicorn.logging import AccessFormatter

# uvicorn's default access format (uvicorn.config.LOGGING_CONFIG), and what it makes of a line.
DEFAULT_FORMAT = '%(levelprefix)s %(client_addr)s - "%(request_line)s" %(status_code)s'
_PREFIX = "INFO:     "
_PHRASES = {status.value: f"{status.value} {status.phrase}" for status in http.HTTPStatus}

# How long a line may wait before it is written, with the lines after it; and how many may.
FLUSH_DELAY_SECONDS = 0.05
MAX_WAITING_LINES = 256


class _Waiting:
    """The lines of one handler not written yet, and the event loop due to write them."""

    __slots__ = ("lines", "loop")

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.loop: asyncio.AbstractEventLoop | None = None


_WAITING: "dict[logging.StreamHandler[TextIO], _Waiting]" = {}


def status_text(status_code: int) -> str:
    """`200 OK`, as uvicorn's AccessFormatter writes a status without colours."""
    return _PHRASES.get(status_code) or f"{status_code} "


class AccessLog:
    """Stands for the access logger in uvicorn's request cycles, which only call `info`."""

    def __init__(self, logger: logging.Logger) -> None:
        self.logger = logger

    def info(self, message: str, *args: Any) -> None:
        logger = self.logger
        if not logger.isEnabledFor(logging.INFO):
            return
        handler = self._plain_handler()
        if handler is None:
            logger.info(message, *args, stacklevel=2)
            return
        client, method, path, http_version, status_code = args
        request_line = f"{method} {path} HTTP/{http_version}"
        line = f'{_PREFIX}{client} - "{request_line}" {status_text(status_code)}'
        # Under the handler's lock, as StreamHandler.emit writes (several servers, each in
        # its thread, may share one).
        handler.acquire()
        try:
            waiting = _WAITING.get(handler)
            if waiting is None:
                waiting = _WAITING[handler] = _Waiting()
            waiting.lines.append(line + handler.terminator)
            _write_soon(handler, waiting)
        finally:
            handler.release()

    def _plain_handler(self) -> "logging.StreamHandler[TextIO] | None":
        """The handler of uvicorn's default configuration; None under any other."""
        logger = self.logger
        if logger.propagate or logger.filters or len(logger.handlers) != 1:
            return None
        handler = logger.handlers[0]
        formatter = handler.formatter
        if (
            type(handler) is not logging.StreamHandler
            or handler.filters
            or handler.level > logging.INFO
            or type(formatter) is not AccessFormatter
            or formatter.use_colors
            or type(formatter._style) is not logging.PercentStyle
            or formatter._fmt != DEFAULT_FORMAT
        ):
            return None
        return handler


def _write_soon(handler: "logging.StreamHandler[TextIO]", waiting: _Waiting) -> None:
    """Have the waiting lines written `FLUSH_DELAY_SECONDS` from now, unless a running event
    loop is due to already; at once when too many wait or no event loop runs here. Called
    under the handler's lock."""
    if len(waiting.lines) >= MAX_WAITING_LINES:
        _write(handler, waiting)
        return
    if waiting.loop is not None and waiting.loop.is_running():
        return
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        _write(handler, waiting)
        return
    waiting.loop = loop
    loop.call_later(FLUSH_DELAY_SECONDS, _write_due, handler, waiting)


def _write_due(handler: "logging.StreamHandler[TextIO]", waiting: _Waiting) -> None:
    handler.acquire()
    try:
        waiting.loop = None
        _write(handler, waiting)
    finally:
        handler.release()


def _write(handler: "logging.StreamHandler[TextIO]", waiting: _Waiting) -> None:
    lines, waiting.lines = waiting.lines, []
    if lines:
        handler.stream.write("".join(lines))
        handler.flush()


@atexit.register
def _write_all() -> None:
    """Whatever still waits when the process ends."""
    for handler, waiting in list(_WAITING.items()):
        handler.acquire()
        try:
            _write(handler, waiting)
        finally:
            handler.release()
