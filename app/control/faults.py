"""Faults injected into the UForge routes: latency (fixed or a random range), an error status,
or a dropped connection, for requests matching a method and a path glob; for the next N
requests or with a probability.

The faults live in the store (`store.control_tables`), so a fault added through any server
applies on every server sharing it, and a fault's `times` is counted once across them (each
use is a conditional decrement in the store). Each request reads them through the remembered
reads (`database.fetch`): with no fault set, that is an empty result from memory.
"""

import asyncio
import logging
import random
from collections import Counter
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from uforge_mock.store import control_tables as store
from uforge_mock.store.control_tables import ACTIVE_FAULTS, FaultRecord
from uforge_mock.store.database import Database
from uforge_mock.store.unavailable import OutageLog, store_unreachable

log = logging.getLogger("uforge_mock")


class FaultSpec(BaseModel):
    """What `POST /_mock/faults` takes."""

    model_config = ConfigDict(extra="forbid")

    method: str = Field(default="*", description="HTTP method, or * for any")
    path: str = Field(default="*", description="glob on the request path, e.g. */status")
    latencyMs: float | None = Field(default=None, ge=0, le=600_000, description="fixed delay")
    latencyMaxMs: float | None = Field(
        default=None, ge=0, le=600_000, description="with latencyMs: a random delay in the range"
    )
    status: int | None = Field(default=None, ge=400, le=599, description="answer this error")
    drop: bool = Field(default=False, description="close the connection without an answer")
    times: int | None = Field(default=None, ge=1, description="for the next N matching requests")
    probability: float | None = Field(
        default=None, gt=0, le=1, description="or: on each matching request with this chance"
    )

    @model_validator(mode="after")
    def _one_effect(self) -> "FaultSpec":
        if self.status is not None and self.drop:
            raise ValueError("a fault answers a status or drops the connection, not both")
        if self.latencyMs is None and self.status is None and not self.drop:
            raise ValueError("a fault needs latencyMs, status or drop")
        if self.latencyMaxMs is not None and (
            self.latencyMs is None or self.latencyMaxMs < self.latencyMs
        ):
            raise ValueError("latencyMaxMs needs a latencyMs no larger than it")
        if self.times is not None and self.probability is not None:
            raise ValueError("give times or probability, not both")
        return self


@dataclass(frozen=True, slots=True)
class Fault:
    """A fault as the hot path applies it."""

    id: int
    spec: FaultSpec

    @property
    def counted(self) -> bool:
        return self.spec.times is not None

    def matches(self, method: str, path: str) -> bool:
        return (self.spec.method == "*" or self.spec.method.upper() == method) and fnmatchcase(
            path, self.spec.path
        )

    def latency_seconds(self, chance: random.Random) -> float:
        low = self.spec.latencyMs or 0.0
        high = self.spec.latencyMaxMs if self.spec.latencyMaxMs is not None else low
        return (chance.uniform(low, high) if high > low else low) / 1000


def fault_json(record: FaultRecord) -> dict[str, Any]:
    return {"id": record.id, **record.spec, "remaining": record.remaining, "hits": record.hits}


class SharedFaults:
    """The faults of every server on the store, first added first applied.

    A counted fault (`times`) is used in the store before it applies: of two servers taking
    its last use at once, one gets it. The hits of an unlimited fault are counted here and
    added to the store in the background (`flush_hits`), never making a request wait.
    """

    def __init__(self, database: Database, *, chance: random.Random | None = None) -> None:
        self.database = database
        self.chance = chance or random.Random()
        # The last result of ACTIVE_FAULTS read, and its faults: the remembered reads answer
        # the same list object while the store is unchanged, so it is parsed once.
        self._rows: list[Any] | None = None
        self._faults: tuple[Fault, ...] = ()
        self._hits: Counter[int] = Counter()
        self._hits_lock = asyncio.Lock()
        self._outage = OutageLog("fault hits kept until it is back")

    def start(self) -> None:
        """On the event loop that will serve (a lock belongs to one loop)."""
        self._hits_lock = asyncio.Lock()

    async def take(self, method: str, path: str) -> Fault | None:
        """The fault that applies to this request, if any (a counted fault is used up)."""
        rows = await self.database.fetch(ACTIVE_FAULTS)
        if not rows:
            return None
        for fault in self._active(rows):
            if not fault.matches(method, path):
                continue
            probability = fault.spec.probability
            if probability is not None and self.chance.random() >= probability:
                continue
            if fault.counted:
                if not await self.database.write(store.use_once, fault_id=fault.id):
                    continue  # its last use went to another request, here or elsewhere
            else:
                self._hits[fault.id] += 1
            return fault
        return None

    def _active(self, rows: list[Any]) -> tuple[Fault, ...]:
        if rows is not self._rows:
            known = {fault.id: fault for fault in self._faults}
            self._faults = tuple(
                known.get(fault_id) or Fault(fault_id, FaultSpec.model_validate_json(spec))
                for fault_id, spec in rows
            )
            self._rows = rows
        return self._faults

    async def add(self, spec: FaultSpec) -> FaultRecord:
        return await self.database.write(
            store.add_fault, spec=spec.model_dump(exclude_none=True), times=spec.times
        )

    async def listing(self) -> list[FaultRecord]:
        """Every fault, with the hits of every server (this one's counted to now; another's
        up to its last flush)."""
        await self.flush_hits()
        return await self.database.read(store.all_faults)

    async def remove(self, fault_id: int) -> bool:
        return await self.database.write(store.remove_fault, fault_id=fault_id)

    async def clear(self) -> int:
        self._hits.clear()
        return await self.database.write(store.clear_faults)

    async def flush_hits(self) -> None:
        """Add the hits counted here to the store."""
        async with self._hits_lock:
            if not self._hits:
                return
            hits, self._hits = dict(self._hits), Counter()
            try:
                await self.database.write(store.count_hits, hits=hits)
            except Exception as error:
                if store_unreachable(error):
                    self._outage.note(error)
                    self._hits.update(hits)  # counted at the next flush
                else:
                    log.warning("the hits of %d faults were not counted", len(hits), exc_info=True)
