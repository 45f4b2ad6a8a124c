"""A `uforge-mock serve` process on a store of its own, on either backend of the suite."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.postgres import PostgresServer
from tests.servers import server_process


@contextmanager
def server_on(
    backend: str,
    request: pytest.FixtureRequest,
    data_dir: Path,
    *,
    startup_timeout: float = 60,
    **settings: str,
) -> Iterator[str]:
    """Serve from a new SQLite file in `data_dir`, or a new database on the session's
    PostgreSQL server (`backend` "sqlite" or "postgresql"); yields the base URL."""
    if backend == "sqlite":
        with server_process(data_dir, startup_timeout=startup_timeout, **settings) as base:
            yield base
        return
    postgres: PostgresServer = request.getfixturevalue("postgres")
    with (
        postgres.database() as url,
        server_process(
            data_dir, startup_timeout=startup_timeout, database_url=url, **settings
        ) as base,
    ):
        yield base
