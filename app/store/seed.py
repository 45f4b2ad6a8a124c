"""Seed documents (the SEED.md format) -> the store, all or nothing, idempotently.

A document is read and validated whole before anything is written; every problem is reported
with the file, the entry (section, index and id) and the field, the first
`MAX_REPORTED_PROBLEMS` of them and a count of the rest. What a document may hold is bounded as
it is read: nesting (`MAX_DEPTH`), numbers (`MAX_NUMBER_CHARACTERS`), no key twice in one
mapping, no YAML alias of a list or a mapping (each would multiply the document), dbIds whole
numbers from 1 to `MAX_SEED_ID`.

Loading hashes the new passwords first, outside any transaction (argon2 is made to be slow),
then writes in one transaction, taking the store's write lock at its start and writing each
section in bulk. Entries are matched on their logins and dbIds and updated in place, and an
entry that already says what the file says is not touched, so loading the same file twice
changes nothing the second time.
"""

import json
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError
from sqlalchemy import Engine, RowMapping, Table, bindparam, insert, select, text, update
from sqlmodel import Session, col
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent, Event
from yaml.nodes import MappingNode, Node, ScalarNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import Resolver
from yaml.scanner import Scanner

from uforge_mock.store.models import (
    MAX_ID,
    MAX_SEED_ID,
    ApiKey,
    Entitlement,
    ExportTicket,
    MySoftware,
    MySoftwareFields,
    User,
    seed_name,
)
from uforge_mock.store.seed_errors import Problems, SeedError, shorten

# How deep values nest: a seed needs six levels (document, section, entry, apiKeys, key, value).
MAX_DEPTH = 16
# The longest number a document may write (the largest any field takes has 19 digits).
MAX_NUMBER_CHARACTERS = 40
# Ids asked of the store at once (SQLite takes 32766 parameters a statement, older ones 999).
_CHUNK = 500

_users = User.__table__  # type: ignore[attr-defined]
_my_software = MySoftware.__table__  # type: ignore[attr-defined]
_export_tickets = ExportTicket.__table__  # type: ignore[attr-defined]


def _shown(value: Any) -> str:
    """What a document gave, in a few words (the messages quote it)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value) if value.bit_length() <= 128 else f"a number of {value.bit_length()} bits"
    if isinstance(value, float):
        return f"the fraction {value!r}"
    if isinstance(value, str):
        return f"the text {shorten(repr(value), 60)}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _db_id(value: Any) -> int:
    """A dbId is a whole number (not true, not 17.0, not "17") from 1 to MAX_SEED_ID."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_SEED_ID:
        raise PydanticCustomError(
            "db_id",
            "a dbId is a whole number from 1 to {largest}, not {given}",
            {"largest": MAX_SEED_ID, "given": _shown(value)},
        )
    return value


DbId = Annotated[int, BeforeValidator(_db_id)]
Outcome = Literal["complete", "error", "cancelled", "running"]


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    @field_validator("*")
    @classmethod
    def _storable(cls, value: Any, info: ValidationInfo) -> Any:
        """PostgreSQL text cannot hold NUL, and the renderers show it as U+FFFD anyway, so text
        is stored that way on every backend (a password is hashed: it keeps its NUL)."""
        if info.field_name == "password":
            return value
        if isinstance(value, str):
            return value.replace("\x00", "\ufffd")
        if isinstance(value, list):
            return [
                item.replace("\x00", "\ufffd") if isinstance(item, str) else item for item in value
            ]
        return value


def _utc(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC) if value is not None else None


class SeedApiKey(_Entry):
    publicKey: str = Field(min_length=1, max_length=255)
    secretKey: str = Field(min_length=1, max_length=255)


class SeedUser(_Entry):
    # A colon cannot travel in a Basic login; nor can control characters in a header.
    login: str = Field(min_length=1, max_length=255, pattern=r"^[^:\x00-\x1f\x7f]+$")
    password: str = Field(min_length=1, max_length=1024)
    entitlements: list[Annotated[str, Field(min_length=1, max_length=128)]] = []
    admin: bool = False
    apiKeys: list[SeedApiKey] = []


class SeedMySoftware(MySoftwareFields, _Entry):
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

    _zones = field_validator("created", "lastModified")(_utc)


class SeedExport(_Entry):
    dbId: DbId
    mySoftware: DbId
    outputFormat: Literal["yaml", "json"] = "yaml"
    created: datetime | None = None
    duration: Annotated[float, Field(ge=0, le=10**9)] | None = None
    outcome: Outcome = "complete"
    percentage: Annotated[int, Field(ge=0, le=100)] = 0
    message: str | None = None
    errorMessage: str | None = None
    detailedErrorMsg: str | None = None

    _zones = field_validator("created")(_utc)

    @field_validator("outputFormat", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value


class SeedDocument(_Entry):
    users: list[SeedUser] = []
    mySoftware: list[SeedMySoftware] = []
    exports: list[SeedExport] = []


@dataclass
class SeedReport:
    """What a load did, per section: ids created, updated, and left as they were."""

    created: dict[str, list[str]] = field(default_factory=dict)
    updated: dict[str, list[str]] = field(default_factory=dict)
    unchanged: dict[str, list[str]] = field(default_factory=dict)

    def _note(self, kind: dict[str, list[str]], section: str, key: object) -> None:
        kind.setdefault(section, []).append(str(key))

    def as_json(self) -> dict[str, dict[str, list[str]]]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}

    def summary(self) -> str:
        def count(kind: dict[str, list[str]]) -> int:
            return sum(len(keys) for keys in kind.values())

        return (
            f"{count(self.created)} created, {count(self.updated)} updated, "
            f"{count(self.unchanged)} unchanged"
        )


# ---------------------------------------------------------------- reading


class _Refused(Exception):
    """Something a seed document may not hold, found while it is read."""


def _at(node_or_event: Any) -> str:
    mark = node_or_event.start_mark
    return f"line {mark.line + 1}, column {mark.column + 1}"


class _SeedYaml(Composer, SafeConstructor, Resolver):
    """YAML as a seed reads it: safe types only, and refused as it is read when values nest
    deeper than `MAX_DEPTH`, a mapping has a key twice, an alias repeats a list or a mapping
    (nested aliases multiply a small document into billions of values), or a number is
    longer than `MAX_NUMBER_CHARACTERS`."""

    if TYPE_CHECKING:  # the parser each loader below mixes in reads the events

        def check_event(self, *choices: type[Event]) -> bool: ...
        def peek_event(self) -> Event: ...

    def _start(self) -> None:
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)
        self._depth = 0

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
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _Refused(f"{_at(self.peek_event())}: nested deeper than {MAX_DEPTH} levels")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

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
        if key in ("login", "dbId") and isinstance(value, str):
            return f" (the one with {key} {shorten(value, 60)})"
        if key in ("login", "dbId") and isinstance(value, int):
            return f" (the one with {key} {_shown(value)})"
    return ""


def _json_int(digits: str) -> int:
    if len(digits) > MAX_NUMBER_CHARACTERS:
        raise _Refused(f"a number of {len(digits)} digits is too long")
    return int(digits)


def _check_depth(data: Any) -> None:
    """Refuse values nested deeper than MAX_DEPTH (walked without recursion)."""
    pending: list[tuple[Any, int]] = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise _Refused(f"nested deeper than {MAX_DEPTH} levels")
        if isinstance(value, dict):
            pending.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            pending.extend((item, depth + 1) for item in value)


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


_SECTIONS: dict[str, type[_Entry]] = {
    "users": SeedUser,
    "mySoftware": SeedMySoftware,
    "exports": SeedExport,
}


def validate_seed_data(data: Any, *, source: str) -> SeedDocument:
    """The document `data` holds, each entry validated on its own (so that a document with a
    million bad entries costs the memory of one), or a `SeedError` naming the problems."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise SeedError(source, ["the document must be a mapping of users, mySoftware, exports"])
    problems = Problems()
    for key in data:
        if key not in _SECTIONS:
            problems.add(
                f"field {shorten(repr(key), 60)}: Extra inputs are not permitted "
                "(a seed has users, mySoftware and exports)"
            )
    sections: dict[str, list[Any]] = {}
    for name, model in _SECTIONS.items():
        raw = data.get(name)
        if raw is None:
            sections[name] = []
            continue
        if not isinstance(raw, list):
            problems.add(f"field '{name}': Input should be a valid list, not {_shown(raw)}")
            continue
        entries = sections[name] = []
        for index, item in enumerate(raw):
            try:
                entries.append(model.model_validate(item))
            except ValidationError as error:
                where = _entry_name(name, index, item)
                for detail in error.errors(include_url=False, include_input=False):
                    problems.add(_describe(where, detail))
    if problems:
        raise problems.error(source)
    document = SeedDocument.model_construct(
        users=sections["users"], mySoftware=sections["mySoftware"], exports=sections["exports"]
    )
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
        for key in ("login", "dbId"):
            value = raw.get(key)
            if isinstance(value, str):
                return f"{name} ({key} {shorten(value, 60)})"
            if isinstance(value, int):
                return f"{name} ({key} {_shown(value)})"
    return name


def _duplicates(document: SeedDocument) -> Iterable[str]:
    sections: list[tuple[str, list[Any], Callable[[Any], object], str]] = [
        ("users", document.users, lambda entry: entry.login, "login"),
        ("mySoftware", document.mySoftware, lambda entry: entry.dbId, "dbId"),
        ("exports", document.exports, lambda entry: entry.dbId, "dbId"),
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


# ---------------------------------------------------------------- loading


@dataclass
class SeedDefaults:
    """What the server settings give to entries that leave a field out."""

    export_duration_seconds: float


@dataclass(frozen=True)
class PreparedSeed:
    """A document ready to be written: a hash of each user's password, made before any
    transaction (argon2 is slow by design; a seed of 300 users held the store for as long)."""

    document: SeedDocument
    password_hashes: dict[str, str]


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
        return PreparedSeed(document, hashes)

    def load_in(
        self, session: Session, prepared: PreparedSeed, *, source: str, now: datetime
    ) -> SeedReport:
        """Write a prepared document inside the caller's transaction (which it does not
        commit). The store's write lock is taken first: the checks read what is there, and
        nothing may change it between them and the writes."""
        document = prepared.document
        report = SeedReport()
        take_write_lock(session, exports=bool(document.exports))
        problems = self._check_references(session, document)
        if problems:
            raise problems.error(source)
        users = {
            user.login: self._put_user(session, user, prepared.password_hashes, now, report)
            for user in document.users
        }
        session.flush()
        owners = {login: user.id for login, user in users.items() if user.id is not None}
        others = {software.owner for software in document.mySoftware} - owners.keys()
        owners.update(_user_ids(session, others))
        self._put_my_software(session, document.mySoftware, owners, now, report)
        self._put_exports(session, document.exports, now, report)
        settle_export_ids(session)
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

    def _put_my_software(
        self,
        session: Session,
        entries: Sequence[SeedMySoftware],
        owners: dict[str, int],
        now: datetime,
        report: SeedReport,
    ) -> None:
        existing = _rows_by_id(session, _my_software, [entry.dbId for entry in entries])
        rows = _Writes(_my_software)
        for entry in entries:
            values: dict[str, Any] = {
                "owner_id": owners[entry.owner],
                **{name: getattr(entry, name) for name in MySoftwareFields.model_fields},
            }
            row = existing.get(entry.dbId)
            if row is None:
                created = entry.created or now
                last_modified = entry.lastModified or created
                rows.insert(entry.dbId, created=created, last_modified=last_modified, **values)
                _record(report, "mySoftware", entry.dbId, created=True, changed=True)
                continue
            if entry.created is not None:
                values["created"] = entry.created
            changed = _differs(row, values)
            if entry.lastModified is not None:
                changed |= row["last_modified"] != entry.lastModified
                values["last_modified"] = entry.lastModified
            elif changed:
                values["last_modified"] = now
            if changed:
                rows.update(entry.dbId, row, values)
            _record(report, "mySoftware", entry.dbId, created=False, changed=changed)
        rows.write(session)

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


class _Writes:
    """The rows of one table a seed inserts and updates, written in bulk (executemany): a
    statement per row would hold the store for minutes on a large seed."""

    def __init__(self, table: Table) -> None:
        self._table = table
        self._inserts: list[dict[str, Any]] = []
        self._updates: list[dict[str, Any]] = []

    def insert(self, db_id: int, **values: Any) -> None:
        self._inserts.append({"db_id": db_id, **values})

    def update(self, db_id: int, row: RowMapping, values: dict[str, Any]) -> None:
        """Every column is written (one statement for all): those not in `values` as they are."""
        self._updates.append(
            {f"new_{name}": values.get(name, row[name]) for name in self._columns()}
            | {"key_db_id": db_id}
        )

    def _columns(self) -> list[str]:
        return [column.name for column in self._table.c if column.name != "db_id"]

    def write(self, session: Session) -> None:
        if self._inserts:
            session.execute(insert(self._table), self._inserts)
        if self._updates:
            statement = (
                update(self._table)
                .where(self._table.c.db_id == bindparam("key_db_id"))
                .values({name: bindparam(f"new_{name}") for name in self._columns()})
            )
            session.execute(statement, self._updates)


def _chunks(values: Iterable[Any]) -> Iterator[list[Any]]:
    ordered = sorted(set(values))
    for start in range(0, len(ordered), _CHUNK):
        yield ordered[start : start + _CHUNK]


def _rows_by_id(session: Session, table: Table, ids: Iterable[int]) -> dict[int, RowMapping]:
    rows: dict[int, RowMapping] = {}
    for chunk in _chunks(ids):
        statement = select(table).where(table.c.db_id.in_(chunk))
        rows.update((row["db_id"], row) for row in session.execute(statement).mappings())
    return rows


def _user_ids(session: Session, logins: Iterable[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in _chunks(logins):
        statement = select(_users.c.login, _users.c.id).where(_users.c.login.in_(chunk))
        found.update((login, id_) for login, id_ in session.execute(statement))
    return found


def _differs(row: RowMapping, values: dict[str, Any]) -> bool:
    return any(row[name] != value for name, value in values.items())


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


def _record(report: SeedReport, section: str, key: object, *, created: bool, changed: bool) -> None:
    kind = report.created if created else report.updated if changed else report.unchanged
    report._note(kind, section, key)


def take_write_lock(session: Session, *, exports: bool) -> None:
    """Take the store for writing at the start of a seed's transaction. On SQLite a write
    statement takes its one write lock (waiting for it as long as the busy timeout says):
    taken later, after the seed's reads, a writer that came between would make the seed
    fail at once. On PostgreSQL rows are locked one by one; only the export ids need more
    (`hold_export_ids`)."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        session.execute(text("DELETE FROM export_tickets WHERE 0 = 1"))
    elif dialect == "postgresql" and exports:
        hold_export_ids(session)


def hold_export_ids(session: Session) -> None:
    """Seeded tickets carry their own ids, which the PostgreSQL sequence does not know until
    `settle_export_ids` moves it. Meanwhile a client's create would draw one of them and one
    of the two inserts would fail: so creates and deletes wait until the seed commits (SHARE ROW
    EXCLUSIVE stops every writer of the table, lets readers through), and the seed's own look
    at which ids exist comes after any create in flight. SQLite has one writer at a time."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE export_tickets IN SHARE ROW EXCLUSIVE MODE"))


def settle_export_ids(session: Session) -> None:
    """Number the next new ticket after the largest one. Seeded tickets carry their own ids,
    which a PostgreSQL sequence does not see: it is moved past the largest (SQLite's
    AUTOINCREMENT follows explicit ids by itself). A counter past MAX_ID (a store seeded before
    ids were bounded, with 2^63 - 1 say, where neither database numbers any further) comes back
    to the largest id left."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        # Moved only when its next value is taken already, or past MAX_ID: a sequence never
        # goes back otherwise (ids are not reused), and an untouched one starts at 1.
        session.execute(
            text(
                "SELECT setval(pg_get_serial_sequence('export_tickets', 'db_id'),"
                " GREATEST(stored.largest, 1), stored.largest > 0)"
                " FROM (SELECT COALESCE(MAX(db_id), 0) AS largest FROM export_tickets) stored,"
                " export_tickets_db_id_seq counter"
                " WHERE counter.last_value < stored.largest"
                " OR (counter.last_value = stored.largest AND NOT counter.is_called)"
                " OR counter.last_value > :max_id"
            ),
            {"max_id": MAX_ID},
        )
    elif dialect == "sqlite":
        session.execute(
            text(
                "UPDATE sqlite_sequence SET seq = (SELECT COALESCE(MAX(db_id), 0)"
                " FROM export_tickets) WHERE name = 'export_tickets' AND seq > :max_id"
            ),
            {"max_id": MAX_ID},
        )
