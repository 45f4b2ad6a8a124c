"""Records and simulated states -> wire objects. URIs are relative to the base, without a
leading slash (`users/guest/mysoftware/918/exports/17/status`), as the platform writes them."""

from uforge_mock.jobs.simulation import ExportState
from uforge_mock.store.queries import ExportRecord, MySoftwareRecord
from uforge_mock.wire.digest import content_digest
from uforge_mock.wire.schemas import (
    MySoftware,
    OpStatus,
    ServiceStatus,
    SoftwareBundleExport,
    UriList,
)


def my_software_uri(owner_login: str, db_id: int) -> str:
    return f"users/{owner_login}/mysoftware/{db_id}"


def export_uri(export: ExportRecord) -> str:
    return (
        f"{my_software_uri(export.owner_login, export.my_software_id)}/exports/{export.facts.db_id}"
    )


def export_status(export: ExportRecord, state: ExportState) -> OpStatus:
    uri = export_uri(export)
    return OpStatus(
        created=export.facts.created,
        dbId=export.facts.db_id,
        digest=status_digest(export, state),
        lastModified=state.last_modified,
        cancelled=state.cancelled,
        complete=state.complete,
        detailedError=True if state.detailed_error_msg else None,
        detailedErrorMsg=state.detailed_error_msg,
        error=state.error,
        errorMessage=state.error_message,
        message=state.message,
        parentUri=uri,
        percentage=state.percentage,
        uri=f"{uri}/status",
    )


def status_digest(export: ExportRecord, state: ExportState) -> str:
    """The status's digest: its state and where it lives (owner and mySoftware in its URIs)."""
    return content_digest(state.digest, export_uri(export))


def software_bundle_export(export: ExportRecord, state: ExportState) -> SoftwareBundleExport:
    uri = export_uri(export)
    status = export_status(export, state)
    return SoftwareBundleExport(
        created=export.facts.created,
        dbId=export.facts.db_id,
        digest=bundle_export_digest(export, state),
        lastModified=state.last_modified,
        bundleName=export.bundle_name,
        bundleVersion=export.bundle_version,
        downloadUri=f"{uri}/downloads",
        parentUri=my_software_uri(export.owner_login, export.my_software_id),
        status=status,
        uri=uri,
    )


def bundle_export_digest(export: ExportRecord, state: ExportState) -> str:
    return content_digest(status_digest(export, state), export.bundle_name, export.bundle_version)


def my_software(software: MySoftwareRecord) -> MySoftware:
    uri = my_software_uri(software.owner_login, software.db_id)
    return MySoftware(
        created=software.created,
        dbId=software.db_id,
        digest=my_software_digest(software),
        lastModified=software.last_modified,
        tag=software.tag,
        shortTag=software.short_tag,
        name=software.name,
        version=software.version,
        description=software.description,
        release=software.release,
        defaultInstallLocation=software.default_install_location,
        installLocation=software.install_location,
        restricted=software.restricted,
        installedSize=software.installed_size,
        size=software.size,
        revision=software.revision,
        artifactsUri=f"{uri}/artifacts",
        uri=uri,
        exportUri=f"{uri}/exports",
        maintainer=software.maintainer,
        website=software.website,
        softwareArtifactUris=UriList(),
        formatDependent=software.format_dependent,
        containerTemplatesUri=f"{uri}/templates",
        appliancesUri=f"{uri}/appliances",
        applianceUris=UriList(),
        cloneUri=f"{uri}/clone",
        imported=software.imported,
        generationEnabled=software.generation_enabled,
    )


def my_software_digest(software: MySoftwareRecord) -> str:
    return content_digest(*(getattr(software, name) for name in software.__slots__))


def service_status(version: str) -> ServiceStatus:
    return ServiceStatus(alive=True, version=version, serviceLoad=0)
