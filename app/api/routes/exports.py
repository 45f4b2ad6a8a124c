"""The software-bundle export family of a mySoftware."""

from fastapi import APIRouter, Request
from starlette.responses import Response

from app.api.deps import ExportTicketDep, RuntimeDep
from app.api.docs import document_responses, get_and_head
from app.responses import document_response
from app.schemas import OpStatus
from app.simulation import export_state
from app.views import export_status

router = APIRouter(tags=["mySoftware exports"])

STATUS_PATH = "/users/{uid}/mysoftware/{msid}/exports/{eid}/status"


@get_and_head(
    router,
    STATUS_PATH,
    operation_id="mySoftwareExportStatus_get",
    summary="Retrieve the current status of exporting a software bundle",
    description=(
        "Requires authentication and the entitlement `software_upload`. The status moves with "
        "the mock's clock; `ETag` and `Last-Modified` allow conditional polling."
    ),
    responses=document_responses(OpStatus, errors=(401, 403, 404, 406)),
    response_class=Response,
)
async def my_software_export_status_get(
    request: Request, export: ExportTicketDep, runtime: RuntimeDep
) -> Response:
    state = export_state(export.facts, runtime.clock.now())
    return document_response(
        request,
        export_status(export, state),
        digest=state.digest,
        last_modified=state.last_modified,
    )
