"""Bundle imports through HTTP: a ticket, its archive, its job on the mock's clock, the mySoftware
it makes; and the round trip export -> import -> export."""

import gzip
import io
import tarfile
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from tests.conftest import BASE_SEED, GUEST, basic, seed
from tests.xmlcheck import assert_valid_uforge_xml
from uforge_mock.factory import create_app
from uforge_mock.jobs.clock import FrozenClock
from uforge_mock.settings import Settings

JSON = {"Accept": "application/json"}
IMPORTS = "/api/users/guest/bundleimports"
OTHER = basic("other", "other-pw")
ADMIN = basic("root", "root-pw")


def hammr_archive(bundle: dict[str, Any], members: dict[str, bytes]) -> bytes:
    """An archive as hammr's `bundle create` writes it: the members, then `bundle.yml` last."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w|gz") as archive:
        for name, content in [*members.items(), ("bundle.yml", _yaml(bundle))]:
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def _yaml(data: dict[str, Any]) -> bytes:
    return yaml.safe_dump(data, default_flow_style=False, explicit_start=True).encode()


BUNDLE = {
    "name": "Tools",
    "version": "1.0",
    "description": "Handy tools",
    "files": [
        {"name": "tool.sh", "source": "bundles/Tools/1.0/tool.sh", "installLocation": "/opt"},
        {
            "name": "conf",
            "source": "bundles/Tools/1.0/conf",
            "files": [{"name": "a.conf", "source": "bundles/Tools/1.0/conf/a.conf"}],
        },
        {"name": "curl", "source": "curl", "tag": "ospkg"},
    ],
    "license": {"source": "bundles/Tools/LICENSE.txt", "type": "MIT"},
    "sourceLogo": "bundles/Tools/logo.png",
}
MEMBERS = {
    "bundles/Tools/1.0/tool.sh": b"#!/bin/sh\necho tool\n",
    "bundles/Tools/1.0/conf/a.conf": b"a = 1\n",
    "bundles/Tools/LICENSE.txt": b"MIT License\n",
    "bundles/Tools/logo.png": b"\x89PNG\r\n\x1a\nlogo",
}


def new_import(client: TestClient, imported: str = "false", headers: Any = GUEST) -> Any:
    response = client.post(f"{IMPORTS}?imported={imported}", headers={**headers, **JSON})
    assert response.status_code == 201, response.text
    return response.json()["softwareBundleImport"]


def upload(client: TestClient, sbid: int, body: bytes) -> Any:
    # The SDK sends the archive with the Content-Type it sends everything with.
    return client.post(
        f"{IMPORTS}/{sbid}/uploads",
        content=body,
        headers={**GUEST, **JSON, "Content-Type": "application/xml"},
    )


def import_archive(client: TestClient, clock: FrozenClock, body: bytes, imported: str) -> Any:
    ticket = new_import(client, imported)
    response = upload(client, ticket["dbId"], body)
    assert response.status_code == 201, response.text
    clock.advance(3600)
    return client.get(f"{IMPORTS}/{ticket['dbId']}", headers={**GUEST, **JSON}).json()[
        "softwareBundleImport"
    ]


def software_of(client: TestClient, reference: str) -> Any:
    response = client.get(f"/api/{reference}", headers={**GUEST, **JSON})
    assert response.status_code == 200, response.text
    return response.json()["mySoftware"]


def export_bundle_file(
    client: TestClient, clock: FrozenClock, msid: int
) -> tuple[Any, dict[str, bytes]]:
    created = client.post(f"/api/users/guest/mysoftware/{msid}/exports", headers={**GUEST, **JSON})
    assert created.status_code == 201, created.text
    eid = created.json()["softwareBundleExport"]["dbId"]
    clock.advance(3600)
    archive = client.get(
        f"/api/users/guest/mysoftware/{msid}/exports/{eid}/downloads", headers=GUEST
    )
    assert archive.status_code == 200, archive.text
    with tarfile.open(fileobj=io.BytesIO(archive.content), mode="r:gz") as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}  # type: ignore[union-attr]
    return yaml.safe_load(members.pop("bundle.yml")), members


def test_a_new_import_waits_for_its_archive(client: TestClient) -> None:
    ticket = new_import(client, "true")
    assert ticket["imported"] is True
    assert ticket["uploaded"] is False
    assert ticket["uploadUri"] == f"users/guest/bundleimports/{ticket['dbId']}/uploads"
    assert "referenceUri" not in ticket
    status = client.get(f"{IMPORTS}/{ticket['dbId']}/status", headers={**GUEST, **JSON})
    assert status.json()["status"]["percentage"] == 0
    assert status.json()["status"]["complete"] is False
    assert status.json()["status"]["message"] == "Waiting for the archive upload"


def test_an_upload_runs_with_the_clock_and_makes_the_bundle(
    client: TestClient, clock: FrozenClock
) -> None:
    ticket = new_import(client)
    answered = upload(client, ticket["dbId"], hammr_archive(BUNDLE, MEMBERS))
    assert answered.status_code == 201, answered.text
    assert answered.json()["status"]["complete"] is False
    status_path = f"{IMPORTS}/{ticket['dbId']}/status"
    clock.advance(2.5)  # half of the default 5 s
    halfway = client.get(status_path, headers={**GUEST, **JSON}).json()["status"]
    assert 0 < halfway["percentage"] < 100 and not halfway["complete"]
    clock.advance(10)
    done = client.get(status_path, headers={**GUEST, **JSON}).json()["status"]
    assert done["complete"] is True and done["percentage"] == 100
    made = client.get(f"{IMPORTS}/{ticket['dbId']}", headers={**GUEST, **JSON}).json()
    software = software_of(client, made["softwareBundleImport"]["referenceUri"])
    assert (software["name"], software["version"], software["imported"]) == ("Tools", "1.0", False)
    assert software["size"] == len(MEMBERS["bundles/Tools/1.0/tool.sh"]) + len(
        MEMBERS["bundles/Tools/1.0/conf/a.conf"]
    )
    assert software["license"]["name"] == "LICENSE.txt"
    assert software["license"]["type"] == "MIT"
    assert software["logo"]["name"] == "logo.png"


def test_import_documents_are_valid_uforge_xml(client: TestClient, clock: FrozenClock) -> None:
    ticket = new_import(client)
    upload(client, ticket["dbId"], hammr_archive(BUNDLE, MEMBERS))
    clock.advance(60)
    for path, root in (
        (f"{IMPORTS}/{ticket['dbId']}", "softwareBundleImport"),
        (f"{IMPORTS}/{ticket['dbId']}/status", "status"),
    ):
        response = client.get(path, headers=GUEST)
        assert response.headers["content-type"] == "application/xml"
        assert_valid_uforge_xml(response.content, root)


def test_the_round_trip_keeps_the_bundle(client: TestClient, clock: FrozenClock) -> None:
    first = import_archive(client, clock, hammr_archive(BUNDLE, MEMBERS), "false")
    first_id = int(first["referenceUri"].rsplit("/", 1)[1])
    bundle_file, files = export_bundle_file(client, clock, first_id)

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, content in [*files.items(), ("bundle.yml", _yaml(bundle_file))]:
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    second = import_archive(client, clock, buffer.getvalue(), "true")
    second_id = int(second["referenceUri"].rsplit("/", 1)[1])
    assert second_id != first_id
    again, again_files = export_bundle_file(client, clock, second_id)

    assert again == bundle_file
    assert again_files == files
    assert sorted(files.values()) == sorted(MEMBERS.values())
    assert software_of(client, second["referenceUri"])["imported"] is True


def test_a_refused_archive_ends_in_error_and_makes_nothing(
    client: TestClient, clock: FrozenClock
) -> None:
    before = client.get("/api/users/guest/mysoftware", headers={**GUEST, **JSON}).json()
    no_version = {key: value for key, value in BUNDLE.items() if key != "version"}
    for body in (
        b"not an archive",
        gzip.compress(b"not a tar"),
        hammr_archive(no_version, MEMBERS),
    ):
        ticket = new_import(client)
        assert upload(client, ticket["dbId"], body).status_code == 201
        clock.advance(60)
        status = client.get(f"{IMPORTS}/{ticket['dbId']}/status", headers={**GUEST, **JSON})
        shown = status.json()["status"]
        assert shown["error"] is True and shown["complete"] is False
        assert shown["errorMessage"] == "Failed to import the software bundle"
        assert shown["detailedErrorMsg"]
    after = client.get("/api/users/guest/mysoftware", headers={**GUEST, **JSON}).json()
    assert after == before


def test_a_second_upload_is_a_conflict(client: TestClient) -> None:
    ticket = new_import(client)
    assert upload(client, ticket["dbId"], hammr_archive(BUNDLE, MEMBERS)).status_code == 201
    again = upload(client, ticket["dbId"], hammr_archive(BUNDLE, MEMBERS))
    assert again.status_code == 409
    assert again.json()["uforgeError"]["statusCode"] == 409


def test_imports_follow_the_order_of_checks(client: TestClient) -> None:
    ticket = new_import(client)
    path = f"{IMPORTS}/{ticket['dbId']}"
    assert client.get(path).status_code == 401
    assert client.get(path, headers=OTHER).status_code == 403
    assert client.get(f"{IMPORTS}/999999", headers=GUEST).status_code == 404
    assert client.get(f"{IMPORTS}/abc", headers=GUEST).status_code == 404
    assert client.get(path, headers={**GUEST, "Accept": "text/plain"}).status_code == 406
    assert client.get(path.replace("guest", "root"), headers=ADMIN).status_code == 404
    assert client.get(path, headers=ADMIN).status_code == 200


def test_imported_must_be_a_boolean(client: TestClient) -> None:
    response = client.post(f"{IMPORTS}?imported=maybe", headers={**GUEST, **JSON})
    assert response.status_code == 400
    assert response.json()["uforgeError"]["statusCode"] == 400


def test_the_status_answers_304_while_it_does_not_move(
    client: TestClient, clock: FrozenClock
) -> None:
    ticket = new_import(client)
    upload(client, ticket["dbId"], hammr_archive(BUNDLE, MEMBERS))
    clock.advance(60)
    path = f"{IMPORTS}/{ticket['dbId']}/status"
    first = client.get(path, headers=GUEST)
    etag = first.headers["etag"]
    assert client.get(path, headers={**GUEST, "If-None-Match": etag}).status_code == 304


TOKEN = "bundle-imports-token"


@pytest.fixture
def controlled(settings: Settings, clock: FrozenClock) -> Iterator[TestClient]:
    """A client of an app with the control API on, seeded like `client`'s."""
    app = create_app(
        settings.model_copy(update={"control_enabled": True, "control_token": TOKEN}),
        clock=clock,
    )
    with TestClient(app) as test_client:
        seed(app, BASE_SEED)
        yield test_client
    app.state.mock.engine.dispose()


def test_the_control_plane_lists_imports_and_makes_one_fail(
    controlled: TestClient, clock: FrozenClock
) -> None:
    client = controlled
    done = import_archive(client, clock, hammr_archive(BUNDLE, MEMBERS), "false")
    plane_token = {"Authorization": f"Bearer {TOKEN}"}
    listed = client.get("/_mock/bundleimports", headers=plane_token).json()
    assert [entry["dbId"] for entry in listed["bundleImports"]] == [done["dbId"]]
    assert listed["bundleImports"][0]["status"]["complete"] is True
    patched = client.patch(
        f"/_mock/bundleimports/{done['dbId']}",
        headers=plane_token,
        json={"outcome": "error", "errorMessage": "Disk full"},
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["mySoftware"] is None
    gone = client.get(f"/api/{done['referenceUri']}", headers=GUEST)
    assert gone.status_code == 404
    ticket = client.get(f"{IMPORTS}/{done['dbId']}", headers={**GUEST, **JSON}).json()
    status = ticket["softwareBundleImport"]["status"]
    assert status["error"] is True
    assert status["errorMessage"] == "Disk full"
    assert "referenceUri" not in ticket["softwareBundleImport"]


def test_a_create_refused_with_406_makes_nothing(client: TestClient) -> None:
    # The contract's 406 comes before anything is written: no ticket of either kind is made.
    plain = {**GUEST, "Accept": "text/plain"}
    assert client.post(f"{IMPORTS}?imported=true", headers=plain).status_code == 406
    exports = "/api/users/guest/mysoftware/918/exports"
    assert client.post(exports, headers=plain).status_code == 406
    made = new_import(client)
    assert made["dbId"] == 1  # the first ticket the store numbered
    created = client.post(exports, headers={**GUEST, **JSON}).json()["softwareBundleExport"]
    assert created["dbId"] == 31  # after the seed's largest export ticket (30)
