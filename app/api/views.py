"""Records -> wire objects. URIs are relative to the base, without a leading slash
(`users/guest/mysoftware/918`), as the platform writes them. (An export's documents are its
family's: `export_engine`.)"""

from uforge_mock.store.queries import MySoftwareRecord
from uforge_mock.wire.digest import content_digest
from uforge_mock.wire.schemas import (
    MySoftware,
    ServiceStatus,
    UriList,
)


def my_software_uri(owner_login: str, db_id: int) -> str:
    return f"users/{owner_login}/mysoftware/{db_id}"


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
