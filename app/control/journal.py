"""The journal of requests the UForge routes received, newest last, bounded in size.

Credentials never enter it: the Authorization header keeps its scheme and, for Basic, the
login; passwords, tokens, cookies and API-key signatures are replaced by `<redacted>`.
"""

import base64
import binascii
import itertools
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from fnmatch import fnmatchcase
from urllib.parse import parse_qsl, urlencode

REDACTED = "<redacted>"
_SECRET_HEADERS = {"cookie", "proxy-authorization", "x-api-key"}
_SECRET_QUERY = {"signature", "password", "secretKey", "secretkey"}


@dataclass(frozen=True, slots=True)
class JournalEntry:
    id: int
    time: datetime
    method: str
    path: str
    query: str
    headers: dict[str, str]
    status: int | None
    duration_ms: float

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "time": self.time.isoformat(),
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": self.headers,
            "status": self.status,
            "durationMs": round(self.duration_ms, 3),
        }


class Journal:
    def __init__(self, size: int = 1000) -> None:
        self._entries: deque[JournalEntry] = deque(maxlen=size)
        self._ids = itertools.count(1)

    def record(
        self,
        *,
        time: datetime,
        method: str,
        path: str,
        query: str,
        headers: list[tuple[bytes, bytes]],
        status: int | None,
        duration_ms: float,
    ) -> JournalEntry:
        entry = JournalEntry(
            id=next(self._ids),
            time=time,
            method=method,
            path=path,
            query=redact_query(query),
            headers=redact_headers(headers),
            status=status,
            duration_ms=duration_ms,
        )
        self._entries.append(entry)
        return entry

    def entries(
        self, *, method: str | None = None, path: str | None = None, limit: int | None = None
    ) -> list[JournalEntry]:
        """Entries oldest first; `path` is a glob (`*/status`), `method` case-insensitive."""
        chosen = [
            entry
            for entry in self._entries
            if (method is None or entry.method == method.upper())
            and (path is None or fnmatchcase(entry.path, path))
        ]
        return chosen[-limit:] if limit else chosen

    def clear(self) -> int:
        count = len(self._entries)
        self._entries.clear()
        return count


def redact_headers(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name_bytes, value_bytes in raw:
        name = name_bytes.decode("latin-1").lower()
        value = value_bytes.decode("latin-1")
        if name == "authorization":
            value = redact_authorization(value)
        elif name in _SECRET_HEADERS:
            value = REDACTED
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return headers


def redact_authorization(value: str) -> str:
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() == "basic":
        try:
            login = base64.b64decode(token.strip(), validate=True).decode().partition(":")[0]
        except (binascii.Error, ValueError, UnicodeDecodeError):
            return f"{scheme} {REDACTED}"
        return f"{scheme} {login}:{REDACTED}"
    return f"{scheme} {REDACTED}" if token else REDACTED


def redact_query(query: str) -> str:
    if not query:
        return ""
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode(
        [(name, REDACTED if name in _SECRET_QUERY else value) for name, value in pairs],
        safe="<>",
    )
