"""A PostgreSQL server for the tests, and a fresh database on it for each test.

The server is the one `UFORGE_MOCK_TEST_DATABASE_URL` names (its role must be allowed to create
databases), or else a throwaway cluster started here from Debian's server binaries (`initdb`,
`pg_ctl`), listening on a free loopback port and deleted at the end of the session. PostgreSQL
refuses to run as root, so as root the cluster belongs to the `postgres` user.
"""

import glob
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import URL, make_url

from tests.servers import free_port

TEST_DATABASE_URL = "UFORGE_MOCK_TEST_DATABASE_URL"
SERVER_USER = "postgres"


class PostgresUnavailable(Exception):
    """No server given and none can be started on this machine."""


class PostgresServer:
    """A server on which the tests create (and drop) their own databases."""

    def __init__(self, url: str) -> None:
        self.url = make_url(url)
        if self.url.get_backend_name() != "postgresql":
            raise PostgresUnavailable(f"{TEST_DATABASE_URL} is not a PostgreSQL URL: {url}")
        # Unique per session, so that runs sharing one server never meet.
        self.prefix = f"uforge_test_{uuid.uuid4().hex[:8]}"
        self.template: str | None = None
        self.created = 0

    def database_url(self, name: str) -> str:
        url: URL = self.url.set(drivername="postgresql+psycopg", database=name)
        return url.render_as_string(hide_password=False)

    def execute(self, statement: sql.Composed) -> None:
        """Run `statement` outside a transaction (CREATE/DROP DATABASE need that)."""
        libpq = self.url.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(libpq, autocommit=True) as connection:
            connection.execute(statement)

    def create_database(self, *, template: str | None = None) -> str:
        """A new database, empty or a copy of `template`; returns its name."""
        self.created += 1
        name = f"{self.prefix}_{self.created}"
        self.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template or "template0")
            )
        )
        return name

    def drop_database(self, name: str) -> None:
        # FORCE: a test may leave connections open (an engine it never disposed).
        self.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )

    @contextmanager
    def database(self, *, template: str | None = None) -> Iterator[str]:
        """A fresh database for the duration of the block; yields its SQLAlchemy URL."""
        name = self.create_database(template=template)
        try:
            yield self.database_url(name)
        finally:
            self.drop_database(name)


def server_binaries() -> Path | None:
    """The folder of `initdb` and `pg_ctl`: pg_config's, else the newest Debian one, else PATH."""
    candidates: list[Path] = []
    if shutil.which("pg_config"):
        result = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
        if result.returncode == 0:
            candidates.append(Path(result.stdout.strip()))
    # Debian installs each major version beside the others: the newest first.
    debian = sorted(
        (Path(path) for path in glob.glob("/usr/lib/postgresql/*/bin")),
        key=lambda path: [int(part) for part in path.parent.name.split(".") if part.isdigit()],
        reverse=True,
    )
    candidates.extend(debian)
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).resolve().parent)
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    return None


class Cluster:
    """A PostgreSQL cluster in a temporary folder, on a free loopback port: started, stopped
    and started again at will (a test of a store that goes away), deleted by `remove`."""

    def __init__(self) -> None:
        binaries = server_binaries()
        if binaries is None:
            raise PostgresUnavailable(
                "no PostgreSQL server binaries (initdb, pg_ctl) on this machine"
            )
        self.binaries = binaries
        self.as_root = os.geteuid() == 0
        if self.as_root and shutil.which("runuser") is None:
            raise PostgresUnavailable("running as root without runuser to drop privileges")
        self.top = Path(tempfile.mkdtemp(prefix="uforge-mock-pg-"))
        self.data, self.sockets, self.log = self.top / "data", self.top / "run", self.top / "log"
        self.sockets.mkdir()
        if self.as_root:
            shutil.chown(self.top, SERVER_USER)
            shutil.chown(self.sockets, SERVER_USER)
        self.port = free_port()
        self.url = f"postgresql+psycopg://{SERVER_USER}@127.0.0.1:{self.port}/postgres"
        self.running = False

    def _run(self, *command: str) -> None:
        run_as = ["runuser", "-u", SERVER_USER, "--"] if self.as_root else []
        result = subprocess.run([*run_as, *command], capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            details = self.log.read_text() if self.log.exists() else ""
            raise PostgresUnavailable(
                f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}{details}"
            )

    def create(self) -> None:
        self._run(
            str(self.binaries / "initdb"),
            f"--pgdata={self.data}",
            f"--username={SERVER_USER}",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        )

    def start(self) -> None:
        # A test server: durability buys nothing here and costs most of the time.
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.sockets} -c fsync=off"
            " -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        pg_ctl = str(self.binaries / "pg_ctl")
        self._run(pg_ctl, "start", "-w", "-D", str(self.data), "-l", str(self.log), "-o", options)
        self.running = True

    def stop(self) -> None:
        self._run(str(self.binaries / "pg_ctl"), "stop", "-m", "fast", "-D", str(self.data))
        self.running = False

    def remove(self) -> None:
        try:
            if self.running:
                self.stop()
        finally:
            shutil.rmtree(self.top, ignore_errors=True)


@contextmanager
def running_cluster() -> Iterator[Cluster]:
    """A new cluster, started; stopped and deleted at the end."""
    cluster = Cluster()
    try:
        cluster.create()
        cluster.start()
        yield cluster
    finally:
        cluster.remove()


@contextmanager
def throwaway_cluster() -> Iterator[str]:
    """Start a PostgreSQL cluster in a temporary folder; yield the URL of its `postgres` db."""
    with running_cluster() as cluster:
        yield cluster.url


@contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """The server named by UFORGE_MOCK_TEST_DATABASE_URL, else a throwaway cluster."""
    given = os.environ.get(TEST_DATABASE_URL)
    if given:
        yield PostgresServer(given)
        return
    with throwaway_cluster() as url:
        yield PostgresServer(url)


if __name__ == "__main__":
    # `python -m tests.postgres`: a throwaway cluster for scripts (tools/docker-check.sh). Prints
    # the URL of its `postgres` database, then runs until its standard input is closed.
    with throwaway_cluster() as cluster_url:
        print(cluster_url, flush=True)
        sys.stdin.read()
