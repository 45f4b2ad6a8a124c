"""Fixtures of the official-client tests: the Python 2.7 environment of uforge-python-sdk and
hammr 3.8.13 (built once per machine by tools/py27-clients.sh, cached outside the repository),
and a real uforge-mock server process seeded with this folder's seed.yml."""

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.servers import server_process

HERE = Path(__file__).resolve().parent
NO_PYTHON27 = 3  # tools/py27-clients.sh: no Python 2.7 interpreter on this machine


@pytest.fixture(scope="session")
def py27_bin() -> Path:
    """The bin folder of the clients' environment (skips where no Python 2.7 exists, except in
    CI, where these tests must run)."""
    result = subprocess.run(
        ["bash", str(ROOT / "tools" / "py27-clients.sh")],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if result.returncode == NO_PYTHON27:
        reason = "no Python 2.7 interpreter: the official UForge clients cannot run here"
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (they must run in CI)\n{result.stderr}")
        pytest.skip(reason)
    if result.returncode != 0:
        pytest.fail(f"building the official clients' environment failed:\n{result.stderr}")
    return Path(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def official_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL (with /api) of a uforge-mock process seeded for these tests.

    The exports and imports the tests start end at once (hammr polls every 2 s), but for the
    seeded mySoftware that say otherwise (`exportDuration`)."""
    data_dir = tmp_path_factory.mktemp("official")
    with server_process(
        data_dir,
        "--no-demo",
        "--seed",
        str(HERE / "seed.yml"),
        export_duration_seconds="0",
        import_duration_seconds="0",
    ) as base:
        yield f"{base}/api"
