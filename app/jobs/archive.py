"""The archive of a software bundle: a gzip-compressed tar laid out as hammr's `bundle create`
lays it out, so that hammr's `bundle import` uploads it as it is and the mock (or UForge) reads
it back (`uforge_mock.jobs.bundle_import`):

    bundles/<name>/<version>/<file>          each entry of `files`, nested as `files` nests
    bundles/<name>/<license file>            the license (`license.source`)
    bundles/<name>/<logo file>               the logo (`sourceLogo`)
    bundle.yml (or bundle.json)              the bundle file, last, its `source` keys naming
                                             the members above

The bundle file is in the format hammr's `bundle create` and `bundle validate` read (required
keys `name`, `version` and `files`). hammr writes `_` for the spaces of names in member paths;
so do we, and we also replace what would make a path unsafe or ambiguous (separators, `..`,
control characters), so that every archive we write is one our reader accepts.

The bytes depend only on their inputs (members dated `built`, no gzip name or time), so every
server process builds the same archive for the same export and its ETag is stable.
"""

import gzip
import hashlib
import io
import json
import tarfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, BinaryIO

import yaml

# The folder at the archive's root that holds the bundle's members (hammr's FOLDER_BUNDLES).
BUNDLES_FOLDER = "bundles"
# A `files` entry with this tag names an OS package: the archive holds no member for it.
OSPKG = "ospkg"
# The keys of a `files` entry that BundleFile has fields for; the others are its attributes.
FILE_KEYS = frozenset({"name", "source", "tag", "installLocation", "files"})
# The keys of the bundle file that BundleFacts has fields for; the others are its `extra`.
BUNDLE_KEYS = frozenset(
    {
        "name",
        "version",
        "description",
        "shortTag",
        "maintainer",
        "website",
        "category",
        "license",
        "sourceLogo",
        "files",
    }
)


def _set_digests(target: object, content: bytes | None) -> None:
    """Fill the `size`, `sha256` and `md5` a frozen file dataclass derives from its bytes."""
    size, sha256, md5 = 0, None, None
    if content is not None:
        size = len(content)
        sha256, md5 = hashlib.sha256(content).hexdigest(), hashlib.md5(content).hexdigest()
    object.__setattr__(target, "size", size)
    object.__setattr__(target, "sha256", sha256)
    object.__setattr__(target, "md5", md5)


@dataclass(frozen=True, slots=True)
class BundleFile:
    """One entry of a bundle file's `files` (an artifact of the mySoftware), what an archive
    carried in and what an export writes out.

    The nested `files` lists are flattened in the bundle file's order (a directory before what
    it lists): `parent` is the index, in the same tuple, of the entry that lists this one (None
    at the top). `source` is the member path the bundle file named (for an `ospkg` entry, the
    package it names). `content` is None for an `ospkg` entry and for a directory. `attributes`
    holds the entry's other keys (`rights`, `bootOrder`, `extract` ...) as plain data, so an
    export writes the entry back as it came. `size`, `sha256` and `md5` follow from `content`.
    """

    name: str
    source: str = ""
    tag: str | None = None
    install_location: str | None = None
    content: bytes | None = field(default=None, repr=False)
    directory: bool = False
    parent: int | None = None
    attributes: Mapping[str, object] = field(default_factory=dict)
    size: int = field(init=False, compare=False)
    sha256: str | None = field(init=False, compare=False)
    md5: str | None = field(init=False, compare=False)

    def __post_init__(self) -> None:
        _set_digests(self, self.content)


@dataclass(frozen=True, slots=True)
class BundleAttachment:
    """The license or the logo of a bundle: its file name (the basename of its `source`), its
    bytes, and for a license its `type` and the license mapping's other keys (`attributes`)."""

    name: str
    content: bytes = field(repr=False)
    source: str = ""
    type: str | None = None
    attributes: Mapping[str, object] = field(default_factory=dict)
    size: int = field(init=False, compare=False)
    sha256: str | None = field(init=False, compare=False)
    md5: str | None = field(init=False, compare=False)

    def __post_init__(self) -> None:
        _set_digests(self, self.content)


@dataclass(frozen=True, slots=True)
class BundleFacts:
    """A software bundle as its archive describes it. `files` is flattened as BundleFile says;
    `extra` holds the bundle file's other top-level keys as plain data."""

    name: str
    version: str
    description: str | None = None
    maintainer: str | None = None
    website: str | None = None
    short_tag: str | None = None
    category: str | None = None
    files: tuple[BundleFile, ...] = ()
    license: BundleAttachment | None = None
    logo: BundleAttachment | None = None
    extra: Mapping[str, object] = field(default_factory=dict)

    @property
    def size(self) -> int:
        """The bundle's size as UForge counts it: the sum of its files' sizes."""
        return sum(file.size for file in self.files)


@dataclass(frozen=True, slots=True)
class _Layout:
    """Where each part of a bundle goes in its archive: a member path per file (None for an
    `ospkg` entry, which has no member), and those of the license and the logo."""

    files: tuple[str | None, ...]
    directories: frozenset[int]
    license: str | None
    logo: str | None


def _segment(text: str) -> str:
    """`text` as one component of a member path: spaces read `_` as hammr writes them, and so
    does anything that would make the path unsafe (separators, non-printable characters); an
    empty, `.` or `..` component reads `_`."""
    cleaned = "".join("_" if char in " /\\" or not char.isprintable() else char for char in text)
    return "_" if cleaned in ("", ".", "..") else cleaned


def _basename(name: str) -> str:
    """The last part of `name`, either separator counting (hammr on Windows writes `\\`).
    Not `ntpath.basename`, which reads `0:` as a drive and leaves nothing of it: a name read
    back from an archive must give the same member path again."""
    return name.replace("\\", "/").rpartition("/")[2]


def _layout(bundle: BundleFacts) -> _Layout:
    """The member paths of `bundle`, as hammr lays them out. Two parts that would share a path
    (two files of one name in one folder, a license named like the version) get `_2`, `_3` ...,
    so no member repeats and no file stands where a folder is."""
    taken: set[str] = set()

    def claim(path: str) -> str:
        candidate, number = path, 1
        while candidate in taken:
            number += 1
            candidate = f"{path}_{number}"
        parts = candidate.split("/")
        taken.update("/".join(parts[:end]) for end in range(1, len(parts) + 1))
        return candidate

    folder = f"{BUNDLES_FOLDER}/{_segment(bundle.name)}"
    root = f"{folder}/{_segment(bundle.version)}"
    # An entry that lists others is a directory in the archive, whatever it says (its files
    # stand under it); our reader refuses a file entry that lists files, as hammr does.
    parents = {file.parent for file in bundle.files}
    directories = frozenset(
        index
        for index, file in enumerate(bundle.files)
        if file.tag != OSPKG and (file.directory or index in parents)
    )
    # Every entry gets a path, the ospkg ones too: what an ospkg entry lists (hammr refuses
    # that, a hand-written archive may not) is laid out under it.
    paths: list[str] = []
    for index, file in enumerate(bundle.files):
        if file.parent is None:
            base = root
        elif 0 <= file.parent < index:
            base = paths[file.parent]
        else:
            raise ValueError(f"the parent of file {index} ({file.parent}) does not precede it")
        paths.append(claim(f"{base}/{_segment(_basename(file.name))}"))

    def attachment(part: BundleAttachment | None) -> str | None:
        return None if part is None else claim(f"{folder}/{_segment(_basename(part.name))}")

    return _Layout(
        files=tuple(
            None if file.tag == OSPKG else path
            for file, path in zip(bundle.files, paths, strict=True)
        ),
        directories=directories,
        license=attachment(bundle.license),
        logo=attachment(bundle.logo),
    )


def _file_entries(bundle: BundleFacts, layout: _Layout) -> list[dict[str, object]]:
    """The bundle file's `files`, nested again: each entry's own keys first, then its
    attributes, then what it lists."""
    entries: list[dict[str, object]] = []
    listed: dict[int, list[dict[str, object]]] = {}
    parents = {file.parent for file in bundle.files}
    for index, file in enumerate(bundle.files):
        path = layout.files[index]
        entry: dict[str, object] = {
            "name": file.name,
            "source": (file.source or file.name) if path is None else path,
        }
        if file.tag is not None:
            entry["tag"] = file.tag
        if file.install_location is not None:
            entry["installLocation"] = file.install_location
        entry.update((key, value) for key, value in file.attributes.items() if key not in FILE_KEYS)
        if index in layout.directories or index in parents:
            entry["files"] = listed.setdefault(index, [])
        (entries if file.parent is None else listed.setdefault(file.parent, [])).append(entry)
    return entries


def _bundle_metadata(bundle: BundleFacts, layout: _Layout) -> dict[str, object]:
    metadata: dict[str, object] = {"name": bundle.name, "version": str(bundle.version)}
    for key, value in (
        ("description", bundle.description),
        ("shortTag", bundle.short_tag),
        ("maintainer", bundle.maintainer),
        ("website", bundle.website),
        ("category", bundle.category),
    ):
        if value:
            metadata[key] = value
    metadata.update((key, value) for key, value in bundle.extra.items() if key not in BUNDLE_KEYS)
    if bundle.license is not None and layout.license is not None:
        license_entry: dict[str, object] = {"source": layout.license}
        if bundle.license.type is not None:
            license_entry["type"] = bundle.license.type
        license_entry.update(
            (key, value)
            for key, value in bundle.license.attributes.items()
            if key not in ("source", "type")
        )
        metadata["license"] = license_entry
    if layout.logo is not None:
        metadata["sourceLogo"] = layout.logo
    metadata["files"] = _file_entries(bundle, layout)
    return metadata


def bundle_metadata(bundle: BundleFacts) -> dict[str, object]:
    """The bundle file's content; strings throughout (hammr's `bundle create` needs them), the
    `source` keys naming the members of the archive `bundle_archive` writes."""
    return _bundle_metadata(bundle, _layout(bundle))


def serialized(metadata: Mapping[str, object], output_format: str, stem: str) -> tuple[str, bytes]:
    """(member name, content) of a metadata file holding `metadata` in `output_format`
    ("yaml" or "json"), named as hammr names it: `<stem>.yml` or `<stem>.json`. Keys in their
    order; the same bytes for the same metadata."""
    if output_format == "json":
        return f"{stem}.json", json.dumps(metadata, indent=4, ensure_ascii=False).encode() + b"\n"
    text = yaml.safe_dump(
        dict(metadata), default_flow_style=False, explicit_start=True, sort_keys=False
    )
    return f"{stem}.yml", text.encode("utf-8")


def metadata_file(bundle: BundleFacts, output_format: str) -> tuple[str, bytes]:
    """(member name, content) of the bundle file in `output_format` ("yaml" or "json")."""
    return serialized(bundle_metadata(bundle), output_format, "bundle")


def write_bundle_archive(
    bundle: BundleFacts, output_format: str, target: IO[bytes], *, built: datetime
) -> None:
    """Write the .tar.gz of `bundle` to `target`, its members dated `built`: the files in the
    bundle file's order (a directory before what it holds), the license, the logo, and the
    bundle file last, as hammr writes them."""
    layout = _layout(bundle)
    name, metadata = serialized(_bundle_metadata(bundle, layout), output_format, "bundle")
    parts: list[tuple[str, bytes | None]] = []
    for index, (file, path) in enumerate(zip(bundle.files, layout.files, strict=True)):
        if path is None:
            continue
        if index in layout.directories:
            parts.append((path, None))
        else:
            # A file whose bytes were never given is written empty: the archive stays one
            # that hammr uploads and our reader accepts.
            parts.append((path, file.content or b""))
    for attachment, path in ((bundle.license, layout.license), (bundle.logo, layout.logo)):
        if attachment is not None and path is not None:
            parts.append((path, attachment.content))
    parts.append((name, metadata))
    write_tar_gz(parts, target, built=built)


def write_tar_gz(
    parts: Iterable[tuple[str, bytes | None]], target: IO[bytes], *, built: datetime
) -> None:
    """Write a .tar.gz of `parts` (member path, bytes; None for a directory) to `target`, in
    their order, every member dated `built`: the bytes depend on nothing else (no gzip name
    or time, the same owner and modes)."""
    mtime = int(built.timestamp())

    def member(path: str, content: bytes | None) -> tuple[tarfile.TarInfo, BinaryIO | None]:
        info = tarfile.TarInfo(path)
        info.mtime = mtime
        info.uname = info.gname = "uforge"
        if content is None:
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            return info, None
        info.size, info.mode = len(content), 0o644
        return info, io.BytesIO(content)

    with (
        gzip.GzipFile(filename="", mode="wb", fileobj=target, mtime=0) as compressed,
        tarfile.open(fileobj=compressed, mode="w", format=tarfile.PAX_FORMAT) as archive,
    ):
        for path, content in parts:
            archive.addfile(*member(path, content))


def bundle_archive(bundle: BundleFacts, output_format: str, *, built: datetime) -> bytes:
    """The .tar.gz of the export, its members dated `built` (see `write_bundle_archive`)."""
    target = io.BytesIO()
    write_bundle_archive(bundle, output_format, target, built=built)
    return target.getvalue()


def download_name(name: str, version: str, fallback: str) -> str:
    """A download name safe in a Content-Disposition header: `Zabbix-3.0.1.tar.gz` (`fallback`
    when nothing of the name is left)."""
    stem = f"{name}-{version}" if version else name
    safe = "".join(
        char if char.isascii() and (char.isalnum() or char in "._-") else "_" for char in stem
    )
    return f"{safe or fallback}.tar.gz"


def archive_filename(bundle: BundleFacts) -> str:
    """A download name safe in a Content-Disposition header: `Zabbix-3.0.1.tar.gz`."""
    return download_name(bundle.name, bundle.version, "bundle")
