"""The `uforge-mock` command, run as users run it: in a process of its own."""

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import inspect
from sqlmodel import SQLModel

from tests.conftest import ROOT
from tests.servers import server_environment, server_process, uforge_mock
from uforge_mock.store.engine import create_store_engine


@pytest.fixture
def demo_server(tmp_path: Path, database_url: str) -> Iterator[str]:
    """`uforge-mock serve` with the demo dataset, on a free port."""
    with server_process(tmp_path / "data", database_url=database_url) as base:
        yield base


def test_serve_answers_with_the_demo_dataset(demo_server: str) -> None:
    response = httpx.get(
        f"{demo_server}/api/users/guest/mysoftware/918/exports/17/status",
        auth=("guest", "guest-secret"),
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200
    assert response.json()["status"]["complete"] is True
    assert response.headers["version"] == "3.8.13"


def test_demo_dataset_shows_every_state(demo_server: str) -> None:
    states = {}
    for eid in (17, 18, 19, 20):
        status = httpx.get(
            f"{demo_server}/api/users/guest/mysoftware/918/exports/{eid}/status",
            auth=("guest", "guest-secret"),
            headers={"Accept": "application/json"},
        ).json()["status"]
        states[eid] = (
            status["complete"],
            status["error"],
            status["cancelled"],
            status["percentage"],
        )
    assert states == {
        17: (True, False, False, 100),
        18: (False, False, False, 40),
        19: (False, True, False, 40),
        20: (False, False, True, 25),
    }


def test_seed_command_loads_and_is_idempotent(tmp_path: Path, database_url: str) -> None:
    seed_file = tmp_path / "seed.yml"
    seed_file.write_text("users: [{login: alice, password: pw, entitlements: [software_upload]}]\n")
    first = uforge_mock(tmp_path, "seed", str(seed_file), database_url=database_url)
    second = uforge_mock(tmp_path, "seed", str(seed_file), database_url=database_url)
    assert first.returncode == 0, first.stderr
    assert "1 created" in first.stdout
    assert "0 created, 0 updated, 1 unchanged" in second.stdout


def test_seed_command_reports_errors_and_fails(tmp_path: Path) -> None:
    seed_file = tmp_path / "bad.yml"
    seed_file.write_text("exports: [{dbId: 1, mySoftware: 7, outcome: maybe}]\n")
    result = uforge_mock(tmp_path, "seed", str(seed_file))
    assert result.returncode == 2
    assert f"{seed_file}: exports[0] (dbId 1): field 'outcome'" in result.stderr
    assert "Traceback" not in result.stderr


def test_migrate_command_creates_the_store(tmp_path: Path) -> None:
    result = uforge_mock(tmp_path, "migrate")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "data" / "uforge-mock.db").is_file()


def test_migrate_command_upgrades_the_database_url(tmp_path: Path, empty_database_url: str) -> None:
    result = uforge_mock(tmp_path, "migrate", "--database-url", empty_database_url)
    assert result.returncode == 0, result.stderr
    engine = create_store_engine(empty_database_url)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert set(SQLModel.metadata.tables) <= tables


def words(text: str) -> str:
    """`text` with every run of whitespace as one space: help text wraps with the terminal."""
    return " ".join(text.split())


# What each command's own --help lists at the start of a line (its options and positionals),
# and what it says (what the command does, or its operations each with its one-line help).
COMMAND_HELP = {
    "serve": (
        ["--host", "--port", "--database-url", "--seed", "--no-demo", "--workers",
         "--no-access-log", "--control"],
        ["The store is upgraded to the newest schema first"],
    ),
    "seed": (["FILE", "--database-url"], ["Load FILE (docs/SEED.md format, YAML or JSON) all or"]),
    "migrate": (["--database-url"], ["Run the Alembic migrations up to head"]),
    "openapi": (["--output", "--control"], ["the app's OpenAPI document as JSON"]),
    "ctl": (
        ["--url", "--token", "--json"],
        ["Talk to the control API of a running", "reset back to the state after",
         "seed load a seed file (YAML or JSON), all or nothing",
         "clock show or move the mock's time", "requests the journal of UForge requests",
         "faults list, add, remove or clear injected faults", "patch change an export ticket",
         "exports every export ticket and its status",
         "imports every bundle import and its status"],
    ),
    "user": ([], ["add add a user, or update one", "list the users and their entitlements"]),
    "export": ([], ["list every export ticket and its status now"]),
}  # fmt: skip


@pytest.mark.parametrize("command", list(COMMAND_HELP))
def test_help_explains_each_command(tmp_path: Path, command: str) -> None:
    options, phrases = COMMAND_HELP[command]
    result = uforge_mock(tmp_path, command, "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: uforge-mock {command} ")
    listed = [
        option
        for option in options
        if re.search(rf"^ +{re.escape(option)}\b", result.stdout, re.MULTILINE)
    ]
    assert listed == options
    assert [phrase for phrase in phrases if phrase in words(result.stdout)] == phrases


def test_help_lists_every_command_with_what_it_does(tmp_path: Path) -> None:
    result = uforge_mock(tmp_path, "--help")
    assert result.returncode == 0, result.stderr
    commands = [
        "serve run the server (migrates the store, loads the seed or the demo dataset)",
        "seed load a seed file into the store and exit",
        "migrate upgrade the store's schema to the newest revision and exit",
        "openapi write the OpenAPI document of the UForge routes",
        "ctl drive a running server's control API (/_mock)",
        "user add or list users in the store (offline)",
        "export list export tickets in the store (offline)",
    ]
    assert [line for line in commands if line in words(result.stdout)] == commands


def test_user_add_then_list(tmp_path: Path) -> None:
    entitlements = ["--entitlement", "software_upload", "--entitlement", "appliance_create"]
    add_alice = ["user", "add", "alice", "--password", "pw", *entitlements]
    added = uforge_mock(tmp_path, *add_alice)
    assert added.returncode == 0, added.stderr
    assert "user alice added" in added.stdout
    again = uforge_mock(tmp_path, *add_alice)
    assert "user alice unchanged" in again.stdout
    listed = uforge_mock(tmp_path, "user", "list", "--json")
    assert json.loads(listed.stdout) == [
        {"login": "alice", "admin": False, "entitlements": ["appliance_create", "software_upload"]}
    ]
    table = uforge_mock(tmp_path, "user", "list").stdout.splitlines()
    assert table[0].split() == ["LOGIN", "ADMIN", "ENTITLEMENTS"]
    assert table[1].split() == ["alice", "no", "appliance_create,software_upload"]


def test_user_add_can_generate_a_password(tmp_path: Path) -> None:
    result = uforge_mock(tmp_path, "user", "add", "bob", "--generate-password")
    assert result.returncode == 0
    assert result.stdout.splitlines()[-1].startswith("password: ")


def test_export_list_shows_statuses(tmp_path: Path) -> None:
    seed_file = tmp_path / "seed.yml"
    seed_file.write_text(
        "users: [{login: a, password: p}]\n"
        "mySoftware: [{dbId: 1, owner: a, name: n}]\n"
        "exports: [{dbId: 5, mySoftware: 1, created: 2019-01-01T00:00:00Z, duration: 1}]\n"
    )
    uforge_mock(tmp_path, "seed", str(seed_file))
    listed = json.loads(uforge_mock(tmp_path, "export", "list", "--json").stdout)
    assert [(t["dbId"], t["status"]["complete"]) for t in listed] == [(5, True)]


@pytest.fixture
def controlled_server(tmp_path: Path) -> Iterator[str]:
    with server_process(
        tmp_path / "data", "--control", control_token="tok", export_duration_seconds="20"
    ) as base:
        yield base


def ctl(tmp_path: Path, base: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    return uforge_mock(tmp_path, "ctl", "--url", base, "--token", "tok", *arguments)


def test_ctl_moves_the_clock_and_reads_the_journal(tmp_path: Path, controlled_server: str) -> None:
    frozen = ctl(tmp_path, controlled_server, "clock", "freeze", "2019-06-05T21:40:12Z")
    assert frozen.stdout.strip() == "2019-06-05T21:40:12.000Z  frozen"
    advanced = ctl(tmp_path, controlled_server, "--json", "clock", "advance", "1m30s")
    assert json.loads(advanced.stdout)["now"] == "2019-06-05T21:41:42.000Z"
    httpx.get(f"{controlled_server}/api/status")
    journal = ctl(tmp_path, controlled_server, "requests").stdout.splitlines()
    assert journal[0].split()[:5] == ["ID", "TIME", "METHOD", "PATH", "STATUS"]
    assert "/api/status" in journal[1] and " 200 " in journal[1]


def test_ctl_injects_faults_and_patches_exports(tmp_path: Path, controlled_server: str) -> None:
    added = ctl(tmp_path, controlled_server, "faults", "add", "--status", "503", "--times", "1")
    assert added.returncode == 0 and "added fault 1" in added.stdout
    assert httpx.get(f"{controlled_server}/api/status").status_code == 503
    patched = ctl(tmp_path, controlled_server, "--json", "patch", "18", "--outcome", "error",
                  "--duration", "0", "--error-message", "Disk full")  # fmt: skip
    assert json.loads(patched.stdout)["status"]["error"] is True


def test_ctl_lists_the_bundle_imports(tmp_path: Path, controlled_server: str) -> None:
    # The demo dataset's two imports: one that made Nginx (920), one whose archive was refused.
    listed = ctl(tmp_path, controlled_server, "imports").stdout.splitlines()
    assert listed[0].split()[:4] == ["DBID", "OWNER", "IMPORTED", "MYSOFTWARE"]
    assert listed[1].split()[:6] == ["1", "guest", "yes", "920", "complete", "100"]
    assert listed[2].split()[:5] == ["2", "guest", "yes", "-", "error"]
    as_json = json.loads(ctl(tmp_path, controlled_server, "--json", "imports").stdout)
    assert [entry["dbId"] for entry in as_json["bundleImports"]] == [1, 2]


def test_ctl_reports_a_wrong_token(tmp_path: Path, controlled_server: str) -> None:
    result = uforge_mock(tmp_path, "ctl", "--url", controlled_server, "--token", "bad", "clock")
    assert result.returncode == 1
    assert "401" in result.stderr and "Traceback" not in result.stderr


def test_invalid_settings_name_the_setting_or_say_what_is_missing(tmp_path: Path) -> None:
    def serve(*arguments: str, **settings: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "uforge_mock", "serve", *arguments],
            env=server_environment(tmp_path, **settings),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )

    bad_port = serve(port="not-a-port")
    assert bad_port.returncode == 2
    assert "UFORGE_MOCK_PORT: " in bad_port.stderr
    no_token = serve("--control")
    assert no_token.returncode == 2
    assert "\n  the control API needs UFORGE_MOCK_CONTROL_TOKEN" in no_token.stderr
    assert "UFORGE_MOCK_:" not in no_token.stderr
