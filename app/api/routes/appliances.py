"""A user's appliance templates: `/users/{uid}/appliances` (list), `/users/{uid}/appliances/{aid}`
(get, delete), `.../clones` (clone), and the user's machine images `/users/{uid}/images`.

Entitlements as the vendor's pages say: `appliance_create` for the appliances,
`image_generate` for the images.
"""

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from uforge_mock.api.appliance_views import (
    appliance,
    appliance_digest,
    appliance_list,
    appliance_list_digest,
    appliance_uri,
    no_images,
)
from uforge_mock.api.deps import APPLIANCE_CREATE, entitled_user, parse_id, path_user, runtime_of
from uforge_mock.api.docs import document_responses, error_responses, get_and_head
from uforge_mock.api.routes.my_software import list_read_at
from uforge_mock.api.search import SEARCH_PARAMETERS, criteria_of
from uforge_mock.platform.runtime import Runtime
from uforge_mock.store import appliances
from uforge_mock.store.appliances import ApplianceRecord
from uforge_mock.wire.bodies import read_document
from uforge_mock.wire.digest import content_digest
from uforge_mock.wire.errors import ApplianceNotFound, BadRequest
from uforge_mock.wire.responses import document_response, no_content_response, require_acceptable
from uforge_mock.wire.schemas import Appliance, Appliances, Images

router = APIRouter(tags=["appliances"])

ITEM = "/users/{uid}/appliances/{aid}"
COLLECTION = "/users/{uid}/appliances"
IMAGE_GENERATE = "image_generate"
# The longest name or version a client may give (the table's columns are 255 wide).
MAX_TEXT = 255


async def appliance_of(runtime: Runtime, uid: str, aid: str) -> ApplianceRecord:
    """The appliance `{aid}` owned by `{uid}`, or 404."""
    db_id = parse_id(aid)
    found = None
    if db_id is not None:
        found = await runtime.database.read(appliances.appliance_by_id, db_id=db_id)
    if found is None or found.owner_login != uid:
        raise ApplianceNotFound.for_id(aid, uid)
    return found


async def valid_appliance(request: Request) -> ApplianceRecord:
    """The appliance `{aid}` owned by `{uid}`, after the checks of `appliance_create`."""
    await entitled_user(request, APPLIANCE_CREATE)
    params = request.path_params
    return await appliance_of(runtime_of(request), params["uid"], params["aid"])


def _answer(request: Request, record: ApplianceRecord, *, status_code: int = 200) -> Response:
    headers = {}
    if status_code == 201:
        prefix = request.url.path.split("/users/", 1)[0]
        uri = appliance_uri(record.owner_login, record.db_id)
        headers["Location"] = str(request.url.replace(path=f"{prefix}/{uri}", query=""))
    return document_response(
        request,
        lambda: appliance(record),
        digest=appliance_digest(record) if status_code == 200 else None,
        last_modified=record.last_modified if status_code == 200 else None,
        status_code=status_code,
        headers=headers,
    )


@get_and_head(
    router,
    COLLECTION,
    operation_id="appliance_getAll",
    summary="List the appliance templates of a user",
    description=(
        "Requires the entitlement `appliance_create`. `total` counts every match; the page "
        "holds `count` of them from `offset`, in `orderBy` order (`hammr template list`)."
    ),
    responses=document_responses(Appliances, errors=(400, 401, 403, 404, 406)),
    response_class=Response,
    openapi_extra={"parameters": SEARCH_PARAMETERS},
)
async def appliance_get_all(request: Request) -> Response:
    owner = await path_user(request, APPLIANCE_CREATE)
    require_acceptable(request)
    criteria = criteria_of(request, appliances.APPLIANCE_COLUMNS)
    runtime = runtime_of(request)
    page = await runtime.database.read(
        appliances.appliance_page, owner_id=owner.id, criteria=criteria
    )
    return document_response(
        request,
        lambda: appliance_list(page.total, page.items),
        digest=appliance_list_digest(page.total, page.items),
        last_modified=await list_read_at(runtime),
    )


@get_and_head(
    router,
    ITEM,
    operation_id="appliance_get",
    summary="Retrieve an appliance template",
    description="Requires the entitlement `appliance_create`.",
    responses=document_responses(Appliance, errors=(401, 403, 404, 406)),
    response_class=Response,
)
async def appliance_get(request: Request) -> Response:
    return _answer(request, await valid_appliance(request))


@router.delete(
    ITEM,
    operation_id="appliance_delete",
    summary="Delete an appliance template and its exports",
    description=(
        "Requires the entitlement `appliance_create`. The mySoftware it holds stay; its id is "
        "never handed out again. The vendor's `force` query parameter is accepted and has no "
        "effect (no image depends on a template here)."
    ),
    status_code=204,
    responses={204: {"description": "Deleted"}, **error_responses((401, 403, 404, 413))},
    response_class=Response,
)
async def appliance_delete(request: Request) -> Response:
    record = await valid_appliance(request)
    deleted = await runtime_of(request).database.write(
        appliances.delete_appliance, db_id=record.db_id
    )
    if not deleted:  # a concurrent delete won
        raise ApplianceNotFound.for_id(str(record.db_id), record.owner_login)
    return no_content_response()


def _clone_body() -> dict[str, Any]:
    def kind(name: str, **constraints: Any) -> dict[str, Any]:
        return {"type": [name, "null"], **constraints}

    fields = {
        "name": kind("string", minLength=1, maxLength=MAX_TEXT),
        "version": kind("string", maxLength=MAX_TEXT),
        "description": kind("string"),
        "shared": kind("boolean"),
    }
    return {
        "required": True,
        "content": {
            "application/xml": {
                "schema": {"type": "string", "description": "an `appliance` document"},
                "example": (
                    '<ns1:appliance xmlns:ns1="http://www.usharesoft.com/uforge">'
                    "<name>CentOS Core copy</name><version>1.1</version></ns1:appliance>"
                ),
            },
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {"appliance": {"type": "object", "properties": fields}},
                },
                "example": {"appliance": {"name": "CentOS Core copy", "version": "1.1"}},
            },
        },
    }


@router.post(
    ITEM + "/clones",
    operation_id="appliance_clone",
    summary="Clone an appliance template",
    description=(
        "Requires the entitlement `appliance_create`. The body is an `appliance` whose fields "
        "(usually `name` and `version`, as `hammr template clone` sends) replace the "
        "original's in the clone; the clone holds the original's OS and bundles."
    ),
    status_code=201,
    responses=document_responses(
        Appliance,
        errors=(400, 401, 403, 404, 406, 413, 415),
        conditional=False,
        success=201,
        success_description="The clone",
    ),
    response_class=Response,
    openapi_extra={"requestBody": _clone_body()},
)
async def appliance_clone(request: Request) -> Response:
    record = await valid_appliance(request)
    runtime = runtime_of(request)
    require_acceptable(request)
    sent = read_document(await request.body(), request.headers.get("content-type"), Appliance)
    for name in ("name", "version"):
        value = sent.get(name)
        if value is not None and len(value) > MAX_TEXT:
            raise BadRequest(f"{name} is longer than {MAX_TEXT} characters", name)
    if "name" in sent and not sent["name"]:
        raise BadRequest("An appliance's name cannot be empty", "name")
    clone_id = await runtime.database.write(
        appliances.clone_appliance,
        db_id=record.db_id,
        values=appliances.settable_fields(sent),
        now=await runtime.now(),
    )
    if clone_id is None:  # deleted meanwhile
        raise ApplianceNotFound.for_id(str(record.db_id), record.owner_login)
    clone = await appliance_of(runtime, record.owner_login, str(clone_id))
    return _answer(request, clone, status_code=201)


@get_and_head(
    router,
    "/users/{uid}/images",
    operation_id="userMachineImage_getAll",
    summary="List the machine images of a user",
    description=(
        "Requires the entitlement `image_generate`. The mock generates no image yet "
        "(`hammr template build` is a later step): the list is empty. The vendor's `img` "
        "query parameter (image URIs to pick) is accepted."
    ),
    responses=document_responses(Images, errors=(401, 403, 404, 406)),
    response_class=Response,
)
async def user_machine_image_get_all(request: Request) -> Response:
    owner = await path_user(request, IMAGE_GENERATE)
    runtime = runtime_of(request)
    return document_response(
        request,
        no_images,
        digest=content_digest("images", owner.login),
        last_modified=await list_read_at(runtime),
    )
