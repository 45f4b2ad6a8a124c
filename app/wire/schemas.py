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
class MySoftware(UForgeObject):
    """MySoftware extends SoftwareBundle extends UForgeObject. The nested types the mock never
    fills (bundleRestriction, category, license, logo) are left out of this class."""

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
