"""The store's tables, as SQLModel models. Tables only: queries live in `uforge_mock.store.queries`.

Times are aware datetimes in UTC (SQLModel's UTCDateTime stores them so on every backend).
"""

from datetime import datetime

from pydantic import field_validator
from sqlalchemy import BigInteger, Column, ForeignKey, Integer
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


# The seed file's names where they are not the camelCase of the field (SEED.md).
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
    created: datetime
    last_modified: datetime


class ExportJob(SQLModel):
    """The columns of an export job, whatever it exports: a family's ticket table is these
    plus its own id and the key of the exported row. Its status is derived from these facts
    and the clock (`uforge_mock.jobs.simulation`)."""

    output_format: str = Field(default="yaml", max_length=8)
    created: datetime
    # When the ticket's facts last changed (seeded, patched), not when its progress moved.
    last_modified: datetime
    duration_seconds: float = 0.0
    outcome: str = Field(default="complete", max_length=16)
    percentage: int = 0
    message: str | None = None
    error_message: str | None = None
    detailed_error_msg: str | None = None


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


class MockClock(SQLModel, table=True):
    """The mock's time, shared by every server process on the store (one row, id 1).

    Mock time is `frozen_at` while frozen, else the system time plus `offset_seconds`.
    """

    __tablename__ = "mock_clock"

    id: int = Field(default=1, primary_key=True)
    frozen_at: datetime | None = None
    offset_seconds: float = 0.0
