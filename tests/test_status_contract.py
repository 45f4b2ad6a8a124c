"""GET /api/users/{uid}/mysoftware/{msid}/exports/{eid}/status through HTTP: the contract's
order of checks, negotiation and conditional requests."""

from datetime import timedelta

import orjson
import pytest
from fastapi.testclient import TestClient

from tests.conftest import GUEST, STATUS_17, T0, basic
from tests.xmlcheck import assert_valid_uforge_xml
from uforge_mock.jobs.clock import FrozenClock

JSON = {"Accept": "application/json"}


def status_path(eid: int | str, *, uid: str = "guest", msid: int | str = 918) -> str:
    return f"/api/users/{uid}/mysoftware/{msid}/exports/{eid}/status"


def error_of(response: object) -> dict[str, object]:
    body = orjson.loads(response.content)  # type: ignore[attr-defined]
    return body["uforgeError"]  # type: ignore[no-any-return]


# ---------------------------------------------------------------- success


def test_status_is_xml_by_default(client: TestClient) -> None:
    response = client.get(STATUS_17, headers=GUEST)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/xml"
    document = assert_valid_uforge_xml(response.content, "status")
    assert document.findtext("percentage") == "0"
    assert document.findtext("uri") == "users/guest/mysoftware/918/exports/17/status"


def test_status_is_json_when_asked(client: TestClient) -> None:
    response = client.get(STATUS_17, headers={**GUEST, **JSON})
    assert response.headers["content-type"] == "application/json"
    status = response.json()["status"]
    assert status["dbId"] == 17 and status["complete"] is False


def test_status_carries_the_contract_headers(client: TestClient) -> None:
    response = client.get(STATUS_17, headers=GUEST)
    assert response.headers["vary"] == "Accept"
    assert response.headers["cache-control"] == "private, no-cache"
    assert response.headers["version"] == "3.8.13"
    assert response.headers["last-modified"] == "Wed, 05 Jun 2019 21:40:12 GMT"
    etag = response.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"') and len(etag) == 34


def test_status_advances_with_the_clock(client: TestClient, clock: FrozenClock) -> None:
    clock.advance(8)
    running = client.get(STATUS_17, headers={**GUEST, **JSON}).json()["status"]
    clock.advance(30)
    done = client.get(STATUS_17, headers={**GUEST, **JSON}).json()["status"]
    assert (running["percentage"], running["complete"]) == (40, False)
    assert (done["percentage"], done["complete"], done["message"]) == (100, True, "Export complete")
    assert done["lastModified"] == "2019-06-05T21:40:32.000Z"


def test_failed_status_has_error_texts(client: TestClient, clock: FrozenClock) -> None:
    clock.advance(60)
    status = client.get(status_path(19), headers={**GUEST, **JSON}).json()["status"]
    assert status["error"] is True and status["percentage"] == 40
    assert status["errorMessage"] and status["message"] == "Export failed"
    assert status["detailedError"] is True
    assert status["detailedErrorMsg"] == "java.io.IOException: No space left on device"


def test_status_also_answers_under_ufws(client: TestClient) -> None:
    response = client.get(STATUS_17.replace("/api/", "/ufws/"), headers=GUEST)
    assert response.status_code == 200
    assert response.content == client.get(STATUS_17, headers=GUEST).content


def test_head_has_the_headers_of_get_and_no_body(client: TestClient) -> None:
    get = client.get(STATUS_17, headers=GUEST)
    head = client.head(STATUS_17, headers=GUEST)
    assert head.status_code == 200 and head.content == b""
    for name in ("etag", "last-modified", "content-type", "content-length", "vary"):
        assert head.headers[name] == get.headers[name]


def test_admin_may_read_another_users_export(client: TestClient) -> None:
    response = client.get(STATUS_17, headers=basic("root", "root-pw"))
    assert response.status_code == 200


# ---------------------------------------------------------------- order of checks


@pytest.mark.parametrize(
    ("headers", "path", "status", "message_id"),
    [
        ({}, STATUS_17, 401, "mock.error.unauthorized"),
        (basic("guest", "wrong"), STATUS_17, 401, "mock.error.unauthorized"),
        (basic("nobody", "guest-pw"), STATUS_17, 401, "mock.error.unauthorized"),
        (GUEST, status_path(30, uid="other", msid=919), 403, "mock.error.forbidden.user"),
        (
            basic("viewer", "viewer-pw"),
            status_path(17, uid="viewer"),
            403,
            "mock.error.forbidden.entitlement",
        ),
        (GUEST, status_path(99), 404, "mock.error.notfound.export"),
        (GUEST, status_path(17, msid=777), 404, "mock.error.notfound.mysoftware"),
        (GUEST, status_path(30, msid=919), 404, "mock.error.notfound.mysoftware"),
        (GUEST, status_path(30), 404, "mock.error.notfound.export"),
        (GUEST, status_path("abc"), 404, "mock.error.notfound.export"),
        (
            basic("other", "other-pw"),
            status_path(17, uid="other", msid=918),
            404,
            "mock.error.notfound.mysoftware",
        ),
        ({**GUEST, "Accept": "text/html"}, STATUS_17, 406, "mock.error.not_acceptable"),
    ],
)
def test_each_check_answers_its_status(
    client: TestClient, headers: dict[str, str], path: str, status: int, message_id: str
) -> None:
    response = client.get(path, headers={"Accept": "application/json", **headers})
    assert response.status_code == status
    if status == 406:
        assert response.headers["content-type"] == "application/xml"
        assert_valid_uforge_xml(response.content, "uforgeError")
        return
    error = error_of(response)
    assert error["statusCode"] == status
    assert error["localizedErrorMsg"]["messageId"] == message_id  # type: ignore[index]
    assert error["requestUri"] == path and error["requestMethod"] == "GET"


def test_unauthorized_carries_a_basic_challenge(client: TestClient) -> None:
    response = client.get(STATUS_17)
    assert response.headers["www-authenticate"] == 'Basic realm="UForge"'


def test_unknown_user_and_wrong_password_answer_the_same(client: TestClient) -> None:
    wrong = client.get(STATUS_17, headers=basic("guest", "nope"))
    unknown = client.get(STATUS_17, headers=basic("ghost", "nope"))
    assert wrong.status_code == unknown.status_code == 401
    assert error_of_xml_text(wrong.content) == error_of_xml_text(unknown.content)
    assert wrong.headers.keys() == unknown.headers.keys()


def error_of_xml_text(body: bytes) -> bytes:
    # Everything but the timestamp must be identical.
    return body.split(b"<timestamp>")[0]


def test_wrong_password_with_matching_etag_is_401_not_304(client: TestClient) -> None:
    etag = client.get(STATUS_17, headers=GUEST).headers["etag"]
    response = client.get(STATUS_17, headers={**basic("guest", "nope"), "If-None-Match": etag})
    assert response.status_code == 401


def test_missing_entitlement_with_matching_etag_is_403(client: TestClient) -> None:
    response = client.get(
        status_path(17, uid="viewer"),
        headers={**basic("viewer", "viewer-pw"), "If-None-Match": "*"},
    )
    assert response.status_code == 403


def test_unknown_export_with_star_is_404_not_304(client: TestClient) -> None:
    response = client.get(status_path(99), headers={**GUEST, "If-None-Match": "*"})
    assert response.status_code == 404


def test_unacceptable_with_matching_etag_is_406(client: TestClient) -> None:
    etag = client.get(STATUS_17, headers=GUEST).headers["etag"]
    response = client.get(
        STATUS_17, headers={**GUEST, "Accept": "text/plain", "If-None-Match": etag}
    )
    assert response.status_code == 406


# ---------------------------------------------------------------- negotiation


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        (None, "application/xml"),
        ("*/*", "application/xml"),
        ("application/*", "application/xml"),
        ("application/json", "application/json"),
        ("application/xml", "application/xml"),
        ("application/json;q=0.9, application/xml;q=0.1", "application/json"),
        ("application/xml;q=0, */*", "application/json"),
        ("text/html, application/json;q=0.5", "application/json"),
        ("APPLICATION/JSON", "application/json"),
        ("application/json, application/xml", "application/xml"),
        ("*/*;q=0.1, application/json", "application/json"),
    ],
)
def test_accept_chooses_the_media_type(
    client: TestClient, accept: str | None, media_type: str
) -> None:
    headers = dict(GUEST)
    if accept is not None:
        headers["Accept"] = accept
    response = client.get(STATUS_17, headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == media_type


@pytest.mark.parametrize(
    "accept", ["text/html", "application/xml;q=0, application/json;q=0", "image/*"]
)
def test_unacceptable_accept_is_406_in_xml(client: TestClient, accept: str) -> None:
    response = client.get(STATUS_17, headers={**GUEST, "Accept": accept})
    assert response.status_code == 406
    assert response.headers["content-type"] == "application/xml"
    assert response.headers["vary"] == "Accept"


def test_errors_follow_the_negotiated_format(client: TestClient) -> None:
    response = client.get(status_path(99), headers={**GUEST, **JSON})
    assert response.headers["content-type"] == "application/json"
    assert error_of(response)["statusCode"] == 404


def test_content_type_has_no_charset(client: TestClient) -> None:
    for accept in ("application/xml", "application/json"):
        response = client.get(STATUS_17, headers={**GUEST, "Accept": accept})
        assert response.headers["content-type"] == accept


# ---------------------------------------------------------------- conditional requests


def test_status_not_modified_when_etag_matches(client: TestClient) -> None:
    first = client.get(STATUS_17, headers=GUEST)
    again = client.get(STATUS_17, headers={**GUEST, "If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""
    for name in ("etag", "last-modified", "vary", "cache-control"):
        assert again.headers[name] == first.headers[name]


@pytest.mark.parametrize(
    "template",
    ["W/{tag}", '"other", {tag}', '{tag} , "x"', "*", " {tag} "],
)
def test_if_none_match_forms_that_match(client: TestClient, template: str) -> None:
    etag = client.get(STATUS_17, headers=GUEST).headers["etag"]
    response = client.get(STATUS_17, headers={**GUEST, "If-None-Match": template.format(tag=etag)})
    assert response.status_code == 304


def test_status_modified_when_the_clock_moves_the_state(
    client: TestClient, clock: FrozenClock
) -> None:
    etag = client.get(STATUS_17, headers=GUEST).headers["etag"]
    clock.advance(5)
    response = client.get(STATUS_17, headers={**GUEST, "If-None-Match": etag})
    assert response.status_code == 200
    assert response.headers["etag"] != etag


def test_etag_differs_between_xml_and_json(client: TestClient) -> None:
    xml = client.get(STATUS_17, headers=GUEST).headers["etag"]
    json = client.get(STATUS_17, headers={**GUEST, **JSON}).headers["etag"]
    assert xml != json
    response = client.get(STATUS_17, headers={**GUEST, **JSON, "If-None-Match": xml})
    assert response.status_code == 200


def test_if_modified_since_at_last_modified_is_304(client: TestClient) -> None:
    last_modified = client.get(STATUS_17, headers=GUEST).headers["last-modified"]
    response = client.get(STATUS_17, headers={**GUEST, "If-Modified-Since": last_modified})
    assert response.status_code == 304


def test_if_modified_since_before_last_modified_is_200(client: TestClient) -> None:
    response = client.get(
        STATUS_17, headers={**GUEST, "If-Modified-Since": "Wed, 05 Jun 2019 21:40:11 GMT"}
    )
    assert response.status_code == 200


def test_if_modified_since_is_ignored_when_if_none_match_is_present(client: TestClient) -> None:
    last_modified = client.get(STATUS_17, headers=GUEST).headers["last-modified"]
    response = client.get(
        STATUS_17,
        headers={**GUEST, "If-Modified-Since": last_modified, "If-None-Match": '"different"'},
    )
    assert response.status_code == 200


def test_unparseable_if_modified_since_is_ignored(client: TestClient) -> None:
    response = client.get(STATUS_17, headers={**GUEST, "If-Modified-Since": "yesterday"})
    assert response.status_code == 200


def test_head_answers_304_too(client: TestClient) -> None:
    etag = client.get(STATUS_17, headers=GUEST).headers["etag"]
    response = client.head(STATUS_17, headers={**GUEST, "If-None-Match": etag})
    assert response.status_code == 304


def test_last_modified_moves_with_a_running_export(client: TestClient, clock: FrozenClock) -> None:
    clock.set(T0 + timedelta(seconds=9.5))
    response = client.get(STATUS_17, headers=GUEST)
    assert response.headers["last-modified"] == "Wed, 05 Jun 2019 21:40:21 GMT"
