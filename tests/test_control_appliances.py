"""The control plane of the appliance family: appliance export tickets and appliance imports
patched and listed as the mySoftware ones are (/_mock/applianceexports,
/_mock/applianceimports), from the API, from `uforge-mock ctl` and from the pytest fixture; a
patch shows at once on the UForge routes."""

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.conftest import FAST_HASHING
from tests.servers import server_process, uforge_mock
from uforge_mock.factory import create_app
from uforge_mock.jobs.clock import FrozenClock
from uforge_mock.settings import Settings
from uforge_mock.testing.server import MockServer

TOKEN = "s3cret-token"
CONTROL = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"}
GUEST = ("guest", "guest-pw")
JSON = {"Accept": "application/json"}
# An export 17 of mySoftware 918 and an appliance export 17 of appliance 101: two tickets.
SEED_FILE = """
users: [{login: guest, password: guest-pw, entitlements: [software_upload, appliance_create]}]
mySoftware: [{dbId: 918, owner: guest, name: Zabbix, version: 3.0.1}]
exports: [{dbId: 17, mySoftware: 918, created: 2019-06-05T21:40:12Z, duration: 20}]
appliances:
  - {dbId: 101, owner: guest, name: CentOS Core, version: "1.0", bundles: [918]}
  - {dbId: 102, owner: guest, name: Imported, version: "2.0", imported: true}
applianceExports:
  - {dbId: 17, appliance: 101, created: 2019-06-05T21:40:12Z, duration: 20}
  - {dbId: 18, appliance: 101, created: 2019-06-05T21:40:12Z, outcome: running, percentage: 30}
applianceImports:
  - {dbId: 41, owner: guest, imported: true, created: 2019-06-05T21:40:00Z,
     uploaded: 2019-06-05T21:40:10Z, duration: 0, appliance: 102}
  - {dbId: 42, owner: guest, created: 2019-06-05T21:40:00Z}
"""
APPLIANCE_STATUS_17 = "/api/users/guest/appliances/101/exports/17/status"


@pytest.fixture
def control(tmp_path: Path, clock: FrozenClock) -> Iterator[TestClient]:
    seed_file = tmp_path / "seed.yml"
    seed_file.write_text(SEED_FILE)
    settings = Settings(
        data_dir=tmp_path / "data",
        seed=seed_file,
        control_enabled=True,
        control_token=TOKEN,
        **FAST_HASHING,
    )
    with TestClient(create_app(settings, clock=clock)) as client:
        yield client


def status(client: TestClient, path: str) -> dict[str, Any]:
    response = client.get(path, auth=GUEST, headers=JSON)
    assert response.status_code == 200, response.text
    return response.json()["status"]  # type: ignore[no-any-return]


# ---------------------------------------------------------------- appliance exports


def test_a_patched_appliance_export_fails_on_the_uforge_routes(control: TestClient) -> None:
    assert status(control, APPLIANCE_STATUS_17)["error"] is False
    patch = {"outcome": "error", "percentage": 60, "duration": 0, "errorMessage": "Disk full"}
    response = control.patch("/_mock/applianceexports/17", headers=CONTROL, json=patch)
    assert response.status_code == 200, response.text
    ticket = response.json()
    assert (ticket["dbId"], ticket["appliance"], ticket["owner"]) == (17, 101, "guest")
    assert (ticket["status"]["error"], ticket["status"]["percentage"]) == (True, 60)
    now = status(control, APPLIANCE_STATUS_17)
    assert (now["error"], now["percentage"], now["errorMessage"]) == (True, 60, "Disk full")


def test_patching_an_appliance_export_leaves_the_mysoftware_export_of_that_id(
    control: TestClient,
) -> None:
    patch = {"outcome": "error", "duration": 0}
    assert control.patch("/_mock/applianceexports/17", headers=CONTROL, json=patch).is_success
    mine = status(control, "/api/users/guest/mysoftware/918/exports/17/status")
    assert mine["error"] is False


def test_a_restarted_appliance_export_runs_again_from_now(control: TestClient) -> None:
    control.patch("/_mock/applianceexports/17", headers=CONTROL, json={"duration": 0})
    assert status(control, APPLIANCE_STATUS_17)["complete"] is True
    patch = {"duration": 30, "restart": True}
    response = control.patch("/_mock/applianceexports/17", headers=CONTROL, json=patch)
    assert response.json()["status"]["complete"] is False
    assert status(control, APPLIANCE_STATUS_17)["percentage"] == 0


@pytest.mark.parametrize("eid", ["4242", "abc"])
def test_patching_an_unknown_appliance_export_is_404(control: TestClient, eid: str) -> None:
    response = control.patch(f"/_mock/applianceexports/{eid}", headers=CONTROL, json={})
    assert response.status_code == 404
    assert f"Export {eid} not found" in response.text


def test_a_bad_appliance_export_patch_is_refused(control: TestClient) -> None:
    response = control.patch(
        "/_mock/applianceexports/17", headers=CONTROL, json={"outcome": "maybe"}
    )
    assert response.status_code == 400
    assert status(control, APPLIANCE_STATUS_17)["error"] is False


def test_the_appliance_exports_are_listed_a_page_at_a_time(control: TestClient) -> None:
    first = control.get("/_mock/applianceexports", headers=CONTROL, params={"limit": 1}).json()
    assert [ticket["dbId"] for ticket in first["applianceExports"]] == [17]
    assert first["next"] == "/_mock/applianceexports?limit=1&after=17"
    second = control.get(first["next"], headers=CONTROL).json()
    [running] = second["applianceExports"]
    assert (running["dbId"], running["outcome"], running["status"]["percentage"]) == (
        18,
        "running",
        30,
    )
    assert second["next"] is None


def test_the_control_api_needs_its_token_for_the_appliance_routes(control: TestClient) -> None:
    assert control.get("/_mock/applianceexports").status_code == 401
    assert control.patch("/_mock/applianceimports/41", json={}).status_code == 401


# ---------------------------------------------------------------- appliance imports


def test_the_appliance_imports_are_listed_with_their_status(control: TestClient) -> None:
    body = control.get("/_mock/applianceimports", headers=CONTROL).json()
    done, waiting = body["applianceImports"]
    assert (done["dbId"], done["imported"], done["appliance"]) == (41, True, 102)
    assert (done["status"]["complete"], done["status"]["percentage"]) == (True, 100)
    assert (waiting["dbId"], waiting["uploaded"], waiting["appliance"]) == (42, None, None)
    assert waiting["status"]["message"] == "Waiting for the archive upload"
    assert body["next"] is None
    paged = control.get("/_mock/applianceimports", headers=CONTROL, params={"limit": 1}).json()
    assert paged["next"] == "/_mock/applianceimports?limit=1&after=41"


def test_an_appliance_import_made_to_fail_takes_back_its_appliance(control: TestClient) -> None:
    assert control.get("/api/users/guest/appliances/102", auth=GUEST).status_code == 200
    patch = {"outcome": "error", "errorMessage": "Failed to import the template"}
    response = control.patch("/_mock/applianceimports/41", headers=CONTROL, json=patch)
    assert response.status_code == 200, response.text
    ticket = response.json()
    assert (ticket["appliance"], ticket["status"]["error"]) == (None, True)
    assert control.get("/api/users/guest/appliances/102", auth=GUEST).status_code == 404
    now = status(control, "/api/users/guest/imports/41/status")
    assert (now["error"], now["errorMessage"]) == (True, "Failed to import the template")


def test_an_appliance_import_cannot_be_patched_cancelled(control: TestClient) -> None:
    response = control.patch(
        "/_mock/applianceimports/42", headers=CONTROL, json={"outcome": "cancelled"}
    )
    assert response.status_code == 400


def test_patching_an_unknown_appliance_import_is_404(control: TestClient) -> None:
    response = control.patch("/_mock/applianceimports/4242", headers=CONTROL, json={})
    assert response.status_code == 404
    assert "Appliance import 4242 not found" in response.text


# ---------------------------------------------------------------- the fixture's helpers


APPLIANCE_SEED: dict[str, Any] = {
    "appliances": [{"dbId": 7, "owner": "guest", "name": "Core", "bundles": [918]}],
    "applianceExports": [{"dbId": 9, "appliance": 7, "duration": 600}],
    "applianceImports": [
        {"dbId": 5, "owner": "guest", "uploaded": "2019-06-05T21:41:00Z", "duration": 600}
    ],
}


def test_the_fixture_patches_and_lists_appliance_exports(uforge_mock: MockServer) -> None:
    uforge_mock.seed(APPLIANCE_SEED)
    ticket = uforge_mock.patch_appliance_export(9, outcome="error", percentage=60, duration=0)
    assert ticket["status"]["error"] is True
    status = httpx.get(
        f"{uforge_mock.base_url}/users/guest/appliances/7/exports/9/status",
        auth=uforge_mock.auth,
        headers=JSON,
    )
    assert status.json()["status"]["percentage"] == 60
    assert [t["dbId"] for t in uforge_mock.appliance_exports()] == [9]


def test_the_fixture_patches_and_lists_appliance_imports(uforge_mock: MockServer) -> None:
    uforge_mock.seed(APPLIANCE_SEED)
    ticket = uforge_mock.patch_appliance_import(5, outcome="error", errorMessage="Disk full")
    assert ticket["status"]["error"] is True
    status = httpx.get(
        f"{uforge_mock.base_url}/users/guest/imports/5/status",
        auth=uforge_mock.auth,
        headers=JSON,
    )
    assert status.json()["status"]["errorMessage"] == "Disk full"
    assert [t["dbId"] for t in uforge_mock.appliance_imports()] == [5]


# ---------------------------------------------------------------- uforge-mock ctl


@pytest.fixture
def demo_server(tmp_path: Path) -> Iterator[str]:
    with server_process(tmp_path / "data", "--control", control_token="tok") as base:
        yield base


def ctl(tmp_path: Path, base: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    return uforge_mock(tmp_path, "ctl", "--url", base, "--token", "tok", *arguments)


def test_ctl_lists_patches_the_demos_appliance_tickets(tmp_path: Path, demo_server: str) -> None:
    listed = ctl(tmp_path, demo_server, "appliance-exports")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0].split()[:4] == ["DBID", "APPLIANCE", "OWNER", "OUTCOME"]
    assert [line.split()[:4] for line in lines[1:3]] == [
        ["31", "101", "guest", "complete"],
        ["32", "102", "guest", "error"],
    ]
    patched = ctl(tmp_path, demo_server, "--json", "patch", "31", "--appliance",
                  "--outcome", "error", "--duration", "0")  # fmt: skip
    assert patched.returncode == 0, patched.stderr
    ticket = json.loads(patched.stdout)
    assert (ticket["appliance"], ticket["status"]["error"]) == (101, True)
    imports = ctl(tmp_path, demo_server, "appliance-imports").stdout.splitlines()
    assert imports[0].split()[:4] == ["DBID", "OWNER", "IMPORTED", "APPLIANCE"]
    assert imports[1].split()[:5] == ["1", "guest", "yes", "-", "error"]
    changed = ctl(tmp_path, demo_server, "--json", "appliance-imports", "1", "--outcome",
                  "running", "--percentage", "50")  # fmt: skip
    assert changed.returncode == 0, changed.stderr
    assert json.loads(changed.stdout)["status"]["percentage"] == 50
