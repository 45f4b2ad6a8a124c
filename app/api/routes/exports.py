"""The software-bundle export family of a mySoftware: the export engine, for mySoftware."""

from uforge_mock.api.bundles import bundle_facts
from uforge_mock.api.deps import SOFTWARE_UPLOAD, my_software_of
from uforge_mock.api.export_engine import (
    Archive,
    Exportable,
    ExportFamily,
    ExportOperations,
    Operation,
    export_routes,
)
from uforge_mock.jobs.archive import archive_filename, bundle_archive
from uforge_mock.jobs.simulation import ExportState
from uforge_mock.platform.runtime import Runtime
from uforge_mock.store import library, queries
from uforge_mock.store.tickets import ExportRecord
from uforge_mock.wire.digest import content_digest
from uforge_mock.wire.errors import ExportNotFound
from uforge_mock.wire.schemas import SoftwareBundleExport


async def exportable_my_software(runtime: Runtime, uid: str, msid: str) -> Exportable:
    software = await my_software_of(runtime, uid, msid)
    return Exportable(
        db_id=software.db_id,
        export_duration_seconds=software.export_duration_seconds,
        export_outcome=software.export_outcome,
    )


def software_bundle_export(
    family: ExportFamily, export: ExportRecord, state: ExportState
) -> SoftwareBundleExport:
    status = family.status(export, state)
    return SoftwareBundleExport(
        created=export.facts.created,
        dbId=export.facts.db_id,
        digest=content_digest(status.digest, export.resource_name, export.resource_version),
        lastModified=state.last_modified,
        bundleName=export.resource_name,
        bundleVersion=export.resource_version,
        downloadUri=f"{family.export_uri(export)}/downloads",
        parentUri=family.resource_uri(export),
        status=status,
        uri=family.export_uri(export),
    )


async def bundle_archive_of(runtime: Runtime, export: ExportRecord, state: ExportState) -> Archive:
    """The mySoftware as it is now, in a tar.gz: its bundle file (`bundle.yml` or `.json`),
    its files, license and logo, as hammr's `bundle import` takes them."""
    software = await runtime.database.read(queries.my_software_by_id, db_id=export.resource_id)
    if software is None:  # deleted between the two reads
        raise ExportNotFound.for_id(str(export.facts.db_id), str(export.resource_id))
    database = runtime.database
    details = (await database.read(library.software_details, db_ids=[software.db_id])).get(
        software.db_id, library.NO_DETAILS
    )
    contents = await database.read(library.artifact_contents, my_software_id=software.db_id)
    bundle = bundle_facts(software, details, contents)
    body = bundle_archive(bundle, export.output_format, built=state.last_modified)
    return Archive(filename=archive_filename(bundle), body=body)


MY_SOFTWARE_EXPORTS = ExportFamily(
    name="mySoftware",
    resource_path="/users/{uid}/mysoftware/{msid}",
    resource_param="msid",
    entitlement=SOFTWARE_UPLOAD,
    tickets=queries.MY_SOFTWARE_EXPORTS,
    tag="mySoftware exports",
    operations=ExportOperations(
        create=Operation(
            "mySoftware_export",
            "Export a software bundle (starts an asynchronous export)",
            "Requires the entitlement `software_upload`. Answers 201 with the new "
            "`softwareBundleExport` (its status embedded, in progress at 0 %) and a `Location` "
            "header. The export then progresses with the mock's clock; how long it takes and "
            "how it ends come from the mySoftware (seed fields `exportDuration`, "
            "`exportOutcome`) or the settings. The request body, if any, is ignored.",
        ),
        status=Operation(
            "mySoftwareExportStatus_get",
            "Retrieve the current status of exporting a software bundle",
            "Requires the entitlement `software_upload`. The status moves with the mock's "
            "clock; `ETag` and `Last-Modified` allow conditional polling.",
        ),
        download=Operation(
            "mySoftwareExport_download",
            "Download the archive of a complete export",
            "Requires the entitlement `software_upload`; 409 until the export is complete.",
        ),
        delete=Operation(
            "mySoftwareExport_delete",
            "Delete an export ticket (and its archive)",
            "Requires the entitlement `software_upload`. Afterwards every route of the export "
            "answers 404; its id is never handed out again.",
        ),
        archive=(
            "The export's archive: a gzip-compressed tar holding `bundle.yml` (or "
            "`bundle.json`). Served whatever the `Accept` header says, never with a "
            "Content-Encoding."
        ),
    ),
    document_type=SoftwareBundleExport,
    load_resource=exportable_my_software,
    not_found=ExportNotFound.for_id,
    document=software_bundle_export,
    archive=bundle_archive_of,
)

router = export_routes(MY_SOFTWARE_EXPORTS)
