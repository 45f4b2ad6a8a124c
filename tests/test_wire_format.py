"""Every document the server emits: schema-valid XML, and JSON with the shapes of the contract's
samples (same keys, same order, same value types)."""

import json
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy import text

from tests.conftest import GUEST, SAMPLES, STATUS_17, T0, seed
from tests.xmlcheck import assert_valid_uforge_xml, child_names
from uforge_mock.jobs.clock import FrozenClock

JSON = {"Accept": "application/json"}


def status_path(eid: int) -> str:
    return f"/api/users/guest/mysoftware/918/exports/{eid}/status"


def shape(value: Any) -> Any:
    """Keys (in order) and value types, recursively: what two documents must share."""
    if isinstance(value, dict):
        return [(key, shape(item)) for key, item in value.items()]
    if isinstance(value, list):
        return ["list", *[shape(item) for item in value[:1]]]
    return type(value).__name__


def sample_json(name: str) -> Any:
    return json.loads((SAMPLES / "json" / f"{name}.json").read_text())


def sample_xml_children(name: str) -> list[str]:
    return child_names(etree.parse(str(SAMPLES / "xml" / f"{name}.xml")).getroot())


# (sample, export id, seconds after T0) of each state of the status object.
STATES = [
    ("status-in-progress", 17, 8),
    ("status-complete", 17, 60),
    ("status-error", 19, 60),
    ("status-cancelled", 20, 60),
]


@pytest.mark.parametrize(("sample", "eid", "seconds"), STATES)
def test_status_xml_validates_and_matches_sample_order(
    client: TestClient, clock: FrozenClock, sample: str, eid: int, seconds: int
) -> None:
    clock.set(T0 + timedelta(seconds=seconds))
    body = client.get(status_path(eid), headers=GUEST).content
    document = assert_valid_uforge_xml(body, "status")
    assert child_names(document) == sample_xml_children(sample)


@pytest.mark.parametrize(("sample", "eid", "seconds"), STATES)
def test_status_json_has_the_sample_shape(
    client: TestClient, clock: FrozenClock, sample: str, eid: int, seconds: int
) -> None:
    clock.set(T0 + timedelta(seconds=seconds))
    body = client.get(status_path(eid), headers={**GUEST, **JSON}).json()
    assert shape(body) == shape(sample_json(sample))


def test_service_status_matches_the_samples(client: TestClient) -> None:
    xml = client.get("/api/status").content
    assert child_names(assert_valid_uforge_xml(xml, "serviceStatus")) == sample_xml_children(
        "serviceStatus"
    )
    assert client.get("/api/status", headers=JSON).json() == sample_json("serviceStatus")


# Requests that end in each error the status route can answer.
ERRORS = [
    ("uforgeError-401", "GET", STATUS_17, {}),
    ("uforgeError-403", "GET", "/api/users/viewer/mysoftware/918/exports/17/status", "viewer"),
    ("uforgeError-404", "GET", status_path(99), GUEST),
    (None, "GET", "/api/users/guest/mysoftware/1/exports/17/status", GUEST),
    (None, "GET", "/api/no/such/route", {}),
    (None, "POST", STATUS_17, GUEST),
]


@pytest.mark.parametrize(("sample", "method", "path", "headers"), ERRORS)
def test_error_documents_validate_in_both_formats(
    client: TestClient, sample: str | None, method: str, path: str, headers: Any
) -> None:
    if headers == "viewer":
        from tests.conftest import basic

        headers = basic("viewer", "viewer-pw")
    xml = client.request(method, path, headers=headers)
    assert xml.status_code >= 400
    document = assert_valid_uforge_xml(xml.content, "uforgeError")
    assert document.findtext("statusCode") == str(xml.status_code)
    assert document.findtext("requestMethod") == method
    assert document.findtext("requestUri") == path
    as_json = client.request(method, path, headers={**headers, **JSON}).json()
    if sample:
        assert child_names(document) == sample_xml_children(sample)
        assert shape(as_json) == shape(sample_json(sample))
        expected = sample_json(sample)["uforgeError"]["localizedErrorMsg"]
        assert as_json["uforgeError"]["localizedErrorMsg"]["messageId"] == expected["messageId"]


def test_406_error_validates(client: TestClient) -> None:
    response = client.get(STATUS_17, headers={**GUEST, "Accept": "text/csv"})
    assert response.status_code == 406
    assert_valid_uforge_xml(response.content, "uforgeError")


def test_405_names_the_allowed_methods(client: TestClient) -> None:
    response = client.delete(STATUS_17, headers=GUEST)
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"


def test_a_broken_store_is_a_500_uforge_error(client: TestClient, app: FastAPI) -> None:
    with app.state.mock.engine.begin() as connection:
        connection.execute(text("DROP TABLE export_tickets"))
    response = client.get(STATUS_17, headers={**GUEST, **JSON})
    assert response.status_code == 500
    error = response.json()["uforgeError"]
    assert error["statusCode"] == 500
    assert "Traceback" not in response.text and "export_tickets" not in response.text
    xml = client.get(STATUS_17, headers=GUEST)
    assert_valid_uforge_xml(xml.content, "uforgeError")


def test_control_characters_in_stored_text_stay_well_formed(
    client: TestClient, app: FastAPI, clock: FrozenClock
) -> None:
    seed(
        app,
        {
            "exports": [
                {
                    "dbId": 40,
                    "mySoftware": 918,
                    "created": T0,
                    "duration": 1,
                    "outcome": "error",
                    "errorMessage": "bad \x00\x01\x1b[31m byte \uffff and \ufffe <&>",
                    "detailedErrorMsg": "line1\nline2\ttab\x0b",
                }
            ]
        },
    )
    clock.advance(5)
    xml = client.get(status_path(40), headers=GUEST)
    document = assert_valid_uforge_xml(xml.content, "status")
    assert (
        document.findtext("errorMessage") == "bad \ufffd\ufffd\ufffd[31m byte \ufffd and \ufffd <&>"
    )
    assert document.findtext("detailedErrorMsg") == "line1\nline2\ttab\ufffd"
    as_json = client.get(status_path(40), headers={**GUEST, **JSON}).json()["status"]
    assert as_json["errorMessage"] == document.findtext("errorMessage")
