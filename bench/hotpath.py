"""The in-process cost of one export-status poll, without a network: what the server's code
costs per request, measured the same way every time.

    python bench/hotpath.py [--app uforge|floor|baseline] [--scenario xml200|json200|304|401]
                            [--layer protocol|asgi] [--requests N]
    python bench/hotpath.py --callgrind [same options]   # instructions per request

`--layer protocol` (the default) feeds each request's bytes to the server's HTTP protocol
(`UForgeHttpProtocol`, uvicorn's httptools protocol with our limits, access log on as `serve`
runs, its lines written to /dev/null) over a transport that keeps what is written, on uvloop;
`--layer asgi` calls the ASGI app directly. Nothing but the server's own work is measured: no
socket, no client. The apps:

- `uforge`: `create_app` on a SQLite store seeded with the benchmark's dataset (`dataset.py`),
  the request of `run.py`'s scenario (ticket 1, Basic auth);
- `floor`: a raw ASGI callable answering the same bytes and headers (the least any Python
  server on uvicorn can do per request);
- `baseline`: `run.py`'s bare FastAPI route (`baseline_app.py`) with the same bytes.

Wall time on this machine is noisy. `--callgrind` runs the same program twice under valgrind
(`--tool=callgrind`), with N and 3N requests, and prints the difference in instructions per
request: startup, imports and seeding cancel out, and the count is the same from run to run.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import logging
import os
import re
import subprocess
import sys
import tempfile
import time
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import dataset  # noqa: E402

XML = "application/xml"
JSON = "application/json"


class Transport(asyncio.Transport):
    """A connection's transport that keeps what the server writes."""

    def __init__(self) -> None:
        super().__init__()
        self.written: list[bytes] = []
        self.closing = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written.append(bytes(data))

    def writelines(self, chunks: Any) -> None:
        self.written.append(b"".join(chunks))

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 50000), "sockname": ("127.0.0.1", 8080)}.get(
            name, default
        )

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def can_write_eof(self) -> bool:
        return False

    def get_protocol(self) -> Any:
        return self.protocol

    def set_protocol(self, protocol: Any) -> None:
        self.protocol = protocol


def request_bytes(path: str, headers: dict[str, str]) -> bytes:
    lines = [
        f"GET {path} HTTP/1.1",
        "Host: 127.0.0.1:8080",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def basic(login: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode()


def scenario_headers(scenario: str, etag: str | None) -> dict[str, str]:
    owner = dataset.owner_of_ticket(dataset.FIXED_TICKET)
    auth = basic(dataset.login(owner), dataset.password(owner))
    if scenario == "401":
        auth = basic(dataset.login(owner), "wrong-password")
    headers = {"User-Agent": "wrk", "Authorization": auth}
    headers["Accept"] = JSON if scenario == "json200" else XML
    if scenario == "304":
        assert etag is not None
        headers["If-None-Match"] = etag
    return headers


async def build_uforge(work: Path, stack: AsyncExitStack) -> Any:
    from uforge_mock.factory import create_app
    from uforge_mock.settings import Settings

    seed = dataset.write_seed(
        work / "seed.json", tickets=1000, live_started=datetime.now(UTC), live_duration=600
    )
    settings = Settings(
        data_dir=work / "data",
        seed=seed,
        demo=False,
        # Cheap hashes: each credential is hashed once, then remembered; not what is measured.
        password_hash_memory_kib=64,
        password_hash_time_cost=1,
    )
    app = create_app(settings)
    await stack.enter_async_context(app.router.lifespan_context(app))
    return app, settings


def floor_app(body: bytes, headers: list[tuple[bytes, bytes]]) -> Any:
    start = {"type": "http.response.start", "status": 200, "headers": headers}
    end = {"type": "http.response.body", "body": body, "more_body": False}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send(start)
        await send(end)

    return app


class Driver:
    """Sends one request at a time to an app, through the protocol or straight to ASGI."""

    def __init__(self, app: Any, layer: str, settings: Any, *, access_log: bool = True) -> None:
        self.app = app
        self.layer = layer
        if layer == "protocol":
            from uvicorn.config import Config
            from uvicorn.server import ServerState

            from uforge_mock.platform.protocol import server_options

            options = server_options(settings)
            config = Config(app, access_log=access_log, log_level="info", **options)
            config.load()
            for handler in logging.getLogger("uvicorn.access").handlers:
                if isinstance(handler, logging.StreamHandler):
                    handler.setStream(open(os.devnull, "w"))  # noqa: SIM115
            state = ServerState()
            self.transport = Transport()
            self.protocol = config.http_protocol_class(config, state, {})
            self.transport.set_protocol(self.protocol)
            self.protocol.connection_made(self.transport)

    async def send(self, raw: bytes, path: str, headers: dict[str, str]) -> bytes:
        if self.layer == "protocol":
            self.transport.written.clear()
            self.protocol.data_received(raw)
            cycle = self.protocol.cycle
            while not cycle.response_complete:
                await asyncio.sleep(0)
            return b"".join(self.transport.written)
        return await self._asgi(path, headers)

    async def _asgi(self, path: str, headers: dict[str, str]) -> bytes:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": "1.1",
            "server": ("127.0.0.1", 8080),
            "client": ("127.0.0.1", 50000),
            "scheme": "http",
            "method": "GET",
            "root_path": "",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
            "state": {},
        }
        out: list[bytes] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                out.append(b"%d " % message["status"])
                out.extend(b"%s: %s\n" % pair for pair in message["headers"])
            else:
                out.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return b"".join(out)


async def run(options: argparse.Namespace) -> None:
    path = dataset.ticket_path(dataset.FIXED_TICKET)
    async with AsyncExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="uforge-hot-")))
        uforge, settings = await build_uforge(work, stack)
        probe = Driver(uforge, "asgi", settings)
        answer = await probe.send(b"", path, scenario_headers("xml200", None))
        head, _, body = answer.partition(b"\n<")
        body = b"<" + body
        etag = re.search(rb"etag: (\S+)", head, re.I)
        assert answer.startswith(b"200 "), answer[:300]
        assert etag is not None
        headers = scenario_headers(options.scenario, etag.group(1).decode())
        if options.app == "uforge":
            app = uforge
        elif options.app == "floor":
            static = [
                tuple(line.split(b": ", 1)) for line in head.split(b"\n")[1:] if b": " in line
            ]
            app = floor_app(body, static)  # type: ignore[arg-type]
        else:
            os.environ["BENCH_BASELINE_BODY"] = str(work / "body.xml")
            os.environ["BENCH_BASELINE_PATH"] = path
            (work / "body.xml").write_bytes(body)
            import baseline_app

            app = baseline_app.app
        driver = Driver(app, options.layer, settings, access_log=not options.no_access_log)
        raw = request_bytes(path, headers)
        first = await driver.send(raw, path, headers)
        if options.verbose:
            print(first.decode("latin-1"), file=sys.stderr)
        for _ in range(200):  # warm-up: every memory filled
            await driver.send(raw, path, headers)
        started, cpu = time.perf_counter(), time.process_time()
        for _ in range(options.requests):
            await driver.send(raw, path, headers)
        wall = (time.perf_counter() - started) / options.requests * 1e6
        cpu = (time.process_time() - cpu) / options.requests * 1e6
        print(
            f"{options.app} {options.scenario} {options.layer}: {options.requests} requests, "
            f"{wall:.1f} us wall, {cpu:.1f} us CPU per request; first answer {first[:12]!r}",
            flush=True,
        )


_TOTAL = re.compile(r"^(?:summary|totals):\s*(\d+)", re.M)


def callgrind(options: argparse.Namespace, argv: list[str]) -> None:
    """Instructions per request: runs with N and 3N requests under callgrind, differenced."""
    counts = []
    base = [a for a in argv if a != "--callgrind"]
    with tempfile.TemporaryDirectory(prefix="uforge-cg-") as folder:
        for n in (options.requests, 3 * options.requests):
            out = Path(folder) / f"cg.{n}"
            command = [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={out}",
                sys.executable,
                __file__,
                *base,
                "--requests",
                str(n),
            ]
            subprocess.run(command, check=True, stderr=subprocess.DEVNULL)
            match = _TOTAL.search(out.read_text(errors="replace"))
            assert match is not None
            counts.append(int(match.group(1)))
            if options.keep_profile:
                target = Path(options.keep_profile).with_suffix(f".{n}")
                target.write_bytes(out.read_bytes())
    per_request = (counts[1] - counts[0]) / (2 * options.requests)
    print(
        f"callgrind {options.app} {options.scenario} {options.layer}: "
        f"{per_request:,.0f} instructions per request "
        f"({counts[0]:,} for {options.requests}, {counts[1]:,} for {3 * options.requests})"
    )


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--app", choices=("uforge", "floor", "baseline"), default="uforge")
    parser.add_argument("--scenario", choices=("xml200", "json200", "304", "401"), default="xml200")
    parser.add_argument("--layer", choices=("protocol", "asgi"), default="protocol")
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--no-access-log", action="store_true", help="as serve --no-access-log")
    parser.add_argument("--callgrind", action="store_true")
    parser.add_argument("--keep-profile", help="callgrind: keep both outputs as FILE.N")
    parser.add_argument("--verbose", action="store_true", help="print the first answer")
    options = parser.parse_args(argv)
    if options.callgrind:
        argv = [a for i, a in enumerate(argv) if not _is_requests(argv, i)]
        callgrind(options, argv)
        return
    import uvloop

    uvloop.run(run(options))


def _is_requests(argv: list[str], index: int) -> bool:
    return argv[index] == "--requests" or (index > 0 and argv[index - 1] == "--requests")


if __name__ == "__main__":
    main()
