"""A store that goes away (a PostgreSQL server stopped under a running uforge-mock) is not a bug
of ours: every request meets a 503 `uforgeError` with `Retry-After` in the negotiated format,
nothing is half done, the log says so in a line now and then (no traceback per request), and
the first request after the store is back is served. Real processes on a cluster of the
module's own, stopped and started by the tests."""

import asyncio
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy import literal, select
from sqlalchemy.exc import DBAPIError

from tests.conftest import ROOT
from tests.postgres import Cluster, PostgresUnavailable, running_cluster
from tests.servers import server_environment, server_process
from tests.xmlcheck import assert_valid_uforge_xml
from uforge_mock.store.engine import CONNECT_TIMEOUT_SECONDS, create_store_engine
from uforge_mock.store.postgres_reads import PostgresReader
from uforge_mock.store.prepared import PreparedQuery
from uforge_mock.store.unavailable import store_busy, store_unreachable, unavailable_error
from uforge_mock.wire.errors import StoreUnreachable

pytestmark = pytest.mark.postgresql

GUEST = ("guest", "guest-secret")
EXPORTS = "/api/users/guest/mysoftware/918/exports"
STATUS_17 = f"{EXPORTS}/17/status"
JSON = {"Accept": "application/json"}
TOKEN = "outage-secret"
CONTROL = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    try:
        with running_cluster() as started:
            yield started
    except PostgresUnavailable as error:
        pytest.skip(str(error))


@pytest.fixture(scope="module")
def server(
    cluster: Cluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path]]:
    """One server with the control API on the cluster's store; its base URL and its log."""
    folder = tmp_path_factory.mktemp("outage")
    with server_process(
        folder, database_url=cluster.url, control_enabled="true", control_token=TOKEN
    ) as base:
        yield base, folder / "serve-0.log"


@contextmanager
def store_away(cluster: Cluster) -> Iterator[None]:
    cluster.stop()
    try:
        yield
    finally:
        cluster.start()


def exports_of_guest(cluster: Cluster) -> int:
    with psycopg.connect(cluster.url.replace("+psycopg", "")) as connection:
        row = connection.execute("SELECT count(*) FROM export_tickets").fetchone()
    assert row is not None
    return int(row[0])


def test_a_store_out_of_reach_is_a_503_in_the_negotiated_format_and_served_once_back(
    cluster: Cluster, server: tuple[str, Path]
) -> None:
    base, _ = server
    assert httpx.get(base + STATUS_17, auth=GUEST).status_code == 200
    with store_away(cluster):
        as_xml = httpx.get(base + STATUS_17, auth=GUEST)
        as_json = httpx.get(base + STATUS_17, auth=GUEST, headers=JSON)
    assert as_xml.status_code == as_json.status_code == 503
    assert as_xml.headers["retry-after"] == as_json.headers["retry-after"] == "2"
    assert as_xml.headers["content-type"] == "application/xml"
    root = assert_valid_uforge_xml(as_xml.content, "uforgeError")
    assert root.findtext("statusCode") == "503"
    assert root.findtext("localizedErrorMsg/messageId") == StoreUnreachable.message_id
    error = as_json.json()["uforgeError"]
    assert error["statusCode"] == 503
    assert error["localizedErrorMsg"]["message"] == StoreUnreachable.default_message
    # The very next request after the store is back.
    back = httpx.get(base + STATUS_17, auth=GUEST, headers=JSON)
    assert back.status_code == 200, back.text
    assert back.json()["status"]["complete"] is True


def test_a_create_refused_while_the_store_is_away_creates_nothing(
    cluster: Cluster, server: tuple[str, Path]
) -> None:
    base, _ = server
    before = exports_of_guest(cluster)
    with store_away(cluster):
        refused = httpx.post(base + EXPORTS, auth=GUEST, headers=JSON)
    assert refused.status_code == 503, refused.text
    assert exports_of_guest(cluster) == before
    created = httpx.post(base + EXPORTS, auth=GUEST, headers=JSON)
    assert created.status_code == 201, created.text
    assert exports_of_guest(cluster) == before + 1


def test_an_outage_is_logged_in_a_line_not_a_traceback_per_request(
    cluster: Cluster, tmp_path: Path
) -> None:
    # A server of its own: the line is said at most once in ten seconds by each server.
    with server_process(
        tmp_path, database_url=cluster.url, control_enabled="true", control_token=TOKEN
    ) as base:
        with store_away(cluster):
            for _ in range(10):
                assert httpx.get(base + STATUS_17, auth=GUEST).status_code == 503
            time.sleep(0.5)  # the control plane's background writes have tried meanwhile
        assert httpx.get(base + STATUS_17, auth=GUEST).status_code == 200
    logged = (tmp_path / "serve-0.log").read_text()
    assert "Traceback" not in logged
    outage_lines = [line for line in logged.splitlines() if "cannot be reached" in line]
    # One for the requests, one for the journal's writes kept: not one per request.
    assert len(outage_lines) == 2, outage_lines
    requests_line = next(line for line in outage_lines if "requests answered 503" in line)
    assert "Connection refused" in requests_line
    assert "(1 since the last such line)" in requests_line


def test_the_journal_keeps_the_requests_answered_while_the_store_was_away(
    cluster: Cluster, server: tuple[str, Path]
) -> None:
    base, _ = server
    httpx.delete(f"{base}/_mock/requests", headers=CONTROL).raise_for_status()
    with store_away(cluster):
        for _ in range(3):
            httpx.get(base + STATUS_17, auth=GUEST)
        time.sleep(0.5)  # flushes fail meanwhile
    entries = httpx.get(f"{base}/_mock/requests", headers=CONTROL).json()["requests"]
    answered = [(entry["path"], entry["status"]) for entry in entries]
    assert answered == [("/api" + STATUS_17.removeprefix("/api"), 503)] * 3


def test_a_command_on_a_store_out_of_reach_says_so_in_one_line(
    cluster: Cluster, tmp_path: Path
) -> None:
    with store_away(cluster):
        for command in (["migrate"], ["serve", "--port", "1"], ["user", "list"]):
            completed = subprocess.run(
                [sys.executable, "-m", "uforge_mock", *command],
                cwd=ROOT,
                env=server_environment(tmp_path, database_url=cluster.url),
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert completed.returncode == 1, completed
            assert "Traceback" not in completed.stderr
            assert "uforge-mock: the store cannot be reached: connection failed" in (
                completed.stderr
            ), completed.stderr


@contextmanager
def silent_server() -> Iterator[int]:
    """A port whose listener takes connections (the kernel completes the handshake) and never
    says a word: a PostgreSQL host behind a firewall that drops its answers, as libpq sees it."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield listener.getsockname()[1]


def test_a_connection_attempt_to_a_silent_server_ends_after_its_connect_timeout() -> None:
    with silent_server() as port:
        engine = create_store_engine(
            f"postgresql+psycopg://u@127.0.0.1:{port}/db?connect_timeout=1"
        )
        reader = PostgresReader(engine)
        query = PreparedQuery(select(literal(1)))
        started = time.monotonic()
        with pytest.raises(psycopg.OperationalError) as raised:
            asyncio.run(reader.fetch(query, {}))
        assert time.monotonic() - started < 4
        assert store_unreachable(raised.value)
        engine.dispose()


def test_a_postgresql_url_without_connect_timeout_gets_the_default_and_one_with_it_keeps_it() -> (
    None
):
    plain = create_store_engine("postgresql+psycopg://u@db.example/store")
    assert plain.url.query["connect_timeout"] == str(CONNECT_TIMEOUT_SECONDS)
    given = create_store_engine("postgresql+psycopg://u@db.example/store?connect_timeout=30")
    assert given.url.query["connect_timeout"] == "30"


def driver_error(connect: Any, statement: str) -> BaseException:
    try:
        with connect() as connection:
            connection.execute(statement)
    except Exception as error:
        return error
    raise AssertionError("no error")


def test_errors_of_a_store_away_are_told_apart_from_bugs(cluster: Cluster, tmp_path: Path) -> None:
    cannot_open = driver_error(
        lambda: sqlite3.connect(tmp_path / "no-such-folder" / "x.db"), "SELECT 1"
    )
    assert store_unreachable(cannot_open)
    bad_sql = driver_error(lambda: sqlite3.connect(":memory:"), "SELEC 1")
    assert unavailable_error(bad_sql) is None
    libpq = cluster.url.replace("+psycopg", "")
    missing_table = driver_error(lambda: psycopg.connect(libpq), "SELECT * FROM no_such_table")
    assert unavailable_error(missing_table) is None
    refused = driver_error(lambda: psycopg.connect("postgresql://u@127.0.0.1:1/x"), "SELECT 1")
    assert store_unreachable(refused) and not store_busy(refused)
    wrapped = DBAPIError("SELECT 1", None, refused)  # as SQLAlchemy raises it
    assert isinstance(unavailable_error(wrapped), StoreUnreachable)
    # A session the administrator ends (57P01) is one more way for the store to go away.
    with psycopg.connect(libpq, autocommit=True) as victim:
        pid = victim.info.backend_pid
        with psycopg.connect(libpq, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", [pid])
        terminated = driver_error(lambda: _Reuse(victim), "SELECT 1")
    assert store_unreachable(terminated)


class _Reuse:
    """An open connection, used as `with` without closing it."""

    def __init__(self, connection: psycopg.Connection[Any]) -> None:
        self.connection = connection

    def __enter__(self) -> psycopg.Connection[Any]:
        return self.connection

    def __exit__(self, *_: object) -> None:
        return None
