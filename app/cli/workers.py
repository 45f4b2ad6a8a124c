"""`serve --workers N`: N processes on one port, each accepting from a queue of its own.

uvicorn's supervisor binds one socket and hands it to every worker: all of them accept from one
queue, and the worker that wakes first takes every connection waiting (uvloop accepts until the
queue is empty). Under a burst of new connections, such as a load test or a CI farm opening 32
at once, one worker can hold most or all of them while the others idle: 23/9, 24/8 and 26/6 of
32 in three runs of the benchmark's two-server scenario, 32/0 in others.

On Linux, sockets bound to one address with SO_REUSEPORT each get a queue of their own, and the
kernel spreads new connections over them by a hash of both ends' addresses. uvicorn's
supervisor stays (it restarts a worker that dies, and answers SIGHUP, SIGTTIN, SIGTTOU); only
what it hands to a worker changes. The parent binds the port with SO_REUSEPORT and does not
listen on it (so it is never given a connection, and a port in use fails here, once); a worker
receives that socket pickled, and unpickling it binds a new socket of its own to the same
address, which the worker's server listens on. Elsewhere the shared socket stays.
"""

import logging
import socket
import sys
from typing import Any

import uvicorn
from uvicorn.supervisors import Multiprocess

logger = logging.getLogger("uvicorn.error")

# The exit status of a server that could not start (uvicorn's own).
STARTUP_FAILURE = 3


def spreads_connections() -> bool:
    """Whether each worker gets a listening socket of its own here (Linux)."""
    return sys.platform == "linux" and hasattr(socket, "SO_REUSEPORT")


def serve_workers(config: uvicorn.Config) -> None:
    """Run `config.workers` worker processes under uvicorn's supervisor, until it stops."""
    shared = _bind_port_share(config) if spreads_connections() else config.bind_socket()
    try:
        Multiprocess(config, sockets=[shared]).run()
    except KeyboardInterrupt:
        pass
    finally:
        shared.close()


class PortShare(socket.socket):
    """The parent's socket on the port: pickled for a worker, a new socket on its address."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (_listener_on, (self.family, self.getsockname()))


def _listener_on(family: socket.AddressFamily, address: Any) -> socket.socket:
    """In a worker: a socket of its own bound to the port's address (the server listens)."""
    listener = _reusing_port(socket.socket(family, socket.SOCK_STREAM))
    listener.bind(address)
    return listener


def _reusing_port(sock: socket.socket) -> socket.socket:
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    return sock


def _bind_port_share(config: uvicorn.Config) -> PortShare:
    """The parent's socket on the port (bound, never listening), logged as uvicorn logs its
    own; a port another server listens on ends the command as uvicorn would."""
    family = socket.AF_INET6 if config.host and ":" in config.host else socket.AF_INET
    address = (config.host, config.port)
    share = PortShare(family, socket.SOCK_STREAM)
    try:
        if config.port != 0:
            # A port another server holds is an error, as it is for one worker: even one
            # bound with SO_REUSEPORT by the same user (another `serve --workers`), which the
            # share's own bind would join and split the connections with.
            with socket.socket(family, socket.SOCK_STREAM) as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                probe.bind(address)
        _reusing_port(share).bind(address)
    except OSError as error:
        share.close()
        logger.error(error)
        sys.exit(STARTUP_FAILURE)
    host, port = share.getsockname()[:2]
    logger.info(
        "Uvicorn running on http://%s:%d (Press CTRL+C to quit); %d workers, each "
        "accepting on a socket of its own (SO_REUSEPORT)",
        f"[{host}]" if family == socket.AF_INET6 else host,
        port,
        config.workers,
    )
    return share
