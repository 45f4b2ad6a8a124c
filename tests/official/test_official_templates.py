"""The `hammr template` command group (all but `template build`) and the SDK calls behind every
appliance route, against a real uforge-mock process: a template survives hammr's export and
import, `template create --file` makes one, clone and delete change the store, and a cancelled
export is what hammr's polling meets.

The server is the folder's (one process, seed.yml), shared with the bundle tests: each test
works on guest's seeded templates of its own (seed.yml says which) or on what it made, and
`template list` reads curator's templates, which no test changes.
"""

import io
import os
import signal
import subprocess
import tarfile
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.official.clients import (
    archive_members,
    hammr,
    http_get,
    output,
    printed_id,
    sdk,
    table,
)

pytestmark = pytest.mark.official

GUEST = ["-u", "guest", "-p", "guest-pw"]
HAMMR_CURATOR = {
    "basic": ["-u", "curator", "-p", "curator-pw"],
    "api-keys": ["-u", "curator", "-k", "PUB-curator", "-s", "SEC-curator"],
}
SDK_GUEST = {
    "basic": ["guest", "--password", "guest-pw"],
    "api-keys": ["guest", "--keys", "PUB-guest", "SEC-guest"],
}

LIST_HEADER = [
    "Id", "Name", "Version", "OS", "Created", "Last modified", "# Imgs", "Updates", "Imp",
    "Shared",
]  # fmt: skip
# curator's templates as `template list` shows them: ordered by name whatever the case, the OS
# as "distributionName archName", an X for an imported or a shared one.
CURATOR_ROWS = [
    ["231", "collectd box", "5.8", "Ubuntu 18.04 x86_64", "2019-06-01 10:00:00",
     "2019-06-01 10:00:00", "0", "0", "X", ""],
    ["230", "Nginx Server", "1.14", "CentOS 7 x86_64", "2019-06-05 21:40:12",
     "2019-06-06 08:00:00", "0", "3", "", "X"],
]  # fmt: skip
# The template file of guest's template 201 (seed.yml), as its export's archive holds it.
CORE_TEMPLATE = {
    "stack": {
        "name": "CentOS Core",
        "version": "1.0",
        "description": "Exported by hammr",
        "os": {"name": "CentOS", "version": "7", "arch": "x86_64", "profile": "Minimal"},
        "bundles": [{"name": "Zabbix", "version": "3.0.1", "files": []}],
    }
}


def guest_appliance(url: str, aid: int) -> httpx.Response:
    return http_get(url, f"/users/guest/appliances/{aid}", "guest", "guest-pw")


def appliance_fields(url: str, aid: int) -> dict[str, Any]:
    response = guest_appliance(url, aid)
    assert response.status_code == 200, response.text
    return response.json()["appliance"]  # type: ignore[no-any-return]


def guest_exports(url: str) -> list[dict[str, Any]]:
    response = http_get(url, "/users/guest/exports", "guest", "guest-pw")
    assert response.status_code == 200, response.text
    listing = response.json()["applianceExports"].get("applianceExports") or {}
    return listing.get("applianceExport", [])  # type: ignore[no-any-return]


def template_file(archive: Path) -> dict[str, Any]:
    """The template.yml of a template archive."""
    return yaml.safe_load(archive_members(archive)["template.yml"])  # type: ignore[no-any-return]


def export(py27_bin: Path, url: str, aid: int, folder: Path) -> Path:
    """`hammr template export` of guest's `aid` into `folder`: the archive."""
    archive = folder / f"template-{aid}.tar.gz"
    result = hammr(
        py27_bin, url, *GUEST, "template", "export", "--id", str(aid), "--file", str(archive),
        cwd=folder,
    )  # fmt: skip
    assert result.returncode == 0, output(result)
    assert f"OK: Download complete of file [{archive}]" in result.stdout, output(result)
    return archive


# ---- template list


@pytest.mark.parametrize("credentials", ["basic", "api-keys"])
def test_hammr_template_list_shows_the_templates(
    py27_bin: Path, official_server: str, tmp_path: Path, credentials: str
) -> None:
    result = hammr(
        py27_bin, official_server, *HAMMR_CURATOR[credentials], "template", "list", cwd=tmp_path
    )
    assert result.returncode == 0, output(result)
    assert table(result.stdout) == [LIST_HEADER, *CURATOR_ROWS], output(result)
    assert "Found 2 templates" in result.stdout


# ---- template export, and import of what it made


@pytest.fixture(scope="module")
def core_archive(
    py27_bin: Path, official_server: str, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The archive of `hammr template export --id 201` (CentOS Core)."""
    return export(py27_bin, official_server, 201, tmp_path_factory.mktemp("core-export"))


def test_hammr_template_export_downloads_the_template_file(
    official_server: str, core_archive: Path
) -> None:
    assert template_file(core_archive) == CORE_TEMPLATE
    # hammr deleted its export once downloaded.
    parents = {item["parentUri"] for item in guest_exports(official_server)}
    assert "users/guest/appliances/201" not in parents


def test_hammr_template_export_of_a_failing_export_prints_its_error(
    py27_bin: Path, official_server: str, tmp_path: Path
) -> None:
    result = hammr(
        py27_bin, official_server, *GUEST, "template", "export", "--id", "207", cwd=tmp_path
    )
    # hammr reports the failure and still ends with 0; it downloads nothing.
    assert result.returncode == 0, output(result)
    assert "Export error: " in result.stdout, output(result)
    assert "Download complete" not in result.stdout
    assert not (tmp_path / "archive.tar.gz").exists()


def test_hammr_template_import_of_an_export_replaces_it_with_force(
    py27_bin: Path, official_server: str, tmp_path: Path, core_archive: Path
) -> None:
    refused = hammr(
        py27_bin, official_server, *GUEST, "template", "import", "--file", str(core_archive),
        cwd=tmp_path,
    )  # fmt: skip
    assert refused.returncode == 2, output(refused)
    assert 'the template "CentOS Core" version "1.0" exists already' in refused.stdout
    result = hammr(
        py27_bin, official_server, *GUEST, "template", "import", "--file", str(core_archive), "-f",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, output(result)
    assert "Template import: DONE" in result.stdout, output(result)
    aid = printed_id(result.stdout, "Template Id :")
    assert f"Template URI: users/guest/appliances/{aid}" in result.stdout
    assert aid != 201 and guest_appliance(official_server, 201).status_code == 404
    imported = appliance_fields(official_server, aid)
    assert (imported["name"], imported["version"], imported["imported"]) == (
        "CentOS Core",
        "1.0",
        True,
    )
    assert imported["mySoftwareUris"]["uri"] == ["users/guest/mysoftware/918"]
    again = export(py27_bin, official_server, aid, tmp_path)
    assert template_file(again) == CORE_TEMPLATE


# ---- template create --file


def test_hammr_template_create_makes_the_template_of_a_file(
    py27_bin: Path, official_server: str, tmp_path: Path
) -> None:
    template = {
        "stack": {
            "name": "Hammered Template",
            "version": "0.1",
            "description": "Created by hammr",
            "os": {"name": "CentOS", "version": "7", "arch": "x86_64", "profile": "Minimal"},
            # hammr demands a `files` list of each bundle; the server finds guest's Zabbix.
            "bundles": [{"name": "Zabbix", "version": "3.0.1", "files": []}],
        }
    }
    (tmp_path / "template.yml").write_text(yaml.safe_dump(template))
    result = hammr(
        py27_bin, official_server, *GUEST, "template", "create", "--file", "template.yml",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, output(result)
    assert "Template create: DONE" in result.stdout, output(result)
    aid = printed_id(result.stdout, "Template Id :")
    made = appliance_fields(official_server, aid)
    assert (made["name"], made["version"], made["description"]) == (
        "Hammered Template",
        "0.1",
        "Created by hammr",
    )
    assert (made["distributionName"], made["archName"], made["imported"]) == (
        "CentOS 7",
        "x86_64",
        False,
    )
    assert made["mySoftwareUris"]["uri"] == ["users/guest/mysoftware/918"]


# ---- template clone and delete


def test_hammr_template_clone_copies_the_template(
    py27_bin: Path, official_server: str, tmp_path: Path
) -> None:
    result = hammr(
        py27_bin, official_server, *GUEST,
        "template", "clone", "--id", "205", "--name", "WebClone", "--version", "2.1",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, output(result)
    assert "Clonned successfully" in result.stdout, output(result)
    response = http_get(
        official_server, "/users/guest/appliances", "guest", "guest-pw", query="name=='WebClone'"
    )
    [clone] = response.json()["appliances"]["appliances"]["appliance"]
    assert clone["dbId"] != 205
    assert (clone["version"], clone["description"], clone["distributionName"]) == (
        "2.1",
        "Cloned by hammr",
        "Debian 9",
    )
    assert clone["mySoftwareUris"]["uri"] == [
        "users/guest/mysoftware/918",
        "users/guest/mysoftware/922",
    ]
    assert clone["imported"] is False


def test_hammr_template_delete_deletes_after_yes(
    py27_bin: Path, official_server: str, tmp_path: Path
) -> None:
    result = hammr(
        py27_bin, official_server, *GUEST, "template", "delete", "--id", "202",
        cwd=tmp_path, answer="y\n",
    )  # fmt: skip
    assert result.returncode == 0, output(result)
    assert "Do you really want to delete template with id 202" in result.stdout, output(result)
    assert table(result.stdout)[1][:3] == ["202", "Disposable Template", "0.1"]
    assert "Template deleted" in result.stdout
    assert guest_appliance(official_server, 202).status_code == 404


def test_hammr_template_delete_keeps_the_template_after_no(
    py27_bin: Path, official_server: str, tmp_path: Path
) -> None:
    result = hammr(
        py27_bin, official_server, *GUEST, "template", "delete", "--id", "204",
        cwd=tmp_path, answer="n\n",
    )  # fmt: skip
    assert result.returncode == 0, output(result)
    assert "Do you really want to delete template with id 204" in result.stdout, output(result)
    assert "Template deleted" not in result.stdout
    assert appliance_fields(official_server, 204)["name"] == "Kept Template"


def test_hammr_template_delete_of_an_unknown_template_fails(
    py27_bin: Path, official_server: str, tmp_path: Path
) -> None:
    result = hammr(
        py27_bin, official_server, *GUEST, "template", "delete", "--id", "4242", cwd=tmp_path
    )
    assert result.returncode == 2, output(result)
    assert "UForge Error '404'" in result.stdout, output(result)


# ---- a cancel under hammr's polling


def running_export_of(url: str, aid: int, deadline: float) -> dict[str, Any]:
    """The running export of guest's `aid`, once hammr made it."""
    while time.monotonic() < deadline:
        for item in guest_exports(url):
            status = item["status"]
            if item["parentUri"] == f"users/guest/appliances/{aid}" and not status["cancelled"]:
                return item
        time.sleep(0.5)
    raise AssertionError(f"no export of template {aid} appeared")


def test_hammr_keeps_polling_a_cancelled_export_until_interrupted(
    py27_bin: Path, official_server: str, tmp_path: Path
) -> None:
    archive = tmp_path / "slow.tar.gz"
    env = {**os.environ, "ANSI_COLORS_DISABLED": "1", "HOME": str(tmp_path)}
    command = [str(py27_bin / "hammr"), "-a", official_server, *GUEST,
               "template", "export", "--id", "203", "--file", str(archive)]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        running = running_export_of(official_server, 203, time.monotonic() + 90)
        cancel = httpx.delete(
            f"{official_server}/{running['uri']}/status",
            auth=("guest", "guest-pw"),
            headers={"Accept": "application/json"},
            timeout=30,
        )
        assert cancel.status_code == 200, cancel.text
        assert cancel.json()["status"]["cancelled"] is True
        # hammr polls every 2 s until complete or error: a cancelled status is neither.
        time.sleep(7)
        assert process.poll() is None, "hammr ended on a cancelled export"
        status = http_get(official_server, f"/{running['uri']}/status", "guest", "guest-pw")
        assert status.json()["status"]["cancelled"] is True
        process.send_signal(signal.SIGINT)
        printed, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    text = printed.decode("utf-8", "replace")
    # Interrupted, hammr says so and ends with 0, without an archive.
    assert process.returncode == 0, text
    assert "Exiting command" in text
    assert "Download complete" not in text and not archive.exists()


# ---- the SDK: every appliance route, with a password and with API keys


@pytest.mark.parametrize("credentials", ["basic", "api-keys"])
def test_sdk_drives_every_appliance_route(
    py27_bin: Path, official_server: str, tmp_path: Path, credentials: str
) -> None:
    out = tmp_path / "sdk.tar.gz"
    clone_name = f"SDK Clone {credentials}"
    result = sdk(
        py27_bin, official_server, *SDK_GUEST[credentials],
        "templates", "206", "203", clone_name, str(out),
        driver="sdk_templates.py",
    )  # fmt: skip
    assert "error" not in result and "exception" not in result, result
    listed = result["all"]
    assert listed["type"] == "Appliances" and listed["total"] == len(listed["items"])
    assert {206, 203}.issubset(item["dbId"] for item in listed["items"])
    assert 230 not in [item["dbId"] for item in listed["items"]]  # curator's
    assert [item["dbId"] for item in result["search"]["items"]] == [206]
    assert result["appliance"]["name"] == "SDK Template"
    assert result["images"] == {"type": "Images", "count": 0}

    export = result["export"]
    assert (export["type"], export["applianceName"], export["parentUri"]) == (
        "ApplianceExport",
        "SDK Template",
        "users/guest/appliances/206",
    )
    assert result["final_status"]["complete"] is True
    assert result["got_export"]["dbId"] == export["dbId"]
    assert result["got_export"]["status"]["complete"] is True
    assert result["cancel_complete"]["error"]["statusCode"] == 409
    assert template_file(out)["stack"]["name"] == "SDK Template"
    assert result["deleted_export"] == ""
    assert result["after_delete"]["error"]["statusCode"] == 404

    slow = result["slow_export"]
    assert slow["status"]["complete"] is False
    for key in ("cancelled", "after_cancel", "cancelled_again"):
        status = result[key]
        assert (status["type"], status["cancelled"], status["complete"], status["error"]) == (
            "OpStatus",
            True,
            False,
            False,
        ), key
    assert result["after_cancel"]["percentage"] == result["cancelled"]["percentage"]
    exports = {item["dbId"]: item for item in result["user_exports"]["items"]}
    assert result["user_exports"]["type"] == "ApplianceExports"
    assert exports[slow["dbId"]]["status"]["cancelled"] is True
    statuses = {item["dbId"]: item for item in result["user_statuses"]["items"]}
    assert result["user_statuses"]["type"] == "OpStatuses"
    assert statuses[slow["dbId"]]["cancelled"] is True
    assert result["deleted_slow"] == ""

    clone = result["clone"]
    assert (clone["name"], clone["version"], clone["distributionName"]) == (
        clone_name,
        "1.1",
        "CentOS 7",
    )
    assert clone["dbId"] != 206 and result["got_clone"] == clone
    assert result["deleted_clone"] == ""
    assert result["after_clone_delete"]["error"]["statusCode"] == 404


def template_archive(name: str) -> bytes:
    """A tar.gz holding a template.yml of guest's Zabbix, as hammr's `template create` packs
    one."""
    template = {
        "stack": {
            "name": name,
            "version": "1.0",
            "os": {"name": "CentOS", "version": "7", "arch": "x86_64"},
            "bundles": [{"name": "Zabbix", "version": "3.0.1", "files": []}],
        }
    }
    content = yaml.safe_dump(template).encode()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        member = tarfile.TarInfo("template.yml")
        member.size = len(content)
        archive.addfile(member, io.BytesIO(content))
    return buffer.getvalue()


@pytest.mark.parametrize("credentials", ["basic", "api-keys"])
def test_sdk_imports_a_template_archive(
    py27_bin: Path, official_server: str, tmp_path: Path, credentials: str
) -> None:
    archive = tmp_path / "template.tar.gz"
    archive.write_bytes(template_archive(f"SDK Import {credentials}"))
    result = sdk(
        py27_bin, official_server, *SDK_GUEST[credentials], "import", str(archive), "true",
        driver="sdk_templates.py",
    )  # fmt: skip
    assert "error" not in result and "exception" not in result, result
    assert result["ticket"]["imported"] is True
    assert result["uploaded_status"]["type"] == "OpStatus"
    final = result["final_status"]
    assert (final["complete"], final["error"]) == (True, False)
    made = result["appliance"]
    assert result["import"]["referenceUri"] == f"users/guest/appliances/{made['dbId']}"
    assert (made["name"], made["imported"]) == (f"SDK Import {credentials}", True)
    mine = result["user_imports"]
    assert mine["type"] == "ApplianceImports" and mine["total"] == len(mine["items"])
    assert result["ticket"]["dbId"] in [item["dbId"] for item in mine["items"]]
    assert all(item["imported"] is True for item in mine["items"])
    [only] = result["user_statuses"]
    assert (only["type"], only["complete"]) == ("OpStatus", True)
    assert result["deleted"] == ""
    assert result["after_delete"]["error"]["statusCode"] == 404
    assert appliance_fields(official_server, made["dbId"])["name"] == made["name"]
