"""The pytest fixtures of `uforge_mock.testing`, used the way users use them: from a test file of
their own, in a pytest run of its own (pytester, in a subprocess), with no `conftest.py` line:
pytest loads the plugin by its `pytest11` entry point."""

import subprocess
import sys

import pytest

pytest_plugins = ["pytester"]

# The server's stack: a pytest run that never asks for a fixture must not pay for it.
HEAVY = ("fastapi", "starlette", "uvicorn", "sqlalchemy", "sqlmodel", "alembic", "httpx")

USER_TESTS = """
import threading
import httpx
import pytest

JSON = {"Accept": "application/json"}


def exports_url(server):
    return f"{server.base_url}/users/guest/mysoftware/918/exports"


def test_a_whole_export_flow(uforge_mock):
    url = exports_url(uforge_mock)
    created = httpx.post(url, auth=uforge_mock.auth, headers=JSON)
    assert created.status_code == 201
    eid = created.json()["softwareBundleExport"]["dbId"]
    uforge_mock.advance(60)
    status = httpx.get(f"{url}/{eid}/status", auth=uforge_mock.auth, headers=JSON).json()
    assert status["status"]["complete"] is True
    archive = httpx.get(f"{url}/{eid}/downloads", auth=uforge_mock.auth)
    assert archive.headers["content-type"] == "application/gzip"
    assert httpx.delete(f"{url}/{eid}", auth=uforge_mock.auth).status_code == 204


def test_each_test_gets_a_fresh_store(uforge_mock):
    url = exports_url(uforge_mock)
    assert httpx.get(f"{url}/1/status", auth=uforge_mock.auth).status_code == 404


def test_seed_freeze_and_a_failing_export(uforge_mock):
    uforge_mock.seed({"exports": [{"dbId": 7, "mySoftware": 918, "duration": 10,
                                   "outcome": "error", "percentage": 60}]})
    uforge_mock.freeze()
    uforge_mock.advance(6)
    url = f"{exports_url(uforge_mock)}/7/status"
    running = httpx.get(url, auth=uforge_mock.auth, headers=JSON).json()["status"]
    assert running["percentage"] == 36 and not running["error"]
    uforge_mock.advance(4)
    failed = httpx.get(url, auth=uforge_mock.auth, headers=JSON).json()["status"]
    assert failed["error"] and failed["percentage"] == 60


def test_requests_are_journaled(uforge_mock):
    url = f"{uforge_mock.base_url}/status"
    httpx.get(url, headers={"If-None-Match": '"abc"'})
    (entry,) = uforge_mock.requests(path="*/status")
    assert entry["headers"]["if-none-match"] == '"abc"'


def test_fail_next(uforge_mock):
    uforge_mock.fail_next(503, path="*/status")
    url = f"{uforge_mock.base_url}/status"
    assert httpx.get(url).status_code == 503
    assert httpx.get(url).status_code == 200


def test_dropped_connection(uforge_mock):
    uforge_mock.fail_next(drop=True)
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(f"{uforge_mock.base_url}/status")
    assert httpx.get(f"{uforge_mock.base_url}/status").status_code == 200


def test_recipe_a_401_after_a_password_change(uforge_mock):
    url = f"{exports_url(uforge_mock)}/1/status"
    assert httpx.get(url, auth=uforge_mock.auth).status_code == 404
    uforge_mock.seed({"users": [{"login": "guest", "password": "changed",
                                 "entitlements": ["software_upload", "appliance_create"]}]})
    assert httpx.get(url, auth=uforge_mock.auth).status_code == 401
    assert httpx.get(url, auth=("guest", "changed")).status_code == 404


def test_recipe_a_slow_export(uforge_mock):
    import time
    uforge_mock.seed({"exports": [{"dbId": 7, "mySoftware": 918, "duration": 600}]})
    uforge_mock.fail_next(None, path="*/status", latency_ms=300, times=1)
    started = time.monotonic()
    status = httpx.get(f"{exports_url(uforge_mock)}/7/status", auth=uforge_mock.auth, headers=JSON)
    assert time.monotonic() - started >= 0.3
    assert status.json()["status"]["complete"] is False


def test_recipe_patch_a_running_export_to_fail(uforge_mock):
    uforge_mock.seed({"exports": [{"dbId": 7, "mySoftware": 918, "duration": 600}]})
    ticket = uforge_mock.patch_export(7, outcome="error", percentage=60, duration=0)
    assert ticket["status"]["error"] is True and ticket["status"]["percentage"] == 60


def test_recipe_make_a_bundle_import_fail(uforge_mock):
    uforge_mock.seed({"bundleImports": [
        {"dbId": 7, "owner": "guest", "uploaded": "2019-06-05T21:41:00Z", "duration": 600}
    ]})
    ticket = uforge_mock.patch_import(7, outcome="error", errorMessage="Disk full", duration=0)
    assert ticket["status"]["error"] is True
    status = httpx.get(
        f"{uforge_mock.base_url}/users/guest/bundleimports/7/status",
        auth=uforge_mock.auth,
        headers=JSON,
    )
    assert status.json()["status"]["errorMessage"] == "Disk full"


def test_a_failing_test_still_stops_its_server(uforge_mock):
    pytest.fail("on purpose")


def test_no_server_thread_is_left_behind():
    assert [t for t in threading.enumerate() if t.name == "uforge-mock"] == []


def test_session_server_is_shared(uforge_mock_session):
    uforge_mock_session.seed({"users": [{"login": "shared", "password": "pw"}]})


def test_session_server_keeps_its_state(uforge_mock_session):
    assert httpx.get(f"{uforge_mock_session.base_url}/users/shared/mysoftware/1",
                     auth=("shared", "pw")).status_code == 403
"""


def test_importing_the_plugin_imports_nothing_heavy() -> None:
    probe = (
        "import sys, uforge_mock.testing.plugin; "
        "print(' '.join(sorted({name.split('.')[0] for name in sys.modules})))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert sorted(set(result.stdout.split()).intersection(HEAVY)) == []


def test_fixture_serves_user_tests(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q", timeout=300)
    result.assert_outcomes(passed=13, failed=1)
    result.stdout.fnmatch_lines(
        ["FAILED test_user.py::test_a_failing_test_still_stops_its_server*"]
    )


def test_fixture_settings_can_be_overridden(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
import pytest

@pytest.fixture(scope="session")
def uforge_mock_settings():
    return {"platform_version": "3.8.12"}
"""
    )
    pytester.makepyfile(
        test_version="""
import httpx

def test_version(uforge_mock):
    response = httpx.get(f"{uforge_mock.base_url}/status")
    assert response.headers["version"] == "3.8.12"
"""
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q", timeout=120)
    result.assert_outcomes(passed=1)
