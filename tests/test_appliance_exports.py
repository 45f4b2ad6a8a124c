"""The export of an appliance template through HTTP (`hammr template export`): create, poll,
get, download the template archive, delete; and the user's exports and their statuses."""

import io
import json
import tarfile

import yaml
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import GUEST, basic
from tests.test_appliance_family import make_appliance
from tests.xmlcheck import assert_valid_uforge_xml, child_names
from uforge_mock.jobs.clock import FrozenClock

JSON = {"Accept": "application/json"}


def exports_of(aid: int) -> str:
    return f"/api/users/guest/appliances/{aid}/exports"


def create(client: TestClient, aid: int, query: str = "") -> dict[str, object]:
    response = client.post(f"{exports_of(aid)}{query}", headers={**GUEST, **JSON})
    assert response.status_code == 201, response.text
    export: dict[str, object] = response.json()["applianceExport"]
    return export


def members(archive: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers()}  # type: ignore[union-attr]


def test_create_answers_201_with_an_appliance_export_valid_against_the_schema(
    client: TestClient, app: FastAPI
) -> None:
    aid = make_appliance(app)
    response = client.post(exports_of(aid), headers=GUEST)
    assert response.status_code == 201
    document = assert_valid_uforge_xml(response.content, "applianceExport")
    eid = document.findtext("dbId")
    assert response.headers["location"] == f"http://testserver{exports_of(aid)}/{eid}"
    assert child_names(document) == [
        "created",
        "dbId",
        "digest",
        "lastModified",
        "applianceName",
        "applianceVersion",
        "downloadUri",
        "parentUri",
        "status",
        "uri",
    ]
    assert document.findtext("applianceName") == "CentOS Core"
    assert document.findtext("status/message") == "Export requested"


def test_export_completes_with_the_clock_and_offers_the_template_archive(
    client: TestClient, app: FastAPI, clock: FrozenClock
) -> None:
    aid = make_appliance(app, bundles=(918, 920), description="A CentOS base")
    eid = create(client, aid)["dbId"]
    status_path = f"{exports_of(aid)}/{eid}/status"
    early = client.get(status_path, headers={**GUEST, **JSON}).json()["status"]
    assert (early["complete"], early["percentage"]) == (False, 0)
    assert client.get(f"{exports_of(aid)}/{eid}/downloads", headers=GUEST).status_code == 409
    clock.advance(3600)
    done = client.get(status_path, headers={**GUEST, **JSON}).json()["status"]
    assert (done["complete"], done["percentage"], done["message"]) == (
        True,
        100,
        "Export complete",
    )
    download = client.get(f"{exports_of(aid)}/{eid}/downloads", headers=GUEST)
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/gzip"
    assert "content-encoding" not in download.headers
    assert 'filename="CentOS_Core-1.0.tar.gz"' in download.headers["content-disposition"]
    template = yaml.safe_load(members(download.content)["template.yml"])
    assert template == {
        "stack": {
            "name": "CentOS Core",
            "version": "1.0",
            "description": "A CentOS base",
            "os": {"name": "CentOS", "version": "7", "arch": "x86_64", "profile": "Minimal"},
            "bundles": [
                {"name": "Zabbix", "version": "3.0.1", "files": []},
                {"name": "Doomed", "version": "", "files": []},
            ],
        }
    }


def test_json_output_format_gives_template_json(
    client: TestClient, app: FastAPI, clock: FrozenClock
) -> None:
    aid = make_appliance(app, bundles=())
    eid = create(client, aid, "?outputFormat=JSON")["dbId"]
    clock.advance(3600)
    download = client.get(f"{exports_of(aid)}/{eid}/downloads", headers=GUEST)
    template = json.loads(members(download.content)["template.json"])
    assert template["stack"]["os"]["arch"] == "x86_64"


def test_unknown_output_format_is_400(client: TestClient, app: FastAPI) -> None:
    aid = make_appliance(app)
    response = client.post(f"{exports_of(aid)}?outputFormat=zip", headers=GUEST)
    assert response.status_code == 400


def test_get_answers_the_export_with_its_status_at_this_instant(
    client: TestClient, app: FastAPI, clock: FrozenClock
) -> None:
    aid = make_appliance(app)
    eid = create(client, aid)["dbId"]
    clock.advance(3600)
    response = client.get(f"{exports_of(aid)}/{eid}", headers=GUEST)
    assert response.status_code == 200
    document = assert_valid_uforge_xml(response.content, "applianceExport")
    assert document.findtext("status/complete") == "true"
    again = client.get(
        f"{exports_of(aid)}/{eid}", headers={**GUEST, "If-None-Match": response.headers["etag"]}
    )
    assert again.status_code == 304


def test_delete_drops_the_export(client: TestClient, app: FastAPI) -> None:
    aid = make_appliance(app)
    eid = create(client, aid)["dbId"]
    assert client.delete(f"{exports_of(aid)}/{eid}", headers=GUEST).status_code == 204
    for path in ("", "/status", "/downloads"):
        response = client.get(f"{exports_of(aid)}/{eid}{path}", headers=GUEST)
        assert response.status_code == 404
        assert "mock.error.notfound.applianceexport" in response.text


def test_export_of_another_appliance_is_404(client: TestClient, app: FastAPI) -> None:
    aid = make_appliance(app)
    other = make_appliance(app, name="Other")
    eid = create(client, aid)["dbId"]
    response = client.get(f"{exports_of(other)}/{eid}/status", headers=GUEST)
    assert response.status_code == 404


def test_export_needs_appliance_create(client: TestClient, app: FastAPI) -> None:
    aid = make_appliance(app, owner="other", bundles=(919,))
    response = client.post(
        f"/api/users/other/appliances/{aid}/exports", headers=basic("other", "other-pw")
    )
    assert response.status_code == 403
    assert "appliance_create" in response.text


def test_export_of_an_unknown_appliance_is_404(client: TestClient) -> None:
    response = client.post(exports_of(404), headers=GUEST)
    assert response.status_code == 404
    assert "mock.error.notfound.appliance" in response.text


def test_export_that_fails_says_so_as_hammr_reads_it(
    client: TestClient, app: FastAPI, clock: FrozenClock
) -> None:
    aid = make_appliance(app, export_outcome="error", export_duration_seconds=5)
    eid = create(client, aid)["dbId"]
    clock.advance(10)
    status = client.get(f"{exports_of(aid)}/{eid}/status", headers={**GUEST, **JSON}).json()
    assert status["status"]["error"] is True
    assert status["status"]["message"] == "Export failed"
    assert status["status"]["errorMessage"] == (
        "Failed to create the archive of the appliance template"
    )


# ---------------------------------------------------------------- the user's exports


def test_user_exports_list_every_appliance_export_valid_against_the_schema(
    client: TestClient, app: FastAPI
) -> None:
    first, second = make_appliance(app), make_appliance(app, name="Second")
    ids = [create(client, first)["dbId"], create(client, second)["dbId"]]
    make_appliance(app, owner="other", bundles=(919,))
    response = client.get("/api/users/guest/exports", headers=GUEST)
    assert response.status_code == 200
    document = assert_valid_uforge_xml(response.content, "applianceExports")
    assert document.findtext("total") == "2"
    listed = document.findall("applianceExports/applianceExport")
    assert [int(item.findtext("dbId") or 0) for item in listed] == ids
    assert [item.findtext("applianceName") for item in listed] == ["CentOS Core", "Second"]


def test_user_export_statuses_filter_on_ae(client: TestClient, app: FastAPI) -> None:
    aid = make_appliance(app)
    kept, other = create(client, aid)["dbId"], create(client, aid)["dbId"]
    everything = client.get("/api/users/guest/exports/statuses", headers=GUEST)
    assert everything.status_code == 200
    document = assert_valid_uforge_xml(everything.content, "statuses")
    assert [s.findtext("dbId") for s in document.findall("statuses/status")] == [
        str(kept),
        str(other),
    ]
    response = client.get(
        "/api/users/guest/exports/statuses",
        params={"ae": f"users/guest/appliances/{aid}/exports/{kept}"},
        headers={**GUEST, **JSON},
    )
    statuses = response.json()["statuses"]
    assert statuses["total"] == 1
    assert [s["dbId"] for s in statuses["statuses"]["status"]] == [kept]


def test_user_exports_of_another_user_are_403(client: TestClient) -> None:
    response = client.get("/api/users/other/exports", headers=GUEST)
    assert response.status_code == 403


def test_user_exports_list_is_not_modified_while_nothing_moves(
    client: TestClient, app: FastAPI, clock: FrozenClock
) -> None:
    aid = make_appliance(app)
    create(client, aid)
    clock.advance(3600)
    first = client.get("/api/users/guest/exports", headers=GUEST)
    again = client.get(
        "/api/users/guest/exports", headers={**GUEST, "If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304


def test_a_running_appliance_export_speaks_of_the_template(
    client: TestClient, app: FastAPI, clock: FrozenClock
) -> None:
    aid = make_appliance(app, export_duration_seconds=100)
    eid = create(client, aid)["dbId"]
    clock.advance(10)
    status = client.get(f"{exports_of(aid)}/{eid}/status", headers={**GUEST, **JSON}).json()
    assert (status["status"]["percentage"], status["status"]["message"]) == (
        10,
        "Preparing template metadata",
    )


def test_user_exports_take_the_listing_criteria(client: TestClient, app: FastAPI) -> None:
    first, second = make_appliance(app), make_appliance(app, name="Second")
    create(client, first)
    wanted = [create(client, second)["dbId"], create(client, second)["dbId"]]
    response = client.get(
        "/api/users/guest/exports",
        params={"query": "applianceName=='Sec*'", "descending": "true", "count": "1"},
        headers={**GUEST, **JSON},
    )
    assert response.status_code == 200
    listed = response.json()["applianceExports"]
    assert listed["total"] == 2
    assert [e["dbId"] for e in listed["applianceExports"]["applianceExport"]] == [wanted[1]]


def test_user_exports_refuse_an_unknown_criterion(client: TestClient) -> None:
    response = client.get("/api/users/guest/exports", params={"orderBy": "size"}, headers=GUEST)
    assert response.status_code == 400
    assert "applianceName" in response.text
