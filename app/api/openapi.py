"""The OpenAPI document of the UForge routes (the checked-in `openapi/openapi.json`).

FastAPI's generated document, finished by hand where the generator cannot know our contract:
no 422 (path ids are checked by the routes and answer 404), HTTP Basic security on every route
but `/status`, the ids documented as what they are, the conditional request headers, the
response headers every client may rely on, and examples from the demo dataset (so that /docs can
be tried on a fresh server, and a fuzzer reaches the successful answers, not only refusals).
"""

import re
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from uforge_mock.api import doc_pages
from uforge_mock.api.docs import RECURSIVE_SCHEMAS

PUBLIC_OPERATIONS = {"uforgeStatus_get", "category_getAll"}
PARAMETER_DESCRIPTIONS = {
    "uid": "the login name of the user",
    "msid": "the dbId of the mySoftware (a positive integer; anything else answers 404)",
    "eid": "the dbId of the export ticket (a positive integer; anything else answers 404)",
    "sbid": "the dbId of the bundle import (a positive integer; anything else answers 404)",
    "aid": "the dbId of the appliance template (a positive integer; anything else answers 404)",
    "iid": "the dbId of the appliance import (a positive integer; anything else answers 404)",
}
# A query string is never null, whatever the handler's signature says; the case does not matter.
PARAMETER_SCHEMAS = {
    "outputFormat": {"type": "string", "pattern": "^([Yy][Aa][Mm][Ll]|[Jj][Ss][Oo][Nn])$"},
}
# The demo dataset (app/store/demo-seed.yml).
PARAMETER_EXAMPLES = {
    "uid": {"guest": "guest", "another user (403)": "viewer"},
    "msid": {"Zabbix": "918", "Broken (its exports fail)": "919", "unknown (404)": "404"},
    "eid": {"complete": "17", "running": "18", "failed": "19"},
    "sbid": {"complete": "1", "refused archive": "2", "unknown (404)": "404"},
    "outputFormat": {"yaml": "yaml", "json": "json"},
    "aid": {
        "CentOS Monitoring": "101",
        "Debian Broken (its exports fail)": "102",
        "unknown": "404",
    },
    "iid": {"refused archive": "1", "unknown (404)": "404"},
}
# The demo's appliance exports: 31 of 101 complete, 32 of 102 failed.
_APPLIANCE_EXPORT_IDS = {"complete": "31", "failed": "32", "unknown (404)": "404"}
# Deleting the cancelled export, or Nginx, leaves the examples of the other operations in place.
OPERATION_EXAMPLES = {
    "mySoftwareExport_delete": {"eid": {"cancelled": "20"}},
    "mySoftware_delete": {"msid": {"Nginx": "920", "unknown (404)": "404"}},
    **{
        operation: {"eid": _APPLIANCE_EXPORT_IDS}
        for operation in (
            "applianceExport_get",
            "applianceExportStatus_get",
            "applianceExport_cancel",
            "applianceExport_download",
        )
    },
    # Deleting the template whose exports fail (and its failed export) leaves 101 and its
    # complete export 31 to the other operations; so does deleting no export of the demo.
    "applianceExport_delete": {"eid": {"unknown (404)": "404"}},
    "appliance_delete": {"aid": {"Debian Broken": "102", "unknown (404)": "404"}},
}
CONDITIONAL_PARAMETERS = [
    {
        "name": "If-None-Match",
        "in": "header",
        "required": False,
        "description": (
            "Entity tags of the copies the client holds, or `*`: 304 when one matches the "
            "current `ETag` (weak comparison)"
        ),
        "schema": {"type": "string"},
        "examples": {"any (304)": {"value": "*"}, "a stale copy (200)": {"value": '"0"'}},
    },
    {
        "name": "If-Modified-Since",
        "in": "header",
        "required": False,
        "description": (
            "An HTTP date: 304 when `Last-Modified` is not later (ignored when `If-None-Match` "
            "is given)"
        ),
        "schema": {"type": "string"},
        "examples": {"export 17 completed": {"value": "Wed, 05 Jun 2019 21:40:31 GMT"}},
    },
]


def _header(description: str) -> dict[str, Any]:
    return {"description": description, "required": True, "schema": {"type": "string"}}


# Documented once under components/headers, referred to by name from the responses.
HEADERS = {
    "version": _header("The UForge version the server impersonates"),
    "ETag": _header("Strong, quoted; differs between the XML and the JSON form"),
    "Last-Modified": _header("When the object reached the state shown (an HTTP date)"),
    "Cache-Control": _header("`private, no-cache`: stored copies must be revalidated"),
    "Vary": _header("`Accept`"),
    "Content-Disposition": _header('`attachment; filename="<name>-<version>.tar.gz"`'),
    "Location": _header("The absolute URL of the new export"),
    "WWW-Authenticate": _header('`Basic realm="UForge"`'),
    "Retry-After": _header("Seconds to wait before trying again"),
}
CACHE_HEADERS = ("ETag", "Last-Modified", "Cache-Control")
RESPONSE_HEADERS = {
    "201": ("Location",),
    "401": ("WWW-Authenticate",),
    "503": ("Retry-After",),
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
    for path, path_item in document.get("paths", {}).items():
        for operation in path_item.values():
            _declare_path_parameters(path, operation)
            operation.get("responses", {}).pop("422", None)
            examples = {
                **PARAMETER_EXAMPLES,
                **OPERATION_EXAMPLES.get(operation["operationId"], {}),
            }
            for parameter in operation.get("parameters", []):
                if parameter["name"] in PARAMETER_DESCRIPTIONS:
                    parameter["description"] = PARAMETER_DESCRIPTIONS[parameter["name"]]
                if parameter["name"] in PARAMETER_SCHEMAS:
                    parameter["schema"] = PARAMETER_SCHEMAS[parameter["name"]]
                if parameter["name"] in examples:
                    parameter["examples"] = {
                        name: {"value": value}
                        for name, value in examples[parameter["name"]].items()
                    }
            if operation.get("operationId") not in PUBLIC_OPERATIONS:
                operation["security"] = [{"basicAuth": []}]
            _document_headers(operation)
    components = document.setdefault("components", {})
    schemas = components.get("schemas", {})
    for generated in ("HTTPValidationError", "ValidationError"):
        schemas.pop(generated, None)
    schemas.update(RECURSIVE_SCHEMAS)
    components["schemas"] = schemas
    if not schemas:
        components.pop("schemas", None)
    components["headers"] = HEADERS
    components["securitySchemes"] = {
        "basicAuth": {"type": "http", "scheme": "basic", "description": "login and password"}
    }
    return document


def _declare_path_parameters(path: str, operation: dict[str, Any]) -> None:
    """The hot routes read their ids from the path themselves (no FastAPI parameters, see
    app/api/deps.py), so the document declares them here, first and in path order."""
    declared = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "path"}
    missing = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "string", "title": name.capitalize()},
        }
        for name in re.findall(r"{(\w+)}", path)
        if name not in declared
    ]
    if missing:
        operation["parameters"] = [*missing, *operation.get("parameters", [])]


def _document_headers(operation: dict[str, Any]) -> None:
    responses = operation["responses"]
    conditional = "304" in responses
    negotiated = "application/json" in responses.get("200", {}).get("content", {})
    if conditional:
        operation.setdefault("parameters", []).extend(CONDITIONAL_PARAMETERS)
    for code, response in responses.items():
        names = ["version", *RESPONSE_HEADERS.get(code, ())]
        if conditional and code in ("200", "304"):
            names.extend(CACHE_HEADERS)
            # A download is the same archive whatever Accept says: an attachment, no Vary.
            names.append("Vary" if negotiated else "Content-Disposition")
        response["headers"] = {name: {"$ref": f"#/components/headers/{name}"} for name in names}


def install(app: FastAPI) -> None:
    """Serve this document at /openapi.json instead of FastAPI's raw one, and the pages that
    show it (/docs, /redoc) with their assets served here (`doc_pages`)."""
    doc_pages.install(app)

    def cached() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = openapi_document(app)
        return app.openapi_schema

    app.openapi = cached  # type: ignore[method-assign]
