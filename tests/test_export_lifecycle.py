"""Create, poll, download and delete an export, and read its mySoftware, through HTTP."""

import gzip
import io
import json
import tarfile
from typing import Any

import pytest
import yaml
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import GUEST, SAMPLES, basic, seed
from tests.test_wire_format import shape
from tests.xmlcheck import assert_valid_uforge_xml, child_names
from uforge_mock.jobs.clock import FrozenClock

JSON = {"Accept": "application/json"}
SOFTWARE = "/api/users/guest/mysoftware/918"
EXPORTS = f"{SOFTWARE}/exports"


def create(client: TestClient, query: str = "", **headers: str) -> Any:
    response = client.post(f"{EXPORTS}{query}", headers={**GUEST, **JSON, **headers})
    assert response.status_code == 201, response.text
    return response


def members(archive: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers()}  # type: ignore[union-attr]


# ---------------------------------------------------------------- create


def test_create_answers_201_with_the_ticket_and_its_location(client: TestClient) -> None:
    response = create(client)
    export = response.json()["softwareBundleExport"]
    eid = export["dbId"]
    assert response.headers["location"] == f"http://testserver{EXPORTS}/{eid}"
    assert export["downloadUri"] == f"users/guest/mysoftware/918/exports/{eid}/downloads"
    assert export["bundleName"] == "Zabbix" and export["bundleVersion"] == "3.0.1"
    status = export["status"]
    assert (status["percentage"], status["complete"], status["error"]) == (0, False, False)
    assert status["message"] == "Export requested"


def test_created_export_has_the_sample_shape(client: TestClient) -> None:
    body = create(client).json()
    sample = json.loads((SAMPLES / "json" / "softwareBundleExport.json").read_text())
    assert shape(body) == shape(sample)


def test_created_export_xml_validates(client: TestClient) -> None:
    response = client.post(EXPORTS, headers=GUEST)
    assert response.status_code == 201
    document = assert_valid_uforge_xml(response.content, "softwareBundleExport")
    assert child_names(document) == [
        "created", "dbId", "digest", "lastModified", "bundleName", "bundleVersion",
        "downloadUri", "parentUri", "status", "uri",
    ]  # fmt: skip


@pytest.mark.parametrize("query", ["?outputFormat=bogus", "?outputFormat=xml", "?outputFormat="])
def test_unknown_output_format_is_400(client: TestClient, query: str) -> None:
    response = client.post(f"{EXPORTS}{query}", headers=GUEST)
    assert response.status_code == 400
    assert_valid_uforge_xml(response.content, "uforgeError")


def test_create_ignores_the_request_content_type(client: TestClient) -> None:
    response = client.post(
        EXPORTS, headers={**GUEST, "Content-Type": "application/xml"}, content=b""
    )
    assert response.status_code == 201


def test_create_needs_the_entitlement(client: TestClient) -> None:
    response = client.post(
        "/api/users/viewer/mysoftware/918/exports", headers=basic("viewer", "viewer-pw")
    )
    assert response.status_code == 403


def test_create_on_someone_elses_software_is_404(client: TestClient) -> None:
    response = client.post("/api/users/guest/mysoftware/919/exports", headers=GUEST)
    assert response.status_code == 404


def test_created_ids_never_repeat_after_a_delete(client: TestClient) -> None:
    first = create(client).json()["softwareBundleExport"]["dbId"]
    assert client.delete(f"{EXPORTS}/{first}", headers=GUEST).status_code == 204
    second = create(client).json()["softwareBundleExport"]["dbId"]
    assert second > first


def test_created_ids_follow_seeded_ids(client: TestClient) -> None:
    assert create(client).json()["softwareBundleExport"]["dbId"] > 30


def test_create_under_ufws_points_there(client: TestClient) -> None:
    response = client.post(EXPORTS.replace("/api/", "/ufws/"), headers={**GUEST, **JSON})
    assert response.status_code == 201
    assert "/ufws/users/guest/mysoftware/918/exports/" in response.headers["location"]


# ---------------------------------------------------------------- lifecycle


def test_new_export_progresses_then_downloads(client: TestClient, clock: FrozenClock) -> None:
    eid = create(client).json()["softwareBundleExport"]["dbId"]
    clock.advance(5)
    middle = client.get(f"{EXPORTS}/{eid}/status", headers={**GUEST, **JSON}).json()["status"]
    assert middle["percentage"] == 50 and not middle["complete"]
    assert client.get(f"{EXPORTS}/{eid}/downloads", headers=GUEST).status_code == 409
    clock.advance(5)
    done = client.get(f"{EXPORTS}/{eid}/status", headers={**GUEST, **JSON}).json()["status"]
    assert done["complete"] and done["percentage"] == 100
    download = client.get(f"{EXPORTS}/{eid}/downloads", headers=GUEST)
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/gzip"
    assert "content-encoding" not in download.headers
    assert download.headers["content-disposition"] == 'attachment; filename="Zabbix-3.0.1.tar.gz"'
    files = members(download.content)
    assert list(files) == ["bundle.yml"]
    bundle = yaml.safe_load(files["bundle.yml"])
    assert bundle == {"name": "Zabbix", "version": "3.0.1", "files": []}
    assert files["bundle.yml"].startswith(b"---")


def test_json_export_holds_bundle_json(client: TestClient, clock: FrozenClock) -> None:
    eid = create(client, "?outputFormat=JSON").json()["softwareBundleExport"]["dbId"]
    clock.advance(60)
    download = client.get(f"{EXPORTS}/{eid}/downloads", headers=GUEST)
    bundle = json.loads(members(download.content)["bundle.json"])
    assert bundle["name"] == "Zabbix" and bundle["files"] == []


def test_download_is_served_to_an_xml_accept(client: TestClient, clock: FrozenClock) -> None:
    clock.advance(60)
    response = client.get(f"{EXPORTS}/17/downloads", headers={**GUEST, "Accept": "application/xml"})
    assert response.status_code == 200
    assert gzip.decompress(response.content)


def test_download_is_stable_and_conditional(client: TestClient, clock: FrozenClock) -> None:
    clock.advance(60)
    first = client.get(f"{EXPORTS}/17/downloads", headers=GUEST)
    again = client.get(f"{EXPORTS}/17/downloads", headers=GUEST)
    assert first.content == again.content
    cached = client.get(
        f"{EXPORTS}/17/downloads", headers={**GUEST, "If-None-Match": first.headers["etag"]}
    )
    assert cached.status_code == 304 and cached.content == b""


def test_failed_export_cannot_be_downloaded(client: TestClient, clock: FrozenClock) -> None:
    clock.advance(60)
    response = client.get(f"{EXPORTS}/19/downloads", headers={**GUEST, **JSON})
    assert response.status_code == 409
    assert response.json()["uforgeError"]["localizedErrorMsg"]["messageId"] == (
        "mock.error.conflict.export_not_complete"
    )


def test_software_default_outcome_makes_new_exports_fail(
    client: TestClient, clock: FrozenClock
) -> None:
    response = client.post("/api/users/guest/mysoftware/920/exports", headers={**GUEST, **JSON})
    eid = response.json()["softwareBundleExport"]["dbId"]
    clock.advance(60)
    status = client.get(
        f"/api/users/guest/mysoftware/920/exports/{eid}/status", headers={**GUEST, **JSON}
    ).json()["status"]
    assert status["error"] is True and status["errorMessage"] and status["message"]


def test_delete_makes_every_route_of_the_export_404(client: TestClient, clock: FrozenClock) -> None:
    clock.advance(60)
    response = client.delete(f"{EXPORTS}/17", headers=GUEST)
    assert response.status_code == 204 and response.content == b""
    for method, path in [
        ("GET", f"{EXPORTS}/17/status"),
        ("GET", f"{EXPORTS}/17/downloads"),
        ("DELETE", f"{EXPORTS}/17"),
    ]:
        assert client.request(method, path, headers=GUEST).status_code == 404


def test_delete_needs_credentials(client: TestClient) -> None:
    assert client.delete(f"{EXPORTS}/17").status_code == 401


# ---------------------------------------------------------------- mySoftware


def test_my_software_xml_validates_in_sample_order(client: TestClient) -> None:
    response = client.get(SOFTWARE, headers=GUEST)
    assert response.status_code == 200
    document = assert_valid_uforge_xml(response.content, "mySoftware")
    sample = child_names(
        assert_valid_uforge_xml((SAMPLES / "xml" / "mySoftware.xml").read_bytes(), "mySoftware")
    )
    ours = child_names(document)
    assert [name for name in sample if name in ours] == [name for name in ours if name in sample]
    assert {"dbId", "name", "version", "uri", "exportUri"} <= set(ours)


def test_my_software_json_keys_follow_the_sample(client: TestClient) -> None:
    body = client.get(SOFTWARE, headers={**GUEST, **JSON}).json()["mySoftware"]
    sample = json.loads((SAMPLES / "json" / "mySoftware.json").read_text())["mySoftware"]
    assert [key for key in sample if key in body] == [key for key in body if key in sample]
    assert body["dbId"] == 918 and body["name"] == "Zabbix"
    assert body["applianceUris"] == {"uri": []}


def test_my_software_needs_appliance_create(client: TestClient) -> None:
    response = client.get("/api/users/other/mysoftware/919", headers=basic("other", "other-pw"))
    assert response.status_code == 403


def test_my_software_is_conditional(client: TestClient, app: FastAPI) -> None:
    etag = client.get(SOFTWARE, headers=GUEST).headers["etag"]
    assert client.get(SOFTWARE, headers={**GUEST, "If-None-Match": etag}).status_code == 304
    seed(app, {"mySoftware": [{"dbId": 918, "owner": "guest", "name": "Zabbix", "version": "4"}]})
    assert client.get(SOFTWARE, headers={**GUEST, "If-None-Match": etag}).status_code == 200
