"""The wire contract seen from outside: formats, conditional requests and every refusal."""

import httpx
from lxml import etree

from tests.xmlcheck import NAMESPACE, assert_valid_uforge_xml

EXPORTS = "users/guest/mysoftware/918/exports"
JSON = {"Accept": "application/json"}


def status_json(client: httpx.Client, eid: int) -> dict[str, object]:
    response = client.get(f"{EXPORTS}/{eid}/status", headers=JSON)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    status: dict[str, object] = response.json()["status"]
    return status


def test_service_status_needs_no_credentials(api: httpx.Client) -> None:
    response = api.get("status")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/xml"
    document = assert_valid_uforge_xml(response.content, "serviceStatus")
    assert document.findtext("version") == response.headers["version"]


def test_service_status_in_json(api: httpx.Client) -> None:
    response = api.get("status", headers=JSON)
    assert response.json()["serviceStatus"]["alive"] is True


def test_complete_export_in_xml_by_default(guest: httpx.Client) -> None:
    response = guest.get(f"{EXPORTS}/17/status")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/xml"
    document = assert_valid_uforge_xml(response.content, "status")
    assert document.findtext("complete") == "true"
    assert document.findtext("percentage") == "100"


def test_running_export_in_json(guest: httpx.Client) -> None:
    status = status_json(guest, 18)
    assert (status["complete"], status["error"], status["percentage"]) == (False, False, 40)


def test_failed_export_names_its_error(guest: httpx.Client) -> None:
    status = status_json(guest, 19)
    assert status["error"] is True
    assert status["errorMessage"]


def test_cancelled_export(guest: httpx.Client) -> None:
    status = status_json(guest, 20)
    assert (status["cancelled"], status["percentage"]) == (True, 25)


def test_matching_etag_is_304(guest: httpx.Client) -> None:
    first = guest.get(f"{EXPORTS}/17/status")
    again = guest.get(f"{EXPORTS}/17/status", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == first.headers["etag"]


def test_if_modified_since_last_modified_is_304(guest: httpx.Client) -> None:
    first = guest.get(f"{EXPORTS}/17/status")
    headers = {"If-Modified-Since": first.headers["last-modified"]}
    assert guest.get(f"{EXPORTS}/17/status", headers=headers).status_code == 304


def test_xml_and_json_have_different_etags(guest: httpx.Client) -> None:
    xml = guest.get(f"{EXPORTS}/17/status")
    json = guest.get(f"{EXPORTS}/17/status", headers=JSON)
    assert xml.headers["etag"] != json.headers["etag"]


def test_head_has_the_headers_of_get_and_no_body(guest: httpx.Client) -> None:
    get = guest.get(f"{EXPORTS}/17/status")
    head = guest.head(f"{EXPORTS}/17/status")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["etag"] == get.headers["etag"]


def test_internal_prefix_answers_too(server: str) -> None:
    response = httpx.get(
        f"{server}/ufws/{EXPORTS}/17/status", auth=("guest", "guest-secret"), headers=JSON
    )
    assert response.json()["status"]["complete"] is True


def test_no_credentials_is_401_with_a_basic_challenge(api: httpx.Client) -> None:
    response = api.get(f"{EXPORTS}/17/status")
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Basic")
    assert_valid_uforge_xml(response.content, "uforgeError")


def test_wrong_password_is_401(api: httpx.Client) -> None:
    response = api.get(f"{EXPORTS}/17/status", auth=("guest", "wrong"), headers=JSON)
    assert response.status_code == 401
    assert response.json()["uforgeError"]["statusCode"] == 401


def test_missing_entitlement_is_403(api: httpx.Client) -> None:
    response = api.get(
        "users/viewer/mysoftware/918/exports/17/status", auth=("viewer", "viewer-secret")
    )
    assert response.status_code == 403
    document = assert_valid_uforge_xml(response.content, "uforgeError")
    assert "software_upload" in etree.tostring(document).decode()


def test_another_users_path_is_403(guest: httpx.Client) -> None:
    assert guest.get("users/viewer/mysoftware/918/exports/17/status").status_code == 403


def test_unknown_export_is_404(guest: httpx.Client) -> None:
    response = guest.get(f"{EXPORTS}/99999/status", headers=JSON)
    assert response.status_code == 404
    assert response.json()["uforgeError"]["statusCode"] == 404


def test_non_numeric_export_is_404(guest: httpx.Client) -> None:
    assert guest.get(f"{EXPORTS}/abc/status").status_code == 404


def test_unacceptable_accept_is_406_in_xml(guest: httpx.Client) -> None:
    response = guest.get(f"{EXPORTS}/17/status", headers={"Accept": "text/html"})
    assert response.status_code == 406
    assert response.headers["content-type"] == "application/xml"
    assert_valid_uforge_xml(response.content, "uforgeError")


def test_unknown_route_is_a_404_uforge_error(guest: httpx.Client) -> None:
    response = guest.get("no/such/route")
    assert response.status_code == 404
    assert etree.fromstring(response.content).tag == f"{{{NAMESPACE}}}uforgeError"


def test_wrong_method_is_405(guest: httpx.Client) -> None:
    response = guest.put(f"{EXPORTS}/17/status")
    assert response.status_code == 405
    assert "GET" in response.headers["allow"]


def test_my_software_is_readable(guest: httpx.Client) -> None:
    response = guest.get("users/guest/mysoftware/918", headers=JSON)
    assert response.status_code == 200
    assert response.json()["mySoftware"]["name"] == "Zabbix"
