"""Many clients at once against a real server process."""

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

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
