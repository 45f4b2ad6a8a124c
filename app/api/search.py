"""The query parameters of the platform's listings (`query`, `orderBy`, `descending`, `count`,
`offset`) -> `Criteria` for the store.

`query` is the platform's search criteria, of which the mock understands the form clients
send: conditions `field==value` or `field!=value` joined by `;` (and), the value optionally
in single or double quotes, `*` matching any run of characters. hammr's `bundle categories`
sends `type=='PROJECT'`. A field the listing does not know, or anything else, is a 400 that
names what is allowed: a silent empty list would hide the client's mistake.
"""

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request

from uforge_mock.store.library import Condition, Criteria, value_kind
from uforge_mock.wire.bodies import carriable
from uforge_mock.wire.errors import BadRequest

# A page holds at most this many objects, whatever `count` asks.
MAX_COUNT = 1000
MAX_QUERY_LENGTH = 2048
MAX_CONDITIONS = 16

# A boolean in a query string, in any case: the official SDK writes Python's `True`.
BOOLEAN_TEXT = {"type": "string", "pattern": "^([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee])$"}

SEARCH_PARAMETERS = [
    {
        "name": "query",
        "in": "query",
        "required": False,
        "description": (
            "Search criteria: `field==value` or `field!=value`, joined by `;`; the value may be "
            "quoted, `*` matches anything (e.g. `name=='Zab*'`)"
        ),
        "schema": {"type": "string", "maxLength": MAX_QUERY_LENGTH},
    },
    {
        "name": "orderBy",
        "in": "query",
        "required": False,
        "description": "The field to order by (default: dbId)",
        "schema": {"type": "string"},
    },
    {
        "name": "descending",
        "in": "query",
        "required": False,
        "description": "`true` for descending order (`false` by default; case-insensitive, as "
        "the SDK sends Python's `True`)",
        "schema": BOOLEAN_TEXT,
    },
    {
        "name": "count",
        "in": "query",
        "required": False,
        "description": f"At most this many objects (1 to {MAX_COUNT}; default {MAX_COUNT})",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_COUNT},
    },
    {
        "name": "offset",
        "in": "query",
        "required": False,
        "description": "Skip this many objects first",
        "schema": {"type": "integer", "minimum": 0},
    },
]


def criteria_of(request: Request, fields: Mapping[str, Any]) -> Criteria:
    """The listing criteria of `request`'s query, over `fields` (wire names -> the store's
    columns, whose kinds the values must have)."""
    params = request.query_params
    known = sorted(fields)
    conditions = _conditions(params.get("query"), fields)
    order_by = params.get("orderBy") or None
    if order_by is not None and order_by not in fields:
        raise BadRequest(f"Cannot order by {order_by!r}: use one of " + ", ".join(known), order_by)
    return Criteria(
        conditions=conditions,
        order_by=order_by,
        descending=_boolean(params.get("descending"), "descending"),
        count=_integer(params.get("count"), "count", low=1, high=MAX_COUNT) or MAX_COUNT,
        offset=_integer(params.get("offset"), "offset", low=0, high=2**53) or 0,
    )


def _conditions(query: str | None, fields: Mapping[str, Any]) -> tuple[Condition, ...]:
    known = sorted(fields)
    if not query or not query.strip():
        return ()
    if len(query) > MAX_QUERY_LENGTH:
        raise BadRequest(f"The query is longer than {MAX_QUERY_LENGTH} characters")
    parts = [part for part in query.split(";") if part.strip()]
    if len(parts) > MAX_CONDITIONS:
        raise BadRequest(f"The query has more than {MAX_CONDITIONS} conditions")
    conditions = []
    for part in parts:
        negated = "!=" in part
        field, operator, value = part.partition("!=" if negated else "==")
        field, value = field.strip(), value.strip()
        if not operator or not field:
            raise BadRequest(
                f"Cannot read the query condition {part.strip()!r}: write field==value", part
            )
        if field not in known:
            raise BadRequest(f"Cannot search on {field!r}: use one of " + ", ".join(known), field)
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        typed = _value(field, value, value_kind(fields[field]))
        conditions.append(Condition(column=field, value=typed, negated=negated))
    return tuple(conditions)


# An xs:long, the widest number a column holds: a wider one is no value of the field.
_LONG = 2**63


def _value(field: str, text: str, kind: type) -> str | int | bool | datetime:
    """`text` as a value of the field's kind: `true` or `false` (any case), a whole number, a
    date and time, or text that XML can carry (a database compares like with like, and
    PostgreSQL text holds no NUL)."""
    if kind is bool:
        return _boolean(text, field)
    if kind is int:
        digits = text.removeprefix("-")
        if digits.isascii() and digits.isdigit() and len(digits) <= 19:
            number = int(text)
            if -_LONG <= number < _LONG:
                return number
        raise BadRequest(f"{field} takes a whole number, not {text!r}", field)
    if kind is datetime:
        try:
            instant = datetime.fromisoformat(text)
            if instant.tzinfo is None:
                return instant.replace(tzinfo=UTC)
            return instant.astimezone(UTC)
        except (ValueError, OverflowError):  # Overflow: 0001-01-01T00:00+01:00 in UTC
            raise BadRequest(
                f"{field} takes a date and time (2019-06-05T21:40:12.000Z), not {text!r}", field
            ) from None
    if not carriable(text):
        raise BadRequest(f"The value of {field} holds a character that XML cannot carry", field)
    return text


# A parameter given empty (`count=`) is a mistake, not a default: the document types these
# as a boolean or an integer, which an empty string is not.


def _boolean(text: str | None, name: str) -> bool:
    if text is None:
        return False
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    raise BadRequest(f"{name} must be true or false", name)


def _integer(text: str | None, name: str, *, low: int, high: int) -> int | None:
    if text is None:
        return None
    if not text.isascii() or not text.isdigit() or len(text) > 17 or not low <= int(text) <= high:
        raise BadRequest(f"{name} must be an integer from {low} to {high}", name)
    return int(text)
