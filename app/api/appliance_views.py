"""Appliance records -> wire objects (`appliance`, `appliances`, `images`). URIs are relative
to the base, without a leading slash (`users/guest/appliances/7`), as the platform writes
them. (An appliance export's documents are its family's: `routes/appliance_exports`.)"""

from collections.abc import Sequence

from uforge_mock.api.views import my_software_uri
from uforge_mock.store.appliances import ApplianceRecord
from uforge_mock.store.models import ApplianceFields, camel_case
from uforge_mock.wire.digest import content_digest
from uforge_mock.wire.render import field_names
from uforge_mock.wire.schemas import (
    Appliance,
    ApplianceItems,
    Appliances,
    ImageItems,
    Images,
    UriList,
)


def appliance_uri(owner_login: str, db_id: int) -> str:
    return f"users/{owner_login}/appliances/{db_id}"


# The appliance's own fields its wire type shows as they are, by wire (camelCase) name; the
# OS's name and version make `distributionName` ("CentOS 7", the vendor's "name and version").
_WIRE_FIELDS = {
    name: camel_case(name)
    for name in ApplianceFields.model_fields
    if camel_case(name) in field_names(Appliance) and name != "distribution_name"
}


def appliance(record: ApplianceRecord) -> Appliance:
    uri = appliance_uri(record.owner_login, record.db_id)
    distribution = f"{record.distribution_name} {record.distribution_version}".strip()
    return Appliance(
        created=record.created,
        dbId=record.db_id,
        digest=appliance_digest(record),
        lastModified=record.last_modified,
        baseCloneUri=f"{uri}/clones",
        distributionName=distribution,
        exportsUri=f"{uri}/exports",
        # No image is generated yet (`template build` is a later step): always empty.
        imageUris=UriList(),
        mySoftwareUris=UriList(
            uri=[my_software_uri(b.owner_login, b.my_software_id) for b in record.bundles]
        ),
        uri=uri,
        **{wire: getattr(record, name) for name, wire in _WIRE_FIELDS.items()},
    )


def appliance_digest(record: ApplianceRecord) -> str:
    return content_digest(*record.digest_parts())


def appliance_list(total: int, items: Sequence[ApplianceRecord]) -> Appliances:
    return Appliances(
        total=total, appliances=ApplianceItems(appliance=[appliance(item) for item in items])
    )


def appliance_list_digest(total: int, items: Sequence[ApplianceRecord]) -> str:
    return content_digest(total, *(appliance_digest(item) for item in items))


def no_images() -> Images:
    """A user's machine images: none, until image generation exists."""
    return Images(total=0, images=ImageItems())
