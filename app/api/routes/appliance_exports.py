"""The appliance export family (`hammr template export`): the export engine, for appliance
templates, with the two routes the vendor documents for these exports only (get the export,
cancel it); and the user's exports across templates, `GET /users/{uid}/exports` and
`GET /users/{uid}/exports/statuses`.
"""

from typing import Any

from fastapi import Request
from starlette.responses import Response

from uforge_mock.api.deps import APPLIANCE_CREATE, path_user, runtime_of
from uforge_mock.api.docs import document_responses, get_and_head
from uforge_mock.api.export_engine import (
    Archive,
    Exportable,
    ExportFamily,
    ExportOperations,
    Operation,
    export_routes,
)
from uforge_mock.api.routes.appliances import appliance_of
from uforge_mock.api.routes.my_software import list_read_at
from uforge_mock.api.search import SEARCH_PARAMETERS, criteria_of
from uforge_mock.api.statuses import listing_digest, statuses_response, uri_filter_parameter
from uforge_mock.api.templates import template_facts
from uforge_mock.jobs.simulation import APPLIANCE_EXPORT, ExportState, export_state
from uforge_mock.jobs.template_archive import template_archive, template_archive_filename
from uforge_mock.platform.runtime import Runtime
from uforge_mock.store import appliances, queries
from uforge_mock.store.tickets import ExportRecord
from uforge_mock.wire.digest import content_digest
from uforge_mock.wire.errors import ApplianceExportNotFound
from uforge_mock.wire.responses import document_response, require_acceptable
from uforge_mock.wire.schemas import (
    ApplianceExport,
    ApplianceExportItems,
    ApplianceExports,
    OpStatuses,
)


async def exportable_appliance(runtime: Runtime, uid: str, aid: str) -> Exportable:
    found = await appliance_of(runtime, uid, aid)
    return Exportable(
        db_id=found.db_id,
        export_duration_seconds=found.export_duration_seconds,
        export_outcome=found.export_outcome,
    )


def appliance_export(
    family: ExportFamily, export: ExportRecord, state: ExportState
) -> ApplianceExport:
    status = family.status(export, state)
    return ApplianceExport(
        created=export.facts.created,
        dbId=export.facts.db_id,
        digest=content_digest(status.digest, export.resource_name, export.resource_version),
        lastModified=state.last_modified,
        applianceName=export.resource_name,
        applianceVersion=export.resource_version,
        downloadUri=f"{family.export_uri(export)}/downloads",
        parentUri=family.resource_uri(export),
        status=status,
        uri=family.export_uri(export),
    )


async def template_archive_of(
    runtime: Runtime, export: ExportRecord, state: ExportState
) -> Archive:
    """The appliance as it is now, in a tar.gz: its template file (`template.yml` or
    `.json`), as hammr's `template import` takes it."""
    found = await runtime.database.read(appliances.appliance_by_id, db_id=export.resource_id)
    if found is None:  # deleted between the two reads
        raise ApplianceExportNotFound.for_id(str(export.facts.db_id), str(export.resource_id))
    facts = template_facts(found)
    body = template_archive(facts, export.output_format, built=state.last_modified)
    return Archive(filename=template_archive_filename(facts), body=body)


APPLIANCE_EXPORTS = ExportFamily(
    name="appliance",
    resource_path="/users/{uid}/appliances/{aid}",
    resource_param="aid",
    entitlement=APPLIANCE_CREATE,
    tickets=queries.APPLIANCE_EXPORTS,
    tag="appliance exports",
    operations=ExportOperations(
        create=Operation(
            "appliance_export",
            "Export an appliance template (starts an asynchronous export)",
            "Requires the entitlement `appliance_create`. Answers 201 with the new "
            "`applianceExport` (its status embedded, in progress at 0 %) and a `Location` "
            "header. The export then progresses with the mock's clock; how long it takes and "
            "how it ends come from the appliance (seed) or the settings. The request body, if "
            "any, is ignored.",
        ),
        status=Operation(
            "applianceExportStatus_get",
            "Retrieve the current status of exporting an appliance template",
            "Requires the entitlement `appliance_create`. The status moves with the mock's "
            "clock; `ETag` and `Last-Modified` allow conditional polling.",
        ),
        download=Operation(
            "applianceExport_download",
            "Download the archive of a complete appliance export",
            "Requires the entitlement `appliance_create`; 409 until the export is complete.",
        ),
        delete=Operation(
            "applianceExport_delete",
            "Delete an appliance export ticket (and its archive)",
            "Requires the entitlement `appliance_create`. Afterwards every route of the export "
            "answers 404; its id is never handed out again.",
        ),
        archive=(
            "The export's archive: a gzip-compressed tar holding `template.yml` (or "
            "`template.json`), the format `hammr template import` reads. Served whatever the "
            "`Accept` header says, never with a Content-Encoding."
        ),
        get=Operation(
            "applianceExport_get",
            "Retrieve an appliance export ticket",
            "Requires the entitlement `appliance_create`. The `applianceExport` with its "
            "status at this instant; `ETag` and `Last-Modified` allow conditional requests.",
        ),
        cancel=Operation(
            "applianceExport_cancel",
            "Cancel a running appliance export",
            "Requires the entitlement `appliance_create`. A running export ends `cancelled` at "
            "this instant, where it had got to (every server sharing the store shows the same); "
            "the answer is its `status`. Cancelling a cancelled export answers the same status "
            "again; an export that already ended complete or failed is a 409 (ours: nothing is "
            "left to cancel).",
        ),
    ),
    document_type=ApplianceExport,
    load_resource=exportable_appliance,
    not_found=ApplianceExportNotFound.for_id,
    document=appliance_export,
    archive=template_archive_of,
    wording=APPLIANCE_EXPORT,
)

router = export_routes(APPLIANCE_EXPORTS)

# ---------------------------------------------------------------- a user's exports

USER_EXPORTS = "/users/{uid}/exports"


async def _user_exports(
    request: Request, criteria_fields: dict[str, Any] | None = None
) -> tuple[Runtime, int, list[tuple[ExportRecord, ExportState]]]:
    """The caller's appliance exports (a page of those meeting the query's criteria, with
    `criteria_fields`; else all), how many match, and each one's state now."""
    owner = await path_user(request, APPLIANCE_CREATE)
    require_acceptable(request)
    runtime = runtime_of(request)
    if criteria_fields is None:
        records = await runtime.database.read(queries.APPLIANCE_EXPORTS.owned_by, owner_id=owner.id)
        total = len(records)
    else:
        criteria = criteria_of(request, criteria_fields)
        page = await runtime.database.read(
            appliances.appliance_export_page, owner_id=owner.id, criteria=criteria
        )
        total, records = page.total, page.items
    now = await runtime.now()
    states = [(record, export_state(record.facts, now, APPLIANCE_EXPORT)) for record in records]
    return runtime, total, states


@get_and_head(
    router,
    USER_EXPORTS,
    operation_id="applianceExport_getAll",
    summary="List the appliance exports of a user",
    description=(
        "Requires the entitlement `appliance_create`. The export tickets on the user's "
        "templates, each with its status at this instant: `total` counts every match; the "
        "page holds `count` of them from `offset`, in `orderBy` order (default: by id)."
    ),
    responses=document_responses(ApplianceExports, errors=(400, 401, 403, 404, 406)),
    response_class=Response,
    openapi_extra={"parameters": SEARCH_PARAMETERS},
)
async def appliance_export_get_all(request: Request) -> Response:
    runtime, total, exports = await _user_exports(request, appliances.APPLIANCE_EXPORT_COLUMNS)
    documents = [appliance_export(APPLIANCE_EXPORTS, record, state) for record, state in exports]
    return document_response(
        request,
        ApplianceExports(
            total=total, applianceExports=ApplianceExportItems(applianceExport=documents)
        ),
        digest=content_digest(total, listing_digest(documents)),
        last_modified=await list_read_at(runtime),
    )


@get_and_head(
    router,
    USER_EXPORTS + "/statuses",
    operation_id="applianceExport_getAllStatus",
    summary="Retrieve the statuses of a user's appliance exports",
    description=(
        "Requires the entitlement `appliance_create`. The `status` of every export ticket on "
        "the user's templates, by id; `ae` (repeatable: `?ae=URI1&ae=URI2`) keeps those of "
        "the exports with these URIs (`users/{uid}/appliances/{aid}/exports/{eid}`)."
    ),
    responses=document_responses(OpStatuses, errors=(401, 403, 404, 406)),
    response_class=Response,
    openapi_extra={"parameters": [uri_filter_parameter("ae", "An export")]},
)
async def appliance_export_get_all_status(request: Request) -> Response:
    runtime, _, exports = await _user_exports(request)
    return statuses_response(
        request,
        "ae",
        (
            (APPLIANCE_EXPORTS.export_uri(record), APPLIANCE_EXPORTS.status(record, state))
            for record, state in exports
        ),
        read_at=await list_read_at(runtime),
    )
