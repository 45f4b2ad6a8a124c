"""Seed files: the docs/SEED.md format, all or nothing, idempotent, errors that say where."""

import json
import sqlite3
from pathlib import Path

import pytest
import yaml
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy.exc import OperationalError

from tests.conftest import BASE_SEED, GUEST, seed
from uforge_mock.settings import ARGON2_MIN_MEMORY_KIB, Settings
from uforge_mock.store.engine import create_store_engine, migrate_to_head
from uforge_mock.store.models import MAX_ID, MAX_SEED_ID
from uforge_mock.store.passwords import PasswordHasher
from uforge_mock.store.seed import parse_seed_text
from uforge_mock.store.seed_errors import MAX_REPORTED_PROBLEMS, SeedError
from uforge_mock.store.unavailable import busy_as_unavailable
from uforge_mock.wire.errors import StoreBusy

SEED_MD_EXAMPLE = """
users:
  - login: guest
    password: guest-secret
    entitlements: [software_upload, appliance_create]
    admin: false
    apiKeys:
      - publicKey: PUB-guest
        secretKey: SEC-guest
mySoftware:
  - dbId: 918
    owner: guest
    name: Zabbix
    version: 3.0.1
    description: Monitoring
exports:
  - dbId: 17
    mySoftware: 918
    outputFormat: yaml
    created: 2019-06-05T21:40:12Z
    duration: 30
    outcome: complete
    percentage: 40
    message: Creating archive
    errorMessage: Disk full
    detailedErrorMsg: "No space left on device"
"""


@pytest.fixture
def empty(app: FastAPI) -> FastAPI:
    with TestClient(app):
        pass  # runs the lifespan: migrations
    return app


def write(tmp_path: Path, name: str, content: str) -> Path:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


def test_the_seed_md_example_loads(empty: FastAPI, tmp_path: Path) -> None:
    report = empty.state.mock.load_seed_file(write(tmp_path, "example.yml", SEED_MD_EXAMPLE))
    assert report.created == {"users": ["guest"], "mySoftware": ["918"], "exports": ["17"]}


def test_loading_the_same_file_twice_changes_nothing(empty: FastAPI, tmp_path: Path) -> None:
    path = write(tmp_path, "example.yml", SEED_MD_EXAMPLE)
    empty.state.mock.load_seed_file(path)
    again = empty.state.mock.load_seed_file(path)
    assert again.created == {} and again.updated == {}
    assert again.unchanged == {"users": ["guest"], "mySoftware": ["918"], "exports": ["17"]}


def test_json_files_load_too(empty: FastAPI, tmp_path: Path) -> None:
    data = yaml.safe_load(SEED_MD_EXAMPLE)
    data["exports"][0]["created"] = "2019-06-05T21:40:12Z"
    path = write(tmp_path, "example.json", json.dumps(data))
    assert empty.state.mock.load_seed_file(path).created["exports"] == ["17"]


def test_entries_are_updated_in_place(client: TestClient, app: FastAPI) -> None:
    report = seed(app, {"mySoftware": [{"dbId": 918, "owner": "guest", "name": "Renamed"}]})
    assert report.updated == {"mySoftware": ["918"]}


def test_times_without_zone_are_utc(empty: FastAPI) -> None:
    document = parse_seed_text(
        "exports: [{dbId: 1, mySoftware: 1, created: '2019-06-05T21:40:12'}]", source="t"
    )
    assert document.exports[0].created is not None
    assert document.exports[0].created.isoformat() == "2019-06-05T21:40:12+00:00"


def test_an_export_without_created_keeps_its_first_load_time(empty: FastAPI) -> None:
    data = {
        "users": [{"login": "u", "password": "p"}],
        "mySoftware": [{"dbId": 1, "owner": "u", "name": "n"}],
        "exports": [{"dbId": 5, "mySoftware": 1}],
    }
    seed(empty, data)
    empty.state.mock.clock.advance(100)
    assert seed(empty, data).unchanged["exports"] == ["5"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("users: [{login: a}]", "users[0] (login a): field 'password': Field required"),
        (
            "exports: [{dbId: 17, mySoftware: 918, outcome: exploded}]",
            "exports[0] (dbId 17): field 'outcome'",
        ),
        (
            "exports: [{dbId: 17, mySoftware: 918, percentage: 140}]",
            "exports[0] (dbId 17): field 'percentage'",
        ),
        ("exports: [{dbId: 17, mySoftware: 918, outputFormat: xml}]", "field 'outputFormat'"),
        ("mySoftware: [{dbId: 0, owner: a, name: n}]", "mySoftware[0] (dbId 0): field 'dbId'"),
        ("mySoftware: [{dbId: 1, owner: a, name: n, colour: red}]", "field 'colour': Extra inputs"),
        ("users: [{login: 'a:b', password: p}]", "users[0] (login a:b): field 'login'"),
        (
            "users: [{login: a, password: p}, {login: a, password: q}]",
            "users[1] (login a): field 'login': the same login as users[0]",
        ),
        ("users: 3", "field 'users'"),
        ("- just\n- a list", "the document must be a mapping"),
        ("users: [", "not valid YAML"),
        (
            "mySoftware: [{dbId: 1, owner: nobody, name: n}]",
            "mySoftware[0] (dbId 1): field 'owner': no user 'nobody'",
        ),
        (
            "exports: [{dbId: 1, mySoftware: 4242}]",
            "exports[0] (dbId 1): field 'mySoftware': no mySoftware 4242",
        ),
    ],
)
def test_errors_name_file_entry_and_field(
    empty: FastAPI, tmp_path: Path, content: str, expected: str
) -> None:
    path = write(tmp_path, "bad.yml", content)
    with pytest.raises(SeedError) as raised:
        empty.state.mock.load_seed_file(path)
    assert str(path) in str(raised.value)
    assert expected in str(raised.value)


def test_lone_surrogates_are_refused(empty: FastAPI) -> None:
    with pytest.raises(SeedError, match=r"users\[0\] \(login a\): field 'password'"):
        parse_seed_text('{"users": [{"login": "a", "password": "\\ud800"}]}', source="t")


def test_a_bad_file_changes_nothing(client: TestClient, app: FastAPI, tmp_path: Path) -> None:
    before = client.get("/api/users/guest/mysoftware/918/exports/17/status", headers=GUEST).content
    bad = {
        "users": [{"login": "guest", "password": "changed"}],
        "mySoftware": [{"dbId": 918, "owner": "guest", "name": "Renamed"}],
        "exports": [{"dbId": 17, "mySoftware": 9999}],
    }
    with pytest.raises(SeedError):
        app.state.mock.load_seed_file(write(tmp_path, "bad.json", json.dumps(bad)))
    after = client.get("/api/users/guest/mysoftware/918/exports/17/status", headers=GUEST)
    assert after.status_code == 200 and after.content == before


def test_base_seed_is_idempotent(client: TestClient, app: FastAPI) -> None:
    report = seed(app, BASE_SEED)
    assert report.created == {} and report.updated == {}


def test_demo_dataset_is_valid_and_loads(empty: FastAPI) -> None:
    from importlib import resources

    path = resources.files("uforge_mock.store") / "demo-seed.yml"
    report = empty.state.mock.load_seed_file(Path(str(path)))
    assert "guest" in report.created["users"]


def test_nul_in_any_text_loads_on_every_backend(empty: FastAPI) -> None:
    data = {
        "users": [
            {
                "login": "nul",
                "password": "pass\x00word",
                "entitlements": ["software\x00upload"],
                "apiKeys": [{"publicKey": "PUB\x00", "secretKey": "SEC\x00"}],
            }
        ],
        "mySoftware": [{"dbId": 5, "owner": "nul", "name": "na\x00me"}],
    }
    report = seed(empty, data)
    assert report.created["users"] == ["nul"]
    assert report.created["mySoftware"] == ["5"]


# ---------------------------------------------------------------- what a document may hold


@pytest.mark.parametrize(
    ("content", "kind", "expected"),
    [
        ("users: []\nusers: []\n", "yaml", "line 2, column 1: the key 'users' appears twice"),
        ('{"users": [], "users": []}', "json", "the key 'users' appears twice in one object"),
        (
            '{"exports": [{"dbId": 1, "dbId": 2, "mySoftware": 1}]}',
            "json",
            "the key 'dbId' appears twice in one object (the one with dbId 1)",
        ),
        ("exports: [{dbId: true, mySoftware: 1}]", "yaml", "field 'dbId': a dbId is a whole"),
        ("exports: [{dbId: 1.5, mySoftware: 1}]", "yaml", "not the fraction 1.5"),
        ('{"exports": [{"dbId": "17", "mySoftware": 1}]}', "json", "not the text '17'"),
        ("exports: [{dbId: 1, mySoftware: null}]", "yaml", "field 'mySoftware': a dbId is"),
        (f"mySoftware: [{{dbId: {2**52 + 1}, owner: a, name: n}}]", "yaml", "from 1 to 4503599"),
        ("exports: [{dbId: " + "59:" * 13 + "0, mySoftware: 1}]", "yaml", "not 78364164095999"),
        ("exports: [{dbId: " + "1:" * 30 + "1, mySoftware: 1}]", "yaml", "61 characters"),
        ("a: &x [1, 2]\nusers: *x\n", "yaml", "the alias *x repeats a list or a mapping"),
        ("a: &x {k: v}\nusers: [{<<: *x}]\n", "yaml", "the alias *x repeats a list"),
        ("users: " + "[" * 17 + "]" * 17, "yaml", "nested deeper than 16 levels"),
        ('{"users": ' + "[" * 17 + "]" * 17 + "}", "json", "nested deeper than 16 levels"),
        ("exports: [{dbId: 1, mySoftware: 1, created: !!timestamp 2019-13-45}]", "yaml", "month"),
        ("colour: red", "yaml", "field 'colour': Extra inputs are not permitted"),
    ],
)
def test_what_a_seed_may_not_hold_is_refused_clearly(
    content: str, kind: str, expected: str
) -> None:
    with pytest.raises(SeedError) as raised:
        parse_seed_text(content, source="t", kind=kind)
    assert expected in str(raised.value)


def test_a_seed_nests_as_deep_as_its_format_needs() -> None:
    document = parse_seed_text(
        "users: [{login: a, password: p, apiKeys: [{publicKey: P, secretKey: S}]}]", source="t"
    )
    assert document.users[0].apiKeys[0].publicKey == "P"


def test_aliases_of_single_values_are_taken() -> None:
    document = parse_seed_text("users: [{login: &who alice, password: *who}]", source="t")
    assert document.users[0].password == "alice"


def test_the_largest_seeded_id_is_taken() -> None:
    document = parse_seed_text(f"exports: [{{dbId: {2**52}, mySoftware: 1}}]", source="t")
    assert document.exports[0].dbId == MAX_SEED_ID < MAX_ID == 2**53 - 1


def test_a_report_names_the_first_problems_and_counts_the_rest() -> None:
    content = json.dumps({"users": [{"login": f"u{i}"} for i in range(1000)]})
    with pytest.raises(SeedError) as raised:
        parse_seed_text(content, source="t")
    error = raised.value
    assert error.count == 1000
    assert len(error.problems) == MAX_REPORTED_PROBLEMS + 1
    assert error.problems[0] == "users[0] (login u0): field 'password': Field required"
    assert error.problems[-1] == "... and 980 more problems (1000 in all)"


def test_a_long_problem_is_cut() -> None:
    error = SeedError("t", ["x" * 10_000])
    assert error.problems == ["x" * 300 + "... (10000 characters)"]


def test_a_busy_store_is_told_apart_from_a_bug(tmp_path: Path) -> None:
    engine = create_store_engine(f"sqlite:///{tmp_path / 'busy.db'}")
    migrate_to_head(engine)
    holder = sqlite3.connect(tmp_path / "busy.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreBusy), busy_as_unavailable(), engine.begin() as connection:
            connection.exec_driver_sql("PRAGMA busy_timeout = 10")
            connection.exec_driver_sql("DELETE FROM users")
        with pytest.raises(OperationalError), busy_as_unavailable(), engine.begin() as connection:
            connection.exec_driver_sql("SELECT * FROM no_such_table")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        engine.dispose()


def test_argon2_minimum_memory_is_what_the_hashes_need() -> None:
    from passlib.hash import argon2

    assert 8 * argon2.parallelism == ARGON2_MIN_MEMORY_KIB
    hasher = PasswordHasher(memory_kib=ARGON2_MIN_MEMORY_KIB, time_cost=1)
    assert hasher.verify("pw", hasher.hash("pw"))
    with pytest.raises(ValueError, match="too low"):
        PasswordHasher(memory_kib=ARGON2_MIN_MEMORY_KIB - 1, time_cost=1)
    with pytest.raises(ValidationError, match="argon2 needs at least 32 KiB"):
        Settings(password_hash_memory_kib=ARGON2_MIN_MEMORY_KIB - 1)
