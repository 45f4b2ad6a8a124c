"""Hostile or broken requests: always the right code and a valid `uforgeError`, never a 500."""

import base64

import pytest
from fastapi.testclient import TestClient

from tests.conftest import GUEST, STATUS_17
from tests.xmlcheck import assert_valid_uforge_xml


def b64(text: bytes) -> str:
    return base64.b64encode(text).decode()


AUTHORIZATION = [
    "Basic",
    "Basic ",
    "Basic !!!not-base64!!!",
    "Basic " + b64(b"no-colon-here"),
    "Basic " + b64(b":password-without-login"),
    "Basic " + b64(b"\xff\xfe:\x80"),
    "Basic " + b64(b"guest:guest-pw") + "garbage",
    "Basic " + "A" * 100_000,
    "Bearer " + b64(b"guest:guest-pw"),
    "Digest username=guest",
    "",
    "Basic " + b64(b"guest:" + b"x" * 3000),
    # PostgreSQL text cannot hold NUL: such a login must not reach a query.
    "Basic " + b64(b"gu\x00est:guest-pw"),
]


@pytest.mark.parametrize("authorization", AUTHORIZATION)
def test_malformed_authorization_is_401(client: TestClient, authorization: str) -> None:
    response = client.get(STATUS_17, headers={"Authorization": authorization})
    assert response.status_code == 401
    assert_valid_uforge_xml(response.content, "uforgeError")


@pytest.mark.parametrize(
    ("msid", "eid"),
    [
        ("918", "-17"),
        ("918", "0"),
        ("918", "17.0"),
        ("918", "1e3"),
        ("918", "99999999999999999999999999"),
        ("918", "9223372036854775808"),
        ("918", "9223372036854775807"),
        ("-918", "17"),
        ("918abc", "17"),
        ("918", "%20"),
        ("918", "\u0661\u0667"),  # Arabic-Indic digits: isdigit() but not an id
        ("918", "+17"),
    ],
)
def test_bad_ids_are_404(client: TestClient, msid: str, eid: str) -> None:
    response = client.get(f"/api/users/guest/mysoftware/{msid}/exports/{eid}/status", headers=GUEST)
    assert response.status_code == 404
    assert_valid_uforge_xml(response.content, "uforgeError")


@pytest.mark.parametrize(
    "accept",
    [
        "garbage",
        "/",
        "*/json",
        ";;;,,,",
        "application/json;q=abc",
        "application/json;q=2",
        "a/" + "b" * 10_000,
        ",".join(["text/plain"] * 2000),
        "application/xml;q=-1",
    ],
)
def test_absurd_accept_is_406_in_xml(client: TestClient, accept: str) -> None:
    response = client.get(STATUS_17, headers={**GUEST, "Accept": accept})
    assert response.status_code == 406
    assert_valid_uforge_xml(response.content, "uforgeError")


@pytest.mark.parametrize("accept", ["", "   "])
def test_empty_accept_is_the_default_xml(client: TestClient, accept: str) -> None:
    response = client.get(STATUS_17, headers={**GUEST, "Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/xml"


@pytest.mark.parametrize(
    "if_none_match",
    ["", "garbage", '"unterminated', "W/", '""', ",,,", "*, *", '"' + "a" * 50_000 + '"'],
)
def test_absurd_if_none_match_is_a_plain_200(client: TestClient, if_none_match: str) -> None:
    response = client.get(STATUS_17, headers={**GUEST, "If-None-Match": if_none_match})
    assert response.status_code == 200


@pytest.mark.parametrize(
    "if_modified_since",
    ["", "garbage", "Mon, 99 Foo 2019 99:99:99 GMT", "9" * 500, "Wed, 05 Jun 99999 21:40:12 GMT"],
)
def test_absurd_if_modified_since_is_ignored(client: TestClient, if_modified_since: str) -> None:
    response = client.get(STATUS_17, headers={**GUEST, "If-Modified-Since": if_modified_since})
    assert response.status_code == 200


def test_unknown_route_is_a_404_uforge_error(client: TestClient) -> None:
    response = client.get("/api/users/guest/nothing", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.json()["uforgeError"]["statusCode"] == 404


def test_path_with_encoded_junk_is_404(client: TestClient) -> None:
    response = client.get("/api/users/%00%ff/mysoftware/918/exports/17/status", headers=GUEST)
    assert response.status_code in (403, 404)
    assert_valid_uforge_xml(response.content, "uforgeError")
