"""A software bundle between its archive form (`uforge_mock.jobs.archive.BundleFacts`, what an
import reads and an export writes) and its stored form (a mySoftware row and its artifacts).

Both directions are here, next to each other, so that what an import keeps is exactly what
an export writes back: the round trip export -> import -> export describes the same software.
"""

import json
from typing import Any

from uforge_mock.jobs.archive import BundleAttachment, BundleFacts, BundleFile
from uforge_mock.store.imports import NewSoftware
from uforge_mock.store.library import ArtifactRecord, SoftwareDetails
from uforge_mock.store.queries import MySoftwareRecord

# The longest text a mySoftware column takes from a bundle file (the vendor's are 255 wide);
# longer is cut, not refused: the import is of the archive as it is.
MAX_TEXT = 255


def _text(value: str | None) -> str | None:
    return value[:MAX_TEXT] if value is not None else None


def _json(mapping: Any) -> str | None:
    return json.dumps(dict(mapping), sort_keys=True, default=str) if mapping else None


def new_software(bundle: BundleFacts, *, imported: bool) -> NewSoftware:
    """The rows an imported bundle becomes (`imported`: from an export's archive, as hammr's
    `bundle import` says; not from a bundle file, as `bundle create` says)."""
    values: dict[str, Any] = {
        "name": _text(bundle.name) or "bundle",
        "version": _text(bundle.version) or "",
        "description": bundle.description,
        "maintainer": _text(bundle.maintainer),
        "website": _text(bundle.website),
        "short_tag": _text(bundle.short_tag),
        "size": bundle.size,
        "imported": imported,
        "attributes": _json(bundle.extra),
    }
    artifacts: list[dict[str, Any]] = []
    for position, file in enumerate(bundle.files):
        artifacts.append(
            {
                "kind": "file",
                "position": position,
                "parent_position": file.parent,
                "directory": file.directory,
                "name": file.name,
                "tag": file.tag,
                "install_location": file.install_location,
                "attributes": _json(file.attributes),
                "size": file.size,
                "sha256": file.sha256,
                "md5": file.md5,
                "content": file.content,
            }
        )
    for kind, attachment in (("license", bundle.license), ("logo", bundle.logo)):
        if attachment is not None:
            attributes = dict(attachment.attributes)
            if attachment.type is not None:
                attributes["type"] = attachment.type
            artifacts.append(
                {
                    "kind": kind,
                    "position": len(artifacts),
                    "name": attachment.name,
                    "attributes": _json(attributes),
                    "size": attachment.size,
                    "sha256": attachment.sha256,
                    "md5": attachment.md5,
                    "content": attachment.content,
                }
            )
    return NewSoftware(values=values, category=bundle.category, artifacts=artifacts)


def bundle_facts(
    software: MySoftwareRecord, details: SoftwareDetails, contents: dict[int, bytes]
) -> BundleFacts:
    """The bundle an export writes of a stored mySoftware (its bytes from `contents`, by
    artifact id)."""
    # A file's parent is stored as the directory's position; the bundle's files refer to it
    # by its index among them.
    index_of = {artifact.position: index for index, artifact in enumerate(details.files)}
    files = tuple(_file(artifact, contents, index_of) for artifact in details.files)
    return BundleFacts(
        name=software.name,
        version=software.version,
        description=software.description,
        maintainer=software.maintainer,
        website=software.website,
        short_tag=software.short_tag,
        category=details.category.name if details.category else None,
        files=files,
        license=_attachment(details.license, contents),
        logo=_attachment(details.logo, contents),
        extra=json.loads(details.attributes) if details.attributes else {},
    )


def _file(
    artifact: ArtifactRecord, contents: dict[int, bytes], index_of: dict[int, int]
) -> BundleFile:
    return BundleFile(
        name=artifact.name,
        tag=artifact.tag,
        install_location=artifact.install_location,
        content=contents.get(artifact.db_id),
        directory=artifact.directory,
        parent=index_of.get(artifact.parent_position)
        if artifact.parent_position is not None
        else None,
        attributes=artifact.attributes,
    )


def _attachment(
    artifact: ArtifactRecord | None, contents: dict[int, bytes]
) -> BundleAttachment | None:
    if artifact is None:
        return None
    attributes = dict(artifact.attributes)
    kind = attributes.pop("type", None)
    return BundleAttachment(
        name=artifact.name,
        content=contents.get(artifact.db_id, b""),
        type=kind if isinstance(kind, str) else None,
        attributes=attributes,
    )
