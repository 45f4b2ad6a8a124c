"""`GET /users/{uid}/mysoftware/{msid}`: one mySoftware (entitlement `appliance_create`)."""

from fastapi import APIRouter, Request
from starlette.responses import Response

from uforge_mock.api.deps import APPLIANCE_CREATE, runtime_of, valid_my_software
from uforge_mock.api.docs import document_responses, get_and_head
from uforge_mock.api.views import my_software, my_software_digest
from uforge_mock.wire.responses import document_response
from uforge_mock.wire.schemas import MySoftware

router = APIRouter(tags=["mySoftware"])


@get_and_head(
    router,
    "/users/{uid}/mysoftware/{msid}",
    operation_id="mySoftware_get",
    summary="Retrieve a software component (mySoftware)",
    description="Requires the entitlement `appliance_create`.",
    responses=document_responses(MySoftware, errors=(401, 403, 404, 406)),
    response_class=Response,
)
async def my_software_get(request: Request) -> Response:
    software = await valid_my_software(request, APPLIANCE_CREATE)
    return document_response(
        request,
        lambda: my_software(software),
        digest=my_software_digest(software),
        last_modified=software.last_modified,
        bodies=runtime_of(request).bodies,
    )
