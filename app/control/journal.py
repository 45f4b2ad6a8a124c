"""The journal of requests the UForge routes received, on every server sharing the store,
newest last, bounded in size.

A request never waits on the store for it: each server notes its requests in memory (a few
field references, nothing computed), and writes them in batches in the background
(`ControlPlane`), redacted then, a batch at most every `FLUSH_INTERVAL_SECONDS`. When the store
falls behind the requests, the oldest notes waiting past `WAITING_AT_MOST` are dropped (and
counted: `dropped`). Reading the journal through a server writes that server's notes first,
so it lists every request that server answered; another server's newest requests appear
within one flush interval. Each entry names its server (`host:port/pid`).

Credentials never enter it: the Authorization header keeps its scheme and, for Basic, the
login; passwords, tokens, cookies and API-key signatures are replaced by `<redacted>`.
"""

import asyncio
import base64
import binascii
import json
import logging
import os
import time
from collections import deque
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

import anyio

from uforge_mock.store.journal_store import JournalEntry, JournalStore, NewEntry
from uforge_mock.store.unavailable import OutageLog, store_unreachable

log = logging.getLogger("uforge_mock")

REDACTED = "<redacted>"
_SECRET_HEADERS = {"cookie", "proxy-authorization", "x-api-key"}
_SECRET_QUERY = {"signature", "password", "secretKey", "secretkey"}

# How long a noted request waits at most before its batch is written (the delay before
# another server's reader sees it).
FLUSH_INTERVAL_SECONDS = 0.15
# Notes waiting at most (or the journal's size, if larger): past it, while the store falls
# behind, the oldest are dropped.
WAITING_AT_MOST = 10_000
# Distinct sets of request headers whose redacted JSON is remembered.
HEADER_SETS_REMEMBERED = 512

# A request as noted on the hot path: (wall time, method, path, query string, headers,
# the server's address, status, duration in ms).
Noted = tuple[float, str, str, bytes, list[tuple[bytes, bytes]], Any, int | None, float]


def entry_json(entry: JournalEntry) -> dict[str, object]:
    return {
        "id": entry.id,
        "server": entry.server,
        "time": entry.time.isoformat(),
        "method": entry.method,
        "path": entry.path,
        "query": entry.query,
        "headers": entry.headers,
        "status": entry.status,
        "durationMs": round(entry.duration_ms, 3),
    }


class Journal:
    """This server's side of the shared journal: its notes waiting to be written, and the
    reads (which write them first)."""

    def __init__(self, store: JournalStore, *, size: int = 1000) -> None:
        self.store = store
        self.size = size
        self._waiting: deque[Noted] = deque(maxlen=max(size, WAITING_AT_MOST))
        self._lock = asyncio.Lock()
        # Notes dropped because the store fell behind (or failed).
        self.dropped = 0
        self._pid = os.getpid()
        self._names: dict[Any, str] = {}
        self._stored_headers: dict[tuple[tuple[bytes, bytes], ...], str] = {}
        self._outage = OutageLog("journal entries kept until it is back")

    def start(self) -> None:
        """On the event loop that will serve (a lock belongs to one loop)."""
        self._lock = asyncio.Lock()

    def note(
        self,
        *,
        method: str,
        path: str,
        query: bytes,
        headers: list[tuple[bytes, bytes]],
        server: Any,
        status: int | None,
        duration_ms: float,
    ) -> None:
        """Note a request (on the hot path: nothing is computed or written here)."""
        if len(self._waiting) == self._waiting.maxlen:
            self.dropped += 1
        self._waiting.append(
            (time.time(), method, path, query, headers, server, status, duration_ms)
        )

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    async def flush(self) -> None:
        """Write the notes waiting now (after a batch being written, if any)."""
        async with self._lock:
            if not self._waiting:
                return
            batch = list(self._waiting)
            self._waiting.clear()
            try:
                await anyio.to_thread.run_sync(self._write, batch)
            except Exception as error:
                if store_unreachable(error):
                    # Kept for the next flush, before the notes taken since (the oldest go
                    # first when that is more than the waiting list holds).
                    self._outage.note(error)
                    kept = [*batch, *self._waiting]
                    self._waiting.clear()
                    self._waiting.extend(kept)
                    self.dropped += len(kept) - len(self._waiting)
                else:
                    self.dropped += len(batch)
                    log.warning("%d journal entries were not written", len(batch), exc_info=True)

    def _write(self, batch: list[Noted]) -> None:
        self.store.append([self._entry(noted) for noted in batch], keep=self.size)

    def _entry(self, noted: Noted) -> NewEntry:
        wall, method, path, query, headers, server, status, duration_ms = noted
        return NewEntry(
            server=self._name(server),
            time=datetime.fromtimestamp(wall, UTC),
            method=method,
            path=path,
            query=redact_query(query.decode("latin-1")),
            headers_json=self._headers_json(headers),
            status=status,
            duration_ms=duration_ms,
        )

    def _headers_json(self, raw: list[tuple[bytes, bytes]]) -> str:
        """The redacted headers as stored, remembered: a client sends the same headers with
        every poll, and redacting them (a Base64 decode) and writing their JSON cost more
        than the rest of the entry."""
        key = tuple(raw)
        stored = self._stored_headers.get(key)
        if stored is None:
            if len(self._stored_headers) >= HEADER_SETS_REMEMBERED:
                self._stored_headers.clear()
            stored = json.dumps(redact_headers(raw), separators=(",", ":"))
            self._stored_headers[key] = stored
        return stored

    def _name(self, server: Any) -> str:
        """`host:port/pid`: the address the request arrived on, and this process."""
        key = tuple(server) if server else None  # a list, from some servers
        name = self._names.get(key)
        if name is None:
            host, port = key or ("?", None)
            address = f"[{host}]" if ":" in str(host) else str(host)
            name = f"{address}:{port}/{self._pid}" if port is not None else f"{address}/{self._pid}"
            self._names[key] = name
        return name

    async def page(
        self,
        *,
        limit: int,
        after: int | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> tuple[list[JournalEntry], bool]:
        """A page of every server's entries (`JournalStore.page`), this server's written
        first."""
        await self.flush()
        return await anyio.to_thread.run_sync(
            lambda: self.store.page(limit=limit, after=after, method=method, path=path)
        )

    async def clear(self) -> int:
        """Empty the journal of every server (this one's notes too); how many it held."""
        await self.flush()
        return await anyio.to_thread.run_sync(self.store.clear)

    def close(self) -> None:
        self.store.close()


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
