"""Seed documents (the docs/SEED.md format) -> the store, all or nothing, idempotently.

A document is read and validated whole before anything is written; every problem is reported
with the file, the entry (section, index and id) and the field, the first
`MAX_REPORTED_PROBLEMS` of them and a count of the rest. What a document may hold is bounded as
it is read: nesting (`MAX_DEPTH`, and `seed_family.MAX_FILES_DEPTH` for a mySoftware's files),
numbers (`MAX_NUMBER_CHARACTERS`), no key twice in one mapping, no YAML alias of a list or a
mapping (each would multiply the document), dbIds whole numbers from 1 to `MAX_SEED_ID`.

Loading hashes the new passwords and the artifacts' contents first, outside any transaction
(argon2 is made to be slow), then writes in one transaction, taking the store's write lock at
its start and writing each section in bulk. Entries are matched on their logins, names and
dbIds and updated in place, and an entry that already says what the file says is not touched,
so loading the same file twice changes nothing the second time. The sections of the mySoftware
family (orgs, a mySoftware's artifacts and category, bundle imports) are described in
`seed_family`; those of the appliance family (appliances, their exports, appliance imports) in
`seed_appliances`, which checks and writes them within the same transaction.
"""

import json
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import yaml
from pydantic import ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import (
    Engine,
    Table,
    bindparam,
    delete,
    func,
    insert,
    select,
    text,
    update,
)
from sqlmodel import Session, col
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent, Event
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import Resolver
from yaml.scanner import Scanner

from uforge_mock.store.models import (
    MAX_ID,
    ApiKey,
    BundleImport,
    Category,
    Entitlement,
    ExportTicket,
    MySoftware,
    MySoftwareFields,
    Org,
    OrgMember,
    SoftwareArtifact,
    User,
    seed_name,
)
from uforge_mock.store.seed_appliances import (
    APPLIANCE_ID_TABLES,
    APPLIANCE_SECTIONS,
    ApplianceSeed,
    SeedAppliance,
    SeedApplianceExport,
    SeedApplianceImport,
)
from uforge_mock.store.seed_errors import (
    DbId,
    Problems,
    SeedEntry,
    SeedError,
    shorten,
    shown,
    utc,
)
from uforge_mock.store.seed_family import (
    MAX_FILES_DEPTH,
    ArtifactRow,
    SeedBundleImport,
    SeedExportJob,
    SeedFile,
    SeedLicense,
    SeedLogo,
    SeedOrg,
    artifact_rows,
    category_owner_org,
    files_depth,
    planned_memberships,
    same_names,
)
from uforge_mock.store.seed_rows import SeedReport as SeedReport
from uforge_mock.store.seed_rows import Writes as _Writes
from uforge_mock.store.seed_rows import chunks as _chunks
from uforge_mock.store.seed_rows import differs as _differs
from uforge_mock.store.seed_rows import record as _record
from uforge_mock.store.seed_rows import rows_by_id as _rows_by_id
from uforge_mock.store.seed_rows import user_ids as _user_ids

# How deep values nest: a seed needs six levels (document, section, entry, apiKeys, key, value);
# the levels of a mySoftware's `files` are not counted (`MAX_FILES_DEPTH` bounds them).
MAX_DEPTH = 16
# The longest number a document may write (the largest any field takes has 19 digits).
MAX_NUMBER_CHARACTERS = 40
_users = User.__table__  # type: ignore[attr-defined]
_my_software = MySoftware.__table__  # type: ignore[attr-defined]
_export_tickets = ExportTicket.__table__  # type: ignore[attr-defined]
_orgs = Org.__table__  # type: ignore[attr-defined]
_org_members = OrgMember.__table__  # type: ignore[attr-defined]
_categories = Category.__table__  # type: ignore[attr-defined]
_artifacts = SoftwareArtifact.__table__  # type: ignore[attr-defined]
_bundle_imports = BundleImport.__table__  # type: ignore[attr-defined]


class SeedApiKey(SeedEntry):
    publicKey: str = Field(min_length=1, max_length=255)
    secretKey: str = Field(min_length=1, max_length=255)


class SeedUser(SeedEntry):
    # A colon cannot travel in a Basic login; nor can control characters in a header; a
    # backslash makes it a supervisor login (`ADMIN\USER`).
    login: str = Field(min_length=1, max_length=255, pattern=r"^[^:\\\x00-\x1f\x7f]+$")
    password: str = Field(min_length=1, max_length=1024)
    entitlements: list[Annotated[str, Field(min_length=1, max_length=128)]] = Field(
        default_factory=list
    )
    admin: bool = False
    apiKeys: list[SeedApiKey] = Field(default_factory=list)


class SeedMySoftware(MySoftwareFields, SeedEntry):
    """A mySoftware entry: its key, owner and times, and every field the store declares for a
    mySoftware (`models.MySoftwareFields`), under its seed name (`models.seed_name`)."""

    # SQLModel types its config as a TypedDict of its own; pydantic reads the same keys.
    model_config = ConfigDict(  # type: ignore[assignment]
        extra="forbid", alias_generator=seed_name, validate_by_name=False, validate_by_alias=True
    )

    dbId: DbId
    owner: str = Field(min_length=1)
    created: datetime | None = None
    lastModified: datetime | None = None
    # Left out, the mySoftware keeps the category and artifacts it has; null (or an empty
    # `files`) takes them away.
    category: str | None = Field(default=None, min_length=1, max_length=255)
    files: list[SeedFile] | None = None
    license: SeedLicense | None = None
    logo: SeedLogo | None = None

    _zones = field_validator("created", "lastModified")(utc)

    def artifacts(self) -> dict[str, list[ArtifactRow]]:
        """The rows of each kind of artifact the entry gives (the kinds it leaves out: none)."""
        return artifact_rows(
            files=self.files, license=self.license, logo=self.logo, given=self.model_fields_set
        )


class SeedExport(SeedExportJob):
    """A mySoftware's export ticket."""

    mySoftware: DbId


class SeedDocument(SeedEntry):
    users: list[SeedUser] = Field(default_factory=list)
    orgs: list[SeedOrg] = Field(default_factory=list)
    mySoftware: list[SeedMySoftware] = Field(default_factory=list)
    exports: list[SeedExport] = Field(default_factory=list)
    bundleImports: list[SeedBundleImport] = Field(default_factory=list)
    appliances: list[SeedAppliance] = Field(default_factory=list)
    applianceExports: list[SeedApplianceExport] = Field(default_factory=list)
    applianceImports: list[SeedApplianceImport] = Field(default_factory=list)

    def appliance_family(self) -> ApplianceSeed:
        """The sections of the appliance family (`seed_appliances`)."""
        return ApplianceSeed(self.appliances, self.applianceExports, self.applianceImports)


# ---------------------------------------------------------------- reading


class _Refused(Exception):
    """Something a seed document may not hold, found while it is read."""


def _at(node_or_event: Any) -> str:
    mark = node_or_event.start_mark
    return f"line {mark.line + 1}, column {mark.column + 1}"


class _SeedYaml(Composer, SafeConstructor, Resolver):
    """YAML as a seed reads it: safe types only, and refused as it is read when values nest
    deeper than `MAX_DEPTH` (or `files` deeper than `MAX_FILES_DEPTH`), a mapping has a key
    twice, an alias repeats a list or a mapping (nested aliases multiply a small document into
    billions of values), or a number is longer than `MAX_NUMBER_CHARACTERS`."""

    if TYPE_CHECKING:  # the parser each loader below mixes in reads the events

        def check_event(self, *choices: type[Event]) -> bool: ...
        def peek_event(self) -> Event: ...

    def _start(self) -> None:
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)
        self._depth = 0
        self._files_depth = 0
        # For each node being composed, outermost first: whether it is the value of a `files`.
        self._composing: list[bool] = []

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(AliasEvent):
            event = self.peek_event()
            anchor = event.anchor if isinstance(event, AliasEvent) else None
            anchored = self.anchors.get(anchor)
            if anchored is not None and not isinstance(anchored, ScalarNode):
                raise _Refused(
                    f"{_at(event)}: the alias *{shorten(str(anchor), 60)} repeats a list or a "
                    "mapping; a seed takes aliases of single values only"
                )
            return super().compose_node(parent, index)
        # A mapping's value is composed with its key node as `index`, a list's item with its
        # place. The levels of a `files` list and of its entries are not counted: a file
        # entry's values start again at the mySoftware's level, and `MAX_FILES_DEPTH` bounds
        # how many such lists hold one another.
        files_value = (
            isinstance(parent, MappingNode)
            and isinstance(index, ScalarNode)
            and index.value == "files"
        )
        counted = not files_value and not (
            isinstance(parent, SequenceNode) and self._composing and self._composing[-1]
        )
        self._depth += counted
        self._files_depth += files_value
        self._composing.append(files_value)
        try:
            if self._depth > MAX_DEPTH:
                raise _Refused(f"{_at(self.peek_event())}: nested deeper than {MAX_DEPTH} levels")
            if self._files_depth > MAX_FILES_DEPTH:
                raise _Refused(
                    f"{_at(self.peek_event())}: files nested deeper than {MAX_FILES_DEPTH} levels"
                )
            return super().compose_node(parent, index)
        finally:
            self._composing.pop()
            self._files_depth -= files_value
            self._depth -= counted

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        seen: dict[Any, str] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag.endswith(":merge"):
                continue
            key = self.construct_object(key_node)
            if key in seen:
                raise _Refused(
                    f"{_at(key_node)}: the key {shorten(repr(key), 60)} appears twice in one "
                    f"mapping (first at {seen[key]})"
                )
            seen[key] = _at(key_node)
        return super().construct_mapping(node, deep=deep)

    def construct_seed_int(self, node: ScalarNode) -> int:
        if len(node.value) > MAX_NUMBER_CHARACTERS:
            raise _Refused(f"{_at(node)}: a number of {len(node.value)} characters is too long")
        # Base 60 (1:2:3) grows fastest: 40 characters stay under 2^120.
        return SafeConstructor.construct_yaml_int(self, node)


_SeedYaml.add_constructor("tag:yaml.org,2002:int", _SeedYaml.construct_seed_int)  # type: ignore[type-var]


class _PureSeedLoader(Reader, Scanner, Parser, _SeedYaml):
    def __init__(self, stream: str) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        self._start()


_SeedLoader: Any = _PureSeedLoader
if yaml.__with_libyaml__:  # libyaml reads the events (three times faster); ours compose them
    from yaml._yaml import CParser

    class _FastSeedLoader(_SeedYaml, CParser):
        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            self._start()

    _SeedLoader = _FastSeedLoader


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    mapping: dict[str, Any] = {}
    for key, value in pairs:
        if key in mapping:
            raise _Refused(
                f"the key {shorten(repr(key), 60)} appears twice in one object{_which(pairs)}"
            )
        mapping[key] = value
    return mapping


def _which(pairs: list[tuple[str, Any]]) -> str:
    for key, value in pairs:
        if key in ("login", "dbId", "name") and isinstance(value, str):
            return f" (the one with {key} {shorten(value, 60)})"
        if key in ("login", "dbId", "name") and isinstance(value, int):
            return f" (the one with {key} {shown(value)})"
    return ""


def _json_int(digits: str) -> int:
    if len(digits) > MAX_NUMBER_CHARACTERS:
        raise _Refused(f"a number of {len(digits)} digits is too long")
    return int(digits)


def _check_depth(data: Any) -> None:
    """Refuse values nested deeper than MAX_DEPTH, or `files` deeper than MAX_FILES_DEPTH
    (counted as the YAML reader counts them), walked without recursion."""
    # Each value, its depth, how many `files` hold it, and whether it is a `files` itself.
    pending: list[tuple[Any, int, int, bool]] = [(data, 1, 0, False)]
    while pending:
        value, depth, files, listing = pending.pop()
        if depth > MAX_DEPTH:
            raise _Refused(f"nested deeper than {MAX_DEPTH} levels")
        if files > MAX_FILES_DEPTH:
            raise _Refused(f"files nested deeper than {MAX_FILES_DEPTH} levels")
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "files":
                    pending.append((item, depth, files + 1, True))
                else:
                    pending.append((item, depth + 1, files, False))
        elif isinstance(value, list):
            step = 0 if listing else 1
            pending.extend((item, depth + step, files, False) for item in value)


def read_seed_file(path: Path) -> tuple[SeedDocument, str]:
    """The document in `path` (YAML or JSON by extension), and the name to report it by."""
    source = str(path)
    try:
        content = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SeedError(source, [f"cannot read the file: {error}"]) from None
    kind = "json" if path.suffix.lower() == ".json" else "yaml"
    return parse_seed_text(content, source=source, kind=kind), source


def parse_seed_text(content: str, *, source: str, kind: str | None = None) -> SeedDocument:
    """Parse a seed document; `kind` is "json", "yaml" or None (decided by the content)."""
    if kind is None:
        kind = "json" if content.lstrip().startswith("{") else "yaml"
    try:
        if kind == "json":
            try:
                data = json.loads(content, object_pairs_hook=_json_object, parse_int=_json_int)
            except RecursionError:
                raise _Refused(f"nested deeper than {MAX_DEPTH} levels") from None
            _check_depth(data)
        else:
            data = yaml.load(content, Loader=_SeedLoader)
    except _Refused as refusal:
        raise SeedError(source, [f"not accepted in a seed: {refusal}"]) from None
    except json.JSONDecodeError as error:
        raise SeedError(source, [f"not valid JSON: {error}"]) from None
    except (yaml.YAMLError, ValueError, OverflowError) as error:
        # A tag the safe loader knows with a value it cannot hold (!!timestamp 2019-13-45).
        raise SeedError(source, [f"not valid YAML: {error}"]) from None
    return validate_seed_data(data, source=source)


_SECTIONS: dict[str, type[SeedEntry]] = {
    "users": SeedUser,
    "orgs": SeedOrg,
    "mySoftware": SeedMySoftware,
    "exports": SeedExport,
    "bundleImports": SeedBundleImport,
    **APPLIANCE_SECTIONS,
}
# The key each section's entries are matched on (the others': dbId).
_KEYS = {"users": "login", "orgs": "name"}


def validate_seed_data(data: Any, *, source: str) -> SeedDocument:
    """The document `data` holds, each entry validated on its own (so that a document with a
    million bad entries costs the memory of one), or a `SeedError` naming the problems."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise SeedError(source, [f"the document must be a mapping of {', '.join(_SECTIONS)}"])
    problems = Problems()
    for key in data:
        if key not in _SECTIONS:
            problems.add(
                f"field {shorten(repr(key), 60)}: Extra inputs are not permitted "
                f"(a seed has {', '.join(_SECTIONS)})"
            )
    sections: dict[str, list[Any]] = {}
    for name, model in _SECTIONS.items():
        raw = data.get(name)
        if raw is None:
            sections[name] = []
            continue
        if not isinstance(raw, list):
            problems.add(f"field '{name}': Input should be a valid list, not {shown(raw)}")
            continue
        entries = sections[name] = []
        for index, item in enumerate(raw):
            # A document read here is bounded already; one given as data may not be.
            if (
                name == "mySoftware"
                and isinstance(item, dict)
                and files_depth(item.get("files")) > MAX_FILES_DEPTH
            ):
                problems.add(
                    f"{_entry_name(name, index, item)}: field 'files': nested deeper than "
                    f"{MAX_FILES_DEPTH} levels"
                )
                continue
            try:
                entries.append(model.model_validate(item))
            except ValidationError as error:
                where = _entry_name(name, index, item)
                for detail in error.errors(include_url=False, include_input=False):
                    problems.add(_describe(where, detail))
    if problems:
        raise problems.error(source)
    document = SeedDocument.model_construct(set(sections), **sections)
    for problem in _duplicates(document):
        problems.add(problem)
    if problems:
        raise problems.error(source)
    return document


def _describe(where: str, detail: Any) -> str:
    fields = ".".join(str(part) for part in detail["loc"])
    return f"{where}: field '{fields}': {detail['msg']}" if fields else f"{where}: {detail['msg']}"


def _entry_name(section: str, index: int, raw: Any) -> str:
    name = f"{section}[{index}]"
    if isinstance(raw, dict):
        for key in (_KEYS.get(section, "dbId"), "login", "dbId"):
            value = raw.get(key)
            if isinstance(value, str):
                return f"{name} ({key} {shorten(value, 60)})"
            if isinstance(value, int):
                return f"{name} ({key} {shown(value)})"
    return name


def _duplicates(document: SeedDocument) -> Iterable[str]:
    sections: list[tuple[str, list[Any], Callable[[Any], object], str]] = [
        ("users", document.users, lambda entry: entry.login, "login"),
        ("orgs", document.orgs, lambda entry: entry.name, "name"),
        ("mySoftware", document.mySoftware, lambda entry: entry.dbId, "dbId"),
        ("exports", document.exports, lambda entry: entry.dbId, "dbId"),
        ("bundleImports", document.bundleImports, lambda entry: entry.dbId, "dbId"),
    ]
    for section, entries, key_of, key_name in sections:
        seen: dict[object, int] = {}
        for index, entry in enumerate(entries):
            key = key_of(entry)
            if key in seen:
                yield (
                    f"{section}[{index}] ({key_name} {key}): field '{key_name}': "
                    f"the same {key_name} as {section}[{seen[key]}]"
                )
            seen.setdefault(key, index)
    public_keys: dict[str, str] = {}
    for index, user in enumerate(document.users):
        for key_index, api_key in enumerate(user.apiKeys):
            owner = public_keys.setdefault(api_key.publicKey, user.login)
            if owner != user.login:
                yield (
                    f"users[{index}] (login {user.login}): field 'apiKeys.{key_index}.publicKey':"
                    f" {api_key.publicKey} is also a key of user {owner}"
                )
    yield from _family_duplicates(document)
    yield from document.appliance_family().duplicates()


def _family_duplicates(document: SeedDocument) -> Iterator[str]:
    """The same dbId for two orgs, or for two categories (of any org); a category twice in
    an org; a login twice in the members or the admins of an org; two entries of a
    directory with the same name."""
    org_ids: dict[int, int] = {}
    category_ids: dict[int, str] = {}
    for index, org in enumerate(document.orgs):
        where = f"orgs[{index}] (name {shorten(org.name, 60)})"
        if org.dbId is not None:
            first = org_ids.setdefault(org.dbId, index)
            if first != index:
                yield f"{where}: field 'dbId': the same dbId as orgs[{first}]"
        for field_name in ("members", "admins"):
            logins = getattr(org, field_name) or []
            for position, login in enumerate(logins):
                if login in logins[:position]:
                    yield f"{where}: field '{field_name}.{position}': {login} is listed twice"
        keys: dict[tuple[str, str], int] = {}
        for position, category in enumerate(org.categories):
            here = f"categories.{position}"
            first_key = keys.setdefault((category.type, category.name), position)
            if first_key != position:
                yield (
                    f"{where}: field '{here}.name': the {category.type} category "
                    f"{shorten(repr(category.name), 60)} is also categories.{first_key}"
                )
            if category.dbId is not None:
                first_place = category_ids.setdefault(category.dbId, f"{where} {here}")
                if first_place != f"{where} {here}":
                    yield f"{where}: field '{here}.dbId': the same dbId as {first_place}"
    for index, software in enumerate(document.mySoftware):
        for problem in same_names(software.files or ()):
            yield f"mySoftware[{index}] (dbId {software.dbId}): {problem}"


# ---------------------------------------------------------------- loading


@dataclass
class SeedDefaults:
    """What the server settings give to entries that leave a field out."""

    export_duration_seconds: float


@dataclass(frozen=True)
class PreparedSeed:
    """A document ready to be written: a hash of each user's password and the rows of each
    mySoftware's artifacts (their checksums), made before any transaction (argon2 is slow by
    design; a seed of 300 users held the store for as long)."""

    document: SeedDocument
    password_hashes: dict[str, str]
    # By mySoftware dbId, then kind: the artifacts its entry gives (see `SeedMySoftware`).
    artifacts: dict[int, dict[str, list[ArtifactRow]]] = field(default_factory=dict)


@dataclass
class _Plan:
    """What the checks of the mySoftware family worked out for the writes."""

    # The membership of each org that gives one: login -> (admin, default org).
    memberships: dict[str, dict[str, tuple[bool, bool]]] = field(default_factory=dict)
    # The category each mySoftware names, by dbId: (org name, category name), or None for a
    # `category: null` (a mySoftware that does not name one is not here).
    categories: dict[int, tuple[str, str] | None] = field(default_factory=dict)


class SeedLoader:
    """Writes validated documents into the store, in one transaction each."""

    def __init__(
        self,
        engine: Engine,
        *,
        hash_password: Callable[[str], str],
        verify_password: Callable[[str, str], bool],
        defaults: SeedDefaults,
    ) -> None:
        self._engine = engine
        self._hash = hash_password
        self._verify = verify_password
        self._defaults = defaults

    def load(self, document: SeedDocument, *, source: str, now: datetime) -> SeedReport:
        """Load `document`: its passwords hashed first, then a transaction of its own."""
        prepared = self.prepare(document)
        with Session(self._engine) as session, session.begin():
            return self.load_in(session, prepared, source=source, now=now)

    def prepare(self, document: SeedDocument) -> PreparedSeed:
        """Hash the document's passwords, outside any transaction. A user whose stored hash
        already matches keeps it (checking costs a hash too, and happens here as well)."""
        stored: dict[str, str] = {}
        logins = [user.login for user in document.users]
        if logins:
            with self._engine.connect() as connection:
                for chunk in _chunks(logins):
                    statement = select(_users.c.login, _users.c.password_hash).where(
                        _users.c.login.in_(chunk)
                    )
                    stored.update((login, hash_) for login, hash_ in connection.execute(statement))
        hashes = {}
        for user in document.users:
            known = stored.get(user.login)
            if known is not None and self._verify(user.password, known):
                hashes[user.login] = known
            else:
                hashes[user.login] = self._hash(user.password)
        artifacts = {
            software.dbId: rows
            for software in document.mySoftware
            if (rows := software.artifacts())
        }
        return PreparedSeed(document, hashes, artifacts)

    def load_in(
        self, session: Session, prepared: PreparedSeed, *, source: str, now: datetime
    ) -> SeedReport:
        """Write a prepared document inside the caller's transaction (which it does not
        commit). The store's write lock is taken first: the checks read what is there, and
        nothing may change it between them and the writes."""
        document = prepared.document
        report = SeedReport()
        take_write_lock(session, _seeded_tables(document))
        problems = self._check_references(session, document)
        plan = self._plan_family(session, document, problems)
        document.appliance_family().check(
            session,
            logins={user.login for user in document.users},
            software_owners={software.dbId: software.owner for software in document.mySoftware},
            problems=problems,
        )
        if problems:
            raise problems.error(source)
        users = {
            user.login: self._put_user(session, user, prepared.password_hashes, now, report)
            for user in document.users
        }
        session.flush()
        user_ids = {login: user.id for login, user in users.items() if user.id is not None}
        user_ids.update(_user_ids(session, _logins_named(document) - user_ids.keys()))
        org_ids = self._put_orgs(session, document.orgs, plan, user_ids, now, report)
        category_ids = _category_ids(session, plan.categories, org_ids)
        self._put_my_software(
            session, document.mySoftware, user_ids, category_ids, prepared.artifacts, now, report
        )
        self._put_exports(session, document.exports, now, report)
        self._put_bundle_imports(session, document.bundleImports, user_ids, now, report)
        document.appliance_family().write(
            session,
            now=now,
            export_duration=self._defaults.export_duration_seconds,
            report=report,
        )
        settle_ids(session, *SEEDED_ID_TABLES)
        return report

    def _check_references(self, session: Session, document: SeedDocument) -> Problems:
        problems = Problems()
        logins = {user.login for user in document.users}
        stored_owners = _user_ids(session, {s.owner for s in document.mySoftware} - logins)
        for index, software in enumerate(document.mySoftware):
            if software.owner not in logins and software.owner not in stored_owners:
                problems.add(
                    f"mySoftware[{index}] (dbId {software.dbId}): field 'owner': "
                    f"no user {software.owner!r} in the file or the store"
                )
        software_ids = {software.dbId for software in document.mySoftware}
        wanted = {export.mySoftware for export in document.exports} - software_ids
        stored_software = _rows_by_id(session, _my_software, wanted).keys()
        for index, export in enumerate(document.exports):
            if export.mySoftware not in software_ids and export.mySoftware not in stored_software:
                problems.add(
                    f"exports[{index}] (dbId {export.dbId}): field 'mySoftware': "
                    f"no mySoftware {export.mySoftware} in the file or the store"
                )
        for index, user in enumerate(document.users):
            for key_index, api_key in enumerate(user.apiKeys):
                stored = session.get(ApiKey, api_key.publicKey)
                if stored is None:
                    continue
                holder = session.get(User, stored.user_id)
                if holder is not None and holder.login != user.login and holder.login not in logins:
                    problems.add(
                        f"users[{index}] (login {user.login}): field "
                        f"'apiKeys.{key_index}.publicKey': {api_key.publicKey} "
                        f"is already a key of user {holder.login}"
                    )
        return problems

    def _plan_family(self, session: Session, document: SeedDocument, problems: Problems) -> _Plan:
        """Check the sections of the mySoftware family against the store (the users they
        name, the ids of orgs and categories, the categories mySoftware name, the software of
        bundle imports) and work out the memberships and categories to write."""
        plan = _Plan()
        if not (document.orgs or document.bundleImports) and not any(
            "category" in software.model_fields_set for software in document.mySoftware
        ):
            return plan
        seed_logins = {user.login for user in document.users}
        stored_users = _user_ids(session, _logins_named(document))
        known = seed_logins | stored_users.keys()
        for index, org in enumerate(document.orgs):
            for field_name in ("members", "admins"):
                for position, login in enumerate(getattr(org, field_name) or []):
                    if login not in known:
                        problems.add(
                            f"{_org_name(index, org)}: field '{field_name}.{position}': "
                            f"no user {login!r} in the file or the store"
                        )
        self._check_org_ids(session, document.orgs, problems)
        plan.memberships = self._plan_memberships(session, document.orgs)
        plan.categories = self._plan_categories(
            session, document, plan.memberships, known, problems
        )
        self._check_bundle_imports(session, document, known, stored_users, problems)
        return plan

    def _check_org_ids(self, session: Session, orgs: Sequence[SeedOrg], problems: Problems) -> None:
        """Check that the dbIds the orgs and their categories give are theirs, or free."""
        stored = _orgs_named(session, [org.name for org in orgs])
        holders = _rows_by_id(session, _orgs, [org.dbId for org in orgs if org.dbId])
        for index, org in enumerate(orgs):
            stored_id, holder = stored.get(org.name), holders.get(org.dbId or 0)
            if org.dbId is not None and stored_id is not None and stored_id != org.dbId:
                problems.add(
                    f"{_org_name(index, org)}: field 'dbId': the org is dbId {stored_id} "
                    "in the store"
                )
            elif holder is not None and holder["name"] != org.name:
                problems.add(
                    f"{_org_name(index, org)}: field 'dbId': {org.dbId} is the org "
                    f"{shorten(repr(holder['name']), 60)} in the store"
                )
        keys = _category_keys(session, stored.values())
        wanted = [c.dbId for org in orgs for c in org.categories if c.dbId is not None]
        holders = _rows_by_id(session, _categories, wanted)
        for index, org in enumerate(orgs):
            org_id = stored.get(org.name)
            for position, category in enumerate(org.categories):
                if category.dbId is None:
                    continue
                key = (org_id, category.type, category.name)
                stored_id, holder = keys.get(key), holders.get(category.dbId)
                if stored_id is not None and stored_id != category.dbId:
                    problems.add(
                        f"{_org_name(index, org)}: field 'categories.{position}.dbId': the "
                        f"category is dbId {stored_id} in the store"
                    )
                elif holder is not None and key != (
                    holder["org_id"],
                    holder["type"],
                    holder["name"],
                ):
                    problems.add(
                        f"{_org_name(index, org)}: field 'categories.{position}.dbId': "
                        f"{category.dbId} is the {holder['type']} category "
                        f"{shorten(repr(holder['name']), 60)} of the org dbId {holder['org_id']} "
                        "in the store"
                    )

    def _plan_memberships(
        self, session: Session, orgs: Sequence[SeedOrg]
    ) -> dict[str, dict[str, tuple[bool, bool]]]:
        replacing = {org.name for org in orgs if org.membership() is not None}
        if not replacing:
            return {}
        listed = {login for org in orgs for login in org.membership() or {}}
        stored: dict[str, dict[str, bool]] = {}
        defaults_elsewhere: set[str] = set()
        for org_name, login, default in _memberships_of(session, listed):
            if org_name in replacing:
                stored.setdefault(org_name, {})[login] = default
            elif default:
                defaults_elsewhere.add(login)
        return planned_memberships(orgs, stored=stored, defaults_elsewhere=defaults_elsewhere)

    def _plan_categories(
        self,
        session: Session,
        document: SeedDocument,
        memberships: dict[str, dict[str, tuple[bool, bool]]],
        known: set[str],
        problems: Problems,
    ) -> dict[int, tuple[str, str] | None]:
        """The org of the category each mySoftware names: a PROJECT category of that name in
        exactly one of its owner's orgs, as they will be after the seed. (An unknown owner is
        reported already.)"""
        naming = [
            (index, software)
            for index, software in enumerate(document.mySoftware)
            if "category" in software.model_fields_set and software.owner in known
        ]
        owners = {software.owner for _, software in naming if software.category is not None}
        orgs_of: dict[str, set[str]] = {owner: set() for owner in owners}
        for org_name, login, _ in _memberships_of(session, owners):
            if org_name not in memberships:
                orgs_of[login].add(org_name)
        for org_name, members in memberships.items():
            for login in members.keys() & owners:
                orgs_of[login].add(org_name)
        names = {org for orgs in orgs_of.values() for org in orgs}
        project = _project_categories(session, names)
        for org in document.orgs:
            project.setdefault(org.name, set()).update(
                category.name for category in org.categories if category.type == "PROJECT"
            )
        planned: dict[int, tuple[str, str] | None] = {}
        for index, software in naming:
            if software.category is None:
                planned[software.dbId] = None
                continue
            try:
                org_name = category_owner_org(
                    software.category,
                    owner=software.owner,
                    orgs=sorted(orgs_of[software.owner]),
                    project_categories=project,
                )
            except ValueError as reason:
                problems.add(
                    f"mySoftware[{index}] (dbId {software.dbId}): field 'category': {reason}"
                )
                continue
            planned[software.dbId] = (org_name, software.category)
        return planned

    def _check_bundle_imports(
        self,
        session: Session,
        document: SeedDocument,
        known: set[str],
        stored_users: dict[str, int],
        problems: Problems,
    ) -> None:
        owners = {software.dbId: software.owner for software in document.mySoftware}
        wanted = {b.mySoftware for b in document.bundleImports if b.mySoftware} - owners.keys()
        stored = _rows_by_id(session, _my_software, wanted)
        for index, ticket in enumerate(document.bundleImports):
            where = f"bundleImports[{index}] (dbId {ticket.dbId})"
            if ticket.owner not in known:
                problems.add(
                    f"{where}: field 'owner': no user {ticket.owner!r} in the file or the store"
                )
            if ticket.mySoftware is None:
                continue
            if ticket.mySoftware in owners:
                theirs = owners[ticket.mySoftware] == ticket.owner
            elif ticket.mySoftware in stored:
                owner_id = stored[ticket.mySoftware]["owner_id"]
                theirs = stored_users.get(ticket.owner) == owner_id
            else:
                problems.add(
                    f"{where}: field 'mySoftware': no mySoftware {ticket.mySoftware} in the "
                    "file or the store"
                )
                continue
            if not theirs:
                problems.add(
                    f"{where}: field 'mySoftware': mySoftware {ticket.mySoftware} is not "
                    f"{ticket.owner}'s"
                )

    def _put_user(
        self,
        session: Session,
        entry: SeedUser,
        password_hashes: dict[str, str],
        now: datetime,
        report: SeedReport,
    ) -> User:
        password_hash = password_hashes[entry.login]
        user = _user_named(session, entry.login)
        if user is None:
            user = User(
                login=entry.login, password_hash=password_hash, admin=entry.admin, created=now
            )
            session.add(user)
            session.flush()
            changed = created = True
        else:
            created = False
            changed = user.admin != entry.admin or user.password_hash != password_hash
            user.admin = entry.admin
            user.password_hash = password_hash
        assert user.id is not None
        changed |= _replace_entitlements(session, user.id, set(entry.entitlements))
        changed |= _replace_api_keys(session, user.id, entry.apiKeys)
        _record(report, "users", entry.login, created=created, changed=changed)
        return user

    def _put_orgs(
        self,
        session: Session,
        orgs: Sequence[SeedOrg],
        plan: _Plan,
        user_ids: dict[str, int],
        now: datetime,
        report: SeedReport,
    ) -> dict[str, int]:
        """Write the orgs, their categories and memberships; the id of each, by name."""
        if not orgs:
            return {}
        stored = _orgs_named(session, [org.name for org in orgs])
        ids = dict(stored)
        new = [org for org in orgs if org.name not in stored]
        # The orgs that give their dbId first: the store numbers the others after them.
        given = [org for org in new if org.dbId is not None]
        if given:
            session.execute(
                insert(_orgs),
                [
                    {"db_id": org.dbId, "name": org.name, "created": now, "last_modified": now}
                    for org in given
                ],
            )
            ids.update((org.name, org.dbId) for org in given if org.dbId is not None)
            settle_ids(session, _orgs)
        for org in new:
            if org.dbId is None:
                statement = insert(_orgs).values(name=org.name, created=now, last_modified=now)
                key = session.connection().execute(statement).inserted_primary_key
                assert key is not None
                ids[org.name] = key[0]
        changed = _put_categories(session, orgs, ids, now)
        changed |= _put_memberships(session, plan.memberships, ids, user_ids)
        touched = [stored[name] for name in changed if name in stored]
        for chunk in _chunks(touched):
            session.execute(update(_orgs).where(_orgs.c.db_id.in_(chunk)).values(last_modified=now))
        for org in orgs:
            created = org.name not in stored
            _record(report, "orgs", org.name, created=created, changed=org.name in changed)
        return ids

    def _put_my_software(
        self,
        session: Session,
        entries: Sequence[SeedMySoftware],
        owners: dict[str, int],
        category_ids: dict[int, int | None],
        artifacts: dict[int, dict[str, list[ArtifactRow]]],
        now: datetime,
        report: SeedReport,
    ) -> None:
        existing = _rows_by_id(session, _my_software, [entry.dbId for entry in entries])
        stored_artifacts = _artifact_signatures(session, artifacts.keys() & existing.keys())
        # A mySoftware's size is its files' unless the entry gives one.
        sized_by_kept_files = [
            entry.dbId
            for entry in entries
            if entry.dbId in existing and not {"size", "files"} & entry.model_fields_set
        ]
        kept_sizes = _file_sizes(session, sized_by_kept_files)
        rows = _Writes(_my_software)
        replaced: dict[int, list[str]] = {}
        for entry in entries:
            values: dict[str, Any] = {
                "owner_id": owners[entry.owner],
                **{name: getattr(entry, name) for name in MySoftwareFields.model_fields},
            }
            given = artifacts.get(entry.dbId, {})
            if "size" not in entry.model_fields_set:
                files = given.get("file")
                values["size"] = (
                    sum(row.size for row in files)
                    if files is not None
                    else kept_sizes.get(entry.dbId, 0)
                )
            if entry.dbId in category_ids:
                values["category_id"] = category_ids[entry.dbId]
            row = existing.get(entry.dbId)
            if row is None:
                created = entry.created or now
                last_modified = entry.lastModified or created
                values.setdefault("category_id", None)
                rows.insert(entry.dbId, created=created, last_modified=last_modified, **values)
                replaced[entry.dbId] = list(given)
                _record(report, "mySoftware", entry.dbId, created=True, changed=True)
                continue
            if entry.created is not None:
                values["created"] = entry.created
            different = [
                kind
                for kind, wanted in given.items()
                if [artifact.signature() for artifact in wanted]
                != stored_artifacts.get((entry.dbId, kind), [])
            ]
            replaced[entry.dbId] = different
            changed = _differs(row, values) or bool(different)
            if entry.lastModified is not None:
                changed |= row["last_modified"] != entry.lastModified
                values["last_modified"] = entry.lastModified
            elif changed:
                values["last_modified"] = now
            if changed:
                rows.update(entry.dbId, row, values)
            _record(report, "mySoftware", entry.dbId, created=False, changed=changed)
        rows.write(session)
        _replace_artifacts(session, replaced, artifacts, existing.keys(), now)

    def _put_exports(
        self, session: Session, entries: Sequence[SeedExport], now: datetime, report: SeedReport
    ) -> None:
        existing = _rows_by_id(session, _export_tickets, [entry.dbId for entry in entries])
        rows = _Writes(_export_tickets)
        for entry in entries:
            values: dict[str, Any] = {
                "my_software_id": entry.mySoftware,
                "output_format": entry.outputFormat,
                "duration_seconds": (
                    entry.duration
                    if entry.duration is not None
                    else self._defaults.export_duration_seconds
                ),
                "outcome": entry.outcome,
                "percentage": entry.percentage,
                "message": entry.message,
                "error_message": entry.errorMessage,
                "detailed_error_msg": entry.detailedErrorMsg,
            }
            row = existing.get(entry.dbId)
            if row is None:
                created = entry.created or now
                rows.insert(entry.dbId, created=created, last_modified=created, **values)
                _record(report, "exports", entry.dbId, created=True, changed=True)
                continue
            # Without a `created` in the file the ticket keeps the one it was first loaded with.
            if entry.created is not None:
                values["created"] = entry.created
            changed = _differs(row, values)
            if changed:
                values["last_modified"] = max(now, values.get("created", row["created"]))
                rows.update(entry.dbId, row, values)
            _record(report, "exports", entry.dbId, created=False, changed=changed)
        rows.write(session)

    def _put_bundle_imports(
        self,
        session: Session,
        entries: Sequence[SeedBundleImport],
        owners: dict[str, int],
        now: datetime,
        report: SeedReport,
    ) -> None:
        existing = _rows_by_id(session, _bundle_imports, [entry.dbId for entry in entries])
        rows = _Writes(_bundle_imports)
        for entry in entries:
            values: dict[str, Any] = {
                "owner_id": owners[entry.owner],
                "imported": entry.imported,
                "uploaded": entry.uploaded,
                "duration_seconds": (
                    entry.duration
                    if entry.duration is not None
                    else self._defaults.export_duration_seconds
                ),
                "outcome": entry.outcome,
                "percentage": entry.percentage,
                "message": entry.message,
                "error_message": entry.errorMessage,
                "detailed_error_msg": entry.detailedErrorMsg,
                "my_software_id": entry.mySoftware,
            }
            row = existing.get(entry.dbId)
            if row is None:
                created = entry.created_at(now)
                rows.insert(
                    entry.dbId, created=created, last_modified=created, archive_size=None, **values
                )
                _record(report, "bundleImports", entry.dbId, created=True, changed=True)
                continue
            # Without a `created` in the file the ticket keeps the one it was first loaded with.
            if entry.created is not None:
                values["created"] = entry.created
            changed = _differs(row, values)
            if changed:
                values["last_modified"] = max(now, values.get("created", row["created"]))
                rows.update(entry.dbId, row, values)
            _record(report, "bundleImports", entry.dbId, created=False, changed=changed)
        rows.write(session)


def _user_named(session: Session, login: str) -> User | None:
    return session.scalars(select(User).where(col(User.login) == login)).first()


def _replace_entitlements(session: Session, user_id: int, wanted: set[str]) -> bool:
    current = {
        row.name: row
        for row in session.scalars(select(Entitlement).where(col(Entitlement.user_id) == user_id))
    }
    for name in current.keys() - wanted:
        session.delete(current[name])
    for name in wanted - current.keys():
        session.add(Entitlement(user_id=user_id, name=name))
    return current.keys() != wanted


def _replace_api_keys(session: Session, user_id: int, wanted: list[SeedApiKey]) -> bool:
    current = {
        row.public_key: row
        for row in session.scalars(select(ApiKey).where(col(ApiKey.user_id) == user_id))
    }
    wanted_by_key = {key.publicKey: key.secretKey for key in wanted}
    changed = False
    for public_key in current.keys() - wanted_by_key.keys():
        session.delete(current[public_key])
        changed = True
    for public_key, secret_key in wanted_by_key.items():
        row = current.get(public_key) or session.get(ApiKey, public_key)
        if row is None:
            session.add(ApiKey(public_key=public_key, user_id=user_id, secret_key=secret_key))
            changed = True
        elif row.user_id != user_id or row.secret_key != secret_key:
            row.user_id, row.secret_key = user_id, secret_key
            changed = True
    return changed


# ---------------------------------------------------------------- the mySoftware family's rows


def _org_name(index: int, org: SeedOrg) -> str:
    return f"orgs[{index}] (name {shorten(org.name, 60)})"


def _logins_named(document: SeedDocument) -> set[str]:
    """The logins the document's entries name (owners and members), its users' aside."""
    named = {software.owner for software in document.mySoftware}
    named.update(ticket.owner for ticket in document.bundleImports)
    for org in document.orgs:
        named.update(org.membership() or ())
    return named


def _orgs_named(session: Session, names: Iterable[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in _chunks(names):
        statement = select(_orgs.c.name, _orgs.c.db_id).where(_orgs.c.name.in_(chunk))
        found.update((name, db_id) for name, db_id in session.execute(statement))
    return found


def _category_keys(
    session: Session, org_ids: Iterable[int]
) -> dict[tuple[int | None, str, str], int]:
    """The categories of the orgs `org_ids`: (org id, type, name) -> dbId."""
    found: dict[tuple[int | None, str, str], int] = {}
    columns = (_categories.c.org_id, _categories.c.type, _categories.c.name, _categories.c.db_id)
    for chunk in _chunks(org_ids):
        statement = select(*columns).where(_categories.c.org_id.in_(chunk))
        for org, type_, name, db_id in session.execute(statement):
            found[(org, type_, name)] = db_id
    return found


def _memberships_of(session: Session, logins: Iterable[str]) -> list[tuple[str, str, bool]]:
    """The orgs the users `logins` belong to: (org name, login, whether it is their default)."""
    found: list[tuple[str, str, bool]] = []
    joined = _org_members.join(_users, _users.c.id == _org_members.c.user_id).join(
        _orgs, _orgs.c.db_id == _org_members.c.org_id
    )
    for chunk in _chunks(logins):
        statement = (
            select(_orgs.c.name, _users.c.login, _org_members.c.default_org)
            .select_from(joined)
            .where(_users.c.login.in_(chunk))
        )
        for org, login, default in session.execute(statement):
            found.append((org, login, bool(default)))
    return found


def _project_categories(session: Session, org_names: Iterable[str]) -> dict[str, set[str]]:
    """The names of the PROJECT categories of the orgs `org_names`, by org name."""
    found: dict[str, set[str]] = {}
    joined = _categories.join(_orgs, _orgs.c.db_id == _categories.c.org_id)
    for chunk in _chunks(org_names):
        statement = (
            select(_orgs.c.name, _categories.c.name)
            .select_from(joined)
            .where(_orgs.c.name.in_(chunk), _categories.c.type == "PROJECT")
        )
        for org, name in session.execute(statement):
            found.setdefault(org, set()).add(name)
    return found


def _category_ids(
    session: Session, planned: dict[int, tuple[str, str] | None], org_ids: dict[str, int]
) -> dict[int, int | None]:
    """The category id each mySoftware of `planned` gets (None: none), once they are written."""
    orgs = {org for named in planned.values() if named for org in [named[0]]}
    ids = {**_orgs_named(session, orgs - org_ids.keys()), **org_ids}
    keys = _category_keys(session, {ids[org] for org in orgs})
    return {
        software: keys[(ids[named[0]], "PROJECT", named[1])] if named else None
        for software, named in planned.items()
    }


def _put_categories(
    session: Session, orgs: Sequence[SeedOrg], org_ids: dict[str, int], now: datetime
) -> set[str]:
    """Add the categories the orgs do not have yet; the names of the orgs that got some."""
    stored = _category_keys(session, org_ids.values())
    given: list[dict[str, Any]] = []
    numbered: list[dict[str, Any]] = []
    changed: set[str] = set()
    for org in orgs:
        org_id = org_ids[org.name]
        for category in org.categories:
            if (org_id, category.type, category.name) in stored:
                continue
            values = {
                "org_id": org_id,
                "name": category.name,
                "type": category.type,
                "created": now,
                "last_modified": now,
            }
            if category.dbId is None:
                numbered.append(values)
            else:
                given.append({"db_id": category.dbId, **values})
            changed.add(org.name)
    # Those that give their dbId first: the store numbers the others after them.
    if given:
        session.execute(insert(_categories), given)
        settle_ids(session, _categories)
    if numbered:
        session.execute(insert(_categories), numbered)
    return changed


def _put_memberships(
    session: Session,
    memberships: dict[str, dict[str, tuple[bool, bool]]],
    org_ids: dict[str, int],
    user_ids: dict[str, int],
) -> set[str]:
    """Make each org's membership the planned one; the names of the orgs that changed."""
    current: dict[int, dict[int, tuple[bool, bool]]] = {}
    columns = (
        _org_members.c.org_id,
        _org_members.c.user_id,
        _org_members.c.admin,
        _org_members.c.default_org,
    )
    for chunk in _chunks(org_ids[name] for name in memberships):
        statement = select(*columns).where(_org_members.c.org_id.in_(chunk))
        for org_id, user_id, admin, default in session.execute(statement):
            current.setdefault(org_id, {})[user_id] = (bool(admin), bool(default))
    added: list[dict[str, Any]] = []
    altered: list[dict[str, Any]] = []
    changed: set[str] = set()
    for name, members in memberships.items():
        org_id = org_ids[name]
        wanted = {user_ids[login]: flags for login, flags in members.items()}
        now_in = current.get(org_id, {})
        gone = now_in.keys() - wanted.keys()
        for chunk in _chunks(gone):
            session.execute(
                delete(_org_members).where(
                    _org_members.c.org_id == org_id, _org_members.c.user_id.in_(chunk)
                )
            )
        for user_id, (admin, default) in wanted.items():
            flags = {"admin": admin, "default_org": default}
            if user_id not in now_in:
                added.append({"org_id": org_id, "user_id": user_id, **flags})
            elif now_in[user_id] != (admin, default):
                altered.append({"key_org": org_id, "key_user": user_id, **flags})
        if (
            gone
            or wanted.keys() - now_in.keys()
            or any(now_in.get(user_id, flags) != flags for user_id, flags in wanted.items())
        ):
            changed.add(name)
    if added:
        session.execute(insert(_org_members), added)
    if altered:
        changes = (
            update(_org_members)
            .where(
                _org_members.c.org_id == bindparam("key_org"),
                _org_members.c.user_id == bindparam("key_user"),
            )
            .values(admin=bindparam("admin"), default_org=bindparam("default_org"))
        )
        session.execute(changes, altered)
    return changed


def _artifact_signatures(
    session: Session, software_ids: Iterable[int]
) -> dict[tuple[int, str], list[tuple[object, ...]]]:
    """The stored artifacts of each mySoftware of `software_ids`, by (mySoftware, kind), in
    their order, as `ArtifactRow.signature` tells them apart (their bytes are not read)."""
    columns = (
        _artifacts.c.my_software_id,
        _artifacts.c.kind,
        _artifacts.c.position,
        _artifacts.c.parent_position,
        _artifacts.c.directory,
        _artifacts.c.name,
        _artifacts.c.tag,
        _artifacts.c.install_location,
        _artifacts.c.attributes,
        _artifacts.c.size,
        _artifacts.c.sha256,
        _artifacts.c.md5,
        _artifacts.c.content.is_not(None),
    )
    found: dict[tuple[int, str], list[tuple[object, ...]]] = {}
    for chunk in _chunks(software_ids):
        statement = (
            select(*columns)
            .where(_artifacts.c.my_software_id.in_(chunk))
            .order_by(_artifacts.c.my_software_id, _artifacts.c.position, _artifacts.c.db_id)
        )
        for software_id, kind, *rest, has_content in session.execute(statement):
            found.setdefault((software_id, kind), []).append((kind, *rest, bool(has_content)))
    return found


def _file_sizes(session: Session, software_ids: Iterable[int]) -> dict[int, int]:
    """The sum of the sizes of the files of each mySoftware of `software_ids` that has some."""
    found: dict[int, int] = {}
    for chunk in _chunks(software_ids):
        statement = (
            select(_artifacts.c.my_software_id, func.sum(_artifacts.c.size))
            .where(_artifacts.c.my_software_id.in_(chunk), _artifacts.c.kind == "file")
            .group_by(_artifacts.c.my_software_id)
        )
        found.update((software_id, int(size)) for software_id, size in session.execute(statement))
    return found


def _replace_artifacts(
    session: Session,
    replaced: dict[int, list[str]],
    artifacts: dict[int, dict[str, list[ArtifactRow]]],
    existing: Iterable[int],
    now: datetime,
) -> None:
    """Replace the artifacts of each kind of `replaced` (mySoftware -> kinds) by the rows of
    `artifacts` (the kinds of a mySoftware already in the store are deleted first)."""
    stored = set(existing)
    for software_id, kinds in replaced.items():
        if kinds and software_id in stored:
            session.execute(
                delete(_artifacts).where(
                    _artifacts.c.my_software_id == software_id, _artifacts.c.kind.in_(kinds)
                )
            )
    rows = [
        {**row.values(), "my_software_id": software_id, "created": now}
        for software_id, kinds in replaced.items()
        for kind in kinds
        for row in artifacts[software_id][kind]
    ]
    if rows:
        session.execute(insert(_artifacts), rows)


# The tables whose rows a seed may give the ids of, in the order they are locked: their
# counters are moved after the largest id (`settle_ids`).
SEEDED_ID_TABLES: tuple[Table, ...] = (
    _export_tickets,
    _bundle_imports,
    _orgs,
    _categories,
    *APPLIANCE_ID_TABLES,
)


def _seeded_tables(document: SeedDocument) -> list[Table]:
    """The tables of SEEDED_ID_TABLES that `document` writes rows of."""
    written = {
        _export_tickets: bool(document.exports),
        _bundle_imports: bool(document.bundleImports),
        _orgs: bool(document.orgs),
        _categories: bool(document.orgs),
    }
    written.update(dict.fromkeys(document.appliance_family().tables_with_ids(), True))
    return [table for table in SEEDED_ID_TABLES if written.get(table)]


def take_write_lock(session: Session, tables: Sequence[Table] = ()) -> None:
    """Take the store for writing at the start of a seed's transaction. On SQLite a write
    statement takes its one write lock (waiting for it as long as the busy timeout says):
    taken later, after the seed's reads, a writer that came between would make the seed
    fail at once. On PostgreSQL rows are locked one by one; only the ids of `tables` (those
    the seed gives ids in) need more (`hold_ids`)."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        session.execute(text("DELETE FROM export_tickets WHERE 0 = 1"))
    elif dialect == "postgresql" and tables:
        hold_ids(session, *tables)


def hold_ids(session: Session, *tables: Table) -> None:
    """Seeded rows carry their own ids, which the PostgreSQL sequence of their table does not
    know until `settle_ids` moves it. Meanwhile a client's create would draw one of them and
    one of the two inserts would fail: so creates and deletes in `tables` wait until the seed
    commits (SHARE ROW EXCLUSIVE stops every writer of a table, lets readers through), and the
    seed's own look at which ids exist comes after any create in flight. SQLite has one writer
    at a time. Tables are locked in the order of SEEDED_ID_TABLES, whatever the order given
    (two seeds never wait on each other's second table)."""
    if session.get_bind().dialect.name != "postgresql" or not tables:
        return
    ordered = sorted(set(tables), key=_lock_order)
    names = ", ".join(_quoted(session, table.name) for table in ordered)
    session.execute(text(f"LOCK TABLE {names} IN SHARE ROW EXCLUSIVE MODE"))


def _lock_order(table: Table) -> int:
    return SEEDED_ID_TABLES.index(table) if table in SEEDED_ID_TABLES else len(SEEDED_ID_TABLES)


def _quoted(session: Session, name: str) -> str:
    return str(session.get_bind().dialect.identifier_preparer.quote(name))


def settle_ids(session: Session, *tables: Table) -> None:
    """Number the next new row of each of `tables` after its largest id. Seeded rows carry
    their own ids, which a PostgreSQL sequence does not see: it is moved past the largest
    (SQLite's AUTOINCREMENT follows explicit ids by itself). A counter past MAX_ID (a store
    seeded before ids were bounded, with 2^63 - 1 say, where neither database numbers any
    further) comes back to the largest id left."""
    dialect = session.get_bind().dialect.name
    for table in tables:
        name = _quoted(session, table.name)
        if dialect == "postgresql":
            # Moved only when its next value is taken already, or past MAX_ID: a sequence
            # never goes back otherwise (ids are not reused), and an untouched one starts at 1.
            counter = _quoted(session, f"{table.name}_db_id_seq")
            session.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence(:table, 'db_id'),"
                    " GREATEST(stored.largest, 1), stored.largest > 0)"
                    f" FROM (SELECT COALESCE(MAX(db_id), 0) AS largest FROM {name}) stored,"
                    f" {counter} counter"
                    " WHERE counter.last_value < stored.largest"
                    " OR (counter.last_value = stored.largest AND NOT counter.is_called)"
                    " OR counter.last_value > :max_id"
                ),
                {"table": table.name, "max_id": MAX_ID},
            )
        elif dialect == "sqlite":
            session.execute(
                text(
                    f"UPDATE sqlite_sequence SET seq = (SELECT COALESCE(MAX(db_id), 0)"
                    f" FROM {name}) WHERE name = :table AND seq > :max_id"
                ),
                {"table": table.name, "max_id": MAX_ID},
            )


def hold_seeded_ids(session: Session) -> None:
    """`hold_ids` of every table a seed may give ids in (a reset, which deletes them all)."""
    hold_ids(session, *SEEDED_ID_TABLES)


def settle_seeded_ids(session: Session) -> None:
    """`settle_ids` of every table a seed may give ids in (at start, after a reset)."""
    settle_ids(session, *SEEDED_ID_TABLES)
