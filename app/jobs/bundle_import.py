"""Reading a software-bundle archive a client uploaded: hammr's `bundle create` builds one from a
bundle file, `bundle import` uploads one an export produced (`uforge_mock.jobs.archive` lays
both out). It is a gzip-compressed tar holding `bundle.yml` (or `bundle.json`) at its root and
the members the bundle file's `source` keys name; hammr writes the bundle file last.

The archive is read in one bounded streaming pass by `uforge_mock.jobs.archive_reader` (what
makes an upload safe to read is there, shared with the template imports); this module reads
the bundle file against the members. Whatever is wrong is one exception:

    ArchiveRefused(message, detail)
      - the upload is empty, not gzip, not a tar, truncated or corrupt
      - a member's name or kind is unsafe, a member repeats with other bytes, a limit is passed
      - the bundle file is missing (or twice), not YAML/JSON, or not the shape hammr writes
      - a `source` names no member of the archive
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import cast

from uforge_mock.jobs.archive import (
    BUNDLE_KEYS,
    FILE_KEYS,
    OSPKG,
    BundleAttachment,
    BundleFacts,
    BundleFile,
)
from uforge_mock.jobs.archive_reader import (
    MAX_DEPTH,
    MAX_NODES,
    ArchiveLimits,
    ArchiveRefused,
    Member,
    MiB,
    Readable,
    parse_metadata,
    read_members,
    refusals_as,
    shown,
    text_field,
)

__all__ = [
    "BUNDLE_FILES",
    "MAX_DEPTH",
    "MAX_NODES",
    "REFUSED",
    "ArchiveLimits",
    "ArchiveRefused",
    "ImportedAttachment",
    "ImportedBundle",
    "ImportedFile",
    "MiB",
    "Readable",
    "read_bundle_archive",
]

# The job's error message when an archive is refused (the detail says why).
REFUSED = "Failed to import the software bundle"
# The bundle files a root may hold, and their formats.
BUNDLE_FILES = {"bundle.yml": "yaml", "bundle.json": "json"}

# What was imported is what an export writes: the same types describe both.
ImportedFile = BundleFile
ImportedAttachment = BundleAttachment


def _refused(detail: str) -> ArchiveRefused:
    return ArchiveRefused(REFUSED, detail)


@dataclass(frozen=True, slots=True)
class ImportedBundle(BundleFacts):
    """A software bundle read from an archive: BundleFacts (so it exports again as it is) and
    the format of the bundle file it came in, "yaml" or "json"."""

    file_format: str = "yaml"


# ------------------------------------------------------------------ the bundle file


def _normalised(source: str) -> str:
    """A `source` as a member name: hammr on Windows writes `\\` between its parts."""
    return "/".join(part for part in source.replace("\\", "/").split("/") if part not in ("", "."))


class _Interpreter:
    """The bundle file read against the members: what each `source` names."""

    def __init__(self, file_name: str, members: dict[str, Member], limits: ArchiveLimits):
        self.file_name = file_name
        self.members = members
        self.limits = limits
        self.directories = {
            "/".join(parts[:end])
            for parts in (name.split("/") for name in members)
            for end in range(1, len(parts))
        } | {name for name, member in members.items() if member.directory}
        self.files: list[BundleFile] = []

    def file_entries(self, entries: object, parent: int | None, owner: str) -> None:
        if not isinstance(entries, list):
            raise _refused(f'{owner}\'s "files" is not a list')
        for entry in entries:
            if len(self.files) >= self.limits.max_members:
                raise _refused(f"{self.file_name} lists more than {self.limits.max_members} files")
            if not isinstance(entry, dict):
                raise _refused(f'an entry of {self.file_name}\'s "files" is not a mapping')
            name = cast(
                str, text_field(entry, "name", f"a file of {self.file_name}", required=True)
            )
            the_file = f"the file {shown(name)}"
            source = text_field(entry, "source", the_file)
            if source is None:
                raise _refused(f'{the_file} has no "source"')
            tag = text_field(entry, "tag", the_file)
            install_location = text_field(entry, "installLocation", the_file)
            children = entry.get("files", [])
            content, directory = None, False
            if tag != OSPKG:  # an OS package has no member: its source names the package
                source = _normalised(source)
                member = self.members.get(source)
                if member is not None and not member.directory:
                    content = member.content
                elif member is not None or source in self.directories:
                    directory = True
                else:
                    raise _refused(
                        f"{the_file} names the source {shown(source)}, which is not in the archive"
                    )
                if children and not directory:
                    raise _refused(f"{the_file} lists files but its source is not a directory")
            index = len(self.files)
            self.files.append(
                BundleFile(
                    name=name,
                    source=source,
                    tag=tag,
                    install_location=install_location,
                    content=content,
                    directory=directory,
                    parent=parent,
                    attributes={k: v for k, v in entry.items() if k not in FILE_KEYS},
                )
            )
            self.file_entries(children, index, the_file)

    def attachment(self, source: str, owner: str) -> tuple[str, bytes]:
        path = _normalised(source)
        member = self.members.get(path)
        if member is None or member.content is None:
            where = "is a directory" if member is not None else "is not in the archive"
            raise _refused(f"{owner}'s source {shown(path)} {where}")
        return path, member.content

    def license(self, value: object) -> BundleAttachment | None:
        if value is None:
            return None
        if not isinstance(value, dict):
            raise _refused("the license is not a mapping")
        source = text_field(value, "source", "the license", required=True)
        path, content = self.attachment(cast(str, source), "the license")
        return BundleAttachment(
            name=path.rpartition("/")[2],
            content=content,
            source=path,
            type=text_field(value, "type", "the license"),
            attributes={k: v for k, v in value.items() if k not in ("source", "type")},
        )

    def logo(self, value: object) -> BundleAttachment | None:
        if value is None:
            return None
        if not isinstance(value, str):
            raise _refused(f'{self.file_name}\'s "sourceLogo" is not text')
        path, content = self.attachment(value, "the logo")
        return BundleAttachment(name=path.rpartition("/")[2], content=content, source=path)


def _category(value: object, file_name: str) -> str | None:
    """A category by its name: hammr's bundle files give the name, UForge's objects a
    mapping holding it."""
    if isinstance(value, dict):
        value = value.get("name")
    if value is None or isinstance(value, str):
        return value
    raise _refused(f'{file_name}\'s "category" is not text')


def _bundle(members: dict[str, Member], limits: ArchiveLimits) -> ImportedBundle:
    found = [name for name in BUNDLE_FILES if (m := members.get(name)) and not m.directory]
    if not found:
        raise _refused("the archive holds no bundle.yml or bundle.json at its root")
    if len(found) > 1:
        raise _refused("the archive holds both bundle.yml and bundle.json")
    file_name = found[0]
    content = cast(bytes, members[file_name].content)
    document = parse_metadata(file_name, content, BUNDLE_FILES[file_name])
    # hammr's order: name, version, files.
    name = cast(str, text_field(document, "name", file_name, required=True))
    version = cast(str, text_field(document, "version", file_name, required=True))
    if "files" not in document:
        raise _refused(f'{file_name} has no "files"')
    interpreter = _Interpreter(file_name, members, limits)
    interpreter.file_entries(document["files"], None, file_name)
    return ImportedBundle(
        name=name,
        version=version,
        description=text_field(document, "description", file_name),
        maintainer=text_field(document, "maintainer", file_name),
        website=text_field(document, "website", file_name),
        short_tag=text_field(document, "shortTag", file_name),
        category=_category(document.get("category"), file_name),
        files=tuple(interpreter.files),
        license=interpreter.license(document.get("license")),
        logo=interpreter.logo(document.get("sourceLogo")),
        extra={k: v for k, v in document.items() if k not in BUNDLE_KEYS},
        file_format=BUNDLE_FILES[file_name],
    )


def read_bundle_archive(
    source: Readable | Iterable[bytes] | bytes, limits: ArchiveLimits | None = None
) -> ImportedBundle:
    """The software bundle an uploaded archive holds, or ArchiveRefused (and no other
    exception, whatever the bytes) saying why there is none.

    `source` is a binary file object (an upload spooled to disk, read from where it stands),
    an iterable of byte chunks, or bytes. It is read once, front to back; what is kept in
    memory is the members' contents, at most `limits.max_total_bytes`.
    """
    limits = limits or ArchiveLimits()
    with refusals_as(REFUSED):
        members = read_members(source, limits, metadata_files=BUNDLE_FILES)
        return _bundle(members, limits)
