"""Shared fixtures: every test gets its own app, database and frozen clock.

The tests that take a database run twice: on a SQLite file and on a fresh PostgreSQL database
(marker `postgresql`; see tests/postgres.py for where the server comes from). Without a
PostgreSQL server those runs are skipped, except in CI (`CI` set), where they must run.
"""

import base64
import os
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from uforge_mock.factory import create_app
from uforge_mock.jobs.clock import FrozenClock
from uforge_mock.platform.runtime import Runtime
from uforge_mock.settings import Settings
from uforge_mock.store.engine import create_store_engine, migrate_to_head
from uforge_mock.store.seed import SeedReport, validate_seed_data

if TYPE_CHECKING:
    from tests.postgres import PostgresServer

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_PATH = ROOT / "openapi" / "uforge-export.xsd"
SAMPLES = Path(__file__).resolve().parent / "contract_samples"

T0 = datetime(2019, 6, 5, 21, 40, 12, tzinfo=UTC)
STATUS_17 = "/api/users/guest/mysoftware/918/exports/17/status"


class HashingCost(TypedDict):
    """The `Settings` fields of the argon2 cost (typed, so `Settings(**cost)` type-checks)."""

    password_hash_memory_kib: int
    password_hash_time_cost: int


# Argon2 at a tenth of the production cost: the same algorithm, tests stay fast.
FAST_HASHING: HashingCost = {"password_hash_memory_kib": 1024, "password_hash_time_cost": 1}

BASE_SEED: dict[str, Any] = {
    "users": [
        {
            "login": "guest",
            "password": "guest-pw",
            "entitlements": ["software_upload", "appliance_create", "api_key_access"],
            "apiKeys": [{"publicKey": "PUB-guest", "secretKey": "SEC-guest"}],
        },
        {"login": "viewer", "password": "viewer-pw", "entitlements": ["appliance_create"]},
        {"login": "other", "password": "other-pw", "entitlements": ["software_upload"]},
        {
            "login": "root",
            "password": "root-pw",
            "admin": True,
            "entitlements": ["software_upload", "appliance_create"],
        },
    ],
    "mySoftware": [
        {"dbId": 918, "owner": "guest", "name": "Zabbix", "version": "3.0.1"},
        {"dbId": 919, "owner": "other", "name": "Nginx", "version": "1.2"},
        {"dbId": 920, "owner": "guest", "name": "Doomed", "exportOutcome": "error"},
    ],
    "exports": [
        {"dbId": 17, "mySoftware": 918, "created": T0, "duration": 20},
        {"dbId": 18, "mySoftware": 918, "created": T0, "outcome": "running", "percentage": 40},
        {
            "dbId": 19,
            "mySoftware": 918,
            "created": T0,
            "duration": 13,
            "outcome": "error",
            "percentage": 40,
            "detailedErrorMsg": "java.io.IOException: No space left on device",
        },
        {
            "dbId": 20,
            "mySoftware": 918,
            "created": T0,
            "duration": 10,
            "outcome": "cancelled",
            "percentage": 25,
        },
        {"dbId": 30, "mySoftware": 919, "created": T0, "duration": 5},
    ],
}


def basic(login: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{login}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


GUEST = basic("guest", "guest-pw")


def seed(app: FastAPI, data: dict[str, Any], *, source: str = "test") -> SeedReport:
    runtime: Runtime = app.state.mock
    document = validate_seed_data(data, source=source)
    return runtime.seed_loader().load(document, source=source, now=runtime.clock.now())


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)]


@pytest.fixture(scope="session")
def postgres() -> Iterator["PostgresServer"]:
    """The PostgreSQL server of this session (skips, or fails in CI, when there is none)."""
    # Imported here: tests.postgres uses tests.servers, which imports this module.
    from tests.postgres import PostgresUnavailable, postgres_server

    with ExitStack() as stack:
        try:
            server = stack.enter_context(postgres_server())
        except PostgresUnavailable as reason:
            if os.environ.get("CI"):
                pytest.fail(f"PostgreSQL is required in CI: {reason}")
            pytest.skip(f"no PostgreSQL server: {reason}")
        yield server


@pytest.fixture(scope="session")
def postgres_template(postgres: "PostgresServer") -> Iterator[str]:
    """A database migrated to head once, copied for each test (copying saves migrating each)."""
    name = postgres.create_database()
    engine = create_store_engine(postgres.database_url(name))
    migrate_to_head(engine)
    engine.dispose()
    yield name
    postgres.drop_database(name)


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a database of this test's own, on each backend, migrated or about to be."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'data' / 'uforge-mock.db'}"
        return
    postgres: PostgresServer = request.getfixturevalue("postgres")
    with postgres.database(template=request.getfixturevalue("postgres_template")) as url:
        yield url


@pytest.fixture(params=BACKENDS)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a database of this test's own without any table, on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty' / 'uforge-mock.db'}"
        return
    postgres: PostgresServer = request.getfixturevalue("postgres")
    with postgres.database() as url:
        yield url


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "data", database_url=database_url, demo=False, **FAST_HASHING
    )


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(T0)


@pytest.fixture
def app(settings: Settings, clock: FrozenClock) -> Iterator[FastAPI]:
    app = create_app(settings, clock=clock)
    yield app
    # Tests that never start the app still leave pooled connections behind.
    app.state.mock.engine.dispose()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        seed(app, BASE_SEED)
        yield test_client
