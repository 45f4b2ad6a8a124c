"""A user, the orgs they belong to, and an org's categories: what hammr's `user info` and
`bundle categories` read.

`GET /users/{uid}` and `GET /users/{uid}/orgs` need credentials and no entitlement (the
caller's own paths, or an admin's); `GET /orgs/{oid}/categories` needs neither, as on the
platform (its page: "Requires Authentication: false").
"""

from datetime import datetime

from fastapi import APIRouter, Request
from sqlalchemy import Connection, select
from starlette.responses import Response

from uforge_mock.api.deps import parse_id, path_user, runtime_of
from uforge_mock.api.docs import document_responses, get_and_head
from uforge_mock.api.routes.my_software import list_read_at
from uforge_mock.api.search import SEARCH_PARAMETERS, criteria_of
from uforge_mock.api.views import categories, orgs, user
from uforge_mock.store import library, queries
from uforge_mock.wire.digest import content_digest
from uforge_mock.wire.errors import OrgNotFound
from uforge_mock.wire.responses import document_response, require_acceptable
from uforge_mock.wire.schemas import Categories, Orgs, User

router = APIRouter(tags=["users and orgs"])

ORG_PARAMETER = {
    "name": "oid",
    "in": "path",
    "required": True,
    "description": "the dbId of the org (a positive integer; anything else answers 404)",
    "schema": {"type": "string"},
    # The demo dataset's org (app/store/demo-seed.yml).
    "examples": {"UForge Demo": {"value": "1"}, "unknown (404)": {"value": "404"}},
}


def _created(connection: Connection, *, user_id: int) -> datetime | None:
    return connection.execute(
        select(queries.users.c.created).where(queries.users.c.id == user_id)
    ).scalar()


@get_and_head(
    router,
    "/users/{uid}",
    operation_id="user_get",
    summary="Retrieve a user",
    description="Requires credentials (the user's own, or an admin's); no entitlement.",
    responses=document_responses(User, errors=(401, 403, 404, 406)),
    response_class=Response,
)
async def user_get(request: Request) -> Response:
    record = await path_user(request, None)
    database = runtime_of(request).database
    created = await database.read(_created, user_id=record.id)
    member_of = await database.read(library.orgs_of, user_id=record.id)
    document = user(record, created, member_of)
    return document_response(
        request,
        document,
        digest=document.digest,
        last_modified=created,
    )


@get_and_head(
    router,
    "/users/{uid}/orgs",
    operation_id="userOrg_getAll",
    summary="List the orgs a user belongs to (the default org first)",
    description="Requires credentials (the user's own, or an admin's); no entitlement.",
    responses=document_responses(Orgs, errors=(401, 403, 404, 406)),
    response_class=Response,
)
async def user_orgs(request: Request) -> Response:
    record = await path_user(request, None)
    runtime = runtime_of(request)
    member_of = await runtime.database.read(library.orgs_of, user_id=record.id)
    document = orgs(member_of)
    items = document.orgs.org if document.orgs else []
    return document_response(
        request,
        document,
        digest=content_digest(len(items), *(item.digest for item in items)),
        last_modified=await list_read_at(runtime),
    )


@get_and_head(
    router,
    "/orgs/{oid}/categories",
    operation_id="category_getAll",
    summary="List the categories of an org",
    description=(
        "No authentication, as on the platform. `query` filters on `name` and `type` "
        "(hammr's `bundle categories` sends `type=='PROJECT'`)."
    ),
    responses=document_responses(Categories, errors=(400, 404, 406)),
    response_class=Response,
    openapi_extra={"parameters": [ORG_PARAMETER, *SEARCH_PARAMETERS]},
)
async def org_categories(request: Request) -> Response:
    oid = request.path_params["oid"]
    org_id = parse_id(oid)
    database = runtime_of(request).database
    org = None if org_id is None else await database.read(library.org_by_id, db_id=org_id)
    if org is None:
        raise OrgNotFound(f"No org {oid!r}", oid)
    require_acceptable(request)
    criteria = criteria_of(request, library.CATEGORY_COLUMNS)
    total, records = await database.read(library.categories_of, org_id=org.db_id, criteria=criteria)
    document = categories(total, records)
    items = document.categories.category if document.categories else []
    return document_response(
        request,
        document,
        digest=content_digest(total, *(item.digest for item in items)),
        last_modified=await list_read_at(runtime_of(request)),
    )
