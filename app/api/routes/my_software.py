"""The software library of a user: `/users/{uid}/mysoftware` and `/users/{uid}/mysoftware/{msid}`
(list, create, get, update, delete, clone).

Entitlements as the vendor's pages say: reading needs `appliance_create`; creating, updating,
cloning and deleting need `software_upload`.
"""

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from uforge_mock.api.deps import (
    APPLIANCE_CREATE,
    SOFTWARE_UPLOAD,
    my_software_of,
    path_user,
    runtime_of,
    valid_my_software,
)
from uforge_mock.api.docs import document_responses, error_responses, get_and_head
from uforge_mock.api.search import SEARCH_PARAMETERS, criteria_of
from uforge_mock.api.views import (
    my_software,
    my_software_digest,
    my_software_list,
    my_software_list_digest,
    my_software_uri,
)
from uforge_mock.platform.runtime import Runtime
from uforge_mock.store import library
from uforge_mock.store.queries import MySoftwareRecord
from uforge_mock.wire.bodies import read_document
from uforge_mock.wire.errors import BadRequest, MySoftwareNotFound
from uforge_mock.wire.responses import (
    document_response,
    no_content_response,
    require_acceptable,
)
from uforge_mock.wire.schemas import MySoftware, MySoftwareList

router = APIRouter(tags=["mySoftware"])

ITEM = "/users/{uid}/mysoftware/{msid}"
COLLECTION = "/users/{uid}/mysoftware"
# The longest name or version a client may give (the vendor's columns are 255 wide).
MAX_TEXT = 255


def _request_body(example: dict[str, str], *, create: bool = False) -> dict[str, Any]:
    """The `requestBody` of create, update and clone: a `mySoftware` in XML (as the SDK sends
    it) or JSON (wrapped as the platform answers it, or bare). Only what a client may set is
    described; other fields are ignored, as are unknown ones (hence no `additionalProperties:
    false`), and a JSON null is a field left out."""

    def kind(name: str, **constraints: Any) -> dict[str, Any]:
        return {"type": [name, "null"], **constraints}

    fields: dict[str, Any] = {
        "name": kind("string", minLength=1, maxLength=MAX_TEXT),
        "version": kind("string", maxLength=MAX_TEXT),
        **{
            name: kind("string")
            for name in (
                "description",
                "tag",
                "shortTag",
                "release",
                "defaultInstallLocation",
                "installLocation",
                "maintainer",
                "website",
            )
        },
        **{
            name: kind("boolean")
            for name in ("restricted", "formatDependent", "imported", "generationEnabled")
        },
        "category": kind(
            "object",
            description="A PROJECT category of one of the owner's orgs, by name or dbId",
            properties={
                "name": kind("string"),
                "dbId": kind("integer", minimum=-(2**63), maximum=2**63 - 1),
            },
        ),
    }
    software: dict[str, Any] = {"type": "object", "properties": fields}
    if create:
        software["required"] = ["name"]
    xml_example = "".join(f"<{name}>{value}</{name}>" for name, value in example.items())
    return {
        "required": True,
        "content": {
            "application/xml": {
                "schema": {"type": "string", "description": "a `mySoftware` document"},
                "example": (
                    '<ns1:mySoftware xmlns:ns1="http://www.usharesoft.com/uforge">'
                    f"{xml_example}</ns1:mySoftware>"
                ),
            },
            "application/json": {
                "schema": {"type": "object", "properties": {"mySoftware": software}},
                "example": {"mySoftware": example},
            },
        },
    }


async def list_read_at(runtime: Runtime) -> datetime:
    """A list's `Last-Modified`: when it was read. Its items' dates cannot say when one was
    deleted (the newest gone, they would go back, and an `If-Modified-Since` get a wrong 304),
    and an empty list has none; its ETag, the digest of its content, is the exact validator."""
    return await runtime.now()


async def _details(runtime: Runtime, software: MySoftwareRecord) -> library.SoftwareDetails:
    found = await runtime.database.read(library.software_details, db_ids=[software.db_id])
    return found.get(software.db_id, library.NO_DETAILS)


async def _answer(
    request: Request, software: MySoftwareRecord, *, status_code: int = 200
) -> Response:
    runtime = runtime_of(request)
    details = await _details(runtime, software)
    headers = {}
    if status_code == 201:
        prefix = request.url.path.split("/users/", 1)[0]
        uri = my_software_uri(software.owner_login, software.db_id)
        headers["Location"] = str(request.url.replace(path=f"{prefix}/{uri}", query=""))
    return document_response(
        request,
        lambda: my_software(software, details),
        digest=my_software_digest(software, details) if status_code == 200 else None,
        last_modified=software.last_modified if status_code == 200 else None,
        status_code=status_code,
        headers=headers,
    )


async def _fields(request: Request) -> dict[str, Any]:
    """The mySoftware fields of the request body, checked (after `require_acceptable`)."""
    require_acceptable(request)
    sent = read_document(await request.body(), request.headers.get("content-type"), MySoftware)
    for name in ("name", "version"):
        value = sent.get(name)
        if value is not None and len(value) > MAX_TEXT:
            raise BadRequest(f"{name} is longer than {MAX_TEXT} characters", name)
    return sent


async def _category(
    runtime: Runtime, user_id: int, sent: dict[str, Any]
) -> tuple[int | None, bool]:
    """(category id, whether the body named one): a body's `category` by name or dbId among
    the PROJECT categories of the owner's orgs."""
    wanted = sent.get("category")
    if not isinstance(wanted, dict) or not (wanted.get("name") or wanted.get("dbId")):
        return None, False
    found = await runtime.database.read(
        library.project_category,
        user_id=user_id,
        name=wanted.get("name"),
        db_id=wanted.get("dbId"),
    )
    if found is None:
        shown = wanted.get("name") or wanted.get("dbId")
        raise BadRequest(f"No PROJECT category {shown!r} in the orgs of the user", str(shown))
    return found, True


@get_and_head(
    router,
    COLLECTION,
    operation_id="mySoftware_getAll",
    summary="List the software components (mySoftware) of a user's software library",
    description=(
        "Requires the entitlement `appliance_create`. `total` counts every match; the page "
        "holds `count` of them from `offset`, in `orderBy` order."
    ),
    responses=document_responses(MySoftwareList, errors=(400, 401, 403, 404, 406)),
    response_class=Response,
    openapi_extra={"parameters": SEARCH_PARAMETERS},
)
async def my_software_get_all(request: Request) -> Response:
    owner = await path_user(request, APPLIANCE_CREATE)
    require_acceptable(request)
    criteria = criteria_of(request, library.MY_SOFTWARE_COLUMNS)
    runtime = runtime_of(request)
    page = await runtime.database.read(
        library.my_software_page, owner_id=owner.id, criteria=criteria
    )
    return document_response(
        request,
        lambda: my_software_list(page.total, page.items, page.details),
        digest=my_software_list_digest(page.total, page.items, page.details),
        last_modified=await list_read_at(runtime),
    )


@router.post(
    COLLECTION,
    operation_id="mySoftware_create",
    summary="Create a software component (mySoftware)",
    description=(
        "Requires the entitlement `software_upload`. The body is a `mySoftware` (XML or JSON) "
        "with at least a `name`; a `category` names a PROJECT category of the user's orgs."
    ),
    status_code=201,
    responses=document_responses(
        MySoftware,
        errors=(400, 401, 403, 404, 406, 413, 415),
        conditional=False,
        success=201,
        success_description="The new mySoftware",
    ),
    response_class=Response,
    openapi_extra={"requestBody": _request_body({"name": "Nagios", "version": "4.4"}, create=True)},
)
async def my_software_create(request: Request) -> Response:
    owner = await path_user(request, SOFTWARE_UPLOAD)
    runtime = runtime_of(request)
    sent = await _fields(request)
    if not sent.get("name"):
        raise BadRequest("A new mySoftware needs a name", "name")
    category_id, _ = await _category(runtime, owner.id, sent)
    db_id = await runtime.database.write(
        library.create_my_software,
        owner_id=owner.id,
        values=library.settable_fields(sent),
        category_id=category_id,
        now=await runtime.now(),
    )
    created = await my_software_of(runtime, owner.login, str(db_id))
    return await _answer(request, created, status_code=201)


@get_and_head(
    router,
    ITEM,
    operation_id="mySoftware_get",
    summary="Retrieve a software component (mySoftware)",
    description="Requires the entitlement `appliance_create`.",
    responses=document_responses(MySoftware, errors=(401, 403, 404, 406)),
    response_class=Response,
)
async def my_software_get(request: Request) -> Response:
    software = await valid_my_software(request, APPLIANCE_CREATE)
    return await _answer(request, software)


@router.put(
    ITEM,
    operation_id="mySoftware_update",
    summary="Update the metadata of a software component (mySoftware)",
    description=(
        "Requires the entitlement `software_upload`. Only the fields the body holds change; "
        "`revision` goes up by one."
    ),
    responses=document_responses(
        MySoftware,
        errors=(400, 401, 403, 404, 406, 413, 415),
        conditional=False,
        success_description="The updated mySoftware",
    ),
    response_class=Response,
    openapi_extra={"requestBody": _request_body({"description": "Zabbix agent 3.0"})},
)
async def my_software_update(request: Request) -> Response:
    software = await valid_my_software(request, SOFTWARE_UPLOAD)
    runtime = runtime_of(request)
    sent = await _fields(request)
    if "name" in sent and not sent["name"]:
        raise BadRequest("A mySoftware's name cannot be empty", "name")
    category_id, named = await _category(runtime, software.owner_id, sent)
    updated = await runtime.database.write(
        library.update_my_software,
        db_id=software.db_id,
        values=library.settable_fields(sent),
        category_id=category_id,
        set_category=named,
        now=await runtime.now(),
    )
    if not updated:  # deleted meanwhile
        raise MySoftwareNotFound.for_id(str(software.db_id), software.owner_login)
    changed = await my_software_of(runtime, software.owner_login, str(software.db_id))
    return await _answer(request, changed)


@router.delete(
    ITEM,
    operation_id="mySoftware_delete",
    summary="Delete a software component (mySoftware), its files and its exports",
    description="Requires the entitlement `software_upload`.",
    status_code=204,
    responses={204: {"description": "Deleted"}, **error_responses((401, 403, 404, 413))},
    response_class=Response,
)
async def my_software_delete(request: Request) -> Response:
    software = await valid_my_software(request, SOFTWARE_UPLOAD)
    deleted = await runtime_of(request).database.write(
        library.delete_my_software, db_id=software.db_id
    )
    if not deleted:
        raise MySoftwareNotFound.for_id(str(software.db_id), software.owner_login)
    return no_content_response()


@router.post(
    ITEM + "/clone",
    operation_id="mySoftware_clone",
    summary="Clone a software component (mySoftware)",
    description=(
        "Requires the entitlement `software_upload`. The body is a `mySoftware` whose fields "
        "(usually `name` and `version`) replace the original's in the clone; the clone has "
        "the original's category, files, license and logo."
    ),
    status_code=201,
    responses=document_responses(
        MySoftware,
        errors=(400, 401, 403, 404, 406, 413, 415),
        conditional=False,
        success=201,
        success_description="The clone",
    ),
    response_class=Response,
    openapi_extra={"requestBody": _request_body({"name": "Zabbix copy", "version": "3.0.2"})},
)
async def my_software_clone(request: Request) -> Response:
    software = await valid_my_software(request, SOFTWARE_UPLOAD)
    runtime = runtime_of(request)
    sent = await _fields(request)
    if "name" in sent and not sent["name"]:
        raise BadRequest("A mySoftware's name cannot be empty", "name")
    clone_id = await runtime.database.write(
        library.clone_my_software,
        db_id=software.db_id,
        values=library.settable_fields(sent),
        now=await runtime.now(),
    )
    if clone_id is None:
        raise MySoftwareNotFound.for_id(str(software.db_id), software.owner_login)
    clone = await my_software_of(runtime, software.owner_login, str(clone_id))
    return await _answer(request, clone, status_code=201)
