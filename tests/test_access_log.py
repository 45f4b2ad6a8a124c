"""The access log's own writer (`platform/access_log.py`) writes uvicorn's line exactly, and
steps aside for any configuration but uvicorn's default."""

import asyncio
import io
import logging
import logging.config
import time
import typing
from collections.abc import Iterator
from copy import deepcopy
from pathlib import Path

import httpx
import pytest
from uvicorn.config import LOGGING_CONFIG

from tests.servers import server_process
from uforge_mock.platform.access_log import FLUSH_DELAY_SECONDS, MAX_WAITING_LINES, AccessLog

FORMAT = '%s - "%s %s HTTP/%s" %d'
PATH = "/api/users/guest/mysoftware/918/exports/17/status"
PATH_401 = "/api/users/guest/mysoftware/1/exports/1/status"


@pytest.fixture
def access_logger() -> Iterator[logging.Logger]:
    """`uvicorn.access` as uvicorn's default configuration leaves it (no colours: not a TTY),
    put back as it was afterwards."""
    logger = logging.getLogger("uvicorn.access")
    saved = (logger.handlers[:], logger.level, logger.propagate, logger.filters[:])
    config = deepcopy(LOGGING_CONFIG)
    config["formatters"]["access"]["use_colors"] = False
    config["disable_existing_loggers"] = False
    logging.config.dictConfig(config)
    try:
        yield logger
    finally:
        logger.handlers, logger.level, logger.propagate, logger.filters = (
            saved[0],
            saved[1],
            saved[2],
            saved[3],
        )


def only_uvicorn_handler(logger: logging.Logger) -> "logging.StreamHandler[typing.TextIO]":
    """The logger with uvicorn's handler alone: pytest adds its capture handlers to every
    logger that does not propagate (as `uvicorn.access`), for the test's call."""
    handler = logger.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    logger.handlers = [handler]
    return handler


def written(logger: logging.Logger, log: object, *args: object) -> str:
    stream = io.StringIO()
    only_uvicorn_handler(logger).setStream(stream)
    log.info(FORMAT, *args)  # type: ignore[attr-defined]
    return stream.getvalue()


@pytest.mark.parametrize("status", [200, 304, 401, 404, 406, 599])
def test_access_line_is_the_one_uvicorn_writes(access_logger: logging.Logger, status: int) -> None:
    args = ("127.0.0.1:50000", "GET", PATH, "1.1", status)
    expected = written(access_logger, access_logger, *args)
    assert written(access_logger, AccessLog(access_logger), *args) == expected
    assert expected.startswith('INFO:     127.0.0.1:50000 - "GET ')


def test_access_log_hands_a_configuration_of_ones_own_to_logging(
    access_logger: logging.Logger,
) -> None:
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    access_logger.addHandler(Keep())
    AccessLog(access_logger).info(FORMAT, "127.0.0.1:1", "GET", PATH, "1.1", 200)
    assert [record.args for record in records] == [("127.0.0.1:1", "GET", PATH, "1.1", 200)]


def test_access_log_hands_colours_to_logging(access_logger: logging.Logger) -> None:
    formatter = access_logger.handlers[0].formatter
    assert formatter is not None
    formatter.use_colors = True  # type: ignore[attr-defined]
    line = written(access_logger, AccessLog(access_logger), "127.0.0.1:1", "GET", PATH, "1.1", 200)
    assert "\x1b[" in line


def test_access_log_writes_nothing_when_the_logger_is_off(access_logger: logging.Logger) -> None:
    access_logger.setLevel(logging.WARNING)
    assert written(access_logger, AccessLog(access_logger), "c", "GET", PATH, "1.1", 200) == ""


class CountingStream(io.StringIO):
    """A stream that counts the writes it is given."""

    writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)


def plain_stream(logger: logging.Logger) -> CountingStream:
    stream = CountingStream()
    only_uvicorn_handler(logger).setStream(stream)
    return stream


def test_lines_logged_by_a_server_are_written_together_a_moment_later(
    access_logger: logging.Logger,
) -> None:
    stream = plain_stream(access_logger)
    log = AccessLog(access_logger)

    async def requests() -> tuple[str, int]:
        for number in range(100):
            log.info(FORMAT, f"127.0.0.1:{number}", "GET", PATH, "1.1", 200)
        right_after = stream.getvalue()
        await asyncio.sleep(FLUSH_DELAY_SECONDS * 2)
        return right_after, stream.writes

    right_after, writes = asyncio.run(requests())
    assert right_after == ""
    assert writes == 1
    lines = stream.getvalue().splitlines()
    assert [line.split(" - ")[0] for line in lines] == [
        f"INFO:     127.0.0.1:{number}" for number in range(100)
    ]


def test_lines_are_written_at_once_when_too_many_wait(access_logger: logging.Logger) -> None:
    stream = plain_stream(access_logger)
    log = AccessLog(access_logger)

    async def requests() -> int:
        for _ in range(MAX_WAITING_LINES):
            log.info(FORMAT, "127.0.0.1:1", "GET", PATH, "1.1", 200)
        return len(stream.getvalue().splitlines())

    assert asyncio.run(requests()) == MAX_WAITING_LINES


def test_serve_writes_the_line_of_a_request_while_it_runs(tmp_path: Path) -> None:
    with server_process(tmp_path / "data") as base:
        assert httpx.get(base + PATH_401).status_code == 401
        log = tmp_path / "data" / "serve-0.log"
        deadline = time.monotonic() + 5
        while f'"GET {PATH_401} HTTP/1.1" 401' not in log.read_text():
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(FLUSH_DELAY_SECONDS)


def test_serve_writes_an_access_line_per_request(tmp_path: Path) -> None:
    """`uforge-mock serve` as users run it: the line of a request is in its output."""
    with server_process(tmp_path / "data") as base:
        answer = httpx.get(base + PATH_401)
    assert answer.status_code == 401
    log = (tmp_path / "data" / "serve-0.log").read_text()
    request = f'"GET {PATH_401} HTTP/1.1" 401 Unauthorized'
    assert any(
        line.startswith("INFO:     127.0.0.1:") and line.endswith(f" - {request}")
        for line in log.splitlines()
    ), log
