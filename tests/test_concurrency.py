"""Many clients at once against a real server process."""

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import BASE_SEED, GUEST, T0, seed
from tests.servers import server_process

SEED = """
users: [{login: guest, password: guest-pw, entitlements: [software_upload]}]
mySoftware: [{dbId: 918, owner: guest, name: Zabbix}]
"""


def test_simultaneous_creates_get_distinct_tickets(tmp_path: Path, database_url: str) -> None:
    seed_file = tmp_path / "seed.yml"
    seed_file.write_text(SEED)
    with server_process(
        tmp_path / "data", "--no-demo", "--seed", str(seed_file), database_url=database_url
    ) as base:
        url = f"{base}/api/users/guest/mysoftware/918/exports"

        def create(_: int) -> int:
            with httpx.Client(auth=("guest", "guest-pw"), timeout=30) as client:
                response = client.post(url, headers={"Accept": "application/json"})
                assert response.status_code == 201, response.text
                return int(response.json()["softwareBundleExport"]["dbId"])

        with ThreadPoolExecutor(max_workers=16) as pool:
            ids = list(pool.map(create, range(64)))
        assert len(set(ids)) == 64

        deleted = max(ids)
        response = httpx.delete(f"{url}/{deleted}", auth=("guest", "guest-pw"))
        assert response.status_code == 204
        assert create(0) > deleted


def test_exports_created_while_a_seed_inserts_tickets_all_succeed(
    app: FastAPI, client: TestClient
) -> None:
    """A seed gives tickets ids of its own, right above the last id handed out (30 in the base
    seed), while clients create exports. Every create succeeds with an id of its own, and the
    seed loads whole: on PostgreSQL the sequence would otherwise hand a client an id the seed
    is inserting, and one of the two would fail. (A ticket a client got before the seed looked
    at its id is the seed's to update, as for any id a seed names.)"""
    seeded = range(31, 31 + 1500)
    document = {"exports": [{"dbId": n, "mySoftware": 918, "created": T0} for n in seeded]}
    url = "/api/users/guest/mysoftware/918/exports"
    with ThreadPoolExecutor(max_workers=1) as pool:
        loading = pool.submit(seed, app, document)
        created: list[int] = []
        while not loading.done() or len(created) < 5:
            response = client.post(url, headers={**GUEST, "Accept": "application/json"})
            assert response.status_code == 201, response.text
            created.append(int(response.json()["softwareBundleExport"]["dbId"]))
        report = loading.result()
    assert len(set(created)) == len(created)
    touched = report.created.get("exports", []) + report.updated.get("exports", [])
    assert sorted(map(int, touched)) == list(seeded)
    for ticket in created[-3:]:
        status = client.get(f"{url}/{ticket}/status", headers=GUEST)
        assert status.status_code == 200


def test_a_reset_while_clients_create_exports_completes_and_every_answer_is_clean(
    app: FastAPI, client: TestClient
) -> None:
    """Creates in flight and a reset (wipe, then the configured seed) wait for each other in
    one order only: the reset completes, every create answers 201 or a uforgeError, never a
    500 (on PostgreSQL they deadlocked when the reset locked the table after its wipe)."""
    url = "/api/users/guest/mysoftware/918/exports"
    runtime = app.state.mock
    answers = []
    for _ in range(15):  # the windows are narrow: give them many chances
        with ThreadPoolExecutor(max_workers=1) as pool:
            resetting = pool.submit(runtime.reset)
            while not resetting.done():
                answers.append(client.post(url, headers=GUEST).status_code)
            resetting.result()
        seed(app, BASE_SEED)
    assert answers and set(answers) <= {201, 401, 404}
