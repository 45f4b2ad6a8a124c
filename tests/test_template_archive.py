"""The template archive both ways (`uforge_mock.jobs.template_archive`): what a template export
writes is what hammr 3.8.13's `template validate` accepts and what the reader reads back as the
same template; what hammr's `template create` packs reads as the template file says."""

import io
import json
import os
import subprocess
import tarfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.official import conftest as official
from tests.servers import server_process
from uforge_mock.jobs.archive_reader import ArchiveRefused
from uforge_mock.jobs.template_archive import (
    REFUSED,
    ImportedTemplate,
    TemplateBundle,
    TemplateFacts,
    TemplateOS,
    read_template_archive,
    template_archive,
    template_archive_filename,
    template_document,
    template_file,
)

BUILT = datetime(2019, 6, 5, 21, 40, 12, tzinfo=UTC)
CENTOS = TemplateOS(name="CentOS", version="7", arch="x86_64", profile="Minimal")
TEMPLATE = TemplateFacts(
    name="CentOS Core",
    version="1.0",
    description="A CentOS core template",
    os=CENTOS,
    bundles=(TemplateBundle("Zabbix", "3.0.1"), TemplateBundle("Nginx", "1.14")),
    attributes={
        "installation": {"diskSize": 12288, "swapSize": 512, "timezone": "Europe/Paris"},
        "os": {"pkgs": [{"name": "vim-enhanced"}], "updateTo": "2019-06-05"},
    },
)
BARE = TemplateFacts(name="Bare", version="1", os=TemplateOS("Debian", "10", "x86_64"))

# The py27 environment of the official clients, built (or found) once per machine.
py27_bin = official.py27_bin


def members(data: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        return {
            info.name: archive.extractfile(info).read()  # type: ignore[union-attr]
            for info in archive.getmembers()
        }


def facts_of(imported: ImportedTemplate) -> TemplateFacts:
    """The TemplateFacts part of what the reader read."""
    return TemplateFacts(
        name=imported.name,
        version=imported.version,
        os=imported.os,
        description=imported.description,
        bundles=imported.bundles,
        attributes=imported.attributes,
    )


def archive_of(document: object, name: str = "template.yml") -> bytes:
    """A .tar.gz holding `document` as the template file `name`."""
    if name.endswith(".json"):
        text = json.dumps(document).encode()
    else:
        text = yaml.safe_dump(document, explicit_start=True).encode()
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w:gz") as archive:
        info = tarfile.TarInfo(name)
        info.size = len(text)
        archive.addfile(info, io.BytesIO(text))
    return data.getvalue()


def refusal(data: bytes) -> str:
    with pytest.raises(ArchiveRefused) as refused:
        read_template_archive(data)
    assert refused.value.message == REFUSED == "Failed to import the template"
    return refused.value.detail


# ---------------------------------------------------------------- writing


@pytest.mark.parametrize(
    ("output_format", "name"), [("yaml", "template.yml"), ("json", "template.json")]
)
def test_archive_holds_the_template_file_alone_in_the_format_asked(
    output_format: str, name: str
) -> None:
    written = members(template_archive(TEMPLATE, output_format, BUILT))
    assert list(written) == [name]
    assert written[name] == template_file(TEMPLATE, output_format)[1]


def test_template_file_holds_the_stack_in_hammrs_order() -> None:
    stack = yaml.safe_load(template_file(TEMPLATE, "yaml")[1])["stack"]
    assert list(stack) == ["name", "version", "description", "os", "bundles", "installation"]
    assert stack["os"] == {
        "name": "CentOS",
        "version": "7",
        "arch": "x86_64",
        "profile": "Minimal",
        "pkgs": [{"name": "vim-enhanced"}],
        "updateTo": "2019-06-05",
    }
    assert stack["bundles"] == [
        {"name": "Zabbix", "version": "3.0.1", "files": []},
        {"name": "Nginx", "version": "1.14", "files": []},
    ]


def test_versions_stay_text_in_the_yaml_template_file() -> None:
    text = template_file(TEMPLATE, "yaml")[1].decode()
    assert "version: '1.0'" in text and "version: '7'" in text
    assert yaml.safe_load(text)["stack"]["version"] == "1.0"


def test_template_without_optional_parts_writes_none_of_them() -> None:
    assert template_document(BARE) == {
        "stack": {
            "name": "Bare",
            "version": "1",
            "os": {"name": "Debian", "version": "10", "arch": "x86_64"},
        }
    }


def test_archive_bytes_depend_only_on_the_facts_and_the_instant() -> None:
    first = template_archive(TEMPLATE, "yaml", BUILT)
    assert template_archive(TEMPLATE, "yaml", BUILT) == first
    assert template_archive(TEMPLATE, "yaml", BUILT + timedelta(seconds=1)) != first
    with tarfile.open(fileobj=io.BytesIO(first), mode="r:gz") as archive:
        assert archive.getmembers()[0].mtime == int(BUILT.timestamp())


def test_archive_filename_is_safe_in_a_header() -> None:
    assert template_archive_filename(TEMPLATE) == "CentOS_Core-1.0.tar.gz"
    assert template_archive_filename(TemplateFacts("Ops é/x", "1", CENTOS)) == "Ops___x-1.tar.gz"
    assert template_archive_filename(TemplateFacts("", "", CENTOS)) == "template.tar.gz"


# ---------------------------------------------------------------- reading back


@pytest.mark.parametrize("output_format", ["yaml", "json"])
@pytest.mark.parametrize("facts", [TEMPLATE, BARE], ids=["full", "bare"])
def test_template_read_back_is_the_template_written(
    facts: TemplateFacts, output_format: str
) -> None:
    imported = read_template_archive(template_archive(facts, output_format, BUILT))
    assert facts_of(imported) == facts
    assert imported.file_format == output_format


@settings(max_examples=60, deadline=None)
@given(
    name=st.text(max_size=40),
    version=st.text(max_size=12),
    description=st.none() | st.text(max_size=60),
    bundles=st.lists(
        st.builds(TemplateBundle, st.text(max_size=20), st.text(max_size=12)), max_size=4
    ),
    output_format=st.sampled_from(["yaml", "json"]),
)
def test_any_template_reads_back_as_written(
    name: str,
    version: str,
    description: str | None,
    bundles: list[TemplateBundle],
    output_format: str,
) -> None:
    facts = TemplateFacts(name, version, CENTOS, description, tuple(bundles))
    imported = read_template_archive(template_archive(facts, output_format, BUILT))
    assert facts_of(imported) == facts


def hammr_create_archive(template: dict[str, Any], scripts: Path) -> bytes:
    """What hammr 3.8.13's `template create` uploads for `template` (commands/template/
    template.py, `do_create`): `builders` emptied, each `config` source packed under
    `config/` and renamed there, the template dumped as hammr dumps it (keys sorted, a
    two-space indent) and added last, all through `tarfile.open(path, "w|gz")`."""
    template = json.loads(json.dumps(template))
    template["builders"] = None
    files: list[tuple[str, str]] = []
    for config in template["stack"].get("config", []):
        path = "config" + os.sep + os.path.basename(config["source"]).replace(" ", "_")
        files.append((path, config["source"]))
        config["source"] = path
    text = yaml.safe_dump(template, default_flow_style=False, indent=2, explicit_start=True)
    (scripts / "template.yml").write_text(text)
    files.append(("template.yml", str(scripts / "template.yml")))
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w|gz") as archive:
        for arcname, source in files:
            archive.add(source, arcname=arcname)
    return data.getvalue()


def test_hammr_template_create_archive_reads_as_its_template_file(tmp_path: Path) -> None:
    script = tmp_path / "first boot.sh"
    script.write_text("#!/bin/sh\necho hello\n")
    template = {
        "stack": {
            "name": "CentOS Core",
            "version": 6.4,  # unquoted in the user's file: hammr sends the number
            "os": {"name": "CentOS", "version": "6.4", "arch": "x86_64", "profile": "Minimal"},
            "bundles": [{"name": "Zabbix", "version": "3.0.1", "files": []}],
            "config": [{"name": "first boot.sh", "source": str(script), "type": "bootscript"}],
        },
        "builders": [{"type": "Docker"}],
    }
    imported = read_template_archive(hammr_create_archive(template, tmp_path))
    assert (imported.name, imported.version) == ("CentOS Core", "6.4")
    assert imported.os == TemplateOS("CentOS", "6.4", "x86_64", "Minimal")
    assert imported.bundles == (TemplateBundle("Zabbix", "3.0.1"),)
    assert imported.attributes == {
        "config": [
            {"name": "first boot.sh", "source": "config/first_boot.sh", "type": "bootscript"}
        ]
    }


def test_a_bundle_entry_is_read_by_its_name_and_version_alone() -> None:
    document = template_document(TEMPLATE)
    document["stack"]["bundles"][0]["files"] = [{"name": "a", "source": "bundles/a"}]  # type: ignore[index]
    document["stack"]["bundles"][0]["description"] = "the monitoring agent"  # type: ignore[index]
    assert read_template_archive(archive_of(document)).bundles == TEMPLATE.bundles


def test_upload_may_come_in_chunks() -> None:
    data = template_archive(TEMPLATE, "json", BUILT)
    chunks: Iterator[bytes] = (data[index : index + 7] for index in range(0, len(data), 7))
    assert facts_of(read_template_archive(chunks)) == TEMPLATE


# ---------------------------------------------------------------- refused template files


def stack(**changes: object) -> dict[str, object]:
    """TEMPLATE's stack with `changes` (a None value removes the key)."""
    document = template_document(TEMPLATE)["stack"]
    assert isinstance(document, dict)
    for key, value in changes.items():
        if value is None:
            document.pop(key, None)
        else:
            document[key] = value
    return {"stack": document}


OS = {"name": "CentOS", "version": "7", "arch": "x86_64"}


@pytest.mark.parametrize(
    ("document", "detail"),
    [
        ({"builders": []}, 'template.yml has no "stack"'),
        ({"stack": ["name"]}, 'template.yml\'s "stack" is not a mapping'),
        (stack(name=None), 'template.yml\'s stack has no "name"'),
        (stack(version=None), 'template.yml\'s stack has no "version"'),
        (stack(name=True), "template.yml's stack's \"name\" is not text"),
        (stack(description=["x"]), "template.yml's stack's \"description\" is not text"),
        (stack(os=None), 'template.yml\'s stack has no "os"'),
        (stack(os="CentOS 7"), 'template.yml\'s "os" is not a mapping'),
        (stack(os={**OS, "name": None}), 'template.yml\'s "os" has no "name"'),
        (stack(os={"name": "CentOS", "arch": "x86_64"}), 'template.yml\'s "os" has no "version"'),
        (stack(os={"name": "CentOS", "version": "7"}), 'template.yml\'s "os" has no "arch"'),
        (stack(os={**OS, "profile": 3}), 'template.yml\'s "os"\'s "profile" is not text'),
        (stack(bundles={"name": "Zabbix"}), 'template.yml\'s "bundles" is not a list'),
        (stack(bundles=["Zabbix"]), 'an entry of template.yml\'s "bundles" is not a mapping'),
        (stack(bundles=[{"version": "1"}]), 'a bundle of template.yml has no "name"'),
        (stack(bundles=[{"name": "Zabbix"}]), 'the bundle "Zabbix" has no "version"'),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_template_file_without_what_hammr_requires_is_refused(
    document: dict[str, object], detail: str
) -> None:
    assert refusal(archive_of(document)) == detail


def test_archive_without_a_template_file_is_refused() -> None:
    assert refusal(archive_of({"name": "n"}, "bundle.yml")) == (
        "the archive holds no template.yml or template.json at its root"
    )


def test_template_file_in_a_folder_is_not_the_template_file() -> None:
    assert refusal(archive_of(template_document(BARE), "CentOS/template.yml")) == (
        "the archive holds no template.yml or template.json at its root"
    )


def test_archive_with_both_template_files_is_refused() -> None:
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w:gz") as archive:
        for name in ("template.yml", "template.json"):
            text = template_file(BARE, "json")[1]
            info = tarfile.TarInfo(name)
            info.size = len(text)
            archive.addfile(info, io.BytesIO(text))
    assert refusal(data.getvalue()) == "the archive holds both template.yml and template.json"


def test_json_template_file_that_is_not_json_is_refused() -> None:
    text = b"stack:\n  name: n\n"
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w:gz") as archive:
        info = tarfile.TarInfo("template.json")
        info.size = len(text)
        archive.addfile(info, io.BytesIO(text))
    assert refusal(data.getvalue()).startswith("template.json is not valid JSON: ")


# ---------------------------------------------------------------- the real hammr


@pytest.fixture(scope="module")
def validating_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A uforge-mock process: hammr checks the server's version before any command, even
    one that only reads a local file."""
    with server_process(tmp_path_factory.mktemp("validate"), "--no-demo") as base:
        yield f"{base}/api"


def hammr_validate(py27_bin: Path, url: str, path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ANSI_COLORS_DISABLED": "1", "HOME": str(path.parent)}
    return subprocess.run(
        [
            *(str(py27_bin / "hammr"), "-a", url, "-u", "nobody", "-p", "none"),
            *("template", "validate", "--file", str(path)),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=path.parent,
        env=env,
    )


@pytest.mark.official
@pytest.mark.parametrize("output_format", ["yaml", "json"])
@pytest.mark.parametrize("facts", [TEMPLATE, BARE], ids=["full", "bare"])
def test_real_hammr_validates_the_exported_template_file(
    py27_bin: Path, validating_server: str, tmp_path: Path, facts: TemplateFacts, output_format: str
) -> None:
    name, content = template_file(facts, output_format)
    path = tmp_path / name
    path.write_bytes(members(template_archive(facts, output_format, BUILT))[name])
    assert path.read_bytes() == content
    result = hammr_validate(py27_bin, validating_server, path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"OK : Syntax of template file [{path}] is ok" in result.stdout


@pytest.mark.official
@pytest.mark.parametrize(
    ("broken", "complaint"),
    [
        ({"os": {"name": "CentOS", "version": "7"}}, "no attribute [arch] for [os]"),
        (
            {"bundles": [{"name": "Zabbix", "version": "3.0.1"}]},
            "no attribute [files] for [bundle]",
        ),
    ],
    ids=["os-without-arch", "bundle-without-files"],
)
def test_real_hammr_refuses_a_broken_template_file(
    py27_bin: Path,
    validating_server: str,
    tmp_path: Path,
    broken: dict[str, object],
    complaint: str,
) -> None:
    path = tmp_path / "template.yml"
    path.write_text(yaml.safe_dump(stack(**broken)))
    result = hammr_validate(py27_bin, validating_server, path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert complaint in result.stdout
    assert "is ok" not in result.stdout
