"""Hostile template archives: `read_template_archive` refuses each with its own detail, in
bounded time and memory, and no bytes at all make it raise anything but ArchiveRefused.

The attack: `template import` and `template create` upload a tar.gz a client made, as `bundle
import` does, so the same tricks apply (climbing names, links, devices, gzip bombs, YAML alias
bombs and tags); the template reader shares the bundle reader's machinery
(`uforge_mock.jobs.archive_reader`, attacked in full by test_archives.py) and keeps less: only
the template file's bytes, whatever else the archive holds. These tests make sure both hold."""

import contextlib
import gzip
import json
import sys
import tarfile
import time
import tracemalloc
from pathlib import Path

import httpx
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.attacks import test_uploads as uploads
from tests.attacks.raw_http import connect, read_answer, request_head
from tests.attacks.test_archives import GiB, MiB, bomb_file, member, tar_gz
from tests.attacks.test_protocol import rss_mib, server_pid
from uforge_mock.jobs.archive_reader import ArchiveLimits, ArchiveRefused
from uforge_mock.jobs.template_archive import REFUSED, read_template_archive

MINIMAL = {
    "stack": {
        "name": "n",
        "version": "1",
        "os": {"name": "CentOS", "version": "7", "arch": "x86_64"},
    }
}
MINIMAL_TEXT = yaml.safe_dump(MINIMAL, explicit_start=True)
linux_only = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc for the server")


def template_yml(text: str = MINIMAL_TEXT) -> tuple[tarfile.TarInfo, bytes]:
    return member("template.yml", text.encode())


def refusal(data: object, limits: ArchiveLimits | None = None) -> str:
    with pytest.raises(ArchiveRefused) as refused:
        read_template_archive(data, limits)  # type: ignore[arg-type]
    assert refused.value.message == REFUSED
    return refused.value.detail


def test_a_valid_minimal_archive_is_accepted() -> None:
    assert read_template_archive(tar_gz(template_yml())).name == "n"


# ---------------------------------------------------------------- the container and members


@pytest.mark.parametrize(
    ("data", "detail"),
    [
        (b"", "the archive is empty"),
        (gzip.decompress(tar_gz(template_yml())), "the archive is not a gzip-compressed tar"),
        (gzip.compress(b"stack: {}\n" * 100), "the archive's gzip stream does not hold a tar"),
        (tar_gz(template_yml())[:-20], "the archive is truncated"),
        (tar_gz(template_yml()) + b"#!/bin/sh\n", "the archive has data after its gzip stream"),
    ],
    ids=["empty", "plain-tar", "not-tar", "truncated", "trailing-data"],
)
def test_what_is_no_sound_archive_is_refused(data: bytes, detail: str) -> None:
    assert refusal(data) == detail


@pytest.mark.parametrize(
    ("name", "detail"),
    [
        ("../template.yml", 'the member name "../template.yml" climbs out of the archive (..)'),
        ("config/../../evil", 'the member name "config/../../evil" climbs out of the archive (..)'),
        ("/etc/cron.d/evil", 'the member name "/etc/cron.d/evil" is an absolute path'),
        ("config\\..\\..\\evil", 'the member name "config\\..\\..\\evil" holds a backslash'),
    ],
    ids=["dotdot-template", "dotdot-inside", "absolute", "backslash"],
)
def test_unsafe_member_name_is_refused_even_where_its_bytes_are_not_kept(
    name: str, detail: str
) -> None:
    assert refusal(tar_gz(member(name, b"x"), template_yml())) == detail


@pytest.mark.parametrize(
    ("fields", "kind"),
    [
        ({"type": tarfile.SYMTYPE, "linkname": "/etc/passwd"}, "a symbolic link"),
        ({"type": tarfile.LNKTYPE, "linkname": "/etc/shadow"}, "a hard link"),
        ({"type": tarfile.CHRTYPE, "devmajor": 1, "devminor": 3}, "a device"),
        ({"type": tarfile.FIFOTYPE}, "a FIFO"),
    ],
    ids=["symlink", "hardlink", "device", "fifo"],
)
def test_member_that_is_not_a_file_or_directory_is_refused(
    fields: dict[str, object], kind: str
) -> None:
    assert refusal(tar_gz(member("config/boot.sh", **fields), template_yml())) == (
        f'the member "config/boot.sh" is {kind}'
    )


def test_template_file_as_a_symbolic_link_is_refused() -> None:
    link = member("template.yml", type=tarfile.SYMTYPE, linkname="/etc/passwd")
    assert refusal(tar_gz(link)) == 'the member "template.yml" is a symbolic link'


def test_template_file_given_twice_with_other_bytes_is_refused() -> None:
    """The reviewed template first, another one after it: which would an extractor keep?"""
    other = template_yml(MINIMAL_TEXT.replace("name: n", "name: evil"))
    assert refusal(tar_gz(template_yml(), other)) == (
        'the archive holds "template.yml" twice, with different contents'
    )


def test_more_members_than_the_limit_is_refused() -> None:
    folders = [member(f"config/d{index}", type=tarfile.DIRTYPE) for index in range(101)]
    limits = ArchiveLimits(max_members=100)
    assert refusal(tar_gz(*folders, template_yml()), limits) == (
        "the archive holds more than 100 members"
    )


def test_template_file_beyond_its_limit_is_refused() -> None:
    text = MINIMAL_TEXT + "# padding\n" * (MiB // 10)
    assert refusal(tar_gz(template_yml(text))) == 'the member "template.yml" is larger than 1 MiB'


def test_members_beyond_the_total_limit_are_refused_though_not_kept() -> None:
    parts = [member(f"config/part{index}", bytes(512 * 1024)) for index in range(4)]
    limits = ArchiveLimits(max_total_bytes=1 * MiB)
    assert refusal(tar_gz(*parts, template_yml()), limits) == (
        "the archive expands to more than 1 MiB"
    )


def peak_while_reading(path: Path) -> tuple[float, int]:
    """The seconds and the peak of Python allocations while the archive at `path` is read."""
    tracemalloc.start()
    started = time.monotonic()
    try:
        with path.open("rb") as upload, contextlib.suppress(ArchiveRefused):
            read_template_archive(upload)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return time.monotonic() - started, peak


def test_gzip_bomb_is_refused_fast_in_bounded_memory(tmp_path: Path) -> None:
    info = tarfile.TarInfo("bundles/n/1/zeros.bin")
    info.size = 2 * GiB
    path = bomb_file(tmp_path / "bomb.tar.gz", info.tobuf(tarfile.GNU_FORMAT), 2 * GiB)
    with path.open("rb") as upload:
        assert refusal(upload) == 'the member "bundles/n/1/zeros.bin" is larger than 64 MiB'
    elapsed, peak = peak_while_reading(path)
    assert elapsed < 5 and peak < 16 * MiB


def test_members_the_template_does_not_need_are_read_through_never_held(tmp_path: Path) -> None:
    """A 60 MiB member (within the limits) and the template file after it: accepted, and the
    reader never held more than a few MiB, where the bundle reader would hold the 60."""
    info = tarfile.TarInfo("bundles/n/1/zeros.bin")
    info.size = 60 * MiB
    template = template_yml()
    path = tmp_path / "big.tar.gz"
    with (
        path.open("wb") as out,
        gzip.GzipFile(fileobj=out, mode="wb", compresslevel=1) as compressed,
    ):
        compressed.write(info.tobuf(tarfile.GNU_FORMAT))
        for _ in range(60):
            compressed.write(bytes(MiB))
        compressed.write(template[0].tobuf(tarfile.GNU_FORMAT))
        compressed.write(template[1].ljust(512, b"\0") + bytes(1024))
    with path.open("rb") as upload:
        assert read_template_archive(upload).name == "n"
    elapsed, peak = peak_while_reading(path)
    assert peak < 8 * MiB, peak
    assert elapsed < 10


# ---------------------------------------------------------------- the template file


def test_yaml_alias_bomb_is_refused_fast() -> None:
    lines = [MINIMAL_TEXT.rstrip("\n"), "a0: &a0 [lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 12)]
    started = time.monotonic()
    detail = refusal(tar_gz(template_yml("\n".join(lines))))
    assert detail == "template.yml's aliases expand to more than 1000000 nodes"
    assert time.monotonic() - started < 5


def test_yaml_alias_bomb_inside_the_stack_is_refused_fast() -> None:
    """The stack's other keys are kept as data: a bomb there would be stored, then exported."""
    bomb = ["  installation:", "    a0: &a0 [lol, lol, lol, lol, lol]"]
    bomb += [f"    a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 12)]
    text = MINIMAL_TEXT + "\n".join(bomb) + "\n"
    assert refusal(tar_gz(template_yml(text))) == (
        "template.yml's aliases expand to more than 1000000 nodes"
    )


@pytest.mark.parametrize(
    ("value", "tag"),
    [
        ("!!python/object/apply:os.system ['echo pwned']", "!!python/object/apply:os.system"),
        ("!!python/name:os.system ''", "!!python/name:os.system"),
        ("!!binary aGVsbG8=", "!!binary"),
    ],
    ids=["python-apply", "python-name", "binary"],
)
def test_yaml_tags_of_anything_but_plain_data_are_refused(value: str, tag: str) -> None:
    text = MINIMAL_TEXT + f"  config: {value}\n"
    assert refusal(tar_gz(template_yml(text))) == f'template.yml uses the YAML tag "{tag}"'


def test_template_file_nested_too_deep_is_refused() -> None:
    text = MINIMAL_TEXT + "  installation: " + "[" * 100 + "]" * 100 + "\n"
    assert refusal(tar_gz(template_yml(text))) == "template.yml nests deeper than 64 levels"


def test_json_template_file_nested_too_deep_is_refused() -> None:
    text = '{"stack": ' + "[" * 100_000 + "]" * 100_000 + "}"
    assert refusal(tar_gz(member("template.json", text.encode()))) == (
        "template.json nests deeper than 64 levels"
    )


# ---------------------------------------------------------------- anything at all


def only_refused(data: bytes) -> None:
    with contextlib.suppress(ArchiveRefused):
        read_template_archive(data)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.binary(max_size=2048),
        st.binary(max_size=4096).map(gzip.compress),
        st.binary(min_size=512, max_size=4096).map(lambda raw: gzip.compress(raw + bytes(1024))),
    )
)
def test_garbage_raises_nothing_but_archive_refused(data: bytes) -> None:
    only_refused(data)


@settings(max_examples=300, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(
                st.sampled_from(["stack", "name", "version", "os", "arch", "bundles", "x"]),
                inner,
                max_size=5,
            )
        ),
        max_leaves=20,
    )
)
def test_any_template_document_raises_nothing_but_archive_refused(document: object) -> None:
    for name, text in (
        ("template.yml", yaml.safe_dump(document)),
        ("template.json", json.dumps(document)),
    ):
        only_refused(tar_gz(member(name, text.encode())))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_template_file_text_raises_nothing_but_archive_refused(text: str) -> None:
    for name in ("template.yml", "template.json"):
        only_refused(tar_gz(member(name, text.encode("utf-8", "surrogatepass"))))


# ---------------------------------------------------------------- through a real server

# The upload route of `template import` / `template create` is fed as the bundle imports' is
# (tests/attacks/test_uploads.py): the same server, limits and slots.
base = uploads.base
data_dir = uploads.data_dir
TEMPLATE_IMPORTS = "/api/users/guest/imports"


def new_template_ticket(base: str) -> int:
    response = httpx.post(f"{base}{TEMPLATE_IMPORTS}?imported=true", headers=uploads.JSON)
    assert response.status_code == 201, response.text
    return int(response.json()["applianceImport"]["dbId"])


@linux_only
def test_a_declared_template_upload_past_the_limit_is_413_before_it_is_read(base: str) -> None:
    iid = new_template_ticket(base)
    with connect(base) as sock:
        sock.sendall(
            request_head(
                "POST",
                f"{TEMPLATE_IMPORTS}/{iid}/uploads",
                {**uploads.AUTH, "Accept": "application/json", "Content-Length": str(2**34)},
            )
        )
        answer = read_answer(sock)
    assert answer.status == 413
    assert b"mock.error.limit.body" in answer.body


@linux_only
def test_a_gzip_bomb_for_a_template_ends_in_error_with_memory_bounded(
    base: str, data_dir: Path
) -> None:
    payload = uploads.bomb()
    pid = server_pid(base)
    before = rss_mib(pid)
    iid = new_template_ticket(base)
    started = time.monotonic()
    response = httpx.post(
        f"{base}{TEMPLATE_IMPORTS}/{iid}/uploads", headers=uploads.JSON, content=payload, timeout=60
    )
    assert response.status_code == 201, response.text
    status = response.json()["status"]
    assert status["error"] is True
    assert "expands to more than" in status["detailedErrorMsg"]
    assert time.monotonic() - started < 20
    assert rss_mib(pid) - before < 64
    assert list((data_dir / "uploads").iterdir()) == []
    assert httpx.get(f"{base}/api/status").status_code == 200


@linux_only
def test_hostile_template_member_names_write_nothing_anywhere(base: str, data_dir: Path) -> None:
    target = data_dir.parent / "escaped-template.txt"
    data = tar_gz(member("../escaped-template.txt", b"x"), template_yml())
    iid = new_template_ticket(base)
    response = httpx.post(
        f"{base}{TEMPLATE_IMPORTS}/{iid}/uploads", headers=uploads.JSON, content=data
    )
    assert response.status_code == 201
    status = response.json()["status"]
    assert status["error"] is True
    assert "climbs out of the archive" in status["detailedErrorMsg"]
    assert not target.exists()
    assert list((data_dir / "uploads").iterdir()) == []


@linux_only
def test_template_and_bundle_uploads_share_the_upload_slots(base: str) -> None:
    """The server takes one upload at a time (`max_concurrent_uploads=1`): a bundle upload
    held open makes a template upload wait its turn (503), as another bundle upload would."""
    held = uploads.new_ticket(base)
    iid = new_template_ticket(base)
    body = gzip.compress(b"not an archive")
    with connect(base) as sock:
        sock.sendall(
            request_head(
                "POST",
                f"{uploads.IMPORTS}/{held}/uploads",
                {**uploads.AUTH, "Accept": "application/json", "Content-Length": str(len(body))},
            )
            + body[:5]
        )
        time.sleep(0.5)  # the server has started receiving it
        refused = httpx.post(
            f"{base}{TEMPLATE_IMPORTS}/{iid}/uploads", headers=uploads.JSON, content=body
        )
        assert refused.status_code == 503
        assert refused.headers["retry-after"] == "1"
        sock.sendall(body[5:])
        assert read_answer(sock).status == 201
    accepted = httpx.post(
        f"{base}{TEMPLATE_IMPORTS}/{iid}/uploads", headers=uploads.JSON, content=body
    )
    assert accepted.status_code == 201
    assert accepted.json()["status"]["error"] is True
