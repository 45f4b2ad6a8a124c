"""Appliance imports through HTTP (`hammr template import` and `template create`): a ticket,
its archive, its job on the mock's clock, the appliance it makes; bad archives and templates
(a clear import error, nothing made); and the round trip export -> import -> export."""

import io
import json
import os
import tarfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import GUEST, basic
from tests.official import conftest as official
from tests.official.clients import hammr, http_get, output, printed_id
from tests.servers import server_process
from tests.test_appliance_family import make_appliance
from tests.xmlcheck import assert_valid_uforge_xml
from uforge_mock.jobs.clock import FrozenClock
from uforge_mock.jobs.template_archive import (
    TemplateBundle,
    TemplateFacts,
    TemplateOS,
    template_archive,
    template_file,
)
from uforge_mock.settings import Settings

JSON = {"Accept": "application/json"}
IMPORTS = "/api/users/guest/imports"
APPLIANCES = "/api/users/guest/appliances"
OTHER = basic("other", "other-pw")
VIEWER = basic("viewer", "viewer-pw")
TEMPLATE = TemplateFacts(
    name="Monitoring",
    version="2.0",
    description="CentOS with Zabbix",
    os=TemplateOS("CentOS", "7", "x86_64", "Minimal"),
    bundles=(TemplateBundle("Zabbix", "3.0.1"),),
    attributes={"installation": {"diskSize": 12288}},
)
BUILT = datetime(2019, 6, 5, tzinfo=UTC)
# The py27 environment of the official clients, built (or found) once per machine.
py27_bin = official.py27_bin


def archive(facts: TemplateFacts = TEMPLATE, output_format: str = "yaml") -> bytes:
    return template_archive(facts, output_format, BUILT)


def hammr_create_archive(template: dict[str, Any]) -> bytes:
    """What hammr's `template create --file template.yml` uploads for a template naming no
    config script: its file (builders emptied) dumped as hammr dumps it, in a `w|gz` tar."""
    template = {**template, "builders": None}
    text = yaml.safe_dump(template, default_flow_style=False, indent=2, explicit_start=True)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w|gz") as tar:
        info = tarfile.TarInfo("template.yml")
        info.size = len(text.encode())
        tar.addfile(info, io.BytesIO(text.encode()))
    return buffer.getvalue()


def new_import(client: TestClient, query: str = "", headers: Any = GUEST) -> Any:
    response = client.post(f"{IMPORTS}{query}", headers={**headers, **JSON})
    assert response.status_code == 201, response.text
    return response.json()["applianceImport"]


def upload(client: TestClient, iid: int, body: bytes) -> Any:
    # The SDK sends the archive with the Content-Type it sends everything with.
    return client.post(
        f"{IMPORTS}/{iid}/uploads",
        content=body,
        headers={**GUEST, **JSON, "Content-Type": "application/xml"},
    )


def import_archive(client: TestClient, clock: FrozenClock, body: bytes, query: str = "") -> Any:
    """The ticket of an import of `body`, once its job has ended."""
    ticket = new_import(client, query)
    response = upload(client, ticket["dbId"], body)
    assert response.status_code == 201, response.text
    clock.advance(3600)
    done = client.get(f"{IMPORTS}/{ticket['dbId']}", headers={**GUEST, **JSON})
    return done.json()["applianceImport"]


def appliance_ids(client: TestClient) -> list[int]:
    listed = client.get(APPLIANCES, headers={**GUEST, **JSON}).json()["appliances"]
    return [item["dbId"] for item in (listed.get("appliances") or {}).get("appliance", [])]


def appliance(client: TestClient, reference: str) -> Any:
    response = client.get(f"/api/{reference}", headers={**GUEST, **JSON})
    assert response.status_code == 200, response.text
    return response.json()["appliance"]


def error_detail(ticket: Any) -> str:
    """The detail of an import ended in error; its errorMessage says it too, after the job's
    words (hammr's `template create` prints the errorMessage alone)."""
    status = ticket["status"]
    assert (status["error"], status["complete"]) == (True, False), status
    assert status["message"] == "Import failed"
    assert "referenceUri" not in ticket
    detail: str = status["detailedErrorMsg"]
    assert status["errorMessage"] == f"Failed to import the template: {detail}"
    return detail


# ---------------------------------------------------------------- the ticket


def test_a_new_import_waits_for_its_archive_valid_against_the_schema(client: TestClient) -> None:
    response = client.post(f"{IMPORTS}?imported=True&force=False", headers=GUEST)
    assert response.status_code == 201
    document = assert_valid_uforge_xml(response.content, "applianceImport")
    iid = document.findtext("dbId")
    assert response.headers["location"] == f"http://testserver{IMPORTS}/{iid}"
    assert document.findtext("imported") == "true"
    assert document.findtext("force_rw") == "false"
    assert document.findtext("uploaded") == "false"
    assert document.findtext("uploadUri") == f"users/guest/imports/{iid}/uploads"
    assert document.find("referenceUri") is None
    status = client.get(f"{IMPORTS}/{iid}/status", headers=GUEST)
    assert status.status_code == 200
    waiting = assert_valid_uforge_xml(status.content, "status")
    assert waiting.findtext("percentage") == "0"
    assert waiting.findtext("message") == "Waiting for the archive upload"


def test_the_query_flags_are_kept_on_the_ticket(client: TestClient) -> None:
    ticket = new_import(client, "?imported=false&force=TRUE&reuseBundles=true&useMajor=True")
    assert (ticket["imported"], ticket["force_rw"], ticket["reuseBundles"], ticket["useMajor"]) == (
        False,
        True,
        True,
        True,
    )


def test_a_flag_that_is_not_a_boolean_is_400(client: TestClient) -> None:
    response = client.post(f"{IMPORTS}?force=yes", headers={**GUEST, **JSON})
    assert response.status_code == 400
    assert "force must be true or false" in response.text


def test_an_import_needs_appliance_create(client: TestClient) -> None:
    response = client.post("/api/users/other/imports", headers={**OTHER, **JSON})
    assert response.status_code == 403


def test_another_users_import_is_404(client: TestClient) -> None:
    ticket = new_import(client)
    response = client.get(f"/api/users/viewer/imports/{ticket['dbId']}", headers=VIEWER)
    assert response.status_code == 404
    assert "No appliance import" in response.text


@pytest.mark.parametrize("iid", ["999", "statuses", "-1"])
def test_an_unknown_import_is_404(client: TestClient, iid: str) -> None:
    assert client.get(f"{IMPORTS}/{iid}/status", headers=GUEST).status_code == 404


# ---------------------------------------------------------------- the lifecycle


def test_an_exported_template_becomes_an_imported_appliance(
    client: TestClient, clock: FrozenClock
) -> None:
    ticket = new_import(client, "?imported=true")
    uploaded = upload(client, ticket["dbId"], archive())
    assert uploaded.status_code == 201
    status = uploaded.json()["status"]
    assert (status["complete"], status["error"], status["message"]) == (
        False,
        False,
        "Archive uploaded",
    )
    clock.advance(3600)
    done = client.get(f"{IMPORTS}/{ticket['dbId']}", headers={**GUEST, **JSON})
    made = done.json()["applianceImport"]
    assert made["status"]["complete"] is True
    assert made["status"]["message"] == "Import complete"
    made_appliance = appliance(client, made["referenceUri"])
    assert made["referenceUri"] == f"users/guest/appliances/{made_appliance['dbId']}"
    assert (made_appliance["name"], made_appliance["version"]) == ("Monitoring", "2.0")
    assert made_appliance["description"] == "CentOS with Zabbix"
    assert made_appliance["distributionName"] == "CentOS 7"
    assert made_appliance["archName"] == "x86_64"
    assert made_appliance["imported"] is True
    assert made_appliance["mySoftwareUris"]["uri"] == ["users/guest/mysoftware/918"]


def test_a_template_file_packed_by_template_create_becomes_an_appliance(
    client: TestClient, clock: FrozenClock
) -> None:
    template = {
        "stack": {
            "name": "Web",
            "version": 1.1,
            "os": {"name": "CentOS", "version": "7", "arch": "x86_64"},
            "bundles": [{"name": "Zabbix", "version": "3.0.1", "files": []}],
        }
    }
    made = import_archive(client, clock, hammr_create_archive(template), "?imported=False")
    created = appliance(client, made["referenceUri"])
    assert (created["name"], created["version"], created["imported"]) == ("Web", "1.1", False)


def test_the_import_runs_on_the_mocks_clock(
    client: TestClient, clock: FrozenClock, settings: Settings
) -> None:
    ticket = new_import(client)
    upload(client, ticket["dbId"], archive())
    path = f"{IMPORTS}/{ticket['dbId']}/status"
    clock.advance(settings.import_duration_seconds / 2)
    halfway = client.get(path, headers={**GUEST, **JSON}).json()["status"]
    assert halfway["complete"] is False and 0 < halfway["percentage"] < 100
    assert (
        "referenceUri"
        not in client.get(f"{IMPORTS}/{ticket['dbId']}", headers={**GUEST, **JSON}).json()[
            "applianceImport"
        ]
    )
    clock.advance(settings.import_duration_seconds)
    assert client.get(path, headers={**GUEST, **JSON}).json()["status"]["complete"] is True


def test_status_is_not_modified_when_its_etag_matches(client: TestClient) -> None:
    ticket = new_import(client)
    upload(client, ticket["dbId"], archive())
    path = f"{IMPORTS}/{ticket['dbId']}/status"
    first = client.get(path, headers=GUEST)
    again = client.get(path, headers={**GUEST, "If-None-Match": first.headers["etag"]})
    assert again.status_code == 304


def test_a_second_upload_is_409(client: TestClient) -> None:
    ticket = new_import(client)
    assert upload(client, ticket["dbId"], archive()).status_code == 201
    second = upload(client, ticket["dbId"], archive())
    assert second.status_code == 409
    assert f"Appliance import {ticket['dbId']} has its archive already" in second.text


def test_the_upload_leaves_nothing_in_the_data_directory(
    client: TestClient, clock: FrozenClock, settings: Settings
) -> None:
    """An archive past the MiB kept in memory goes to a file under the data directory while
    it is read, and nowhere else; the file is gone once the upload is answered."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, content in (
            ("config/blob.bin", os.urandom(2 * 2**20)),
            ("template.yml", template_file(TEMPLATE, "yaml")[1]),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    assert len(buffer.getvalue()) > 2**20
    made = import_archive(client, clock, buffer.getvalue())
    assert made["status"]["complete"] is True
    assert list((Path(settings.data_dir) / "uploads").iterdir()) == []


# ---------------------------------------------------------------- what makes nothing


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b"", "the archive is empty"),
        (b"not an archive at all", "the archive is not a gzip-compressed tar"),
        (archive()[:40], "the archive is truncated"),
    ],
    ids=["empty", "garbage", "truncated"],
)
def test_a_bad_archive_ends_in_a_clear_import_error_and_makes_nothing(
    client: TestClient, clock: FrozenClock, body: bytes, detail: str
) -> None:
    before = appliance_ids(client)
    made = import_archive(client, clock, body)
    assert error_detail(made) == detail
    assert appliance_ids(client) == before


def test_an_archive_without_a_template_file_ends_in_error(
    client: TestClient, clock: FrozenClock
) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("bundle.yml")
        tar.addfile(info, io.BytesIO(b""))
    made = import_archive(client, clock, buffer.getvalue())
    assert error_detail(made) == ("the archive holds no template.yml or template.json at its root")


def test_a_bundle_the_user_does_not_have_ends_in_error_and_makes_nothing(
    client: TestClient, clock: FrozenClock
) -> None:
    before = appliance_ids(client)
    facts = TemplateFacts(
        "Web",
        "1",
        TEMPLATE.os,
        bundles=(TemplateBundle("Zabbix", "3.0.1"), TemplateBundle("Nginx", "1.2")),
    )
    made = import_archive(client, clock, archive(facts))
    assert error_detail(made) == (
        'the template names the bundle "Nginx" version "1.2", not in the user\'s software library'
    )
    assert appliance_ids(client) == before


def test_a_template_that_exists_already_needs_force(
    client: TestClient, app: FastAPI, clock: FrozenClock
) -> None:
    existing = make_appliance(app, name="Monitoring", version="2.0")
    refused = import_archive(client, clock, archive())
    assert error_detail(refused) == (
        f'the template "Monitoring" version "2.0" exists already (appliance {existing}); '
        "import it with force to replace it"
    )
    assert appliance_ids(client) == [existing]
    forced = import_archive(client, clock, archive(), "?force=true")
    replacement = appliance(client, forced["referenceUri"])["dbId"]
    assert appliance_ids(client) == [replacement]
    assert replacement != existing


@pytest.mark.parametrize(
    ("facts", "detail"),
    [
        (
            TemplateFacts("x" * 256, "1", TEMPLATE.os),
            "the stack's name: String should have at most 255 characters",
        ),
        (
            TemplateFacts("", "1", TEMPLATE.os),
            "the stack's name: String should have at least 1 character",
        ),
        (
            TemplateFacts("Web", "1", TemplateOS("CentOS", "7", "a" * 33)),
            "the os's arch: String should have at most 32 characters",
        ),
        (TemplateFacts("We\x00b", "1", TEMPLATE.os), "the stack's name holds a NUL character"),
        (
            TemplateFacts("Web", "1", TEMPLATE.os, bundles=(TemplateBundle("Zab\x00bix", "1"),)),
            "a bundle's name holds a NUL character",
        ),
    ],
    ids=["name-too-long", "name-empty", "arch-too-long", "nul-name", "nul-bundle"],
)
def test_a_template_the_store_cannot_hold_ends_in_a_clear_error(
    client: TestClient, clock: FrozenClock, facts: TemplateFacts, detail: str
) -> None:
    made = import_archive(client, clock, archive(facts))
    assert error_detail(made) == detail
    assert appliance_ids(client) == []


# ---------------------------------------------------------------- the round trip


def export_template_file(
    client: TestClient, clock: FrozenClock, aid: int, output_format: str
) -> tuple[bytes, bytes]:
    """(the archive, its template file) of an export of the appliance `aid`."""
    exports = f"{APPLIANCES}/{aid}/exports"
    created = client.post(f"{exports}?outputFormat={output_format}", headers={**GUEST, **JSON})
    assert created.status_code == 201, created.text
    eid = created.json()["applianceExport"]["dbId"]
    clock.advance(3600)
    download = client.get(f"{exports}/{eid}/downloads", headers=GUEST)
    assert download.status_code == 200, download.text
    with tarfile.open(fileobj=io.BytesIO(download.content), mode="r:gz") as tar:
        (member,) = tar.getmembers()
        content = tar.extractfile(member).read()  # type: ignore[union-attr]
    return download.content, content


@pytest.mark.parametrize("output_format", ["yaml", "json"])
def test_export_import_export_gives_the_same_template(
    client: TestClient, app: FastAPI, clock: FrozenClock, output_format: str
) -> None:
    original = make_appliance(
        app, bundles=(918, 920), description="A CentOS base", os_profile="Minimal"
    )
    exported, first = export_template_file(client, clock, original, output_format)
    made = import_archive(client, clock, exported, "?imported=true&force=true")
    reimported = appliance(client, made["referenceUri"])["dbId"]
    assert reimported != original and appliance_ids(client) == [reimported]
    _, second = export_template_file(client, clock, reimported, output_format)
    assert second == first
    document = json.loads(second) if output_format == "json" else yaml.safe_load(second)
    assert [b["name"] for b in document["stack"]["bundles"]] == ["Zabbix", "Doomed"]


def test_the_stacks_other_keys_survive_the_round_trip(
    client: TestClient, clock: FrozenClock
) -> None:
    made = import_archive(client, clock, archive())
    aid = appliance(client, made["referenceUri"])["dbId"]
    _, exported = export_template_file(client, clock, aid, "yaml")
    stack = yaml.safe_load(exported)["stack"]
    assert stack["installation"] == {"diskSize": 12288}
    assert stack["bundles"] == [{"name": "Zabbix", "version": "3.0.1", "files": []}]


# ---------------------------------------------------------------- the real hammr

# The world of the hammr tests: guest and the one mySoftware the templates name.
HAMMR_SEED = {
    "users": [
        {
            "login": "guest",
            "password": "guest-pw",
            "entitlements": ["software_upload", "appliance_create"],
        }
    ],
    "mySoftware": [{"dbId": 918, "owner": "guest", "name": "Zabbix", "version": "3.0.1"}],
}
HAMMR_GUEST = ["-u", "guest", "-p", "guest-pw"]


@pytest.fixture(scope="module")
def hammr_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A uforge-mock process whose exports and imports end at once (hammr polls every 2 s)."""
    data_dir = tmp_path_factory.mktemp("hammr-templates")
    seed_file = data_dir / "seed.yml"
    seed_file.write_text(yaml.safe_dump(HAMMR_SEED))
    with server_process(
        data_dir,
        "--no-demo",
        "--seed",
        str(seed_file),
        export_duration_seconds="0",
        import_duration_seconds="0",
    ) as base:
        yield f"{base}/api"


def guest_appliance(url: str, aid: int) -> Any:
    response = http_get(url, f"/users/guest/appliances/{aid}", "guest", "guest-pw")
    assert response.status_code == 200, response.text
    return response.json()["appliance"]


@pytest.mark.official
def test_real_hammr_template_create_then_export_then_import(
    py27_bin: Path, hammr_server: str, tmp_path: Path
) -> None:
    """`template create --file template.yml` packs the file into an archive and uploads it;
    `template import --file` uploads an export's archive as it is: both become appliances."""
    (tmp_path / "template.yml").write_text(
        "---\n"
        "stack:\n"
        "  name: Hammr Made\n"
        "  version: '1.0'\n"
        "  description: made by hammr template create\n"
        "  os: {name: CentOS, version: '7', arch: x86_64, profile: Minimal}\n"
        "  bundles:\n"
        "  - {name: Zabbix, version: 3.0.1, files: []}\n"
        "builders:\n"
        "- {type: Docker}\n"
    )
    created = hammr(
        py27_bin, hammr_server, *HAMMR_GUEST, "template", "create", "--file", "template.yml",
        cwd=tmp_path,
    )  # fmt: skip
    assert created.returncode == 0, output(created)
    assert "Template create: DONE" in created.stdout, output(created)
    made = printed_id(created.stdout, "Template Id :")
    first = guest_appliance(hammr_server, made)
    assert (first["name"], first["version"], first["imported"]) == ("Hammr Made", "1.0", False)
    assert first["mySoftwareUris"]["uri"] == ["users/guest/mysoftware/918"]

    exported = hammr(
        py27_bin, hammr_server, *HAMMR_GUEST, "template", "export", "--id", str(made),
        "--file", "made.tar.gz", cwd=tmp_path,
    )  # fmt: skip
    assert exported.returncode == 0 and "Download complete" in exported.stdout, output(exported)

    again = hammr(
        py27_bin, hammr_server, *HAMMR_GUEST, "template", "import", "--file", "made.tar.gz",
        cwd=tmp_path,
    )  # fmt: skip
    assert again.returncode == 2, output(again)
    # hammr prints the status's message, its errorMessage, then its detailedErrorMsg.
    assert "Template import: Import failed\nFailed to import the template: " in again.stdout
    assert "exists already (appliance" in again.stdout, output(again)

    forced = hammr(
        py27_bin, hammr_server, *HAMMR_GUEST, "template", "import", "--file", "made.tar.gz",
        "--force", cwd=tmp_path,
    )  # fmt: skip
    assert forced.returncode == 0, output(forced)
    assert "Template import: DONE" in forced.stdout, output(forced)
    imported = printed_id(forced.stdout, "Template Id :")
    second = guest_appliance(hammr_server, imported)
    assert imported != made and second["imported"] is True
    assert {key: second[key] for key in ("name", "version", "description", "distributionName")} == {
        key: first[key] for key in ("name", "version", "description", "distributionName")
    }


@pytest.mark.official
def test_real_hammr_reports_a_template_naming_a_missing_bundle(
    py27_bin: Path, hammr_server: str, tmp_path: Path
) -> None:
    (tmp_path / "template.json").write_text(
        json.dumps(
            {
                "stack": {
                    "name": "Missing",
                    "version": "1",
                    "os": {"name": "CentOS", "version": "7", "arch": "x86_64"},
                    "bundles": [{"name": "Nginx", "version": "1.2", "files": []}],
                }
            }
        )
    )
    created = hammr(
        py27_bin, hammr_server, *HAMMR_GUEST, "template", "create", "--file", "template.json",
        cwd=tmp_path,
    )  # fmt: skip
    assert created.returncode == 2, output(created)
    assert "Template create: Import failed\nFailed to import the template: " in created.stdout
    assert 'the template names the bundle "Nginx" version "1.2"' in created.stdout, output(created)


# ---------------------------------------------------------------- the user's imports


def listed_imports(client: TestClient, query: str = "") -> Any:
    response = client.get(f"{IMPORTS}{query}", headers={**GUEST, **JSON})
    assert response.status_code == 200, response.text
    return response.json()["applianceImports"]


def listed_ids(listing: Any) -> list[int]:
    return [
        item["dbId"] for item in (listing.get("applianceImports") or {}).get("applianceImport", [])
    ]


def test_user_imports_list_every_ticket_with_its_state_valid_against_the_schema(
    client: TestClient, app: FastAPI, clock: FrozenClock
) -> None:
    done = import_archive(client, clock, archive())
    waiting = new_import(client, "?imported=true")
    # Another user's import is not listed.
    assert client.post("/api/users/viewer/imports", headers=VIEWER).status_code == 201
    response = client.get(IMPORTS, headers=GUEST)
    assert response.status_code == 200
    document = assert_valid_uforge_xml(response.content, "applianceImports")
    assert document.findtext("total") == "2"
    items = document.findall("applianceImports/applianceImport")
    assert [item.findtext("dbId") for item in items] == [str(done["dbId"]), str(waiting["dbId"])]
    assert items[0].findtext("referenceUri") == done["referenceUri"]
    assert items[0].findtext("status/complete") == "true"
    assert items[1].findtext("uploaded") == "false"
    assert items[1].findtext("status/percentage") == "0"


def test_user_imports_are_searched_ordered_and_paged(
    client: TestClient, clock: FrozenClock
) -> None:
    first, second, third = (
        new_import(client, f"?imported={flag}") for flag in ("true", "false", "true")
    )
    assert listed_ids(listed_imports(client, "?query=imported==true")) == [
        first["dbId"],
        third["dbId"],
    ]
    newest_first = listed_imports(client, "?orderBy=dbId&descending=True&count=2&offset=1")
    assert newest_first["total"] == 3
    assert listed_ids(newest_first) == [second["dbId"], first["dbId"]]
    assert listed_ids(listed_imports(client, "?query=imported==FALSE")) == [second["dbId"]]
    unknown = client.get(f"{IMPORTS}?orderBy=nothing", headers={**GUEST, **JSON})
    assert unknown.status_code == 400
    not_a_boolean = client.get(f"{IMPORTS}?query=imported==yes", headers={**GUEST, **JSON})
    assert not_a_boolean.status_code == 400
    assert "imported must be true or false" in not_a_boolean.text


def test_user_import_statuses_filter_on_ai(client: TestClient) -> None:
    kept, other = new_import(client)["dbId"], new_import(client)["dbId"]
    everything = client.get(f"{IMPORTS}/statuses", headers=GUEST)
    assert everything.status_code == 200
    document = assert_valid_uforge_xml(everything.content, "statuses")
    assert [s.findtext("dbId") for s in document.findall("statuses/status")] == [
        str(kept),
        str(other),
    ]
    response = client.get(
        f"{IMPORTS}/statuses",
        params={"ai": f"users/guest/imports/{kept}"},
        headers={**GUEST, **JSON},
    )
    statuses = response.json()["statuses"]
    assert statuses["total"] == 1
    assert [s["dbId"] for s in statuses["statuses"]["status"]] == [kept]


def test_user_imports_need_appliance_create_and_the_users_own_path(client: TestClient) -> None:
    assert client.get("/api/users/other/imports", headers=OTHER).status_code == 403
    assert client.get("/api/users/other/imports/statuses", headers=OTHER).status_code == 403
    assert client.get("/api/users/other/imports", headers=GUEST).status_code == 403


def test_user_imports_list_is_not_modified_while_nothing_moves(
    client: TestClient, clock: FrozenClock
) -> None:
    import_archive(client, clock, archive())
    first = client.get(IMPORTS, headers=GUEST)
    again = client.get(IMPORTS, headers={**GUEST, "If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    new_import(client)
    changed = client.get(IMPORTS, headers={**GUEST, "If-None-Match": first.headers["etag"]})
    assert changed.status_code == 200


def test_deleting_an_import_removes_the_ticket_and_keeps_its_appliance(
    client: TestClient, clock: FrozenClock
) -> None:
    done = import_archive(client, clock, archive())
    iid = done["dbId"]
    deleted = client.delete(f"{IMPORTS}/{iid}", headers=GUEST)
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert client.get(f"{IMPORTS}/{iid}", headers=GUEST).status_code == 404
    assert client.get(f"{IMPORTS}/{iid}/status", headers=GUEST).status_code == 404
    assert iid not in listed_ids(listed_imports(client))
    assert appliance(client, done["referenceUri"])["name"] == TEMPLATE.name
    again = client.delete(f"{IMPORTS}/{iid}", headers={**GUEST, **JSON})
    assert again.status_code == 404
    assert again.json()["uforgeError"]["statusCode"] == 404
    assert new_import(client)["dbId"] > iid  # its id is not handed out again


def test_deleting_a_running_or_waiting_import_is_allowed_and_another_users_is_404(
    client: TestClient,
) -> None:
    waiting = new_import(client)["dbId"]
    running = new_import(client)["dbId"]
    assert upload(client, running, archive()).status_code == 201
    for iid in (waiting, running):
        assert client.delete(f"{IMPORTS}/{iid}", headers=GUEST).status_code == 204
    mine = new_import(client)["dbId"]
    response = client.delete(f"/api/users/viewer/imports/{mine}", headers=VIEWER)
    assert response.status_code == 404
    assert client.get(f"{IMPORTS}/{mine}", headers=GUEST).status_code == 200
