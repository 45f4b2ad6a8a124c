"""Raw HTTP on a socket: what the attacks send where a client library would not send it,
and a reader of whole answers (by Content-Length, or up to the end of the connection)."""

import socket
from xml.etree import ElementTree

NS = "{http://www.usharesoft.com/uforge}"
MIB = 1024 * 1024


def address(base: str) -> tuple[str, int]:
    host, _, port = base.removeprefix("http://").rpartition(":")
    return host, int(port)


def connect(base: str, timeout: float = 10) -> socket.socket:
    sock = socket.create_connection(address(base), timeout=timeout)
    sock.settimeout(timeout)
    return sock


def request_head(
    method: str = "GET", path: str = "/api/status", headers: dict[str, str] | None = None
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


class Answer:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def uforge_error(self) -> dict[str, str]:
        """statusCode, requestMethod, requestUri, messageId of an XML `uforgeError`."""
        root = ElementTree.fromstring(self.body)
        assert root.tag == f"{NS}uforgeError", self.body[:300]
        return {
            "statusCode": root.findtext("statusCode") or "",
            "requestMethod": root.findtext("requestMethod") or "",
            "requestUri": root.findtext("requestUri") or "",
            "messageId": root.findtext("localizedErrorMsg/messageId") or "",
        }


class Reader:
    """The answers arriving on a socket, one after another (pipelined ones too)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.data = b""

    def answer(self) -> Answer:
        """The next response (its Content-Length, or up to the end of the connection)."""
        while b"\r\n\r\n" not in self.data:
            self._read(f"closed before an answer: {self.data[:200]!r}")
        head, _, self.data = self.data.partition(b"\r\n\r\n")
        status_line, *lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "-1"))
        try:
            while length < 0 or len(self.data) < length:
                self._read("")
        except ConnectionError:
            pass
        body, self.data = self.data[: max(length, 0)], self.data[max(length, 0) :]
        return Answer(int(status_line.split()[1]), headers, body)

    def _read(self, complaint: str) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError(complaint)
        self.data += chunk


def read_answer(sock: socket.socket) -> Answer:
    return Reader(sock).answer()


def send_quietly(sock: socket.socket, *parts: bytes) -> None:
    """Send what an attacker sends; the server may close the connection before the end."""
    try:
        for part in parts:
            view = memoryview(part)
            for start in range(0, len(view), MIB):
                sock.sendall(view[start : start + MIB])
    except OSError:
        pass
