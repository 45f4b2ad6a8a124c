"""The sections of the mySoftware family in a seed: orgs with their members and categories, a
mySoftware's files, license, logo and category, and bundle import tickets. Their entries and
what they mean as rows, without the store: the artifacts of a mySoftware with their checksums
(hashed here, before any transaction), the membership of each org with the users' default
orgs, and the category a mySoftware names. `seed.py` reads the store and writes it.
"""

import base64
import binascii
import hashlib
import json
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal, Self

from pydantic import ConfigDict, Field, PrivateAttr, field_validator, model_validator
from pydantic_core import PydanticCustomError

from uforge_mock.store.models import MAX_LONG
from uforge_mock.store.seed_errors import DbId, SeedEntry, shorten, shown, utc

# How deep `files` entries nest (directories in directories). The reader does not count their
# levels as the document's own nesting: each entry's values start again where the mySoftware's
# do.
MAX_FILES_DEPTH = 32
# The most bytes one artifact's content may hold (what the control API takes in all, 4 MiB).
MAX_CONTENT_BYTES = 4 * 1024 * 1024
# Base64 writes 3 bytes as 4 characters; a document may wrap it in lines.
_MAX_BASE64_CHARACTERS = MAX_CONTENT_BYTES * 4 // 3 + 4 + MAX_CONTENT_BYTES // 32
# How deep the other keys of a file entry nest (a document cannot nest them deeper anyway).
_MAX_ATTRIBUTE_DEPTH = 16

Name = Annotated[str, Field(min_length=1, max_length=255)]
# A login of the store or of the seed (a colon never is one, but the check is the users').
Login = Annotated[str, Field(min_length=1, max_length=255)]
Text = Annotated[str, Field(max_length=65536)]


def _problem(kind: str, message: str, **context: Any) -> PydanticCustomError:
    return PydanticCustomError(kind, message, context)


# ---------------------------------------------------------------- orgs and categories


class SeedCategory(SeedEntry):
    """A category of an org; its key within the org is (type, name)."""

    name: Name
    type: Literal["PROJECT", "TEMPLATE", "IMAGEFORMAT"] = "PROJECT"
    dbId: DbId | None = None

    @field_validator("type", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value


class SeedOrg(SeedEntry):
    """An org, keyed by name. `members` and `admins`, when either is given, are its whole
    membership (admins are members who administer it); left out, it keeps its members."""

    name: Name
    dbId: DbId | None = None
    members: list[Login] | None = None
    admins: list[Login] | None = None
    categories: list[SeedCategory] = Field(default_factory=list)

    def membership(self) -> dict[str, bool] | None:
        """Its members, in the order the entry lists them, and whether each is an admin
        (None: the entry leaves the membership as it is)."""
        if self.members is None and self.admins is None:
            return None
        admins = set(self.admins or ())
        listed = dict.fromkeys([*(self.members or ()), *(self.admins or ())])
        return {login: login in admins for login in listed}


# ---------------------------------------------------------------- artifacts


class _Content(SeedEntry):
    """An artifact's bytes: `content` (text, stored as UTF-8) or `contentBase64`; or only a
    `size` when its bytes are not kept."""

    content: str | None = Field(default=None, max_length=MAX_CONTENT_BYTES)
    contentBase64: str | None = Field(default=None, max_length=_MAX_BASE64_CHARACTERS)
    size: Annotated[int, Field(ge=0, le=MAX_LONG)] | None = None

    _data: bytes | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _decode(self) -> Self:
        if self.content is not None and self.contentBase64 is not None:
            raise _problem("content", "give content or contentBase64, not both")
        if self.content is None and self.contentBase64 is None:
            return self
        if self.size is not None:
            raise _problem(
                "size",
                "size is computed from the content: give it only for a file whose bytes are "
                "not kept",
            )
        if self.content is not None:
            data = self.content.encode("utf-8")
        else:
            assert self.contentBase64 is not None
            try:
                data = base64.b64decode("".join(self.contentBase64.split()), validate=True)
            except (binascii.Error, ValueError):
                raise _problem("base64", "contentBase64 is not valid base64") from None
        if len(data) > MAX_CONTENT_BYTES:
            raise _problem(
                "content_size",
                "the content is {size} bytes, more than the {largest} an artifact may hold",
                size=len(data),
                largest=MAX_CONTENT_BYTES,
            )
        self._data = data
        return self

    @property
    def data(self) -> bytes | None:
        """Its bytes, when the entry gives them."""
        return self._data


class SeedFile(_Content):
    """An entry of a mySoftware's `files` (hammr's bundle file entry): a file, or a directory
    holding more entries in its own `files`. Keys of hammr's entry the store has no column
    for (extract, install, bootOrder, rights, symlink...) are kept as they are."""

    model_config = ConfigDict(extra="allow", str_strip_whitespace=False)

    name: str = Field(min_length=1, max_length=1024)
    installLocation: str | None = Field(default=None, max_length=4096)
    tag: Literal["softwarefile", "bootscript", "ospkg"] | None = None
    files: "list[SeedFile] | None" = None

    _attributes: str | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _directory_and_attributes(self) -> Self:
        if self.files is not None and (self.data is not None or self.size is not None):
            raise _problem(
                "directory", "an entry with files is a directory: it has no content nor size"
            )
        extra = self.__pydantic_extra__ or {}
        if extra:
            self._attributes = json.dumps(_json_value(extra), ensure_ascii=False)
        return self

    @property
    def attributes(self) -> str | None:
        """Its other keys as JSON text (None: it has none)."""
        return self._attributes


class SeedLicense(_Content):
    name: str = Field(min_length=1, max_length=1024)
    type: Text | None = None


class SeedLogo(_Content):
    name: str = Field(min_length=1, max_length=1024)


def _json_value(value: dict[str, Any]) -> dict[str, Any]:
    """`value`, checked to be what JSON holds as it is (text, finite numbers, true/false, null,
    lists, mappings with text keys, `_MAX_ATTRIBUTE_DEPTH` levels at most); walked without
    recursion. (Kept as JSON text, where NUL is escaped: no text of it needs replacing.)"""
    pending: list[tuple[Any, str, int]] = [(value, "", 1)]
    while pending:
        item, where, depth = pending.pop()
        if depth > _MAX_ATTRIBUTE_DEPTH:
            raise _problem(
                "attribute", "{where} nests deeper than {depth} levels", where=where,
                depth=_MAX_ATTRIBUTE_DEPTH,
            )  # fmt: skip
        if isinstance(item, dict):
            for key, inner in item.items():
                if not isinstance(key, str):
                    raise _problem(
                        "attribute", "the key {key} of {where} is not text", key=shown(key),
                        where=where or "the entry",
                    )  # fmt: skip
                pending.append((inner, f"{where}.{key}" if where else key, depth + 1))
        elif isinstance(item, list):
            pending.extend((inner, f"{where}.{i}", depth + 1) for i, inner in enumerate(item))
        elif isinstance(item, float) and not math.isfinite(item):
            raise _problem("attribute", "{where} is not a number JSON can hold", where=where)
        elif isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise _problem("attribute", "{where} is not valid text", where=where) from None
        elif item is not None and not isinstance(item, int | float):
            raise _problem(
                "attribute",
                "{where} is {given}: a file's other keys take text, numbers, true/false, null, "
                "lists and mappings",
                where=where,
                given=shown(item),
            )
    return value


def files_depth(files: Any, *, limit: int = MAX_FILES_DEPTH) -> int:
    """How deep a raw `files` value nests (1: entries without `files` of their own), counted
    up to `limit + 1` and no further; walked without recursion."""
    deepest = 0
    pending: list[tuple[Any, int]] = [(files, 1)]
    while pending:
        value, depth = pending.pop()
        if not isinstance(value, list):
            continue
        deepest = max(deepest, depth)
        if depth > limit:
            break
        for entry in value:
            if isinstance(entry, dict):
                pending.append((entry.get("files"), depth + 1))
    return deepest


def _walk(files: Sequence[SeedFile]) -> Iterator[tuple[SeedFile, int, int | None, str]]:
    """Each entry of `files` depth first, directories before what they hold: the entry, its
    position, its directory's position (None at the top) and where it is in the document."""
    position = 0
    pending: list[tuple[SeedFile, int | None, str]] = [
        (entry, None, f"files.{index}") for index, entry in reversed(list(enumerate(files)))
    ]
    while pending:
        entry, parent, where = pending.pop()
        yield entry, position, parent, where
        children = entry.files or []
        pending.extend(
            (child, position, f"{where}.files.{index}")
            for index, child in reversed(list(enumerate(children)))
        )
        position += 1


def same_names(files: Sequence[SeedFile]) -> Iterator[str]:
    """The entries that repeat the name of an entry of their directory: `where: name` each."""
    levels: list[tuple[Sequence[SeedFile], str]] = [(files, "files")]
    while levels:
        entries, where = levels.pop()
        seen: dict[str, int] = {}
        for index, entry in enumerate(entries):
            first = seen.setdefault(entry.name, index)
            if first != index:
                yield (
                    f"field '{where}.{index}.name': {shorten(repr(entry.name), 60)} is also "
                    f"{where}.{first}"
                )
            if entry.files:
                levels.append((entry.files, f"{where}.{index}.files"))


@dataclass(frozen=True, slots=True)
class ArtifactRow:
    """A row of `software_artifacts` a seed asks for (its mySoftware and time aside)."""

    kind: str
    position: int
    parent_position: int | None
    directory: bool
    name: str
    tag: str | None
    install_location: str | None
    attributes: str | None
    size: int
    sha256: str | None
    md5: str | None
    content: bytes | None

    def signature(self) -> tuple[object, ...]:
        """What tells it apart from a stored row (the bytes by their checksum)."""
        return (
            self.kind,
            self.position,
            self.parent_position,
            self.directory,
            self.name,
            self.tag,
            self.install_location,
            self.attributes,
            self.size,
            self.sha256,
            self.md5,
            self.content is not None,
        )

    def values(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "position": self.position,
            "parent_position": self.parent_position,
            "directory": self.directory,
            "name": self.name,
            "tag": self.tag,
            "install_location": self.install_location,
            "attributes": self.attributes,
            "size": self.size,
            "sha256": self.sha256,
            "md5": self.md5,
            "content": self.content,
        }


def _row(
    kind: str,
    entry: _Content,
    *,
    name: str,
    position: int = 0,
    parent: int | None = None,
    directory: bool = False,
    tag: str | None = None,
    install_location: str | None = None,
    attributes: str | None = None,
) -> ArtifactRow:
    data = entry.data
    return ArtifactRow(
        kind=kind,
        position=position,
        parent_position=parent,
        directory=directory,
        name=name,
        tag=tag,
        install_location=install_location,
        attributes=attributes,
        size=len(data) if data is not None else entry.size or 0,
        sha256=hashlib.sha256(data).hexdigest() if data is not None else None,
        md5=hashlib.md5(data, usedforsecurity=False).hexdigest() if data is not None else None,
        content=data,
    )


def artifact_rows(
    *,
    files: Sequence[SeedFile] | None,
    license: SeedLicense | None,
    logo: SeedLogo | None,
    given: Iterable[str],
) -> dict[str, list[ArtifactRow]]:
    """The rows of each kind of artifact a mySoftware entry gives (`given`: the keys it has
    of files, license, logo; a kind it leaves out is not there, one given as null or [] is
    an empty list)."""
    rows: dict[str, list[ArtifactRow]] = {}
    if "files" in given:
        rows["file"] = [
            _row(
                "file",
                entry,
                name=entry.name,
                position=position,
                parent=parent,
                directory=entry.files is not None,
                tag=entry.tag,
                install_location=entry.installLocation,
                attributes=entry.attributes,
            )
            for entry, position, parent, _ in _walk(files or ())
        ]
    if "license" in given:
        attributes = json.dumps({"type": license.type}) if license and license.type else None
        rows["license"] = (
            [_row("license", license, name=license.name, attributes=attributes)] if license else []
        )
    if "logo" in given:
        rows["logo"] = [_row("logo", logo, name=logo.name)] if logo else []
    return rows


# ---------------------------------------------------------------- job tickets

Outcome = Literal["complete", "error", "cancelled", "running"]
ImportOutcome = Literal["complete", "error", "running"]


class SeedJob(SeedEntry):
    """A job ticket of any family (an export, an import), keyed by dbId: it runs from
    `created` for `duration` seconds (None: the server's setting) to its `outcome`, where a
    running, failed or cancelled one stands at `percentage`, with its messages."""

    dbId: DbId
    created: datetime | None = None
    duration: Annotated[float, Field(ge=0, le=10**9)] | None = None
    outcome: Outcome = "complete"
    percentage: Annotated[int, Field(ge=0, le=100)] = 0
    message: Text | None = None
    errorMessage: Text | None = None
    detailedErrorMsg: Text | None = None

    _zones = field_validator("created")(utc)

    def job_values(self, default_duration: float) -> dict[str, Any]:
        """The job's columns (`models.Job`, times aside)."""
        return {
            "duration_seconds": self.duration if self.duration is not None else default_duration,
            "outcome": self.outcome,
            "percentage": self.percentage,
            "message": self.message,
            "error_message": self.errorMessage,
            "detailed_error_msg": self.detailedErrorMsg,
        }


class SeedExportJob(SeedJob):
    """An export ticket of any family: a job with the format of its archive."""

    outputFormat: Literal["yaml", "json"] = "yaml"

    @field_validator("outputFormat", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value


class SeedImportJob(SeedJob):
    """An import ticket of any family: its owner's, waiting for its archive until `uploaded`,
    then run like an export; never cancelled."""

    owner: Login
    imported: bool = False
    uploaded: datetime | None = None
    outcome: ImportOutcome = "complete"

    _uploaded_zone = field_validator("uploaded")(utc)

    @field_validator("outcome", mode="before")
    @classmethod
    def _not_cancelled(cls, value: Any) -> Any:
        if value == "cancelled":
            raise _problem(
                "outcome",
                "imports cannot be cancelled: the outcome of one is complete, error or running",
            )
        return value

    @model_validator(mode="after")
    def _uploaded_after_created(self) -> Self:
        if self.created and self.uploaded and self.uploaded < self.created:
            raise _problem("uploaded", "uploaded before it was created")
        return self

    def made_only_if_complete(self, field: str, what: str) -> None:
        """Refuse a ticket whose `field` names what it made (`what`: "a mySoftware") when it
        is not complete."""
        if getattr(self, field) is not None and self.outcome != "complete":
            raise _problem(
                field,
                "only a complete import made {what} (this one is {outcome})",
                what=what,
                outcome=self.outcome,
            )

    def created_at(self, now: datetime) -> datetime:
        """When it was made: as given, else now (or its upload, when that is earlier)."""
        if self.created is not None:
            return self.created
        return min(now, self.uploaded) if self.uploaded is not None else now


class SeedBundleImport(SeedImportJob):
    """A bundle import ticket; `mySoftware` is the one a complete import made."""

    mySoftware: DbId | None = None

    @model_validator(mode="after")
    def _made(self) -> Self:
        self.made_only_if_complete("mySoftware", "a mySoftware")
        return self


# ---------------------------------------------------------------- what the entries mean


def planned_memberships(
    orgs: Sequence[SeedOrg],
    *,
    stored: Mapping[str, Mapping[str, bool]],
    defaults_elsewhere: set[str],
) -> dict[str, dict[str, tuple[bool, bool]]]:
    """The membership of each org that gives one: login -> (admin, default org).

    `stored`: the default-org flag of each member of those orgs now, by org name then login;
    `defaults_elsewhere`: the logins whose default org is an org the seed leaves as it is. A
    member keeps its default flag; a user left without a default org gets the first org of
    the seed that lists it."""
    wanted = {org.name: membership for org in orgs if (membership := org.membership()) is not None}
    with_default = set(defaults_elsewhere)
    for name, members in wanted.items():
        with_default.update(login for login in members if stored.get(name, {}).get(login))
    plan: dict[str, dict[str, tuple[bool, bool]]] = {}
    for name, members in wanted.items():
        planned = plan[name] = {}
        for login, admin in members.items():
            default = stored.get(name, {}).get(login, False)
            if login not in with_default:
                default = True
                with_default.add(login)
            planned[login] = (admin, default)
    return plan


def category_owner_org(
    name: str, *, owner: str, orgs: Sequence[str], project_categories: Mapping[str, set[str]]
) -> str:
    """The org (of `orgs`, the owner's) whose PROJECT category is `name`; a ValueError saying
    why when there is none or more than one."""
    holding = [org for org in orgs if name in project_categories.get(org, ())]
    if len(holding) == 1:
        return holding[0]
    if not orgs:
        raise ValueError(f"no category {name!r}: user {owner} belongs to no org")
    if not holding:
        listed = ", ".join(repr(org) for org in sorted(orgs)[:5])
        raise ValueError(f"no PROJECT category {name!r} in the orgs of user {owner} ({listed})")
    listed = ", ".join(repr(org) for org in sorted(holding)[:5])
    raise ValueError(
        f"the PROJECT category {name!r} is in more than one org of user {owner} ({listed})"
    )
