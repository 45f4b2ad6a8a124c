"""Conditional GET: `If-None-Match` (weak comparison, lists, `*`) and `If-Modified-Since`.

`If-Modified-Since` is looked at only when `If-None-Match` is absent (RFC 9110, 13.2.2).
Unparseable validators are ignored, never an error.
"""

import re
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from functools import lru_cache

# A match never starts inside a run of whitespace (`(?<!\s)`): started at the run's first
# character it reads the same tag, or fails the same way. Without that, a header of spaces
# made every position scan the rest of the run: quadratic, seconds of CPU for 20 KB. With it,
# each character is read a bounded number of times; the tags found are the same.
_ENTITY_TAG = re.compile(r'(?<!\s)\s*(?:W/)?("[^"]*")\s*(?:,|$)')


def entity_tags(header: str) -> list[str]:
    """The opaque tags (with their quotes, without `W/`) listed in an `If-None-Match` header."""
    return [match.group(1) for match in _ENTITY_TAG.finditer(header)]


def none_match(header: str, etag: str) -> bool:
    """True when `If-None-Match: header` matches `etag` (weak comparison): answer 304."""
    if header.strip() == "*":
        return True
    opaque = etag[2:] if etag.startswith("W/") else etag
    return opaque in entity_tags(header)


def not_modified_since(header: str, last_modified: datetime) -> bool:
    """True when the resource has not changed since the `If-Modified-Since` date."""
    try:
        since = parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError, OverflowError):
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    # HTTP dates have whole seconds: compare at that precision.
    return last_modified.replace(microsecond=0) <= since


def is_not_modified(
    *, if_none_match: str | None, if_modified_since: str | None, etag: str, last_modified: datetime
) -> bool:
    """Whether a GET with these request headers is answered 304."""
    if if_none_match is not None:
        return none_match(if_none_match, etag)
    if if_modified_since is not None:
        return not_modified_since(if_modified_since, last_modified)
    return False


@lru_cache(maxsize=1024)
def http_date(instant: datetime) -> str:
    """`Last-Modified` form: Wed, 05 Jun 2019 21:40:20 GMT."""
    return format_datetime(instant.astimezone(UTC), usegmt=True)
