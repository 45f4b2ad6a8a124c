"""Seeds of the mySoftware family (docs/SEED.md): orgs with their members and categories, a
mySoftware's files, license, logo and category, bundle import tickets. Each section loads,
loads again unchanged, reports what it did; every error refuses the whole document and
changes nothing. On a SQLite file and on PostgreSQL, as the other seed tests."""

import base64
import copy
import hashlib
import json
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import insert, select, text

from tests.conftest import ROOT, T0, seed
from uforge_mock.jobs.clock import FrozenClock
from uforge_mock.platform.runtime import Runtime
from uforge_mock.store.models import BundleImport, Category, MySoftware, Org
from uforge_mock.store.seed import parse_seed_text
from uforge_mock.store.seed_errors import SeedError
from uforge_mock.store.seed_family import MAX_CONTENT_BYTES, MAX_FILES_DEPTH

_my_software = MySoftware.__table__  # type: ignore[attr-defined]
_bundle_imports = BundleImport.__table__  # type: ignore[attr-defined]
_orgs = Org.__table__  # type: ignore[attr-defined]
_categories = Category.__table__  # type: ignore[attr-defined]

# A 1x1 PNG.
PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kg"
    "AAAABJRU5ErkJggg=="
)
CONF = "Server=zabbix.example.com\n"

FAMILY: dict[str, Any] = {
    "users": [
        {"login": "guest", "password": "guest-pw"},
        {"login": "viewer", "password": "viewer-pw"},
        {"login": "admin", "password": "admin-pw", "admin": True},
    ],
    "orgs": [
        {
            "name": "UForge Demo",
            "dbId": 1,
            "members": ["guest", "viewer"],
            "admins": ["admin"],
            "categories": [
                {"name": "Monitoring", "type": "PROJECT", "dbId": 11},
                {"name": "Databases"},
                {"name": "Linux Servers", "type": "TEMPLATE"},
            ],
        }
    ],
    "mySoftware": [
        {
            "dbId": 918,
            "owner": "guest",
            "name": "Zabbix",
            "category": "Monitoring",
            "files": [
                {
                    "name": "zabbix_agentd.conf",
                    "installLocation": "/etc/zabbix",
                    "tag": "softwarefile",
                    "rights": "644",
                    "extract": False,
                    "content": CONF,
                },
                {
                    "name": "scripts",
                    "installLocation": "/usr/local/lib/zabbix",
                    "files": [{"name": "check.sh", "contentBase64": "IyE="}],  # b"#!"
                },
                {"name": "zabbix-agent", "tag": "ospkg", "size": 1000},
            ],
            "license": {"name": "LICENSE", "type": "GPLv2", "content": "GPL v2"},
            "logo": {"name": "zabbix.png", "contentBase64": PNG},
        },
        {"dbId": 920, "owner": "guest", "name": "Nginx", "imported": True},
    ],
    "bundleImports": [
        {
            "dbId": 5,
            "owner": "guest",
            "imported": True,
            "created": T0,
            "uploaded": T0 + timedelta(seconds=48),
            "duration": 10,
            "outcome": "complete",
            "mySoftware": 920,
        },
        {
            "dbId": 6,
            "owner": "guest",
            "created": T0,
            "outcome": "error",
            "percentage": 20,
            "errorMessage": "Failed to import the software bundle",
            "detailedErrorMsg": "bundle.yml: missing required key 'version'",
        },
    ],
}


@pytest.fixture
def empty(app: FastAPI) -> FastAPI:
    with TestClient(app):
        pass  # runs the lifespan: migrations
    return app


@pytest.fixture
def family(empty: FastAPI) -> FastAPI:
    seed(empty, FAMILY)
    return empty


def document(**changes: Any) -> dict[str, Any]:
    """FAMILY with some sections replaced."""
    return {**copy.deepcopy(FAMILY), **changes}


def rows(app: FastAPI, query: str) -> list[dict[str, Any]]:
    runtime: Runtime = app.state.mock
    with runtime.engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(text(query))]


def artifacts(app: FastAPI, software: int = 918) -> list[dict[str, Any]]:
    return rows(
        app,
        "SELECT kind, position, parent_position, directory, name, tag, install_location,"
        " attributes, size,"
        " sha256, md5, content FROM software_artifacts"
        f" WHERE my_software_id = {software} ORDER BY kind, position",
    )


def memberships(app: FastAPI) -> dict[str, tuple[bool, bool]]:
    """login -> (admin, default org), in the org "UForge Demo"."""
    found = rows(
        app,
        "SELECT users.login, org_members.admin, org_members.default_org FROM org_members"
        " JOIN users ON users.id = org_members.user_id"
        " JOIN orgs ON orgs.db_id = org_members.org_id WHERE orgs.name = 'UForge Demo'",
    )
    return {row["login"]: (bool(row["admin"]), bool(row["default_org"])) for row in found}


def snapshot(app: FastAPI) -> dict[str, list[dict[str, Any]]]:
    """Every row a seed of the family writes."""
    tables = ("users", "orgs", "org_members", "categories", "my_software", "software_artifacts")
    taken = {table: rows(app, f"SELECT * FROM {table} ORDER BY 1, 2") for table in tables}
    taken["bundle_imports"] = rows(app, "SELECT * FROM bundle_imports ORDER BY db_id")
    return taken


def refused(app: FastAPI, data: dict[str, Any]) -> str:
    """The message of a seed that must be refused; checks that it changed nothing."""
    before = snapshot(app)
    with pytest.raises(SeedError) as raised:
        seed(app, data)
    assert snapshot(app) == before
    return str(raised.value)


# ---------------------------------------------------------------- loading, idempotence


def test_every_section_of_the_family_loads(empty: FastAPI) -> None:
    report = seed(empty, FAMILY)
    assert report.created == {
        "users": ["guest", "viewer", "admin"],
        "orgs": ["UForge Demo"],
        "mySoftware": ["918", "920"],
        "bundleImports": ["5", "6"],
    }


def test_loading_the_family_twice_changes_nothing(family: FastAPI) -> None:
    before = snapshot(family)
    again = seed(family, FAMILY)
    assert again.created == {} and again.updated == {}
    assert again.unchanged["orgs"] == ["UForge Demo"]
    assert again.unchanged["mySoftware"] == ["918", "920"]
    assert again.unchanged["bundleImports"] == ["5", "6"]
    assert snapshot(family) == before


def test_the_family_loads_from_yaml_text(empty: FastAPI, tmp_path: Path) -> None:
    path = tmp_path / "family.yml"
    path.write_text(yaml.safe_dump(FAMILY))
    report = empty.state.mock.load_seed_file(path)
    assert report.created["orgs"] == ["UForge Demo"]


def test_the_demo_dataset_loads_with_its_family_and_again_unchanged(empty: FastAPI) -> None:
    path = Path(str(resources.files("uforge_mock.store") / "demo-seed.yml"))
    report = empty.state.mock.load_seed_file(path)
    assert report.created["orgs"] == ["UForge Demo"]
    assert report.created["mySoftware"] == ["918", "919", "920"]
    assert report.created["bundleImports"] == ["1", "2"]
    again = empty.state.mock.load_seed_file(path)
    assert again.created == {} and again.updated == {}
    (zabbix,) = rows(empty, "SELECT size, category_id FROM my_software WHERE db_id = 918")
    assert zabbix == {"size": 20480, "category_id": 11}  # the size the demo gives
    kinds = [(row["kind"], row["parent_position"]) for row in artifacts(empty)]
    assert sorted(kinds, key=str) == sorted(
        [("file", None), ("file", None), ("file", 1), ("license", None), ("logo", None)], key=str
    )
    (failed,) = rows(empty, "SELECT * FROM bundle_imports WHERE db_id = 2")
    assert failed["error_message"] == "Failed to import the software bundle"
    assert failed["detailed_error_msg"] == "bundle.yml: missing required key 'version'"


# ---------------------------------------------------------------- artifacts


def test_files_are_stored_depth_first_with_their_checksums(family: FastAPI) -> None:
    files = [row for row in artifacts(family) if row["kind"] == "file"]
    assert [(f["position"], f["parent_position"], f["name"]) for f in files] == [
        (0, None, "zabbix_agentd.conf"),
        (1, None, "scripts"),
        (2, 1, "check.sh"),
        (3, None, "zabbix-agent"),
    ]
    conf, directory, script, package = files
    assert bytes(conf["content"]) == CONF.encode()
    assert conf["size"] == len(CONF)
    assert conf["sha256"] == hashlib.sha256(CONF.encode()).hexdigest()
    assert conf["md5"] == hashlib.md5(CONF.encode()).hexdigest()
    assert json.loads(conf["attributes"]) == {"rights": "644", "extract": False}
    assert (conf["tag"], conf["install_location"]) == ("softwarefile", "/etc/zabbix")
    assert bytes(script["content"]) == b"#!" and script["size"] == 2
    assert script["sha256"] == hashlib.sha256(b"#!").hexdigest()
    assert directory["content"] is None and directory["size"] == 0 and directory["directory"]
    assert not any(entry["directory"] for entry in (conf, script, package))
    assert directory["sha256"] is None and directory["attributes"] is None
    assert package["content"] is None and package["size"] == 1000 and package["md5"] is None


def test_license_and_logo_are_artifacts_of_their_kind(family: FastAPI) -> None:
    by_kind = {row["kind"]: row for row in artifacts(family)}
    license_, logo = by_kind["license"], by_kind["logo"]
    assert (license_["name"], json.loads(license_["attributes"])) == ("LICENSE", {"type": "GPLv2"})
    assert bytes(license_["content"]) == b"GPL v2"
    png = base64.b64decode(PNG)
    assert logo["name"] == "zabbix.png" and bytes(logo["content"]) == png
    assert (logo["size"], logo["sha256"]) == (len(png), hashlib.sha256(png).hexdigest())


def test_a_mysoftware_size_is_the_sum_of_its_files_unless_given(family: FastAPI) -> None:
    (row,) = rows(family, "SELECT size FROM my_software WHERE db_id = 918")
    assert row["size"] == len(CONF) + 2 + 1000
    changed = document()
    changed["mySoftware"][0]["size"] = 7
    seed(family, changed)
    assert rows(family, "SELECT size FROM my_software WHERE db_id = 918") == [{"size": 7}]


def test_a_mysoftware_that_leaves_out_its_artifacts_keeps_them(family: FastAPI) -> None:
    before = artifacts(family)
    bare = {"dbId": 918, "owner": "guest", "name": "Zabbix", "category": "Monitoring"}
    report = seed(family, {"mySoftware": [bare]})
    assert report.unchanged == {"mySoftware": ["918"]}
    assert artifacts(family) == before
    (row,) = rows(family, "SELECT size FROM my_software WHERE db_id = 918")
    assert row["size"] == len(CONF) + 2 + 1000  # still its files'


def test_other_files_replace_the_stored_ones_and_update_the_mysoftware(
    family: FastAPI, clock: FrozenClock
) -> None:
    changed = document()
    changed["mySoftware"][0]["files"] = [{"name": "new.conf", "content": "x"}]
    clock.advance(60)
    report = seed(family, changed)
    assert report.updated == {"mySoftware": ["918"]}
    assert [row["name"] for row in artifacts(family) if row["kind"] == "file"] == ["new.conf"]
    (row,) = rows(family, "SELECT size FROM my_software WHERE db_id = 918")
    assert row["size"] == 1
    runtime: Runtime = family.state.mock
    with runtime.engine.connect() as connection:
        modified = connection.execute(
            select(_my_software.c.last_modified).where(_my_software.c.db_id == 918)
        ).scalar_one()
    assert modified == T0 + timedelta(seconds=60)
    assert "license" in {row["kind"] for row in artifacts(family)}  # other kinds untouched


def test_a_changed_file_content_is_an_update(family: FastAPI) -> None:
    changed = document()
    changed["mySoftware"][0]["files"][0]["content"] = CONF + "# more\n"
    assert seed(family, changed).updated == {"mySoftware": ["918"]}


def test_null_license_and_empty_files_take_them_away(family: FastAPI) -> None:
    changed = document()
    changed["mySoftware"][0].update(files=[], license=None, logo=None)
    assert seed(family, changed).updated == {"mySoftware": ["918"]}
    assert artifacts(family) == []


# ---------------------------------------------------------------- orgs


def test_members_and_admins_make_the_membership(family: FastAPI) -> None:
    assert memberships(family) == {
        "guest": (False, True),
        "viewer": (False, True),
        "admin": (True, True),
    }
    (org,) = rows(family, "SELECT db_id, name FROM orgs")
    assert org == {"db_id": 1, "name": "UForge Demo"}
    types = {(row["name"], row["type"]) for row in rows(family, "SELECT * FROM categories")}
    assert types == {
        ("Monitoring", "PROJECT"),
        ("Databases", "PROJECT"),
        ("Linux Servers", "TEMPLATE"),
    }


def test_members_replace_the_membership_of_the_org(family: FastAPI) -> None:
    report = seed(family, {"orgs": [{"name": "UForge Demo", "members": ["viewer"]}]})
    assert report.updated == {"orgs": ["UForge Demo"]}
    assert memberships(family) == {"viewer": (False, True)}


def test_an_org_that_leaves_out_its_members_keeps_them(family: FastAPI) -> None:
    before = memberships(family)
    report = seed(family, {"orgs": [{"name": "UForge Demo"}]})
    assert report.unchanged == {"orgs": ["UForge Demo"]}
    assert memberships(family) == before


def test_new_categories_update_the_org_and_others_stay(family: FastAPI) -> None:
    report = seed(family, {"orgs": [{"name": "UForge Demo", "categories": [{"name": "Tools"}]}]})
    assert report.updated == {"orgs": ["UForge Demo"]}
    names = {row["name"] for row in rows(family, "SELECT name FROM categories")}
    assert names == {"Monitoring", "Databases", "Linux Servers", "Tools"}


def test_the_default_org_is_the_first_that_lists_a_user_without_one(family: FastAPI) -> None:
    seed(
        family,
        {
            "orgs": [
                {"name": "Second", "members": ["guest", "newcomer"]},
                {"name": "Third", "members": ["newcomer"]},
            ],
            "users": [{"login": "newcomer", "password": "pw"}],
        },
    )
    found = rows(
        family,
        "SELECT orgs.name AS org, users.login, org_members.default_org FROM org_members"
        " JOIN users ON users.id = org_members.user_id"
        " JOIN orgs ON orgs.db_id = org_members.org_id ORDER BY orgs.name, users.login",
    )
    defaults = {(row["org"], row["login"]) for row in found if row["default_org"]}
    assert ("UForge Demo", "guest") in defaults  # guest had one: kept
    assert ("Second", "guest") not in defaults
    assert ("Second", "newcomer") in defaults and ("Third", "newcomer") not in defaults


def test_a_user_taken_out_of_its_default_org_gets_the_next_listing_one(family: FastAPI) -> None:
    seed(
        family,
        {
            "orgs": [
                {"name": "Other", "members": ["viewer"]},
                {"name": "UForge Demo", "members": ["guest"], "admins": ["admin"]},
            ]
        },
    )
    (row,) = rows(
        family,
        "SELECT org_members.default_org FROM org_members"
        " JOIN users ON users.id = org_members.user_id"
        " JOIN orgs ON orgs.db_id = org_members.org_id"
        " WHERE orgs.name = 'Other' AND users.login = 'viewer'",
    )
    assert row["default_org"]


# ---------------------------------------------------------------- categories of mySoftware


def test_a_mysoftware_gets_the_category_of_its_owners_org(family: FastAPI) -> None:
    (row,) = rows(family, "SELECT category_id FROM my_software WHERE db_id = 918")
    assert row["category_id"] == 11


def test_a_category_left_out_is_kept_and_null_clears_it(family: FastAPI) -> None:
    seed(family, {"mySoftware": [{"dbId": 918, "owner": "guest", "name": "Zabbix"}]})
    assert rows(family, "SELECT category_id FROM my_software WHERE db_id = 918") == [
        {"category_id": 11}
    ]
    report = seed(
        family,
        {"mySoftware": [{"dbId": 918, "owner": "guest", "name": "Zabbix", "category": None}]},
    )
    assert report.updated == {"mySoftware": ["918"]}
    assert rows(family, "SELECT category_id FROM my_software WHERE db_id = 918") == [
        {"category_id": None}
    ]


def test_a_category_of_a_stored_org_resolves(family: FastAPI) -> None:
    entry = {"dbId": 921, "owner": "viewer", "name": "Postgres", "category": "Databases"}
    seed(family, {"mySoftware": [entry]})
    (row,) = rows(
        family,
        "SELECT categories.name FROM my_software"
        " JOIN categories ON categories.db_id = my_software.category_id"
        " WHERE my_software.db_id = 921",
    )
    assert row["name"] == "Databases"


def test_a_category_change_updates_the_mysoftware(family: FastAPI) -> None:
    changed = document()
    changed["mySoftware"][0]["category"] = "Databases"
    assert seed(family, changed).updated == {"mySoftware": ["918"]}


# ---------------------------------------------------------------- bundle imports


def test_bundle_imports_are_stored_as_given(family: FastAPI) -> None:
    done, failed = rows(family, "SELECT * FROM bundle_imports ORDER BY db_id")
    assert done["my_software_id"] == 920 and bool(done["imported"])
    assert done["outcome"] == "complete" and done["duration_seconds"] == 10
    assert failed["outcome"] == "error" and failed["percentage"] == 20
    assert failed["error_message"] == "Failed to import the software bundle"
    assert failed["uploaded"] is None and failed["my_software_id"] is None


def test_a_bundle_import_takes_the_servers_duration_and_the_time_of_loading(
    empty: FastAPI,
) -> None:
    seed(
        empty,
        {"users": [{"login": "u", "password": "p"}], "bundleImports": [{"dbId": 9, "owner": "u"}]},
    )
    (row,) = rows(empty, "SELECT * FROM bundle_imports")
    runtime: Runtime = empty.state.mock
    assert row["duration_seconds"] == runtime.settings.export_duration_seconds
    assert row["outcome"] == "complete" and not row["imported"] and row["uploaded"] is None


def test_a_bundle_import_uploaded_before_the_load_was_created_then(empty: FastAPI) -> None:
    uploaded = T0 - timedelta(days=1)
    ticket = {"dbId": 9, "owner": "u", "uploaded": uploaded}
    seed(empty, {"users": [{"login": "u", "password": "p"}], "bundleImports": [ticket]})
    runtime: Runtime = empty.state.mock
    with runtime.engine.connect() as connection:
        created = connection.execute(select(_bundle_imports.c.created)).scalar_one()
    assert created == uploaded


def test_a_changed_bundle_import_is_updated(family: FastAPI) -> None:
    changed = document()
    changed["bundleImports"][1]["percentage"] = 30
    assert seed(family, changed).updated == {"bundleImports": ["6"]}


# ---------------------------------------------------------------- ids


def test_new_rows_are_numbered_after_the_seeded_ids(family: FastAPI) -> None:
    seed(
        family,
        {
            "users": [{"login": "u", "password": "p"}],
            "orgs": [{"name": "Numbered"}, {"name": "Big", "dbId": 4000}],
            "bundleImports": [{"dbId": 7000, "owner": "u"}],
        },
    )
    numbered = {row["name"]: row["db_id"] for row in rows(family, "SELECT * FROM orgs")}
    assert numbered["Big"] == 4000 and numbered["Numbered"] > 4000
    (largest_category,) = rows(family, "SELECT MAX(db_id) AS largest FROM categories")
    runtime: Runtime = family.state.mock
    with runtime.engine.begin() as connection:
        user_id = connection.execute(text("SELECT id FROM users WHERE login = 'u'")).scalar_one()
        made = connection.execute(
            insert(_bundle_imports).values(owner_id=user_id, created=T0, last_modified=T0)
        ).inserted_primary_key
        org = connection.execute(
            insert(_orgs).values(name="Later", created=T0, last_modified=T0)
        ).inserted_primary_key
        category = connection.execute(
            insert(_categories).values(org_id=1, name="Later", created=T0, last_modified=T0)
        ).inserted_primary_key
    assert made is not None and made[0] > 7000
    assert org is not None and org[0] > numbered["Numbered"]
    assert category is not None and category[0] > largest_category["largest"]


def test_categories_numbered_by_the_store_come_after_the_given_ones(empty: FastAPI) -> None:
    seed(
        empty,
        {"orgs": [{"name": "O", "categories": [{"name": "a"}, {"name": "b", "dbId": 1}]}]},
    )
    ids = {row["name"]: row["db_id"] for row in rows(empty, "SELECT * FROM categories")}
    assert ids["b"] == 1 and ids["a"] > 1


# ---------------------------------------------------------------- refusals


def with_org(**changes: Any) -> dict[str, Any]:
    org = {"name": "UForge Demo", "members": ["guest"], **changes}
    return {"users": [{"login": "guest", "password": "pw"}], "orgs": [org]}


def with_file(**entry: Any) -> dict[str, Any]:
    software = {"dbId": 918, "owner": "guest", "name": "Zabbix", "files": [entry]}
    return document(mySoftware=[software])


def with_ticket(**changes: Any) -> dict[str, Any]:
    ticket = {"dbId": 5, "owner": "guest", **changes}
    return document(bundleImports=[ticket])


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            with_org(members=["guest", "nobody"]),
            "orgs[0] (name UForge Demo): field 'members.1': no user 'nobody' in the file or the "
            "store",
        ),
        (with_org(admins=["ghost"]), "field 'admins.0': no user 'ghost'"),
        (with_org(members=["guest", "guest"]), "field 'members.1': guest is listed twice"),
        (with_org(categories=[{"name": "M", "type": "FOLDER"}]), "field 'categories.0.type'"),
        (with_org(categories=[{"name": ""}]), "field 'categories.0.name'"),
        (
            with_org(categories=[{"name": "M"}, {"name": "M", "type": "project"}]),
            "field 'categories.1.name': the PROJECT category 'M' is also categories.0",
        ),
        (
            {
                "orgs": [
                    {"name": "A", "categories": [{"name": "x", "dbId": 3}]},
                    {"name": "B", "categories": [{"name": "y", "dbId": 3}]},
                ]
            },
            "orgs[1] (name B): field 'categories.0.dbId': the same dbId as orgs[0]",
        ),
        ({"orgs": [{"name": "A"}, {"name": "A"}]}, "orgs[1] (name A): field 'name': the same"),
        (
            {"orgs": [{"name": "A", "dbId": 2}, {"name": "B", "dbId": 2}]},
            "orgs[1] (name B): field 'dbId': the same dbId as orgs[0]",
        ),
        (with_org(dbId=0), "field 'dbId': a dbId is a whole number"),
        (with_org(colour="red"), "field 'colour': Extra inputs are not permitted"),
    ],
)
def test_a_bad_org_refuses_the_whole_seed(
    family: FastAPI, data: dict[str, Any], expected: str
) -> None:
    assert expected in refused(family, data)


def test_an_org_id_of_another_org_in_the_store_is_refused(family: FastAPI) -> None:
    message = refused(family, {"orgs": [{"name": "Other", "dbId": 1}]})
    assert "orgs[0] (name Other): field 'dbId': 1 is the org 'UForge Demo' in the store" in message
    message = refused(family, {"orgs": [{"name": "UForge Demo", "dbId": 2}]})
    assert "field 'dbId': the org is dbId 1 in the store" in message


def test_a_category_id_of_another_category_in_the_store_is_refused(family: FastAPI) -> None:
    org = {"name": "UForge Demo", "categories": [{"name": "Tools", "dbId": 11}]}
    message = refused(family, {"orgs": [org]})
    assert "field 'categories.0.dbId': 11 is the PROJECT category 'Monitoring'" in message
    org = {"name": "UForge Demo", "categories": [{"name": "Monitoring", "dbId": 99}]}
    assert "the category is dbId 11 in the store" in refused(family, {"orgs": [org]})


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            with_file(name="a", content="x", contentBase64="eA=="),
            "mySoftware[0] (dbId 918): field 'files.0': give content or contentBase64, not both",
        ),
        (with_file(name="a", contentBase64="not base64!"), "contentBase64 is not valid base64"),
        (with_file(name="a", content="x", size=3), "size is computed from the content"),
        (
            with_file(name="d", content="x", files=[{"name": "f"}]),
            "an entry with files is a directory",
        ),
        (with_file(name="d", files=[], size=3), "an entry with files is a directory"),
        (with_file(name="a", tag="binary"), "field 'files.0.tag'"),
        (with_file(name=""), "field 'files.0.name'"),
        (with_file(name="a", size=-1), "field 'files.0.size'"),
        (
            with_file(name="d", files=[{"name": "f"}, {"name": "f"}]),
            "mySoftware[0] (dbId 918): field 'files.0.files.1.name': 'f' is also files.0.files.0",
        ),
        (
            with_file(name="a", content="é" * (MAX_CONTENT_BYTES // 2 + 1)),
            f"the content is {MAX_CONTENT_BYTES + 2} bytes, more than the {MAX_CONTENT_BYTES}",
        ),
        (
            with_file(name="a", content="x" * (MAX_CONTENT_BYTES + 1)),
            "field 'files.0.content': String should have at most",
        ),
        (
            with_file(
                name="a", contentBase64=base64.b64encode(b"x" * (MAX_CONTENT_BYTES + 1)).decode()
            ),
            f"more than the {MAX_CONTENT_BYTES} an artifact may hold",
        ),
        (with_file(name="a", when=datetime(2019, 1, 1)), "when is datetime: a file's other keys"),
        (with_file(name="a", ratio=float("nan")), "ratio is not a number JSON can hold"),
        (
            document(mySoftware=[{"dbId": 1, "owner": "guest", "name": "n", "license": {}}]),
            "field 'license.name': Field required",
        ),
        (
            document(
                mySoftware=[
                    {"dbId": 1, "owner": "guest", "name": "n", "logo": {"name": "l", "x": 1}}
                ]
            ),
            "field 'logo.x': Extra inputs are not permitted",
        ),
    ],
)
def test_a_bad_artifact_refuses_the_whole_seed(
    family: FastAPI, data: dict[str, Any], expected: str
) -> None:
    assert expected in refused(family, data)


def nested_files(depth: int) -> list[dict[str, Any]]:
    files: list[dict[str, Any]] = [{"name": "leaf", "content": "x"}]
    for level in range(depth - 1):
        files = [{"name": f"d{level}", "files": files}]
    return files


def test_files_nest_as_deep_as_the_limit(empty: FastAPI) -> None:
    software = {"dbId": 1, "owner": "u", "name": "n", "files": nested_files(MAX_FILES_DEPTH)}
    data = {"users": [{"login": "u", "password": "p"}], "mySoftware": [software]}
    for content in (json.dumps(data), yaml.safe_dump(data)):
        document_ = parse_seed_text(content, source="t")
        assert document_.mySoftware[0].files is not None
    seed(empty, data)
    (row,) = rows(empty, "SELECT MAX(position) AS last FROM software_artifacts")
    assert row["last"] == MAX_FILES_DEPTH - 1


def test_files_nested_deeper_than_the_limit_are_refused(family: FastAPI) -> None:
    software = {
        "dbId": 1,
        "owner": "guest",
        "name": "n",
        "files": nested_files(MAX_FILES_DEPTH + 1),
    }
    message = refused(family, {"mySoftware": [software]})
    assert f"mySoftware[0] (dbId 1): field 'files': nested deeper than {MAX_FILES_DEPTH}" in message
    for content, kind in ((json.dumps({"mySoftware": [software]}), "json"),
                          (yaml.safe_dump({"mySoftware": [software]}), "yaml")):  # fmt: skip
        with pytest.raises(SeedError, match=f"files nested deeper than {MAX_FILES_DEPTH} levels"):
            parse_seed_text(content, source="t", kind=kind)


def test_the_levels_of_files_do_not_make_room_for_other_nesting() -> None:
    deep = "[" * 14 + "]" * 14
    content = f"mySoftware: [{{dbId: 1, owner: u, name: n, files: [{{name: f, x: {deep}}}]}}]"
    with pytest.raises(SeedError, match="nested deeper than 16 levels"):
        parse_seed_text(content, source="t")


@pytest.mark.parametrize(
    ("category", "expected"),
    [
        ("Nothing", "no PROJECT category 'Nothing' in the orgs of user guest ('UForge Demo')"),
        ("Linux Servers", "no PROJECT category 'Linux Servers'"),  # a TEMPLATE category
        ("", "field 'category'"),
    ],
)
def test_a_category_the_owner_has_not_refuses_the_whole_seed(
    family: FastAPI, category: str, expected: str
) -> None:
    changed = document()
    changed["mySoftware"][0]["category"] = category
    message = refused(family, changed)
    assert "mySoftware[0] (dbId 918): field 'category'" in message and expected in message


def test_a_category_of_an_owner_without_org_is_refused(family: FastAPI) -> None:
    entry = {"dbId": 5, "owner": "loner", "name": "n", "category": "Monitoring"}
    data = {"users": [{"login": "loner", "password": "p"}], "mySoftware": [entry]}
    assert "no category 'Monitoring': user loner belongs to no org" in refused(family, data)


def test_a_category_in_two_orgs_of_the_owner_is_refused(family: FastAPI) -> None:
    other = {"name": "Other", "members": ["guest"], "categories": [{"name": "Monitoring"}]}
    changed = document(orgs=[*FAMILY["orgs"], other])
    message = refused(family, changed)
    assert (
        "the PROJECT category 'Monitoring' is in more than one org of user guest "
        "('Other', 'UForge Demo')"
    ) in message


def test_a_category_resolves_in_the_membership_the_seed_makes(family: FastAPI) -> None:
    # guest leaves "UForge Demo" in the same seed: its category is no longer guest's.
    changed = document()
    changed["orgs"][0]["members"] = ["viewer"]
    assert "no category 'Monitoring': user guest belongs to no org" in refused(family, changed)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            with_ticket(outcome="cancelled"),
            "bundleImports[0] (dbId 5): field 'outcome': imports cannot be cancelled",
        ),
        (with_ticket(outcome="exploded"), "bundleImports[0] (dbId 5): field 'outcome'"),
        (
            with_ticket(outcome="error", mySoftware=920),
            "only a complete import made a mySoftware (this one is error)",
        ),
        (
            with_ticket(created=T0, uploaded=T0 - timedelta(seconds=1)),
            "uploaded before it was created",
        ),
        (with_ticket(owner="nobody"), "field 'owner': no user 'nobody' in the file or the store"),
        (
            with_ticket(mySoftware=4242),
            "field 'mySoftware': no mySoftware 4242 in the file or the store",
        ),
        (
            with_ticket(owner="viewer", mySoftware=920),
            "field 'mySoftware': mySoftware 920 is not viewer's",
        ),
        (with_ticket(percentage=101), "field 'percentage'"),
        (with_ticket(dbId=True), "field 'dbId': a dbId is a whole number"),
        (
            document(bundleImports=[{"dbId": 5, "owner": "guest"}] * 2),
            "bundleImports[1] (dbId 5): field 'dbId': the same dbId as bundleImports[0]",
        ),
    ],
)
def test_a_bad_bundle_import_refuses_the_whole_seed(
    family: FastAPI, data: dict[str, Any], expected: str
) -> None:
    assert expected in refused(family, data)


def test_a_stored_mysoftware_of_another_user_is_refused(family: FastAPI) -> None:
    ticket = {"dbId": 50, "owner": "viewer", "mySoftware": 918}
    message = refused(family, {"bundleImports": [ticket]})
    assert (
        "bundleImports[0] (dbId 50): field 'mySoftware': mySoftware 918 is not viewer's" in message
    )
    ticket = {"dbId": 50, "owner": "guest", "mySoftware": 918}
    assert seed(family, {"bundleImports": [ticket]}).created == {"bundleImports": ["50"]}


def test_an_error_late_in_the_document_changes_nothing_before_it(family: FastAPI) -> None:
    changed = document()
    changed["orgs"][0]["members"] = ["viewer"]
    changed["orgs"][0]["categories"].append({"name": "New"})
    changed["mySoftware"][0]["files"] = []
    changed["mySoftware"][0]["category"] = None
    changed["bundleImports"].append({"dbId": 99, "owner": "nobody"})
    refused(family, changed)


def test_the_example_of_the_seed_reference_loads(empty: FastAPI, tmp_path: Path) -> None:
    reference = (ROOT / "docs" / "SEED.md").read_text(encoding="utf-8")
    example = reference.split("```yaml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "example.yml"
    path.write_text(example, encoding="utf-8")
    report = empty.state.mock.load_seed_file(path)
    assert report.created == {
        "users": ["guest", "viewer", "admin"],
        "orgs": ["UForge Demo"],
        "mySoftware": ["918"],
        "exports": ["17"],
        "bundleImports": ["5"],
    }
    assert empty.state.mock.load_seed_file(path).created == {}
