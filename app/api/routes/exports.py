"""The software-bundle export family of a mySoftware: create, poll, download, delete."""

from fastapi import APIRouter, Request
from sqlalchemy.exc import IntegrityError
from starlette.responses import Response
from uforge_mock.api.deps import (
    SOFTWARE_UPLOAD,
    my_software_of,
    runtime_of,
    valid_export,
    valid_my_software,
)
from uforge_mock.api.docs import document_responses, error_responses, get_and_head
from uforge_mock.api.views import export_status, export_uri, software_bundle_export, status_digest
from uforge_mock.jobs.archive import BundleFacts, archive_filename, bundle_archive
from uforge_mock.jobs.simulation import export_state
from uforge_mock.store import queries as store
from uforge_mock.wire.digest import content_digest
from uforge_mock.wire.errors import BadRequest, ExportNotComplete, ExportNotFound
from uforge_mock.wire.responses import archive_response, document_response, no_content_response
from uforge_mock.wire.schemas import OpStatus, SoftwareBundleExport

router = APIRouter(tags=["mySoftware exports"])

EXPORTS_PATH = "/users/{uid}/mysoftware/{msid}/exports"
EXPORT_PATH = EXPORTS_PATH + "/{eid}"
OUTPUT_FORMATS = ("yaml", "json")
OUTPUT_FORMAT_PARAMETER = {
    "name": "outputFormat",
    "in": "query",
    "required": False,
    "description": "`yaml` (default) or `json`, case-insensitive; anything else is a 400",
    "schema": {"type": "string", "default": "yaml"},
}


@router.post(
    EXPORTS_PATH,
    operation_id="mySoftware_export",
    summary="Export a software bundle (starts an asynchronous export)",
    description=(
        "Requires the entitlement `software_upload`. Answers 201 with the new "
        "`softwareBundleExport` (its status embedded, in progress at 0 %) and a `Location` "
        "header. The export then progresses with the mock's clock; how long it takes and how it "
        "ends come from the mySoftware (seed fields `exportDuration`, `exportOutcome`) or the "
        "settings. The request body, if any, is ignored."
    ),
    status_code=201,
    responses=document_responses(
        SoftwareBundleExport,
        errors=(400, 401, 403, 404, 406),
        conditional=False,
        success=201,
        success_description="The export ticket, with its status",
    ),
    response_class=Response,
    openapi_extra={"parameters": [OUTPUT_FORMAT_PARAMETER]},
)
async def my_software_export(request: Request) -> Response:
    software = await valid_my_software(request, SOFTWARE_UPLOAD)
    runtime = runtime_of(request)
    output_format = request.query_params.get("outputFormat")
    chosen = "yaml" if output_format is None else output_format.lower()
    if chosen not in OUTPUT_FORMATS:
        raise BadRequest(
            f"Unsupported outputFormat {output_format!r}: use yaml or json", output_format or ""
        )
    settings = runtime.settings
    now = await runtime.now()
    try:
        export = await runtime.database.write(
            store.create_export,
            my_software_id=software.db_id,
            output_format=chosen,
            created=now,
            duration_seconds=(
                software.export_duration_seconds
                if software.export_duration_seconds is not None
                else settings.export_duration_seconds
            ),
            outcome=software.export_outcome or settings.export_outcome,
            percentage=settings.export_stop_percentage,
        )
    except IntegrityError:
        # The mySoftware went (a reset, a seed) between the checks and the insert: a 404,
        # as if the request had come a moment later. Anything else is a bug: a 500.
        params = request.path_params
        await my_software_of(runtime, params["uid"], params["msid"])
        raise
    state = export_state(export.facts, now)
    prefix = request.url.path.split("/users/", 1)[0]
    location = str(request.url.replace(path=f"{prefix}/{export_uri(export)}", query=""))
    return document_response(
        request,
        software_bundle_export(export, state),
        status_code=201,
        headers={"Location": location},
    )


@get_and_head(
    router,
    EXPORT_PATH + "/status",
    operation_id="mySoftwareExportStatus_get",
    summary="Retrieve the current status of exporting a software bundle",
    description=(
        "Requires the entitlement `software_upload`. The status moves with the mock's clock; "
        "`ETag` and `Last-Modified` allow conditional polling."
    ),
    responses=document_responses(OpStatus, errors=(401, 403, 404, 406)),
    response_class=Response,
)
async def my_software_export_status_get(request: Request) -> Response:
    export = await valid_export(request)
    runtime = runtime_of(request)
    state = export_state(export.facts, await runtime.now())
    return document_response(
        request,
        lambda: export_status(export, state),
        digest=status_digest(export, state),
        last_modified=state.last_modified,
        bodies=runtime.bodies,
    )


DOWNLOAD_RESPONSES = {
    200: {
        "description": (
            "The export's archive: a gzip-compressed tar holding `bundle.yml` (or "
            "`bundle.json`). Served whatever the `Accept` header says, never with a "
            "Content-Encoding."
        ),
        "content": {"application/gzip": {"schema": {"type": "string", "format": "binary"}}},
    },
    304: {"description": "Not modified: the client's copy (ETag) is current"},
    **error_responses((401, 403, 404, 409)),
}


@get_and_head(
    router,
    EXPORT_PATH + "/downloads",
    operation_id="mySoftwareExport_download",
    summary="Download the archive of a complete export",
    description="Requires the entitlement `software_upload`; 409 until the export is complete.",
    responses=DOWNLOAD_RESPONSES,
    response_class=Response,
)
async def my_software_export_download(request: Request) -> Response:
    export = await valid_export(request)
    runtime = runtime_of(request)
    state = export_state(export.facts, await runtime.now())
    if not state.complete:
        raise ExportNotComplete.for_id(export.facts.db_id)
    software = await runtime.database.read(store.my_software_by_id, db_id=export.my_software_id)
    if software is None:  # deleted between the two reads
        raise ExportNotFound.for_id(str(export.facts.db_id), str(export.my_software_id))
    bundle = BundleFacts(
        name=software.name,
        version=software.version,
        description=software.description,
        maintainer=software.maintainer,
        website=software.website,
        short_tag=software.short_tag,
    )
    body = bundle_archive(bundle, export.output_format, built=state.last_modified)
    return archive_response(
        request,
        body,
        filename=archive_filename(bundle),
        digest=content_digest(state.digest, body.hex()),
        last_modified=state.last_modified,
    )


@router.delete(
    EXPORT_PATH,
    operation_id="mySoftwareExport_delete",
    summary="Delete an export ticket (and its archive)",
    description="Requires the entitlement `software_upload`. Afterwards every route of the "
    "export answers 404; its id is never handed out again.",
    status_code=204,
    responses={204: {"description": "Deleted"}, **error_responses((401, 403, 404))},
    response_class=Response,
)
async def my_software_export_delete(request: Request) -> Response:
    export = await valid_export(request)
    runtime = runtime_of(request)
    deleted = await runtime.database.write(store.delete_export, db_id=export.facts.db_id)
    if not deleted:  # a concurrent delete won
        raise ExportNotFound.for_id(str(export.facts.db_id), str(export.my_software_id))
    return no_content_response()
