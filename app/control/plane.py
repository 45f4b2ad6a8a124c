"""The control plane's state in one server process: its request journal and its faults."""

from dataclasses import dataclass, field

from uforge_mock.control.faults import FaultTable
from uforge_mock.control.journal import Journal


@dataclass
class ControlPlane:
    journal: Journal = field(default_factory=Journal)
    faults: FaultTable = field(default_factory=FaultTable)

    def clear(self) -> None:
        """No faults, an empty journal (a reset)."""
        self.faults.clear()
        self.journal.clear()
