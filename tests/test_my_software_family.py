"""The mySoftware family through HTTP: a user's software library (list, create, get, update,
delete, clone), the user, their orgs and an org's categories. Every document validates against
the schema, its JSON says what its XML says, the GETs answer 304 to a current ETag, and the
checks come in the contract's order."""

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx2 import Response
from lxml import etree
from sqlalchemy import select

from tests.conftest import GUEST, STATUS_17, T0, basic, seed
from tests.servers import server_process
from tests.xmlcheck import NAMESPACE, assert_valid_uforge_xml
from uforge_mock.jobs.clock import FrozenClock
from uforge_mock.store.queries import software_artifacts as artifacts

JSON = {"Accept": "application/json"}
XML_BODY = {"Content-Type": "application/xml"}
VIEWER = basic("viewer", "viewer-pw")
OTHER = basic("other", "other-pw")
ROOT = basic("root", "root-pw")

LIBRARY = "/api/users/guest/mysoftware"
ZABBIX = f"{LIBRARY}/918"


# ---------------------------------------------------------------- helpers


def sdk_body(**fields: str) -> bytes:
    """A mySoftware as the official SDK writes it: a prefixed root, unqualified children."""
    element = etree.Element(f"{{{NAMESPACE}}}mySoftware", nsmap={"ns1": NAMESPACE})
    for name, value in fields.items():
        etree.SubElement(element, name).text = value
    body: bytes = etree.tostring(element)
    return body


def error_of(response: Response) -> dict[str, Any]:
    error: dict[str, Any] = orjson.loads(response.content)["uforgeError"]
    return error


def message_id(response: Response) -> str:
    if response.headers["content-type"] == "application/json":
        return str(error_of(response)["localizedErrorMsg"]["messageId"])
    document = assert_valid_uforge_xml(response.content, "uforgeError")
    return str(document.findtext("localizedErrorMsg/messageId"))


def assert_mirrors(element: etree._Element, value: Any) -> None:
    """The JSON `value` says what the XML `element` says: the same fields in the same order
    (an empty list is an element without children), the same texts."""
    if isinstance(value, dict):
        distinct = list(dict.fromkeys(child.tag for child in element))
        assert distinct == [key for key, item in value.items() if item != []]
        for key, item in value.items():
            children = element.findall(key)
            if isinstance(item, list):
                assert len(children) == len(item), key
                for child, entry in zip(children, item, strict=True):
                    assert_mirrors(child, entry)
            else:
                (child,) = children
                assert_mirrors(child, item)
        return
    expected = ("true" if value else "false") if isinstance(value, bool) else str(value)
    assert (element.text or "") == expected, element.tag


def assert_json_mirrors_xml(client: TestClient, path: str, root: str, headers: Any) -> None:
    xml = client.get(path, headers=headers)
    as_json = client.get(path, headers={**headers, **JSON})
    assert xml.status_code == as_json.status_code == 200
    assert as_json.headers["content-type"] == "application/json"
    assert list(as_json.json()) == [root]
    assert_mirrors(assert_valid_uforge_xml(xml.content, root), as_json.json()[root])


def listing(client: TestClient, headers: Any = GUEST, **params: Any) -> dict[str, Any]:
    response = client.get(LIBRARY, params=params, headers={**headers, **JSON})
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()["mySoftwareList"]
    return page


def ids_of(page: dict[str, Any]) -> list[int]:
    return [item["dbId"] for item in page["mySoftwareList"]["mySoftware"]]


def software(client: TestClient, path: str = ZABBIX, headers: Any = GUEST) -> dict[str, Any]:
    response = client.get(path, headers={**headers, **JSON})
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()["mySoftware"]
    return found


@dataclass(frozen=True)
class OrgRows:
    db_id: int
    categories: dict[str, int]


def add_org(
    app: FastAPI,
    name: str,
    db_id: int,
    *,
    members: Sequence[str],
    categories_: Sequence[tuple[str, str]] = (),
) -> OrgRows:
    """An org seeded with `members` (its the default org of those who had none) and categories
    (name, type), numbered `db_id`1, `db_id`2..."""
    made = {category: db_id * 10 + n for n, (category, _) in enumerate(categories_, 1)}
    entry = {
        "name": name,
        "dbId": db_id,
        "members": list(members),
        "categories": [{"name": c, "type": t, "dbId": made[c]} for c, t in categories_],
    }
    seed(app, {"orgs": [entry]})
    return OrgRows(db_id=db_id, categories=made)


@pytest.fixture
def acme(app: FastAPI, client: TestClient) -> OrgRows:
    """guest's default org, with two PROJECT categories and a TEMPLATE one."""
    return add_org(
        app,
        "Acme",
        1,
        members=["guest"],
        categories_=[("Monitoring", "PROJECT"), ("Linux", "TEMPLATE"), ("Web", "PROJECT")],
    )


def seed_zabbix(app: FastAPI, **fields: Any) -> None:
    """guest's 918 seeded again, with `fields` besides its name and version."""
    entry = {"dbId": 918, "owner": "guest", "name": "Zabbix", "version": "3.0.1", **fields}
    seed(app, {"mySoftware": [entry]})


# ---------------------------------------------------------------- list


def test_list_holds_the_users_software_and_their_total(client: TestClient) -> None:
    response = client.get(LIBRARY, headers=GUEST)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/xml"
    document = assert_valid_uforge_xml(response.content, "mySoftwareList")
    assert document.findtext("total") == "2"
    items = document.findall("mySoftwareList/mySoftware")
    assert [item.findtext("dbId") for item in items] == ["918", "920"]
    assert items[0].findtext("uri") == "users/guest/mysoftware/918"


def test_list_json_mirrors_the_xml(client: TestClient) -> None:
    assert_json_mirrors_xml(client, LIBRARY, "mySoftwareList", GUEST)


def test_list_shows_no_other_users_software(client: TestClient) -> None:
    assert 919 not in ids_of(listing(client))


def test_empty_list_has_a_total_of_zero_and_validates(client: TestClient) -> None:
    response = client.get("/api/users/viewer/mysoftware", headers=VIEWER)
    document = assert_valid_uforge_xml(response.content, "mySoftwareList")
    assert document.findtext("total") == "0"
    assert document.findall("mySoftwareList/mySoftware") == []
    assert response.headers["etag"]


def test_list_pages_with_count_and_offset(client: TestClient) -> None:
    page = listing(client, count=1, offset=1)
    assert page["total"] == 2
    assert ids_of(page) == [920]


def test_list_offset_past_the_end_is_an_empty_page_with_the_total(client: TestClient) -> None:
    page = listing(client, offset=5)
    assert page["total"] == 2
    assert ids_of(page) == []


def test_list_query_matches_a_wildcard(client: TestClient) -> None:
    page = listing(client, query="name=='Zab*'")
    assert (page["total"], ids_of(page)) == (1, [918])


def test_list_query_excludes_with_not_equal(client: TestClient) -> None:
    page = listing(client, query="name!='Zabbix'")
    assert (page["total"], ids_of(page)) == (1, [920])


def test_list_query_conditions_joined_by_semicolon_all_hold(client: TestClient) -> None:
    assert ids_of(listing(client, query="name=='*';version=='3.0.1'")) == [918]
    assert ids_of(listing(client, query="name=='Zab*';version=='9'")) == []


def test_list_total_counts_the_matches_not_the_page(client: TestClient) -> None:
    page = listing(client, query="name!='nothing'", count=1)
    assert (page["total"], ids_of(page)) == (2, [918])


def test_list_orders_by_a_field_descending(client: TestClient) -> None:
    assert ids_of(listing(client, orderBy="name")) == [920, 918]
    assert ids_of(listing(client, orderBy="name", descending="true")) == [918, 920]
    assert ids_of(listing(client, descending="true")) == [920, 918]


def test_list_answers_under_ufws_too(client: TestClient) -> None:
    ufws = client.get(LIBRARY.replace("/api/", "/ufws/"), headers=GUEST)
    assert ufws.status_code == 200
    assert ufws.content == client.get(LIBRARY, headers=GUEST).content


def test_list_not_modified_when_etag_matches(client: TestClient) -> None:
    first = client.get(LIBRARY, headers=GUEST)
    again = client.get(LIBRARY, headers={**GUEST, "If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == first.headers["etag"]


def test_empty_list_not_modified_when_etag_matches(client: TestClient) -> None:
    path = "/api/users/viewer/mysoftware"
    etag = client.get(path, headers=VIEWER).headers["etag"]
    assert client.get(path, headers={**VIEWER, "If-None-Match": etag}).status_code == 304


def test_list_etag_changes_when_an_item_changes(client: TestClient) -> None:
    etag = client.get(LIBRARY, headers=GUEST).headers["etag"]
    changed = client.put(ZABBIX, headers={**GUEST, **XML_BODY}, content=sdk_body(version="4"))
    assert changed.status_code == 200
    again = client.get(LIBRARY, headers={**GUEST, "If-None-Match": etag})
    assert again.status_code == 200 and again.headers["etag"] != etag


def test_list_etag_changes_when_an_item_is_deleted(client: TestClient) -> None:
    etag = client.get(LIBRARY, headers=GUEST).headers["etag"]
    assert client.delete(f"{LIBRARY}/920", headers=GUEST).status_code == 204
    again = client.get(LIBRARY, headers={**GUEST, "If-None-Match": etag})
    assert again.status_code == 200 and again.headers["etag"] != etag


def test_list_modified_since_its_newest_item_after_a_delete(
    client: TestClient, clock: FrozenClock
) -> None:
    """Deleting the newest item must not take the list's Last-Modified back in time (an
    If-Modified-Since would then answer a wrong 304)."""
    clock.advance(60)
    client.put(ZABBIX, headers={**GUEST, **XML_BODY}, content=sdk_body(version="4"))
    seen = client.get(LIBRARY, headers=GUEST).headers["last-modified"]
    clock.advance(60)
    assert client.delete(ZABBIX, headers=GUEST).status_code == 204
    again = client.get(LIBRARY, headers={**GUEST, "If-Modified-Since": seen})
    assert again.status_code == 200


def test_viewer_may_list_with_appliance_create_only(client: TestClient) -> None:
    assert client.get("/api/users/viewer/mysoftware", headers=VIEWER).status_code == 200


def test_admin_lists_another_users_software(client: TestClient) -> None:
    assert ids_of(listing(client, ROOT)) == [918, 920]


def test_admin_listing_an_unknown_user_is_404(client: TestClient) -> None:
    response = client.get("/api/users/nobody/mysoftware", headers=ROOT)
    assert response.status_code == 404
    assert message_id(response) == "mock.error.notfound.user"


# ---------------------------------------------------------------- get


def test_get_validates_and_its_json_mirrors_the_xml(client: TestClient) -> None:
    assert_json_mirrors_xml(client, ZABBIX, "mySoftware", GUEST)


def test_get_not_modified_when_etag_matches(client: TestClient) -> None:
    etag = client.get(ZABBIX, headers=GUEST).headers["etag"]
    assert client.get(ZABBIX, headers={**GUEST, "If-None-Match": etag}).status_code == 304


def test_head_has_the_headers_of_get_and_no_body(client: TestClient) -> None:
    for path in (LIBRARY, ZABBIX, "/api/users/guest", "/api/users/guest/orgs"):
        get = client.get(path, headers=GUEST)
        head = client.head(path, headers=GUEST)
        assert head.status_code == 200 and head.content == b""
        for name in ("etag", "content-type", "content-length", "vary"):
            assert head.headers[name] == get.headers[name], (path, name)


# ---------------------------------------------------------------- create


def test_a_deleted_software_id_is_never_handed_out_again(client: TestClient) -> None:
    made = client.post(LIBRARY, headers={**GUEST, **JSON}, json={"name": "First"})
    first = made.json()["mySoftware"]["dbId"]
    assert client.delete(f"{LIBRARY}/{first}", headers=GUEST).status_code == 204
    again = client.post(LIBRARY, headers={**GUEST, **JSON}, json={"name": "Second"})
    second = again.json()["mySoftware"]["dbId"]
    assert second > first


def test_create_from_the_sdks_xml_answers_201_with_its_location(client: TestClient) -> None:
    response = client.post(
        LIBRARY, headers={**GUEST, **XML_BODY}, content=sdk_body(name="Nagios", version="4.4")
    )
    assert response.status_code == 201
    document = assert_valid_uforge_xml(response.content, "mySoftware")
    db_id = document.findtext("dbId")
    assert int(str(db_id)) > 920
    assert (document.findtext("name"), document.findtext("version")) == ("Nagios", "4.4")
    assert document.findtext("revision") == "1"
    assert document.findtext("imported") == "false"
    assert response.headers["location"] == f"http://testserver{LIBRARY}/{db_id}"
    assert "etag" not in response.headers


def test_created_software_is_read_back_and_listed(client: TestClient) -> None:
    response = client.post(LIBRARY, headers={**GUEST, **XML_BODY}, content=sdk_body(name="N"))
    path = response.headers["location"].removeprefix("http://testserver")
    assert software(client, path)["name"] == "N"
    assert listing(client)["total"] == 3


@pytest.mark.parametrize(
    "body",
    [
        {"mySoftware": {"name": "Nagios", "version": "4.4"}},
        {"name": "Nagios", "version": "4.4"},
    ],
    ids=["wrapped", "bare"],
)
def test_create_from_json(client: TestClient, body: dict[str, Any]) -> None:
    response = client.post(LIBRARY, headers={**GUEST, **JSON}, json=body)
    assert response.status_code == 201
    created = response.json()["mySoftware"]
    assert (created["name"], created["version"]) == ("Nagios", "4.4")


def test_create_under_ufws_locates_it_under_ufws(client: TestClient) -> None:
    path = LIBRARY.replace("/api/", "/ufws/")
    response = client.post(path, headers={**GUEST, **XML_BODY}, content=sdk_body(name="N"))
    assert response.status_code == 201
    assert response.headers["location"].startswith(f"http://testserver{path}/")


def test_create_sets_a_project_category_named_by_the_body(
    client: TestClient, acme: OrgRows
) -> None:
    body = {"name": "N", "category": {"name": "Web"}}
    response = client.post(LIBRARY, headers={**GUEST, **JSON}, json=body)
    assert response.status_code == 201
    category = response.json()["mySoftware"]["category"]
    assert (category["name"], category["type"], category["dbId"]) == (
        "Web",
        "PROJECT",
        acme.categories["Web"],
    )
    assert category["orgUri"] == f"orgs/{acme.db_id}"


def test_create_names_a_category_by_its_id_in_xml(client: TestClient, acme: OrgRows) -> None:
    body = (
        b'<ns1:mySoftware xmlns:ns1="http://www.usharesoft.com/uforge"><name>N</name>'
        b"<category><dbId>%d</dbId></category></ns1:mySoftware>" % acme.categories["Monitoring"]
    )
    response = client.post(LIBRARY, headers={**GUEST, **XML_BODY}, content=body)
    assert response.status_code == 201
    document = assert_valid_uforge_xml(response.content, "mySoftware")
    assert document.findtext("category/name") == "Monitoring"


@pytest.mark.parametrize("category", ["Linux", "Secret", "Nowhere"])
def test_create_with_a_category_that_is_no_project_category_of_the_users_orgs_is_400(
    app: FastAPI, client: TestClient, acme: OrgRows, category: str
) -> None:
    add_org(app, "Elsewhere", 2, members=["other"], categories_=[("Secret", "PROJECT")])
    body = {"name": "N", "category": {"name": category}}
    response = client.post(LIBRARY, headers={**GUEST, **JSON}, json=body)
    assert response.status_code == 400
    assert category in error_of(response)["localizedErrorMsg"]["message"]
    assert listing(client)["total"] == 2


def test_create_needs_a_name(client: TestClient) -> None:
    response = client.post(LIBRARY, headers={**GUEST, **JSON}, json={"version": "1"})
    assert response.status_code == 400
    assert error_of(response)["localizedErrorMsg"]["parameters"]["parameter"] == ["name"]


def test_admin_creates_in_another_users_library(client: TestClient) -> None:
    response = client.post(LIBRARY, headers={**ROOT, **JSON}, json={"name": "For guest"})
    assert response.status_code == 201
    assert response.json()["mySoftware"]["uri"].startswith("users/guest/mysoftware/")
    assert listing(client)["total"] == 3


def test_admin_creating_for_an_unknown_user_is_404(client: TestClient) -> None:
    response = client.post(
        "/api/users/nobody/mysoftware", headers={**ROOT, **JSON}, json={"name": "N"}
    )
    assert response.status_code == 404


def test_created_ids_are_never_ones_in_use(client: TestClient) -> None:
    made = [
        client.post(LIBRARY, headers={**GUEST, **JSON}, json={"name": f"n{n}"}).json()[
            "mySoftware"
        ]["dbId"]
        for n in range(3)
    ]
    assert len(set(made)) == 3 and not set(made) & {918, 919, 920}


# ---------------------------------------------------------------- update


def test_update_changes_only_the_fields_sent(client: TestClient, clock: FrozenClock) -> None:
    before = software(client)
    clock.advance(90)
    response = client.put(
        ZABBIX, headers={**GUEST, **XML_BODY}, content=sdk_body(description="New words")
    )
    assert response.status_code == 200
    after = assert_valid_uforge_xml(response.content, "mySoftware")
    assert after.findtext("description") == "New words"
    assert (after.findtext("name"), after.findtext("version")) == ("Zabbix", "3.0.1")
    assert after.findtext("revision") == str(before["revision"] + 1)
    assert after.findtext("lastModified") == "2019-06-05T21:41:42.000Z"
    assert after.findtext("created") == before["created"]
    assert software(client)["description"] == "New words"


def test_update_gives_a_new_etag_and_last_modified(client: TestClient, clock: FrozenClock) -> None:
    first = client.get(ZABBIX, headers=GUEST)
    clock.advance(90)
    client.put(ZABBIX, headers={**GUEST, **JSON}, json={"mySoftware": {"version": "3.2"}})
    again = client.get(ZABBIX, headers={**GUEST, "If-None-Match": first.headers["etag"]})
    assert again.status_code == 200
    assert again.headers["etag"] != first.headers["etag"]
    assert again.headers["last-modified"] == "Wed, 05 Jun 2019 21:41:42 GMT"


def test_update_answers_the_document_a_get_then_gives(client: TestClient) -> None:
    response = client.put(ZABBIX, headers={**GUEST, **JSON}, json={"version": "3.2"})
    assert response.status_code == 200
    assert response.json()["mySoftware"] == software(client)


def test_update_leaves_what_the_platform_keeps(client: TestClient) -> None:
    body = {"revision": 77, "size": 5, "dbId": 1, "uri": "users/x", "name": "Renamed"}
    updated = client.put(ZABBIX, headers={**GUEST, **JSON}, json=body).json()["mySoftware"]
    assert (updated["name"], updated["revision"], updated["size"], updated["dbId"]) == (
        "Renamed",
        2,
        0,
        918,
    )
    assert updated["uri"] == "users/guest/mysoftware/918"


def test_update_sets_the_category(client: TestClient, acme: OrgRows) -> None:
    body = {"category": {"name": "Monitoring"}}
    response = client.put(ZABBIX, headers={**GUEST, **JSON}, json=body)
    assert response.json()["mySoftware"]["category"]["name"] == "Monitoring"
    again = client.put(ZABBIX, headers={**GUEST, **JSON}, json={"version": "5"})
    assert again.json()["mySoftware"]["category"]["name"] == "Monitoring"


def test_update_with_an_empty_name_is_400_and_changes_nothing(client: TestClient) -> None:
    before = software(client)
    response = client.put(ZABBIX, headers={**GUEST, **XML_BODY}, content=sdk_body(name=""))
    assert response.status_code == 400
    assert software(client) == before


def test_admin_updates_another_users_software(client: TestClient) -> None:
    response = client.put(ZABBIX, headers={**ROOT, **JSON}, json={"version": "9"})
    assert response.status_code == 200
    assert software(client)["version"] == "9"


# ---------------------------------------------------------------- delete


def test_delete_answers_204_then_the_software_is_gone(client: TestClient) -> None:
    response = client.delete(ZABBIX, headers=GUEST)
    assert response.status_code == 204 and response.content == b""
    gone = client.get(ZABBIX, headers=GUEST)
    assert gone.status_code == 404
    assert message_id(gone) == "mock.error.notfound.mysoftware"
    assert ids_of(listing(client)) == [920]


def test_delete_takes_the_exports_with_it(client: TestClient) -> None:
    assert client.get(STATUS_17, headers=GUEST).status_code == 200
    assert client.delete(ZABBIX, headers=GUEST).status_code == 204
    for eid in (17, 18, 19, 20):
        status = client.get(f"{ZABBIX}/exports/{eid}/status", headers=GUEST)
        assert status.status_code == 404


def test_delete_takes_the_files_with_it(app: FastAPI, client: TestClient) -> None:
    seed_zabbix(app, files=[{"name": "agent.conf", "content": "Server=x"}])
    assert client.delete(ZABBIX, headers=GUEST).status_code == 204
    with app.state.mock.engine.connect() as connection:
        left = connection.execute(select(artifacts.c.db_id)).all()
    assert left == []


def test_delete_twice_is_404_the_second_time(client: TestClient) -> None:
    assert client.delete(ZABBIX, headers=GUEST).status_code == 204
    assert client.delete(ZABBIX, headers=GUEST).status_code == 404


def test_admin_deletes_another_users_software(client: TestClient) -> None:
    assert client.delete(ZABBIX, headers=ROOT).status_code == 204
    assert client.get(ZABBIX, headers=GUEST).status_code == 404


# ---------------------------------------------------------------- clone


def test_clone_answers_201_with_a_new_id_and_the_bodys_name_and_version(
    client: TestClient,
) -> None:
    response = client.post(
        f"{ZABBIX}/clone",
        headers={**GUEST, **XML_BODY},
        content=sdk_body(name="Zabbix copy", version="3.0.2"),
    )
    assert response.status_code == 201
    document = assert_valid_uforge_xml(response.content, "mySoftware")
    db_id = document.findtext("dbId")
    assert db_id not in ("918", "919", "920")
    assert (document.findtext("name"), document.findtext("version")) == ("Zabbix copy", "3.0.2")
    assert document.findtext("revision") == "1"
    assert response.headers["location"] == f"http://testserver{LIBRARY}/{db_id}"


def test_clone_copies_category_files_and_fields_and_is_not_imported(
    app: FastAPI, client: TestClient, acme: OrgRows
) -> None:
    files = [{"name": "agent.conf", "content": "Server=x"}, {"name": "run.sh", "content": "x"}]
    seed_zabbix(app, description="d", imported=True, category="Web", files=files)
    response = client.post(f"{ZABBIX}/clone", headers={**GUEST, **JSON}, json={"name": "Copy"})
    clone = response.json()["mySoftware"]
    assert (clone["name"], clone["version"], clone["description"]) == ("Copy", "3.0.1", "d")
    assert clone["category"]["name"] == "Web"
    assert clone["imported"] is False
    original = software(client)
    assert original["imported"] is True
    uris = clone["softwareArtifactUris"]["uri"]
    assert len(uris) == 2
    assert not set(uris) & set(original["softwareArtifactUris"]["uri"])
    assert all(uri.startswith(clone["uri"] + "/artifacts/") for uri in uris)


def test_clone_leaves_the_original_unchanged(client: TestClient) -> None:
    before = software(client)
    client.post(f"{ZABBIX}/clone", headers={**GUEST, **JSON}, json={"name": "Copy"})
    assert software(client) == before
    assert listing(client)["total"] == 3


def test_clone_of_unknown_software_is_404(client: TestClient) -> None:
    response = client.post(f"{LIBRARY}/777/clone", headers={**GUEST, **JSON}, json={"name": "C"})
    assert response.status_code == 404


def test_admin_clones_another_users_software_into_their_library(client: TestClient) -> None:
    response = client.post(f"{ZABBIX}/clone", headers={**ROOT, **JSON}, json={"name": "C"})
    assert response.status_code == 201
    assert response.json()["mySoftware"]["uri"].startswith("users/guest/mysoftware/")


# ---------------------------------------------------------------- the user


def test_user_names_their_login_and_creation(client: TestClient) -> None:
    response = client.get("/api/users/guest", headers=GUEST)
    assert response.status_code == 200
    document = assert_valid_uforge_xml(response.content, "user")
    assert document.findtext("loginName") == "guest"
    assert document.findtext("created") == "2019-06-05T21:40:12.000Z"
    assert document.findtext("admin") == "false"
    assert document.findtext("baseMySoftwareLibraryUri") == "users/guest/mysoftware"
    names = [e.text for e in document.findall("roles/role/entitlements/entitlement/name")]
    assert names == ["api_key_access", "appliance_create", "software_upload"]


def test_user_json_mirrors_the_xml(client: TestClient, acme: OrgRows) -> None:
    assert_json_mirrors_xml(client, "/api/users/guest", "user", GUEST)


def test_user_shows_no_password_anywhere(client: TestClient) -> None:
    for accept in ("application/xml", "application/json"):
        body = client.get("/api/users/guest", headers={**GUEST, "Accept": accept}).content
        for secret in (b"password", b"guest-pw", b"argon2", b"SEC-guest"):
            assert secret not in body.lower()


def test_user_lists_their_orgs(client: TestClient, acme: OrgRows) -> None:
    user = client.get("/api/users/guest", headers={**GUEST, **JSON}).json()["user"]
    assert user["orgUris"]["uri"] == [f"orgs/{acme.db_id}"]


def test_user_not_modified_when_etag_matches(client: TestClient) -> None:
    etag = client.get("/api/users/guest", headers=GUEST).headers["etag"]
    again = client.get("/api/users/guest", headers={**GUEST, "If-None-Match": etag})
    assert again.status_code == 304


def test_user_etag_changes_when_they_join_an_org(app: FastAPI, client: TestClient) -> None:
    etag = client.get("/api/users/guest", headers=GUEST).headers["etag"]
    add_org(app, "Acme", 1, members=["guest"])
    again = client.get("/api/users/guest", headers={**GUEST, "If-None-Match": etag})
    assert again.status_code == 200 and again.headers["etag"] != etag


def test_user_needs_no_entitlement(client: TestClient) -> None:
    assert client.get("/api/users/other", headers=OTHER).status_code == 200


def test_admin_reads_another_user(client: TestClient) -> None:
    response = client.get("/api/users/guest", headers={**ROOT, **JSON})
    assert response.json()["user"]["loginName"] == "guest"


def test_admin_reading_an_unknown_user_is_404(client: TestClient) -> None:
    response = client.get("/api/users/nobody", headers=ROOT)
    assert response.status_code == 404
    assert message_id(response) == "mock.error.notfound.user"


# ---------------------------------------------------------------- the user's orgs


def test_orgs_of_the_user_default_first(app: FastAPI, client: TestClient, acme: OrgRows) -> None:
    second = add_org(app, "Beta", 2, members=["guest"])
    response = client.get("/api/users/guest/orgs", headers=GUEST)
    document = assert_valid_uforge_xml(response.content, "orgs")
    assert document.findtext("total") == "2"
    listed = document.findall("orgs/org")
    assert [org.findtext("dbId") for org in listed] == [str(acme.db_id), str(second.db_id)]
    assert [org.findtext("defaultOrg") for org in listed] == ["true", "false"]
    assert listed[0].findtext("categoriesUri") == f"orgs/{acme.db_id}/categories"


def test_orgs_json_mirrors_the_xml(client: TestClient, acme: OrgRows) -> None:
    assert_json_mirrors_xml(client, "/api/users/guest/orgs", "orgs", GUEST)


def test_a_user_of_no_org_has_an_empty_list_with_an_etag(client: TestClient) -> None:
    response = client.get("/api/users/viewer/orgs", headers=VIEWER)
    document = assert_valid_uforge_xml(response.content, "orgs")
    assert document.findtext("total") == "0"
    again = client.get(
        "/api/users/viewer/orgs", headers={**VIEWER, "If-None-Match": response.headers["etag"]}
    )
    assert again.status_code == 304


def test_orgs_etag_changes_when_the_user_joins_one(
    app: FastAPI, client: TestClient, acme: OrgRows
) -> None:
    etag = client.get("/api/users/guest/orgs", headers=GUEST).headers["etag"]
    assert (
        client.get("/api/users/guest/orgs", headers={**GUEST, "If-None-Match": etag}).status_code
        == 304
    )
    add_org(app, "Beta", 2, members=["guest"])
    again = client.get("/api/users/guest/orgs", headers={**GUEST, "If-None-Match": etag})
    assert again.status_code == 200


def test_admin_reads_another_users_orgs(client: TestClient, acme: OrgRows) -> None:
    response = client.get("/api/users/guest/orgs", headers={**ROOT, **JSON})
    assert response.json()["orgs"]["total"] == 1


# ---------------------------------------------------------------- an org's categories


def test_categories_need_no_credentials(client: TestClient, acme: OrgRows) -> None:
    response = client.get(f"/api/orgs/{acme.db_id}/categories")
    assert response.status_code == 200
    document = assert_valid_uforge_xml(response.content, "categories")
    assert document.findtext("total") == "3"
    names = [c.findtext("name") for c in document.findall("categories/category")]
    assert names == ["Monitoring", "Linux", "Web"]


def test_categories_query_filters_on_type(client: TestClient, acme: OrgRows) -> None:
    response = client.get(
        f"/api/orgs/{acme.db_id}/categories", params={"query": "type=='PROJECT'"}, headers=JSON
    )
    found = response.json()["categories"]
    assert found["total"] == 2
    assert [c["name"] for c in found["categories"]["category"]] == ["Monitoring", "Web"]
    assert {c["type"] for c in found["categories"]["category"]} == {"PROJECT"}


def test_categories_json_mirrors_the_xml(client: TestClient, acme: OrgRows) -> None:
    assert_json_mirrors_xml(client, f"/api/orgs/{acme.db_id}/categories", "categories", {})


def test_categories_not_modified_when_etag_matches(client: TestClient, acme: OrgRows) -> None:
    path = f"/api/orgs/{acme.db_id}/categories"
    etag = client.get(path).headers["etag"]
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    filtered = client.get(path, params={"query": "type=='PROJECT'"}).headers["etag"]
    assert filtered != etag


def test_an_org_without_categories_has_an_empty_list_with_an_etag(
    app: FastAPI, client: TestClient
) -> None:
    org = add_org(app, "Bare", 3, members=[])
    response = client.get(f"/api/orgs/{org.db_id}/categories")
    document = assert_valid_uforge_xml(response.content, "categories")
    assert document.findtext("total") == "0"
    again = client.get(
        f"/api/orgs/{org.db_id}/categories", headers={"If-None-Match": response.headers["etag"]}
    )
    assert again.status_code == 304


@pytest.mark.parametrize("oid", ["999", "abc", "0", "-1", "99999999999999999999999"])
def test_categories_of_an_unknown_org_are_404(client: TestClient, oid: str) -> None:
    response = client.get(f"/api/orgs/{oid}/categories", headers=JSON)
    assert response.status_code == 404
    assert message_id(response) == "mock.error.notfound.org"


def test_categories_answer_under_ufws_too(client: TestClient, acme: OrgRows) -> None:
    response = client.get(f"/ufws/orgs/{acme.db_id}/categories")
    assert response.status_code == 200


def test_unacceptable_categories_are_406(client: TestClient, acme: OrgRows) -> None:
    response = client.get(f"/api/orgs/{acme.db_id}/categories", headers={"Accept": "text/plain"})
    assert response.status_code == 406
    assert_valid_uforge_xml(response.content, "uforgeError")


# ---------------------------------------------------------------- order of checks

BODY = sdk_body(name="Body")
# (method, path on guest's data, whether it sends a body, the entitlement it needs)
ROUTES = [
    ("GET", LIBRARY, False, "appliance_create"),
    ("POST", LIBRARY, True, "software_upload"),
    ("GET", ZABBIX, False, "appliance_create"),
    ("PUT", ZABBIX, True, "software_upload"),
    ("DELETE", ZABBIX, False, "software_upload"),
    ("POST", f"{ZABBIX}/clone", True, "software_upload"),
    ("GET", "/api/users/guest", False, None),
    ("GET", "/api/users/guest/orgs", False, None),
]
ENTITLED = [route for route in ROUTES if route[3] is not None]
NEGOTIATED = [route for route in ROUTES if route[0] != "DELETE"]  # a 204 has no body


def route_ids(routes: Sequence[tuple[str, str, bool, str | None]]) -> list[str]:
    return [f"{method} {path}" for method, path, _, _ in routes]


ROUTE_IDS = route_ids(ROUTES)


def call(
    client: TestClient, method: str, path: str, headers: Any, body: bytes | None = None
) -> Response:
    return client.request(
        method, path, headers={**JSON, **XML_BODY, **headers}, content=body or BODY
    )


@pytest.mark.parametrize(("method", "path", "has_body", "entitlement"), ROUTES, ids=ROUTE_IDS)
@pytest.mark.parametrize(
    "credentials", [{}, basic("guest", "wrong"), basic("nobody", "x")], ids=["none", "bad", "who"]
)
def test_no_valid_credentials_is_401_before_anything(
    client: TestClient,
    method: str,
    path: str,
    has_body: bool,
    entitlement: str | None,
    credentials: dict[str, str],
) -> None:
    # Another user's path, an unknown id, a broken body, an unacceptable answer: still 401.
    path = path.replace("guest", "other").replace("918", "777")
    response = call(client, method, path, {**credentials, "Accept": "text/plain"}, b"<broken")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Basic realm="UForge"'
    assert message_id(response) == "mock.error.unauthorized"


@pytest.mark.parametrize(("method", "path", "has_body", "entitlement"), ROUTES, ids=ROUTE_IDS)
def test_another_users_path_is_403_before_404_406_and_the_body(
    client: TestClient, method: str, path: str, has_body: bool, entitlement: str | None
) -> None:
    path = path.replace("guest", "other").replace("918", "777")
    response = call(client, method, path, {**GUEST, "Accept": "text/plain"}, b"<broken")
    assert response.status_code == 403
    assert message_id(response) == "mock.error.forbidden.user"


@pytest.mark.parametrize(
    ("method", "path", "has_body", "entitlement"), ENTITLED, ids=route_ids(ENTITLED)
)
def test_missing_entitlement_is_403_before_404_406_and_the_body(
    client: TestClient, method: str, path: str, has_body: bool, entitlement: str
) -> None:
    # viewer holds appliance_create only, other software_upload only.
    login, password = ("viewer", "viewer-pw")
    if entitlement == "appliance_create":
        login, password = ("other", "other-pw")
    path = path.replace("guest", login).replace("918", "777")
    response = call(client, method, path, {**basic(login, password), "Accept": "text/plain"})
    assert response.status_code == 403
    assert message_id(response) == "mock.error.forbidden.entitlement"
    assert entitlement in response.text


ITEM_ROUTES = [(method, path) for method, path, _, _ in ROUTES if "918" in path]


@pytest.mark.parametrize(
    ("method", "path"), ITEM_ROUTES, ids=[f"{method} {path}" for method, path in ITEM_ROUTES]
)
@pytest.mark.parametrize("msid", ["777", "919", "abc", "0", "-918", "918.0"])
def test_unknown_or_foreign_software_is_404_before_406_and_the_body(
    client: TestClient, method: str, path: str, msid: str
) -> None:
    path = path.replace("918", msid)
    response = call(client, method, path, {**GUEST, "Accept": "text/plain"}, b"<broken")
    assert response.status_code == 404
    assert message_id(response) == "mock.error.notfound.mysoftware"


@pytest.mark.parametrize(
    ("method", "path", "has_body", "entitlement"), NEGOTIATED, ids=route_ids(NEGOTIATED)
)
def test_unacceptable_accept_is_406_and_changes_nothing(
    client: TestClient, method: str, path: str, has_body: bool, entitlement: str | None
) -> None:
    before = listing(client), software(client)
    response = call(client, method, path, {**GUEST, "Accept": "text/plain"})
    assert response.status_code == 406
    assert response.headers["content-type"] == "application/xml"
    assert message_id(response) == "mock.error.not_acceptable"
    assert (listing(client), software(client)) == before


@pytest.mark.parametrize(("method", "path", "has_body", "entitlement"), ROUTES, ids=ROUTE_IDS)
def test_admin_acts_on_another_users_paths(
    client: TestClient, method: str, path: str, has_body: bool, entitlement: str | None
) -> None:
    response = call(client, method, path, ROOT)
    assert response.status_code in (200, 201, 204), response.text


def test_a_matching_etag_with_a_wrong_password_is_401_not_304(client: TestClient) -> None:
    etag = client.get(LIBRARY, headers=GUEST).headers["etag"]
    response = client.get(LIBRARY, headers={**basic("guest", "nope"), "If-None-Match": etag})
    assert response.status_code == 401


def test_errors_are_in_the_negotiated_format(client: TestClient) -> None:
    as_json = client.get(f"{LIBRARY}/777", headers={**GUEST, **JSON})
    assert as_json.headers["content-type"] == "application/json"
    assert error_of(as_json)["requestUri"] == f"{LIBRARY}/777"
    as_xml = client.get(f"{LIBRARY}/777", headers=GUEST)
    assert_valid_uforge_xml(as_xml.content, "uforgeError")


def test_an_unchanged_software_keeps_its_etag_as_time_passes(
    client: TestClient, clock: FrozenClock
) -> None:
    first = client.get(ZABBIX, headers=GUEST)
    clock.set(T0 + timedelta(days=1))
    again = client.get(ZABBIX, headers={**GUEST, "If-None-Match": first.headers["etag"]})
    assert again.status_code == 304


# ---------------------------------------------------------------- many clients at once


def test_simultaneous_creates_and_clones_get_distinct_ids(
    tmp_path: Path, database_url: str
) -> None:
    seed_file = tmp_path / "seed.yml"
    seed_file.write_text(
        "users: [{login: guest, password: guest-pw, entitlements: [software_upload]}]\n"
        "mySoftware: [{dbId: 918, owner: guest, name: Zabbix}]\n"
    )
    with server_process(
        tmp_path / "data", "--no-demo", "--seed", str(seed_file), database_url=database_url
    ) as base:

        def create(n: int) -> int:
            path = f"{LIBRARY}/918/clone" if n % 2 else LIBRARY
            with httpx.Client(auth=("guest", "guest-pw"), timeout=30) as client:
                response = client.post(f"{base}{path}", json={"name": f"n{n}"}, headers=JSON)
            assert response.status_code == 201, response.text
            return int(response.json()["mySoftware"]["dbId"])

        with ThreadPoolExecutor(max_workers=16) as pool:
            ids = list(pool.map(create, range(64)))
    assert len(set(ids)) == 64 and 918 not in ids
