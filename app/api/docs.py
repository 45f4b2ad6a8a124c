"""OpenAPI documentation of the UForge routes, derived from the wire schemas: one JSON Schema
per wire object (from `uforge_mock.wire.schemas`), both media types with rendered examples, the
304 and every error code a route can answer."""

import types
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

from fastapi import APIRouter

from uforge_mock.wire.negotiation import JSON, XML
from uforge_mock.wire.render import field_names
from uforge_mock.wire.render.json import to_plain
from uforge_mock.wire.render.xml import render_xml
from uforge_mock.wire.schemas import (
    Appliance,
    ApplianceExport,
    ApplianceExportItems,
    ApplianceExports,
    ApplianceImport,
    ApplianceImportItems,
    ApplianceImports,
    ApplianceItems,
    Appliances,
    Categories,
    Category,
    CategoryItems,
    ImageItems,
    Images,
    LocalizedMessage,
    MySoftware,
    MySoftwareItems,
    MySoftwareList,
    OpStatus,
    OpStatuses,
    Org,
    OrgItems,
    Orgs,
    Parameters,
    ServiceStatus,
    SoftwareBundleExport,
    SoftwareBundleImport,
    StatusItems,
    SubCategories,
    UForgeError,
    UriList,
    User,
    WireObject,
)

F = TypeVar("F", bound=Callable[..., Any])

_EXAMPLE_TIME = datetime(2019, 6, 5, 21, 40, 12, tzinfo=UTC)
_EXPORT = "users/guest/mysoftware/918/exports/17"
_EXAMPLE_STATUS = OpStatus(
    created=_EXAMPLE_TIME,
    dbId=17,
    digest="3c1f0b6a9d2e4f5a8b7c6d5e4f3a2b1c",
    lastModified=_EXAMPLE_TIME.replace(second=20),
    cancelled=False,
    complete=False,
    error=False,
    message="Creating archive",
    parentUri=_EXPORT,
    percentage=40,
    uri=f"{_EXPORT}/status",
)
EXAMPLES: dict[type[WireObject], WireObject] = {
    OpStatus: _EXAMPLE_STATUS,
    ServiceStatus: ServiceStatus(alive=True, version="3.8.13", serviceLoad=0),
    SoftwareBundleExport: SoftwareBundleExport(
        created=_EXAMPLE_TIME,
        dbId=17,
        digest="7e6d5c4b3a2918f7e6d5c4b3a2918f70",
        lastModified=_EXAMPLE_TIME,
        bundleName="Zabbix",
        bundleVersion="3.0.1",
        downloadUri=f"{_EXPORT}/downloads",
        parentUri="users/guest/mysoftware/918",
        status=_EXAMPLE_STATUS,
        uri=_EXPORT,
    ),
    MySoftware: MySoftware(
        created=_EXAMPLE_TIME,
        dbId=918,
        digest="b0bca8cf30c3109611297a60f90d85d2",
        lastModified=_EXAMPLE_TIME,
        name="Zabbix",
        version="3.0.1",
        restricted=False,
        size=0,
        revision=1,
        uri="users/guest/mysoftware/918",
        exportUri="users/guest/mysoftware/918/exports",
        softwareArtifactUris=UriList(),
        applianceUris=UriList(),
        imported=False,
        generationEnabled=False,
    ),
}
_EXAMPLE_CATEGORY = Category(
    created=_EXAMPLE_TIME,
    dbId=11,
    digest="5d41402abc4b2a76b9719d911017c592",
    lastModified=_EXAMPLE_TIME,
    name="Monitoring",
    orgUri="orgs/1",
    subCategories=SubCategories(),
    subCategoryUri="orgs/1/categories/11/subcategories",
    uri="orgs/1/categories/11",
    type="PROJECT",
)
EXAMPLES[MySoftwareList] = MySoftwareList(
    total=1,
    mySoftwareList=MySoftwareItems(mySoftware=[EXAMPLES[MySoftware]]),  # type: ignore[list-item]
)
EXAMPLES[Categories] = Categories(total=1, categories=CategoryItems(category=[_EXAMPLE_CATEGORY]))
EXAMPLES[Orgs] = Orgs(
    total=1,
    orgs=OrgItems(
        org=[
            Org(
                created=_EXAMPLE_TIME,
                dbId=1,
                digest="6f1ed002ab5595859014ebf0951522d9",
                lastModified=_EXAMPLE_TIME,
                activateNewUsers=False,
                admin=False,
                appliancesUri="orgs/1/appliances",
                categoriesUri="orgs/1/categories",
                defaultOrg=True,
                membersUri="orgs/1/members",
                name="UForge Demo",
                uri="orgs/1",
            )
        ]
    ),
)
EXAMPLES[User] = User(
    created=_EXAMPLE_TIME,
    dbId=1,
    digest="0cc175b9c0f1b6a831c399e269772661",
    lastModified=_EXAMPLE_TIME,
    loginName="guest",
    active=True,
    admin=False,
    baseMySoftwareLibraryUri="users/guest/mysoftware",
    baseOrgsUri="users/guest/orgs",
    name="guest",
    orgUris=UriList(uri=["orgs/1"]),
    uri="users/guest",
)
EXAMPLES[SoftwareBundleImport] = SoftwareBundleImport(
    created=_EXAMPLE_TIME,
    dbId=5,
    digest="92eb5ffee6ae2fec3ad71c777531578f",
    lastModified=_EXAMPLE_TIME,
    status=_EXAMPLE_STATUS,
    uploaded=True,
    parentUri="users/guest/bundleimports",
    referenceUri="users/guest/mysoftware/920",
    uploadUri="users/guest/bundleimports/5/uploads",
    statusUri="users/guest/bundleimports/5/status",
    imported=True,
    uri="users/guest/bundleimports/5",
)
_APPLIANCE = "users/guest/appliances/7"
_APPLIANCE_EXPORT = f"{_APPLIANCE}/exports/21"
_APPLIANCE_STATUS = OpStatus(
    created=_EXAMPLE_TIME,
    dbId=21,
    digest="5a2f0c1d9e8b7a6f5e4d3c2b1a0f9e8d",
    lastModified=_EXAMPLE_TIME.replace(second=20),
    cancelled=False,
    complete=False,
    error=False,
    message="Creating archive",
    parentUri=_APPLIANCE_EXPORT,
    percentage=40,
    uri=f"{_APPLIANCE_EXPORT}/status",
)
EXAMPLES[Appliance] = Appliance(
    created=_EXAMPLE_TIME,
    dbId=7,
    digest="1f3870be274f6c49b3e31a0c6728957f",
    lastModified=_EXAMPLE_TIME,
    archName="x86_64",
    baseCloneUri=f"{_APPLIANCE}/clones",
    description="A CentOS base with monitoring",
    distributionName="CentOS 7",
    exportsUri=f"{_APPLIANCE}/exports",
    imageUris=UriList(),
    imported=False,
    mySoftwareUris=UriList(uri=["users/guest/mysoftware/918"]),
    name="CentOS Core",
    nbUpdates=0,
    shared=False,
    uri=_APPLIANCE,
    version="1.0",
)
EXAMPLES[Appliances] = Appliances(
    total=1,
    appliances=ApplianceItems(appliance=[EXAMPLES[Appliance]]),  # type: ignore[list-item]
)
EXAMPLES[ApplianceExport] = ApplianceExport(
    created=_EXAMPLE_TIME,
    dbId=21,
    digest="8d777f385d3dfec8815d20f7496026dc",
    lastModified=_EXAMPLE_TIME.replace(second=20),
    applianceName="CentOS Core",
    applianceVersion="1.0",
    downloadUri=f"{_APPLIANCE_EXPORT}/downloads",
    parentUri=_APPLIANCE,
    status=_APPLIANCE_STATUS,
    uri=_APPLIANCE_EXPORT,
)
EXAMPLES[ApplianceExports] = ApplianceExports(
    total=1,
    applianceExports=ApplianceExportItems(
        applianceExport=[EXAMPLES[ApplianceExport]]  # type: ignore[list-item]
    ),
)
EXAMPLES[OpStatuses] = OpStatuses(total=1, statuses=StatusItems(status=[_APPLIANCE_STATUS]))
EXAMPLES[ApplianceImport] = ApplianceImport(
    created=_EXAMPLE_TIME,
    dbId=3,
    digest="e4da3b7fbbce2345d7772b0674a318d5",
    lastModified=_EXAMPLE_TIME,
    status=_EXAMPLE_STATUS,
    uploaded=True,
    useMajor=False,
    reuseBundles=False,
    force_rw=False,
    imported=True,
    parentUri="users/guest/imports",
    referenceUri="users/guest/appliances/8",
    uploadUri="users/guest/imports/3/uploads",
    uri="users/guest/imports/3",
)
EXAMPLES[ApplianceImports] = ApplianceImports(
    total=1,
    applianceImports=ApplianceImportItems(
        applianceImport=[EXAMPLES[ApplianceImport]]  # type: ignore[list-item]
    ),
)
EXAMPLES[Images] = Images(total=0, images=ImageItems())
ERROR_DESCRIPTIONS = {
    400: ("Bad request (an invalid query parameter)", "mock.error.bad_request"),
    401: ("Authentication failed (missing or wrong credentials)", "mock.error.unauthorized"),
    403: (
        "Not the caller's own path, or a missing entitlement",
        "mock.error.forbidden.entitlement",
    ),
    404: (
        "Unknown (or not the caller's) object named in the path",
        "mock.error.notfound.mysoftware",
    ),
    405: ("Method not allowed on this path", "mock.error.method_not_allowed"),
    406: (
        "Neither application/xml nor application/json is acceptable",
        "mock.error.not_acceptable",
    ),
    409: (
        "Not in a state for this: an export not complete yet, an import's archive uploaded already",
        "mock.error.conflict.export_not_complete",
    ),
    413: ("The request body is too large (UFORGE_MOCK_MAX_BODY_BYTES)", "mock.error.limit.body"),
    415: (
        "The request body is neither XML nor JSON (Content-Type)",
        "mock.error.unsupported_media_type",
    ),
    431: (
        "The request headers are too large (UFORGE_MOCK_MAX_HEADER_BYTES)",
        "mock.error.limit.headers",
    ),
    500: ("Unexpected failure", "mock.error.internal"),
    503: (
        "Busy (too many credential checks or connections, or a seed holds the store) or the "
        "store out of reach: try again after Retry-After",
        "mock.error.unavailable",
    ),
}


# The wire types that hold themselves (a category's subcategories, a directory's files):
# their schema is written once under components/schemas and referred to from within.
RECURSIVE_SCHEMAS: dict[str, dict[str, Any]] = {}


def json_schema(cls: type[WireObject], _within: tuple[type, ...] = ()) -> dict[str, Any]:
    """The JSON Schema of `cls`'s JSON form (without the root wrapper)."""
    if cls in _within:
        if cls.__name__ not in RECURSIVE_SCHEMAS:
            RECURSIVE_SCHEMAS[cls.__name__] = {}  # taken before it is built: no loop
            RECURSIVE_SCHEMAS[cls.__name__] = json_schema(cls)
        return {"$ref": f"#/components/schemas/{cls.__name__}"}
    hints = get_type_hints(cls)
    properties = {name: _type_schema(hints[name], (*_within, cls)) for name in field_names(cls)}
    return {"type": "object", "properties": properties, "additionalProperties": False}


def _type_schema(annotation: Any, within: tuple[type, ...]) -> dict[str, Any]:
    if get_origin(annotation) in (Union, types.UnionType):
        (annotation,) = [arg for arg in get_args(annotation) if arg is not type(None)]
    if get_origin(annotation) is list:
        return {"type": "array", "items": _type_schema(get_args(annotation)[0], within)}
    if isinstance(annotation, type) and issubclass(annotation, WireObject):
        return json_schema(annotation, within)
    simple = {
        bool: {"type": "boolean"},
        int: {"type": "integer"},
        str: {"type": "string"},
        datetime: {"type": "string", "format": "date-time"},
    }
    return simple[annotation]


def document_schema(cls: type[WireObject]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {cls.root: json_schema(cls)},
        "required": [cls.root],
        "additionalProperties": False,
    }


def _content(example: WireObject) -> dict[str, Any]:
    cls = type(example)
    return {
        XML: {
            "schema": {"type": "string", "description": f"a `{cls.root}` document"},
            "example": render_xml(example).decode(),
        },
        JSON: {"schema": document_schema(cls), "example": {cls.root: to_plain(example)}},
    }


def _error_example(status_code: int) -> UForgeError:
    message, message_id = ERROR_DESCRIPTIONS[status_code]
    return UForgeError(
        localizedErrorMsg=LocalizedMessage(
            message=message, messageId=message_id, parameters=Parameters()
        ),
        requestMethod="GET",
        requestUri="/api/users/guest/mysoftware/918/exports/17/status",
        statusCode=status_code,
        timestamp=_EXAMPLE_TIME,
    )


def document_responses(
    cls: type[WireObject],
    *,
    errors: Iterable[int],
    conditional: bool = True,
    success: int = 200,
    success_description: str = "The object, in the negotiated format",
) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route answering a `cls` document."""
    responses: dict[int | str, dict[str, Any]] = {
        success: {"description": success_description, "content": _content(EXAMPLES[cls])}
    }
    if conditional:
        responses[304] = {"description": "Not modified: the client's copy (ETag) is current"}
    responses.update(error_responses(errors))
    return responses


def error_responses(errors: Iterable[int]) -> dict[int | str, dict[str, Any]]:
    return {
        code: {
            "description": ERROR_DESCRIPTIONS[code][0],
            "content": _content(_error_example(code)),
        }
        # Any route may meet the server's limits (README, "Limits and hardening").
        for code in sorted({*errors, 431, 500, 503})
    }


def get_and_head(router: APIRouter, path: str, **options: Any) -> Callable[[F], F]:
    """Register a handler for GET (documented) and HEAD (same answer without a body)."""

    def register(handler: F) -> F:
        router.add_api_route(path, handler, methods=["GET"], **options)
        head_options = {k: v for k, v in options.items() if k in ("response_class", "tags")}
        router.add_api_route(
            path, handler, methods=["HEAD"], include_in_schema=False, **head_options
        )
        return handler

    return register
