"""Hostile bundle archives: each is refused by `read_bundle_archive` with its own detail, in
bounded time and memory, and no bytes at all make it raise anything but ArchiveRefused.

The attack: an upload to a bundle import is a tar.gz a client made, and a tar.gz can climb
out of the folder it is extracted to, link to files outside it, expand a few kilobytes into
gigabytes, declare a member of a terabyte, or carry a YAML file whose aliases expand to
billions of nodes."""

import contextlib
import gzip
import io
import json
import resource
import tarfile
import time
import tracemalloc
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from uforge_mock.jobs.bundle_import import (
    ArchiveLimits,
    ArchiveRefused,
    Readable,
    read_bundle_archive,
)

MiB = 1024 * 1024
GiB = 1024 * MiB
MINIMAL = {"name": "n", "version": "1", "files": []}


def member(name: str, content: bytes = b"", /, **fields: object) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(content)
    for field, value in fields.items():
        setattr(info, field, value)
    return info, content


def bundle_yml(
    document: object = None, text: str | bytes | None = None
) -> tuple[tarfile.TarInfo, bytes]:
    if text is None:
        text = yaml.safe_dump(MINIMAL if document is None else document, explicit_start=True)
    return member("bundle.yml", text.encode() if isinstance(text, str) else text)


def tar_gz(*members: tuple[tarfile.TarInfo, bytes]) -> bytes:
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
        for info, content in members:
            tar.addfile(info, io.BytesIO(content) if info.isreg() else None)
    return data.getvalue()


def refusal(data: Readable | Iterable[bytes] | bytes, limits: ArchiveLimits | None = None) -> str:
    with pytest.raises(ArchiveRefused) as refused:
        read_bundle_archive(data, limits)
    assert refused.value.message == "Failed to import the software bundle"
    return refused.value.detail


def test_a_valid_minimal_archive_is_accepted() -> None:
    assert read_bundle_archive(tar_gz(bundle_yml())).name == "n"


# ---------------------------------------------------------------- the container


def test_empty_upload_is_refused() -> None:
    assert refusal(b"") == "the archive is empty"


def test_plain_tar_is_refused_as_not_gzip() -> None:
    plain = gzip.decompress(tar_gz(bundle_yml()))
    assert refusal(plain) == "the archive is not a gzip-compressed tar"


def test_gzip_of_something_else_is_refused_as_not_tar() -> None:
    assert refusal(gzip.compress(b"name: n\n" * 200)) == (
        "the archive's gzip stream does not hold a tar"
    )


@pytest.mark.parametrize("keep", [0.2, 0.5, 0.9, -8, -1])
def test_truncated_archive_is_refused(keep: float) -> None:
    data = tar_gz(member("bundles/n/1/big", bytes(range(256)) * 400), bundle_yml())
    cut = int(len(data) * keep) if keep > 0 else len(data) + int(keep)
    assert refusal(data[:cut]) == "the archive is truncated"


def test_archive_with_a_wrong_checksum_is_refused() -> None:
    data = bytearray(tar_gz(bundle_yml()))
    data[-8] ^= 0xFF  # the gzip trailer's CRC-32
    assert refusal(bytes(data)) == (
        "the archive's gzip stream is corrupt (Error -3 while decompressing data: "
        "incorrect data check)"
    )


def test_tar_with_a_damaged_header_is_refused() -> None:
    tar = bytearray(gzip.decompress(tar_gz(member("bundles/n/1/a", b"a"), member("bundles/é"))))
    tar[2048 + 148] ^= 0x01  # the checksum of the header after the pax record
    # (tarfile's words for it vary with the Python version)
    assert refusal(gzip.compress(bytes(tar))).startswith("the archive's tar is damaged (")


def test_data_after_the_gzip_stream_is_refused() -> None:
    assert refusal(tar_gz(bundle_yml()) + b"#!/bin/sh\n") == (
        "the archive has data after its gzip stream"
    )


# ---------------------------------------------------------------- member names and kinds


@pytest.mark.parametrize(
    ("name", "detail"),
    [
        ("../evil", 'the member name "../evil" climbs out of the archive (..)'),
        (
            "bundles/../../evil",
            'the member name "bundles/../../evil" climbs out of the archive (..)',
        ),
        ("/etc/cron.d/evil", 'the member name "/etc/cron.d/evil" is an absolute path'),
        ("C:/Windows/evil", 'the member name "C:/Windows/evil" is an absolute path'),
        ("bundles\\..\\..\\evil", 'the member name "bundles\\..\\..\\evil" holds a backslash'),
        ("evil\nname", 'the member name "evil\\u000aname" holds a control character'),
        ("./", 'the member name "./" is empty'),
    ],
    ids=["dotdot", "dotdot-inside", "absolute", "drive", "backslash", "control", "empty"],
)
def test_unsafe_member_name_is_refused(name: str, detail: str) -> None:
    assert refusal(tar_gz(member(name, b"x"), bundle_yml())) == detail


def patched(info: tarfile.TarInfo, at: int, raw: bytes) -> bytes:
    """The GNU header of `info` with `raw` written at offset `at`, its checksum made right."""
    header = bytearray(info.tobuf(tarfile.GNU_FORMAT))
    header[at : at + len(raw)] = raw
    header[148:156] = b" " * 8
    header[148:155] = b"%06o\0" % sum(header)
    return bytes(header)


def test_member_name_that_is_not_utf8_is_refused() -> None:
    header = patched(member("placeholder-name", b"x")[0], 0, b"bundles/caf\xe9.txt")
    tar = header + b"x".ljust(512, b"\0") + bytes(1024)
    assert refusal(gzip.compress(tar)) == 'the member name "bundles/caf\\udce9.txt" is not UTF-8'


@pytest.mark.parametrize(
    ("fields", "kind"),
    [
        ({"type": tarfile.SYMTYPE, "linkname": "/etc/passwd"}, "a symbolic link"),
        ({"type": tarfile.LNKTYPE, "linkname": "bundle.yml"}, "a hard link"),
        ({"type": tarfile.CHRTYPE, "devmajor": 1, "devminor": 3}, "a device"),
        ({"type": tarfile.BLKTYPE, "devmajor": 8, "devminor": 0}, "a device"),
        ({"type": tarfile.FIFOTYPE}, "a FIFO"),
    ],
    ids=["symlink", "hardlink", "char-device", "block-device", "fifo"],
)
def test_member_that_is_not_a_file_or_directory_is_refused(
    fields: dict[str, object], kind: str
) -> None:
    data = tar_gz(member("bundles/n/1/thing", **fields), bundle_yml())
    assert refusal(data) == f'the member "bundles/n/1/thing" is {kind}'


def test_member_repeated_with_other_bytes_is_refused() -> None:
    data = tar_gz(
        member("bundles/n/1/app", b"the reviewed bytes"),
        member("bundles/n/1/app", b"other bytes"),
        bundle_yml(),
    )
    assert refusal(data) == 'the archive holds "bundles/n/1/app" twice, with different contents'


def test_member_repeated_as_a_directory_is_refused() -> None:
    data = tar_gz(
        member("bundles/n/1/app", b"x"),
        member("bundles/n/1/app", type=tarfile.DIRTYPE),
        bundle_yml(),
    )
    assert refusal(data) == 'the archive holds "bundles/n/1/app" twice, with different contents'


# ---------------------------------------------------------------- sizes and counts


def test_more_members_than_the_limit_is_refused() -> None:
    folders = [member(f"bundles/d{index}", type=tarfile.DIRTYPE) for index in range(10_001)]
    assert refusal(tar_gz(*folders, bundle_yml())) == "the archive holds more than 10000 members"


def test_member_beyond_the_member_limit_is_refused() -> None:
    data = tar_gz(member("bundles/n/1/big", bytes(2 * MiB)), bundle_yml())
    limits = ArchiveLimits(max_member_bytes=1 * MiB)
    assert refusal(data, limits) == 'the member "bundles/n/1/big" is larger than 1 MiB'


@pytest.mark.parametrize("fmt", ["gnu", "pax"])
def test_member_declaring_a_terabyte_is_refused_at_its_header(fmt: str) -> None:
    info = tarfile.TarInfo("bundles/n/1/huge")
    info.size = 1024 * GiB  # GNU writes it in base 256, pax in a record
    header = info.tobuf(tarfile.GNU_FORMAT if fmt == "gnu" else tarfile.PAX_FORMAT)
    data = gzip.compress(header + b"only a few bytes follow")
    assert refusal(data) == 'the member "bundles/n/1/huge" is larger than 64 MiB'


def test_member_declaring_a_negative_size_is_refused() -> None:
    header = patched(member("bundles/n/1/app")[0], 124, b"\xff" * 12)  # base 256: -1
    assert refusal(gzip.compress(header + bytes(1024))) == (
        'the member "bundles/n/1/app" has a negative size'
    )


def test_stream_that_never_expands_is_refused_at_the_compressed_limit() -> None:
    """Empty deflate blocks: input to read forever, nothing for the decompressed count."""
    empty_blocks = b"\x00\x00\x00\xff\xff" * (2 * MiB // 5)
    data = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff" + empty_blocks
    limits = ArchiveLimits(max_total_bytes=1 * MiB)
    assert refusal(data, limits) == "the archive is larger than 1 MiB"


def test_members_beyond_the_total_limit_are_refused() -> None:
    parts = [member(f"bundles/n/1/part{index}", bytes(512 * 1024)) for index in range(4)]
    data = tar_gz(*parts, bundle_yml())
    limits = ArchiveLimits(max_total_bytes=1 * MiB)
    assert refusal(data, limits) == "the archive expands to more than 1 MiB"


def test_bundle_file_beyond_its_limit_is_refused() -> None:
    text = "---\nname: n\nversion: '1'\nfiles: []\n" + "# padding\n" * (MiB // 10)
    assert refusal(tar_gz(bundle_yml(text=text))) == 'the member "bundle.yml" is larger than 1 MiB'


def zeros_bomb(header: bytes, zeros: int) -> Iterator[bytes]:
    """A gzip stream of `header` then `zeros` zero bytes, made piece by piece: each MiB of
    zeros after a full flush compresses to the same ~1 KiB block, reused rather than made
    again (compressing 2 GiB would take seconds), CRC and size trailer correct."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    yield b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    yield compressor.compress(header) + compressor.flush(zlib.Z_FULL_FLUSH)
    chunk = bytes(MiB)
    block = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    assert compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH) == block
    crc = zlib.crc32(header)
    for _ in range(zeros // MiB):
        crc = zlib.crc32(chunk, crc)
    yield block * (zeros // MiB)  # ~2 MB for 2 GiB
    yield compressor.flush()
    yield (crc.to_bytes(4, "little") + ((len(header) + zeros) % 2**32).to_bytes(4, "little"))


def bomb_file(path: Path, header: bytes, zeros: int) -> Path:
    with path.open("wb") as out:
        for piece in zeros_bomb(header, zeros):
            out.write(piece)
    return path


def bounded(path: Path) -> tuple[str, float, int, int]:
    """The refusal of the archive at `path`, the seconds, the peak of Python allocations and
    the growth of the process's peak RSS (KiB) while reading it."""
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    started = time.monotonic()
    try:
        with path.open("rb") as upload:
            detail = refusal(upload)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    elapsed = time.monotonic() - started
    return detail, elapsed, peak, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before


def test_gzip_bomb_is_refused_fast_in_bounded_memory(tmp_path: Path) -> None:
    info = tarfile.TarInfo("bundles/n/1/zeros.bin")
    info.size = 2 * GiB
    path = bomb_file(tmp_path / "bomb.tar.gz", info.tobuf(tarfile.GNU_FORMAT), 2 * GiB)
    assert path.stat().st_size < 4 * MiB
    detail, elapsed, peak, rss_growth = bounded(path)
    assert detail == 'the member "bundles/n/1/zeros.bin" is larger than 64 MiB'
    assert elapsed < 5 and peak < 64 * MiB and rss_growth < 64 * 1024


@pytest.mark.parametrize(
    "kind", [tarfile.XHDTYPE, tarfile.GNUTYPE_LONGNAME], ids=["pax-record", "gnu-long-name"]
)
def test_header_declaring_a_terabyte_record_is_refused_in_bounded_memory(
    tmp_path: Path, kind: bytes
) -> None:
    """tarfile reads a pax record or a GNU long name whole into memory, whatever its size."""
    info = tarfile.TarInfo("././@LongLink")
    info.type = kind
    info.size = 1024 * GiB
    path = bomb_file(tmp_path / "header.tar.gz", info.tobuf(tarfile.GNU_FORMAT), 256 * MiB)
    detail, elapsed, peak, _ = bounded(path)
    assert detail == "a member's header is larger than 1 MiB"
    assert elapsed < 5 and peak < 16 * MiB


# ---------------------------------------------------------------- the bundle file


def test_archive_without_a_bundle_file_is_refused() -> None:
    data = tar_gz(member("bundles/n/1/app", b"x"), member("sub/bundle.yml", b"name: n"))
    assert refusal(data) == "the archive holds no bundle.yml or bundle.json at its root"


def test_archive_with_both_bundle_files_is_refused() -> None:
    data = tar_gz(bundle_yml(), member("bundle.json", json.dumps(MINIMAL).encode()))
    assert refusal(data) == "the archive holds both bundle.yml and bundle.json"


def test_bundle_file_that_is_not_yaml_is_refused() -> None:
    detail = refusal(tar_gz(bundle_yml(text="name: [n\nversion: 1\n")))
    assert detail.startswith("bundle.yml is not valid YAML: ")


def test_bundle_file_that_is_not_json_is_refused() -> None:
    detail = refusal(tar_gz(member("bundle.json", b'{"name": "n", ')))
    assert detail.startswith("bundle.json is not valid JSON: ")


@pytest.mark.parametrize("text", ["- n\n- 1\n", "just text\n", "", "\x00\x01"])
def test_bundle_file_that_is_not_a_mapping_is_refused(text: str) -> None:
    detail = refusal(tar_gz(bundle_yml(text=text)))
    assert detail == "bundle.yml does not hold a mapping" or detail.startswith(
        "bundle.yml is not valid YAML"
    )


def test_yaml_alias_bomb_is_refused_fast() -> None:
    lines = ["name: n", "version: '1'", "files: []", "a0: &a0 [lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 12)]
    started = time.monotonic()
    detail = refusal(tar_gz(bundle_yml(text="\n".join(lines))))
    assert detail == "bundle.yml's aliases expand to more than 1000000 nodes"
    assert time.monotonic() - started < 5


def test_yaml_merge_key_bomb_is_refused_fast() -> None:
    lines = ["name: n", "version: '1'", "files: []", "m0: &m0 {k0: 0, k1: 1, k2: 2}"]
    lines += [
        f"m{i}: &m{i} {{<<: [{', '.join([f'*m{i - 1}'] * 9)}], x{i}: {i}}}" for i in range(1, 12)
    ]
    started = time.monotonic()
    detail = refusal(tar_gz(bundle_yml(text="\n".join(lines))))
    assert detail == "bundle.yml's aliases expand to more than 1000000 nodes"
    assert time.monotonic() - started < 5


def test_yaml_alias_to_its_own_enclosing_node_is_refused() -> None:
    text = "name: n\nversion: '1'\nfiles: &loop [*loop]\n"
    assert refusal(tar_gz(bundle_yml(text=text))) == (
        "bundle.yml holds an alias to a node enclosing it"
    )


def test_yaml_alias_to_no_anchor_is_refused() -> None:
    detail = refusal(tar_gz(bundle_yml(text="name: n\nversion: '1'\nfiles: *nowhere\n")))
    assert detail.startswith("bundle.yml is not valid YAML: found undefined alias")


def test_a_few_yaml_aliases_are_accepted() -> None:
    """hammr dumps a bundle whose bundle file shared a mapping with anchors and aliases."""
    text = (
        "name: &name n\nversion: '1'\nfiles:\n"
        "- {name: a, source: nginx, tag: ospkg, extract: &opts {mode: fast}}\n"
        "- {name: b, source: httpd, tag: ospkg, extract: *opts, vendor: *name}\n"
    )
    bundle = read_bundle_archive(tar_gz(bundle_yml(text=text)))
    assert [f.attributes for f in bundle.files] == [
        {"extract": {"mode": "fast"}},
        {"extract": {"mode": "fast"}, "vendor": "n"},
    ]


@pytest.mark.parametrize(
    ("value", "tag"),
    [
        ("!!python/object/apply:os.system ['echo pwned']", "!!python/object/apply:os.system"),
        ("!!python/name:os.system ''", "!!python/name:os.system"),
        ("!!binary aGVsbG8=", "!!binary"),
        ("!!set {a, b}", "!!set"),
        ("!custom thing", "!custom"),
    ],
    ids=["python-apply", "python-name", "binary", "set", "custom"],
)
def test_yaml_tags_of_anything_but_plain_data_are_refused(value: str, tag: str) -> None:
    text = f"name: n\nversion: '1'\nfiles: []\nx: {value}\n"
    assert refusal(tar_gz(bundle_yml(text=text))) == f'bundle.yml uses the YAML tag "{tag}"'


def test_yaml_nested_too_deep_is_refused() -> None:
    text = "name: n\nversion: '1'\nfiles: []\nx: " + "[" * 100 + "]" * 100 + "\n"
    assert refusal(tar_gz(bundle_yml(text=text))) == "bundle.yml nests deeper than 64 levels"


def test_json_nested_too_deep_is_refused() -> None:
    text = '{"name": "n", "version": "1", "files": [], "x": ' + "[" * 100_000 + "]" * 100_000
    detail = refusal(tar_gz(member("bundle.json", (text + "}").encode())))
    assert detail == "bundle.json nests deeper than 64 levels"


def test_json_nested_a_little_too_deep_is_refused() -> None:
    text = '{"name": "n", "version": "1", "files": [], "x": ' + "[" * 70 + "]" * 70 + "}"
    detail = refusal(tar_gz(member("bundle.json", text.encode())))
    assert detail == "bundle.json nests deeper than 64 levels"


def test_yaml_number_of_a_million_digits_is_refused() -> None:
    text = "name: n\nversion: '1'\nfiles: []\nx: " + "9" * 100_000 + "\n"
    assert refusal(tar_gz(bundle_yml(text=text))).startswith("bundle.yml is not valid YAML: ")


NV = {"name": "n", "version": "1"}
INT_KEY: dict[object, object] = {"name": "n", "version": "1", "files": [], 1: "x"}


@pytest.mark.parametrize(
    ("document", "detail"),
    [
        ({"version": "1", "files": []}, 'bundle.yml has no "name"'),
        ({"name": "n", "files": []}, 'bundle.yml has no "version"'),
        (NV, 'bundle.yml has no "files"'),
        ({**NV, "name": "", "files": []}, 'bundle.yml has no "name"'),
        ({**NV, "name": ["n"], "files": []}, 'bundle.yml\'s "name" is not text'),
        ({**NV, "version": 1.0, "files": []}, 'bundle.yml\'s "version" is not text'),
        ({**NV, "files": "all"}, 'bundle.yml\'s "files" is not a list'),
        ({**NV, "files": ["a"]}, 'an entry of bundle.yml\'s "files" is not a mapping'),
        ({**MINIMAL, "description": 7}, 'bundle.yml\'s "description" is not text'),
        (INT_KEY, 'bundle.yml has a key that is not text ("1")'),
        ({**MINIMAL, "category": 7}, 'bundle.yml\'s "category" is not text'),
        ({**MINIMAL, "sourceLogo": 5}, 'bundle.yml\'s "sourceLogo" is not text'),
    ],
    ids=[
        "no-name", "no-version", "no-files", "empty-name", "name-not-text", "version-number",
        "files-not-list", "entry-not-mapping", "description-not-text", "key-not-text",
        "category-not-text", "logo-not-text",
    ],
)  # fmt: skip
def test_bundle_file_without_the_keys_hammr_requires_is_refused(
    document: dict[object, object], detail: str
) -> None:
    assert refusal(tar_gz(bundle_yml(document))) == detail


APP = "bundles/n/1/app"


@pytest.mark.parametrize(
    ("entry", "detail"),
    [
        ({"source": APP}, 'a file of bundle.yml has no "name"'),
        ({"name": "app"}, 'the file "app" has no "source"'),
        ({"name": "app", "source": 3}, 'the file "app"\'s "source" is not text'),
        ({"name": "app", "source": APP, "tag": 1}, 'the file "app"\'s "tag" is not text'),
    ],
    ids=["no-name", "no-source", "source-not-text", "tag-not-text"],
)
def test_file_entry_without_name_or_source_is_refused(
    entry: dict[str, object], detail: str
) -> None:
    document = {**MINIMAL, "files": [entry]}
    assert refusal(tar_gz(member(APP, b"x"), bundle_yml(document))) == detail


def test_file_whose_source_is_not_in_the_archive_is_refused() -> None:
    document = {**MINIMAL, "files": [{"name": "app", "source": "bundles/n/1/app"}]}
    assert refusal(tar_gz(bundle_yml(document))) == (
        'the file "app" names the source "bundles/n/1/app", which is not in the archive'
    )


def test_ospkg_file_needs_no_member() -> None:
    document = {**MINIMAL, "files": [{"name": "nginx", "source": "nginx", "tag": "ospkg"}]}
    assert read_bundle_archive(tar_gz(bundle_yml(document))).files[0].content is None


def test_file_listing_files_whose_source_is_no_directory_is_refused() -> None:
    nested = [{"name": "b", "source": "bundles/n/1/a/b"}]
    document = {**MINIMAL, "files": [{"name": "a", "source": "bundles/n/1/a", "files": nested}]}
    data = tar_gz(member("bundles/n/1/a", b"x"), bundle_yml(document))
    assert refusal(data) == 'the file "a" lists files but its source is not a directory'


def test_bundle_file_listing_more_files_than_the_limit_is_refused() -> None:
    entries = [{"name": f"p{index}", "source": "p", "tag": "ospkg"} for index in range(11)]
    data = tar_gz(bundle_yml({**MINIMAL, "files": entries}))
    assert refusal(data, ArchiveLimits(max_members=10)) == "bundle.yml lists more than 10 files"


@pytest.mark.parametrize(
    ("license", "detail"),
    [
        ({"source": "bundles/n/L"}, 'the license\'s source "bundles/n/L" is not in the archive'),
        ({"type": "GPL"}, 'the license has no "source"'),
        ("GPL", "the license is not a mapping"),
        ({"source": "bundles/n"}, 'the license\'s source "bundles/n" is a directory'),
    ],
    ids=["absent", "no-source", "not-mapping", "directory"],
)  # fmt: skip
def test_license_whose_source_is_missing_is_refused(license: object, detail: str) -> None:
    document = {**MINIMAL, "license": license}
    data = tar_gz(member("bundles/n", type=tarfile.DIRTYPE), bundle_yml(document))
    assert refusal(data) == detail


def test_logo_whose_source_is_missing_is_refused() -> None:
    document = {**MINIMAL, "sourceLogo": "bundles/n/logo.png"}
    assert refusal(tar_gz(bundle_yml(document))) == (
        'the logo\'s source "bundles/n/logo.png" is not in the archive'
    )


# ---------------------------------------------------------------- anything at all


def only_refused(data: bytes) -> None:
    with contextlib.suppress(ArchiveRefused):
        read_bundle_archive(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.binary(max_size=2048),
        st.binary(max_size=2048).map(lambda raw: b"\x1f\x8b" + raw),
        st.binary(max_size=4096).map(gzip.compress),
        st.binary(min_size=512, max_size=4096).map(lambda raw: gzip.compress(raw + bytes(1024))),
    )
)
def test_garbage_raises_nothing_but_archive_refused(data: bytes) -> None:
    only_refused(data)


VALID = tar_gz(
    member("bundles/n/1/app", b"#!/bin/sh\n"),
    member("bundles/n/1/dir", type=tarfile.DIRTYPE),
    bundle_yml({**MINIMAL, "files": [{"name": "app", "source": "bundles/n/1/app"}]}),
)
VALID_TAR = gzip.decompress(VALID)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_damaged_archives_raise_nothing_but_archive_refused(data: st.DataObject) -> None:
    """A valid archive with bytes changed, in its gzip stream or in the tar inside it."""
    target = bytearray(data.draw(st.sampled_from([VALID, VALID_TAR])))
    for _ in range(data.draw(st.integers(1, 8))):
        position = data.draw(st.integers(0, len(target) - 1))
        target[position] = data.draw(st.integers(0, 255))
    only_refused(bytes(target) if target[:2] == b"\x1f\x8b" else gzip.compress(bytes(target)))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300) | st.binary(max_size=300).map(lambda raw: raw.decode("latin-1")))
def test_any_bundle_file_text_raises_nothing_but_archive_refused(text: str) -> None:
    for name in ("bundle.yml", "bundle.json"):
        only_refused(tar_gz(member(name, text.encode("utf-8", "surrogatepass"))))
