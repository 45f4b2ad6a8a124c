"""`serve --workers N` on Linux: each worker accepts on a socket of its own (SO_REUSEPORT), so
connections opened at once are spread over the workers, not taken by whichever woke first."""

import os
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.servers import free_port, server_environment, server_process
from uforge_mock.cli.workers import spreads_connections

pytestmark = pytest.mark.skipif(
    not spreads_connections(), reason="SO_REUSEPORT spreads connections on Linux only"
)

LISTEN = "0A"
ESTABLISHED = "01"


def sockets_on_port(port: int, state: str) -> set[int]:
    """Inodes of the IPv4 TCP sockets whose local port is `port`, in `state`."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].rsplit(":", 1)[1], 16)
        if local_port == port and fields[3] == state:
            inodes.add(int(fields[9]))
    return inodes


def owners(inodes: set[int]) -> dict[int, int]:
    """The process holding each socket inode, among this user's processes."""
    found: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            for fd in os.listdir(f"/proc/{entry}/fd"):
                target = os.readlink(f"/proc/{entry}/fd/{fd}")
                if target.startswith("socket:["):
                    inode = int(target[8:-1])
                    if inode in inodes:
                        found[inode] = int(entry)
        except OSError:  # a process that ended, or someone else's
            continue
    return found


def port_of(base: str) -> int:
    return int(base.rsplit(":", 1)[1])


def listening_sockets(base: str, count: int, timeout: float = 60) -> set[int]:
    """The port's listening sockets once there are `count` (the first worker to start
    answers before the others listen)."""
    deadline = time.monotonic() + timeout
    while len(listening := sockets_on_port(port_of(base), LISTEN)) < count:
        assert time.monotonic() < deadline, f"{len(listening)} of {count} workers listen"
        time.sleep(0.1)
    return listening


def test_each_worker_listens_on_a_socket_of_its_own(tmp_path: Path) -> None:
    with server_process(tmp_path, "--workers", "2") as base:
        listening = listening_sockets(base, 2)
        # uvicorn's own supervisor shares one socket: one inode, held by both workers.
        assert len(listening) == 2
        assert len(set(owners(listening).values())) == 2


def test_connections_opened_at_once_are_spread_over_the_workers(tmp_path: Path) -> None:
    with server_process(tmp_path, "--workers", "2") as base:
        port = port_of(base)
        listening_sockets(base, 2)
        clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(64)]
        try:
            for client in clients:
                client.sendall(b"GET /api/status HTTP/1.1\r\nHost: localhost\r\n\r\n")
            for client in clients:
                assert client.recv(65536).startswith(b"HTTP/1.1 200")
            served = Counter(owners(sockets_on_port(port, ESTABLISHED)).values())
        finally:
            for client in clients:
                client.close()
    # By a hash of the addresses: 32 each on average; fewer than 16 once in 30,000 runs.
    assert sum(served.values()) == 64
    assert len(served) == 2 and min(served.values()) >= 16, served


@pytest.mark.parametrize("reuse_port", [False, True], ids=["plain", "reuse-port"])
def test_serve_with_workers_refuses_a_port_another_server_listens_on(
    tmp_path: Path, reuse_port: bool
) -> None:
    """Even a socket bound with SO_REUSEPORT by this same user (another `serve --workers`),
    which the workers' sockets could otherwise join and split the connections with."""
    port = free_port()
    with socket.socket() as other:
        if reuse_port:
            other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        other.bind(("127.0.0.1", port))
        other.listen()
        completed = subprocess.run(
            [sys.executable, "-m", "uforge_mock", "serve", "--port", str(port), "--workers", "2"],
            cwd=ROOT,
            env=server_environment(tmp_path),
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert completed.returncode == 3
    assert "Address already in use" in completed.stderr + completed.stdout
