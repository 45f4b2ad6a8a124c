"""Faults injected into the UForge routes: latency (fixed or a random range), an error status,
or a dropped connection, for requests matching a method and a path glob; for the next N
requests or with a probability."""

import itertools
import random
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


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


@dataclass
class Fault:
    id: int
    spec: FaultSpec
    remaining: int | None
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        return (self.spec.method == "*" or self.spec.method.upper() == method) and fnmatchcase(
            path, self.spec.path
        )

    def latency_seconds(self, chance: random.Random) -> float:
        low = self.spec.latencyMs or 0.0
        high = self.spec.latencyMaxMs if self.spec.latencyMaxMs is not None else low
        return (chance.uniform(low, high) if high > low else low) / 1000

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            **self.spec.model_dump(exclude_none=True),
            "remaining": self.remaining,
            "hits": self.hits,
        }


@dataclass
class FaultTable:
    """The faults of one server process, first added first applied."""

    faults: list[Fault] = field(default_factory=list)
    chance: random.Random = field(default_factory=random.Random)
    _ids: "itertools.count[int]" = field(default_factory=lambda: itertools.count(1))

    def add(self, spec: FaultSpec) -> Fault:
        fault = Fault(id=next(self._ids), spec=spec, remaining=spec.times)
        self.faults.append(fault)
        return fault

    def remove(self, fault_id: int) -> bool:
        before = len(self.faults)
        self.faults = [fault for fault in self.faults if fault.id != fault_id]
        return len(self.faults) < before

    def clear(self) -> int:
        count = len(self.faults)
        self.faults = []
        return count

    def take(self, method: str, path: str) -> Fault | None:
        """The fault that applies to this request, if any (a counted fault is used up)."""
        for fault in self.faults:
            if not fault.matches(method, path):
                continue
            if (
                fault.spec.probability is not None
                and self.chance.random() >= fault.spec.probability
            ):
                continue
            fault.hits += 1
            if fault.remaining is not None:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self.faults.remove(fault)
            return fault
        return None
