"""The pytest fixture with the official SDK: a user's test file drives uforge-python-sdk
against `uforge_mock` (pytester, in a pytest run of its own)."""

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.official

HERE = Path(__file__).resolve().parent

USER_TESTS = """
import json
import subprocess

PY27 = {py27!r}
DRIVER = {driver!r}


def sdk(server, *arguments):
    command = [PY27, DRIVER, server.base_url, server.username, "--password", server.password]
    result = subprocess.run(command + list(arguments), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_sdk_export_flow_against_the_fixture(uforge_mock, tmp_path):
    result = sdk(uforge_mock, "flow", "918", str(tmp_path / "out.tar.gz"), "yaml")
    assert result["final_status"]["complete"] is True
    assert result["after_delete"]["error"]["statusCode"] == 404
    methods = [entry["method"] for entry in uforge_mock.requests()]
    assert methods[:3] == ["GET", "GET", "GET"] and "POST" in methods and methods[-1] == "GET"


def test_sdk_sees_an_injected_failure(uforge_mock):
    uforge_mock.fail_next(503, path="*/status")
    assert sdk(uforge_mock, "status", "918", "1")["error"]["statusCode"] == 503
"""


def test_sdk_runs_against_the_fixture(pytester: pytest.Pytester, py27_bin: Path) -> None:
    pytester.makeconftest(
        "import pytest\n"
        "@pytest.fixture(scope='session')\n"
        "def uforge_mock_settings():\n"
        "    return {'export_duration_seconds': 1}\n"
    )
    pytester.makepyfile(
        test_sdk_user=USER_TESTS.format(
            py27=str(py27_bin / "python"), driver=str(HERE / "sdk_driver.py")
        )
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q", timeout=300)
    result.assert_outcomes(passed=2)
