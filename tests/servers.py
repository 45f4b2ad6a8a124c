"""`uforge-mock serve` as a real process on a free loopback port, for black-box tests."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.conftest import FAST_HASHING, ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_environment(data_dir: Path, **settings: str) -> dict[str, str]:
    """This process's environment without UFORGE_MOCK_* leftovers, plus `settings`."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("UFORGE_MOCK_")}
    env["UFORGE_MOCK_DATA_DIR"] = str(data_dir)
    for name, value in {**FAST_HASHING, **settings}.items():
        env[f"UFORGE_MOCK_{name.upper()}"] = str(value)
    return env


def uforge_mock(
    tmp_path: Path, *arguments: str, database_url: str = ""
) -> subprocess.CompletedProcess[str]:
    """Run `python -m uforge_mock ARGUMENTS` on the store in `tmp_path/data`, as users run it."""
    return subprocess.run(
        [sys.executable, "-m", "uforge_mock", *arguments],
        cwd=ROOT,
        env=server_environment(tmp_path / "data", database_url=database_url),
        capture_output=True,
        text=True,
        timeout=120,
    )


@contextmanager
def server_process(
    data_dir: Path, *arguments: str, startup_timeout: float = 60, **settings: str
) -> Iterator[str]:
    """Run `python -m uforge_mock serve ARGUMENTS` and yield its base URL (without /api)."""
    with server_processes(
        1, data_dir, *arguments, startup_timeout=startup_timeout, **settings
    ) as bases:
        yield bases[0]


@contextmanager
def server_processes(
    count: int, data_dir: Path, *arguments: str, startup_timeout: float = 60, **settings: str
) -> Iterator[list[str]]:
    """Start `count` servers at the same instant (all on the store `settings` name), and yield
    their base URLs once every one answers."""
    data_dir.mkdir(parents=True, exist_ok=True)
    started: list[tuple[subprocess.Popen[bytes], str, Path]] = []
    try:
        for index in range(count):
            port = free_port()
            log = data_dir / f"serve-{index}.log"
            with log.open("wb") as output:
                process = subprocess.Popen(
                    [sys.executable, "-m", "uforge_mock", "serve", "--port", str(port), *arguments],
                    cwd=ROOT,
                    env=server_environment(data_dir, **settings),
                    stdout=output,
                    stderr=subprocess.STDOUT,
                )
            started.append((process, f"http://127.0.0.1:{port}", log))
        deadline = time.monotonic() + startup_timeout
        for process, base, log in started:
            _wait_until_answering(process, base, log, deadline)
        yield [base for _, base, _ in started]
    finally:
        for process, _, _ in started:
            process.terminate()
        for process, _, _ in started:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_answering(
    process: subprocess.Popen[bytes], base: str, log: Path, deadline: float
) -> None:
    while True:
        try:
            httpx.get(f"{base}/api/status", timeout=1)
            return
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start:\n{log.read_text()}") from None
            time.sleep(0.1)
