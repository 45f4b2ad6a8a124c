"""Wire object -> JSON document: `{"<root>": {...}}`, keys in schema order, absent fields
omitted (never null), lists as an object holding an array (`{"uri": [...]}`)."""

from datetime import datetime
from typing import Any

import orjson

from uforge_mock.wire.render import clean_text, field_names, format_datetime
from uforge_mock.wire.schemas import WireObject

MEDIA_TYPE = "application/json"


def render_json(document: WireObject) -> bytes:
    return orjson.dumps({document.root: to_plain(document)})


def to_plain(obj: WireObject) -> dict[str, Any]:
    """The wire object as JSON-ready dicts, lists, strings, numbers and booleans."""
    plain: dict[str, Any] = {}
    for name in field_names(type(obj)):
        value = getattr(obj, name)
        if value is None:
            continue
        if isinstance(value, list):
            plain[name] = [
                to_plain(item) if isinstance(item, WireObject) else _value(item) for item in value
            ]
        elif isinstance(value, WireObject):
            plain[name] = to_plain(value)
        else:
            plain[name] = _value(value)
    return plain


def _value(value: object) -> object:
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, str):
        return clean_text(value)
    return value
