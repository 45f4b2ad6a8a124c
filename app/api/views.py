"""Records -> wire objects. URIs are relative to the base, without a leading slash
(`users/guest/mysoftware/918`), as the platform writes them. (An export's documents are its
family's: `export_engine`.)"""

from uforge_mock.store.models import MySoftwareFields, camel_case
from uforge_mock.store.queries import MySoftwareRecord
from uforge_mock.wire.digest import content_digest
from uforge_mock.wire.render import field_names
from uforge_mock.wire.schemas import (
    MySoftware,
    ServiceStatus,
    UriList,
)


def my_software_uri(owner_login: str, db_id: int) -> str:
    return f"users/{owner_login}/mysoftware/{db_id}"


# The mySoftware's own fields its wire type shows, by their wire (camelCase) names.
_WIRE_FIELDS = {
    name: camel_case(name)
    for name in MySoftwareFields.model_fields
    if camel_case(name) in field_names(MySoftware)
}


def my_software(software: MySoftwareRecord) -> MySoftware:
    uri = my_software_uri(software.owner_login, software.db_id)
    return MySoftware(
        created=software.created,
        dbId=software.db_id,
        digest=my_software_digest(software),
        lastModified=software.last_modified,
        artifactsUri=f"{uri}/artifacts",
        uri=uri,
        exportUri=f"{uri}/exports",
        softwareArtifactUris=UriList(),
        containerTemplatesUri=f"{uri}/templates",
        appliancesUri=f"{uri}/appliances",
        applianceUris=UriList(),
        cloneUri=f"{uri}/clone",
        **{wire: getattr(software, name) for name, wire in _WIRE_FIELDS.items()},
    )


def my_software_digest(software: MySoftwareRecord) -> str:
    return content_digest(*software.digest_parts())


def service_status(version: str) -> ServiceStatus:
    return ServiceStatus(alive=True, version=version, serviceLoad=0)
