"""API-key authentication, signed the way the official clients sign."""

import base64
import hashlib
import hmac
from urllib.parse import quote_plus

import pytest
from fastapi.testclient import TestClient

from tests.conftest import seed

JSON = {"Accept": "application/json"}


def signed(path: str, query: str, secret: str = "SEC-guest", base: str = "/api") -> str:
    """`path?query&signature=...` as uforge-python-sdk builds it."""
    relative = f"{path.lstrip('/')}?{query}"
    digest = hmac.digest(secret.encode(), relative.encode(), hashlib.sha1)
    signature = quote_plus(base64.b64encode(digest).decode())
    return f"{base}/{path.lstrip('/')}?{query}&signature={signature}"


STATUS = "users/guest/mysoftware/918/exports/17/status"


def test_signed_request_is_authenticated(client: TestClient) -> None:
    response = client.get(signed(STATUS, "apiKey=PUB-guest"), headers=JSON)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "query", ["outputFormat=json&apiKey=PUB-guest", "apiKey=PUB-guest&outputFormat=json"]
)
def test_signature_covers_the_query_as_sent(client: TestClient, query: str) -> None:
    response = client.post(signed("users/guest/mysoftware/918/exports", query), headers=JSON)
    assert response.status_code == 201


def test_signed_request_works_under_ufws(client: TestClient) -> None:
    response = client.get(signed(STATUS, "apiKey=PUB-guest", base="/ufws"))
    assert response.status_code == 200


def test_double_slash_after_the_base_is_tolerated(client: TestClient) -> None:
    url = signed(STATUS, "apiKey=PUB-guest").replace("/api/", "/api//")
    assert client.get(url).status_code == 200


def test_percent_encoded_key_is_signed_raw(client: TestClient, app: object) -> None:
    seed(
        app,  # type: ignore[arg-type]
        {
            "users": [
                {
                    "login": "keyed",
                    "password": "pw",
                    "entitlements": ["software_upload", "api_key_access"],
                    "apiKeys": [{"publicKey": "PUB/key+1=", "secretKey": "s3cret"}],
                }
            ]
        },
    )
    url = signed(
        "users/keyed/mysoftware/918/exports/17/status",
        "apiKey=PUB%2Fkey%2B1%3D",
        secret="s3cret",
    )
    # keyed owns no mySoftware 918: authenticated, then 404 (not 401).
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        signed(STATUS, "apiKey=PUB-guest", secret="wrong"),
        signed(STATUS, "apiKey=NOPE"),
        f"/api/{STATUS}?apiKey=PUB-guest",
        f"/api/{STATUS}?apiKey=PUB-guest&signature=",
        f"/api/{STATUS}?apiKey=PUB-guest&signature=abc&x=1",
        signed(STATUS, "apiKey=PUB-guest") + "&more=1",
        signed(STATUS, "apiKey=PUB-guest").replace("17/status", "18/status"),
        f"/api/{STATUS}?apiKey=&signature=x",
        signed(STATUS, "apiKey=PUB%00guest"),
    ],
)
def test_bad_signatures_are_401(client: TestClient, url: str) -> None:
    response = client.get(url, headers=JSON)
    assert response.status_code == 401
    assert response.json()["uforgeError"]["statusCode"] == 401


def test_key_owner_needs_api_key_access(client: TestClient, app: object) -> None:
    seed(
        app,  # type: ignore[arg-type]
        {
            "users": [
                {
                    "login": "nokeys",
                    "password": "pw",
                    "entitlements": ["software_upload"],
                    "apiKeys": [{"publicKey": "PUB-n", "secretKey": "SEC-n"}],
                }
            ]
        },
    )
    url = signed("users/nokeys/mysoftware/918/exports/17/status", "apiKey=PUB-n", secret="SEC-n")
    response = client.get(url, headers=JSON)
    assert response.status_code == 403
    assert "api_key_access" in response.json()["uforgeError"]["localizedErrorMsg"]["message"]


def test_api_key_user_acts_only_on_its_own_paths(client: TestClient) -> None:
    url = signed("users/other/mysoftware/919/exports/30/status", "apiKey=PUB-guest")
    assert client.get(url).status_code == 403
