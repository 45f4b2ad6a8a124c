"""Appliance imports: `/users/{uid}/imports` (what hammr's `template import` and `template
create` call). Entitlement `appliance_create` for every route, as the vendor's pages say.

    POST /users/{uid}/imports?imported=&force=&reuseBundles=&useMajor=
                                          a ticket waiting for its archive (201)
    POST .../imports/{iid}/uploads        the archive, as the body -> its `status` (201)
    GET  .../imports/{iid}/status         the import's progress (ETag / 304)
    GET  .../imports/{iid}                the ticket; `referenceUri` names the new appliance
                                          once the import is complete
    GET  /users/{uid}/imports             the user's tickets (search criteria, paged)
    GET  /users/{uid}/imports/statuses    their statuses (`?ai=URI` keeps those named)
    DELETE .../imports/{iid}              the ticket goes (the appliance it made stays)

Both hammr commands upload a gzip-compressed tar holding `template.yml` or `template.json`
(`template create` packs the user's file, and any `config` scripts it names, into one): the
archive is received and read as a bundle import's is (`api.uploads`,
`jobs.template_archive`). A template that cannot be imported (a bad archive, a bundle the
user does not have, a template that exists already without `force`) ends the job in error
with the reason in `errorMessage` and `detailedErrorMsg`, and makes nothing. `reuseBundles`
and `useMajor` are kept on the ticket: the mock's templates name their bundles by reference
(always reused) and it has no catalogue of OS versions.
"""

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from uforge_mock.api.deps import (
    APPLIANCE_CREATE,
    entitled_user,
    parse_id,
    path_user,
    runtime_of,
)
from uforge_mock.api.docs import document_responses, error_responses, get_and_head
from uforge_mock.api.routes.my_software import list_read_at
from uforge_mock.api.search import BOOLEAN_TEXT, SEARCH_PARAMETERS, criteria_of
from uforge_mock.api.statuses import listing_digest, statuses_response, uri_filter_parameter
from uforge_mock.api.template_imports import (
    TemplateRefused,
    existing_template_detail,
    missing_bundles_detail,
    new_appliance,
)
from uforge_mock.api.uploads import (
    import_status,
    import_status_digest,
    query_flag,
    receive_upload,
)
from uforge_mock.jobs.simulation import APPLIANCE_IMPORT, ExportState, export_state
from uforge_mock.jobs.template_archive import REFUSED, read_template_archive
from uforge_mock.platform.runtime import Runtime
from uforge_mock.store import appliance_imports
from uforge_mock.store.appliance_imports import (
    APPLIANCE_IMPORT_COLUMNS,
    ApplianceExists,
    ApplianceImportRecord,
    ImportFlags,
    MissingBundles,
    NewAppliance,
)
from uforge_mock.store.imports import AlreadyUploaded
from uforge_mock.wire.digest import content_digest
from uforge_mock.wire.errors import ApplianceImportNotFound, Conflict
from uforge_mock.wire.responses import (
    document_response,
    no_content_response,
    require_acceptable,
)
from uforge_mock.wire.schemas import (
    ApplianceImport,
    ApplianceImportItems,
    ApplianceImports,
    OpStatus,
    OpStatuses,
)

router = APIRouter(tags=["appliance imports"])

COLLECTION = "/users/{uid}/imports"
ITEM = COLLECTION + "/{iid}"
KIND = "Appliance import"

# The query of the ticket's making, as the SDK names it (hammr sends Python's `True`).
FLAGS = {
    "imported": (
        "`true` when the archive is an exported template (hammr's `template import`), `false` "
        "when it was built from a template file (`template create`; the default)"
    ),
    "force": (
        "`true` to replace the user's template of the same name and version (hammr's "
        "`--force`); without it such an import ends in error"
    ),
    "reuseBundles": (
        "hammr's `--rbundles`: kept on the ticket (the template's bundles are always the "
        "user's mySoftware of their name and version)"
    ),
    "useMajor": "hammr's `--usemajor`: kept on the ticket (the mock has no OS catalogue)",
}
PARAMETERS = [
    {
        "name": name,
        "in": "query",
        "required": False,
        "description": f"{description}; case-insensitive",
        "schema": BOOLEAN_TEXT,
    }
    for name, description in FLAGS.items()
]


def import_uri(record: ApplianceImportRecord) -> str:
    return f"users/{record.owner_login}/imports/{record.db_id}"


def import_state(record: ApplianceImportRecord, now: datetime) -> ExportState | None:
    """The job's state, or None while it waits for its archive."""
    if record.uploaded is None:
        return None
    return export_state(record.facts, now, APPLIANCE_IMPORT)


def status_document(record: ApplianceImportRecord, state: ExportState | None) -> OpStatus:
    return import_status(import_uri(record), record, state)


def import_document(record: ApplianceImportRecord, state: ExportState | None) -> ApplianceImport:
    uri = import_uri(record)
    complete = state is not None and state.complete and record.appliance_id is not None
    status_digest = import_status_digest(uri, record, state)
    return ApplianceImport(
        created=record.created,
        dbId=record.db_id,
        digest=content_digest(status_digest, record.imported, complete),
        lastModified=state.last_modified if state else record.last_modified,
        size=record.archive_size,
        status=status_document(record, state),
        uploaded=record.uploaded is not None,
        uploadedTime=record.uploaded,
        useMajor=record.use_major,
        reuseBundles=record.reuse_bundles,
        force_rw=record.force,
        imported=record.imported,
        parentUri=f"users/{record.owner_login}/imports",
        referenceUri=(
            f"users/{record.owner_login}/appliances/{record.appliance_id}" if complete else None
        ),
        uploadUri=f"{uri}/uploads",
        uri=uri,
    )


async def valid_import(request: Request) -> ApplianceImportRecord:
    """The import `{iid}` of `{uid}`, after the checks; or 404."""
    await entitled_user(request, APPLIANCE_CREATE)
    uid, iid = request.path_params["uid"], request.path_params["iid"]
    db_id = parse_id(iid)
    record = None
    if db_id is not None:
        record = await runtime_of(request).database.read(
            appliance_imports.import_by_id, db_id=db_id
        )
    if record is None or record.owner_login != uid:
        raise ApplianceImportNotFound.for_id(iid, uid)
    return record


@router.post(
    COLLECTION,
    operation_id="appliance_import",
    summary="Create an appliance import ticket (then upload the archive to it)",
    description="Requires the entitlement `appliance_create`. The request body is ignored.",
    status_code=201,
    responses=document_responses(
        ApplianceImport,
        errors=(400, 401, 403, 406, 413),
        conditional=False,
        success=201,
        success_description="The ticket, waiting for its archive",
    ),
    response_class=Response,
    openapi_extra={"parameters": PARAMETERS},
)
async def appliance_import_create(request: Request) -> Response:
    owner = await path_user(request, APPLIANCE_CREATE)
    require_acceptable(request)
    flags = ImportFlags(
        imported=query_flag(request, "imported"),
        force=query_flag(request, "force"),
        reuse_bundles=query_flag(request, "reuseBundles"),
        use_major=query_flag(request, "useMajor"),
    )
    runtime = runtime_of(request)
    now = await runtime.now()
    record = await runtime.database.write(
        appliance_imports.create_import,
        owner_id=owner.id,
        flags=flags,
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


# The user's imports. Declared before the routes of one import: `statuses` is no `{iid}`.


async def _user_imports(
    request: Request, criteria_fields: dict[str, Any] | None = None
) -> tuple[Runtime, int, list[tuple[ApplianceImportRecord, ExportState | None]]]:
    """The caller's import tickets (a page of those meeting the query's criteria, with
    `criteria_fields`; else all), how many match, and each one's state now."""
    owner = await path_user(request, APPLIANCE_CREATE)
    require_acceptable(request)
    runtime = runtime_of(request)
    if criteria_fields is None:
        records = await runtime.database.read(appliance_imports.imports_owned_by, owner_id=owner.id)
        total = len(records)
    else:
        criteria = criteria_of(request, criteria_fields)
        page = await runtime.database.read(
            appliance_imports.import_page, owner_id=owner.id, criteria=criteria
        )
        total, records = page.total, page.items
    now = await runtime.now()
    return runtime, total, [(record, import_state(record, now)) for record in records]


@get_and_head(
    router,
    COLLECTION,
    operation_id="applianceImport_getAll",
    summary="List the appliance imports of a user",
    description=(
        "Requires the entitlement `appliance_create`. The user's import tickets, each with "
        "its status at this instant: `total` counts every match; the page holds `count` of "
        "them from `offset`, in `orderBy` order (default: by id)."
    ),
    responses=document_responses(ApplianceImports, errors=(400, 401, 403, 404, 406)),
    response_class=Response,
    openapi_extra={"parameters": SEARCH_PARAMETERS},
)
async def appliance_import_get_all(request: Request) -> Response:
    runtime, total, found = await _user_imports(request, APPLIANCE_IMPORT_COLUMNS)
    documents = [import_document(record, state) for record, state in found]
    return document_response(
        request,
        ApplianceImports(
            total=total, applianceImports=ApplianceImportItems(applianceImport=documents)
        ),
        digest=content_digest(total, listing_digest(documents)),
        last_modified=await list_read_at(runtime),
    )


@get_and_head(
    router,
    COLLECTION + "/statuses",
    operation_id="applianceImport_getAllStatus",
    summary="Retrieve the statuses of a user's appliance imports",
    description=(
        "Requires the entitlement `appliance_create`. The `status` of every import ticket of "
        "the user, by id; `ai` (repeatable: `?ai=URI1&ai=URI2`) keeps those of the imports "
        "with these URIs (`users/{uid}/imports/{iid}`)."
    ),
    responses=document_responses(OpStatuses, errors=(401, 403, 404, 406)),
    response_class=Response,
    openapi_extra={"parameters": [uri_filter_parameter("ai", "An import")]},
)
async def appliance_import_get_all_status(request: Request) -> Response:
    runtime, _, found = await _user_imports(request)
    return statuses_response(
        request,
        "ai",
        ((import_uri(record), status_document(record, state)) for record, state in found),
        read_at=await list_read_at(runtime),
    )


@router.post(
    ITEM + "/uploads",
    operation_id="applianceImport_upload",
    summary="Upload the archive of an appliance import",
    description=(
        "Requires the entitlement `appliance_create`. The body is the archive (a gzip-compressed "
        "tar holding `template.yml` or `template.json`, as hammr's `template import` and "
        "`template create` send it), whatever the Content-Type says. Answers 201 with the "
        "import's `status`; an archive that cannot be imported makes the job end in error (its "
        "reason in `errorMessage` and `detailedErrorMsg`). One archive per ticket: a second "
        "upload is a 409."
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
async def appliance_import_upload(request: Request) -> Response:
    record = await valid_import(request)
    require_acceptable(request)
    if record.uploaded is not None:
        raise Conflict.already_uploaded(record.db_id, KIND)
    upload = await receive_upload(request, read_template_archive)
    if upload.refused is not None:
        refused = upload.refused
        return await _refuse(request, record, refused.message, refused.detail, upload.size)
    assert upload.result is not None  # a read that raised nothing read a template
    try:
        appliance = new_appliance(upload.result, imported=record.imported)
    except TemplateRefused as refusal:
        return await _refuse(request, record, refusal.message, refusal.detail, upload.size)
    return await _accept(request, record, appliance, upload.size)


async def _accept(
    request: Request, record: ApplianceImportRecord, appliance: NewAppliance, size: int
) -> Response:
    runtime = runtime_of(request)
    now = await runtime.now()
    try:
        updated = await runtime.database.write(
            appliance_imports.accept_upload,
            db_id=record.db_id,
            owner_id=record.owner_id,
            force=record.force,
            appliance=appliance,
            archive_size=size,
            now=now,
        )
    except AlreadyUploaded:
        raise Conflict.already_uploaded(record.db_id, KIND) from None
    except MissingBundles as missing:
        return await _refuse(
            request, record, REFUSED, missing_bundles_detail(missing.missing), size
        )
    except ApplianceExists as exists:
        name, version = appliance.values["name"], appliance.values["version"]
        detail = existing_template_detail(name, version, exists.db_id)
        return await _refuse(request, record, REFUSED, detail, size)
    return _status_answer(request, record, updated, now)


async def _refuse(
    request: Request, record: ApplianceImportRecord, message: str, detail: str, size: int
) -> Response:
    """End the import in error: the reason in `errorMessage` as well as `detailedErrorMsg`,
    since hammr's `template create` prints the error message alone."""
    runtime = runtime_of(request)
    now = await runtime.now()
    try:
        updated = await runtime.database.write(
            appliance_imports.refuse_upload,
            db_id=record.db_id,
            archive_size=size,
            message=f"{message}: {detail}",
            detail=detail,
            now=now,
        )
    except AlreadyUploaded:
        raise Conflict.already_uploaded(record.db_id, KIND) from None
    return _status_answer(request, record, updated, now)


def _status_answer(
    request: Request,
    record: ApplianceImportRecord,
    updated: ApplianceImportRecord | None,
    now: datetime,
) -> Response:
    if updated is None:  # deleted meanwhile (a reset)
        raise ApplianceImportNotFound.for_id(str(record.db_id), record.owner_login)
    state = import_state(updated, now)
    return document_response(request, status_document(updated, state), status_code=201)


@get_and_head(
    router,
    ITEM + "/status",
    operation_id="applianceImportStatus_get",
    summary="Retrieve the status of an appliance import",
    description=(
        "Requires the entitlement `appliance_create`. Before the upload the import waits at "
        "0 %; then it moves with the mock's clock (`UFORGE_MOCK_IMPORT_DURATION_SECONDS`)."
    ),
    responses=document_responses(OpStatus, errors=(401, 403, 404, 406)),
    response_class=Response,
)
async def appliance_import_status(request: Request) -> Response:
    record = await valid_import(request)
    state = import_state(record, await runtime_of(request).now())
    return document_response(
        request,
        lambda: status_document(record, state),
        digest=import_status_digest(import_uri(record), record, state),
        last_modified=state.last_modified if state else record.last_modified,
    )


@get_and_head(
    router,
    ITEM,
    operation_id="applianceImport_get",
    summary="Retrieve an appliance import ticket",
    description=(
        "Requires the entitlement `appliance_create`. `referenceUri` names the appliance the "
        "import made, once it is complete."
    ),
    responses=document_responses(ApplianceImport, errors=(401, 403, 404, 406)),
    response_class=Response,
)
async def appliance_import_get(request: Request) -> Response:
    record = await valid_import(request)
    state = import_state(record, await runtime_of(request).now())
    document = import_document(record, state)
    return document_response(
        request,
        document,
        digest=document.digest,
        last_modified=document.lastModified,
    )


@router.delete(
    ITEM,
    operation_id="applianceImport_delete",
    summary="Delete an appliance import ticket",
    description=(
        "Requires the entitlement `appliance_create`. The ticket goes, whatever its state; the "
        "appliance a complete import made stays. Its id is never handed out again."
    ),
    status_code=204,
    responses={204: {"description": "Deleted"}, **error_responses((401, 403, 404, 413))},
    response_class=Response,
)
async def appliance_import_delete(request: Request) -> Response:
    record = await valid_import(request)
    deleted = await runtime_of(request).database.write(
        appliance_imports.delete_import, db_id=record.db_id
    )
    if not deleted:  # a concurrent delete won
        raise ApplianceImportNotFound.for_id(str(record.db_id), record.owner_login)
    return no_content_response()
