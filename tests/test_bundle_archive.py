"""Bundle archives, both ways: what hammr's `bundle create` uploads reads into the right bundle
(`uforge_mock.jobs.bundle_import`), and what an export writes (`uforge_mock.jobs.archive`)
reads back as the same software, whatever the bundle (a property test)."""

import copy
import dataclasses
import gzip
import hashlib
import io
import json
import ntpath
import os
import tarfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from uforge_mock.jobs.archive import (
    OSPKG,
    BundleAttachment,
    BundleFacts,
    BundleFile,
    archive_filename,
    bundle_archive,
    metadata_file,
)
from uforge_mock.jobs.bundle_import import (
    ArchiveRefused,
    ImportedBundle,
    read_bundle_archive,
)

BUILT = datetime(2019, 6, 5, 21, 40, 12, tzinfo=UTC)

# ---------------------------------------------------------------- hammr's `bundle create`


def hammr_archive(bundle: dict[str, Any], target: Path, *, json_file: bool = False) -> Path:
    """The archive hammr 3.8.13's `bundle create` builds from `bundle` (its sources local
    paths), step for step as hammr/commands/bundle/bundle.py (`do_create`) and
    hammr/utils/bundle_utils.py do it on Linux, quirks included: a directory goes in with
    `tar.add`, which adds what it holds, and then its files are added one by one again (so
    they are in the tar twice), and below the first level the folder names are joined with
    no separator (`conf` + `sub` makes `confsub`). The bundle file is added last."""
    bundle = copy.deepcopy(bundle)
    archive_files: list[tuple[str, str]] = []
    seen: list[str] = []

    def clean(text: str) -> str:  # generics_utils.remove_URI_forbidden_char
        return text.replace(" ", "_")

    def add(file: dict[str, Any], parent_dir: str, fail_on_duplicates: bool = True) -> bool:
        if parent_dir and not parent_dir.endswith(os.sep):
            parent_dir += os.sep
        path = "/".join(
            ("bundles", clean(bundle["name"]), clean(bundle["version"]), "")
        ) + parent_dir + clean(ntpath.basename(file["name"]))  # fmt: skip
        if path not in seen:
            seen.append(path)
            archive_files.append((path, file["source"]))
            file["source"] = path
            return True
        if fail_on_duplicates:
            raise ValueError(f"Cannot have identical files in the bundles section: {path}")
        return False

    def from_folder(files: dict[str, Any], folder: str, parent_dir: str) -> None:
        for name in sorted(os.listdir(folder)):
            entry: dict[str, Any] = {"name": name, "source": f"{folder}/{name}", "files": []}
            before = entry["source"]
            if add(entry, parent_dir, fail_on_duplicates=False):
                files["files"].append(entry)
            if os.path.isdir(before):
                from_folder(entry, before, parent_dir + name)

    def append(files: dict[str, Any], parent_dir: str) -> None:
        before = files["source"]
        if files.get("tag") != OSPKG:
            add(files, parent_dir)
        for sub in files.get("files", []):
            append(sub, parent_dir + ntpath.basename(files["source"]))
        if files.get("tag") != OSPKG and os.path.isdir(before):
            from_folder(files, before, parent_dir + ntpath.basename(before))

    for files in bundle["files"]:
        append(files, "")
    folder = f"bundles/{clean(bundle['name'])}"
    if "license" in bundle and "source" in bundle["license"]:
        path = f"{folder}/{clean(ntpath.basename(bundle['license']['source']))}"
        archive_files.append((path, bundle["license"]["source"]))
        bundle["license"]["source"] = path
    if "sourceLogo" in bundle:
        path = f"{folder}/{clean(ntpath.basename(bundle['sourceLogo']))}"
        archive_files.append((path, bundle["sourceLogo"]))
        bundle["sourceLogo"] = path
    bundle_file = target.parent / ("bundle.json" if json_file else "bundle.yml")
    with bundle_file.open("w") as out:  # hammr_utils.dump_data_in_file
        if json_file:
            json.dump(bundle, out, indent=4, separators=(",", ": "))
        else:
            yaml.safe_dump(bundle, out, default_flow_style=False, indent=2, explicit_start=True)
    archive_files.append((bundle_file.name, str(bundle_file)))
    # Python 2.7's tarfile writes the GNU format.
    with tarfile.open(str(target), "w|gz", format=tarfile.GNU_FORMAT) as tar:
        for arcname, path in archive_files:
            tar.add(path, arcname=arcname)
    return target


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    """A bundle's files on disk, as a user points hammr at them."""
    root = tmp_path / "src"
    for path, content in {
        "app.bin": b"\x7fELF binary",
        "conf/a.conf": b"a = 1\n",
        "conf/sub/b.conf": b"b = 2\n",
        "boot.sh": b"#!/bin/sh\necho booted\n",
        "LICENSE.txt": b"Apache License 2.0\n",
        "logo.png": b"\x89PNG\r\n\x1a\n",
    }.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(content)
    return root


def bundle_file_of(sources: Path) -> dict[str, Any]:
    return {
        "name": "My App",
        "version": "1.0",
        "description": "An app, with its configuration",
        "shortTag": "myapp",
        "maintainer": "Ops",
        "website": "https://example.com",
        "category": "Web Server",
        "license": {"source": str(sources / "LICENSE.txt"), "type": "Apache"},
        "sourceLogo": str(sources / "logo.png"),
        "files": [
            {"name": "app.bin", "source": str(sources / "app.bin"), "installLocation": "/opt"},
            {
                "name": "conf",
                "source": str(sources / "conf"),
                "tag": "softwarefile",
                "files": [
                    {"name": "a.conf", "source": str(sources / "conf/a.conf"), "rights": "644"}
                ],
            },
            {
                "name": "boot.sh",
                "source": str(sources / "boot.sh"),
                "tag": "bootscript",
                "bootOrder": "1",
                "bootType": "firstboot",
            },
            {"name": "nginx", "source": "nginx", "tag": OSPKG},
        ],
    }


def test_hammr_writes_some_members_twice_and_its_bundle_file_last(
    sources: Path, tmp_path: Path
) -> None:
    path = hammr_archive(bundle_file_of(sources), tmp_path / "archive.tar.gz")
    with tarfile.open(path, "r:gz") as tar:
        names = tar.getnames()
    assert names[-1] == "bundle.yml"
    assert names.count("bundles/My_App/1.0/conf/a.conf") == 2


def test_hammr_archive_reads_into_the_bundle(sources: Path, tmp_path: Path) -> None:
    path = hammr_archive(bundle_file_of(sources), tmp_path / "archive.tar.gz")
    with path.open("rb") as upload:
        bundle = read_bundle_archive(upload)
    assert (bundle.name, bundle.version, bundle.file_format) == ("My App", "1.0", "yaml")
    assert (bundle.description, bundle.short_tag) == ("An app, with its configuration", "myapp")
    assert (bundle.maintainer, bundle.website) == ("Ops", "https://example.com")
    assert bundle.category == "Web Server"
    assert bundle.extra == {}
    root = "bundles/My_App/1.0"
    assert [(f.name, f.source, f.parent, f.directory) for f in bundle.files] == [
        ("app.bin", f"{root}/app.bin", None, False),
        ("conf", f"{root}/conf", None, True),
        ("a.conf", f"{root}/conf/a.conf", 1, False),
        # hammr listed what the folder holds and was not described (sub, and in it b.conf).
        ("sub", f"{root}/conf/sub", 1, True),
        ("b.conf", f"{root}/confsub/b.conf", 3, False),
        ("boot.sh", f"{root}/boot.sh", None, False),
        ("nginx", "nginx", None, False),
    ]
    contents = {f.name: f.content for f in bundle.files}
    assert contents["app.bin"] == b"\x7fELF binary"
    assert contents["b.conf"] == b"b = 2\n"
    assert contents["conf"] is None and contents["nginx"] is None
    boot = bundle.files[5]
    assert (boot.tag, boot.attributes) == (
        "bootscript",
        {"bootOrder": "1", "bootType": "firstboot"},
    )
    assert bundle.files[0].install_location == "/opt"
    assert bundle.files[2].attributes == {"rights": "644"}
    assert bundle.files[4].attributes == {}  # hammr's `files: []` of a plain file
    assert bundle.files[0].size == 11
    assert bundle.size == sum(len(c or b"") for c in contents.values())
    assert bundle.license == BundleAttachment(
        name="LICENSE.txt",
        content=b"Apache License 2.0\n",
        source="bundles/My_App/LICENSE.txt",
        type="Apache",
    )
    assert bundle.logo is not None
    assert (bundle.logo.name, bundle.logo.content) == ("logo.png", b"\x89PNG\r\n\x1a\n")


def test_imported_files_carry_their_digests(sources: Path, tmp_path: Path) -> None:
    path = hammr_archive(bundle_file_of(sources), tmp_path / "archive.tar.gz")
    app = read_bundle_archive(path.read_bytes()).files[0]
    assert app.size == 11
    assert app.sha256 == hashlib.sha256(b"\x7fELF binary").hexdigest()
    assert app.md5 == hashlib.md5(b"\x7fELF binary").hexdigest()


def test_hammr_json_bundle_file_reads_the_same(sources: Path, tmp_path: Path) -> None:
    as_yaml = read_bundle_archive(
        hammr_archive(bundle_file_of(sources), tmp_path / "yaml.tar.gz").read_bytes()
    )
    as_json = read_bundle_archive(
        hammr_archive(
            bundle_file_of(sources), tmp_path / "json.tar.gz", json_file=True
        ).read_bytes()
    )
    assert as_json.file_format == "json"
    assert as_json.files == as_yaml.files
    assert (as_json.license, as_json.logo) == (as_yaml.license, as_yaml.logo)


def test_upload_may_come_in_chunks(sources: Path, tmp_path: Path) -> None:
    data = hammr_archive(bundle_file_of(sources), tmp_path / "archive.tar.gz").read_bytes()
    whole = read_bundle_archive(data)
    assert read_bundle_archive(data[i : i + 7] for i in range(0, len(data), 7)) == whole


def test_a_bundle_file_may_come_first(tmp_path: Path) -> None:
    payload = b"payload"
    bundle_file = yaml.safe_dump(
        {"name": "n", "version": "1", "files": [{"name": "p", "source": "bundles/n/1/p"}]}
    ).encode()
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w:gz") as tar:
        for name, content in (("bundle.yml", bundle_file), ("bundles/n/1/p", payload)):
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    assert read_bundle_archive(data.getvalue()).files[0].content == payload


def test_windows_hammr_sources_read_with_backslashes(tmp_path: Path) -> None:
    """hammr on Windows joins a source's parts with os.sep (tarfile itself writes `/`)."""
    bundle_file = yaml.safe_dump(
        {"name": "n", "version": "1", "files": [{"name": "p", "source": "bundles\\n\\1\\p"}]}
    ).encode()
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w:gz") as tar:
        for name, content in (("bundles/n/1/p", b"x"), ("bundle.yml", bundle_file)):
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    assert read_bundle_archive(data.getvalue()).files[0].source == "bundles/n/1/p"


def test_a_category_may_be_a_mapping_with_its_name() -> None:
    bundle_file = yaml.safe_dump(
        {"name": "n", "version": "1", "files": [], "category": {"name": "Web Server"}}
    ).encode()
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w:gz") as tar:
        info = tarfile.TarInfo("bundle.yml")
        info.size = len(bundle_file)
        tar.addfile(info, io.BytesIO(bundle_file))
    assert read_bundle_archive(data.getvalue()).category == "Web Server"


def test_zero_padding_after_the_gzip_stream_is_accepted(sources: Path, tmp_path: Path) -> None:
    data = hammr_archive(bundle_file_of(sources), tmp_path / "archive.tar.gz").read_bytes()
    assert read_bundle_archive(data + bytes(10240)) == read_bundle_archive(data)


# ---------------------------------------------------------------- the export archive


def members_of(archive: bytes) -> dict[str, bytes | None]:
    """Every member by name, None for a directory (no member twice in our archives)."""
    found: dict[str, bytes | None] = {}
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        for member in tar:
            assert member.name not in found
            reader = tar.extractfile(member)
            found[member.name] = None if reader is None else reader.read()
    return found


def bundle_file_in(archive: bytes) -> Any:
    found = members_of(archive)
    if "bundle.json" in found:
        return json.loads(found["bundle.json"] or b"")
    return yaml.safe_load(found["bundle.yml"] or b"")


ZABBIX = BundleFacts(
    name="Zabbix",
    version="3.0.1",
    description="Enterprise-class open source monitoring",
    maintainer="Zabbix SIA",
    website="https://www.zabbix.com",
    short_tag="zabbix",
)


def test_demo_bundle_without_files_exports_its_bundle_file_alone() -> None:
    archive = bundle_archive(ZABBIX, "yaml", built=BUILT)
    assert list(members_of(archive)) == ["bundle.yml"]
    assert bundle_file_in(archive) == {
        "name": "Zabbix",
        "version": "3.0.1",
        "description": "Enterprise-class open source monitoring",
        "shortTag": "zabbix",
        "maintainer": "Zabbix SIA",
        "website": "https://www.zabbix.com",
        "files": [],
    }
    assert members_of(archive)["bundle.yml"].startswith(b"---\n")  # type: ignore[union-attr]


def test_metadata_file_is_the_archives_bundle_file() -> None:
    name, content = metadata_file(APP, "json")
    assert members_of(bundle_archive(APP, "json", built=BUILT))[name] == content


def test_demo_bundle_without_files_reads_back() -> None:
    bundle = read_bundle_archive(bundle_archive(ZABBIX, "json", built=BUILT))
    assert bundle == ImportedBundle(**vars_of(ZABBIX), file_format="json")
    assert bundle.size == 0


def vars_of(facts: BundleFacts) -> dict[str, Any]:
    return {name: getattr(facts, name) for name in BundleFacts.__dataclass_fields__}


APP = BundleFacts(
    name="My App",
    version="1.0 beta",
    category="Web Server",
    files=(
        BundleFile(name="app.bin", content=b"binary", install_location="/opt/app"),
        BundleFile(name="conf", tag="softwarefile", directory=True),
        BundleFile(name="a.conf", content=b"a", parent=1, attributes={"rights": "644"}),
        BundleFile(name="sub", directory=True, parent=1),
        BundleFile(name="b.conf", content=b"b", parent=3),
        BundleFile(name="nginx", source="nginx", tag=OSPKG),
    ),
    license=BundleAttachment(name="LICENSE.txt", content=b"license", type="Apache"),
    logo=BundleAttachment(name="logo.png", content=b"png"),
    extra={"restrictionRule": {"rule": "centos"}},
)


def test_export_lays_members_out_as_hammr_does() -> None:
    members = members_of(bundle_archive(APP, "yaml", built=BUILT))
    assert list(members)[-1] == "bundle.yml"
    del members["bundle.yml"]
    root = "bundles/My_App/1.0_beta"
    assert members == {
        f"{root}/app.bin": b"binary",
        f"{root}/conf": None,
        f"{root}/conf/a.conf": b"a",
        f"{root}/conf/sub": None,
        f"{root}/conf/sub/b.conf": b"b",
        "bundles/My_App/LICENSE.txt": b"license",
        "bundles/My_App/logo.png": b"png",
    }


def test_export_bundle_file_names_its_members() -> None:
    root = "bundles/My_App/1.0_beta"
    assert bundle_file_in(bundle_archive(APP, "yaml", built=BUILT)) == {
        "name": "My App",
        "version": "1.0 beta",
        "category": "Web Server",
        "restrictionRule": {"rule": "centos"},
        "license": {"source": "bundles/My_App/LICENSE.txt", "type": "Apache"},
        "sourceLogo": "bundles/My_App/logo.png",
        "files": [
            {"name": "app.bin", "source": f"{root}/app.bin", "installLocation": "/opt/app"},
            {
                "name": "conf",
                "source": f"{root}/conf",
                "tag": "softwarefile",
                "files": [
                    {"name": "a.conf", "source": f"{root}/conf/a.conf", "rights": "644"},
                    {
                        "name": "sub",
                        "source": f"{root}/conf/sub",
                        "files": [{"name": "b.conf", "source": f"{root}/conf/sub/b.conf"}],
                    },
                ],
            },
            {"name": "nginx", "source": "nginx", "tag": OSPKG},
        ],
    }


def test_export_is_deterministic_with_no_gzip_time() -> None:
    first = bundle_archive(APP, "yaml", built=BUILT)
    assert first == bundle_archive(APP, "yaml", built=BUILT)
    assert first[4:8] == bytes(4)  # gzip MTIME
    with tarfile.open(fileobj=io.BytesIO(first), mode="r:gz") as tar:
        assert {member.mtime for member in tar} == {int(BUILT.timestamp())}


def test_export_extracts_safely_with_tarfiles_data_filter(tmp_path: Path) -> None:
    with tarfile.open(fileobj=io.BytesIO(bundle_archive(APP, "json", built=BUILT))) as tar:
        tar.extractall(tmp_path, filter="data")
    assert (tmp_path / "bundles/My_App/1.0_beta/conf/sub/b.conf").read_bytes() == b"b"


def test_export_keeps_unsafe_names_inside_the_archive() -> None:
    facts = BundleFacts(
        name="../..",
        version="/etc",
        files=(
            BundleFile(name="..", content=b"1"),
            BundleFile(name="a\\..\\b", content=b"2"),
            BundleFile(name="tab\there", content=b"3"),
        ),
        license=BundleAttachment(name="/etc/passwd", content=b"4"),
    )
    names = list(members_of(bundle_archive(facts, "yaml", built=BUILT)))
    assert names == [
        "bundles/.._../_etc/_",
        "bundles/.._../_etc/b",
        "bundles/.._../_etc/tab_here",
        "bundles/.._../passwd",
        "bundle.yml",
    ]
    assert [
        f.content for f in read_bundle_archive(bundle_archive(facts, "yaml", built=BUILT)).files
    ] == [
        b"1",
        b"2",
        b"3",
    ]


def test_export_gives_colliding_names_their_own_members() -> None:
    facts = BundleFacts(
        name="n",
        version="LICENSE",
        files=(BundleFile(name="f", content=b"1"), BundleFile(name="f", content=b"2")),
        license=BundleAttachment(name="LICENSE", content=b"l"),
        logo=BundleAttachment(name="LICENSE", content=b"p"),
    )
    archive = bundle_archive(facts, "yaml", built=BUILT)
    assert list(members_of(archive)) == [
        "bundles/n/LICENSE/f",
        "bundles/n/LICENSE/f_2",
        "bundles/n/LICENSE_2",
        "bundles/n/LICENSE_3",
        "bundle.yml",
    ]
    bundle = read_bundle_archive(archive)
    assert [f.content for f in bundle.files] == [b"1", b"2"]
    assert bundle.license is not None and bundle.logo is not None
    assert (bundle.license.content, bundle.logo.content) == (b"l", b"p")


def test_export_of_a_parent_after_its_child_is_refused() -> None:
    facts = BundleFacts(name="n", version="1", files=(BundleFile(name="f", parent=0),))
    with pytest.raises(ValueError, match="does not precede"):
        bundle_archive(facts, "yaml", built=BUILT)


def test_archive_filename_is_unchanged() -> None:
    assert archive_filename(ZABBIX) == "Zabbix-3.0.1.tar.gz"
    assert archive_filename(APP) == "My_App-1.0_beta.tar.gz"


# ---------------------------------------------------------------- the round trip


# Any character but the surrogates (no text can be encoded with those).
TEXT = st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=12)
PLAIN = st.one_of(st.text(max_size=8), st.booleans(), st.integers(-1000, 1000), st.none())
FILE_ATTRIBUTES = st.dictionaries(
    st.sampled_from(["rights", "ownerGroup", "bootOrder", "bootType", "extract", "install"]),
    PLAIN,
    max_size=3,
)


@st.composite
def bundle_files(draw: st.DrawFn) -> tuple[BundleFile, ...]:
    """Files nested at random: each entry at the top or in an earlier directory; OS packages
    at the top only, as hammr wants them."""
    files: list[BundleFile] = []
    for _ in range(draw(st.integers(0, 8))):
        folders = [index for index, file in enumerate(files) if file.directory]
        parent = draw(st.sampled_from([None, *folders]))
        kind = draw(st.sampled_from(["file", "file", "directory", OSPKG]))
        if kind == OSPKG and parent is None:
            files.append(BundleFile(name=draw(TEXT), source=draw(TEXT), tag=OSPKG))
            continue
        files.append(
            BundleFile(
                name=draw(TEXT),
                tag=draw(st.sampled_from([None, "softwarefile", "bootscript"])),
                install_location=draw(st.none() | TEXT),
                content=None if kind == "directory" else draw(st.binary(max_size=64)),
                directory=kind == "directory",
                parent=parent,
                attributes=draw(FILE_ATTRIBUTES),
            )
        )
    return preorder(files)


def preorder(files: list[BundleFile]) -> tuple[BundleFile, ...]:
    """`files` in the bundle file's order: each directory followed by what it lists."""
    ordered: list[BundleFile] = []

    def visit(parent: int | None, new_parent: int | None) -> None:
        for index, file in enumerate(files):
            if file.parent == parent:
                ordered.append(dataclasses.replace(file, parent=new_parent))
                visit(index, len(ordered) - 1)

    visit(None, None)
    return tuple(ordered)


@st.composite
def bundles(draw: st.DrawFn) -> BundleFacts:
    return BundleFacts(
        name=draw(TEXT),
        version=draw(TEXT),
        description=draw(st.none() | TEXT),
        maintainer=draw(st.none() | TEXT),
        website=draw(st.none() | TEXT),
        short_tag=draw(st.none() | TEXT),
        category=draw(st.none() | TEXT),
        files=draw(bundle_files()),
        license=draw(
            st.none()
            | st.builds(
                BundleAttachment,
                name=TEXT,
                content=st.binary(max_size=64),
                type=st.none() | TEXT,
            )
        ),
        logo=draw(
            st.none() | st.builds(BundleAttachment, name=TEXT, content=st.binary(max_size=64))
        ),
        extra=draw(st.dictionaries(st.sampled_from(["vendor", "releaseNotes"]), PLAIN)),
    )


def described(facts: BundleFacts) -> dict[str, Any]:
    """What a bundle says about its software, member paths aside."""
    return {
        "name": facts.name,
        "version": facts.version,
        "texts": [facts.description, facts.maintainer, facts.website, facts.short_tag],
        "category": facts.category,
        "extra": dict(facts.extra),
        "files": [
            (f.name, f.tag, f.install_location, f.parent, f.directory, dict(f.attributes))
            + ((f.source,) if f.tag == OSPKG else (f.content or b"",))
            for f in facts.files
        ],
        "license": facts.license and (facts.license.content, facts.license.type),
        "logo": facts.logo and facts.logo.content,
    }


@settings(max_examples=150, deadline=None)
@given(facts=bundles(), output_format=st.sampled_from(["yaml", "json"]))
def test_export_import_export_round_trips(facts: BundleFacts, output_format: str) -> None:
    first = bundle_archive(facts, output_format, built=BUILT)
    imported = read_bundle_archive(first)
    assert imported.file_format == output_format
    # Empty texts are not written (hammr leaves such keys out too).
    expected = described(facts)
    expected["texts"] = [text or None for text in expected["texts"]]
    expected["category"] = facts.category or None
    assert described(imported) == expected
    second = bundle_archive(imported, output_format, built=BUILT)
    assert bundle_file_in(second) == bundle_file_in(first)
    assert members_of(second) == members_of(first)


# ---------------------------------------------------------------- the reader's contract


def test_refusal_reads_like_a_uforge_error() -> None:
    with pytest.raises(ArchiveRefused) as refused:
        read_bundle_archive(gzip.compress(b"not a tar at all"))
    assert refused.value.message == "Failed to import the software bundle"
    assert refused.value.detail == "the archive's gzip stream does not hold a tar"
    assert str(refused.value) == f"{refused.value.message}: {refused.value.detail}"


def test_a_name_read_as_a_drive_keeps_its_member_path_through_a_round_trip() -> None:
    """`0:` is a drive to ntpath, whose basename of it is empty: an exported license named
    `a\\0:` (member `0:`) read back and exported again must land on the same member."""
    facts = BundleFacts(
        name="0", version="0", license=BundleAttachment(name="a\\0:", content=b"terms")
    )
    first = bundle_archive(facts, "yaml", built=BUILT)
    second = bundle_archive(read_bundle_archive(first), "yaml", built=BUILT)
    assert bundle_file_in(second)["license"] == {"source": "bundles/0/0:"}
    assert members_of(second) == members_of(first)
