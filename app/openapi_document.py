"""The OpenAPI document of the UForge routes (the checked-in `openapi/openapi.json`).

FastAPI's generated document, finished by hand where the generator cannot know our contract:
no 422 (path ids are checked by the routes and answer 404), HTTP Basic security on every route
but `/status`, and the ids documented as what they are.
"""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

PUBLIC_OPERATIONS = {"uforgeStatus_get"}
PARAMETER_DESCRIPTIONS = {
    "uid": "the login name of the user",
    "msid": "the dbId of the mySoftware (a positive integer; anything else answers 404)",
    "eid": "the dbId of the export ticket (a positive integer; anything else answers 404)",
}


def openapi_document(app: FastAPI) -> dict[str, Any]:
    document = get_openapi(
        title=app.title,
        version=app.version,
        summary=app.summary,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
    )
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            operation.get("responses", {}).pop("422", None)
            for parameter in operation.get("parameters", []):
                if parameter["name"] in PARAMETER_DESCRIPTIONS:
                    parameter["description"] = PARAMETER_DESCRIPTIONS[parameter["name"]]
            if operation.get("operationId") not in PUBLIC_OPERATIONS:
                operation["security"] = [{"basicAuth": []}]
    components = document.setdefault("components", {})
    schemas = components.get("schemas", {})
    for generated in ("HTTPValidationError", "ValidationError"):
        schemas.pop(generated, None)
    if not schemas:
        components.pop("schemas", None)
    components["securitySchemes"] = {
        "basicAuth": {"type": "http", "scheme": "basic", "description": "login and password"}
    }
    return document


def install(app: FastAPI) -> None:
    """Serve this document at /openapi.json (and /docs) instead of FastAPI's raw one."""

    def cached() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = openapi_document(app)
        return app.openapi_schema

    app.openapi = cached  # type: ignore[method-assign]


def control_openapi_document(app: FastAPI) -> dict[str, Any]:
    """The control API's own document (served at /_mock/openapi.json when it is on)."""
    from app.api.routes import control  # the routes module imports this one's neighbours

    document = get_openapi(
        title="uforge-mock control API",
        version=app.version,
        summary="Seed, reset, clock, journal and faults of a uforge-mock server",
        description=(
            "Off by default: enable it with `UFORGE_MOCK_CONTROL_ENABLED=true`, and give it "
            "a bearer token with `UFORGE_MOCK_CONTROL_TOKEN` (or run it open, explicitly, with "
            "`UFORGE_MOCK_CONTROL_OPEN=true`). Errors are `uforgeError` documents, in JSON "
            "unless XML is asked for."
        ),
        routes=control.router.routes,
    )
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            operation["security"] = [{"bearerToken": []}]
    document.setdefault("components", {})["securitySchemes"] = {
        "bearerToken": {"type": "http", "scheme": "bearer"}
    }
    return document
