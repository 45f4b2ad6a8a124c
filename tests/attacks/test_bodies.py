"""Request bodies past their route's limit: a 413 uforgeError, before the body is read when it
says its size, as it crosses the limit when it does not; the server goes on answering.

The attack: a control route with a JSON body (`PUT /_mock/clock`) read any body whole into
memory before looking at it, a declared size or none (chunked)."""

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.servers import server_process

TOKEN = "body-token"
CONTROL = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
LIMIT = 64 * 1024


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with server_process(
        tmp_path_factory.mktemp("bodies") / "data",
        control_enabled="true",
        control_token=TOKEN,
        control_max_body_bytes=str(LIMIT),
        max_body_bytes=str(LIMIT),
    ) as url:
        yield url


def raw_request(base: str, head: str, body: bytes = b"", *, timeout: float = 5) -> bytes:
    """Send a request as written, read the whole answer (the server closes or answers)."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as connection:
        connection.sendall(head.encode("latin-1") + body)
        answer = b""
        while b"\r\n\r\n" not in answer or b"</ns0:uforgeError>" not in answer:
            chunk = connection.recv(65536)
            if not chunk:
                break
            answer += chunk
            if b'"uforgeError"' in answer and answer.rstrip().endswith(b"}}"):
                break
        return answer


def test_a_declared_oversized_control_body_is_refused_before_it_is_read(base: str) -> None:
    head = (
        "PUT /_mock/clock HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\n"
        "Accept: application/json\r\nContent-Length: 100000000\r\n\r\n"
    )
    started = time.monotonic()
    answer = raw_request(base, head)  # not a byte of the 100 MB is sent
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
    assert b"mock.error.limit.body" in answer
    assert time.monotonic() - started < 3


def test_a_chunked_oversized_control_body_is_refused_as_it_crosses_the_limit(base: str) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"action": "advance", "by": "' + b"1" * (LIMIT * 4)
        yield b'"}'

    response = httpx.put(f"{base}/_mock/clock", headers=CONTROL, content=chunks(), timeout=10)
    assert response.status_code == 413
    assert response.json()["uforgeError"]["statusCode"] == 413
    assert response.headers["version"] == "3.8.13"


def test_a_body_under_the_limit_is_taken(base: str) -> None:
    response = httpx.put(
        f"{base}/_mock/clock", headers=CONTROL, json={"action": "advance", "by": 1}, timeout=10
    )
    assert response.status_code == 200


def test_an_oversized_body_to_a_uforge_route_is_a_413_in_xml(base: str) -> None:
    response = httpx.post(
        f"{base}/api/users/guest/mysoftware/918/exports",
        auth=("guest", "guest-secret"),
        content=b"x" * (LIMIT + 1),
        timeout=10,
    )
    assert response.status_code == 413
    assert response.content.startswith(b"<?xml")
    assert b"mock.error.limit.body" in response.content


def test_the_server_answers_others_after_refusing_bodies(base: str, tmp_path: Path) -> None:
    for _ in range(3):
        test_a_chunked_oversized_control_body_is_refused_as_it_crosses_the_limit(base)
    assert httpx.get(f"{base}/api/status", timeout=5).status_code == 200
