"""Records -> wire objects. URIs are relative to the base, without a leading slash
(`users/guest/mysoftware/918`), as the platform writes them. (An export's documents are its
family's: `export_engine`.)"""

from collections.abc import Sequence
from datetime import datetime

from uforge_mock.store.library import (
    NO_DETAILS,
    ArtifactRecord,
    CategoryRecord,
    OrgRecord,
    SoftwareDetails,
)
from uforge_mock.store.models import MySoftwareFields, camel_case
from uforge_mock.store.queries import MySoftwareRecord, UserRecord
from uforge_mock.wire.digest import content_digest
from uforge_mock.wire.render import field_names
from uforge_mock.wire.schemas import (
    Categories,
    Category,
    CategoryItems,
    Entitlement,
    Entitlements,
    License,
    Logo,
    MySoftware,
    MySoftwareItems,
    MySoftwareList,
    Org,
    OrgItems,
    Orgs,
    Role,
    Roles,
    ServiceStatus,
    SubCategories,
    UriList,
    User,
)


def my_software_uri(owner_login: str, db_id: int) -> str:
    return f"users/{owner_login}/mysoftware/{db_id}"


# The mySoftware's own fields its wire type shows, by their wire (camelCase) names.
_WIRE_FIELDS = {
    name: camel_case(name)
    for name in MySoftwareFields.model_fields
    if camel_case(name) in field_names(MySoftware)
}


def my_software(software: MySoftwareRecord, details: SoftwareDetails = NO_DETAILS) -> MySoftware:
    uri = my_software_uri(software.owner_login, software.db_id)
    return MySoftware(
        created=software.created,
        dbId=software.db_id,
        digest=my_software_digest(software, details),
        lastModified=software.last_modified,
        artifactsUri=f"{uri}/artifacts",
        uri=uri,
        exportUri=f"{uri}/exports",
        category=category(details.category) if details.category else None,
        license=_license(uri, details.license) if details.license else None,
        logo=_logo(uri, details.logo) if details.logo else None,
        softwareArtifactUris=UriList(
            uri=[f"{uri}/artifacts/{artifact.db_id}" for artifact in details.files]
        ),
        containerTemplatesUri=f"{uri}/templates",
        appliancesUri=f"{uri}/appliances",
        applianceUris=UriList(),
        cloneUri=f"{uri}/clone",
        **{wire: getattr(software, name) for name, wire in _WIRE_FIELDS.items()},
    )


def my_software_digest(software: MySoftwareRecord, details: SoftwareDetails = NO_DETAILS) -> str:
    return content_digest(*software.digest_parts(), *details.digest_parts())


def my_software_list(
    total: int, items: Sequence[MySoftwareRecord], details: dict[int, SoftwareDetails]
) -> MySoftwareList:
    return MySoftwareList(
        total=total,
        mySoftwareList=MySoftwareItems(
            mySoftware=[my_software(item, details.get(item.db_id, NO_DETAILS)) for item in items]
        ),
    )


def my_software_list_digest(
    total: int, items: Sequence[MySoftwareRecord], details: dict[int, SoftwareDetails]
) -> str:
    return content_digest(
        total, *(my_software_digest(item, details.get(item.db_id, NO_DETAILS)) for item in items)
    )


def _license(parent: str, artifact: ArtifactRecord) -> License:
    return License(
        created=artifact.created,
        dbId=artifact.db_id,
        md5sum=artifact.md5,
        sha256sum=artifact.sha256,
        size=artifact.size,
        uploaded=artifact.has_content,
        name=artifact.name,
        parentUri=parent,
        type=artifact.attributes.get("type") if isinstance(artifact.attributes, dict) else None,
        uri=f"{parent}/licenses/{artifact.db_id}",
    )


def _logo(parent: str, artifact: ArtifactRecord) -> Logo:
    return Logo(
        created=artifact.created,
        dbId=artifact.db_id,
        md5sum=artifact.md5,
        sha256sum=artifact.sha256,
        size=artifact.size,
        uploaded=artifact.has_content,
        name=artifact.name,
        parentUri=parent,
        uri=f"{parent}/logos/{artifact.db_id}",
    )


def category(record: CategoryRecord) -> Category:
    org_uri = f"orgs/{record.org_id}"
    uri = f"{org_uri}/categories/{record.db_id}"
    return Category(
        created=record.created,
        dbId=record.db_id,
        digest=content_digest(
            record.db_id, record.org_id, record.name, record.type, record.last_modified
        ),
        lastModified=record.last_modified,
        name=record.name,
        orgUri=org_uri,
        subCategories=SubCategories(),
        subCategoryUri=f"{uri}/subcategories",
        uri=uri,
        type=record.type,
    )


def categories(total: int, records: Sequence[CategoryRecord]) -> Categories:
    return Categories(
        total=total, categories=CategoryItems(category=[category(r) for r in records])
    )


def org(record: OrgRecord) -> Org:
    uri = f"orgs/{record.db_id}"
    return Org(
        created=record.created,
        dbId=record.db_id,
        digest=content_digest(
            record.db_id, record.name, record.admin, record.default_org, record.last_modified
        ),
        lastModified=record.last_modified,
        activateNewUsers=False,
        admin=record.admin,
        appliancesUri=f"{uri}/appliances",
        categoriesUri=f"{uri}/categories",
        defaultOrg=record.default_org,
        membersUri=f"{uri}/members",
        name=record.name,
        uri=uri,
    )


def orgs(records: Sequence[OrgRecord]) -> Orgs:
    return Orgs(total=len(records), orgs=OrgItems(org=[org(r) for r in records]))


def user(record: UserRecord, created: datetime | None, org_records: Sequence[OrgRecord]) -> User:
    """The user's document: who they are and what they may do (never a password)."""
    uri = f"users/{record.login}"
    return User(
        created=created,
        dbId=record.id,
        digest=content_digest(
            record.id,
            record.login,
            record.admin,
            *sorted(record.entitlements),
            *(o.db_id for o in org_records),
        ),
        lastModified=created,
        loginName=record.login,
        active=True,
        admin=record.admin,
        baseExportsUri=f"{uri}/exports",
        baseImportsUri=f"{uri}/imports",
        mySoftwareImportsUri=f"{uri}/bundleimports",
        baseMySoftwareLibraryUri=f"{uri}/mysoftware",
        baseOrgsUri=f"{uri}/orgs",
        name=record.login,
        orgUris=UriList(uri=[f"orgs/{o.db_id}" for o in org_records]),
        roles=Roles(
            role=[
                Role(
                    name="mock",
                    description="The entitlements the seed gives this user",
                    entitlements=Entitlements(
                        entitlement=[Entitlement(name=name) for name in sorted(record.entitlements)]
                    ),
                )
            ]
        ),
        uri=uri,
    )


def service_status(version: str) -> ServiceStatus:
    return ServiceStatus(alive=True, version=version, serviceLoad=0)
