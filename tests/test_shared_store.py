"""Several server processes on one PostgreSQL database act as one server: they prepare the store
once between them, answer alike at the same instant, and see each other's writes at once."""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.postgres import PostgresServer
from tests.servers import server_processes

pytestmark = pytest.mark.postgresql

GUEST = ("guest", "guest-secret")
CONTROL = {"Authorization": "Bearer shared-secret"}
SOFTWARE = "/api/users/guest/mysoftware/918"
EXPORTS = f"{SOFTWARE}/exports"
# The demo's mySoftware whose exports run for 5 s, then fail at 40 %.
FAILING_EXPORTS = "/api/users/guest/mysoftware/919/exports"
JSON = {"Accept": "application/json"}
# Headers that describe the content; Date and the like may differ between two servers.
CONTENT_HEADERS = ("content-type", "etag", "last-modified", "vary", "cache-control", "version")


@pytest.fixture(scope="module")
def two_servers(
    postgres: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[str]]:
    """Two `serve` processes started at the same instant on one empty database (they migrate it
    and load the demo dataset themselves). The tests only change exports they create."""
    with (
        postgres.database() as url,
        server_processes(
            2,
            tmp_path_factory.mktemp("two"),
            database_url=url,
            export_duration_seconds="0",
            control_enabled="true",
            control_token="shared-secret",
        ) as bases,
    ):
        yield bases


def answer(response: httpx.Response) -> tuple[int, bytes, dict[str, str | None]]:
    return (
        response.status_code,
        response.content,
        {name: response.headers.get(name) for name in CONTENT_HEADERS},
    )


def at_once(bases: list[str], path: str, headers: dict[str, str]) -> list[httpx.Response]:
    """GET `path` from every server at the same time."""
    with ThreadPoolExecutor(max_workers=len(bases)) as pool:
        return list(
            pool.map(lambda base: httpx.get(f"{base}{path}", auth=GUEST, headers=headers), bases)
        )


def test_servers_starting_together_prepare_the_store_once(two_servers: list[str]) -> None:
    for base in two_servers:
        response = httpx.get(f"{base}{EXPORTS}/17/status", auth=GUEST, headers=JSON)
        assert response.status_code == 200
        assert response.json()["status"]["complete"] is True


@pytest.mark.parametrize(
    "path",
    [
        f"{EXPORTS}/17/status",
        f"{EXPORTS}/18/status",
        f"{EXPORTS}/19/status",
        f"{EXPORTS}/20/status",
        f"{EXPORTS}/17/downloads",
        SOFTWARE,
    ],
)
@pytest.mark.parametrize("accept", ["application/xml", "application/json"])
def test_servers_answer_alike_at_the_same_time(
    two_servers: list[str], path: str, accept: str
) -> None:
    first, second = at_once(two_servers, path, {"Accept": accept})
    assert first.status_code == 200
    assert answer(first) == answer(second)


def test_servers_agree_on_a_running_export_at_a_frozen_instant(two_servers: list[str]) -> None:
    one, other = two_servers
    # The clock lives in the store: frozen through one server, it stands still for both.
    clock = httpx.put(f"{one}/_mock/clock", headers=CONTROL, json={"action": "freeze"})
    assert clock.status_code == 200, clock.text
    try:
        created = httpx.post(f"{other}{FAILING_EXPORTS}", auth=GUEST, headers=JSON)
        eid = created.json()["softwareBundleExport"]["dbId"]
        httpx.put(f"{other}/_mock/clock", headers=CONTROL, json={"action": "advance", "by": 2})
        first, second = at_once(two_servers, f"{FAILING_EXPORTS}/{eid}/status", JSON)
        assert 0 < first.json()["status"]["percentage"] < 40
        assert answer(first) == answer(second)
    finally:
        httpx.put(f"{one}/_mock/clock", headers=CONTROL, json={"action": "real"})


def test_a_create_on_one_server_is_seen_by_the_other_at_once(two_servers: list[str]) -> None:
    one, other = two_servers
    created = httpx.post(f"{one}{EXPORTS}", auth=GUEST, headers=JSON)
    assert created.status_code == 201
    eid = created.json()["softwareBundleExport"]["dbId"]
    path = f"{EXPORTS}/{eid}/status"
    first, second = at_once(two_servers, path, JSON)
    assert first.json()["status"]["complete"] is True
    assert answer(first) == answer(second)
    download = httpx.get(f"{other}{EXPORTS}/{eid}/downloads", auth=GUEST)
    assert download.status_code == 200


def test_a_delete_on_one_server_is_seen_by_the_other_at_once(two_servers: list[str]) -> None:
    one, other = two_servers
    eid = httpx.post(f"{one}{EXPORTS}", auth=GUEST, headers=JSON).json()["softwareBundleExport"][
        "dbId"
    ]
    assert httpx.delete(f"{other}{EXPORTS}/{eid}", auth=GUEST).status_code == 204
    assert httpx.get(f"{one}{EXPORTS}/{eid}/status", auth=GUEST).status_code == 404
    assert httpx.delete(f"{one}{EXPORTS}/{eid}", auth=GUEST).status_code == 404


def test_two_workers_of_one_server_share_every_write(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    with (
        postgres.database() as url,
        server_processes(1, tmp_path, "--workers", "2", database_url=url) as (base,),
        httpx.Client(base_url=base, auth=GUEST, headers=JSON) as client,
    ):
        # Each request may land on either worker: every one must see the one before it.
        for _ in range(10):
            created = client.post(EXPORTS)
            assert created.status_code == 201
            eid = created.json()["softwareBundleExport"]["dbId"]
            assert client.get(f"{EXPORTS}/{eid}/status").status_code == 200
            assert client.delete(f"{EXPORTS}/{eid}").status_code == 204
            assert client.get(f"{EXPORTS}/{eid}/status").status_code == 404
