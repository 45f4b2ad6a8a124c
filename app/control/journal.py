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

    def page(
        self,
        *,
        limit: int,
        after: int | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> tuple[list[JournalEntry], bool]:
        """At most `limit` matching entries, oldest first: the first ones with an id above
        `after`, or without `after` the newest ones. The flag says whether more matching
        entries follow the page's last one (a page of the newest has none after it). `path`
        is a glob (`*/status`), `method` case-insensitive."""
        if after is None:
            newest: deque[JournalEntry] = deque(maxlen=limit)
            for entry in reversed(self._entries):
                if _matches(entry, method, path):
                    newest.appendleft(entry)
                    if len(newest) == limit:
                        break
            return list(newest), False
        # Ids follow one another: the entries after `after` start at a known place.
        start = after - self._entries[0].id + 1 if self._entries else 0
        chosen: list[JournalEntry] = []
        for entry in itertools.islice(self._entries, max(0, start), None):
            if _matches(entry, method, path):
                if len(chosen) == limit:
                    return chosen, True
                chosen.append(entry)
        return chosen, False

    def clear(self) -> int:
        count = len(self._entries)
        self._entries.clear()
        return count


def _matches(entry: JournalEntry, method: str | None, path: str | None) -> bool:
    return (method is None or entry.method == method.upper()) and (
        path is None or fnmatchcase(entry.path, path)
    )


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
