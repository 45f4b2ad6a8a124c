"""The checked-in OpenAPI document is the app's own, valid, and documents the contract."""

import json

from openapi_spec_validator import validate

from tests.conftest import ROOT
from uforge_mock.api.openapi import openapi_document
from uforge_mock.control.openapi import control_openapi_document
from uforge_mock.control.routes import router as control_router
from uforge_mock.factory import create_app
from uforge_mock.settings import Settings

CHECKED_IN = ROOT / "openapi" / "openapi.json"
CONTROL = ROOT / "openapi" / "control.json"
STATUS = "/api/users/{uid}/mysoftware/{msid}/exports/{eid}/status"


def generated() -> dict[str, object]:
    # A JSON round trip, as the file holds it (tuples become lists and so on).
    document = openapi_document(create_app(Settings()))
    return json.loads(json.dumps(document))  # type: ignore[no-any-return]


def test_checked_in_openapi_matches_the_app() -> None:
    assert json.loads(CHECKED_IN.read_text()) == generated(), (
        "openapi/openapi.json is stale: run `make openapi` and commit it"
    )


def test_openapi_document_is_valid() -> None:
    validate(json.loads(CHECKED_IN.read_text()))


def test_checked_in_control_document_matches_the_app() -> None:
    document = json.loads(
        json.dumps(control_openapi_document(Settings().platform_version, control_router.routes))
    )
    assert json.loads(CONTROL.read_text()) == document, "run `make openapi` and commit it"
    validate(document)


def test_control_routes_stay_out_of_the_uforge_document() -> None:
    assert not [path for path in generated()["paths"] if path.startswith("/_mock")]  # type: ignore[attr-defined]


def test_status_operation_documents_both_media_types_and_every_code() -> None:
    operation = generated()["paths"][STATUS]["get"]  # type: ignore[index]
    responses = operation["responses"]
    assert set(responses) == {"200", "304", "401", "403", "404", "406", "431", "500", "503"}
    assert "Retry-After" in responses["503"]["headers"]
    for code in ("200", "401", "403", "404", "406", "500"):
        content = responses[code]["content"]
        assert set(content) == {"application/xml", "application/json"}
        assert content["application/xml"]["example"].startswith("<?xml")
        assert content["application/json"]["example"]
    assert "content" not in responses["304"]
