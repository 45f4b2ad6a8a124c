"""A user's appliance templates through HTTP: list, get, delete, clone, and the user's images,
in the contract's order of checks, valid against the vendor schema, with ETag/304."""

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from tests.conftest import GUEST, T0, basic, seed
from tests.xmlcheck import assert_valid_uforge_xml, child_names
from uforge_mock.store import appliances
from uforge_mock.store.queries import users

JSON = {"Accept": "application/json"}
APPLIANCES = "/api/users/guest/appliances"
CLONE_XML = (
    b'<ns1:appliance xmlns:ns1="http://www.usharesoft.com/uforge">'
    b"<name>CentOS Core copy</name><version>1.1</version></ns1:appliance>"
)


def make_appliance(
    app: FastAPI,
    *,
    owner: str = "guest",
    bundles: Sequence[int] = (918,),
    db_id: int | None = None,
    **values: Any,
) -> int:
    """An appliance in the app's store, written as the store writes one (the seed format has
    no appliances yet); its id."""
    engine: Engine = app.state.mock.engine
    fields = {"name": "CentOS Core", "version": "1.0", "os_profile": "Minimal", **values}
    with engine.begin() as connection:
        owner_id = connection.execute(select(users.c.id).where(users.c.login == owner)).scalar()
        assert owner_id is not None
        return appliances.create_appliance(
            connection, owner_id=owner_id, values=fields, bundle_ids=bundles, now=T0, db_id=db_id
        )


# ---------------------------------------------------------------- list


def test_list_holds_the_users_appliances_valid_against_the_schema(
    client: TestClient, app: FastAPI
) -> None:
    first = make_appliance(app)
    second = make_appliance(app, name="Debian Web", distribution_name="Debian")
    make_appliance(app, owner="other", bundles=(919,))
    response = client.get(APPLIANCES, headers=GUEST)
    assert response.status_code == 200
    document = assert_valid_uforge_xml(response.content, "appliances")
    items = document.findall("appliances/appliance")
    assert [item.findtext("dbId") for item in items] == [str(first), str(second)]
    assert document.findtext("total") == "2"


def test_list_answers_what_hammr_template_list_prints(client: TestClient, app: FastAPI) -> None:
    make_appliance(app, description="base")
    listed = client.get(APPLIANCES, headers={**GUEST, **JSON}).json()["appliances"]
    appliance = listed["appliances"]["appliance"][0]
    # hammr prints dbId, name, version, distributionName + archName, created, lastModified,
    # nbUpdates, imported, shared, and matches images on `uri`.
    assert appliance["distributionName"] == "CentOS 7"
    assert appliance["archName"] == "x86_64"
    assert appliance["created"] == "2019-06-05T21:40:12.000Z"
    assert (appliance["nbUpdates"], appliance["imported"], appliance["shared"]) == (0, False, False)
    assert appliance["uri"] == f"users/guest/appliances/{appliance['dbId']}"
    assert appliance["mySoftwareUris"] == {"uri": ["users/guest/mysoftware/918"]}


def test_list_filters_on_the_query_criteria(client: TestClient, app: FastAPI) -> None:
    make_appliance(app, name="CentOS Core")
    wanted = make_appliance(app, name="Debian Web", version="2.0")
    response = client.get(
        APPLIANCES, params={"query": "name=='Deb*';version=='2.0'"}, headers={**GUEST, **JSON}
    )
    assert response.status_code == 200
    found = response.json()["appliances"]
    assert found["total"] == 1
    assert [a["dbId"] for a in found["appliances"]["appliance"]] == [wanted]


def test_list_refuses_a_query_on_an_unknown_field(client: TestClient) -> None:
    response = client.get(APPLIANCES, params={"query": "colour=='red'"}, headers=GUEST)
    assert response.status_code == 400
    assert "colour" in response.text


def test_empty_list_is_an_empty_appliances_document(client: TestClient) -> None:
    response = client.get(APPLIANCES, headers={**GUEST, **JSON})
    assert response.json() == {"appliances": {"total": 0, "appliances": {"appliance": []}}}


# ---------------------------------------------------------------- get


def test_get_answers_the_appliance_in_schema_order(client: TestClient, app: FastAPI) -> None:
    aid = make_appliance(app, description="A CentOS base")
    response = client.get(f"{APPLIANCES}/{aid}", headers=GUEST)
    assert response.status_code == 200
    document = assert_valid_uforge_xml(response.content, "appliance")
    assert child_names(document) == [
        "created",
        "dbId",
        "digest",
        "lastModified",
        "archName",
        "baseCloneUri",
        "description",
        "distributionName",
        "exportsUri",
        "imageUris",
        "imported",
        "mySoftwareUris",
        "name",
        "nbUpdates",
        "shared",
        "uri",
        "version",
    ]
    # hammr's `template delete` counts `imageUris.uri`: the element is there, empty.
    assert document.find("imageUris") is not None


def test_status_not_modified_when_the_appliance_etag_matches(
    client: TestClient, app: FastAPI
) -> None:
    aid = make_appliance(app)
    first = client.get(f"{APPLIANCES}/{aid}", headers=GUEST)
    again = client.get(
        f"{APPLIANCES}/{aid}", headers={**GUEST, "If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304
    assert again.content == b""


def test_get_without_credentials_is_401(client: TestClient, app: FastAPI) -> None:
    aid = make_appliance(app)
    response = client.get(f"{APPLIANCES}/{aid}")
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Basic")


def test_get_of_another_users_path_is_403(client: TestClient, app: FastAPI) -> None:
    aid = make_appliance(app, owner="other", bundles=(919,))
    response = client.get(f"/api/users/other/appliances/{aid}", headers=GUEST)
    assert response.status_code == 403


def test_get_without_the_entitlement_is_403_naming_it(client: TestClient, app: FastAPI) -> None:
    aid = make_appliance(app, owner="other", bundles=(919,))
    response = client.get(f"/api/users/other/appliances/{aid}", headers=basic("other", "other-pw"))
    assert response.status_code == 403
    assert "appliance_create" in response.text


def test_get_of_an_unknown_or_foreign_appliance_is_404(client: TestClient, app: FastAPI) -> None:
    foreign = make_appliance(app, owner="other", bundles=(919,))
    for aid in ("999", str(foreign), "abc", "0"):
        response = client.get(f"{APPLIANCES}/{aid}", headers=GUEST)
        assert response.status_code == 404, aid
        assert "mock.error.notfound.appliance" in response.text


def test_get_with_an_unacceptable_accept_is_406(client: TestClient, app: FastAPI) -> None:
    aid = make_appliance(app)
    response = client.get(f"{APPLIANCES}/{aid}", headers={**GUEST, "Accept": "text/html"})
    assert response.status_code == 406


def test_an_admin_reads_another_users_appliance(client: TestClient, app: FastAPI) -> None:
    aid = make_appliance(app)
    response = client.get(f"{APPLIANCES}/{aid}", headers=basic("root", "root-pw"))
    assert response.status_code == 200


# ---------------------------------------------------------------- delete


def test_delete_removes_the_appliance_and_never_reuses_its_id(
    client: TestClient, app: FastAPI
) -> None:
    aid = make_appliance(app)
    assert client.delete(f"{APPLIANCES}/{aid}", headers=GUEST).status_code == 204
    assert client.get(f"{APPLIANCES}/{aid}", headers=GUEST).status_code == 404
    assert client.delete(f"{APPLIANCES}/{aid}", headers=GUEST).status_code == 404
    assert make_appliance(app) > aid
    # Its mySoftware stays.
    assert client.get("/api/users/guest/mysoftware/918", headers=GUEST).status_code == 200


def test_deleting_a_mysoftware_takes_it_out_of_its_appliances(
    client: TestClient, app: FastAPI
) -> None:
    aid = make_appliance(app, bundles=(918, 920))
    assert client.delete("/api/users/guest/mysoftware/918", headers=GUEST).status_code == 204
    appliance = client.get(f"{APPLIANCES}/{aid}", headers={**GUEST, **JSON}).json()["appliance"]
    assert appliance["mySoftwareUris"] == {"uri": ["users/guest/mysoftware/920"]}


# ---------------------------------------------------------------- clone


def test_clone_makes_a_copy_with_the_bodys_name_and_version(
    client: TestClient, app: FastAPI
) -> None:
    aid = make_appliance(app, bundles=(918, 920), description="base")
    response = client.post(
        f"{APPLIANCES}/{aid}/clones",
        content=CLONE_XML,
        headers={**GUEST, "Content-Type": "application/xml"},
    )
    assert response.status_code == 201
    document = assert_valid_uforge_xml(response.content, "appliance")
    clone_id = int(document.findtext("dbId") or 0)
    assert clone_id != aid
    assert response.headers["location"] == f"http://testserver{APPLIANCES}/{clone_id}"
    assert (document.findtext("name"), document.findtext("version")) == ("CentOS Core copy", "1.1")
    assert document.findtext("description") == "base"
    assert [uri.text for uri in document.findall("mySoftwareUris/uri")] == [
        "users/guest/mysoftware/918",
        "users/guest/mysoftware/920",
    ]
    # The original is unchanged.
    original = client.get(f"{APPLIANCES}/{aid}", headers={**GUEST, **JSON}).json()["appliance"]
    assert original["name"] == "CentOS Core"


def test_clone_takes_a_json_body(client: TestClient, app: FastAPI) -> None:
    aid = make_appliance(app)
    response = client.post(
        f"{APPLIANCES}/{aid}/clones",
        json={"appliance": {"name": "Copy", "version": "9"}},
        headers={**GUEST, **JSON},
    )
    assert response.status_code == 201
    assert response.json()["appliance"]["name"] == "Copy"


def test_clone_with_an_empty_name_is_400_and_makes_nothing(
    client: TestClient, app: FastAPI
) -> None:
    aid = make_appliance(app)
    response = client.post(
        f"{APPLIANCES}/{aid}/clones",
        json={"appliance": {"name": ""}},
        headers={**GUEST, **JSON},
    )
    assert response.status_code == 400
    assert client.get(APPLIANCES, headers={**GUEST, **JSON}).json()["appliances"]["total"] == 1


def test_clone_with_a_body_that_is_not_a_document_is_400(client: TestClient, app: FastAPI) -> None:
    aid = make_appliance(app)
    response = client.post(
        f"{APPLIANCES}/{aid}/clones",
        content=b"<appliance><name>x</name",
        headers={**GUEST, "Content-Type": "application/xml"},
    )
    assert response.status_code == 400
    assert "uforgeError" in response.text


def test_clone_of_an_unknown_appliance_is_404(client: TestClient) -> None:
    response = client.post(
        f"{APPLIANCES}/77/clones",
        content=CLONE_XML,
        headers={**GUEST, "Content-Type": "application/xml"},
    )
    assert response.status_code == 404


# ---------------------------------------------------------------- images


def test_images_need_the_image_generate_entitlement(client: TestClient) -> None:
    response = client.get("/api/users/guest/images", headers=GUEST)
    assert response.status_code == 403
    assert "image_generate" in response.text


def test_images_are_an_empty_list_valid_against_the_schema(
    client: TestClient, app: FastAPI
) -> None:
    seed(
        app,
        {
            "users": [
                {"login": "builder", "password": "builder-pw", "entitlements": ["image_generate"]}
            ]
        },
    )
    response = client.get("/api/users/builder/images", headers=basic("builder", "builder-pw"))
    assert response.status_code == 200
    document = assert_valid_uforge_xml(response.content, "images")
    assert document.findtext("total") == "0"
    assert document.findall("images/image") == []
