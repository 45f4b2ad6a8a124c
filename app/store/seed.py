"""Seed documents (the SEED.md format) -> the store, all or nothing, idempotently.

A document is validated whole before anything is written; every problem is reported with the
file, the entry (section, index and id) and the field. Entries are matched on their logins and
dbIds and updated in place, and an entry that already says what the file says is not touched, so
loading the same file twice changes nothing the second time.
"""

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from sqlalchemy import Engine, select, text
from sqlmodel import Session, col

from uforge_mock.store.models import (
    MAX_ID,
    ApiKey,
    Entitlement,
    ExportTicket,
    MySoftware,
    MySoftwareFields,
    User,
    seed_name,
)
from uforge_mock.store.seed_errors import SeedError

DbId = Annotated[int, Field(ge=1, le=MAX_ID)]
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
        data = json.loads(content) if kind == "json" else yaml.safe_load(content)
    except json.JSONDecodeError as error:
        raise SeedError(source, [f"not valid JSON: {error}"]) from None
    except yaml.YAMLError as error:
        raise SeedError(source, [f"not valid YAML: {error}"]) from None
    return validate_seed_data(data, source=source)


def validate_seed_data(data: Any, *, source: str) -> SeedDocument:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise SeedError(source, ["the document must be a mapping of users, mySoftware, exports"])
    try:
        document = SeedDocument.model_validate(data)
    except ValidationError as error:
        problems = [_describe(error_item, data) for error_item in error.errors()]
        raise SeedError(source, problems) from None
    problems = list(_duplicates(document))
    if problems:
        raise SeedError(source, problems)
    return document


def _describe(error: Any, data: dict[str, Any]) -> str:
    location = list(error["loc"])
    if len(location) >= 2 and isinstance(location[1], int):
        section, index = location[0], location[1]
        entry = _entry_name(section, index, data.get(section, [])[index])
        fields = ".".join(str(part) for part in location[2:])
        where = f"{entry}: field '{fields}'" if fields else entry
    else:
        where = f"field '{'.'.join(str(part) for part in location)}'"
    return f"{where}: {error['msg']}"


def _entry_name(section: str, index: int, raw: Any) -> str:
    name = f"{section}[{index}]"
    if isinstance(raw, dict):
        for key in ("login", "dbId"):
            if key in raw and isinstance(raw[key], str | int):
                return f"{name} ({key} {raw[key]})"
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
        """Load `document` in a transaction of its own."""
        with Session(self._engine) as session, session.begin():
            return self.load_in(session, document, source=source, now=now)

    def load_in(
        self, session: Session, document: SeedDocument, *, source: str, now: datetime
    ) -> SeedReport:
        """Load `document` inside the caller's transaction (which it does not commit)."""
        report = SeedReport()
        if document.exports:
            hold_export_ids(session)
        problems = self._check_references(session, document)
        if problems:
            raise SeedError(source, problems)
        users = {user.login: self._put_user(session, user, now, report) for user in document.users}
        session.flush()
        for software in document.mySoftware:
            owner = users.get(software.owner) or _user_named(session, software.owner)
            assert owner is not None and owner.id is not None
            self._put_my_software(session, software, owner.id, now, report)
        session.flush()
        for export in document.exports:
            self._put_export(session, export, now, report)
        session.flush()
        _advance_export_ids(session)
        return report

    def _check_references(self, session: Session, document: SeedDocument) -> list[str]:
        problems = []
        logins = {user.login for user in document.users}
        for index, software in enumerate(document.mySoftware):
            if software.owner not in logins and _user_named(session, software.owner) is None:
                problems.append(
                    f"mySoftware[{index}] (dbId {software.dbId}): field 'owner': "
                    f"no user {software.owner!r} in the file or the store"
                )
        software_ids = {software.dbId for software in document.mySoftware}
        for index, export in enumerate(document.exports):
            if (
                export.mySoftware not in software_ids
                and session.get(MySoftware, export.mySoftware) is None
            ):
                problems.append(
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
                    problems.append(
                        f"users[{index}] (login {user.login}): field "
                        f"'apiKeys.{key_index}.publicKey': {api_key.publicKey} "
                        f"is already a key of user {holder.login}"
                    )
        return problems

    def _put_user(
        self, session: Session, entry: SeedUser, now: datetime, report: SeedReport
    ) -> User:
        user = _user_named(session, entry.login)
        if user is None:
            user = User(
                login=entry.login,
                password_hash=self._hash(entry.password),
                admin=entry.admin,
                created=now,
            )
            session.add(user)
            session.flush()
            changed = created = True
        else:
            created = False
            changed = user.admin != entry.admin
            user.admin = entry.admin
            if not self._verify(entry.password, user.password_hash):
                user.password_hash = self._hash(entry.password)
                changed = True
        assert user.id is not None
        changed |= _replace_entitlements(session, user.id, set(entry.entitlements))
        changed |= _replace_api_keys(session, user.id, entry.apiKeys)
        _record(report, "users", entry.login, created=created, changed=changed)
        return user

    def _put_my_software(
        self,
        session: Session,
        entry: SeedMySoftware,
        owner_id: int,
        now: datetime,
        report: SeedReport,
    ) -> None:
        values: dict[str, Any] = {
            "owner_id": owner_id,
            **{name: getattr(entry, name) for name in MySoftwareFields.model_fields},
        }
        software = session.get(MySoftware, entry.dbId)
        if software is None:
            created = entry.created or now
            session.add(
                MySoftware(
                    db_id=entry.dbId,
                    created=created,
                    last_modified=entry.lastModified or created,
                    **values,
                )
            )
            _record(report, "mySoftware", entry.dbId, created=True, changed=True)
            return
        if entry.created is not None:
            values["created"] = entry.created
        changed = _assign(software, values)
        if entry.lastModified is not None:
            changed |= _assign(software, {"last_modified": entry.lastModified})
        elif changed:
            software.last_modified = now
        _record(report, "mySoftware", entry.dbId, created=False, changed=changed)

    def _put_export(
        self, session: Session, entry: SeedExport, now: datetime, report: SeedReport
    ) -> None:
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
        ticket = session.get(ExportTicket, entry.dbId)
        if ticket is None:
            created = entry.created or now
            session.add(
                ExportTicket(db_id=entry.dbId, created=created, last_modified=created, **values)
            )
            _record(report, "exports", entry.dbId, created=True, changed=True)
            return
        # Without a `created` in the file the ticket keeps the one it was first loaded with.
        if entry.created is not None:
            values["created"] = entry.created
        changed = _assign(ticket, values)
        if changed:
            ticket.last_modified = max(now, ticket.created)
        _record(report, "exports", entry.dbId, created=False, changed=changed)


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


def _assign(row: Any, values: dict[str, Any]) -> bool:
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def _record(report: SeedReport, section: str, key: object, *, created: bool, changed: bool) -> None:
    kind = report.created if created else report.updated if changed else report.unchanged
    report._note(kind, section, key)


def hold_export_ids(session: Session) -> None:
    """Seeded tickets carry their own ids, which the PostgreSQL sequence does not know until
    `_advance_export_ids` moves it. Meanwhile a client's create would draw one of them and one
    of the two inserts would fail: so creates and deletes wait until the seed commits (SHARE ROW
    EXCLUSIVE stops every writer of the table, lets readers through), and the seed's own look
    at which ids exist comes after any create in flight. SQLite has one writer at a time."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE export_tickets IN SHARE ROW EXCLUSIVE MODE"))


def _advance_export_ids(session: Session) -> None:
    """Seeded tickets carry their own ids; a PostgreSQL sequence does not see them, so move it
    past the largest (SQLite's AUTOINCREMENT follows explicit ids by itself)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    session.execute(
        text(
            "SELECT setval(pg_get_serial_sequence('export_tickets', 'db_id'),"
            " GREATEST((SELECT COALESCE(MAX(db_id), 0) FROM export_tickets),"
            " (SELECT last_value FROM export_tickets_db_id_seq)))"
        )
    )
