"""The server's HTTP protocol writes each answer, head and body, in one write (`OneWrite` in
`platform/protocol.py`): the real protocol and app, over a transport that records the writes."""

import asyncio
import base64
from pathlib import Path
from typing import Any

from uvicorn.config import Config
from uvicorn.server import ServerState

from tests.conftest import FAST_HASHING
from uforge_mock.factory import create_app
from uforge_mock.platform.protocol import server_options
from uforge_mock.settings import Settings

STATUS = "/api/users/guest/mysoftware/918/exports/17/status"


class RecordingTransport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: Any) -> None:
        self.writes.append(bytes(data))

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 5000), "sockname": ("127.0.0.1", 8080)}.get(name)

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


def request(method: str, *headers: str) -> bytes:
    lines = [f"{method} {STATUS} HTTP/1.1", "Host: test", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def answers(tmp_path: Path, *requests: bytes) -> list[bytes]:
    """What the server writes for `requests`, sent in one read (pipelined), on the demo store."""
    settings = Settings(data_dir=tmp_path / "data", **FAST_HASHING)
    app = create_app(settings)

    async def exchange() -> list[bytes]:
        async with app.router.lifespan_context(app):
            config = Config(app, access_log=False, **server_options(settings))
            config.load()
            transport = RecordingTransport()
            protocol = config.http_protocol_class(config, ServerState(), {})  # type: ignore[call-arg]
            protocol.connection_made(transport)
            protocol.data_received(b"".join(requests))
            for _ in range(200):
                answered = b"".join(transport.writes).count(b"HTTP/1.1 ")
                if answered == len(requests):
                    break
                await asyncio.sleep(0.01)
            protocol.connection_lost(None)
            return transport.writes

    return asyncio.run(exchange())


def basic(login: str, password: str) -> str:
    return "Authorization: Basic " + base64.b64encode(f"{login}:{password}".encode()).decode()


def test_answer_head_and_body_go_out_in_one_write(tmp_path: Path) -> None:
    writes = answers(tmp_path, request("GET", basic("guest", "nope"), "Accept: application/xml"))
    assert len(writes) == 1
    head, _, body = writes[0].partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 401 ")
    assert b"version: " in head
    assert body.startswith(b"<?xml") and body.endswith(b"</ns0:uforgeError>")


def test_head_answer_goes_out_without_a_body(tmp_path: Path) -> None:
    writes = answers(tmp_path, request("HEAD", basic("guest", "nope")))
    assert len(writes) == 1
    assert writes[0].startswith(b"HTTP/1.1 401 ") and writes[0].endswith(b"\r\n\r\n")


def test_pipelined_answers_go_out_in_order_one_write_each(tmp_path: Path) -> None:
    writes = answers(
        tmp_path,
        request("GET", basic("guest", "nope")),
        request("GET"),
        request("HEAD", basic("guest", "nope")),
    )
    assert [write.split(b"\r\n", 1)[0] for write in writes] == [
        b"HTTP/1.1 401 Unauthorized",
        b"HTTP/1.1 401 Unauthorized",
        b"HTTP/1.1 401 Unauthorized",
    ]
    assert b"<?xml" in writes[0] and b"<?xml" in writes[1] and b"<?xml" not in writes[2]
