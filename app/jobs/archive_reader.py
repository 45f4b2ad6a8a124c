"""Reading an archive a client uploaded, safely: the part every kind of import shares (a
software bundle's, `uforge_mock.jobs.bundle_import`; a template's,
`uforge_mock.jobs.template_archive`).

An upload is hostile until read, so it is read in one streaming pass with every count bounded
while it is read, never after: the compressed and the decompressed bytes (a gzip bomb stops at
the limit, whatever its tar headers declare), each header, each member, the members' number.
Only plain files and directories with plain relative names are accepted; nothing is written
anywhere. The metadata file a reader then interprets (bundle.yml, template.json ...) is parsed
by `parse_metadata`: its YAML events are measured first (how deep it nests, what its aliases
expand to, which tags it uses), and it is built as plain data only (no `!!python` tags).
Whatever is wrong is one exception:

    ArchiveRefused(message, detail)
      - the upload is empty, not gzip, not a tar, truncated or corrupt
      - a member's name or kind is unsafe, a member repeats with other bytes, a limit is passed
      - the metadata file is not YAML/JSON, or nests or expands past the limits

The refusals raised here say `Failed to import the archive`; a reader names what it imports
with `refusals_as` (`Failed to import the software bundle`).
"""

import datetime as dt
import io
import itertools
import json
import tarfile
import unicodedata
import zlib
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Protocol, cast

import yaml

MiB = 1024 * 1024
# The job's error message of a refusal raised here, before a reader names its own.
REFUSED = "Failed to import the archive"
# How deep a metadata file may nest, and how many nodes it may amount to once its aliases are
# expanded: far beyond any bundle (10,000 files of a dozen keys is 250,000 nodes), far below
# what an alias bomb asks for.
MAX_DEPTH = 64
MAX_NODES = 1_000_000
# How much compressed input is read at once, and at most how much one read inflates to.
_CHUNK = 64 * 1024
# What tarfile's stream reads ahead of a member's end (one buffer, the block padding).
_SLACK = 2 * tarfile.RECORDSIZE
# The YAML tags of plain data; a metadata file may use these and no other.
_PLAIN_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}"
    for name in ("null", "bool", "int", "float", "str", "seq", "map", "merge", "timestamp")
)


class ArchiveRefused(Exception):
    """An uploaded archive that cannot be imported. `message` reads like the status message of
    a failed UForge job, `detail` says what is wrong with the archive."""

    def __init__(self, message: str, detail: str) -> None:
        super().__init__(f"{message}: {detail}")
        self.message = message
        self.detail = detail


def _refused(detail: str) -> ArchiveRefused:
    return ArchiveRefused(REFUSED, detail)


@contextmanager
def refusals_as(message: str) -> Iterator[None]:
    """Every ArchiveRefused raised inside, raised again with `message` (its detail kept)."""
    try:
        yield
    except ArchiveRefused as refusal:
        if refusal.message == message:
            raise
        raise ArchiveRefused(message, refusal.detail) from None


@dataclass(frozen=True, slots=True)
class ArchiveLimits:
    """What an archive may amount to. Member contents are kept in memory (they are stored
    later), so `max_total_bytes` also bounds the memory one import takes. The metadata file
    (bundle.yml, template.yml ...) has a limit of its own, `max_metadata_file_bytes`."""

    max_members: int = 10_000
    max_member_bytes: int = 64 * MiB
    max_total_bytes: int = 256 * MiB
    max_metadata_file_bytes: int = 1 * MiB
    # A member's header, long names and pax records included (a real one is a few blocks).
    max_header_bytes: int = 1 * MiB


def size_text(count: int) -> str:
    return f"{count // MiB} MiB" if count >= MiB and count % MiB == 0 else f"{count} bytes"


def shown(name: str) -> str:
    """`name` quoted for a detail: at most 200 characters, the unprintable ones escaped."""
    text = "".join(char if char.isprintable() else f"\\u{ord(char):04x}" for char in name[:200])
    return f'"{text}"' + ("..." if len(name) > 200 else "")


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
            raise _refused(f"the archive is larger than {size_text(self._limits.max_total_bytes)}")
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
                    most = size_text(self._limits.max_total_bytes)
                    raise _refused(f"the archive expands to more than {most}")
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
class Member:
    """A member of an archive: a directory, or a file and its bytes (None when the reader
    asked not to keep them)."""

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
        raise _refused(f"the member name {shown(raw)} is not UTF-8") from None
    if any(unicodedata.category(char) == "Cc" for char in raw):
        raise _refused(f"the member name {shown(raw)} holds a control character")
    if "\\" in raw:
        # A separator on Windows: `a\..\..\x` would climb out there.
        raise _refused(f"the member name {shown(raw)} holds a backslash")
    if raw.startswith("/") or (len(raw) > 1 and raw[1] == ":" and raw[0].isalpha()):
        raise _refused(f"the member name {shown(raw)} is an absolute path")
    parts = [part for part in raw.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise _refused(f"the member name {shown(raw)} climbs out of the archive (..)")
    if not parts:
        raise _refused(f"the member name {shown(raw)} is empty")
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
            raise _refused(f"the member {shown(name)} is {kind}")
    if not (member.isreg() or member.isdir()):
        raise _refused(f"the member {shown(name)} is not a file or a directory")


def _content(archive: tarfile.TarFile, member: tarfile.TarInfo, *, keep: bool) -> bytes | None:
    """The member's bytes, read to its end; None, and a MiB at most in memory, when they are
    not kept."""
    reader = archive.extractfile(member)
    if reader is None:  # not a regular file: _check_kind let none through
        raise _refused(f"the member {shown(member.name)} is not a file")
    pieces: list[bytes] = []
    remaining = member.size
    while remaining:
        piece = reader.read(min(remaining, MiB))
        if not piece:
            raise _refused("the archive is truncated")
        if keep:
            pieces.append(piece)
        remaining -= len(piece)
    return b"".join(pieces) if keep else None


def _keep(members: dict[str, Member], name: str, member: Member) -> None:
    """Record `member`; a name seen before must bring the same thing again. hammr does write
    some members twice: `tar.add` of a directory adds what it holds, which hammr then adds
    one by one as well."""
    seen = members.get(name)
    if seen is not None and seen != member:
        raise _refused(f"the archive holds {shown(name)} twice, with different contents")
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


def read_members(
    source: Readable | Iterable[bytes] | bytes,
    limits: ArchiveLimits,
    *,
    metadata_files: Collection[str],
    keep: Callable[[str], bool] | None = None,
) -> dict[str, Member]:
    """Every member of the archive `source` by its normalised name, read in one pass (see
    the module's docstring), or ArchiveRefused and no other exception.

    `source` is a binary file object (an upload spooled to disk, read from where it stands),
    an iterable of byte chunks, or bytes. The members named in `metadata_files` may hold
    `limits.max_metadata_file_bytes`, the others `limits.max_member_bytes`. The bytes of a
    file member are kept when `keep(name)` says so (all of them without `keep`): what is kept
    in memory is at most `limits.max_total_bytes`.
    """
    stream = _Inflated(_chunks(source), limits)
    header = f"a member's header is larger than {size_text(limits.max_header_bytes)}"
    members: dict[str, Member] = {}
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
                _keep(members, name, Member(directory=True, content=None))
                continue
            metadata = name in metadata_files
            limit = limits.max_metadata_file_bytes if metadata else limits.max_member_bytes
            if member.size > limit:
                raise _refused(f"the member {shown(name)} is larger than {size_text(limit)}")
            if member.size < 0:
                raise _refused(f"the member {shown(name)} has a negative size")
            stream.allow(member.size + _SLACK, "the archive is damaged (a member overruns)")
            try:
                content = _content(archive, member, keep=metadata or keep is None or keep(name))
            except Exception as error:
                raise _tar_failure(error) from None
            _keep(members, name, Member(directory=False, content=content))
    stream.drain()
    return members


# ------------------------------------------------------------------ the metadata file


# libyaml's parser where PyYAML was built with it (five times faster on a large metadata file),
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
                raise _refused(f"{file_name} uses the YAML tag {shown(tag)}")
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
                raise _refused(f"{file_name} has a key that is not text ({shown(str(key))})")
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


def parse_metadata(file_name: str, text: bytes, file_format: str) -> dict[str, object]:
    """The mapping a metadata file holds, in `file_format` ("yaml" or "json"), as plain data.
    The parsers raise many types on hostile text (a number of 50,000 digits is a ValueError,
    deep JSON a RecursionError): every one is a refusal."""
    kind = "JSON" if file_format == "json" else "YAML"
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


def text_field(
    mapping: dict[str, object], key: str, owner: str, *, required: bool = False
) -> str | None:
    """The text at `key` of a metadata file's `mapping` (None when absent and not required;
    an empty required one is absent); `owner` names the mapping in the refusal."""
    value = mapping.get(key)
    if value is None or (required and value == ""):
        if required:
            raise _refused(f'{owner} has no "{key}"')
        return None
    if not isinstance(value, str):
        raise _refused(f'{owner}\'s "{key}" is not text')
    return value
