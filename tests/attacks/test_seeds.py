"""Seeds that broke a server: each test makes the attack against a real `uforge-mock serve`.

The attacks: a seed held the store's write lock while it hashed its passwords (and a large one
for minutes), so live writes waited and answered 500 "database is locked"; a seeded dbId of
2^63 - 1 ended the id space, every create a 500 for ever (a reset did not help); seeds nested
100,000 deep, with a 5,000-digit id, with a key twice or `dbId: true` were a 500 (the command
line printed a traceback) or passed; a 55 MB invalid seed was read whole and answered a 194 MB
error; the listing of exports answered 202 MB; argon2 memory settings the hashes cannot use
passed validation and crashed the server at start. Those that depend on the store run on
SQLite and on PostgreSQL (`database_url`).
"""

import json
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy.engine import make_url

from tests.attacks.raw_http import connect, read_answer, request_head
from tests.conftest import ROOT
from tests.servers import free_port, server_environment, server_process, uforge_mock

TOKEN = "attack-token"
CONTROL = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"}
GUEST = ("guest", "guest-pw")
CREATE = "/api/users/guest/mysoftware/918/exports"
SEED: dict[str, Any] = {
    "users": [
        {
            "login": "guest",
            "password": "guest-pw",
            "entitlements": ["software_upload", "appliance_create"],
        }
    ],
    "mySoftware": [{"dbId": 918, "owner": "guest", "name": "Zabbix", "version": "3.0.1"}],
    "exports": [{"dbId": 17, "mySoftware": 918, "created": "2019-06-05T21:40:12Z"}],
}
LARGEST_XS_LONG = 2**63 - 1
LARGEST_SEEDED_ID = 2**52
LARGEST_EXACT_IN_JAVASCRIPT = 2**53 - 1


@contextmanager
def seeded_server(
    tmp_path: Path, database_url: str = "", *arguments: str, **settings: str
) -> Iterator[str]:
    """`uforge-mock serve` on loopback with SEED loaded and the control API on (token)."""
    seed_file = tmp_path / "seed.json"
    seed_file.write_text(json.dumps(SEED))
    # Typed Any: server_process takes its settings and its startup timeout by keyword.
    options: dict[str, Any] = {
        "control_enabled": "true",
        "control_token": TOKEN,
        "database_url": database_url,
        **settings,
    }
    served = ("--seed", str(seed_file), "--no-demo", *arguments)
    with server_process(tmp_path / "data", *served, **options) as base:
        yield base


def post_seed(
    base: str, body: str | bytes, media_type: str = "application/json", timeout: float = 60
) -> httpx.Response:
    headers = {**CONTROL, "Content-Type": media_type}
    return httpx.post(f"{base}/_mock/seed", content=body, headers=headers, timeout=timeout)


def create_export(base: str, timeout: float = 60) -> httpx.Response:
    headers = {"Accept": "application/json"}
    return httpx.post(f"{base}{CREATE}", auth=GUEST, headers=headers, timeout=timeout)


def message(response: httpx.Response) -> str:
    text: str = response.json()["uforgeError"]["localizedErrorMsg"]["message"]
    return text


def created_id(response: httpx.Response) -> int:
    assert response.status_code == 201, response.text
    db_id: int = response.json()["softwareBundleExport"]["dbId"]
    return db_id


@contextmanager
def store_held(database_url: str) -> Iterator[None]:
    """Hold the store as a seed does while it writes (another process's `uforge-mock seed`,
    say): SQLite's write lock; on PostgreSQL the export tickets' SHARE ROW EXCLUSIVE lock."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        assert url.database is not None
        connection = sqlite3.connect(url.database, timeout=5, isolation_level=None)
        try:
            connection.execute("BEGIN IMMEDIATE")
            yield
        finally:
            connection.execute("ROLLBACK")
            connection.close()
        return
    libpq = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(libpq) as pg:
        pg.execute("LOCK TABLE export_tickets IN SHARE ROW EXCLUSIVE MODE")
        yield
        pg.rollback()


def number_to_the_end(database_url: str) -> None:
    """What a seeded dbId of 2^63 - 1 left behind, before ids were bounded: the store's
    counter of export ids at the column's end (the ticket itself may be gone)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        assert url.database is not None
        with sqlite3.connect(url.database, timeout=30) as connection:
            connection.execute(
                "UPDATE sqlite_sequence SET seq = ? WHERE name = 'export_tickets'",
                (LARGEST_XS_LONG,),
            )
        return
    libpq = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(libpq) as pg:
        pg.execute("SELECT setval('export_tickets_db_id_seq', %s)", (LARGEST_XS_LONG,))


# ---------------------------------------------------------------- 4: seeds hold the store


def test_a_seed_hashing_passwords_does_not_hold_live_writes(
    tmp_path: Path, database_url: str
) -> None:
    # Hashes costly enough that 120 of them take seconds (as at the production cost).
    with seeded_server(
        tmp_path, database_url, password_hash_memory_kib="16384", password_hash_time_cost="2"
    ) as base:
        users = [{"login": f"user{index}", "password": f"pw-{index}"} for index in range(120)]
        # An export too: on PostgreSQL a seed with exports holds the ticket table.
        document = {"users": users, "exports": [{"dbId": 50, "mySoftware": 918}]}
        seeded: list[httpx.Response] = []
        seeding = threading.Thread(
            target=lambda: seeded.append(post_seed(base, json.dumps(document), timeout=120))
        )
        started = time.monotonic()
        seeding.start()
        time.sleep(0.5)  # the seed is hashing now
        created = create_export(base, timeout=60)
        answered_in = time.monotonic() - started
        still_seeding = seeding.is_alive()
        seeding.join(120)
        assert seeded and seeded[0].status_code == 200, seeded and seeded[0].text
        assert len(seeded[0].json()["created"]["users"]) == 120
        assert created.status_code == 201, created.text
        # Answered while the seed still hashed, not after it committed.
        assert still_seeding, f"the create waited for the seed ({answered_in:.1f} s)"


def test_a_live_write_on_a_held_store_is_503_with_retry_after(
    tmp_path: Path, database_url: str
) -> None:
    with seeded_server(tmp_path, database_url, store_write_wait_seconds="1") as base:
        with store_held(database_url):
            started = time.monotonic()
            response = create_export(base, timeout=45)
            waited = time.monotonic() - started
            # SQLite has one writer: the control plane's own writes wait as well.
            clock = httpx.put(
                f"{base}/_mock/clock", headers=CONTROL, json={"action": "freeze"}, timeout=45
            )
        assert response.status_code == 503, response.text
        assert int(response.headers["retry-after"]) >= 1
        error = response.json()["uforgeError"]["localizedErrorMsg"]
        assert error["messageId"] == "mock.error.unavailable.store"
        assert waited < 10
        assert clock.status_code == (503 if database_url.startswith("sqlite") else 200)
        # Once the seed is done, writes go through again.
        assert created_id(create_export(base)) > 17


# ---------------------------------------------------------------- 5: the id space


def test_a_seeded_id_at_the_end_of_the_id_space_is_refused(
    tmp_path: Path, database_url: str
) -> None:
    with seeded_server(tmp_path, database_url) as base:
        last = {"exports": [{"dbId": LARGEST_XS_LONG, "mySoftware": 918}]}
        refused = post_seed(base, json.dumps(last))
        assert refused.status_code == 400, refused.text
        assert f"a dbId is a whole number from 1 to {LARGEST_SEEDED_ID}" in message(refused)
        assert created_id(create_export(base)) > 17

        # The largest id a seed may give leaves the server room for its own, all exact in
        # JavaScript (2^53 - 1).
        largest = {"exports": [{"dbId": LARGEST_SEEDED_ID, "mySoftware": 918}]}
        assert post_seed(base, json.dumps(largest)).status_code == 200
        new_id = created_id(create_export(base))
        assert LARGEST_SEEDED_ID < new_id <= LARGEST_EXACT_IN_JAVASCRIPT
        status = httpx.get(f"{base}{CREATE}/{new_id}/status", auth=GUEST, timeout=30)
        assert status.status_code == 200, status.text


def test_a_store_numbered_to_the_end_numbers_again_after_a_reset(
    tmp_path: Path, database_url: str
) -> None:
    with seeded_server(tmp_path, database_url) as base:
        number_to_the_end(database_url)
        assert create_export(base).status_code == 500  # the state such a seed left
        reset = httpx.post(f"{base}/_mock/reset", headers=CONTROL, timeout=60)
        assert reset.status_code == 200, reset.text
        assert 17 < created_id(create_export(base)) <= LARGEST_EXACT_IN_JAVASCRIPT


# ---------------------------------------------------------------- 7: what a seed may hold


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One SQLite server for the input attacks (they change nothing when refused)."""
    with seeded_server(tmp_path_factory.mktemp("seed-input")) as base:
        yield base


DEEP = 100_000
TOO_LONG = "9" * 5000


@pytest.mark.parametrize(
    ("body", "media_type", "expected"),
    [
        ('{"users": ' + "[" * DEEP + "]" * DEEP + "}", "application/json", "nested deeper"),
        ("users: " + "[" * DEEP + "]" * DEEP, "application/yaml", "nest"),
        (
            '{"exports": [{"dbId": ' + TOO_LONG + ', "mySoftware": 918}]}',
            "application/json",
            "a number of 5000 digits is too long",
        ),
        (
            "exports: [{dbId: " + TOO_LONG + ", mySoftware: 918}]",
            "application/yaml",
            "a number of 5000 characters is too long",
        ),
        (
            '{"users": [{"login": "guest", "password": "x", "login": "admin"}]}',
            "application/json",
            "the key 'login' appears twice",
        ),
        (
            "users:\n  - login: guest\n    password: x\n    admin: false\n    admin: true\n",
            "application/yaml",
            "line 5, column 5: the key 'admin' appears twice",
        ),
        (
            '{"exports": [{"dbId": true, "mySoftware": 918}]}',
            "application/json",
            "field 'dbId': a dbId is a whole number from 1 to 4503599627370496, not true",
        ),
        (
            "exports: [{dbId: 1, mySoftware: 918.0}]",
            "application/yaml",
            "field 'mySoftware': a dbId is a whole number from 1 to 4503599627370496, "
            "not the fraction 918.0",
        ),
        (
            '{"exports": [{"dbId": "' + TOO_LONG + '", "mySoftware": 918}]}',
            "application/json",
            "field 'dbId': a dbId is a whole number",
        ),
    ],
    ids=[
        "deep-json",
        "deep-yaml",
        "long-number-json",
        "long-number-yaml",
        "duplicate-key-json",
        "duplicate-key-yaml",
        "id-true",
        "id-fraction",
        "id-digit-string",
    ],
)
def test_a_seed_the_store_cannot_take_is_a_clear_400(
    server: str, body: str, media_type: str, expected: str
) -> None:
    response = post_seed(server, body, media_type)
    assert response.status_code == 400, response.text[:500]
    assert expected in message(response)
    # Nothing was loaded: no export 1, guest's password unchanged.
    status = httpx.get(f"{server}{CREATE}/1/status", auth=GUEST, timeout=30)
    assert status.status_code == 404, status.text


def test_the_report_of_a_seed_full_of_errors_is_bounded(server: str) -> None:
    bad = {"exports": [{"dbId": 0, "mySoftware": 918} for _ in range(100_000)]}
    body = json.dumps(bad, separators=(",", ":"))
    response = post_seed(server, body)
    assert response.status_code == 400
    assert len(response.content) < 32_000, len(response.content)
    assert "... and 99980 more problems (100000 in all)" in message(response)


def test_a_seed_larger_than_the_limit_is_413_before_it_is_read(server: str) -> None:
    # The headers of a 58 MB seed, and not a byte of it: the answer must not wait for it.
    with connect(server) as connection:
        connection.sendall(
            request_head(
                "POST",
                "/_mock/seed",
                {
                    "Authorization": f"Bearer {TOKEN}",
                    "Content-Type": "application/json",
                    "Accept": "application/json",
                    "Content-Length": "58000000",
                },
            )
        )
        # The head and the body of the answer may arrive in two reads: read the whole answer.
        answer = read_answer(connection)
    assert answer.status == 413, answer.body[:200]
    assert b"mock.error.limit.body" in answer.body


def test_the_command_line_refuses_a_bad_seed_without_a_traceback(tmp_path: Path) -> None:
    assert uforge_mock(tmp_path, "migrate").returncode == 0
    for name, content, expected in [
        ("deep.json", '{"users": ' + "[" * DEEP + "]" * DEEP + "}", "nested deeper"),
        ("long.yml", f"exports: [{{dbId: {TOO_LONG}, mySoftware: 1}}]", "5000 characters"),
        ("twice.yml", "users: []\nusers: []\n", "the key 'users' appears twice"),
    ]:
        seed_file = tmp_path / name
        seed_file.write_text(content)
        result = uforge_mock(tmp_path, "seed", str(seed_file))
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr
        assert "the seed was not loaded, nothing changed" in result.stderr
        assert expected in result.stderr


# ---------------------------------------------------------------- 4: listings of a large store


def test_the_exports_listing_answers_a_page_at_a_time(tmp_path: Path) -> None:
    with seeded_server(tmp_path) as base:
        many = {"exports": [{"dbId": 1000 + i, "mySoftware": 918} for i in range(2500)]}
        assert post_seed(base, json.dumps(many)).status_code == 200
        first = httpx.get(f"{base}/_mock/exports", headers=CONTROL, timeout=30).json()
        assert len(first["exports"]) == 1000
        seen = [ticket["dbId"] for ticket in first["exports"]]
        following = first["next"]
        while following:
            page = httpx.get(f"{base}{following}", headers=CONTROL, timeout=30).json()
            seen += [ticket["dbId"] for ticket in page["exports"]]
            following = page["next"]
        assert seen == [17, *range(1000, 3500)]
        too_many = httpx.get(f"{base}/_mock/exports?limit=5000", headers=CONTROL, timeout=30)
        assert too_many.status_code == 400
        # The command line reads every page, as before.
        listed = uforge_mock(tmp_path, "ctl", "--url", base, "--token", TOKEN, "--json", "exports")
        assert listed.returncode == 0, listed.stderr
        assert len(json.loads(listed.stdout)["exports"]) == 2501


# ---------------------------------------------------------------- 9: argon2's memory


def test_argon2_memory_the_hashes_cannot_use_is_refused_with_a_clear_message(
    tmp_path: Path,
) -> None:
    environment = server_environment(tmp_path / "data", password_hash_memory_kib="16")
    result = subprocess.run(
        [sys.executable, "-m", "uforge_mock", "serve", "--port", str(free_port())],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "UFORGE_MOCK_PASSWORD_HASH_MEMORY_KIB: argon2 needs at least 32 KiB" in result.stderr


def test_argon2_at_its_smallest_memory_serves(tmp_path: Path) -> None:
    with seeded_server(tmp_path, password_hash_memory_kib="32") as base:
        response = httpx.get(f"{base}{CREATE}/17/status", auth=GUEST, timeout=30)
        assert response.status_code == 200, response.text
