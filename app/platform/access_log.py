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
"""

import http
import logging
from typing import Any, TextIO

from uvicorn.logging import AccessFormatter

# uvicorn's default access format (uvicorn.config.LOGGING_CONFIG), and what it makes of a line.
DEFAULT_FORMAT = '%(levelprefix)s %(client_addr)s - "%(request_line)s" %(status_code)s'
_PREFIX = "INFO:     "
_PHRASES = {status.value: f"{status.value} {status.phrase}" for status in http.HTTPStatus}


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
        stream: TextIO = handler.stream
        # As StreamHandler.emit writes: under the handler's lock (several servers, each in its
        # thread, may share one), flushed.
        handler.acquire()
        try:
            stream.write(line + handler.terminator)
            stream.flush()
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
