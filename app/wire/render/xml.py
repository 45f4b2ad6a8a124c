"""Wire object -> XML document.

The document starts with the declaration the real platform writes, its root element carries the
prefix `ns0` bound to the UForge namespace, and every child is unqualified
(`elementFormDefault="unqualified"` in the schema).

The bytes are written directly rather than through an XML tree: a status document is a dozen
flat elements, and building an lxml tree for it cost ~37 us against ~8 us here, on a path
clients poll. What makes XML text safe is all here: characters XML cannot carry are replaced
(`clean_text`), and `&`, `<`, `>` and carriage return are escaped exactly as lxml escapes
them (a test holds the two byte-identical on generated documents).
"""

from datetime import datetime

from uforge_mock.wire.render import clean_text, field_names, format_datetime
from uforge_mock.wire.schemas import WireObject

NAMESPACE = "http://www.usharesoft.com/uforge"
DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
MEDIA_TYPE = "application/xml"


def render_xml(document: WireObject) -> bytes:
    parts: list[str] = []
    _write(parts, f"ns0:{document.root}", document, f' xmlns:ns0="{NAMESPACE}"')
    return DECLARATION + "".join(parts).encode("utf-8")


def _write(parts: list[str], tag: str, obj: WireObject, attributes: str = "") -> None:
    opening = len(parts)
    parts.append("")  # the start tag, once it is known whether the element is empty
    for name in field_names(type(obj)):
        value = getattr(obj, name)
        if value is None:
            continue
        if isinstance(value, list):
            for item in value:
                if isinstance(item, WireObject):
                    _write(parts, name, item)
                else:
                    parts.append(f"<{name}>{_text(item)}</{name}>")
        elif isinstance(value, WireObject):
            _write(parts, name, value)
        else:
            parts.append(f"<{name}>{_text(value)}</{name}>")
    if len(parts) == opening + 1:
        parts[opening] = f"<{tag}{attributes}/>"
    else:
        parts[opening] = f"<{tag}{attributes}>"
        parts.append(f"</{tag}>")


def _text(value: object) -> str:
    kind = type(value)
    if kind is str:
        return escape(clean_text(value))  # type: ignore[arg-type]
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return str(value)
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, str):
        return escape(clean_text(value))
    return str(value)


def escape(text: str) -> str:
    """Character data as lxml writes it: `&`, `<`, `>` and CR as references, the rest as is."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if "\r" in text:
        text = text.replace("\r", "&#13;")
    return text
