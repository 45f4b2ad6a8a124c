"""Seeds of the appliance family (docs/SEED.md): appliances with the mySoftware they hold, their
export tickets and appliance import tickets. Each section loads, loads again unchanged, reports
what it did, and shows through the UForge routes; every error refuses the whole document with
its file, entry and field, changes nothing, and is a 400 from the control API and exit 2 from
the command line. On a SQLite file and on PostgreSQL, as the other seed tests."""

import copy
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.conftest import FAST_HASHING, ROOT, T0, seed
from tests.servers import uforge_mock
from uforge_mock.factory import create_app
from uforge_mock.jobs.clock import FrozenClock
from uforge_mock.platform.runtime import Runtime
from uforge_mock.settings import Settings
from uforge_mock.store.seed_errors import SeedError

GUEST_AUTH = ("guest", "guest-pw")
JSON = {"Accept": "application/json"}

WORLD: dict[str, Any] = {
    "users": [
        {"login": "guest", "password": "guest-pw", "entitlements": ["appliance_create"]},
        {"login": "viewer", "password": "viewer-pw", "entitlements": ["appliance_create"]},
    ],
    "mySoftware": [
        {"dbId": 918, "owner": "guest", "name": "Zabbix", "version": "3.0.1"},
        {"dbId": 919, "owner": "guest", "name": "Nginx", "version": "1.14"},
        {"dbId": 920, "owner": "viewer", "name": "Viewed"},
    ],
    "appliances": [
        {
            "dbId": 101,
            "owner": "guest",
            "name": "CentOS Core",
            "version": "1.0",
            "description": "A minimal CentOS",
            "distributionName": "CentOS",
            "distributionVersion": "7",
            "archName": "x86_64",
            "osProfile": "Minimal",
            "nbUpdates": 2,
            "shared": True,
            "created": T0,
            "bundles": [919, 918],
        },
        {
            "dbId": 102,
            "owner": "guest",
            "name": "Doomed",
            "exportOutcome": "error",
            "exportDuration": 5,
            "created": T0,
        },
    ],
    "applianceExports": [
        {"dbId": 31, "appliance": 101, "created": T0, "duration": 20},
        {
            "dbId": 32,
            "appliance": 102,
            "outputFormat": "JSON",
            "created": T0,
            "duration": 0,
            "outcome": "error",
            "percentage": 40,
            "errorMessage": "Disk full",
            "detailedErrorMsg": "No space left on device",
        },
    ],
    "applianceImports": [
        {
            "dbId": 41,
            "owner": "guest",
            "imported": True,
            "reuseBundles": True,
            "created": T0,
            "uploaded": T0,
            "duration": 0,
            "appliance": 101,
        },
        {"dbId": 42, "owner": "viewer", "created": T0},
    ],
}


def document(**changes: Any) -> dict[str, Any]:
    """WORLD with some sections replaced."""
    return {**copy.deepcopy(WORLD), **changes}


@pytest.fixture
def empty(app: FastAPI) -> FastAPI:
    with TestClient(app):
        pass  # runs the lifespan: migrations
    return app


@pytest.fixture
def world(empty: FastAPI) -> FastAPI:
    seed(empty, WORLD)
    return empty


def rows(app: FastAPI, query: str) -> list[dict[str, Any]]:
    runtime: Runtime = app.state.mock
    with runtime.engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(text(query))]


def snapshot(app: FastAPI) -> dict[str, list[dict[str, Any]]]:
    """Every row a seed of the family writes."""
    tables = ("appliances", "appliance_bundles", "appliance_export_tickets", "appliance_imports")
    return {table: rows(app, f"SELECT * FROM {table} ORDER BY 1, 2") for table in tables}


def refused(app: FastAPI, data: dict[str, Any]) -> str:
    """The message of a seed that must be refused; checks that it changed nothing."""
    before = snapshot(app)
    with pytest.raises(SeedError) as raised:
        seed(app, data)
    assert snapshot(app) == before
    return str(raised.value)


def bundles(app: FastAPI, appliance: int) -> list[int]:
    found = rows(
        app,
        "SELECT my_software_id FROM appliance_bundles"
        f" WHERE appliance_id = {appliance} ORDER BY position",
    )
    return [row["my_software_id"] for row in found]


# ---------------------------------------------------------------- loading, idempotence


def test_every_section_of_the_family_loads(empty: FastAPI) -> None:
    report = seed(empty, WORLD)
    assert report.created == {
        "users": ["guest", "viewer"],
        "mySoftware": ["918", "919", "920"],
        "appliances": ["101", "102"],
        "applianceExports": ["31", "32"],
        "applianceImports": ["41", "42"],
    }


def test_loading_the_family_twice_changes_nothing(world: FastAPI) -> None:
    before = snapshot(world)
    again = seed(world, WORLD)
    assert again.created == {} and again.updated == {}
    assert again.unchanged["appliances"] == ["101", "102"]
    assert again.unchanged["applianceExports"] == ["31", "32"]
    assert again.unchanged["applianceImports"] == ["41", "42"]
    assert snapshot(world) == before


def test_an_appliance_is_stored_with_its_fields_and_bundles_in_order(world: FastAPI) -> None:
    (core,) = rows(world, "SELECT * FROM appliances WHERE db_id = 101")
    assert (core["name"], core["version"], core["description"]) == (
        "CentOS Core",
        "1.0",
        "A minimal CentOS",
    )
    assert (core["distribution_name"], core["distribution_version"], core["arch_name"]) == (
        "CentOS",
        "7",
        "x86_64",
    )
    assert (core["os_profile"], core["nb_updates"], bool(core["shared"])) == ("Minimal", 2, True)
    assert bundles(world, 101) == [919, 918]
    (doomed,) = rows(world, "SELECT * FROM appliances WHERE db_id = 102")
    assert (doomed["version"], doomed["distribution_name"], doomed["arch_name"]) == (
        "",
        "CentOS",
        "x86_64",
    )
    assert (doomed["export_outcome"], doomed["export_duration_seconds"]) == ("error", 5)
    assert bundles(world, 102) == []


def test_the_seeded_appliance_shows_through_the_routes(world: FastAPI) -> None:
    with TestClient(world) as client:
        response = client.get("/api/users/guest/appliances/101", auth=GUEST_AUTH, headers=JSON)
    assert response.status_code == 200, response.text
    appliance = response.json()["appliance"]
    assert (appliance["dbId"], appliance["name"], appliance["version"]) == (
        101,
        "CentOS Core",
        "1.0",
    )
    assert appliance["archName"] == "x86_64"


def test_seeded_export_tickets_run_as_given(world: FastAPI) -> None:
    path = "/api/users/guest/appliances/{}/exports/{}/status"
    with TestClient(world) as client:
        running = client.get(path.format(101, 31), auth=GUEST_AUTH, headers=JSON)
        failed = client.get(path.format(102, 32), auth=GUEST_AUTH, headers=JSON)
    assert running.status_code == 200 and failed.status_code == 200, failed.text
    assert running.json()["status"]["complete"] is False  # 20 s from T0, the clock at T0
    status = failed.json()["status"]
    assert (status["error"], status["percentage"]) == (True, 40)
    assert status["errorMessage"] == "Disk full"
    assert status["detailedErrorMsg"] == "No space left on device"
    (ticket,) = rows(world, "SELECT output_format FROM appliance_export_tickets WHERE db_id = 32")
    assert ticket["output_format"] == "json"


def test_appliance_imports_are_stored_as_given(world: FastAPI) -> None:
    (done, waiting) = rows(world, "SELECT * FROM appliance_imports ORDER BY db_id")
    assert (bool(done["imported"]), bool(done["reuse_bundles"]), bool(done["force"])) == (
        True,
        True,
        False,
    )
    assert (done["appliance_id"], done["outcome"], done["archive_size"]) == (101, "complete", None)
    assert waiting["uploaded"] is None and waiting["appliance_id"] is None


def test_new_bundles_replace_the_appliances_and_update_it(world: FastAPI) -> None:
    changed = document()
    changed["appliances"][0]["bundles"] = [918]
    report = seed(world, changed)
    assert report.updated == {"appliances": ["101"]}
    assert bundles(world, 101) == [918]


def test_an_appliance_that_leaves_out_its_bundles_keeps_them(world: FastAPI) -> None:
    changed = document()
    del changed["appliances"][0]["bundles"]
    assert seed(world, changed).updated == {}
    assert bundles(world, 101) == [919, 918]


def test_a_changed_export_ticket_is_updated(world: FastAPI) -> None:
    changed = document()
    changed["applianceExports"][0]["outcome"] = "cancelled"
    assert seed(world, changed).updated == {"applianceExports": ["31"]}
    (ticket,) = rows(world, "SELECT outcome FROM appliance_export_tickets WHERE db_id = 31")
    assert ticket["outcome"] == "cancelled"


def test_new_tickets_are_numbered_after_the_seeded_ids(world: FastAPI) -> None:
    with TestClient(world) as client:
        created = client.post(
            "/api/users/guest/appliances/101/exports", auth=GUEST_AUTH, headers=JSON
        )
    assert created.status_code == 201, created.text
    assert created.json()["applianceExport"]["dbId"] == 33


def test_the_family_loads_from_yaml(empty: FastAPI, tmp_path: Path) -> None:
    path = tmp_path / "appliances.yml"
    path.write_text(yaml.safe_dump(WORLD))
    report = empty.state.mock.load_seed_file(path)
    assert report.created["appliances"] == ["101", "102"]


# ---------------------------------------------------------------- refusals


def with_appliance(**changes: Any) -> dict[str, Any]:
    changed = document()
    changed["appliances"][0].update(changes)
    return changed


def with_export(**changes: Any) -> dict[str, Any]:
    changed = document()
    changed["applianceExports"][0].update(changes)
    return changed


def with_import(**changes: Any) -> dict[str, Any]:
    changed = document()
    changed["applianceImports"][0].update(changes)
    return changed


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (with_appliance(name=""), "appliances[0] (dbId 101): field 'name'"),
        (with_appliance(owner="ghost"), "field 'owner': no user 'ghost' in the file or the store"),
        (
            with_appliance(bundles=[918, 4242]),
            "appliances[0] (dbId 101): field 'bundles.1': no mySoftware 4242 in the file or "
            "the store",
        ),
        (
            with_appliance(bundles=[920]),
            "field 'bundles.0': mySoftware 920 is not guest's",
        ),
        (with_appliance(bundles=[918, 918]), "field 'bundles.1': mySoftware 918 is listed twice"),
        (with_appliance(exportOutcome="maybe"), "field 'exportOutcome'"),
        (with_appliance(nbUpdates=-1), "field 'nbUpdates'"),
        (with_appliance(os="CentOS"), "field 'os': Extra inputs are not permitted"),
        (with_appliance(dbId=0), "field 'dbId': a dbId is a whole number"),
        (
            document(appliances=[WORLD["appliances"][0]] * 2),
            "appliances[1] (dbId 101): field 'dbId': the same dbId as appliances[0]",
        ),
        (
            with_export(appliance=4242),
            "applianceExports[0] (dbId 31): field 'appliance': no appliance 4242 in the file "
            "or the store",
        ),
        (with_export(outcome="maybe"), "applianceExports[0] (dbId 31): field 'outcome'"),
        (with_export(outputFormat="xml"), "field 'outputFormat'"),
        (with_import(outcome="cancelled"), "imports cannot be cancelled"),
        (with_import(outcome="error"), "only a complete import made an appliance"),
        (with_import(owner="nobody"), "field 'owner': no user 'nobody'"),
        (
            with_import(owner="viewer"),
            "applianceImports[0] (dbId 41): field 'appliance': appliance 101 is not viewer's",
        ),
        (
            with_import(appliance=4242),
            "field 'appliance': no appliance 4242 in the file or the store",
        ),
        (with_import(uploaded="2019-01-01T00:00:00Z"), "uploaded before it was created"),
    ],
)
def test_a_bad_entry_refuses_the_whole_seed(
    world: FastAPI, data: dict[str, Any], expected: str
) -> None:
    assert expected in refused(world, data)


def test_a_stored_appliance_and_mysoftware_are_found(world: FastAPI) -> None:
    report = seed(
        world,
        {
            "appliances": [{"dbId": 103, "owner": "guest", "name": "Later", "bundles": [918]}],
            "applianceExports": [{"dbId": 35, "appliance": 101}],
            "applianceImports": [{"dbId": 45, "owner": "guest", "appliance": 102}],
        },
    )
    assert report.created == {
        "appliances": ["103"],
        "applianceExports": ["35"],
        "applianceImports": ["45"],
    }
    assert bundles(world, 103) == [918]


def test_a_stored_mysoftware_of_another_user_is_refused(world: FastAPI) -> None:
    message = refused(
        world,
        {"appliances": [{"dbId": 103, "owner": "viewer", "name": "Theft", "bundles": [918]}]},
    )
    assert "appliances[0] (dbId 103): field 'bundles.0': mySoftware 918 is not viewer's" in message


def test_an_error_late_in_the_document_changes_nothing_before_it(world: FastAPI) -> None:
    changed = document()
    changed["appliances"][0]["bundles"] = []
    changed["applianceExports"][0]["outcome"] = "error"
    changed["applianceImports"].append({"dbId": 99, "owner": "nobody"})
    refused(world, changed)


def test_the_control_api_answers_a_bad_appliance_seed_with_400(
    tmp_path: Path, clock: FrozenClock
) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        demo=False,
        control_enabled=True,
        control_token="t",
        **FAST_HASHING,
    )
    body = {"appliances": [{"dbId": 1, "owner": "ghost", "name": "X"}]}
    with TestClient(create_app(settings, clock=clock)) as client:
        response = client.post(
            "/_mock/seed", headers={"Authorization": "Bearer t", **JSON}, json=body
        )
    assert response.status_code == 400
    message = response.json()["uforgeError"]["localizedErrorMsg"]["message"]
    assert "appliances[0] (dbId 1): field 'owner': no user 'ghost' in the file or the store" in (
        message
    )


def test_the_seed_command_refuses_a_bad_appliance_seed_with_exit_2(tmp_path: Path) -> None:
    seed_file = tmp_path / "bad.yml"
    seed_file.write_text(
        "applianceExports:\n  - {dbId: 1, appliance: 7, outcome: maybe}\n", encoding="utf-8"
    )
    result = uforge_mock(tmp_path, "seed", str(seed_file))
    assert result.returncode == 2
    assert f"{seed_file}: applianceExports[0] (dbId 1): field 'outcome'" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_appliance_example_of_the_seed_reference_loads(empty: FastAPI, tmp_path: Path) -> None:
    reference = (ROOT / "docs" / "SEED.md").read_text(encoding="utf-8")
    first, appliances = reference.split("```yaml\n")[1:3]
    for name, block in (("example.yml", first), ("appliances.yml", appliances)):
        path = tmp_path / name
        path.write_text(block.split("```", 1)[0], encoding="utf-8")
        report = empty.state.mock.load_seed_file(path)
    assert report.created == {
        "appliances": ["101"],
        "applianceExports": ["31"],
        "applianceImports": ["41"],
    }
    assert bundles(empty, 101) == [918]
    assert empty.state.mock.load_seed_file(path).created == {}


def test_the_demo_dataset_has_two_templates_and_a_failed_export(
    empty: FastAPI, clock: FrozenClock
) -> None:
    path = Path(str(resources.files("uforge_mock.store") / "demo-seed.yml"))
    report = empty.state.mock.load_seed_file(path)
    assert report.created["appliances"] == ["101", "102"]
    assert report.created["applianceExports"] == ["31", "32"]
    assert report.created["applianceImports"] == ["1"]
    assert bundles(empty, 101) == [918, 920]  # the demo's Zabbix and Nginx
    assert empty.state.mock.load_seed_file(path).created == {}
    clock.advance(60)  # past the end of the demo's exports
    with TestClient(empty) as client:
        status = client.get(
            "/api/users/guest/appliances/102/exports/32/status",
            auth=("guest", "guest-secret"),
            headers=JSON,
        )
        listed = client.get(
            "/api/users/guest/appliances", auth=("guest", "guest-secret"), headers=JSON
        )
        images = client.get("/api/users/guest/images", auth=("guest", "guest-secret"), headers=JSON)
    assert status.status_code == 200, status.text
    assert (status.json()["status"]["error"], status.json()["status"]["percentage"]) == (True, 60)
    assert listed.json()["appliances"]["total"] == 2
    assert images.status_code == 200  # guest may run `hammr template list`
