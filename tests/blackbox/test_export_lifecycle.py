"""An export's whole life through HTTP: create, poll until it ends, download, delete."""

import io
import tarfile
import time
from collections.abc import Iterator

import httpx
import pytest
import yaml

EXPORTS = "users/guest/mysoftware/918/exports"
JSON = {"Accept": "application/json"}
# A server started with UFORGE_MOCK_EXPORT_DURATION_SECONDS=2 finishes well within this.
POLL_SECONDS = 60


def create(client: httpx.Client, query: str = "") -> httpx.Response:
    response = client.post(f"{EXPORTS}{query}", headers=JSON)
    assert response.status_code == 201, response.text
    return response


def poll_until_ended(client: httpx.Client, eid: int) -> dict[str, object]:
    deadline = time.monotonic() + POLL_SECONDS
    while True:
        response = client.get(f"{EXPORTS}/{eid}/status", headers=JSON)
        assert response.status_code == 200
        status: dict[str, object] = response.json()["status"]
        if status["complete"] or status["error"] or status["cancelled"]:
            return status
        assert time.monotonic() < deadline, f"export {eid} still running: {status}"
        time.sleep(0.25)


def members(archive: bytes) -> dict[str, bytes]:
    """The files of an archive by name (its folders hold nothing of their own)."""
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        return {
            member.name: tar.extractfile(member).read()  # type: ignore[union-attr]
            for member in tar.getmembers()
            if member.isfile()
        }


@pytest.fixture
def new_export(guest: httpx.Client) -> Iterator[int]:
    """A new export of mySoftware 918, deleted afterwards (if the test did not)."""
    eid = int(create(guest).json()["softwareBundleExport"]["dbId"])
    yield eid
    guest.delete(f"{EXPORTS}/{eid}")


def test_create_answers_201_with_the_ticket_and_its_location(guest: httpx.Client) -> None:
    response = create(guest)
    ticket = response.json()["softwareBundleExport"]
    try:
        assert response.headers["location"].endswith(f"/api/{EXPORTS}/{ticket['dbId']}")
        assert ticket["status"]["complete"] is False
        assert ticket["downloadUri"] == f"{EXPORTS}/{ticket['dbId']}/downloads"
    finally:
        guest.delete(f"{EXPORTS}/{ticket['dbId']}")


def test_created_export_completes_and_downloads_its_bundle(
    guest: httpx.Client, new_export: int
) -> None:
    status = poll_until_ended(guest, new_export)
    assert (status["complete"], status["percentage"]) == (True, 100)
    download = guest.get(f"{EXPORTS}/{new_export}/downloads")
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/gzip"
    assert "content-encoding" not in download.headers
    bundle = yaml.safe_load(members(download.content)["bundle.yml"])
    assert bundle["name"] == "Zabbix"


def test_json_export_holds_bundle_json(guest: httpx.Client) -> None:
    eid = create(guest, "?outputFormat=json").json()["softwareBundleExport"]["dbId"]
    try:
        poll_until_ended(guest, eid)
        download = guest.get(f"{EXPORTS}/{eid}/downloads")
        assert "bundle.json" in members(download.content)
    finally:
        guest.delete(f"{EXPORTS}/{eid}")


def test_deleted_export_is_gone_everywhere(guest: httpx.Client, new_export: int) -> None:
    assert guest.delete(f"{EXPORTS}/{new_export}").status_code == 204
    assert guest.get(f"{EXPORTS}/{new_export}/status").status_code == 404
    assert guest.get(f"{EXPORTS}/{new_export}/downloads").status_code == 404
    assert guest.delete(f"{EXPORTS}/{new_export}").status_code == 404


def test_running_export_cannot_be_downloaded(guest: httpx.Client) -> None:
    response = guest.get(f"{EXPORTS}/18/downloads", headers=JSON)
    assert response.status_code == 409
    assert response.json()["uforgeError"]["statusCode"] == 409


def test_unknown_output_format_is_400(guest: httpx.Client) -> None:
    assert guest.post(f"{EXPORTS}?outputFormat=zip").status_code == 400


def test_create_needs_the_entitlement(api: httpx.Client) -> None:
    response = api.post("users/viewer/mysoftware/918/exports", auth=("viewer", "viewer-secret"))
    assert response.status_code == 403
