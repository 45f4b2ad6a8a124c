"""The store's tables, as SQLModel models. Tables only: queries live in `uforge_mock.store.queries`.

Times are aware datetimes in UTC (SQLModel's UTCDateTime stores them so on every backend).
"""

from datetime import datetime

from pydantic import field_validator
from sqlalchemy import BigInteger, Column, ForeignKey, Integer, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from uforge_mock.jobs.simulation import OUTCOMES

# The largest dbId: 2^53 - 1, the largest integer a JavaScript client holds exactly (a JSON
# number is a double there), though the vendor's xs:long goes further. A path naming a larger
# one names nothing.
MAX_ID = 2**53 - 1
# The largest dbId a seed may give. The store numbers new export tickets after the largest
# ticket id, one at a time: ids up to 2^52 leave it 2^52 - 1 new ids (at ten thousand creates a
# second, fourteen thousand years) before MAX_ID, so its own ids stay exact too, and an id near
# the column's 64-bit limit (where SQLite and PostgreSQL stop numbering) is never reached.
MAX_SEED_ID = 2**52
# The largest xs:long (sizes and revisions, which no client needs to be exact to the unit).
MAX_LONG = 2**63 - 1

# SQLite only auto-numbers a column declared exactly INTEGER PRIMARY KEY; elsewhere ids are 64-bit
# like the vendor's xs:long dbIds.
Id64 = BigInteger().with_variant(Integer(), "sqlite")


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, sa_column=Column(Id64, primary_key=True))
    login: str = Field(max_length=255, unique=True, index=True)
    password_hash: str = Field(max_length=512)
    admin: bool = False
    created: datetime


class Entitlement(SQLModel, table=True):
    __tablename__ = "entitlements"

    user_id: int = Field(
        sa_column=Column(Id64, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    )
    name: str = Field(max_length=128, primary_key=True)


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_keys"

    public_key: str = Field(max_length=255, primary_key=True)
    user_id: int = Field(
        sa_column=Column(
            Id64, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    # Kept in clear: verifying an HMAC signature needs the secret itself.
    secret_key: str = Field(max_length=255)


class MySoftwareFields(SQLModel):
    """The fields of a mySoftware that are its own: the one declaration of them.

    The table below stores them, the seed format reads them (`seed.SeedMySoftware`, by their
    camelCase names, `seed_name`), the store's record carries them (`queries`) and the
    `mySoftware` document shows those its wire type has (`api.views`, by camelCase name), and
    they are part of its digest. Adding a field here, plus a migration, is all it takes.
    """

    name: str = Field(min_length=1)
    version: str = ""
    description: str | None = None
    tag: str | None = None
    short_tag: str | None = None
    release: str | None = None
    default_install_location: str | None = None
    install_location: str | None = None
    restricted: bool = False
    installed_size: int | None = Field(default=None, ge=0, le=MAX_LONG, sa_type=BigInteger)
    size: int = Field(default=0, ge=0, le=MAX_LONG, sa_type=BigInteger)
    revision: int = Field(default=1, ge=0, le=MAX_LONG, sa_type=BigInteger)
    maintainer: str | None = None
    website: str | None = None
    imported: bool = False
    generation_enabled: bool = False
    format_dependent: bool = False
    # How this software's new exports behave; None means the server's settings. (Seed-only:
    # the wire type has no such fields.)
    export_duration_seconds: float | None = Field(default=None, ge=0, le=10**9)
    export_outcome: str | None = Field(default=None, max_length=16)

    @field_validator("export_outcome")
    @classmethod
    def _known_outcome(cls, value: str | None) -> str | None:
        if value is not None and value not in OUTCOMES:
            raise ValueError("Input should be " + ", ".join(repr(o) for o in OUTCOMES))
        return value


# The seed file's names where they are not the camelCase of the field (docs/SEED.md).
SEED_NAMES = {"export_duration_seconds": "exportDuration", "export_outcome": "exportOutcome"}


def camel_case(name: str) -> str:
    """`short_tag` -> `shortTag`: the UForge objects' field names."""
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def seed_name(name: str) -> str:
    return SEED_NAMES.get(name) or camel_case(name)


class MySoftware(MySoftwareFields, table=True):
    __tablename__ = "my_software"

    db_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    owner_id: int = Field(
        sa_column=Column(
            Id64, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    # Its category (a PROJECT category of one of the owner's orgs); deleting the category
    # leaves the software uncategorised.
    category_id: int | None = Field(
        default=None,
        sa_column=Column(
            Id64,
            ForeignKey("categories.db_id", ondelete="SET NULL", name="fk_my_software_category_id"),
            nullable=True,
            index=True,
        ),
    )
    # The bundle file's other top-level keys (JSON text), kept so that an export writes them
    # back as an import read them.
    attributes: str | None = None
    created: datetime
    last_modified: datetime


class Org(SQLModel, table=True):
    """An organization: the platform's unit of membership, holding categories."""

    __tablename__ = "orgs"
    __table_args__ = {"sqlite_autoincrement": True}

    db_id: int | None = Field(default=None, sa_column=Column(Id64, primary_key=True))
    name: str = Field(max_length=255, unique=True)
    created: datetime
    last_modified: datetime


class OrgMember(SQLModel, table=True):
    """A user's membership of an org (`admin`: an administrator of it)."""

    __tablename__ = "org_members"

    org_id: int = Field(
        sa_column=Column(Id64, ForeignKey("orgs.db_id", ondelete="CASCADE"), primary_key=True)
    )
    user_id: int = Field(
        sa_column=Column(Id64, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    )
    admin: bool = False
    # The org listed first for the user (hammr's `bundle categories` reads the first).
    default_org: bool = False


# The vendor's category types (`Category/type` in uforge.xsd).
CATEGORY_TYPES = ("PROJECT", "TEMPLATE", "IMAGEFORMAT")


class Category(SQLModel, table=True):
    __tablename__ = "categories"
    __table_args__ = (
        UniqueConstraint("org_id", "type", "name"),
        {"sqlite_autoincrement": True},
    )

    db_id: int | None = Field(default=None, sa_column=Column(Id64, primary_key=True))
    org_id: int = Field(
        sa_column=Column(
            Id64, ForeignKey("orgs.db_id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    name: str = Field(max_length=255)
    type: str = Field(default="PROJECT", max_length=16)
    created: datetime
    last_modified: datetime


# What a row of `software_artifacts` is to its mySoftware.
ARTIFACT_KINDS = ("file", "license", "logo")


class SoftwareArtifact(SQLModel, table=True):
    """A file of a mySoftware (an entry of its bundle file's `files`, nested by `parent_id`),
    or its license or logo: what it is called, where it installs, and its bytes when an
    archive carried them (an `ospkg` entry names an OS package and has none)."""

    __tablename__ = "software_artifacts"
    __table_args__ = {"sqlite_autoincrement": True}

    db_id: int | None = Field(default=None, sa_column=Column(Id64, primary_key=True))
    my_software_id: int = Field(
        sa_column=Column(
            BigInteger,
            ForeignKey("my_software.db_id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        )
    )
    kind: str = Field(default="file", max_length=8)
    # Its place among its mySoftware's artifacts: the bundle file's order.
    position: int = 0
    # The position of the directory entry holding it (None: at the top of `files`).
    parent_position: int | None = None
    # An entry that lists files of its own (a folder); it has no bytes.
    directory: bool = False
    name: str = Field(max_length=1024)
    tag: str | None = Field(default=None, max_length=64)
    install_location: str | None = Field(default=None, max_length=4096)
    # The bundle file's other keys of its entry (JSON text), kept so that an export writes
    # the entry as it was imported.
    attributes: str | None = None
    size: int = Field(default=0, ge=0, le=MAX_LONG, sa_type=BigInteger)
    sha256: str | None = Field(default=None, max_length=64)
    md5: str | None = Field(default=None, max_length=32)
    content: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    created: datetime


class Job(SQLModel):
    """The columns of an asynchronous job (an export, an import): its status is derived
    from these facts and the clock (`uforge_mock.jobs.simulation`)."""

    created: datetime
    # When the ticket's facts last changed (seeded, patched), not when its progress moved.
    last_modified: datetime
    duration_seconds: float = 0.0
    outcome: str = Field(default="complete", max_length=16)
    percentage: int = 0
    message: str | None = None
    error_message: str | None = None
    detailed_error_msg: str | None = None


class ExportJob(Job):
    """The columns of an export job, whatever it exports: a family's ticket table is these
    plus its own id and the key of the exported row."""

    output_format: str = Field(default="yaml", max_length=8)


class ExportTicket(ExportJob, table=True):
    """One software-bundle export (of a mySoftware)."""

    __tablename__ = "export_tickets"
    # AUTOINCREMENT: SQLite never hands out an id again after a delete (PostgreSQL sequences
    # never do).
    __table_args__ = {"sqlite_autoincrement": True}

    db_id: int | None = Field(default=None, sa_column=Column(Id64, primary_key=True))
    my_software_id: int = Field(
        sa_column=Column(
            BigInteger,
            ForeignKey("my_software.db_id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        )
    )


class BundleImport(Job, table=True):
    """A software-bundle import ticket: made empty, then an archive is uploaded to it.

    The job's `created` is when the ticket was made; its run starts at `uploaded` (None:
    waiting for the archive). An accepted archive becomes the mySoftware `my_software_id`
    at once; a refused one keeps its reason in the job's error fields and makes nothing.
    """

    __tablename__ = "bundle_imports"
    __table_args__ = {"sqlite_autoincrement": True}

    db_id: int | None = Field(default=None, sa_column=Column(Id64, primary_key=True))
    owner_id: int = Field(
        sa_column=Column(
            Id64, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    # `imported=true` (hammr's `bundle import`) or false (`bundle create`).
    imported: bool = False
    uploaded: datetime | None = None
    archive_size: int | None = Field(default=None, ge=0, le=MAX_LONG, sa_type=BigInteger)
    my_software_id: int | None = Field(
        default=None,
        sa_column=Column(
            BigInteger, ForeignKey("my_software.db_id", ondelete="SET NULL"), nullable=True
        ),
    )


class ApplianceFields(SQLModel):
    """The fields of an appliance (a template) that are its own: the one declaration of them.

    Its table stores them, the seed format reads them (by `seed_name`), the store's record
    carries them (`appliances.ApplianceRecord`), the `appliance` document shows them (by
    camelCase name where the wire type has the field; the OS fields make `distributionName`
    and `archName`) and the template archive writes them. Adding a field here, plus a
    migration, is all it takes.
    """

    name: str = Field(min_length=1, max_length=255)
    version: str = Field(default="", max_length=255)
    description: str | None = None
    # The operating system it is built on: `os` of hammr's template file (name, version,
    # arch, profile); on the wire `distributionName` is "name version".
    distribution_name: str = Field(default="CentOS", min_length=1, max_length=255)
    distribution_version: str = Field(default="7", max_length=64)
    arch_name: str = Field(default="x86_64", min_length=1, max_length=32)
    os_profile: str | None = Field(default=None, max_length=255)
    imported: bool = False
    shared: bool = False
    nb_updates: int = Field(default=0, ge=0, le=2**31 - 1)
    # How this template's new exports behave; None means the server's settings (seed-only).
    export_duration_seconds: float | None = Field(default=None, ge=0, le=10**9)
    export_outcome: str | None = Field(default=None, max_length=16)

    @field_validator("export_outcome")
    @classmethod
    def _known_outcome(cls, value: str | None) -> str | None:
        if value is not None and value not in OUTCOMES:
            raise ValueError("Input should be " + ", ".join(repr(o) for o in OUTCOMES))
        return value


class Appliance(ApplianceFields, table=True):
    """An appliance template of a user. Numbered like mySoftware (seeds give ids; new ones
    come after every id handed out, `id_counters` row `appliances`)."""

    __tablename__ = "appliances"

    db_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    owner_id: int = Field(
        sa_column=Column(
            Id64, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    # The template file's other keys of its `stack` (JSON text), kept so that an export
    # writes them back as an import read them.
    attributes: str | None = None
    created: datetime
    last_modified: datetime


class ApplianceBundle(SQLModel, table=True):
    """A mySoftware an appliance holds (its `stack.bundles`, in order). Deleting the
    software takes it out of the appliance."""

    __tablename__ = "appliance_bundles"

    appliance_id: int = Field(
        sa_column=Column(
            BigInteger, ForeignKey("appliances.db_id", ondelete="CASCADE"), primary_key=True
        )
    )
    position: int = Field(primary_key=True)
    my_software_id: int = Field(
        sa_column=Column(
            BigInteger,
            ForeignKey("my_software.db_id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        )
    )


class ApplianceExportTicket(ExportJob, table=True):
    """One appliance export (`template export`)."""

    __tablename__ = "appliance_export_tickets"
    __table_args__ = {"sqlite_autoincrement": True}

    db_id: int | None = Field(default=None, sa_column=Column(Id64, primary_key=True))
    appliance_id: int = Field(
        sa_column=Column(
            BigInteger,
            ForeignKey("appliances.db_id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        )
    )


class ApplianceImport(Job, table=True):
    """An appliance import ticket (`template import` / `template create`): made empty with
    the query's flags, then an archive is uploaded to it; as `BundleImport`, an accepted
    archive becomes the appliance `appliance_id`, a refused one keeps its reason."""

    __tablename__ = "appliance_imports"
    __table_args__ = {"sqlite_autoincrement": True}

    db_id: int | None = Field(default=None, sa_column=Column(Id64, primary_key=True))
    owner_id: int = Field(
        sa_column=Column(
            Id64, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    # The query of `POST /users/{uid}/imports`: imported (`template import`, else `create`),
    # force, reuseBundles, useMajor.
    imported: bool = False
    force: bool = False
    reuse_bundles: bool = False
    use_major: bool = False
    uploaded: datetime | None = None
    archive_size: int | None = Field(default=None, ge=0, le=MAX_LONG, sa_type=BigInteger)
    appliance_id: int | None = Field(
        default=None,
        sa_column=Column(
            BigInteger, ForeignKey("appliances.db_id", ondelete="SET NULL"), nullable=True
        ),
    )


class IdCounter(SQLModel, table=True):
    """The largest id the server handed out (or deleted) in a table it numbers itself, where
    the table's own numbering cannot say it: mySoftware ids come from seeds too, and a
    deleted one's id is never handed out again."""

    __tablename__ = "id_counters"

    name: str = Field(max_length=64, primary_key=True)
    last: int = Field(sa_type=BigInteger)


class MockClock(SQLModel, table=True):
    """The mock's time, shared by every server process on the store (one row, id 1).

    Mock time is `frozen_at` while frozen, else the system time plus `offset_seconds`.
    """

    __tablename__ = "mock_clock"

    id: int = Field(default=1, primary_key=True)
    frozen_at: datetime | None = None
    offset_seconds: float = 0.0
