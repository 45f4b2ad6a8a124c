"""What every part of a seed shares, light enough for the command line (which catches
`SeedError` without loading the store): the error of a document that cannot be loaded, its
problems as they are reported, how a value is shown in one, and the rules every entry of
every section obeys (`SeedEntry`, `DbId`, `utc`)."""

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

# A report names the first problems and counts the rest: a document with a million bad entries
# is refused in a few lines, not in a million (nor in the memory a million take).
MAX_REPORTED_PROBLEMS = 20
# A problem quotes what the document says (a login, a key): a long one is cut.
MAX_PROBLEM_LENGTH = 300


def shorten(text: str, limit: int = MAX_PROBLEM_LENGTH) -> str:
    """`text`, cut to `limit` characters with a note of its real length."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text)} characters)"


class SeedError(Exception):
    """A seed document that cannot be loaded; `problems` holds one line per problem, at most
    `MAX_REPORTED_PROBLEMS` of them and then a line counting the others (`count`: how many
    there are in all)."""

    def __init__(self, source: str, problems: Iterable[str], *, more: int = 0) -> None:
        """`more`: problems found beyond those in `problems` (counted, not described)."""
        kept: list[str] = []
        for problem in problems:
            if len(kept) < MAX_REPORTED_PROBLEMS:
                kept.append(shorten(problem))
            else:
                more += 1
        self.source = source
        self.count = len(kept) + more
        if more:
            kept.append(f"... and {more} more problems ({self.count} in all)")
        self.problems = kept
        super().__init__("\n".join(f"{source}: {problem}" for problem in kept))


class Problems:
    """Problems as a check finds them: the first `MAX_REPORTED_PROBLEMS` described, the rest
    only counted."""

    def __init__(self) -> None:
        self.described: list[str] = []
        self.more = 0

    def add(self, problem: str) -> None:
        if len(self.described) < MAX_REPORTED_PROBLEMS:
            self.described.append(problem)
        else:
            self.more += 1

    def __bool__(self) -> bool:
        return bool(self.described)

    def error(self, source: str) -> SeedError:
        return SeedError(source, self.described, more=self.more)


# ---------------------------------------------------------------- what every entry obeys


def shown(value: Any) -> str:
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
    # Imported here: the command line imports this module, and the tables (SQLAlchemy) only
    # when a command needs the store.
    from uforge_mock.store.models import MAX_SEED_ID

    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_SEED_ID:
        raise PydanticCustomError(
            "db_id",
            "a dbId is a whole number from 1 to {largest}, not {given}",
            {"largest": MAX_SEED_ID, "given": shown(value)},
        )
    return value


DbId = Annotated[int, BeforeValidator(_db_id)]


class SeedEntry(BaseModel):
    """An entry of a section: no key the format does not know, and text as the store keeps it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    @field_validator("*")
    @classmethod
    def _storable(cls, value: Any, info: ValidationInfo) -> Any:
        """PostgreSQL text cannot hold NUL, and the renderers show it as U+FFFD anyway, so text
        is stored that way on every backend (a password is hashed, a content is stored as
        bytes: they keep their NUL)."""
        if info.field_name in ("password", "content"):
            return value
        if isinstance(value, str):
            return value.replace("\x00", "\ufffd")
        if isinstance(value, list):
            return [
                item.replace("\x00", "\ufffd") if isinstance(item, str) else item for item in value
            ]
        return value


def utc(value: datetime | None) -> datetime | None:
    """A time in UTC (one without a zone is taken as UTC)."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC) if value is not None else None
