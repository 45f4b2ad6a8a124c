"""The software library of a user: listing, creating, updating, cloning and deleting mySoftware,
their artifacts (files, license, logo), the orgs a user belongs to and their categories.

Keyword-only functions of a Connection, like `queries`: plain records in, plain records out.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Connection,
    DateTime,
    Integer,
    Select,
    TypeDecorator,
    delete,
    false,
    func,
    insert,
    not_,
    or_,
    select,
    text,
    update,
)

from uforge_mock.store.models import MySoftwareFields, camel_case
from uforge_mock.store.queries import (
    MySoftwareRecord,
    categories,
    export_tickets,
    id_counters,
    my_software,
    org_members,
    orgs,
    software_artifacts,
    users,
)

# ---------------------------------------------------------------- search criteria


@dataclass(frozen=True, slots=True)
class Condition:
    """`column == value` (or `!=`); `*` in a text value matches any run of characters. The
    value has the column's kind (`value_kind`): a database compares like with like only."""

    column: str
    value: str | int | bool | datetime
    negated: bool = False


def value_kind(column: Any) -> type:
    """What a condition on `column` compares it with: bool, int, datetime or str."""
    column_type = column.type
    if isinstance(column_type, TypeDecorator):
        column_type = column_type.impl_instance
    if isinstance(column_type, Boolean):
        return bool
    if isinstance(column_type, Integer):
        return int
    if isinstance(column_type, DateTime):
        return datetime
    return str


@dataclass(frozen=True, slots=True)
class Criteria:
    """What a listing asks for: conditions all true, an order, one page."""

    conditions: tuple[Condition, ...] = ()
    order_by: str | None = None
    descending: bool = False
    count: int | None = None
    offset: int = 0


def _matches(column: Any, condition: Condition, dialect: str) -> ColumnElement[bool]:
    value = condition.value
    test: ColumnElement[bool]
    if isinstance(value, str) and "*" in value and dialect == "sqlite":
        # SQLite's LIKE ignores the case of ASCII letters; its GLOB does not, like PostgreSQL's
        # LIKE: both stores then find the same rows. `?` and `[` are GLOB's too: bracketed.
        pattern = "".join(f"[{char}]" if char in "?[" else char for char in value)
        test = column.op("GLOB", is_comparison=True)(pattern)
    elif isinstance(value, str) and "*" in value:
        escaped = (value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")).replace(
            "*", "%"
        )
        test = column.like(escaped, escape="\\")
    else:
        test = column == value
    if not condition.negated:
        return test
    # A field without a value differs from any value (SQL's NULL would match neither way).
    return or_(not_(test), column.is_(None))


def criteria_where(
    statement: Select[Any], columns: dict[str, Any], criteria: Criteria, dialect: str
) -> Select[Any]:
    """`statement` narrowed to the rows meeting `criteria`'s conditions (`columns`: the
    listing's wire names -> columns). Any listing's, the appliances' too."""
    for condition in criteria.conditions:
        statement = statement.where(_matches(columns[condition.column], condition, dialect))
    return statement


def criteria_page(
    statement: Select[Any],
    columns: dict[str, Any],
    criteria: Criteria,
    default_order: Any,
    dialect: str,
) -> Select[Any]:
    """`statement` narrowed, ordered (ties broken by `default_order`) and cut to the page
    `criteria` asks for."""
    statement = criteria_where(statement, columns, criteria, dialect)
    order = columns[criteria.order_by] if criteria.order_by else default_order
    order = order.desc() if criteria.descending else order.asc()
    # The id breaks ties, so that pages never overlap nor skip a row.
    statement = statement.order_by(order, default_order)
    if criteria.offset:
        statement = statement.offset(criteria.offset)
    if criteria.count is not None:
        statement = statement.limit(criteria.count)
    return statement


# ---------------------------------------------------------------- mySoftware details


@dataclass(frozen=True, slots=True)
class CategoryRecord:
    db_id: int
    org_id: int
    name: str
    type: str
    created: datetime
    last_modified: datetime


@dataclass(frozen=True, slots=True)
class ArtifactRecord:
    db_id: int
    my_software_id: int
    kind: str
    position: int
    parent_position: int | None
    directory: bool
    name: str
    tag: str | None
    install_location: str | None
    attributes: dict[str, Any]
    size: int
    sha256: str | None
    md5: str | None
    has_content: bool
    created: datetime


@dataclass(frozen=True, slots=True)
class SoftwareDetails:
    """What a mySoftware document shows beyond its own fields."""

    category: CategoryRecord | None
    artifacts: tuple[ArtifactRecord, ...]
    # The bundle file's other top-level keys, as an import kept them (JSON text).
    attributes: str | None = None

    @property
    def files(self) -> tuple[ArtifactRecord, ...]:
        return tuple(artifact for artifact in self.artifacts if artifact.kind == "file")

    @property
    def license(self) -> ArtifactRecord | None:
        return next((a for a in self.artifacts if a.kind == "license"), None)

    @property
    def logo(self) -> ArtifactRecord | None:
        return next((a for a in self.artifacts if a.kind == "logo"), None)

    def digest_parts(self) -> tuple[object, ...]:
        category = self.category
        parts: list[object] = [(category.db_id, category.name, category.type) if category else None]
        for artifact in self.artifacts:
            parts += [artifact.db_id, artifact.kind, artifact.name, artifact.size, artifact.sha256]
            parts += [artifact.install_location, artifact.tag, json.dumps(artifact.attributes)]
        return tuple(parts)


NO_DETAILS = SoftwareDetails(category=None, artifacts=())

_ARTIFACT_COLUMNS = (
    software_artifacts.c.db_id,
    software_artifacts.c.my_software_id,
    software_artifacts.c.kind,
    software_artifacts.c.position,
    software_artifacts.c.parent_position,
    software_artifacts.c.directory,
    software_artifacts.c.name,
    software_artifacts.c.tag,
    software_artifacts.c.install_location,
    software_artifacts.c.attributes,
    software_artifacts.c.size,
    software_artifacts.c.sha256,
    software_artifacts.c.md5,
    (software_artifacts.c.content.is_not(None)).label("has_content"),
    software_artifacts.c.created,
)


def _artifact(row: Any) -> ArtifactRecord:
    values = row._asdict()
    values["attributes"] = json.loads(values["attributes"]) if values["attributes"] else {}
    values["has_content"] = bool(values["has_content"])
    values["directory"] = bool(values["directory"])
    return ArtifactRecord(**values)


def software_details(
    connection: Connection, *, db_ids: Sequence[int]
) -> dict[int, SoftwareDetails]:
    """The category and artifacts of each mySoftware of `db_ids` (those without: NO_DETAILS)."""
    if not db_ids:
        return {}
    found: dict[int, tuple[CategoryRecord | None, list[ArtifactRecord]]] = {}
    rows = connection.execute(
        select(my_software.c.db_id, categories)
        .select_from(my_software.join(categories, categories.c.db_id == my_software.c.category_id))
        .where(my_software.c.db_id.in_(db_ids))
    ).all()
    for row in rows:
        values = row._asdict()
        software_id = values.pop("db_id")
        category = CategoryRecord(
            db_id=values["db_id_1"],
            org_id=values["org_id"],
            name=values["name"],
            type=values["type"],
            created=values["created"],
            last_modified=values["last_modified"],
        )
        found[software_id] = (category, [])
    artifact_rows = connection.execute(
        select(*_ARTIFACT_COLUMNS)
        .where(software_artifacts.c.my_software_id.in_(db_ids))
        .order_by(software_artifacts.c.my_software_id, software_artifacts.c.position)
    ).all()
    for row in artifact_rows:
        artifact = _artifact(row)
        found.setdefault(artifact.my_software_id, (None, []))[1].append(artifact)
    kept: dict[int, str] = {
        row.db_id: row.attributes
        for row in connection.execute(
            select(my_software.c.db_id, my_software.c.attributes).where(
                my_software.c.db_id.in_(db_ids), my_software.c.attributes.is_not(None)
            )
        )
    }
    for db_id in kept:
        found.setdefault(db_id, (None, []))
    return {
        db_id: SoftwareDetails(
            category=category, artifacts=tuple(artifacts), attributes=kept.get(db_id)
        )
        for db_id, (category, artifacts) in found.items()
    }


def artifact_contents(connection: Connection, *, my_software_id: int) -> dict[int, bytes]:
    """The bytes of each artifact of a mySoftware that has them, by artifact id."""
    rows = connection.execute(
        select(software_artifacts.c.db_id, software_artifacts.c.content).where(
            software_artifacts.c.my_software_id == my_software_id,
            software_artifacts.c.content.is_not(None),
        )
    ).all()
    return {row.db_id: bytes(row.content) for row in rows}


# ---------------------------------------------------------------- listing

# The columns a mySoftware listing may filter and order on, by their wire names.
MY_SOFTWARE_COLUMNS = {
    "name": my_software.c.name,
    "version": my_software.c.version,
    "description": my_software.c.description,
    "dbId": my_software.c.db_id,
    "created": my_software.c.created,
    "lastModified": my_software.c.last_modified,
    "size": my_software.c.size,
}


@dataclass(frozen=True, slots=True)
class Page:
    total: int
    items: list[MySoftwareRecord]
    details: dict[int, SoftwareDetails]


def my_software_page(connection: Connection, *, owner_id: int, criteria: Criteria) -> Page:
    """One page of the mySoftware of `owner_id` that meet `criteria`, and how many do."""
    base = (
        select(my_software, users.c.login.label("owner_login"))
        .select_from(my_software.join(users, users.c.id == my_software.c.owner_id))
        .where(my_software.c.owner_id == owner_id)
    )
    dialect = connection.dialect.name
    rows = connection.execute(
        criteria_page(base, MY_SOFTWARE_COLUMNS, criteria, my_software.c.db_id, dialect)
    ).all()
    total = connection.execute(
        criteria_where(
            select(func.count()).select_from(my_software).where(my_software.c.owner_id == owner_id),
            MY_SOFTWARE_COLUMNS,
            criteria,
            dialect,
        )
    ).scalar_one()
    items = [MySoftwareRecord.model_validate(row._asdict()) for row in rows]
    details = software_details(connection, db_ids=[item.db_id for item in items])
    return Page(total=int(total), items=items, details=details)


# ---------------------------------------------------------------- writes

# The fields a client may set on a mySoftware (create, update, clone), by wire name: its own
# fields but those that only a seed sets (how its exports behave) and what the platform keeps
# (size and revision follow its files).
_SETTABLE = {
    name
    for name in MySoftwareFields.model_fields
    if name
    not in {"export_duration_seconds", "export_outcome", "size", "installed_size", "revision"}
}


def settable_fields(wire_fields: dict[str, Any]) -> dict[str, Any]:
    """The column values of a client's mySoftware fields (camelCase in, snake_case out)."""
    by_wire = {camel_case(name): name for name in _SETTABLE}
    return {by_wire[key]: value for key, value in wire_fields.items() if key in by_wire}


def next_my_software_id(connection: Connection) -> int:
    """The id of a new mySoftware: after every existing one (they are seeded with ids of their
    own, so the table does not number them).

    The table's writers are held off first, until this transaction ends: two creates at once
    would otherwise both read the same largest id, and one insert fail. (PostgreSQL: SHARE ROW
    EXCLUSIVE conflicts with itself and with every write, not with reads; SQLite: a write, even
    of nothing, takes the database's one write lock before the read.)"""
    if connection.dialect.name == "postgresql":
        connection.execute(text("LOCK TABLE my_software IN SHARE ROW EXCLUSIVE MODE"))
    else:
        connection.execute(delete(my_software).where(false()))
    largest = connection.execute(select(func.max(my_software.c.db_id))).scalar_one()
    handed_out = connection.execute(
        select(id_counters.c.last).where(id_counters.c.name == MY_SOFTWARE_COUNTER)
    ).scalar()
    db_id = max(int(largest or 0), int(handed_out or 0)) + 1
    _remember_id(connection, db_id)
    return db_id


# The id_counters row of mySoftware ids.
MY_SOFTWARE_COUNTER = "my_software"


def _remember_id(connection: Connection, db_id: int) -> None:
    """Record `db_id` as handed out (or deleted), so that no new mySoftware takes it. (The
    migration makes the row; a reset keeps it, so ids are not handed out again after one.)"""
    connection.execute(
        update(id_counters)
        .where(id_counters.c.name == MY_SOFTWARE_COUNTER, id_counters.c.last < db_id)
        .values(last=db_id)
    )


def create_my_software(
    connection: Connection,
    *,
    owner_id: int,
    values: dict[str, Any],
    category_id: int | None,
    now: datetime,
) -> int:
    db_id = next_my_software_id(connection)
    connection.execute(
        insert(my_software).values(
            db_id=db_id,
            owner_id=owner_id,
            category_id=category_id,
            created=now,
            last_modified=now,
            **values,
        )
    )
    return db_id


def update_my_software(
    connection: Connection,
    *,
    db_id: int,
    values: dict[str, Any],
    category_id: int | None,
    set_category: bool,
    now: datetime,
) -> bool:
    """Set `values` (and the category, when `set_category`); whether the mySoftware was
    still there."""
    changes = dict(values)
    if set_category:
        changes["category_id"] = category_id
    changes["last_modified"] = now
    changes["revision"] = my_software.c.revision + 1
    result = connection.execute(
        update(my_software).where(my_software.c.db_id == db_id).values(**changes)
    )
    return result.rowcount == 1


def delete_my_software(connection: Connection, *, db_id: int) -> bool:
    """Delete it with its artifacts and export tickets (the foreign keys cascade); its id is
    never handed out again."""
    _remember_id(connection, db_id)
    connection.execute(
        delete(software_artifacts).where(software_artifacts.c.my_software_id == db_id)
    )
    connection.execute(delete(export_tickets).where(export_tickets.c.my_software_id == db_id))
    result = connection.execute(delete(my_software).where(my_software.c.db_id == db_id))
    return result.rowcount == 1


def clone_my_software(
    connection: Connection, *, db_id: int, values: dict[str, Any], now: datetime
) -> int | None:
    """A copy of the mySoftware `db_id` (its fields, category and artifacts) with `values`
    over them; its id, or None when the original is gone."""
    original = connection.execute(select(my_software).where(my_software.c.db_id == db_id)).first()
    if original is None:
        return None
    row = original._asdict()
    new_id = next_my_software_id(connection)
    row.update(values)
    row.update(db_id=new_id, created=now, last_modified=now, revision=1, imported=False)
    connection.execute(insert(my_software).values(**row))
    artifacts = connection.execute(
        select(software_artifacts).where(software_artifacts.c.my_software_id == db_id)
    ).all()
    for artifact in artifacts:
        copy = artifact._asdict()
        copy.pop("db_id")
        copy.update(my_software_id=new_id, created=now)
        connection.execute(insert(software_artifacts).values(**copy))
    return new_id


# ---------------------------------------------------------------- orgs and categories


@dataclass(frozen=True, slots=True)
class OrgRecord:
    db_id: int
    name: str
    created: datetime
    last_modified: datetime
    admin: bool
    default_org: bool


def orgs_of(connection: Connection, *, user_id: int) -> list[OrgRecord]:
    """The orgs `user_id` belongs to, its default org first."""
    rows = connection.execute(
        select(orgs, org_members.c.admin, org_members.c.default_org)
        .select_from(orgs.join(org_members, org_members.c.org_id == orgs.c.db_id))
        .where(org_members.c.user_id == user_id)
        .order_by(org_members.c.default_org.desc(), orgs.c.db_id)
    ).all()
    return [OrgRecord(**row._asdict()) for row in rows]


def org_by_id(connection: Connection, *, db_id: int) -> OrgRecord | None:
    row = connection.execute(select(orgs).where(orgs.c.db_id == db_id)).first()
    if row is None:
        return None
    return OrgRecord(**row._asdict(), admin=False, default_org=False)


CATEGORY_COLUMNS = {
    "name": categories.c.name,
    "type": categories.c.type,
    "dbId": categories.c.db_id,
    "created": categories.c.created,
    "lastModified": categories.c.last_modified,
}


def categories_of(
    connection: Connection, *, org_id: int, criteria: Criteria
) -> tuple[int, list[CategoryRecord]]:
    base = select(categories).where(categories.c.org_id == org_id)
    dialect = connection.dialect.name
    rows = connection.execute(
        criteria_page(base, CATEGORY_COLUMNS, criteria, categories.c.db_id, dialect)
    ).all()
    total = connection.execute(
        criteria_where(
            select(func.count()).select_from(categories).where(categories.c.org_id == org_id),
            CATEGORY_COLUMNS,
            criteria,
            dialect,
        )
    ).scalar_one()
    return int(total), [CategoryRecord(**row._asdict()) for row in rows]


def project_category(
    connection: Connection, *, user_id: int, name: str | None, db_id: int | None
) -> int | None:
    """The PROJECT category of one of `user_id`'s orgs named `name` (or with id `db_id`);
    None when there is none (a client naming an unknown category gets no category)."""
    statement = (
        select(categories.c.db_id)
        .select_from(categories.join(org_members, org_members.c.org_id == categories.c.org_id))
        .where(org_members.c.user_id == user_id, categories.c.type == "PROJECT")
    )
    if db_id is not None:
        statement = statement.where(categories.c.db_id == db_id)
    elif name is not None:
        statement = statement.where(categories.c.name == name)
    else:
        return None
    found = connection.execute(statement.order_by(categories.c.db_id).limit(1)).scalar()
    return int(found) if found is not None else None
