"""Benchmark of uforge-mock's export-status endpoint against a bare FastAPI route, with wrk.

    .venv/bin/python bench/run.py                 # full run: 4 rounds x 10 s per scenario
    .venv/bin/python bench/run.py --quick         # smoke run: 2 rounds x 3 s, 100,000 tickets
    .venv/bin/python bench/run.py --competitors   # also WireMock and Prism (npm, see README)
    .venv/bin/python bench/run.py --database postgresql   # the same on PostgreSQL beside SQLite

It starts, on loopback, each server pinned to one core (`taskset`, --server-core):

- uforge-mock (`uforge-mock serve --no-demo --seed FILE`) on a seed of 10 users, 100
  mySoftware and 1,000 export tickets (bench/dataset.py);
- uforge-mock on a store of 1,000,000 tickets (the same seed, then the rest bulk-inserted);
- the baseline: bench/baseline_app.py, a bare FastAPI `async def` route answering the same path
  with the same bytes as uforge-mock's 200 XML answer, under the same uvicorn (httptools, uvloop);
- optionally WireMock and Prism serving a static copy of that answer.

Then wrk (on another core, --client-core) measures each scenario for --duration seconds, all
scenarios one after the other in each of --rounds rounds (every other round in reverse order),
and the medians are reported: requests/s, p50 and p99 latency, the server's peak RSS during the
scenario (VmHWM, reset before each run), its CPU time per request, and the ratios to the
baseline measured in the same rounds. Nothing is timed inside the servers.

With `--database postgresql` a throwaway PostgreSQL cluster is started (as the tests start one,
tests/postgres.py; pinned to wrk's core, so the servers' core stays theirs) and the small
store's scenarios run again on a server on it (`pg_*`), beside the SQLite ones in the same
rounds; then `pg_workers`: one server with `--workers N` on that same database, on both
cores, behind the same wrk load: several servers sharing one store, their sum.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import importlib.metadata
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import dataset  # noqa: E402

REPORT_LUA = HERE / "wrk" / "report.lua"
RANDOM_LUA = HERE / "wrk" / "random_tickets.lua"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
XML = "application/xml"
JSON = "application/json"

# ---------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rpartition(")")[2].split()[1])
        tree.setdefault(ppid, []).append(int(entry))
    return tree


def process_tree(pid: int) -> list[int]:
    """`pid` and all its descendants."""
    tree, found, todo = _children(), [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(tree.get(current, []))
    return found


def _status_kib(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cpu_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # utime + stime, all threads


def core_busy_ticks(core: int) -> int:
    """Ticks core `core` spent on anything but idle and iowait (from /proc/stat)."""
    for line in Path("/proc/stat").read_text().splitlines():
        if line.startswith(f"cpu{core} "):
            values = [int(value) for value in line.split()[1:]]
            return sum(values) - values[3] - values[4]
    return 0


@dataclass
class Server:
    """A server process started by the benchmark, in its own session so it stops whole."""

    name: str
    argv: list[str]
    port: int
    env: dict[str, str] = field(default_factory=dict)
    log: Path | None = None
    process: subprocess.Popen[bytes] | None = None
    startup_peak_kib: int = 0

    def start(self) -> None:
        assert self.log is not None
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                self.argv,
                env={**os.environ, **self.env},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def wait_ready(self, probe_path: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise SystemExit(f"{self.name} exited at start:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url(probe_path), timeout=2):
                    break
            except urllib.error.HTTPError:
                break  # it answers: ready
            except OSError:
                time.sleep(0.2)
        else:
            raise SystemExit(
                f"{self.name} did not answer within {timeout:.0f} s:\n{self.log_tail()}"
            )
        self.startup_peak_kib = self.peak_kib()

    def log_tail(self, lines: int = 30) -> str:
        assert self.log is not None
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def pids(self) -> list[int]:
        return process_tree(self.pid)

    def main_pid(self) -> int:
        """The process doing the serving: the largest of the tree (java under a wrapper)."""
        return max(self.pids(), key=lambda pid: _status_kib(pid, "VmRSS"))

    def peak_kib(self) -> int:
        return max((_status_kib(pid, "VmHWM") for pid in self.pids()), default=0)

    def reset_peak(self) -> bool:
        """Reset VmHWM to the current RSS (Linux clear_refs 5); False when not allowed."""
        ok = True
        for pid in self.pids():
            try:
                Path(f"/proc/{pid}/clear_refs").write_text("5")
            except OSError:
                ok = False
        return ok

    def cpu_ticks(self) -> int:
        return sum(_cpu_ticks(pid) for pid in self.pids())

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


# ---------------------------------------------------------------- HTTP


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def fetch(url: str, headers: dict[str, str], timeout: float = 30) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


# ---------------------------------------------------------------- scenarios


@dataclass
class Scenario:
    key: str
    title: str
    server: Server
    path: str
    headers: dict[str, str]
    expect_status: int
    lua_args: list[str] | None = None  # random tickets (random_tickets.lua) when set
    warmup_factor: float = 1.0
    # The server runs on every core (wrk's included): other load is counted over all of them.
    spread: bool = False
    runs: list[dict] = field(default_factory=list)

    def wrk_argv(self, *, threads: int, connections: int, duration: float, core: int) -> list:
        argv = ["taskset", "-c", str(core), "wrk", f"-t{threads}", f"-c{connections}"]
        argv += [f"-d{duration:g}s", "--timeout", "5s"]
        argv += ["-s", str(RANDOM_LUA if self.lua_args else REPORT_LUA)]
        for name, value in self.headers.items():
            argv += ["-H", f"{name}: {value}"]
        argv.append(self.server.url(self.path))
        if self.lua_args:
            argv += ["--", *self.lua_args]
        return argv


def wait_for_quiet(cores: list[int], threshold: float, patience: float) -> float:
    """Wait (at most `patience` s) until each of `cores` is busy less than `threshold` of a
    half-second: on a shared machine, other work on the server's or wrk's core would be
    measured too. Returns the seconds waited."""
    started = time.monotonic()
    while True:
        before = [core_busy_ticks(core) for core in cores]
        time.sleep(0.5)
        after = [core_busy_ticks(core) for core in cores]
        busiest = max((b - a) / CLOCK_TICKS / 0.5 for a, b in zip(before, after, strict=True))
        waited = time.monotonic() - started
        if busiest < threshold or waited >= patience:
            return waited


def run_wrk(
    scenario: Scenario,
    options: argparse.Namespace,
    duration: float,
    *,
    retries: int | None = None,
    wait: bool = True,
) -> dict:
    """One wrk run of `scenario`; a run that other processes disturbed (more than
    --disturbed of either core) is done again, at most `retries` times. With `wait`, each
    attempt first waits for quiet cores (--quiet-threshold)."""
    retries = options.retries if retries is None else retries
    for attempt in range(retries + 1):
        result = _measure(scenario, options, duration, wait=wait)
        result["attempt"] = attempt + 1
        if not is_disturbed(result, options.disturbed):
            break
    return result


def is_disturbed(run: dict, threshold: float) -> bool:
    """Other processes took more than `threshold` of the server's core or of wrk's. Work on
    wrk's core counts too: on this kind of virtual machine the two cores slow each other down
    (measured: 70 % foreign load on wrk's core cost the server a third of its throughput)."""
    return max(run["foreign_core_share"], run["foreign_client_core_share"]) > threshold


def _measure(
    scenario: Scenario, options: argparse.Namespace, duration: float, *, wait: bool
) -> dict:
    server = scenario.server
    waited = 0.0
    if wait and options.quiet_threshold < 1:
        waited = wait_for_quiet(
            [options.server_core, options.client_core],
            options.quiet_threshold,
            options.quiet_patience,
        )
    peak_reset = server.reset_peak()
    store_before = store_cpu_ticks(options)
    cpu_before = server.cpu_ticks()
    core_before = core_busy_ticks(options.server_core)
    client_before = core_busy_ticks(options.client_core)
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    completed = subprocess.run(
        scenario.wrk_argv(
            threads=options.threads,
            connections=options.connections,
            duration=duration,
            core=options.client_core,
        ),
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.monotonic() - started
    cpu_after = server.cpu_ticks()
    store_after = store_cpu_ticks(options)
    core_after = core_busy_ticks(options.server_core)
    client_after = core_busy_ticks(options.client_core)
    children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next(
        (line for line in completed.stdout.splitlines() if line.startswith("WRK_JSON ")), None
    )
    if completed.returncode != 0 or line is None:
        raise SystemExit(f"wrk failed on {scenario.key}:\n{completed.stdout}\n{completed.stderr}")
    result = json.loads(line.removeprefix("WRK_JSON "))
    requests = result["requests"]
    seconds = result["duration_us"] / 1e6
    server_cpu = (cpu_after - cpu_before) / CLOCK_TICKS
    core_busy = (core_after - core_before) / CLOCK_TICKS
    wrk_cpu = (children_after.ru_utime + children_after.ru_stime) - (
        children_before.ru_utime + children_before.ru_stime
    )
    client_busy = (client_after - client_before) / CLOCK_TICKS
    # The PostgreSQL cluster (when there is one) runs on wrk's core: its work is the
    # scenario's, not other processes'.
    store_cpu = (store_after - store_before) / CLOCK_TICKS
    foreign_server = max(core_busy - server_cpu, 0.0) / elapsed
    foreign_client = max(client_busy - wrk_cpu - store_cpu, 0.0) / elapsed
    if scenario.spread:
        foreign_server = foreign_client = (
            max(core_busy + client_busy - server_cpu - wrk_cpu - store_cpu, 0.0) / elapsed
        )
    result.update(
        rps=requests / seconds,
        peak_kib=server.peak_kib(),
        peak_reset=peak_reset,
        cpu_us_per_request=server_cpu / requests * 1e6 if requests else float("nan"),
        server_cpu_share=server_cpu / elapsed,
        wrk_cpu_share=wrk_cpu / elapsed,
        store_cpu_us_per_request=store_cpu / requests * 1e6 if requests else float("nan"),
        # Core time that neither the server, wrk nor the store accounts for: other processes.
        foreign_core_share=foreign_server,
        foreign_client_core_share=foreign_client,
        waited_for_quiet_s=round(waited, 1),
    )
    return result


def store_cpu_ticks(options: argparse.Namespace) -> int:
    """CPU ticks of the PostgreSQL cluster so far (0 without one)."""
    postmaster = getattr(options, "postmaster_pid", None)
    if postmaster is None:
        return 0
    return sum(_cpu_ticks(pid) for pid in process_tree(postmaster))


# ---------------------------------------------------------------- PostgreSQL


def start_postgres(stack: contextlib.ExitStack, core: int) -> tuple[str, int]:
    """A throwaway cluster (tests/postgres.py), its processes pinned to `core`, and a database
    on it: the database's URL and the postmaster's pid."""
    sys.path.insert(0, str(HERE.parent))
    from tests.postgres import PostgresServer, throwaway_cluster  # the tests' own cluster

    mask = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {core})  # inherited by pg_ctl and the postmaster it starts
    try:
        cluster = stack.enter_context(throwaway_cluster())
    finally:
        os.sched_setaffinity(0, mask)
    server = PostgresServer(cluster)
    name = server.create_database()
    port = str(server.url.port)
    postmaster = next(
        pid
        for pid in (int(entry) for entry in os.listdir("/proc") if entry.isdigit())
        if _is_postmaster(pid, port)
    )
    return server.database_url(name), postmaster


def _is_postmaster(pid: int, port: str) -> bool:
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return Path(argv[0].decode()).name == "postgres" and port.encode() in argv


# ---------------------------------------------------------------- setup


def find_uforge_mock() -> list[str]:
    script = Path(sys.executable).with_name("uforge-mock")
    if script.exists():
        return [str(script)]
    found = shutil.which("uforge-mock")
    return [found] if found else [sys.executable, "-m", "uforge_mock"]


def check_tools() -> None:
    for tool in ("wrk", "taskset"):
        if shutil.which(tool) is None:
            raise SystemExit(
                f"{tool} is missing: apt-get install -y wrk util-linux (Debian), then run again"
            )
    for module in ("fastapi", "uvicorn", "httptools", "uvloop", "uforge_mock"):
        try:
            __import__(module)
        except ImportError:
            raise SystemExit(
                f"cannot import {module}: run this with the project's virtual environment "
                "(.venv/bin/python bench/run.py) after pip install -e ."
            ) from None


def pinned(core: int, argv: list[str]) -> list[str]:
    return ["taskset", "-c", str(core), *argv]


def run_checked(argv: list[str], env: dict[str, str], what: str) -> None:
    completed = subprocess.run(
        argv, env={**os.environ, **env}, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise SystemExit(f"{what} failed:\n{completed.stdout}\n{completed.stderr}")
    print(f"  {what}: {completed.stdout.strip().splitlines()[-1]}", flush=True)


def find_npm_package(npm_dir: Path, relative: str) -> Path | None:
    matches = sorted((npm_dir / "node_modules").glob(relative))
    return matches[-1] if matches else None


def wiremock_server(
    work: Path, npm_dir: Path, core: int, path: str, auth: tuple[str, str], body: bytes, headers
) -> Server:
    jar = find_npm_package(npm_dir, "wiremock/build/wiremock-standalone-*.jar")
    if jar is None or shutil.which("java") is None:
        raise SystemExit(
            f"WireMock not found under {npm_dir}: npm install --prefix {npm_dir} wiremock@3 "
            "(it runs on the machine's Java 11+)"
        )
    root = work / "wiremock"
    (root / "mappings").mkdir(parents=True)
    mapping = {
        "request": {
            "method": "GET",
            "url": path,
            "basicAuthCredentials": {"username": auth[0], "password": auth[1]},
        },
        "response": {"status": 200, "body": body.decode("utf-8"), "headers": headers},
    }
    (root / "mappings" / "status.json").write_text(json.dumps(mapping, indent=1))
    port = free_port()
    argv = ["java", "-jar", str(jar), "--port", str(port), "--bind-address", "127.0.0.1"]
    argv += ["--root-dir", str(root), "--no-request-journal", "--disable-request-logging"]
    argv += ["--disable-banner"]
    return Server("wiremock", pinned(core, argv), port, log=work / "wiremock.log")


def prism_server(work: Path, npm_dir: Path, core: int, path: str, body: bytes) -> Server:
    cli = find_npm_package(npm_dir, "@stoplight/prism-cli/dist/index.js")
    if cli is None or shutil.which("node") is None:
        raise SystemExit(
            f"Prism not found under {npm_dir}: npm install --prefix {npm_dir} "
            "@stoplight/prism-cli@5"
        )
    document = {
        "openapi": "3.0.3",
        "info": {"title": "uforge-mock static copy", "version": "1"},
        "paths": {
            path: {
                "get": {
                    "operationId": "status",
                    "security": [{"basic": []}],
                    "responses": {
                        "200": {
                            "description": "the export's status",
                            "content": {
                                XML: {"schema": {"type": "string"}, "example": body.decode("utf-8")}
                            },
                        }
                    },
                }
            }
        },
        "components": {"securitySchemes": {"basic": {"type": "http", "scheme": "basic"}}},
    }
    spec = work / "prism-openapi.json"
    spec.write_text(json.dumps(document, indent=1))
    port = free_port()
    argv = ["node", str(cli), "mock", str(spec), "-h", "127.0.0.1", "-p", str(port)]
    argv += ["--verboseLevel", "error"]
    return Server("prism", pinned(core, argv), port, log=work / "prism.log")


# ---------------------------------------------------------------- environment


def _version(argv: list[str], pattern: str = r"(\d+\.\d+[\w.\-+]*)") -> str:
    try:
        completed = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "not found"
    match = re.search(pattern, completed.stdout + completed.stderr)
    return match.group(1) if match else "unknown"


def environment(servers: list[Server], npm_dir: Path) -> dict:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    packages = {}
    for name in (
        "uforge-mock",
        "fastapi",
        "starlette",
        "uvicorn",
        "httptools",
        "uvloop",
        "SQLAlchemy",
        "sqlmodel",
        "pydantic",
        "lxml",
        "orjson",
        "argon2-cffi",
        "libpass",
    ):
        try:
            packages[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            packages[name] = "not installed"
    loaded = {}
    for server in servers:
        if not server.name.startswith(("uforge", "baseline")):
            continue
        maps = Path(f"/proc/{server.main_pid()}/maps").read_text()
        loaded[server.name] = {
            "httptools": "httptools" in maps,
            "uvloop": "uvloop" in maps,
        }
    info = {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "wrk": _version(["wrk", "-v"], r"wrk (\S+)"),
        "packages": packages,
        "event_loop_and_parser": loaded,
    }
    if any(server.name == "wiremock" for server in servers):
        jar = find_npm_package(npm_dir, "wiremock/build/wiremock-standalone-*.jar")
        info["wiremock"] = jar.name if jar else "?"
        info["java"] = _version(["java", "-version"], r'version "([^"]+)"')
    if any(server.name == "prism" for server in servers):
        cli = find_npm_package(npm_dir, "@stoplight/prism-cli/dist/index.js")
        info["prism"] = _version(["node", str(cli), "--version"]) if cli else "?"
        info["node"] = _version(["node", "--version"])
    return info


# ---------------------------------------------------------------- reporting


def summarize(scenario: Scenario) -> dict:
    runs = scenario.runs
    return {
        "rps": statistics.median(run["rps"] for run in runs),
        "p50_ms": statistics.median(run["p50_us"] for run in runs) / 1000,
        "p99_ms": statistics.median(run["p99_us"] for run in runs) / 1000,
        "peak_mib": max(run["peak_kib"] for run in runs) / 1024,
        "cpu_us": statistics.median(run["cpu_us_per_request"] for run in runs),
        "errors": sum(
            run["errors_connect"] + run["errors_read"] + run["errors_write"] + run["errors_timeout"]
            for run in runs
        ),
        "non_2xx_3xx": sum(run["errors_status"] for run in runs),
        "requests": sum(run["requests"] for run in runs),
        "foreign_core_share": max(run["foreign_core_share"] for run in runs),
        "foreign_client_core_share": max(run["foreign_client_core_share"] for run in runs),
        "disturbed_runs_kept": sum(is_disturbed(run, 0.10) for run in runs),
        "rps_runs": [round(run["rps"]) for run in runs],
    }


def results_table(scenarios: list[Scenario], baseline: Scenario) -> tuple[list[str], dict]:
    base = summarize(baseline)
    summaries = {}
    header = (
        "| scenario | server | req/s | p50 ms | p99 ms | peak RSS MiB | CPU µs/req "
        "| req/s vs baseline | p99 vs baseline | runs (req/s) |"
    )
    lines = [header, "|" + "---|" * 10]
    for scenario in scenarios:
        summary = summarize(scenario)
        summary["rps_ratio"] = summary["rps"] / base["rps"]
        summary["p99_ratio"] = summary["p99_ms"] / base["p99_ms"]
        summaries[scenario.key] = summary
        lines.append(
            f"| {scenario.title} | {scenario.server.name} | {summary['rps']:,.0f} "
            f"| {summary['p50_ms']:.2f} | {summary['p99_ms']:.2f} | {summary['peak_mib']:.1f} "
            f"| {summary['cpu_us']:,.0f} | {summary['rps_ratio']:.2f}x "
            f"| {summary['p99_ratio']:.2f}x | {' '.join(map(str, summary['rps_runs']))} |"
        )
    return lines, summaries


def targets(summaries: dict, servers: dict[str, Server]) -> list[str]:
    def verdict(ok: bool) -> str:
        return "met" if ok else "**missed**"

    lines = ["| target | measured | verdict |", "|---|---|---|"]
    xml, not_modified = summaries["xml200"], summaries["304"]
    lines.append(
        f"| authenticated 200 XML ≥ 0.6x the bare route | {xml['rps_ratio']:.2f}x "
        f"| {verdict(xml['rps_ratio'] >= 0.6)} |"
    )
    lines.append(
        f"| 304 (If-None-Match) ≥ 0.7x the bare route | {not_modified['rps_ratio']:.2f}x "
        f"| {verdict(not_modified['rps_ratio'] >= 0.7)} |"
    )
    if "wiremock" in summaries:
        ratio = xml["rps"] / summaries["wiremock"]["rps"]
        lines.append(
            f"| stretch: 200 XML ≥ 1.0x WireMock's static stub | {ratio:.2f}x "
            f"| {verdict(ratio >= 1.0)} |"
        )
    else:
        lines.append("| stretch: 200 XML ≥ 1.0x WireMock's static stub | not run | - |")
    lines.append(
        f"| p99 of 200 XML ≤ 2x the bare route's (same connections) | {xml['p99_ratio']:.2f}x "
        f"({xml['p99_ms']:.1f} ms) | {verdict(xml['p99_ratio'] <= 2.0)} |"
    )
    for key, polled in (
        ("random_big_same", "the same 1,000 polled"),
        ("random_big", "any ticket: every read a first read"),
    ):
        if "random_small" in summaries and key in summaries:
            small, big = summaries["random_small"], summaries[key]
            ratio = big["rps"] / small["rps"]
            lines.append(
                f"| big store: req/s within 10% of 1,000 tickets ({polled}) | {ratio:.2f}x "
                f"({big['rps']:,.0f} vs {small['rps']:,.0f}) | {verdict(ratio >= 0.9)} |"
            )
    big_runs = [summaries[key] for key in ("random_big_same", "random_big") if key in summaries]
    if big_runs:
        server = servers["uforge-big"]
        peak = max(*(run["peak_mib"] for run in big_runs), server.startup_peak_kib / 1024)
        lines.append(
            f"| big store: peak RSS < 150 MB | {peak:.1f} MiB ({peak * 1.048576:.1f} MB) "
            f"| {verdict(peak * 1.048576 < 150)} |"
        )
    return lines


def within_rounds(numerator: dict, denominator: dict) -> str:
    """The ratio in each round (scenarios of one round run back to back, so a machine whose
    speed drifts moves both alike) and their median: shown beside the ratio of the medians,
    on which the verdicts rest."""
    ratios = [a / b for a, b in zip(numerator["rps_runs"], denominator["rps_runs"], strict=False)]
    if not ratios:
        return ""
    each = " ".join(f"{ratio:.2f}" for ratio in ratios)
    return f"; within rounds {each}, median {statistics.median(ratios):.2f}x"


def wiremock_target(summaries: dict) -> list[str]:
    """The SQLite-backed 200 XML against WireMock's static stub (issue 15: at least 0.5x)."""
    if "wiremock" not in summaries or "xml200" not in summaries:
        return []
    ours, stub = summaries["xml200"], summaries["wiremock"]
    ratio = ours["rps"] / stub["rps"]
    return [
        f"| 200 XML ≥ 0.5x WireMock's static stub | {ratio:.2f}x ({ours['rps']:,.0f} vs "
        f"{stub['rps']:,.0f}{within_rounds(ours, stub)}) | "
        f"{'met' if ratio >= 0.5 else '**missed**'} |"
    ]


def postgres_targets(summaries: dict, options: argparse.Namespace) -> list[str]:
    """The PostgreSQL-backed server against the SQLite-backed one, and N servers against one."""
    if "pg_xml200" not in summaries or "xml200" not in summaries:
        return []

    def verdict(ok: bool) -> str:
        return "met" if ok else "**missed**"

    sqlite, postgres = summaries["xml200"], summaries["pg_xml200"]
    ratio = postgres["rps"] / sqlite["rps"]
    p99 = postgres["p99_ms"] / sqlite["p99_ms"]
    lines = [
        f"| PostgreSQL 200 XML ≥ 0.5x SQLite's (stretch 0.8x) | {ratio:.2f}x "
        f"({postgres['rps']:,.0f} vs {sqlite['rps']:,.0f}{within_rounds(postgres, sqlite)}) "
        f"| {verdict(ratio >= 0.5)}"
        f"{', stretch met' if ratio >= 0.8 else ''} |",
        f"| PostgreSQL p99 ≤ 2x SQLite's | {p99:.2f}x ({postgres['p99_ms']:.1f} vs "
        f"{sqlite['p99_ms']:.1f} ms) | {verdict(p99 <= 2.0)} |",
    ]
    if "pg_workers" in summaries:
        several = summaries["pg_workers"]
        scale = several["rps"] / postgres["rps"]
        lines.append(
            f"| {options.workers} servers on one PostgreSQL ≥ 1.6x one (wrk shares a core "
            f"with them) | {scale:.2f}x ({several['rps']:,.0f} vs {postgres['rps']:,.0f}"
            f"{within_rounds(several, postgres)}) "
            f"| {verdict(scale >= 1.6)} |"
        )
    return lines


# ---------------------------------------------------------------- main


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark uforge-mock's export-status endpoint against a bare FastAPI "
        "route (and optionally WireMock and Prism) with wrk.",
    )
    parser.add_argument("--duration", type=float, default=10, help="seconds per run (10)")
    parser.add_argument("--warmup", type=float, default=3, help="warm-up seconds (3)")
    parser.add_argument("--rounds", type=int, default=4, help="rounds of all scenarios (4)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (32)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (1)")
    parser.add_argument(
        "--big-tickets",
        type=int,
        default=1_000_000,
        metavar="N",
        help="tickets in the big store (1,000,000); 0 skips it",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: 2 rounds of 3 s, 1 s warm-up, 100,000 tickets",
    )
    parser.add_argument(
        "--competitors",
        action="store_true",
        help="also WireMock and Prism serving a static copy (npm packages)",
    )
    parser.add_argument(
        "--npm-dir",
        type=Path,
        default=HERE / ".npm",
        help="npm --prefix where wiremock and @stoplight/prism-cli are installed (bench/.npm)",
    )
    parser.add_argument(
        "--database",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="postgresql: also the small store's scenarios on a throwaway PostgreSQL cluster, "
        "and several servers on it (--workers) behind the same load (sqlite: SQLite only)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=2,
        help="worker processes of the several-servers scenario on PostgreSQL (2)",
    )
    parser.add_argument("--server-core", type=int, default=0, help="core of the servers (0)")
    parser.add_argument("--client-core", type=int, default=1, help="core of wrk (1)")
    parser.add_argument(
        "--quiet-threshold",
        type=float,
        default=0.15,
        help="before each run, wait until the server and wrk cores are less busy than this "
        "share (0.15; 1 disables the wait)",
    )
    parser.add_argument(
        "--quiet-patience", type=float, default=30, help="longest wait for quiet, s (30)"
    )
    parser.add_argument(
        "--disturbed",
        type=float,
        default=0.10,
        help="a run during which other processes used more than this share of the server's "
        "core or of wrk's is done again (0.10)",
    )
    parser.add_argument(
        "--retries", type=int, default=2, help="most repeats of a disturbed run (2)"
    )
    parser.add_argument("--markdown", type=Path, help="also write the report as markdown here")
    parser.add_argument("--json", type=Path, help="also write every run's numbers as JSON here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--only", help="comma-separated scenario keys to run (with baseline)")
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="after the rounds, record py-spy profiles of uforge-mock on the "
        "200 XML and 304 scenarios into DIR (needs py-spy)",
    )
    parser.add_argument("--profile-seconds", type=float, default=15)
    options = parser.parse_args(argv)
    if options.quick:
        options.duration, options.warmup, options.rounds = 3, 1, 2
        options.big_tickets = min(options.big_tickets, 100_000)
    return options


def main(argv: list[str] | None = None) -> int:
    options = parse_arguments(argv)
    check_tools()
    command_line = "python bench/run.py " + " ".join(sys.argv[1:] if argv is None else argv)
    work = Path(tempfile.mkdtemp(prefix="uforge-bench-"))
    servers: list[Server] = []
    with contextlib.ExitStack() as stack:
        try:
            return _benchmark(options, work, servers, command_line.strip(), stack)
        finally:
            for server in servers:
                server.stop()
            if options.keep:
                print(f"kept {work}")
            else:
                shutil.rmtree(work, ignore_errors=True)


def _benchmark(
    options: argparse.Namespace,
    work: Path,
    servers: list[Server],
    command_line: str,
    stack: contextlib.ExitStack,
) -> int:
    uforge = find_uforge_mock()
    core = options.server_core
    started_at = datetime.now(UTC)
    scenario_count = 8 + (2 if options.competitors else 0)
    if options.database == "postgresql":
        scenario_count += 7
    # The running export must still run at the end, waits for a quiet machine included.
    runs = scenario_count * (options.rounds + 1)
    estimate = scenario_count * (options.rounds * (options.duration + 1.5) + options.warmup * 20)
    if options.quiet_threshold < 1:
        estimate += runs * options.quiet_patience
    live_duration = max(300.0, 1.5 * estimate + 300)

    print(f"preparing in {work}", flush=True)
    seed = work / "seed.json"
    dataset.write_seed(seed, tickets=1000, live_started=started_at, live_duration=live_duration)

    port = free_port()
    small = Server(
        "uforge-1k",
        pinned(core, [*uforge, "serve", "--no-demo", "--seed", str(seed), "--port", str(port)]),
        port,
        env={"UFORGE_MOCK_DATA_DIR": str(work / "small")},
        log=work / "uforge-1k.log",
    )
    servers.append(small)

    big: Server | None = None
    if options.big_tickets > 1000:
        big_env = {"UFORGE_MOCK_DATA_DIR": str(work / "big")}
        database = f"sqlite:///{work / 'big' / 'uforge-mock.db'}"
        run_checked([*uforge, "migrate"], big_env, "big store: migrate")
        run_checked([*uforge, "seed", str(seed)], big_env, "big store: seed")
        run_checked(
            [
                sys.executable,
                str(HERE / "dataset.py"),
                "fill",
                database,
                "--first",
                "1001",
                "--last",
                str(options.big_tickets),
            ],
            {},
            "big store: bulk insert",
        )
        port = free_port()
        big = Server(
            "uforge-big",
            pinned(core, [*uforge, "serve", "--no-demo", "--port", str(port)]),
            port,
            env=big_env,
            log=work / "uforge-big.log",
        )
        servers.append(big)
        big.start()

    small.start()
    small.wait_ready("/api/status", timeout=120)
    if big is not None:
        big.wait_ready("/api/status", timeout=120)

    on_postgres: Server | None = None
    workers: Server | None = None
    if options.database == "postgresql":
        print("starting a throwaway PostgreSQL cluster", flush=True)
        url, options.postmaster_pid = start_postgres(stack, options.client_core)
        port = free_port()
        on_postgres = Server(
            "uforge-pg",
            pinned(core, [*uforge, "serve", "--no-demo", "--seed", str(seed), "--port", str(port)]),
            port,
            env={"UFORGE_MOCK_DATA_DIR": str(work / "pg"), "UFORGE_MOCK_DATABASE_URL": url},
            log=work / "uforge-pg.log",
        )
        servers.append(on_postgres)
        on_postgres.start()
        on_postgres.wait_ready("/api/status", timeout=120)
        # The same database, already seeded: N servers sharing it, on every core (wrk's too).
        port = free_port()
        every_core = f"{options.server_core},{options.client_core}"
        workers = Server(
            f"uforge-pg-{options.workers}w",
            [
                "taskset",
                "-c",
                every_core,
                *uforge,
                "serve",
                "--no-demo",
                "--workers",
                str(options.workers),
                "--port",
                str(port),
            ],
            port,
            env={"UFORGE_MOCK_DATA_DIR": str(work / "pg-workers"), "UFORGE_MOCK_DATABASE_URL": url},
            log=work / "uforge-pg-workers.log",
        )
        servers.append(workers)
        workers.start()
        workers.wait_ready("/api/status", timeout=120)

    fixed_path = dataset.ticket_path(dataset.FIXED_TICKET)
    owner = dataset.owner_of_ticket(dataset.FIXED_TICKET)
    credentials = (dataset.login(owner), dataset.password(owner))
    auth = basic(*credentials)
    xml_headers = {"Authorization": auth, "Accept": XML}
    status, headers, body = fetch(small.url(fixed_path), xml_headers)
    if status != 200:
        raise SystemExit(f"uforge-mock answered {status} to the 200 XML request: {body[:300]!r}")
    headers = {name.lower(): value for name, value in headers.items()}
    etag = headers["etag"]
    body_file = work / "status.xml"
    body_file.write_bytes(body)
    print(f"  200 XML body: {len(body)} bytes, ETag {etag}", flush=True)

    port = free_port()
    baseline = Server(
        "baseline",
        pinned(
            core,
            [
                sys.executable,
                "-m",
                "uvicorn",
                "baseline_app:app",
                "--app-dir",
                str(HERE),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--http",
                "httptools",
                "--loop",
                "uvloop",
            ],
        ),
        port,
        env={"BENCH_BASELINE_BODY": str(body_file), "BENCH_BASELINE_PATH": fixed_path},
        log=work / "baseline.log",
    )
    servers.append(baseline)
    baseline.start()
    baseline.wait_ready(fixed_path, timeout=60)

    static_headers = {
        name: headers[name.lower()]
        for name in ("Content-Type", "ETag", "Last-Modified", "Vary", "Cache-Control", "version")
    }
    wiremock = prism = None
    if options.competitors:
        wiremock = wiremock_server(
            work, options.npm_dir, core, fixed_path, credentials, body, static_headers
        )
        prism = prism_server(work, options.npm_dir, core, fixed_path, body)
        for server in (wiremock, prism):
            servers.append(server)
            server.start()
        for server in (wiremock, prism):
            server.wait_ready("/", timeout=120)

    # Each user's credentials are checked (argon2, ~0.2 s) once, before any measurement (by
    # each worker: a few times more where there are several).
    for server in (small, big, on_postgres, workers, workers, workers):
        if server is None:
            continue
        for user in range(dataset.USERS):
            ticket = next(t for t in range(1, 200) if dataset.owner_of_ticket(t) == user)
            answer = fetch(
                server.url(dataset.ticket_path(ticket)),
                {"Authorization": basic(dataset.login(user), dataset.password(user))},
            )[0]
            if answer != 200:
                raise SystemExit(f"{server.name}: ticket {ticket} answered {answer}")

    live_path = dataset.ticket_path(dataset.LIVE_TICKET)
    live_owner = dataset.owner_of_ticket(dataset.LIVE_TICKET)
    live_auth = basic(dataset.login(live_owner), dataset.password(live_owner))
    every_auth = [basic(dataset.login(u), dataset.password(u)) for u in range(dataset.USERS)]
    layout = [str(dataset.SOFTWARE_BASE), str(dataset.SOFTWARE), str(dataset.USERS)]

    base_scenario = Scenario(
        "baseline", "bare FastAPI route, same bytes", baseline, fixed_path, xml_headers, 200
    )
    scenarios = [
        base_scenario,
        Scenario("xml200", "200 XML, authenticated", small, fixed_path, xml_headers, 200),
        Scenario(
            "json200",
            "200 JSON, authenticated",
            small,
            fixed_path,
            {"Authorization": auth, "Accept": JSON},
            200,
        ),
        Scenario(
            "304",
            "304, If-None-Match",
            small,
            fixed_path,
            {**xml_headers, "If-None-Match": etag},
            304,
        ),
        Scenario(
            "401",
            "401, wrong password",
            small,
            fixed_path,
            {"Authorization": basic(credentials[0], "wrong-password"), "Accept": XML},
            401,
        ),
        Scenario(
            "live",
            "200 XML, running export (body moves)",
            small,
            live_path,
            {"Authorization": live_auth, "Accept": XML},
            200,
        ),
        Scenario(
            "random_small",
            "200 XML, random ticket of 1,000",
            small,
            "/",
            {"Accept": XML},
            200,
            lua_args=["1000", "/api", *layout, *every_auth],
        ),
    ]
    if big is not None:
        # The same 1,000 tickets polled in a store 1,000 times larger: what the store's size
        # costs. Then every ticket of the big store at random: each read is a first read, past
        # every cache (the worst case for the server's memory of rows and rendered bodies).
        scenarios.append(
            Scenario(
                "random_big_same",
                f"200 XML, random ticket of the first 1,000 of {options.big_tickets:,}",
                big,
                "/",
                {"Accept": XML},
                200,
                lua_args=["1000", "/api", *layout, *every_auth],
            )
        )
        scenarios.append(
            Scenario(
                "random_big",
                f"200 XML, random ticket of {options.big_tickets:,}",
                big,
                "/",
                {"Accept": XML},
                200,
                lua_args=[str(options.big_tickets), "/api", *layout, *every_auth],
            )
        )
    if on_postgres is not None and workers is not None:
        # The small store's scenarios again, the store on PostgreSQL.
        for scenario in list(scenarios[1:7]):
            scenarios.append(
                Scenario(
                    f"pg_{scenario.key}",
                    f"{scenario.title} (PostgreSQL)",
                    on_postgres,
                    scenario.path,
                    scenario.headers,
                    scenario.expect_status,
                    lua_args=scenario.lua_args,
                )
            )
        scenarios.append(
            Scenario(
                "pg_workers",
                f"200 XML, authenticated, {options.workers} servers on one PostgreSQL "
                "(every core, wrk's too)",
                workers,
                fixed_path,
                xml_headers,
                200,
                spread=True,
            )
        )
    if wiremock is not None and prism is not None:
        scenarios.append(
            Scenario(
                "wiremock",
                "WireMock static stub, Basic-auth matcher",
                wiremock,
                fixed_path,
                xml_headers,
                200,
                warmup_factor=20,
            )
        )
        scenarios.append(
            Scenario(
                "prism",
                "Prism static example",
                prism,
                fixed_path,
                xml_headers,
                200,
                warmup_factor=20,
            )
        )
    if options.only:
        wanted = {"baseline", *options.only.split(",")}
        scenarios = [scenario for scenario in scenarios if scenario.key in wanted]

    # Every scenario answers what it should before it is measured.
    for scenario in scenarios:
        if scenario.lua_args:
            tickets = int(scenario.lua_args[0])
            for ticket in (1, tickets // 2, tickets):
                owner_auth = basic(*_credentials_of(ticket))
                answer = fetch(
                    scenario.server.url(dataset.ticket_path(ticket)),
                    {"Authorization": owner_auth, "Accept": XML},
                )[0]
                if answer != 200:
                    raise SystemExit(f"{scenario.key}: ticket {ticket} answered {answer}")
            continue
        answer, _, answer_body = fetch(scenario.server.url(scenario.path), scenario.headers)
        if answer != scenario.expect_status:
            raise SystemExit(
                f"{scenario.key}: expected {scenario.expect_status}, got {answer}: "
                f"{answer_body[:300]!r}"
            )
        if scenario.key in ("baseline", "wiremock", "prism") and answer_body != body:
            print(f"  note: {scenario.key} does not answer the same bytes", flush=True)
    live_before = fetch(small.url(live_path), {"Authorization": live_auth, "Accept": XML})[2]

    info = environment(servers, options.npm_dir)
    print(f"  environment: {json.dumps(info)}", flush=True)
    for server in servers:
        print(
            f"  {server.name}: pid {server.main_pid()}, port {server.port}, "
            f"RSS peak at start {server.startup_peak_kib / 1024:.1f} MiB",
            flush=True,
        )

    print(f"warm-up: {options.warmup:g} s per scenario", flush=True)
    for scenario in scenarios:
        run_wrk(scenario, options, options.warmup * scenario.warmup_factor, retries=0)

    print(
        f"measuring: {options.rounds} rounds x {len(scenarios)} scenarios x {options.duration:g} s",
        flush=True,
    )
    for round_number in range(options.rounds):
        order = scenarios if round_number % 2 == 0 else list(reversed(scenarios))
        for scenario in order:
            result = run_wrk(scenario, options, options.duration)
            scenario.runs.append(result)
            print(
                f"  round {round_number + 1} {scenario.key:13s} {result['rps']:9,.0f} req/s  "
                f"p50 {result['p50_us'] / 1000:6.2f} ms  p99 {result['p99_us'] / 1000:6.2f} ms  "
                f"peak {result['peak_kib'] / 1024:6.1f} MiB  "
                f"cpu {result['cpu_us_per_request']:6.0f} µs/req  "
                f"non-2xx/3xx {result['errors_status']}  "
                f"other load: server core {result['foreign_core_share']:.0%}, "
                f"wrk core {result['foreign_client_core_share']:.0%}"
                + (f" (attempt {result['attempt']})" if result["attempt"] > 1 else ""),
                flush=True,
            )
    live_after = fetch(small.url(live_path), {"Authorization": live_auth, "Accept": XML})[2]

    table, summaries = results_table(scenarios[1:], base_scenario)
    summaries["baseline"] = summarize(base_scenario)
    base = summaries["baseline"]
    table.insert(
        2,
        f"| {base_scenario.title} | baseline | {base['rps']:,.0f} | {base['p50_ms']:.2f} "
        f"| {base['p99_ms']:.2f} | {base['peak_mib']:.1f} | {base['cpu_us']:,.0f} | 1.00x "
        f"| 1.00x | {' '.join(map(str, base['rps_runs']))} |",
    )
    by_name = {server.name: server for server in servers}
    goal_lines = targets(summaries, by_name) if "xml200" in summaries and "304" in summaries else []
    goal_lines += postgres_targets(summaries, options)
    goal_lines += wiremock_target(summaries)
    percent = re.compile(rb"<percentage>(\d+)</percentage>")
    live_note = (
        f"Running export: {percent.search(live_before).group(1).decode()} % before the rounds, "
        f"{percent.search(live_after).group(1).decode()} % after "
        f"(it runs {live_duration:.0f} s from the start of the benchmark)."
        if percent.search(live_before) and percent.search(live_after)
        else ""
    )
    if b"<complete>true</complete>" in live_after:
        live_note += " WARNING: it had finished before the end of the rounds."
    report = [
        f"Command: `{command_line}`  ",
        f"Started {started_at:%Y-%m-%d %H:%M} UTC; {options.rounds} rounds x "
        f"{options.duration:g} s per scenario after {options.warmup:g} s of warm-up; wrk "
        f"-t{options.threads} -c{options.connections} on core {options.client_core}, servers "
        f"on core {options.server_core}. Medians over the rounds; peak RSS is the largest."
        + (
            f" PostgreSQL ({options.database}) on core {options.client_core} with wrk; "
            f"pg_workers: {options.workers} workers on cores {options.server_core} and "
            f"{options.client_core}, sharing wrk's core."
            if options.database == "postgresql"
            else ""
        ),
        "",
        *table,
        "",
        *goal_lines,
        "",
        live_note,
        "",
        "Servers' RSS peak at start (before any reset): "
        + ", ".join(f"{s.name} {s.startup_peak_kib / 1024:.1f} MiB" for s in servers)
        + ".",
    ]
    print("\n" + "\n".join(report), flush=True)
    for scenario in scenarios:
        summary = summaries[scenario.key]
        if (
            summary["errors"]
            or (scenario.expect_status >= 400 and summary["non_2xx_3xx"] != summary["requests"])
            or (scenario.expect_status < 400 and summary["non_2xx_3xx"])
        ):
            print(
                f"WARNING: {scenario.key}: {summary['errors']} socket errors, "
                f"{summary['non_2xx_3xx']} non-2xx/3xx of {summary['requests']}"
            )
        if summary["disturbed_runs_kept"]:
            print(
                f"WARNING: {scenario.key}: {summary['disturbed_runs_kept']} run(s) kept although "
                f"other processes used up to {summary['foreign_core_share']:.0%} of the server "
                f"core and {summary['foreign_client_core_share']:.0%} of wrk's"
            )

    if options.profile:
        profile(options, scenarios, small)

    if options.markdown:
        environment_lines = ["", "Environment:", "", "```", json.dumps(info, indent=1), "```"]
        options.markdown.write_text("\n".join(report + environment_lines) + "\n")
        print(f"wrote {options.markdown}")
    if options.json:
        options.json.write_text(
            json.dumps(
                {
                    "command": command_line,
                    "started": started_at.isoformat(),
                    "environment": info,
                    "summaries": summaries,
                    "runs": {scenario.key: scenario.runs for scenario in scenarios},
                    "startup_peak_kib": {s.name: s.startup_peak_kib for s in servers},
                },
                indent=1,
            )
        )
        print(f"wrote {options.json}")
    return 0


def _credentials_of(ticket: int) -> tuple[str, str]:
    owner = dataset.owner_of_ticket(ticket)
    return dataset.login(owner), dataset.password(owner)


def profile(options: argparse.Namespace, scenarios: list[Scenario], server: Server) -> None:
    """py-spy (sampling from outside the process) while wrk drives one scenario at a time."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists() and shutil.which("py-spy") is None:
        raise SystemExit("py-spy is missing: pip install py-spy")
    options.profile.mkdir(parents=True, exist_ok=True)
    for scenario in scenarios:
        if scenario.key not in ("xml200", "304", "json200", "401"):
            continue
        output = options.profile / f"{scenario.key}.stacks"
        # Quiet first: py-spy itself keeps wrk's core busy once it runs.
        if options.quiet_threshold < 1:
            wait_for_quiet(
                [options.server_core, options.client_core],
                options.quiet_threshold,
                options.quiet_patience,
            )
        log = (options.profile / f"{scenario.key}.py-spy.log").open("wb")
        recorder = subprocess.Popen(
            pinned(
                options.client_core,
                [
                    spy,
                    "record",
                    "--pid",
                    str(server.main_pid()),
                    "--rate",
                    "1000",
                    "--nonblocking",
                    "--format",
                    "raw",
                    "--output",
                    str(output),
                    "--duration",
                    str(max(int(options.profile_seconds) - 2, 1)),
                ],
            ),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        time.sleep(0.5)  # attached before the load starts
        result = run_wrk(scenario, options, options.profile_seconds, retries=0, wait=False)
        recorder.wait(timeout=60)
        log.close()
        (options.profile / f"{scenario.key}.wrk.json").write_text(json.dumps(result, indent=1))
        print(
            f"profiled {scenario.key}: {output} ({result['rps']:,.0f} req/s under py-spy, "
            f"{result['cpu_us_per_request']:.0f} µs CPU per request)",
            flush=True,
        )


if __name__ == "__main__":
    sys.exit(main())
