"""`GET /status`: the platform's service status; no authentication (clients call it first)."""

from fastapi import APIRouter, Request
from starlette.responses import Response

from uforge_mock.api.deps import runtime_of
from uforge_mock.api.docs import document_responses, get_and_head
from uforge_mock.api.views import service_status
from uforge_mock.wire.responses import document_response
from uforge_mock.wire.schemas import ServiceStatus

router = APIRouter(tags=["platform"])


@get_and_head(
    router,
    "/status",
    operation_id="uforgeStatus_get",
    summary="Service status of the platform (no authentication)",
    responses=document_responses(ServiceStatus, errors=(406,), conditional=False),
    response_class=Response,
)
async def uforge_status_get(request: Request) -> Response:
    document = service_status(runtime_of(request).settings.platform_version)
    return document_response(request, document, cache_control="no-cache")
