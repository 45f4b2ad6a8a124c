"""The whole `hammr bundle` command group, `hammr user info`, and the SDK calls behind them,
against a real uforge-mock process: a bundle survives hammr's create, export and import.

The server is shared by the folder's tests (one process, seed.yml): tests that change guest's
library look only at what they made or at seeded entries no other test touches, and the listing
tests read curator's library, which no test changes.
"""

import struct
import subprocess
import zlib
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.official.clients import (
    described,
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

LIST_HEADER = ["Id", "Name", "Version", "Description", "Category", "Size", "Imported"]
# curator's library as `bundle list` shows it: ordered by name whatever the case, sizes as
# hurry.filesize writes them, an X for an imported bundle.
CURATOR_ROWS = [
    ["931", "collectd", "5.8", "Statistics daemon", "Monitoring", "2K", ""],
    ["930", "Nginx", "1.14", "Web server", "Web", "1M", "X"],
]


def png() -> bytes:
    """A valid 1x1 PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x80\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


AGENT_CONF = b"Server=127.0.0.1\nHostname=web-1\n"
START_SH = b"#!/bin/sh\nexec /opt/hammered/bin/run\n"
STOP_SH = b"#!/bin/sh\npkill -f /opt/hammered/bin/run\n"
LICENSE = b"Copyright (c) 2019 Hammered Inc.\nAll rights reserved.\n"
LOGO = png()
# What the bundle made by `bundle create` (the `created` fixture) describes, wherever it is
# exported: every file's bytes, the license and the logo.
HAMMERED = {
    "name": "Hammered",
    "version": "2.1",
    "description": "Created by hammr",
    "category": "Monitoring",
    "files": {"agent.conf": AGENT_CONF, "scripts": {"start.sh": START_SH, "stop.sh": STOP_SH}},
    "license": ("LICENSE.txt", LICENSE),
    "logo": ("logo.png", LOGO),
}


def guest_software(url: str, msid: int) -> dict[str, Any]:
    response = http_get(url, f"/users/guest/mysoftware/{msid}", "guest", "guest-pw")
    assert response.status_code == 200, response.text
    return response.json()["mySoftware"]  # type: ignore[no-any-return]


def guest_software_named(url: str, name: str) -> list[dict[str, Any]]:
    response = http_get(
        url, "/users/guest/mysoftware", "guest", "guest-pw", query=f"name=='{name}'"
    )
    assert response.status_code == 200, response.text
    listing = response.json()["mySoftwareList"].get("mySoftwareList") or {}
    return listing.get("mySoftware", [])  # type: ignore[no-any-return]


def export(py27_bin: Path, url: str, msid: int, folder: Path) -> Path:
    """`hammr bundle export` of guest's `msid` into `folder`: the archive."""
    archive = folder / f"export-{msid}.tar.gz"
    result = hammr(
        py27_bin, url, *GUEST, "bundle", "export", "--id", str(msid), "--file", str(archive),
        cwd=folder,
    )  # fmt: skip
    assert result.returncode == 0, output(result)
    assert f"OK: Download complete of file [{archive}]" in result.stdout, output(result)
    return archive


def import_archive(py27_bin: Path, url: str, archive: Path, folder: Path) -> int:
    """`hammr bundle import` of `archive` as guest: the new bundle's id."""
    result = hammr(py27_bin, url, *GUEST, "bundle", "import", "--file", str(archive), cwd=folder)
    assert result.returncode == 0, output(result)
    assert "Bundle import: DONE" in result.stdout, output(result)
    return printed_id(result.stdout)


# ---- bundle create, and the round trips of what it made


@pytest.fixture(scope="module")
def created(
    py27_bin: Path, official_server: str, tmp_path_factory: pytest.TempPathFactory
) -> subprocess.CompletedProcess[str]:
    """`hammr bundle create` of HAMMERED's bundle file, from real files: one plain file, one
    folder holding two, a license and a logo."""
    folder = tmp_path_factory.mktemp("create")
    (folder / "agent.conf").write_bytes(AGENT_CONF)
    (folder / "scripts").mkdir()
    (folder / "scripts" / "start.sh").write_bytes(START_SH)
    (folder / "scripts" / "stop.sh").write_bytes(STOP_SH)
    (folder / "LICENSE.txt").write_bytes(LICENSE)
    (folder / "logo.png").write_bytes(LOGO)
    bundle = {
        "name": "Hammered",
        "version": "2.1",
        "description": "Created by hammr",
        "category": "Monitoring",
        "license": {"source": str(folder / "LICENSE.txt")},
        "sourceLogo": str(folder / "logo.png"),
        "files": [
            {"name": "agent.conf", "source": str(folder / "agent.conf")},
            # hammr lists a folder's files itself, into the entry's `files`, which must exist.
            {"name": "scripts", "source": str(folder / "scripts"), "files": []},
        ],
    }
    (folder / "bundle.yml").write_text(yaml.safe_dump(bundle))
    return hammr(
        py27_bin, official_server, *GUEST, "bundle", "create", "--file", str(folder / "bundle.yml"),
        cwd=folder,
    )  # fmt: skip


@pytest.fixture(scope="module")
def created_export(
    py27_bin: Path,
    official_server: str,
    tmp_path_factory: pytest.TempPathFactory,
    created: subprocess.CompletedProcess[str],
) -> Path:
    """The archive of `hammr bundle export` of the bundle `created` made."""
    msid = printed_id(created.stdout)
    return export(py27_bin, official_server, msid, tmp_path_factory.mktemp("created-export"))


def test_hammr_bundle_create_reports_the_new_bundle(
    created: subprocess.CompletedProcess[str],
) -> None:
    assert created.returncode == 0, output(created)
    assert "Bundle create: DONE" in created.stdout, output(created)
    msid = printed_id(created.stdout)
    assert f"Bundle URI: users/guest/mysoftware/{msid}" in created.stdout


def test_hammr_bundle_create_stores_the_bundle_its_license_and_logo(
    py27_bin: Path, official_server: str, created: subprocess.CompletedProcess[str]
) -> None:
    msid = printed_id(created.stdout)
    software = sdk(py27_bin, official_server, *SDK_GUEST["basic"], "describe", str(msid))
    assert software == {
        "type": "MySoftware",
        "dbId": msid,
        "name": "Hammered",
        "version": "2.1",
        "description": "Created by hammr",
        # The sum of its files' sizes.
        "size": len(AGENT_CONF) + len(START_SH) + len(STOP_SH),
        "imported": False,
        "category": "Monitoring",
        "license": {"name": "LICENSE.txt", "size": len(LICENSE)},
        "logo": {"name": "logo.png", "size": len(LOGO)},
        "uri": f"users/guest/mysoftware/{msid}",
    }


def test_hammr_bundle_export_of_a_created_bundle_holds_its_files(created_export: Path) -> None:
    assert described(created_export) == HAMMERED


def test_a_created_bundle_survives_export_and_import(
    py27_bin: Path, official_server: str, tmp_path: Path, created_export: Path
) -> None:
    msid = import_archive(py27_bin, official_server, created_export, tmp_path)
    again = export(py27_bin, official_server, msid, tmp_path)
    assert described(again) == HAMMERED
    imported = guest_software(official_server, msid)
    assert (imported["name"], imported["imported"]) == ("Hammered", True)
    assert imported["license"]["name"] == "LICENSE.txt"
    assert imported["logo"]["name"] == "logo.png"


# ---- bundle import of what bundle export made


@pytest.fixture(scope="module")
def zabbix_archive(
    py27_bin: Path, official_server: str, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The archive of `hammr bundle export --id 918` (Zabbix)."""
    return export(py27_bin, official_server, 918, tmp_path_factory.mktemp("zabbix-export"))


def test_hammr_bundle_import_round_trips_an_exported_bundle(
    py27_bin: Path, official_server: str, tmp_path: Path, zabbix_archive: Path
) -> None:
    msid = import_archive(py27_bin, official_server, zabbix_archive, tmp_path)
    assert msid != 918
    again = export(py27_bin, official_server, msid, tmp_path)
    assert described(again) == described(zabbix_archive)
    imported = guest_software(official_server, msid)
    assert (imported["name"], imported["version"], imported["imported"]) == (
        "Zabbix",
        "3.0.1",
        True,
    )
    assert imported["description"] == "Zabbix agent and configuration"


@pytest.mark.parametrize("credentials", ["basic", "api-keys"])
def test_sdk_imports_an_exported_bundle(
    py27_bin: Path, official_server: str, zabbix_archive: Path, credentials: str
) -> None:
    sdk_credentials = SDK_GUEST[credentials]
    result = sdk(py27_bin, official_server, *sdk_credentials, "import", str(zabbix_archive), "true")
    assert "error" not in result and "exception" not in result, result
    assert result["ticket"]["imported"] is True
    assert result["uploaded_status"]["type"] == "OpStatus"
    final = result["final_status"]
    assert (final["type"], final["complete"], final["error"]) == ("OpStatus", True, False)
    reference = result["import"]["referenceUri"]
    assert result["import"]["dbId"] == result["ticket"]["dbId"]
    software = result["mySoftware"]
    assert reference == f"users/guest/mysoftware/{software['dbId']}"
    assert (software["name"], software["version"], software["imported"]) == (
        "Zabbix",
        "3.0.1",
        True,
    )


def test_sdk_creates_a_bundle_from_an_archive(
    py27_bin: Path, official_server: str, zabbix_archive: Path
) -> None:
    result = sdk(
        py27_bin, official_server, *SDK_GUEST["basic"], "import", str(zabbix_archive), "false"
    )
    assert "error" not in result and "exception" not in result, result
    assert result["ticket"]["imported"] is False
    assert result["final_status"]["complete"] is True
    assert result["mySoftware"]["name"] == "Zabbix"
    assert result["mySoftware"]["imported"] is False


# ---- bundle list (and a supervisor's), categories, user info


@pytest.mark.parametrize("credentials", ["basic", "api-keys"])
def test_hammr_bundle_list_shows_the_library(
    py27_bin: Path, official_server: str, tmp_path: Path, credentials: str
) -> None:
    result = hammr(
        py27_bin, official_server, *HAMMR_CURATOR[credentials], "bundle", "list", cwd=tmp_path
    )
    assert result.returncode == 0, output(result)
    assert table(result.stdout) == [LIST_HEADER, *CURATOR_ROWS], output(result)
    assert "Found 2 bundles" in result.stdout


def test_hammr_bundle_list_as_a_supervisor_shows_the_users_library(
    py27_bin: Path, official_server: str, tmp_path: Path
) -> None:
    result = hammr(
        py27_bin, official_server, "-u", "boss\\curator", "-p", "boss-pw", "bundle", "list",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, output(result)
    assert table(result.stdout) == [LIST_HEADER, *CURATOR_ROWS], output(result)
    assert "Found 2 bundles" in result.stdout


@pytest.mark.parametrize(
    ("login", "password"),
    [("boss\\curator", "wrong"), ("guest\\curator", "guest-pw")],
    ids=["wrong-password", "no-supervisor-entitlement"],
)
def test_hammr_refuses_a_failed_supervisor_login(
    py27_bin: Path, official_server: str, tmp_path: Path, login: str, password: str
) -> None:
    result = hammr(
        py27_bin, official_server, "-u", login, "-p", password, "bundle", "list", cwd=tmp_path
    )
    assert result.returncode == 2, output(result)
    assert "401" in result.stdout, output(result)
    assert "Found" not in result.stdout


def test_hammr_bundle_categories_lists_the_first_orgs_project_categories(
    py27_bin: Path, official_server: str, tmp_path: Path
) -> None:
    result = hammr(py27_bin, official_server, *GUEST, "bundle", "categories", cwd=tmp_path)
    assert result.returncode == 0, output(result)
    assert table(result.stdout) == [["Name"], ["Monitoring"], ["Web"]], output(result)
    assert "Found 2 categories" in result.stdout


def test_hammr_user_info_shows_the_user(
    py27_bin: Path, official_server: str, tmp_path: Path
) -> None:
    result = hammr(py27_bin, official_server, *GUEST, "user", "info", cwd=tmp_path)
    assert result.returncode == 0, output(result)
    rows = table(result.stdout)
    assert rows[0] == [
        "Login", "Email", "Lastname", "Firstname", "Created", "Active", "Promo Code",
        "Creation Code",
    ], output(result)  # fmt: skip
    user = http_get(official_server, "/users/guest", "guest", "guest-pw").json()["user"]
    created = datetime.fromisoformat(user["created"]).strftime("%Y-%m-%d %H:%M:%S")
    assert (rows[1][0], rows[1][4], rows[1][5]) == ("guest", created, "X")


# ---- bundle clone and delete


def test_hammr_bundle_clone_copies_the_bundle(
    py27_bin: Path, official_server: str, tmp_path: Path
) -> None:
    result = hammr(
        py27_bin, official_server, *GUEST,
        "bundle", "clone", "--id", "918", "--name", "ZabbixClone", "--version", "3.1",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, output(result)
    assert "Clonned successfully" in result.stdout, output(result)
    [clone] = guest_software_named(official_server, "ZabbixClone")
    assert clone["dbId"] != 918
    assert (clone["version"], clone["description"]) == ("3.1", "Zabbix agent and configuration")
    assert clone.get("imported", False) is False


def test_hammr_bundle_delete_deletes_after_yes(
    py27_bin: Path, official_server: str, tmp_path: Path
) -> None:
    result = hammr(
        py27_bin, official_server, *GUEST, "bundle", "delete", "--id", "921",
        cwd=tmp_path, answer="y\n",
    )  # fmt: skip
    assert result.returncode == 0, output(result)
    assert "Do you really want to delete bundle with id 921" in result.stdout, output(result)
    assert "Bundle deleted" in result.stdout
    gone = http_get(official_server, "/users/guest/mysoftware/921", "guest", "guest-pw")
    assert gone.status_code == 404


def test_hammr_bundle_delete_keeps_the_bundle_after_no(
    py27_bin: Path, official_server: str, tmp_path: Path
) -> None:
    result = hammr(
        py27_bin, official_server, *GUEST, "bundle", "delete", "--id", "922",
        cwd=tmp_path, answer="n\n",
    )  # fmt: skip
    assert result.returncode == 0, output(result)
    assert "Do you really want to delete bundle with id 922" in result.stdout, output(result)
    assert "Bundle deleted" not in result.stdout
    assert guest_software(official_server, 922)["name"] == "Kept"


def test_hammr_bundle_delete_of_an_unknown_bundle_fails(
    py27_bin: Path, official_server: str, tmp_path: Path
) -> None:
    result = hammr(
        py27_bin, official_server, *GUEST, "bundle", "delete", "--id", "4242", cwd=tmp_path
    )
    assert result.returncode == 2, output(result)
    assert "UForge Error '404'" in result.stdout, output(result)


# ---- the SDK: the library's routes, the user and its orgs


@pytest.mark.parametrize("credentials", ["basic", "api-keys"])
def test_sdk_manages_the_library(py27_bin: Path, official_server: str, credentials: str) -> None:
    name = f"SdkMade-{credentials}"
    result = sdk(py27_bin, official_server, *SDK_GUEST[credentials], "library", name)
    assert "error" not in result and "exception" not in result, result
    listed = result["all"]
    names = [item["name"] for item in listed["items"]]
    ids = [item["dbId"] for item in listed["items"]]
    assert listed["type"] == "MySoftwareList" and listed["total"] == len(names)
    assert {918, 919}.issubset(ids) and 920 not in ids and 930 not in ids
    assert [item["dbId"] for item in result["search"]["items"]] == [919]
    page = result["page"]
    assert page["total"] == listed["total"]
    assert [item["name"] for item in page["items"]] == [sorted(names)[1]]

    created = result["created"]
    assert created["type"] == "MySoftware"
    assert (created["name"], created["version"], created["description"]) == (
        name,
        "1.0",
        "Made by the SDK",
    )
    assert (created["category"], created["imported"]) == ("Monitoring", False)
    updated = result["updated"]
    assert (updated["dbId"], updated["name"], updated["version"]) == (created["dbId"], name, "1.1")
    assert (updated["description"], updated["category"]) == ("Updated by the SDK", "Monitoring")
    assert result["got"] == updated
    clone = result["clone"]
    assert clone["dbId"] not in (created["dbId"], *ids)
    assert (clone["name"], clone["version"]) == (f"{name}-clone", "2.0")
    assert (clone["description"], clone["category"]) == ("Updated by the SDK", "Monitoring")
    assert result["clone_deleted"] == "" and result["deleted"] == ""
    assert result["after_delete"]["error"]["statusCode"] == 404
    remaining = [item["dbId"] for item in result["after"]["items"]]
    assert created["dbId"] not in remaining and clone["dbId"] not in remaining


@pytest.mark.parametrize("credentials", ["basic", "api-keys"])
def test_sdk_reads_the_user_its_orgs_and_categories(
    py27_bin: Path, official_server: str, credentials: str
) -> None:
    result = sdk(py27_bin, official_server, *SDK_GUEST[credentials], "account")
    assert "error" not in result and "exception" not in result, result
    assert (result["user"]["type"], result["user"]["loginName"]) == ("User", "guest")
    assert [org["name"] for org in result["orgs"]] == ["Acme", "Partners"]
    assert result["categories"] == [
        ["Monitoring", "PROJECT"],
        ["Templates", "TEMPLATE"],
        ["Web", "PROJECT"],
    ]
    assert result["projects"] == [["Monitoring", "PROJECT"], ["Web", "PROJECT"]]
