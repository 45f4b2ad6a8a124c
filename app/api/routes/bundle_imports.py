"""Bundle imports: `/users/{uid}/bundleimports` (what hammr's `bundle import` and `bundle create`
call). Entitlement `appliance_create` for every route, as the vendor's pages say.

    POST /users/{uid}/bundleimports?imported=   a ticket waiting for its archive (201)
    POST .../bundleimports/{sbid}/uploads       the archive, as the body -> its `status` (201)
    GET  .../bundleimports/{sbid}/status        the import's progress (ETag / 304)
    GET  .../bundleimports/{sbid}               the ticket; `referenceUri` names the new
                                                mySoftware once the import is complete

The archive is read as it is uploaded: spooled to a file under the data directory, then read
in one streaming pass (`uforge_mock.jobs.bundle_import`) within the configured limits. An
archive that cannot be imported ends the job in error with the reason in `errorMessage` and
`detailedErrorMsg`, and makes nothing. The job then runs with the mock's clock like an export.
"""

from datetime import datetime

from fastapi import APIRouter, Request
from starlette.responses import Response

from uforge_mock.api.bundles import new_software
from uforge_mock.api.deps import (
    APPLIANCE_CREATE,
    entitled_user,
    parse_id,
    path_user,
    runtime_of,
)
from uforge_mock.api.docs import document_responses, get_and_head
from uforge_mock.api.search import BOOLEAN_TEXT
from uforge_mock.api.uploads import (
    WAITING_MESSAGE,
    import_status,
    import_status_digest,
    query_flag,
    receive_upload,
)
from uforge_mock.jobs.bundle_import import ArchiveRefused, read_bundle_archive
from uforge_mock.jobs.simulation import BUNDLE_IMPORT, ExportState, export_state
from uforge_mock.store import imports
from uforge_mock.store.imports import AlreadyUploaded, ImportRecord
from uforge_mock.wire.digest import content_digest
from uforge_mock.wire.errors import BundleImportNotFound, Conflict
from uforge_mock.wire.responses import document_response, require_acceptable
from uforge_mock.wire.schemas import OpStatus, SoftwareBundleImport

router = APIRouter(tags=["bundle imports"])

COLLECTION = "/users/{uid}/bundleimports"
ITEM = COLLECTION + "/{sbid}"
# The control plane's listing shows a waiting ticket's message.
__all__ = ["WAITING_MESSAGE", "import_state", "router"]

IMPORTED_PARAMETER = {
    "name": "imported",
    "in": "query",
    "required": False,
    "description": (
        "`true` when the archive is an exported bundle (hammr's `bundle import`), `false` when "
        "it was built from a bundle file (`bundle create`; the default); case-insensitive, "
        "as hammr sends Python's `True`"
    ),
    "schema": BOOLEAN_TEXT,
}


def import_uri(record: ImportRecord) -> str:
    return f"users/{record.owner_login}/bundleimports/{record.db_id}"


def import_state(record: ImportRecord, now: datetime) -> ExportState | None:
    """The job's state, or None while it waits for its archive."""
    if record.uploaded is None:
        return None
    return export_state(record.facts, now, BUNDLE_IMPORT)


def status_document(record: ImportRecord, state: ExportState | None) -> OpStatus:
    return import_status(import_uri(record), record, state)


def status_digest(record: ImportRecord, state: ExportState | None) -> str:
    return import_status_digest(import_uri(record), record, state)


def import_document(record: ImportRecord, state: ExportState | None) -> SoftwareBundleImport:
    uri = import_uri(record)
    complete = state is not None and state.complete and record.my_software_id is not None
    return SoftwareBundleImport(
        created=record.created,
        dbId=record.db_id,
        digest=content_digest(status_digest(record, state), record.imported, complete),
        lastModified=state.last_modified if state else record.last_modified,
        size=record.archive_size,
        status=status_document(record, state),
        uploaded=record.uploaded is not None,
        uploadedTime=record.uploaded,
        parentUri=f"users/{record.owner_login}/bundleimports",
        referenceUri=(
            f"users/{record.owner_login}/mysoftware/{record.my_software_id}" if complete else None
        ),
        uploadUri=f"{uri}/uploads",
        statusUri=f"{uri}/status",
        imported=record.imported,
        uri=uri,
    )


async def valid_import(request: Request) -> ImportRecord:
    """The import `{sbid}` of `{uid}`, after the checks; or 404."""
    await entitled_user(request, APPLIANCE_CREATE)
    uid, sbid = request.path_params["uid"], request.path_params["sbid"]
    db_id = parse_id(sbid)
    record = None
    if db_id is not None:
        record = await runtime_of(request).database.read(imports.import_by_id, db_id=db_id)
    if record is None or record.owner_login != uid:
        raise BundleImportNotFound.for_id(sbid, uid)
    return record


@router.post(
    COLLECTION,
    operation_id="softwareBundle_import",
    summary="Create a bundle import ticket (then upload the archive to it)",
    description="Requires the entitlement `appliance_create`. The request body is ignored.",
    status_code=201,
    responses=document_responses(
        SoftwareBundleImport,
        errors=(400, 401, 403, 406, 413),
        conditional=False,
        success=201,
        success_description="The ticket, waiting for its archive",
    ),
    response_class=Response,
    openapi_extra={"parameters": [IMPORTED_PARAMETER]},
)
async def bundle_import_create(request: Request) -> Response:
    owner = await path_user(request, APPLIANCE_CREATE)
    require_acceptable(request)
    imported = query_flag(request, "imported")
    runtime = runtime_of(request)
    now = await runtime.now()
    record = await runtime.database.write(
        imports.create_import,
        owner_id=owner.id,
        imported=imported,
        now=now,
        duration=runtime.settings.import_duration_seconds,
    )
    prefix = request.url.path.split("/users/", 1)[0]
    location = str(request.url.replace(path=f"{prefix}/{import_uri(record)}", query=""))
    return document_response(
        request,
        import_document(record, None),
        status_code=201,
        headers={"Location": location},
    )


@router.post(
    ITEM + "/uploads",
    operation_id="softwareBundleImport_upload",
    summary="Upload the archive of a bundle import",
    description=(
        "Requires the entitlement `appliance_create`. The body is the archive (a gzip-compressed "
        "tar holding `bundle.yml` or `bundle.json` and the files it names), whatever the "
        "Content-Type says. Answers 201 with the import's `status`; an archive that cannot be "
        "imported makes the job end in error (its reason in `errorMessage` and "
        "`detailedErrorMsg`). One archive per ticket: a second upload is a 409."
    ),
    status_code=201,
    responses=document_responses(
        OpStatus,
        errors=(401, 403, 404, 406, 409, 413, 503),
        conditional=False,
        success=201,
        success_description="The import's status once the archive is in",
    ),
    response_class=Response,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    },
)
async def bundle_import_upload(request: Request) -> Response:
    record = await valid_import(request)
    require_acceptable(request)
    if record.uploaded is not None:
        raise Conflict.already_uploaded(record.db_id)
    upload = await receive_upload(request, read_bundle_archive)
    if upload.result is None:
        return await _record_upload(request, record, refused=upload.refused, size=upload.size)
    software = new_software(upload.result, imported=record.imported)
    return await _record_upload(request, record, software=software, size=upload.size)


async def _record_upload(
    request: Request,
    record: ImportRecord,
    *,
    size: int,
    software: imports.NewSoftware | None = None,
    refused: ArchiveRefused | None = None,
) -> Response:
    runtime = runtime_of(request)
    now = await runtime.now()
    try:
        if software is not None:
            updated = await runtime.database.write(
                imports.accept_upload,
                db_id=record.db_id,
                owner_id=record.owner_id,
                software=software,
                archive_size=size,
                now=now,
            )
        else:
            assert refused is not None
            updated = await runtime.database.write(
                imports.refuse_upload,
                db_id=record.db_id,
                archive_size=size,
                message=refused.message,
                detail=refused.detail,
                now=now,
            )
    except AlreadyUploaded:
        raise Conflict.already_uploaded(record.db_id) from None
    if updated is None:  # deleted meanwhile (a reset)
        raise BundleImportNotFound.for_id(str(record.db_id), record.owner_login)
    state = import_state(updated, now)
    return document_response(request, status_document(updated, state), status_code=201)


@get_and_head(
    router,
    ITEM + "/status",
    operation_id="softwareBundleImportStatus_get",
    summary="Retrieve the status of a bundle import",
    description=(
        "Requires the entitlement `appliance_create`. Before the upload the import waits at "
        "0 %; then it moves with the mock's clock (`UFORGE_MOCK_IMPORT_DURATION_SECONDS`)."
    ),
    responses=document_responses(OpStatus, errors=(401, 403, 404, 406)),
    response_class=Response,
)
async def bundle_import_status(request: Request) -> Response:
    record = await valid_import(request)
    state = import_state(record, await runtime_of(request).now())
    return document_response(
        request,
        lambda: status_document(record, state),
        digest=status_digest(record, state),
        last_modified=state.last_modified if state else record.last_modified,
    )


@get_and_head(
    router,
    ITEM,
    operation_id="softwareBundleImport_get",
    summary="Retrieve a bundle import ticket",
    description=(
        "Requires the entitlement `appliance_create`. `referenceUri` names the mySoftware the "
        "import made, once it is complete."
    ),
    responses=document_responses(SoftwareBundleImport, errors=(401, 403, 404, 406)),
    response_class=Response,
)
async def bundle_import_get(request: Request) -> Response:
    record = await valid_import(request)
    state = import_state(record, await runtime_of(request).now())
    document = import_document(record, state)
    return document_response(
        request,
        document,
        digest=document.digest,
        last_modified=document.lastModified,
    )
