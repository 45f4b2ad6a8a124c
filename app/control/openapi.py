"""The control API's own OpenAPI document (`openapi/control.json`, `/_mock/openapi.json`)."""

from collections.abc import Sequence
from typing import Any

from fastapi.openapi.utils import get_openapi
from starlette.routing import BaseRoute


def control_openapi_document(version: str, routes: Sequence[BaseRoute]) -> dict[str, Any]:
    """The control API's own document (served at /_mock/openapi.json when it is on), for
    the control `routes` of a server impersonating UForge `version`."""

    document = get_openapi(
        title="uforge-mock control API",
        version=version,
        summary="Seed, reset, clock, journal and faults of a uforge-mock server",
        description=(
            "Off by default: enable it with `UFORGE_MOCK_CONTROL_ENABLED=true`, and give it "
            "a bearer token with `UFORGE_MOCK_CONTROL_TOKEN` (or run it open, explicitly, with "
            "`UFORGE_MOCK_CONTROL_OPEN=true`). Errors are `uforgeError` documents, in JSON "
            "unless XML is asked for."
        ),
        routes=routes,
    )
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            operation["security"] = [{"bearerToken": []}]
    document.setdefault("components", {})["securitySchemes"] = {
        "bearerToken": {"type": "http", "scheme": "bearer"}
    }
    return document
