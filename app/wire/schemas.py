"""One dataclass per wire object; field names and their order are those of `uforge-export.xsd`.

The renderers (`uforge_mock.wire.render`) walk the fields in declaration order, so the order
here *is* the order on the wire: the fields inherited from `UForgeObject` (`created, dbId,
digest, lastModified`) first, then the type's own. A field left at None is omitted from both
XML and JSON. A field holding a list is a repeated element (`<uri>` inside a `UriList`), an
array in JSON.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar


@dataclass(slots=True, kw_only=True)
class WireObject:
    """Base of every wire object; `root` is its element name when it is a whole document."""

    root: ClassVar[str] = ""


@dataclass(slots=True, kw_only=True)
class UriList(WireObject):
    uri: list[str] = field(default_factory=list)


@dataclass(slots=True, kw_only=True)
class Parameters(WireObject):
    parameter: list[str] = field(default_factory=list)


@dataclass(slots=True, kw_only=True)
class LocalizedMessage(WireObject):
    message: str | None = None
    messageId: str | None = None
    parameters: Parameters | None = None


@dataclass(slots=True, kw_only=True)
class UForgeError(WireObject):
    """Not a UForgeObject: it has no created/dbId/digest/lastModified."""

    root: ClassVar[str] = "uforgeError"
    localizedErrorMsg: LocalizedMessage | None = None
    requestMethod: str | None = None
    requestUri: str | None = None
    statusCode: int | None = None
    timestamp: datetime | None = None


@dataclass(slots=True, kw_only=True)
class UForgeObject(WireObject):
    """The header every UForge object carries first (the XSD's `UForgeObject`)."""

    created: datetime | None = None
    dbId: int | None = None
    digest: str | None = None
    lastModified: datetime | None = None


@dataclass(slots=True, kw_only=True)
class OpStatus(UForgeObject):
    root: ClassVar[str] = "status"
    bytesLoaded: int | None = None
    bytesTotal: int | None = None
    cancelled: bool | None = None
    complete: bool | None = None
    detailedError: bool | None = None
    detailedErrorMsg: str | None = None
    error: bool | None = None
    errorMessage: str | None = None
    eta: datetime | None = None
    message: str | None = None
    parentUri: str | None = None
    percentage: int | None = None
    published: bool | None = None
    totalTime: datetime | None = None
    uri: str | None = None


@dataclass(slots=True, kw_only=True)
class ServiceStatus(UForgeObject):
    root: ClassVar[str] = "serviceStatus"
    alive: bool | None = None
    version: str | None = None
    serviceLoad: int | None = None


@dataclass(slots=True, kw_only=True)
class SoftwareBundleExport(UForgeObject):
    root: ClassVar[str] = "softwareBundleExport"
    bundleName: str | None = None
    bundleVersion: str | None = None
    downloadUri: str | None = None
    location: str | None = None
    parentUri: str | None = None
    status: OpStatus | None = None
    uri: str | None = None


@dataclass(slots=True, kw_only=True)
class UForgeUploadObject(UForgeObject):
    """What the platform knows of an uploaded file (the XSD's `UForgeUploadObject`)."""

    md5sum: str | None = None
    mimeType: str | None = None
    sha256sum: str | None = None
    size: int | None = None
    status: OpStatus | None = None
    uploaded: bool | None = None
    uploadedTime: datetime | None = None


@dataclass(slots=True, kw_only=True)
class License(UForgeUploadObject):
    root: ClassVar[str] = "license"
    name: str | None = None
    parentUri: str | None = None
    type: str | None = None
    uri: str | None = None


@dataclass(slots=True, kw_only=True)
class Logo(UForgeUploadObject):
    root: ClassVar[str] = "logo"
    description: str | None = None
    name: str | None = None
    parentUri: str | None = None
    title: str | None = None
    uri: str | None = None


@dataclass(slots=True, kw_only=True)
class SubCategories(WireObject):
    category: "list[Category]" = field(default_factory=list)


@dataclass(slots=True, kw_only=True)
class Category(UForgeObject):
    root: ClassVar[str] = "category"
    name: str | None = None
    orgUri: str | None = None
    subCategories: SubCategories | None = None
    subCategoryUri: str | None = None
    uri: str | None = None
    type: str | None = None  # PROJECT, TEMPLATE or IMAGEFORMAT


@dataclass(slots=True, kw_only=True)
class MySoftware(UForgeObject):
    """MySoftware extends SoftwareBundle extends UForgeObject. The nested type the mock never
    fills (bundleRestriction) is left out of this class."""

    root: ClassVar[str] = "mySoftware"
    # SoftwareBundle
    tag: str | None = None
    shortTag: str | None = None
    name: str | None = None
    version: str | None = None
    description: str | None = None
    release: str | None = None
    location: str | None = None
    defaultInstallLocation: str | None = None
    installLocation: str | None = None
    restricted: bool | None = None
    installedSize: int | None = None
    size: int | None = None
    revision: int | None = None
    artifactsUri: str | None = None
    uri: str | None = None
    exportUri: str | None = None
    category: Category | None = None
    license: License | None = None
    logo: Logo | None = None
    maintainer: str | None = None
    website: str | None = None
    softwareArtifactUris: UriList | None = None
    formatDependent: bool | None = None
    containerTemplatesUri: str | None = None
    # MySoftware
    appliancesUri: str | None = None
    applianceUris: UriList | None = None
    cloneUri: str | None = None
    imported: bool | None = None
    generationEnabled: bool | None = None


@dataclass(slots=True, kw_only=True)
class MySoftwareItems(WireObject):
    mySoftware: list[MySoftware] = field(default_factory=list)


@dataclass(slots=True, kw_only=True)
class MySoftwareList(WireObject):
    """A page of mySoftware (`UForgeObjects`: `total` counts every match, not the page)."""

    root: ClassVar[str] = "mySoftwareList"
    total: int | None = None
    mySoftwareList: MySoftwareItems | None = None


@dataclass(slots=True, kw_only=True)
class SoftwareArtifact(UForgeUploadObject):
    """A file of a mySoftware (`subSoftwareArtifacts` hold a directory's files)."""

    root: ClassVar[str] = "softwareArtifact"
    uri: str | None = None
    tag: str | None = None
    binaryUri: str | None = None
    parentUri: str | None = None
    extract: bool | None = None
    install: bool | None = None
    cache: bool | None = None
    active: bool | None = None
    installLocation: str | None = None
    name: str | None = None
    fullName: str | None = None
    origName: str | None = None
    artifactBuildDate: datetime | None = None
    artifactFileDate: datetime | None = None
    release: str | None = None
    shortTag: str | None = None
    type: str | None = None
    version: str | None = None
    arch: str | None = None
    params: str | None = None
    subSoftwareArtifacts: "SubSoftwareArtifacts | None" = None
    subSoftwareArtifactUri: str | None = None
    parentPath: str | None = None
    remotePath: str | None = None


@dataclass(slots=True, kw_only=True)
class SubSoftwareArtifacts(WireObject):
    softwareArtifact: list[SoftwareArtifact] = field(default_factory=list)


@dataclass(slots=True, kw_only=True)
class SoftwareBundleImport(UForgeUploadObject):
    """A bundle import ticket: `referenceUri` names the mySoftware it made, once complete."""

    root: ClassVar[str] = "softwareBundleImport"
    parentUri: str | None = None
    referenceUri: str | None = None
    uploadUri: str | None = None
    statusUri: str | None = None
    imported: bool | None = None
    uri: str | None = None


@dataclass(slots=True, kw_only=True)
class Org(UForgeObject):
    """The fields of the XSD's `Org` the mock fills; the others (formats, companies, ...)
    are absent, which the schema allows."""

    root: ClassVar[str] = "org"
    activateNewUsers: bool | None = None
    admin: bool | None = None
    appliancesUri: str | None = None
    categoriesUri: str | None = None
    defaultOrg: bool | None = None
    membersUri: str | None = None
    name: str | None = None
    uri: str | None = None


@dataclass(slots=True, kw_only=True)
class OrgItems(WireObject):
    org: list[Org] = field(default_factory=list)


@dataclass(slots=True, kw_only=True)
class Orgs(WireObject):
    root: ClassVar[str] = "orgs"
    total: int | None = None
    orgs: OrgItems | None = None


@dataclass(slots=True, kw_only=True)
class CategoryItems(WireObject):
    category: list[Category] = field(default_factory=list)


@dataclass(slots=True, kw_only=True)
class Categories(WireObject):
    root: ClassVar[str] = "categories"
    total: int | None = None
    categories: CategoryItems | None = None


@dataclass(slots=True, kw_only=True)
class User(UForgeObject):
    """User extends UserProfile extends UForgeObject; the fields the mock fills, in the XSD's
    order (never a password)."""

    root: ClassVar[str] = "user"
    # UserProfile
    loginName: str | None = None
    active: bool | None = None
    email: str | None = None
    firstName: str | None = None
    surname: str | None = None
    # User
    admin: bool | None = None
    baseExportsUri: str | None = None
    baseImportsUri: str | None = None
    mySoftwareImportsUri: str | None = None
    baseMySoftwareLibraryUri: str | None = None
    baseOrgsUri: str | None = None
    creationCode: str | None = None
    name: str | None = None
    orgUris: UriList | None = None
    promoCode: str | None = None
    roles: "Roles | None" = None
    uri: str | None = None


@dataclass(slots=True, kw_only=True)
class Entitlement(WireObject):
    description: str | None = None
    name: str | None = None


@dataclass(slots=True, kw_only=True)
class Entitlements(WireObject):
    entitlement: list[Entitlement] = field(default_factory=list)


@dataclass(slots=True, kw_only=True)
class Role(UForgeObject):
    name: str | None = None
    description: str | None = None
    entitlements: Entitlements | None = None


@dataclass(slots=True, kw_only=True)
class Roles(WireObject):
    role: list[Role] = field(default_factory=list)


@dataclass(slots=True, kw_only=True)
class Appliance(UForgeObject):
    """An appliance template: the fields of the XSD's `Appliance` the mock fills, in its
    order (the nested layers it never fills, install profile, OS profile, projects, boot
    scripts, are left out of this class)."""

    root: ClassVar[str] = "appliance"
    archName: str | None = None
    baseCloneUri: str | None = None
    description: str | None = None
    distributionName: str | None = None
    exportsUri: str | None = None
    imageUris: UriList | None = None
    imported: bool | None = None
    mySoftwareUris: UriList | None = None
    name: str | None = None
    nbUpdates: int | None = None
    shared: bool | None = None
    uri: str | None = None
    version: str | None = None


@dataclass(slots=True, kw_only=True)
class ApplianceItems(WireObject):
    appliance: list[Appliance] = field(default_factory=list)


@dataclass(slots=True, kw_only=True)
class Appliances(WireObject):
    """A page of appliances (`UForgeObjects`: `total` counts every match, not the page)."""

    root: ClassVar[str] = "appliances"
    total: int | None = None
    appliances: ApplianceItems | None = None


@dataclass(slots=True, kw_only=True)
class ApplianceExport(UForgeObject):
    root: ClassVar[str] = "applianceExport"
    applianceName: str | None = None
    applianceVersion: str | None = None
    downloadUri: str | None = None
    downloaded: bool | None = None
    location: str | None = None
    parentUri: str | None = None
    status: OpStatus | None = None
    uri: str | None = None


@dataclass(slots=True, kw_only=True)
class ApplianceExportItems(WireObject):
    applianceExport: list[ApplianceExport] = field(default_factory=list)


@dataclass(slots=True, kw_only=True)
class ApplianceExports(WireObject):
    root: ClassVar[str] = "applianceExports"
    total: int | None = None
    applianceExports: ApplianceExportItems | None = None


@dataclass(slots=True, kw_only=True)
class ApplianceImport(UForgeUploadObject):
    """An appliance import ticket: `referenceUri` names the appliance it made, once complete
    (the query's `force` is the XSD's `force_rw`)."""

    root: ClassVar[str] = "applianceImport"
    useMajor: bool | None = None
    reuseBundles: bool | None = None
    force_rw: bool | None = None
    imported: bool | None = None
    parentUri: str | None = None
    referenceUri: str | None = None
    uploadUri: str | None = None
    uri: str | None = None


@dataclass(slots=True, kw_only=True)
class ApplianceImportItems(WireObject):
    applianceImport: list[ApplianceImport] = field(default_factory=list)


@dataclass(slots=True, kw_only=True)
class ApplianceImports(WireObject):
    root: ClassVar[str] = "applianceImports"
    total: int | None = None
    applianceImports: ApplianceImportItems | None = None


@dataclass(slots=True, kw_only=True)
class StatusItems(WireObject):
    status: list[OpStatus] = field(default_factory=list)


@dataclass(slots=True, kw_only=True)
class OpStatuses(WireObject):
    """A list of job statuses (`GET /users/{uid}/exports/statuses`)."""

    root: ClassVar[str] = "statuses"
    total: int | None = None
    statuses: StatusItems | None = None


@dataclass(slots=True, kw_only=True)
class Image(UForgeUploadObject):
    """A machine image generated from an appliance: the fields of the XSD's `Image` the mock
    fills, in its order (the mock generates none yet: `template build` is a later step)."""

    root: ClassVar[str] = "image"
    parentUri: str | None = None
    distributionName: str | None = None
    fileName: str | None = None
    name: str | None = None
    uri: str | None = None
    version: str | None = None


@dataclass(slots=True, kw_only=True)
class ImageItems(WireObject):
    image: list[Image] = field(default_factory=list)


@dataclass(slots=True, kw_only=True)
class Images(WireObject):
    root: ClassVar[str] = "images"
    total: int | None = None
    images: ImageItems | None = None
