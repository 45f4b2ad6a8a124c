"""Wire object -> bytes, one renderer per media type. Both share the value rules below."""

import re
from dataclasses import fields
from datetime import UTC, datetime

from uforge_mock.wire.schemas import WireObject

# Characters XML 1.0 cannot carry (C0 controls but tab/newline/return, lone surrogates,
# U+FFFE/U+FFFF). They are replaced in every format, so XML and JSON say the same text.
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
REPLACEMENT = "\ufffd"


def clean_text(text: str) -> str:
    if text.isascii() and text.isprintable():
        return text  # the common case, checked without the expression
    return _NOT_XML_CHAR.sub(REPLACEMENT, text)


def format_datetime(instant: datetime) -> str:
    """xs:dateTime in UTC with milliseconds: 2019-06-05T21:40:12.000Z."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    utc = instant if instant.tzinfo is UTC else instant.astimezone(UTC)
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T"
        f"{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}.{utc.microsecond // 1000:03d}Z"
    )


_FIELD_NAMES: dict[type[WireObject], tuple[str, ...]] = {}


def field_names(cls: type[WireObject]) -> tuple[str, ...]:
    """The wire field names of `cls`, in schema order (computed once per class)."""
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in fields(cls))
    return names
