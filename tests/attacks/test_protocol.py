"""Attacks on the HTTP protocol itself, none of them needing credentials but one.

As they were made (and what they did before the fix):

- 200 requests to /api/status, each with a distinct 4 MB `Accept`: the negotiation memory kept
  every header (RSS 86 MB -> 914 MB, for good); a 64 MB header took 5 s to read and stalled
  every other request up to 2.9 s.
- One authenticated status poll with `If-None-Match: x<20,000 spaces>x`: the entity-tag pattern
  backtracked quadratically on the event loop, every request froze 7-9 s.
- 20,000 connections that never send a byte: nothing closed them, the file descriptors ran out
  and 32 of 43 normal requests failed.

Each test makes the attack against a real `uforge-mock serve` on loopback, with raw sockets
where a client library would not send what an attacker sends.
"""

import base64
import resource
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from types import TracebackType

import httpx
import pytest

from tests.attacks.raw_http import (
    Answer,
    Reader,
    address,
    connect,
    read_answer,
    request_head,
    send_quietly,
)
from tests.servers import server_process

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc for the server")

AUTH = "Basic " + base64.b64encode(b"guest:guest-secret").decode()
STATUS = "/api/users/guest/mysoftware/918/exports/17/status"
KIB = 1024
MIB = 1024 * KIB


# ---------------------------------------------------------------- raw HTTP on a socket


def closed_by_server(sock: socket.socket, within: float) -> bool:
    """Whether the server closes `sock` (EOF or reset) within `within` seconds."""
    sock.settimeout(within)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


# ---------------------------------------------------------------- the server process


def server_pid(base: str) -> int:
    """The pid of the `uforge-mock serve --port PORT` process behind `base`."""
    port = str(address(base)[1]).encode()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                argv = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"uforge_mock" in argv and b"serve" in argv and port in argv:
                return int(entry.name)
    raise LookupError(f"no server process on port {port!r}")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / KIB
    raise LookupError("VmRSS")


def open_descriptors(pid: int) -> int:
    return len(list(Path(f"/proc/{pid}/fd").iterdir()))


class Poller:
    """A client polling /api/status the whole time, noting its slowest answer (or failure)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.worst = 0.0
        self.answers = 0
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def __enter__(self) -> "Poller":
        self._thread.start()
        while self.answers == 0 and not self.failures:
            time.sleep(0.01)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(30)

    def _poll(self) -> None:
        with httpx.Client(base_url=self.base, timeout=20) as client:
            while not self._stop.is_set():
                start = time.monotonic()
                try:
                    status = client.get("/api/status").status_code
                except httpx.HTTPError as error:
                    self.failures.append(repr(error))
                    continue
                self.worst = max(self.worst, time.monotonic() - start)
                self.answers += 1
                if status != 200:
                    self.failures.append(f"status {status}")
                time.sleep(0.005)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`uforge-mock serve` with the default protocol limits, demo dataset."""
    with server_process(tmp_path_factory.mktemp("protocol")) as base:
        yield base


# ---------------------------------------------------------------- request heads


def test_a_64_mb_header_is_answered_431_without_stalling_others(server: str) -> None:
    filler = b"a" * (64 * MIB)
    with Poller(server) as poller, connect(server) as sock:
        sender = threading.Thread(
            target=send_quietly,
            args=(sock, b"GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: ", filler),
        )
        started = time.monotonic()
        sender.start()
        try:
            answer = read_answer(sock)
        except TimeoutError:
            answer = Answer(0, {}, b"")
        answered_in = time.monotonic() - started
        sender.join(30)
    assert answer.status == 431, (answer.status, answered_in, poller.worst)
    assert answer.uforge_error() == {
        "statusCode": "431",
        "requestMethod": "GET",
        "requestUri": "/api/status",
        "messageId": "mock.error.limit.headers",
    }
    assert answer.headers["version"] == "3.8.13"
    assert answer.headers["connection"] == "close"
    assert answered_in < 1.0, f"the 431 took {answered_in:.2f} s"
    assert poller.worst < 1.0, f"other requests waited up to {poller.worst:.2f} s"
    assert not poller.failures


def test_distinct_4_mb_accept_headers_leave_no_memory_behind(server: str) -> None:
    pid = server_pid(server)
    before = rss_mib(pid)
    statuses = set()
    for index in range(100):
        accept = f"application/xml;v={index}, ".encode() + b"x" * (4 * MIB)
        with connect(server) as sock:
            send_quietly(sock, b"GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: ", accept)
            send_quietly(sock, b"\r\n\r\n")
            statuses.add(read_answer(sock).status)
    grown = rss_mib(pid) - before
    assert grown < 30, f"RSS grew {grown:.0f} MiB"
    assert statuses == {431}


def head_of_size(size: int, path: str = "/api/status") -> bytes:
    """A request head of exactly `size` bytes (request line and headers, final CRLF included)."""
    bare = request_head(path=path, headers={"X-Padding": ""})
    return request_head(path=path, headers={"X-Padding": "p" * (size - len(bare))})


def test_the_limit_counts_the_whole_head_to_the_byte(server: str) -> None:
    with connect(server) as sock:
        sock.sendall(head_of_size(16 * KIB))
        assert read_answer(sock).status == 200
    with connect(server) as sock:
        sock.sendall(head_of_size(16 * KIB + 1))
        assert read_answer(sock).status == 431


def test_every_request_of_a_keep_alive_connection_is_held_to_the_limit(server: str) -> None:
    with connect(server) as sock:
        answers = Reader(sock)
        sock.sendall(request_head())
        assert answers.answer().status == 200
        # The next two in one write: the second head begins in the read that ends the first.
        sock.sendall(request_head() + head_of_size(20 * KIB))
        assert answers.answer().status == 200
        assert answers.answer().status == 431
    # A head that begins in the read that ends a request's body, itself sent after its head.
    body = b"x" * 100
    with connect(server) as sock:
        answers = Reader(sock)
        sock.sendall(request_head("POST", "/api/status", {"Content-Length": str(len(body))}))
        time.sleep(0.1)
        sock.sendall(body + head_of_size(20 * KIB))
        assert answers.answer().status == 405
        assert answers.answer().status == 431


def test_a_large_body_is_not_counted_as_headers(server: str) -> None:
    body = b"x" * (256 * KIB)
    with connect(server) as sock:
        head = request_head("POST", "/api/status", {"Content-Length": str(len(body))})
        sock.sendall(head + body + request_head())
        answers = Reader(sock)
        assert answers.answer().status == 405
        assert answers.answer().status == 200


# ---------------------------------------------------------------- If-None-Match


def test_an_if_none_match_of_spaces_does_not_freeze_the_server(server: str) -> None:
    # 16,000 spaces: the head stays under the 16 KiB limit, the tag pattern has to read it.
    header = "x" + " " * 16_000 + "x"
    headers = {"Authorization": AUTH, "Accept": "application/xml", "If-None-Match": header}
    with Poller(server) as poller:
        started = time.monotonic()
        try:
            status = httpx.get(f"{server}{STATUS}", headers=headers, timeout=5).status_code
        except httpx.TimeoutException:
            status = 0
        answered_in = time.monotonic() - started
    assert status == 200, f"no answer in {answered_in:.1f} s"
    assert answered_in < 1.0, f"the poll took {answered_in:.2f} s"
    assert poller.worst < 1.0, f"other requests waited up to {poller.worst:.2f} s"


# ---------------------------------------------------------------- the negotiation memory


@pytest.fixture(scope="module")
def server_with_large_heads(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Heads up to 1 MiB: long `Accept` headers reach the negotiation."""
    with server_process(tmp_path_factory.mktemp("large-heads"), max_header_bytes=str(MIB)) as base:
        yield base


def test_the_negotiation_memory_does_not_keep_long_headers(server_with_large_heads: str) -> None:
    base = server_with_large_heads
    pid = server_pid(base)
    before = rss_mib(pid)
    statuses = set()
    with httpx.Client(base_url=base, timeout=30) as client:
        for index in range(200):
            accept = f"application/json;v={index}, " + "x" * (512 * KIB)
            statuses.add(client.get("/api/status", headers={"Accept": accept}).status_code)
    grown = rss_mib(pid) - before
    assert statuses == {200}
    assert grown < 40, f"RSS grew {grown:.0f} MiB for 100 MiB of distinct headers"


# ---------------------------------------------------------------- connections


@pytest.fixture
def small_server(tmp_path: Path) -> Iterator[str]:
    """A cap of 20 connections, 2 s to send request headers, 1 s of idle keep-alive."""
    with server_process(
        tmp_path,
        max_connections="20",
        header_timeout_seconds="2",
        keep_alive_seconds="1",
    ) as base:
        yield base


def test_a_connection_that_never_sends_a_byte_is_closed(small_server: str) -> None:
    with connect(small_server) as sock:
        started = time.monotonic()
        assert closed_by_server(sock, within=6)
        assert 1.8 < time.monotonic() - started < 4


def test_a_head_sent_a_byte_at_a_time_is_closed_at_the_timeout(small_server: str) -> None:
    head = request_head(headers={"X-Slow": "s" * 100})
    with connect(small_server) as sock:
        started = time.monotonic()
        for byte in head[:-4]:
            try:
                sock.sendall(bytes([byte]))
            except OSError:
                break
            time.sleep(0.1)
            if time.monotonic() - started > 6:
                break
        assert closed_by_server(sock, within=1)
        assert time.monotonic() - started < 4


def test_an_idle_keep_alive_connection_is_closed(small_server: str) -> None:
    with connect(small_server) as sock:
        sock.sendall(request_head())
        assert read_answer(sock).status == 200
        started = time.monotonic()
        assert closed_by_server(sock, within=5)
        assert time.monotonic() - started < 2.5


def test_connections_beyond_the_cap_are_answered_503_and_closed(small_server: str) -> None:
    with ExitStack() as stack:
        idle = [stack.enter_context(connect(small_server)) for _ in range(20)]
        time.sleep(0.2)
        with connect(small_server) as sock:
            sock.sendall(request_head())
            answer = read_answer(sock)
            assert answer.status == 503
            assert answer.headers["retry-after"] == "1"
            assert answer.headers["version"] == "3.8.13"
            assert answer.uforge_error()["messageId"] == "mock.error.unavailable.connections"
            assert closed_by_server(sock, within=1)
        # Past twice the cap, a connection is closed at once.
        waiting = [stack.enter_context(connect(small_server)) for _ in range(20)]
        beyond = [stack.enter_context(connect(small_server)) for _ in range(10)]
        assert all(closed_by_server(sock, within=0.5) for sock in beyond)
        # The idle ones are closed at the header timeout: the server serves again.
        assert all(closed_by_server(sock, within=4) for sock in idle + waiting)
        response = httpx.get(f"{small_server}/api/status", timeout=5)
        assert response.status_code == 200


@contextmanager
def descriptor_limit(limit: int) -> Iterator[None]:
    """Processes started inside have at most `limit` file descriptors (this one keeps its own)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_thousands_of_idle_connections_do_not_exhaust_the_descriptors(tmp_path: Path) -> None:
    # As made with 20,000 connections on a 20,000 descriptor limit, scaled down: 2,000 on 512.
    with ExitStack() as stack:
        with descriptor_limit(512):
            base = stack.enter_context(server_process(tmp_path, header_timeout_seconds="2"))
        pid = server_pid(base)
        idle = []
        for _ in range(2000):
            sock = socket.socket()
            stack.callback(sock.close)
            sock.setblocking(False)
            sock.connect_ex(address(base))
            idle.append(sock)
        time.sleep(0.5)
        # During the attack a client is answered 503 or turned away at once, never left
        # hanging (before: its connection waited, unaccepted, until the client gave up).
        during = [outcome(base) for _ in range(5)]
        descriptors = open_descriptors(pid)
        # The idle connections are closed at the header timeout: the server serves again.
        time.sleep(2.5)
        after = [outcome(base) for _ in range(43)]
    assert after == ["200"] * 43, (after, during, descriptors)
    assert "timeout" not in during, during
    assert descriptors < 512


def outcome(base: str) -> str:
    """What a client asking for /api/status gets: a status, `refused` or `timeout`."""
    try:
        return str(httpx.get(f"{base}/api/status", timeout=2).status_code)
    except httpx.TimeoutException:
        return "timeout"
    except httpx.TransportError:
        return "refused"
