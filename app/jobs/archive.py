"""The archive a finished export offers for download: a gzip-compressed tar holding the bundle's
metadata file, `bundle.yml` (or `bundle.json`), in the format hammr's `bundle create` and
`bundle validate` read (required keys `name`, `version` and `files`).

The bytes depend only on their inputs (fixed member times, no gzip name or time), so every
server process builds the same archive for the same export and its ETag is stable.
"""

import gzip
import io
import json
import tarfile
from dataclasses import dataclass
from datetime import datetime

import yaml


@dataclass(frozen=True, slots=True)
class BundleFacts:
    name: str
    version: str
    description: str | None = None
    maintainer: str | None = None
    website: str | None = None
    short_tag: str | None = None


def bundle_metadata(bundle: BundleFacts) -> dict[str, object]:
    """The bundle file's content; strings throughout (hammr's `bundle create` needs them)."""
    metadata: dict[str, object] = {"name": bundle.name, "version": str(bundle.version)}
    for key, value in (
        ("description", bundle.description),
        ("shortTag", bundle.short_tag),
        ("maintainer", bundle.maintainer),
        ("website", bundle.website),
    ):
        if value:
            metadata[key] = value
    metadata["files"] = []
    return metadata


def metadata_file(bundle: BundleFacts, output_format: str) -> tuple[str, bytes]:
    """(member name, content) of the bundle file in `output_format` ("yaml" or "json")."""
    metadata = bundle_metadata(bundle)
    if output_format == "json":
        return "bundle.json", json.dumps(metadata, indent=4, ensure_ascii=False).encode() + b"\n"
    text = yaml.safe_dump(metadata, default_flow_style=False, explicit_start=True, sort_keys=False)
    return "bundle.yml", text.encode("utf-8")


def bundle_archive(bundle: BundleFacts, output_format: str, *, built: datetime) -> bytes:
    """The .tar.gz of the export, its members dated `built`."""
    name, content = metadata_file(bundle, output_format)
    tar_bytes = io.BytesIO()
    with tarfile.open(fileobj=tar_bytes, mode="w", format=tarfile.PAX_FORMAT) as archive:
        member = tarfile.TarInfo(name)
        member.size = len(content)
        member.mtime = int(built.timestamp())
        member.mode = 0o644
        member.uname = member.gname = "uforge"
        archive.addfile(member, io.BytesIO(content))
    return gzip.compress(tar_bytes.getvalue(), mtime=0)


def archive_filename(bundle: BundleFacts) -> str:
    """A download name safe in a Content-Disposition header: `Zabbix-3.0.1.tar.gz`."""
    stem = f"{bundle.name}-{bundle.version}" if bundle.version else bundle.name
    safe = "".join(
        char if char.isascii() and (char.isalnum() or char in "._-") else "_" for char in stem
    )
    return f"{safe or 'bundle'}.tar.gz"
