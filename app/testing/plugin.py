"""uforge-mock as a pytest fixture: a real server on a free loopback port, per test.

pytest loads this plugin by itself wherever uforge-mock is installed (its `pytest11` entry
point): a test asks for a fixture by name, no `conftest.py` line needed::

    def test_export_completes(uforge_mock):
        auth = uforge_mock.auth                       # ("guest", "guest-secret")
        url = f"{uforge_mock.base_url}/users/guest/mysoftware/918/exports"
        eid = httpx.post(url, auth=auth, headers=JSON).json()["softwareBundleExport"]["dbId"]
        uforge_mock.advance(60)                       # the export is now complete
        ...

Fixtures:
    uforge_mock          a `MockServer` of its own for each test (fresh database).
    uforge_mock_session  one `MockServer` for the whole session (call `.reset()` as you need).
    uforge_mock_settings override it to change the servers' settings (a dict of `Settings`
                         fields, e.g. `{"export_duration_seconds": 2}`).

Every server starts from the default world below (`DEFAULT_SEED`): the user `guest` /
`guest-secret` (entitlements software_upload, appliance_create, api_key_access; API key
`PUB-guest` / `SEC-guest`) owning the mySoftware 918 `Zabbix` 3.0.1. Start-up is fast: the
database is migrated and seeded once per session as a template, then copied for each server.
Servers are stopped when their test ends, passed or failed: no thread or port is left behind.
Passwords are hashed with a light argon2 cost (the same algorithm as in production), so
seeding users in tests is quick.
"""

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from uforge_mock.testing.server import MockServer, TemplateStore


@pytest.fixture(scope="session")
def uforge_mock_settings() -> dict[str, Any]:
    """Settings of the fixture's servers (override this fixture to change them)."""
    return {}


@pytest.fixture(scope="session")
def _uforge_mock_template(
    uforge_mock_settings: dict[str, Any],
) -> "Iterator[TemplateStore]":
    # Imported here, not at the top: a test run that never asks for these fixtures (the
    # plugin loads in every run where uforge-mock is installed) pays nothing for them.
    from uforge_mock.testing.server import TemplateStore

    with tempfile.TemporaryDirectory(prefix="uforge-mock-") as folder:
        yield TemplateStore(Path(folder), uforge_mock_settings)


@pytest.fixture
def uforge_mock(_uforge_mock_template: "TemplateStore", tmp_path: Path) -> "Iterator[MockServer]":
    """A uforge-mock server of this test's own (see the module's documentation)."""
    server = _uforge_mock_template.new_server(tmp_path / "uforge-mock")
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="session")
def uforge_mock_session(
    _uforge_mock_template: "TemplateStore", tmp_path_factory: pytest.TempPathFactory
) -> "Iterator[MockServer]":
    """One uforge-mock server shared by the whole session."""
    server = _uforge_mock_template.new_server(tmp_path_factory.mktemp("uforge-mock-session"))
    try:
        yield server
    finally:
        server.close()
