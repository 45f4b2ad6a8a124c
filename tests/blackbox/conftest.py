"""Black-box HTTP tests: they know a server only by its base URL and the demo dataset
(app/demo/demo-seed.yml), so they run unchanged against anything that serves uforge-mock.

    UFORGE_MOCK_TEST_BASE_URL=http://127.0.0.1:8080 pytest tests/blackbox

runs them against a server that is already up (a container, say). That server must hold the
demo dataset, and its new exports should finish within seconds
(`UFORGE_MOCK_EXPORT_DURATION_SECONDS=2`). Without the variable the tests start
`uforge-mock serve` themselves, once on SQLite and once on PostgreSQL.
"""

import os
from collections.abc import Iterator

import httpx
import pytest

from tests.backends import server_on
from tests.conftest import BACKENDS

BASE_URL = "UFORGE_MOCK_TEST_BASE_URL"
# How long the servers started here take for a new export.
LOCAL_EXPORT_SECONDS = "2"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "server" in metafunc.fixturenames:
        targets = ["given"] if os.environ.get(BASE_URL) else BACKENDS
        metafunc.parametrize("server", targets, indirect=True, scope="session")


@pytest.fixture(scope="session")
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The root URL of the server under test (the UForge API is under its /api)."""
    if request.param == "given":
        yield os.environ[BASE_URL].rstrip("/")
        return
    data_dir = tmp_path_factory.mktemp(f"blackbox-{request.param}")
    with server_on(
        request.param, request, data_dir, export_duration_seconds=LOCAL_EXPORT_SECONDS
    ) as base:
        yield base


@pytest.fixture
def api(server: str) -> Iterator[httpx.Client]:
    """A client of the server's /api, without credentials."""
    with httpx.Client(base_url=f"{server}/api", timeout=30) as client:
        yield client


@pytest.fixture
def guest(server: str) -> Iterator[httpx.Client]:
    """A client of the server's /api, signed in as the demo user `guest`."""
    with httpx.Client(
        base_url=f"{server}/api", auth=("guest", "guest-secret"), timeout=30
    ) as client:
        yield client
