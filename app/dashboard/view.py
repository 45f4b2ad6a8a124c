"""The dashboard's HTML: Jinja2 templates (`templates/`), rendered once per state and shared.

The page and its live updates come from the same templates: the page includes every section
rendered by `render_sections`, and the live JSON carries those same sections, which the
page's script puts in place of the old ones. One rendering, on the server.
"""

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from uforge_mock.control.faults import fault_json
from uforge_mock.dashboard.reads import World
from uforge_mock.store.control_tables import FaultRecord
from uforge_mock.store.journal_store import JournalEntry

PACKAGE = "uforge_mock.dashboard"
# The sections of the page, in its order; each is `templates/sections/<name>.html`.
SECTIONS = (
    "platform",
    "exports",
    "imports",
    "software",
    "appliances",
    "users",
    "journal",
    "faults",
)
# The assets the page loads, with their media types; nothing else is served from `static/`.
ASSETS = {
    "dashboard.css": "text/css; charset=utf-8",
    "dashboard.js": "text/javascript; charset=utf-8",
    "favicon.svg": "image/svg+xml",
}
# Journal entries shown, newest first.
JOURNAL_ROWS = 30
# How long a live body serves every open dashboard before it is built again (a change made
# from the dashboard forgets it at once): N open pages cost one build per this, not N.
LIVE_MAX_AGE_SECONDS = 0.5


@dataclass(frozen=True, slots=True)
class Platform:
    """What the platform section says of the server (nothing of the store's credentials)."""

    version: str
    backend: str
    database: str
    control: str  # "off", "token", "open"
    poll_seconds: float


@dataclass(frozen=True, slots=True)
class Controls:
    """The control plane's state at the instant read (copied on the event loop)."""

    journal: tuple[JournalEntry, ...]  # newest first
    faults: tuple[dict[str, Any], ...]


def clock_text(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%d %H:%M:%S UTC")


def time_of_day(instant: datetime) -> str:
    return instant.strftime("%H:%M:%S.") + f"{instant.microsecond // 1000:03d}"


def fault_effect(fault: dict[str, Any]) -> str:
    """`503`, `drop`, `+200 ms`, `503 after 100-300 ms`: what a fault does, in a word or two."""
    parts = []
    if "status" in fault:
        parts.append(str(fault["status"]))
    if fault.get("drop"):
        parts.append("drop the connection")
    if "latencyMs" in fault:
        low, high = fault["latencyMs"], fault.get("latencyMaxMs")
        delay = f"{low:g}-{high:g} ms" if high is not None else f"{low:g} ms"
        parts.append(f"after {delay}" if parts else f"delay {delay}")
    return " ".join(parts)


class Templates:
    """The dashboard's templates, compiled when the app is built (a wheel missing one fails
    at start, not at a presenter's first click)."""

    def __init__(self) -> None:
        self.environment = Environment(
            loader=PackageLoader(PACKAGE, "templates"),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.environment.filters.update(
            clock_text=clock_text, time_of_day=time_of_day, fault_effect=fault_effect
        )
        self.page = self.environment.get_template("page.html")
        self.sections = {
            name: self.environment.get_template(f"sections/{name}.html") for name in SECTIONS
        }

    def render_sections(
        self, *, world: World, platform: Platform, controls: Controls | None, can_act: bool
    ) -> dict[str, str]:
        context = {
            "world": world,
            "platform": platform,
            "controls": controls,
            "can_act": can_act,
        }
        return {name: template.render(context) for name, template in self.sections.items()}

    def render_page(
        self,
        *,
        sections: dict[str, str],
        platform: Platform,
        mode: str,
        can_act: bool,
    ) -> str:
        return self.page.render(
            sections={name: Markup(html) for name, html in sections.items()},
            platform=platform,
            mode=mode,
            can_act=can_act,
        )


def load_assets() -> dict[str, bytes]:
    """The files of `static/`, read once (a wheel missing one fails at start)."""
    folder = resources.files(PACKAGE).joinpath("static")
    return {name: folder.joinpath(name).read_bytes() for name in ASSETS}


def controls_of(journal_entries: Sequence[JournalEntry], faults: Sequence[FaultRecord]) -> Controls:
    """The journal's entries (given oldest first) and the faults, as the page shows them."""
    return Controls(
        journal=tuple(reversed(journal_entries)),
        faults=tuple(fault_json(fault) for fault in faults),
    )


@dataclass
class LiveBodies:
    """The last live body built for each kind of viewer (may act or not), for a moment."""

    max_age: float = LIVE_MAX_AGE_SECONDS
    _bodies: dict[bool, tuple[float, bytes]] = field(default_factory=dict)

    def get(self, can_act: bool) -> bytes | None:
        kept = self._bodies.get(can_act)
        if kept is None or time.monotonic() - kept[0] > self.max_age:
            return None
        return kept[1]

    def put(self, can_act: bool, body: bytes) -> None:
        self._bodies[can_act] = (time.monotonic(), body)

    def forget(self) -> None:
        self._bodies.clear()
