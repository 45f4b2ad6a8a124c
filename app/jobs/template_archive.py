"""The archive of an appliance template, both ways: what a template export offers and what
`hammr template import` / `template create` upload. A gzip-compressed tar holding the template
file, `template.yml` (or `template.json`), in the format hammr's `template validate` accepts:

    stack:
      name: CentOS Core              mandatory, as `name`, `version` and `os` are
      version: '1.0'
      description: ...               optional
      os: {name: CentOS, version: '7', arch: x86_64, profile: Minimal}
      bundles:                       the template's mySoftware, by reference: name and version
      - {name: Zabbix, version: 3.0.1, files: []}
      ...                            the stack's other keys (installation, config ...), as data

A bundle is named, not carried: importing the template finds the user's mySoftware of that
name and version (`uforge_mock.api.template_imports`). Each entry still has a `files` list
(empty), which hammr's `template validate` and `template create` demand of a bundle.

Written, the bytes depend only on the facts and the instant (`write_tar_gz`), so an export's
ETag is stable. Read, the upload goes through `uforge_mock.jobs.archive_reader` (one bounded
streaming pass; links, devices and climbing names refused; nothing written anywhere); only
the template file's bytes are kept, what else the archive holds (hammr's `config/` scripts,
`bundles/` files) is read through and dropped. Every refusal is an ArchiveRefused whose
message is REFUSED.
"""

import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from uforge_mock.jobs.archive import download_name, serialized, write_tar_gz
from uforge_mock.jobs.archive_reader import (
    ArchiveLimits,
    ArchiveRefused,
    Readable,
    parse_metadata,
    read_members,
    refusals_as,
    shown,
    text_field,
)

# The job's error message when an archive is refused (the detail says why).
REFUSED = "Failed to import the template"
# The template files a root may hold, and their formats (hammr's TEMPLATE_*_FILE_NAME).
TEMPLATE_FILES = {"template.yml": "yaml", "template.json": "json"}
# The keys of `stack` and of `stack.os` that TemplateFacts and TemplateOS have fields for.
STACK_KEYS = frozenset({"name", "version", "description", "os", "bundles"})
OS_KEYS = frozenset({"name", "version", "arch", "profile"})


@dataclass(frozen=True, slots=True)
class TemplateOS:
    """The operating system a template is built on (`stack.os`)."""

    name: str
    version: str
    arch: str
    profile: str | None = None


@dataclass(frozen=True, slots=True)
class TemplateBundle:
    """A mySoftware a template holds, by its name and version (an entry of `stack.bundles`)."""

    name: str
    version: str


@dataclass(frozen=True, slots=True)
class TemplateFacts:
    """An appliance template as its template file describes it.

    `attributes` holds the stack's other keys as plain data (`installation`, `config`, ...),
    so that an export writes them back as an import read them; the OS's other keys (`pkgs`,
    `updateTo` ...), if any, are its `"os"` entry, a mapping of those keys only.
    """

    name: str
    version: str
    os: TemplateOS
    description: str | None = None
    bundles: tuple[TemplateBundle, ...] = ()
    attributes: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ImportedTemplate(TemplateFacts):
    """A template read from an archive, and the format of its template file ("yaml" or
    "json")."""

    file_format: str = "yaml"


# ------------------------------------------------------------------ writing


def template_document(facts: TemplateFacts) -> dict[str, object]:
    """The template file's content: `stack` and its keys in hammr's documented order, texts
    throughout (a version stays `'1.0'`, never the number 1.0)."""
    os_extra = facts.attributes.get("os")
    os: dict[str, object] = {
        "name": facts.os.name,
        "version": facts.os.version,
        "arch": facts.os.arch,
    }
    if facts.os.profile is not None:
        os["profile"] = facts.os.profile
    if isinstance(os_extra, Mapping):
        os.update((str(key), value) for key, value in os_extra.items() if key not in OS_KEYS)
    stack: dict[str, object] = {"name": facts.name, "version": facts.version}
    if facts.description is not None:
        stack["description"] = facts.description
    stack["os"] = os
    if facts.bundles:
        stack["bundles"] = [
            {"name": bundle.name, "version": bundle.version, "files": []}
            for bundle in facts.bundles
        ]
    stack.update(
        (key, value)
        for key, value in facts.attributes.items()
        if key not in STACK_KEYS and key != "os"
    )
    return {"stack": stack}


def template_file(facts: TemplateFacts, output_format: str) -> tuple[str, bytes]:
    """(member name, content) of the template file in `output_format` ("yaml" or "json")."""
    return serialized(template_document(facts), output_format, "template")


def template_archive(facts: TemplateFacts, output_format: str, built: datetime) -> bytes:
    """The .tar.gz of a template export: the template file alone, dated `built`."""
    target = io.BytesIO()
    write_tar_gz([template_file(facts, output_format)], target, built=built)
    return target.getvalue()


def template_archive_filename(facts: TemplateFacts) -> str:
    """A download name safe in a Content-Disposition header: `CentOS_Core-1.0.tar.gz`."""
    return download_name(facts.name, facts.version, "template")


# ------------------------------------------------------------------ reading


def _refused(detail: str) -> ArchiveRefused:
    return ArchiveRefused(REFUSED, detail)


def _label(mapping: dict[str, object], key: str, owner: str) -> str:
    """The text at `key`, which must be there (as hammr's `template validate` demands; it
    may be empty, as a mySoftware's version is by default). A number reads as the text it
    was written as (a template file's `version: 6.4` is the version "6.4", as hammr sends
    what its YAML parser read)."""
    value = mapping.get(key)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if value is None:
        raise _refused(f'{owner} has no "{key}"')
    return cast(str, text_field(mapping, key, owner))


def _mapping(value: object, what: str) -> dict[str, object]:
    if not isinstance(value, dict):
        raise _refused(f"{what} is not a mapping")
    return cast(dict[str, object], value)


def _os(value: object, file_name: str) -> tuple[TemplateOS, dict[str, object]]:
    """The OS and its other keys. hammr's order: name, version, arch."""
    if value is None:
        raise _refused(f'{file_name}\'s stack has no "os"')
    os = _mapping(value, f'{file_name}\'s "os"')
    owner = f'{file_name}\'s "os"'
    facts = TemplateOS(
        name=_label(os, "name", owner),
        version=_label(os, "version", owner),
        arch=_label(os, "arch", owner),
        profile=text_field(os, "profile", owner),
    )
    return facts, {key: item for key, item in os.items() if key not in OS_KEYS}


def _bundles(value: object, file_name: str) -> tuple[TemplateBundle, ...]:
    """The bundles by reference; what else an entry says (its files ...) is not read: the
    mySoftware it names is used as it stands."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise _refused(f'{file_name}\'s "bundles" is not a list')
    bundles: list[TemplateBundle] = []
    for entry in value:
        bundle = _mapping(entry, f'an entry of {file_name}\'s "bundles"')
        name = _label(bundle, "name", f"a bundle of {file_name}")
        version = _label(bundle, "version", f"the bundle {shown(name)}")
        bundles.append(TemplateBundle(name=name, version=version))
    return tuple(bundles)


def _template(file_name: str, content: bytes) -> ImportedTemplate:
    document = parse_metadata(file_name, content, TEMPLATE_FILES[file_name])
    if "stack" not in document:
        raise _refused(f'{file_name} has no "stack"')
    stack = _mapping(document["stack"], f'{file_name}\'s "stack"')
    owner = f"{file_name}'s stack"
    # hammr's order (check_mandatory_stack): name, version, os.
    name = _label(stack, "name", owner)
    version = _label(stack, "version", owner)
    os, os_extra = _os(stack.get("os"), file_name)
    attributes = {key: value for key, value in stack.items() if key not in STACK_KEYS}
    if os_extra:
        attributes["os"] = os_extra
    return ImportedTemplate(
        name=name,
        version=version,
        os=os,
        description=text_field(stack, "description", owner),
        bundles=_bundles(stack.get("bundles"), file_name),
        attributes=attributes,
        file_format=TEMPLATE_FILES[file_name],
    )


def read_template_archive(
    source: Readable | Iterable[bytes] | bytes, limits: ArchiveLimits | None = None
) -> ImportedTemplate:
    """The template an uploaded archive holds, or ArchiveRefused (and no other exception,
    whatever the bytes) saying why there is none.

    `source` is a binary file object (an upload spooled to disk, read from where it stands),
    an iterable of byte chunks, or bytes; it is read once, front to back, within `limits`.
    Only the template file is kept in memory (at most `limits.max_metadata_file_bytes`).
    """
    limits = limits or ArchiveLimits()
    with refusals_as(REFUSED):
        members = read_members(
            source, limits, metadata_files=TEMPLATE_FILES, keep=lambda _name: False
        )
        found = [name for name in TEMPLATE_FILES if (m := members.get(name)) and not m.directory]
        if not found:
            raise _refused("the archive holds no template.yml or template.json at its root")
        if len(found) > 1:
            raise _refused("the archive holds both template.yml and template.json")
        file_name = found[0]
        return _template(file_name, cast(bytes, members[file_name].content))
