"""The control plane spans the servers sharing a store: a fault added through one applies on
every one, its `times` counted once across them; the journal read through one lists the
requests of all (each entry naming its server), bounded, newest last. Real `serve` processes,
on one SQLite file and on one PostgreSQL database."""

import sqlite3
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import create_engine, make_url, text

from tests.conftest import BACKENDS
from tests.postgres import PostgresServer
from tests.servers import server_process, server_processes
from uforge_mock.store.change_tracking import VERSION_QUERY
from uforge_mock.store.journal_store import sidecar_path

TOKEN = "shared-secret"
CONTROL = {"Authorization": f"Bearer {TOKEN}"}
JOURNAL_SIZE = 20
SIZE = str(JOURNAL_SIZE)
STATUS = "/api/status"


@dataclass(frozen=True)
class Servers:
    backend: str
    database_url: str
    a: str
    b: str


def serve(folder: Path, database_url: str) -> AbstractContextManager[str]:
    """One `serve` process with the control API, on the store at `database_url`."""
    return server_process(
        folder,
        database_url=database_url,
        control_enabled="true",
        control_token=TOKEN,
        journal_size=SIZE,
    )


@contextmanager
def two_servers(backend: str, request: pytest.FixtureRequest, folder: Path) -> Iterator[Servers]:
    """Two `serve` processes on one store: on SQLite started one after the other (the first
    prepares the file), on PostgreSQL at the same instant."""
    if backend == "sqlite":
        url = f"sqlite:///{folder / 'store' / 'uforge-mock.db'}"
        with (
            serve(folder / "a", url) as a,
            serve(folder / "b", url) as b,
        ):
            yield Servers(backend, url, a, b)
        return
    postgres: PostgresServer = request.getfixturevalue("postgres")
    with (
        postgres.database() as url,
        server_processes(
            2,
            folder,
            database_url=url,
            control_enabled="true",
            control_token=TOKEN,
            journal_size=SIZE,
        ) as (a, b),
    ):
        yield Servers(backend, url, a, b)


@pytest.fixture(scope="module", params=BACKENDS)
def servers(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Servers]:
    with two_servers(request.param, request, tmp_path_factory.mktemp("shared")) as pair:
        yield pair


@pytest.fixture
def clean(servers: Servers) -> Servers:
    """No faults and an empty journal: what each server still had to write is written first
    (reading the journal through a server writes its notes), then everything is cleared."""
    for base in (servers.a, servers.b):
        control(base, "GET", "/requests")
    control(servers.a, "DELETE", "/faults")
    control(servers.a, "DELETE", "/requests")
    return servers


def control(base: str, method: str, path: str, **options: Any) -> Any:
    response = httpx.request(method, f"{base}/_mock{path}", headers=CONTROL, **options)
    assert response.status_code < 300, response.text
    return response.json() if response.content else None


def journal(base: str) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = control(base, "GET", "/requests")["requests"]
    return entries


def port_of(base: str) -> int:
    port = urlsplit(base).port
    assert port is not None
    return port


def eventually(check: Callable[[], bool], seconds: float = 5) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.05)


# ---------------------------------------------------------------- faults


def test_a_fault_added_through_one_server_answers_a_request_on_another(clean: Servers) -> None:
    assert httpx.get(clean.b + STATUS).status_code == 200  # B has read "no fault" already
    control(clean.a, "POST", "/faults", json={"path": STATUS, "status": 503, "times": 1})

    assert httpx.get(clean.b + STATUS).status_code == 503
    assert httpx.get(clean.a + STATUS).status_code == 200  # used up, on every server
    assert control(clean.a, "GET", "/faults")["faults"] == []


def test_a_counted_fault_fires_its_times_exactly_across_servers_under_concurrent_requests(
    clean: Servers,
) -> None:
    control(clean.b, "POST", "/faults", json={"path": STATUS, "status": 503, "times": 3})

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(
            pool.map(lambda base: httpx.get(base + STATUS).status_code, [clean.a, clean.b] * 12)
        )

    assert sorted(statuses) == [200] * 21 + [503] * 3
    assert control(clean.a, "GET", "/faults")["faults"] == []


def test_an_unlimited_fault_counts_the_hits_of_every_server_and_goes_for_all(
    clean: Servers,
) -> None:
    fault = control(
        clean.a, "POST", "/faults", json={"path": STATUS, "status": 502, "probability": 1.0}
    )
    answers = [httpx.get(base + STATUS).status_code for base in [clean.a] * 2 + [clean.b] * 3]
    assert answers == [502] * 5

    # B adds its hits in the background, within a flush interval.
    eventually(lambda: control(clean.a, "GET", "/faults")["faults"][0]["hits"] == 5)
    control(clean.b, "DELETE", f"/faults/{fault['id']}")
    assert httpx.get(clean.a + STATUS).status_code == 200


# ---------------------------------------------------------------- journal


def test_the_journal_read_through_one_server_lists_the_requests_of_another_naming_it(
    clean: Servers,
) -> None:
    httpx.get(clean.a + STATUS, params={"from": "a"})
    httpx.get(clean.b + STATUS, params={"from": "b"})

    def both_listed() -> bool:
        return {entry["query"] for entry in journal(clean.a)} == {"from=a", "from=b"}

    # A writes its own notes before it reads; B's come within a flush interval.
    eventually(both_listed)
    servers = {entry["query"]: entry["server"] for entry in journal(clean.a)}
    assert servers["from=a"].startswith(f"127.0.0.1:{port_of(clean.a)}/")
    assert servers["from=b"].startswith(f"127.0.0.1:{port_of(clean.b)}/")
    # And through B at once: reading writes B's notes, A's are written already.
    assert {entry["query"] for entry in journal(clean.b)} == {"from=a", "from=b"}


def test_the_journal_keeps_the_newest_entries_of_all_servers_newest_last(
    clean: Servers,
) -> None:
    for number in range(JOURNAL_SIZE):
        httpx.get(clean.a + STATUS, params={"n": number})
    journal(clean.a)  # A's entries written: B's below come after them
    for number in range(JOURNAL_SIZE, JOURNAL_SIZE + 15):
        httpx.get(clean.b + STATUS, params={"n": number})

    entries = journal(clean.b)

    assert [entry["query"] for entry in entries] == [f"n={n}" for n in range(15, 35)]
    ids = [entry["id"] for entry in entries]
    assert ids == sorted(ids)
    assert {entry["server"].split("/")[0] for entry in entries} == {
        f"127.0.0.1:{port_of(clean.a)}",
        f"127.0.0.1:{port_of(clean.b)}",
    }
    # Paged from the oldest, the same entries.
    paged = control(clean.a, "GET", "/requests", params={"after": 0, "limit": 7})
    assert [entry["id"] for entry in paged["requests"]] == ids[:7]


def test_clearing_the_journal_through_one_server_empties_it_for_all(clean: Servers) -> None:
    httpx.get(clean.b + STATUS)
    journal(clean.b)
    assert control(clean.a, "DELETE", "/requests") == {"cleared": 1}
    assert journal(clean.b) == []


def test_journal_writes_leave_what_remembered_reads_watch_unchanged(clean: Servers) -> None:
    """The journal is written every fraction of a second: were it a change the servers'
    remembered reads see, each write would make every server read the store again."""
    with changes_seen(clean) as changes:
        for base in (clean.a, clean.b) * 5:
            assert httpx.get(base + STATUS).status_code == 200
        journal(clean.a)  # A's written (reading writes them), then B's
        assert len(journal(clean.b)) == 10
        assert changes() == 0


@contextmanager
def changes_seen(servers: Servers) -> Iterator[Callable[[], int]]:
    """How many times, since the block began, the store said it changed: SQLite's
    `data_version` as another connection sees it, or PostgreSQL's change counter."""
    if servers.backend == "sqlite":
        database = make_url(servers.database_url).database
        assert database is not None
        assert sidecar_path(Path(database)).is_file()  # where the journal went instead
        observer = sqlite3.connect(database)
        try:
            before = observer.execute("PRAGMA data_version").fetchone()[0]
            yield lambda: int(observer.execute("PRAGMA data_version").fetchone()[0] != before)
        finally:
            observer.close()
        return
    engine = create_engine(servers.database_url)
    try:
        with engine.connect() as connection:
            start = connection.execute(text(VERSION_QUERY)).scalar_one()

        def counted() -> int:
            with engine.connect() as connection:
                return int(connection.execute(text(VERSION_QUERY)).scalar_one() - start)

        yield counted
    finally:
        engine.dispose()
