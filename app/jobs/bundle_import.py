"""Reading a software-bundle archive a client uploaded: hammr's `bundle create` builds one from a
bundle file, `bundle import` uploads one an export produced (`uforge_mock.jobs.archive` lays
both out). It is a gzip-compressed tar holding `bundle.yml` (or `bundle.json`) at its root and
the members the bundle file's `source` keys name; hammr writes the bundle file last.

An upload is hostile until read, so it is read in one streaming pass with every count bounded
while it is read, never after: the compressed and the decompressed bytes (a gzip bomb stops at
the limit, whatever its tar headers declare), each header, each member, the members' number.
Only plain files and directories with plain relative names are accepted. Before the bundle
file is built, its YAML events are measured (how deep it nests, what its aliases expand to,
which tags it uses), and it is built as plain data only (no `!!python` tags). Whatever is
wrong is one exception:

    ArchiveRefused(message, detail)
      - the upload is empty, not gzip, not a tar, truncated or corrupt
      - a member's name or kind is unsafe, a member repeats with other bytes, a limit is passed
      - the bundle file is missing (or twice), not YAML/JSON, or not the shape hammr writes
      - a `source` names no member of the archive
"""

import datetime as dt
import io
import itertools
import json
import tarfile
import unicodedata
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Protocol, cast

import yaml

from uforge_mock.jobs.archive import (
    BUNDLE_KEYS,
    FILE_KEYS,
    OSPKG,
    BundleAttachment,
    BundleFacts,
    BundleFile,
)

MiB = 1024 * 1024
# The job's error message when an archive is refused (the detail says why).
REFUSED = "Failed to import the software bundle"
# The bundle files a root may hold, and their formats.
BUNDLE_FILES = {"bundle.yml": "yaml", "bundle.json": "json"}
# How deep the bundle file may nest, and how many nodes it may amount to once its aliases are
# expanded: far beyond any bundle (10,000 files of a dozen keys is 250,000 nodes), far below
# what an alias bomb asks for.
MAX_DEPTH = 64
MAX_NODES = 1_000_000
# How much compressed input is read at once, and at most how much one read inflates to.
_CHUNK = 64 * 1024
# What tarfile's stream reads ahead of a member's end (one buffer, the block padding).
_SLACK = 2 * tarfile.RECORDSIZE
# The YAML tags of plain data; a bundle file may use these and no other.
_PLAIN_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}"
    for name in ("null", "bool", "int", "float", "str", "seq", "map", "merge", "timestamp")
)

# What was imported is what an export writes: the same types describe both.
ImportedFile = BundleFile
ImportedAttachment = BundleAttachment


class ArchiveRefused(Exception):
    """An uploaded archive that cannot become a software bundle. `message` reads like the
    status message of a failed UForge job, `detail` says what is wrong with the archive."""

    def __init__(self, message: str, detail: str) -> None:
        super().__init__(f"{message}: {detail}")
        self.message = message
        self.detail = detail


def _refused(detail: str) -> ArchiveRefused:
    return ArchiveRefused(REFUSED, detail)


@dataclass(frozen=True, slots=True)
class ArchiveLimits:
    """What an archive may amount to. Member contents are kept in memory (they are stored
    later), so `max_total_bytes` also bounds the memory one import takes."""

    max_members: int = 10_000
    max_member_bytes: int = 64 * MiB
    max_total_bytes: int = 256 * MiB
    max_bundle_file_bytes: int = 1 * MiB
    # A member's header, long names and pax records included (a real one is a few blocks).
    max_header_bytes: int = 1 * MiB


@dataclass(frozen=True, slots=True)
class ImportedBundle(BundleFacts):
    """A software bundle read from an archive: BundleFacts (so it exports again as it is) and
    the format of the bundle file it came in, "yaml" or "json"."""

    file_format: str = "yaml"


def _size(count: int) -> str:
    return f"{count // MiB} MiB" if count >= MiB and count % MiB == 0 else f"{count} bytes"


def _shown(name: str) -> str:
    """`name` quoted for a detail: at most 200 characters, the unprintable ones escaped."""
    shown = "".join(char if char.isprintable() else f"\\u{ord(char):04x}" for char in name[:200])
    return f'"{shown}"' + ("..." if len(name) > 200 else "")


# ------------------------------------------------------------------ the decompressed stream


class _Inflated:
    """The decompressed bytes of the upload, as the file object tarfile's stream mode reads.

    Every byte is counted as it is produced: past `max_total_bytes` the read is refused, and
    `allow` moves a nearer ceiling while a header or a member is read, so a header that
    declares a huge pax record or long name is refused after `max_header_bytes`, before
    tarfile gathers it in memory. Back-to-back gzip members are one stream (as gzip reads
    them); zeros after the last are tape padding; anything else after it is refused.
    """

    def __init__(self, next_chunk: Callable[[], bytes], limits: ArchiveLimits) -> None:
        self._next_chunk = next_chunk
        self._limits = limits
        self._input = b""
        self._inflater: zlib._Decompress | None = None
        self._started = False
        self._ended = False
        self._consumed = 0
        self._produced = 0
        self._ceiling = limits.max_total_bytes
        self._beyond = ""

    def allow(self, count: int, detail: str) -> None:
        """Refuse with `detail` once `count` more bytes than now have been produced."""
        self._ceiling = min(self._limits.max_total_bytes, self._produced + count)
        self._beyond = detail

    def _more(self) -> bytes:
        chunk = self._next_chunk()
        self._consumed += len(chunk)
        if self._consumed > self._limits.max_total_bytes:
            raise _refused(f"the archive is larger than {_size(self._limits.max_total_bytes)}")
        return chunk

    def _start_member(self) -> bool:
        """Begin the next gzip member; False at the clean end of the upload."""
        while True:
            if self._started:
                self._input = self._input.lstrip(b"\0")
            if len(self._input) >= 2:
                break
            chunk = self._more()
            if not chunk:
                if self._input:
                    break
                if not self._started:
                    raise _refused("the archive is empty")
                return False
            self._input += chunk
        if not self._input.startswith(b"\x1f\x8b"):
            raise _refused(
                "the archive has data after its gzip stream"
                if self._started
                else "the archive is not a gzip-compressed tar"
            )
        self._started = True
        self._inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        return True

    def read(self, size: int = -1) -> bytes:
        limit = _CHUNK if size < 0 else min(size, _CHUNK)
        while limit and not self._ended:
            if self._inflater is None and not self._start_member():
                self._ended = True
                break
            inflater = cast("zlib._Decompress", self._inflater)
            if not self._input:
                self._input = self._more()
                if not self._input:
                    raise _refused("the archive is truncated")
            try:
                out = inflater.decompress(self._input, limit)
            except zlib.error as error:
                raise _refused(f"the archive's gzip stream is corrupt ({error})") from None
            if inflater.eof:
                self._input, self._inflater = inflater.unused_data, None
            else:
                self._input = inflater.unconsumed_tail
            if out:
                self._produced += len(out)
                if self._produced > self._limits.max_total_bytes:
                    raise _refused(
                        f"the archive expands to more than {_size(self._limits.max_total_bytes)}"
                    )
                if self._produced > self._ceiling:
                    raise _refused(self._beyond)
                return out
        return b""

    def drain(self) -> None:
        """Read to the end, so a truncated or corrupt tail is refused too."""
        self.allow(self._limits.max_total_bytes, "")
        while self.read(_CHUNK):
            pass


class Readable(Protocol):
    """A binary file object read from where it stands: an open file, a SpooledTemporaryFile."""

    def read(self, size: int = -1, /) -> bytes: ...


def _chunks(source: Readable | Iterable[bytes] | bytes) -> Callable[[], bytes]:
    """A function returning the upload's next piece (b"" at its end)."""
    if isinstance(source, bytes | bytearray | memoryview):
        source = io.BytesIO(bytes(source))
    if hasattr(source, "read"):
        reader = cast(Readable, source)
        return lambda: reader.read(_CHUNK)
    pieces: Iterator[bytes] = iter(source)

    def next_piece() -> bytes:
        for piece in pieces:
            if piece:
                return bytes(piece)
        return b""

    return next_piece


# ------------------------------------------------------------------ the tar members


@dataclass(frozen=True, slots=True)
class _Member:
    directory: bool
    content: bytes | None


def _tar_failure(error: Exception) -> ArchiveRefused:
    """What tarfile raised (any type: its parsers raise several on hostile headers), as a
    refusal; ours go through untouched."""
    if isinstance(error, ArchiveRefused):
        return error
    if "unexpected end of data" in str(error):
        return _refused("the archive is truncated")
    return _refused(f"the archive's tar is damaged ({str(error)[:200]})")


def _member_name(raw: str) -> str:
    """The member's name, normalised (`./` and repeated slashes dropped), if it is a plain
    relative path inside the archive; otherwise the refusal of the trick it plays."""
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError:
        raise _refused(f"the member name {_shown(raw)} is not UTF-8") from None
    if any(unicodedata.category(char) == "Cc" for char in raw):
        raise _refused(f"the member name {_shown(raw)} holds a control character")
    if "\\" in raw:
        # A separator on Windows: `a\..\..\x` would climb out there.
        raise _refused(f"the member name {_shown(raw)} holds a backslash")
    if raw.startswith("/") or (len(raw) > 1 and raw[1] == ":" and raw[0].isalpha()):
        raise _refused(f"the member name {_shown(raw)} is an absolute path")
    parts = [part for part in raw.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise _refused(f"the member name {_shown(raw)} climbs out of the archive (..)")
    if not parts:
        raise _refused(f"the member name {_shown(raw)} is empty")
    return "/".join(parts)


def _check_kind(member: tarfile.TarInfo, name: str) -> None:
    """Only plain files and directories: a link could point outside the archive (or at
    another member), a device or a FIFO has no bytes to keep."""
    kinds = (
        (member.issym, "a symbolic link"),
        (member.islnk, "a hard link"),
        (member.ischr, "a device"),
        (member.isblk, "a device"),
        (member.isfifo, "a FIFO"),
        (member.issparse, "a sparse file"),
    )
    for test, kind in kinds:
        if test():
            raise _refused(f"the member {_shown(name)} is {kind}")
    if not (member.isreg() or member.isdir()):
        raise _refused(f"the member {_shown(name)} is not a file or a directory")


def _content(archive: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    reader = archive.extractfile(member)
    if reader is None:  # not a regular file: _check_kind let none through
        raise _refused(f"the member {_shown(member.name)} is not a file")
    pieces: list[bytes] = []
    remaining = member.size
    while remaining:
        piece = reader.read(min(remaining, MiB))
        if not piece:
            raise _refused("the archive is truncated")
        pieces.append(piece)
        remaining -= len(piece)
    return b"".join(pieces)


def _keep(members: dict[str, _Member], name: str, member: _Member) -> None:
    """Record `member`; a name seen before must bring the same thing again. hammr does write
    some members twice: `tar.add` of a directory adds what it holds, which hammr then adds
    one by one as well."""
    seen = members.get(name)
    if seen is not None and seen != member:
        raise _refused(f"the archive holds {_shown(name)} twice, with different contents")
    members[name] = member


def _open_tar(stream: _Inflated) -> tarfile.TarFile:
    """The tar of the stream, its first header read."""
    try:
        # Its stream mode only reads its file object (no seek, tell or write).
        return tarfile.open(fileobj=cast(IO[bytes], stream), mode="r|", encoding="utf-8")
    except Exception as error:  # tarfile raises several types on what is no tar
        refusal = _tar_failure(error)
        if refusal is not error and refusal.detail != "the archive is truncated":
            refusal = _refused("the archive's gzip stream does not hold a tar")
        raise refusal from None


def _read_members(stream: _Inflated, limits: ArchiveLimits) -> dict[str, _Member]:
    """Every member of the archive by its normalised name, in one pass over the stream."""
    header = f"a member's header is larger than {_size(limits.max_header_bytes)}"
    members: dict[str, _Member] = {}
    stream.allow(limits.max_header_bytes, header)
    with _open_tar(stream) as archive:
        for count in itertools.count(1):
            stream.allow(limits.max_header_bytes, header)
            try:
                member = archive.next()
            except Exception as error:
                raise _tar_failure(error) from None
            if member is None:
                break
            if count > limits.max_members:
                raise _refused(f"the archive holds more than {limits.max_members} members")
            name = _member_name(member.name)
            _check_kind(member, name)
            if member.isdir():
                _keep(members, name, _Member(directory=True, content=None))
                continue
            limit = (
                limits.max_bundle_file_bytes if name in BUNDLE_FILES else limits.max_member_bytes
            )
            if member.size > limit:
                raise _refused(f"the member {_shown(name)} is larger than {_size(limit)}")
            if member.size < 0:
                raise _refused(f"the member {_shown(name)} has a negative size")
            stream.allow(member.size + _SLACK, "the archive is damaged (a member overruns)")
            try:
                content = _content(archive, member)
            except Exception as error:
                raise _tar_failure(error) from None
            _keep(members, name, _Member(directory=False, content=content))
    stream.drain()
    return members


# ------------------------------------------------------------------ the bundle file


# libyaml's parser where PyYAML was built with it (five times faster on a large bundle file),
# else PyYAML's own; both build plain data only (no `!!python` tags).
_SAFE_LOADER: type[yaml.SafeLoader] | type[yaml.CSafeLoader] = getattr(
    yaml, "CSafeLoader", yaml.SafeLoader
)


def _check_yaml_events(text: bytes, file_name: str) -> None:
    """Refuse a YAML document that nests deeper than MAX_DEPTH, amounts to more than MAX_NODES
    nodes once its aliases (and the merge keys that copy through them) are expanded, holds an
    alias to a node enclosing it (a cycle) or uses a tag of anything but plain data.

    An alias bomb is a few lines whose aliases stand for billions of nodes; PyYAML builds
    them shared, and only what reads the data later expands them (or copies them, for merge
    keys, while building). So the document's events are read first, before anything is
    built, measuring each anchored node: how many nodes and how many levels it amounts to.
    """
    measures: dict[str, tuple[int, int]] = {}  # anchor -> (nodes, levels)
    # The collections open around the current event: (anchor, nodes before, deepest before).
    open_frames: list[tuple[str | None, int, int]] = []
    nodes = depth = deepest = 0

    def reach(level: int) -> None:
        nonlocal deepest
        if level > MAX_DEPTH:
            raise _refused(f"{file_name} nests deeper than {MAX_DEPTH} levels")
        deepest = max(deepest, level)

    for event in yaml.parse(text, Loader=_SAFE_LOADER):
        if isinstance(event, yaml.AliasEvent):
            if any(frame[0] == event.anchor for frame in open_frames):
                raise _refused(f"{file_name} holds an alias to a node enclosing it")
            measure = measures.get(event.anchor or "")
            if measure is None:  # an unknown anchor: the loader refuses it
                continue
            nodes += measure[0]
            reach(depth + measure[1])
        elif isinstance(event, yaml.ScalarEvent | yaml.CollectionStartEvent):
            if event.tag not in (None, "!") and event.tag not in _PLAIN_TAGS:
                tag = event.tag.replace("tag:yaml.org,2002:", "!!")
                raise _refused(f"{file_name} uses the YAML tag {_shown(tag)}")
            nodes += 1
            if isinstance(event, yaml.ScalarEvent):
                reach(depth + 1)
                if event.anchor is not None:
                    measures[event.anchor] = (1, 1)
            else:
                depth += 1
                reach(depth)
                open_frames.append((event.anchor, nodes - 1, deepest))
                deepest = depth
        elif isinstance(event, yaml.CollectionEndEvent):
            anchor, before, deepest_outside = open_frames.pop()
            if anchor is not None:
                measures[anchor] = (nodes - before, deepest - depth + 1)
            deepest = max(deepest, deepest_outside)
            depth -= 1
        if nodes > MAX_NODES:
            raise _refused(f"{file_name}'s aliases expand to more than {MAX_NODES} nodes")


def _plain(value: object, file_name: str, depth: int = 0) -> object:
    """`value` as plain data (mappings with text keys, lists, text, numbers, booleans, null),
    copied so that no two places share an object; a YAML date reads as its ISO text."""
    if depth > MAX_DEPTH:
        raise _refused(f"{file_name} nests deeper than {MAX_DEPTH} levels")
    if isinstance(value, dict):
        copied: dict[str, object] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise _refused(f"{file_name} has a key that is not text ({_shown(str(key))})")
            copied[key] = _plain(item, file_name, depth + 1)
        return copied
    if isinstance(value, list):
        return [_plain(item, file_name, depth + 1) for item in value]
    if isinstance(value, dt.date):  # datetime included
        return value.isoformat()
    if value is None or isinstance(value, str | int | float):  # bool is an int
        return value
    # The tags let no other type through; a guard all the same.
    raise _refused(f"{file_name} holds a value that is not plain data ({type(value).__name__})")


def _parsed(file_name: str, text: bytes) -> dict[str, object]:
    """The bundle file's mapping. The parsers raise many types on hostile text (a number of
    50,000 digits is a ValueError, deep JSON a RecursionError): every one is a refusal."""
    kind = "JSON" if BUNDLE_FILES[file_name] == "json" else "YAML"
    try:
        if kind == "JSON":
            document: object = json.loads(text)
        else:
            _check_yaml_events(text, file_name)
            document = yaml.load(text, Loader=_SAFE_LOADER)
    except ArchiveRefused:
        raise
    except RecursionError:
        raise _refused(f"{file_name} nests deeper than {MAX_DEPTH} levels") from None
    except Exception as error:
        problem = getattr(error, "problem", None) or str(error)
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise _refused(f"{file_name} is not valid {kind}: {problem[:200]}{where}") from None
    if not isinstance(document, dict):
        raise _refused(f"{file_name} does not hold a mapping")
    return cast(dict[str, object], _plain(document, file_name))


def _normalised(source: str) -> str:
    """A `source` as a member name: hammr on Windows writes `\\` between its parts."""
    return "/".join(part for part in source.replace("\\", "/").split("/") if part not in ("", "."))


def _text(
    mapping: dict[str, object], key: str, owner: str, *, required: bool = False
) -> str | None:
    """The text at `key` (None when absent and not required); an empty required one is absent."""
    value = mapping.get(key)
    if value is None or (required and value == ""):
        if required:
            raise _refused(f'{owner} has no "{key}"')
        return None
    if not isinstance(value, str):
        raise _refused(f'{owner}\'s "{key}" is not text')
    return value


class _Interpreter:
    """The bundle file read against the members: what each `source` names."""

    def __init__(self, file_name: str, members: dict[str, _Member], limits: ArchiveLimits):
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
            name = cast(str, _text(entry, "name", f"a file of {self.file_name}", required=True))
            shown = f"the file {_shown(name)}"
            source = _text(entry, "source", shown)
            if source is None:
                raise _refused(f'{shown} has no "source"')
            tag = _text(entry, "tag", shown)
            install_location = _text(entry, "installLocation", shown)
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
                        f"{shown} names the source {_shown(source)}, which is not in the archive"
                    )
                if children and not directory:
                    raise _refused(f"{shown} lists files but its source is not a directory")
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
            self.file_entries(children, index, shown)

    def attachment(self, source: str, owner: str) -> tuple[str, bytes]:
        path = _normalised(source)
        member = self.members.get(path)
        if member is None or member.content is None:
            where = "is a directory" if member is not None else "is not in the archive"
            raise _refused(f"{owner}'s source {_shown(path)} {where}")
        return path, member.content

    def license(self, value: object) -> BundleAttachment | None:
        if value is None:
            return None
        if not isinstance(value, dict):
            raise _refused("the license is not a mapping")
        source = _text(value, "source", "the license", required=True)
        path, content = self.attachment(cast(str, source), "the license")
        return BundleAttachment(
            name=path.rpartition("/")[2],
            content=content,
            source=path,
            type=_text(value, "type", "the license"),
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


def _bundle(members: dict[str, _Member], limits: ArchiveLimits) -> ImportedBundle:
    found = [name for name in BUNDLE_FILES if (m := members.get(name)) and not m.directory]
    if not found:
        raise _refused("the archive holds no bundle.yml or bundle.json at its root")
    if len(found) > 1:
        raise _refused("the archive holds both bundle.yml and bundle.json")
    file_name = found[0]
    document = _parsed(file_name, cast(bytes, members[file_name].content))
    # hammr's order: name, version, files.
    name = cast(str, _text(document, "name", file_name, required=True))
    version = cast(str, _text(document, "version", file_name, required=True))
    if "files" not in document:
        raise _refused(f'{file_name} has no "files"')
    interpreter = _Interpreter(file_name, members, limits)
    interpreter.file_entries(document["files"], None, file_name)
    return ImportedBundle(
        name=name,
        version=version,
        description=_text(document, "description", file_name),
        maintainer=_text(document, "maintainer", file_name),
        website=_text(document, "website", file_name),
        short_tag=_text(document, "shortTag", file_name),
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
    members = _read_members(_Inflated(_chunks(source), limits), limits)
    return _bundle(members, limits)
