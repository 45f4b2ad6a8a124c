"""The official UForge clients (uforge-python-sdk and hammr 3.8.13, Python 2.7) against a real
uforge-mock process: they must work unmodified."""

import json
import tarfile
from pathlib import Path

import pytest
import yaml

from tests.official.clients import archive_members, hammr, sdk

pytestmark = pytest.mark.official

BASIC = ["guest", "--password", "guest-pw"]
KEYS = ["guest", "--keys", "PUB-guest", "SEC-guest"]


@pytest.mark.parametrize("credentials", [BASIC, KEYS], ids=["basic", "api-keys"])
def test_sdk_runs_the_whole_export_flow(
    py27_bin: Path, official_server: str, tmp_path: Path, credentials: list[str]
) -> None:
    archive = tmp_path / "export.tar.gz"
    result = sdk(py27_bin, official_server, *credentials, "flow", "918", str(archive), "yaml")
    assert result["version"] == "3.8.13" and result["compatible"] is True
    assert result["mySoftware"] == {"dbId": 918, "name": "Zabbix", "version": "3.0.1"}
    created = result["created_status"]
    assert (created["type"], created["percentage"], created["complete"]) == ("OpStatus", 0, False)
    assert result["polls"] >= 1
    assert result["final_status"]["complete"] is True
    assert result["deleted"] == ""
    assert result["after_delete"]["error"]["statusCode"] == 404
    bundle = yaml.safe_load(archive_members(archive)["bundle.yml"])
    assert bundle["name"] == "Zabbix" and bundle["version"] == "3.0.1"


def test_sdk_exports_json_bundles(py27_bin: Path, official_server: str, tmp_path: Path) -> None:
    archive = tmp_path / "export.tar.gz"
    result = sdk(py27_bin, official_server, *BASIC, "flow", "918", str(archive), "json")
    assert result["final_status"]["complete"] is True
    assert json.loads(archive_members(archive)["bundle.json"])["name"] == "Zabbix"


def test_sdk_sees_a_failed_export(py27_bin: Path, official_server: str, tmp_path: Path) -> None:
    result = sdk(py27_bin, official_server, *BASIC, "flow", "919", str(tmp_path / "x"), "yaml")
    final = result["final_status"]
    assert final["error"] is True and final["complete"] is False
    assert final["message"] == "Export failed"
    assert final["errorMessage"]


@pytest.mark.parametrize(
    ("credentials", "path", "status_code"),
    [
        (["guest", "--password", "wrong"], ["status", "918", "17"], 401),
        (["nobody", "--password", "x"], ["status", "918", "17"], 401),
        (["guest", "--keys", "PUB-guest", "WRONG"], ["status", "918", "17"], 401),
        (["viewer", "--password", "viewer-pw"], ["status", "920", "17"], 403),
        (BASIC, ["status", "918", "99"], 404),
        (BASIC, ["mysoftware", "4242"], 404),
    ],
)
def test_sdk_parses_uforge_errors(
    py27_bin: Path,
    official_server: str,
    credentials: list[str],
    path: list[str],
    status_code: int,
) -> None:
    result = sdk(py27_bin, official_server, *credentials, *path)
    error = result["error"]
    assert error["statusCode"] == status_code
    assert error["requestMethod"] == "GET" and error["requestUri"].startswith("/api/users/")
    assert error["message"]


def test_sdk_reads_a_seeded_status(py27_bin: Path, official_server: str) -> None:
    result = sdk(py27_bin, official_server, *BASIC, "status", "918", "17")
    assert (result["type"], result["complete"], result["percentage"]) == ("OpStatus", True, 100)


@pytest.mark.parametrize(
    "credentials",
    [["-u", "guest", "-p", "guest-pw"], ["-u", "guest", "-k", "PUB-guest", "-s", "SEC-guest"]],
    ids=["basic", "api-keys"],
)
def test_hammr_bundle_export_downloads_the_archive(
    py27_bin: Path, official_server: str, tmp_path: Path, credentials: list[str]
) -> None:
    out = tmp_path / "zabbix.tar.gz"
    result = hammr(
        py27_bin,
        official_server,
        *credentials,
        "bundle",
        "export",
        "--id",
        "918",
        "--file",
        str(out),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"OK: Download complete of file [{out}]" in result.stdout
    bundle = yaml.safe_load(archive_members(out)["bundle.yml"])
    assert bundle == {
        "name": "Zabbix",
        "version": "3.0.1",
        "description": "Zabbix agent and configuration",
        "files": [],
    }


def test_hammr_validates_the_exported_bundle_file(
    py27_bin: Path, official_server: str, tmp_path: Path
) -> None:
    out = tmp_path / "zabbix.tar.gz"
    hammr(
        py27_bin, official_server, "-u", "guest", "-p", "guest-pw",
        "bundle", "export", "--id", "918", "--file", str(out), cwd=tmp_path,
    )  # fmt: skip
    with tarfile.open(out, "r:gz") as archive:
        archive.extractall(tmp_path / "unpacked", filter="data")
    result = hammr(
        py27_bin, official_server, "-u", "guest", "-p", "guest-pw",
        "bundle", "validate", "--file", str(tmp_path / "unpacked" / "bundle.yml"), cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is ok" in result.stdout


def test_hammr_prints_the_error_of_a_failed_export(
    py27_bin: Path, official_server: str, tmp_path: Path
) -> None:
    result = hammr(
        py27_bin, official_server, "-u", "guest", "-p", "guest-pw",
        "bundle", "export", "--id", "919", "--file", str(tmp_path / "doomed.tar.gz"), cwd=tmp_path,
    )  # fmt: skip
    assert "ERROR: Export error: Export failed" in result.stdout, result.stdout + result.stderr
    assert "Failed to create the archive of the software bundle" in result.stdout
    assert (
        not (tmp_path / "doomed.tar.gz").exists()
        or (tmp_path / "doomed.tar.gz").stat().st_size == 0
    )


def test_hammr_reports_a_wrong_password(
    py27_bin: Path, official_server: str, tmp_path: Path
) -> None:
    result = hammr(
        py27_bin, official_server, "-u", "guest", "-p", "wrong",
        "bundle", "export", "--id", "918", "--file", str(tmp_path / "x.tar.gz"), cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2
    assert "401" in result.stdout
