"""What the control plane costs a request while no fault is set, measured in process.

    .venv/bin/python bench/control_plane.py [--database-url URL] [--requests N] [--rounds R]
    .venv/bin/python bench/control_plane.py --callgrind [--requests N]

Builds two apps on one store (the demo dataset): the control API off, and on with no fault.
Each round calls each app's ASGI stack directly (no socket, no client) for N authenticated
`GET .../exports/17/status` (200 XML) and takes the mean time per request, alternating the
order of the apps; the medians over the rounds are reported, with the difference: the
control plane's cost, its fault check and journal note on the request's path and the
journal's writes (the app with the control API writes what it noted before its time stops).

Wall time on a shared machine is noisy: `--callgrind` runs each app alone under valgrind
with N and 3N requests and reports the difference in instructions per request (startup
cancels out; the count barely moves from run to run). Run it on two checkouts (PYTHONPATH)
to compare them.
"""

import argparse
import asyncio
import base64
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

from uforge_mock.factory import create_app
from uforge_mock.settings import Settings

PATH = "/api/users/guest/mysoftware/918/exports/17/status"
AUTH = b"Basic " + base64.b64encode(b"guest:guest-secret")


def scope() -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": PATH,
        "raw_path": PATH.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", b"127.0.0.1:8080"),
            (b"authorization", AUTH),
            (b"accept", b"application/xml"),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8080),
    }


async def receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


@asynccontextmanager
async def started(settings: Settings) -> AsyncIterator[Any]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


async def mean_microseconds(app: Any, requests: int) -> float:
    statuses: list[int] = []

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    # Its journal's writes are part of its cost (a control plane that writes as it goes, as
    # in older versions, has no flush).
    flush = getattr(app.state.control, "flush", None)
    started_at = time.perf_counter()
    for _ in range(requests):
        await app(scope(), receive, send)
    if flush is not None:
        await flush()
    elapsed = time.perf_counter() - started_at
    assert set(statuses) == {200}, set(statuses)
    return elapsed / requests * 1e6


async def main(arguments: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as folder:
        common: dict[str, Any] = {
            "data_dir": Path(folder),
            "password_hash_memory_kib": 1024,
            "password_hash_time_cost": 1,
            "access_log": False,
        }
        if arguments.database_url:
            common["database_url"] = arguments.database_url
        off = Settings(**common)
        on = Settings(**common, control_enabled=True, control_token="bench")
        async with AsyncExitStack() as stack:
            # Prepared once, by the first: the second finds the store ready.
            apps = {
                name: await stack.enter_async_context(started(settings))
                for name, settings in (("off", off), ("on", on))
                if arguments.app in (name, "both")
            }
            for app in apps.values():  # warm: credential memory, rendered bodies, plans
                await mean_microseconds(app, 200)
            times: dict[str, list[float]] = {name: [] for name in apps}
            for round_number in range(arguments.rounds):
                order = list(apps) if round_number % 2 == 0 else list(reversed(apps))
                for name in order:
                    times[name].append(await mean_microseconds(apps[name], arguments.requests))
    if arguments.app != "both":
        return
    off_us, on_us = (statistics.median(times[name]) for name in ("off", "on"))
    print(f"python {sys.version.split()[0]}, {arguments.rounds} rounds x {arguments.requests}")
    print(f"control API off:            {off_us:7.1f} us/request")
    print(f"control API on, no fault:   {on_us:7.1f} us/request")
    print(f"the control plane's cost:   {on_us - off_us:7.1f} us ({on_us / off_us:.3f}x)")


_TOTAL = re.compile(r"^(?:summary|totals):\s*(\d+)", re.M)


def instructions(app: str, requests: int, database_url: str | None) -> int:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "callgrind.out"
        command = [
            "valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
            sys.executable, __file__, "--app", app, "--requests", str(requests), "--rounds", "1",
        ]  # fmt: skip
        if database_url:
            command += ["--database-url", database_url]
        subprocess.run(command, check=True, capture_output=True)
        match = _TOTAL.search(out.read_text(errors="replace"))
        assert match, "no totals in the callgrind output"
        return int(match.group(1))


def callgrind(arguments: argparse.Namespace) -> None:
    per_request = {}
    for app in ("off", "on"):
        counts = [
            instructions(app, n, arguments.database_url)
            for n in (arguments.requests, 3 * arguments.requests)
        ]
        per_request[app] = (counts[1] - counts[0]) / (2 * arguments.requests)
    off, on = per_request["off"], per_request["on"]
    print(f"callgrind, {arguments.requests} and {3 * arguments.requests} requests")
    print(f"control API off:            {off:9.0f} instructions/request")
    print(f"control API on, no fault:   {on:9.0f} instructions/request")
    print(f"the control plane's cost:   {on - off:9.0f} ({on / off:.3f}x)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a PostgreSQL database (default: SQLite)")
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--app", choices=("off", "on", "both"), default="both")
    parser.add_argument("--callgrind", action="store_true")
    options = parser.parse_args()
    if options.callgrind:
        callgrind(options)
    else:
        asyncio.run(main(options))
