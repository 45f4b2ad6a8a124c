"""The control plane of one server, on the state every server of the store shares: the
journal of requests and the faults (both in the store), and what this server has yet to write
of them (its journal notes, the hits of unlimited faults), written in the background."""

import asyncio
import contextlib
from dataclasses import dataclass, field

from uforge_mock.control.faults import SharedFaults
from uforge_mock.control.journal import FLUSH_INTERVAL_SECONDS, Journal
from uforge_mock.platform.runtime import Runtime
from uforge_mock.store.journal_store import JournalStore


@dataclass
class ControlPlane:
    journal: Journal
    faults: SharedFaults
    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    _writer: "asyncio.Task[None] | None" = None

    @classmethod
    def of(cls, runtime: Runtime) -> "ControlPlane":
        """The control plane of the server `runtime` is, on its store."""
        return cls(
            journal=Journal(
                JournalStore.beside(runtime.engine), size=runtime.settings.journal_size
            ),
            faults=SharedFaults(runtime.database),
        )

    def noted(self) -> None:
        """Something waits to be written (a journal note, a hit): wake the writer."""
        if not self._wake.is_set():
            self._wake.set()

    async def flush(self) -> None:
        """Write what waits now: the journal's notes, the faults' hits."""
        await self.journal.flush()
        await self.faults.flush_hits()

    def start(self) -> None:
        """Write in the background from now on (the server's start, on its event loop)."""
        self.journal.start()
        self.faults.start()
        self._wake = asyncio.Event()
        if self.journal.waiting:
            self._wake.set()
        self._writer = asyncio.get_running_loop().create_task(self._write_in_background())

    async def stop(self) -> None:
        """Stop writing in the background, and write what waits (the server stops)."""
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer
            self._writer = None
        await self.flush()
        self.journal.close()

    async def _write_in_background(self) -> None:
        # A batch at most every interval, and nothing at all while no request comes.
        while True:
            await self._wake.wait()
            await asyncio.sleep(FLUSH_INTERVAL_SECONDS)
            self._wake.clear()
            await self.flush()

    async def clear(self) -> None:
        """No faults, an empty journal, on every server (a reset)."""
        await self.faults.clear()
        await self.journal.clear()
