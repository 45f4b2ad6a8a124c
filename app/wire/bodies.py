"""Request bodies -> the fields a client sent of a wire object (`mySoftware` to create, update
or clone), from XML (what the official SDK sends) or JSON.

What comes back is a dict of the fields present, by wire name, with values of the field's
type: a field the client left out is absent (an update changes only what it names), and a
nested object (`category`) is a dict of its own. Unknown elements are ignored, as the
platform's JAXB binding ignores them.

The XML parser (the standard library's expat, so that reading a body needs nothing installed
beyond the server) stops at a `<!DOCTYPE>`, the door to entity expansion and to external
entities, before it reads a declaration: a body is data. It resolves no entity, loads no DTD
and reaches no network.
"""

import json
import re
import types
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NoReturn, Union, get_args, get_origin, get_type_hints
from xml.parsers import expat

from uforge_mock.wire.errors import BadRequest, UnsupportedMediaType
from uforge_mock.wire.render import field_names
from uforge_mock.wire.schemas import WireObject

# Deeper than any UForge object a client sends; deeper is a hostile body.
MAX_DEPTH = 32

_XML_TYPES = ("application/xml", "text/xml")
# Characters XML 1.0 cannot carry (C0 controls but tab/newline/return, lone surrogates,
# U+FFFE/U+FFFF): an XML body cannot hold them, nor may a JSON one (NUL, for one, has no place
# in a PostgreSQL text, and a lone surrogate in no UTF-8 string).
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_JSON_TYPE = "application/json"


def media_type_of(content_type: str | None) -> str:
    """`application/xml; charset=utf-8` -> `application/xml`; no header means XML (the
    platform's default)."""
    if not content_type:
        return "application/xml"
    return content_type.split(";", 1)[0].strip().lower()


def read_document(body: bytes, content_type: str | None, cls: type[WireObject]) -> dict[str, Any]:
    """The fields of a `cls` document in `body`; BadRequest (400) when it is not one,
    UnsupportedMediaType (415) for a format other than XML or JSON."""
    media_type = media_type_of(content_type)
    if not body.strip():
        raise BadRequest(f"The request body must be a {cls.root} document", cls.root)
    if media_type in _XML_TYPES or media_type.endswith("+xml"):
        return _from_xml(body, cls)
    if media_type == _JSON_TYPE or media_type.endswith("+json"):
        return _from_json(body, cls)
    raise UnsupportedMediaType.accepting(media_type, *_XML_TYPES, _JSON_TYPE)


# ---------------------------------------------------------------- XML


@dataclass(slots=True)
class _Element:
    """An element of a body: its local name, its character data (comments and processing
    instructions left out) and its child elements."""

    name: str
    text: list[str] = field(default_factory=list)
    children: list["_Element"] = field(default_factory=list)


def _refuse_doctype(*_: Any) -> NoReturn:
    raise BadRequest("A request body may not declare a DOCTYPE")


def _parse_xml(body: bytes) -> _Element:
    """The body's root element; BadRequest when it is not well-formed, declares a DOCTYPE or
    nests elements deeper than MAX_DEPTH."""
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    open_elements: list[_Element] = []
    roots: list[_Element] = []

    def start(name: str, _attributes: dict[str, str]) -> None:
        if len(open_elements) >= MAX_DEPTH:
            raise BadRequest(f"The request body is nested deeper than {MAX_DEPTH} elements")
        element = _Element(name.rpartition(" ")[2])  # "namespace localname"
        (open_elements[-1].children if open_elements else roots).append(element)
        open_elements.append(element)

    def end(_name: str) -> None:
        open_elements.pop()

    def text(data: str) -> None:
        if open_elements:
            open_elements[-1].text.append(data)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    # Called before the declaration's content is read: no entity is ever declared.
    parser.StartDoctypeDeclHandler = _refuse_doctype
    parser.EntityDeclHandler = _refuse_doctype
    parser.ExternalEntityRefHandler = _refuse_doctype
    try:
        parser.Parse(body, True)
    except expat.ExpatError as error:
        raise BadRequest(f"The request body is not well-formed XML: {error}") from None
    return roots[0]


def _from_xml(body: bytes, cls: type[WireObject]) -> dict[str, Any]:
    root = _parse_xml(body)
    if root.name != cls.root:
        raise BadRequest(
            f"The request body must be a {cls.root} document, not {root.name}", cls.root
        )
    return _xml_fields(root, cls)


def _xml_fields(element: _Element, cls: type[WireObject]) -> dict[str, Any]:
    hints = _hints(cls)
    fields: dict[str, Any] = {}
    for child in element.children:
        if child.name not in hints:
            continue
        kind = _simple(hints[child.name])
        if isinstance(kind, type) and issubclass(kind, WireObject):
            fields[child.name] = _xml_fields(child, kind)
        elif get_origin(kind) is list:
            continue  # lists (URIs of related objects) are the platform's to fill
        else:
            fields[child.name] = _typed(child.name, "".join(child.text), kind)
    return fields


# ---------------------------------------------------------------- JSON


def _from_json(body: bytes, cls: type[WireObject]) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise BadRequest("The request body is not valid JSON") from None
    if isinstance(data, dict) and cls.root in data:
        # {"mySoftware": {...}}, as the platform answers it (no wire type has a field named
        # after its own root, so a bare object never holds that key; keys beside it are
        # ignored like any unknown field, not read as a bare object's)
        data = data[cls.root]
    if not isinstance(data, dict):
        raise BadRequest(f"The request body must be a {cls.root} object", cls.root)
    return _json_fields(data, cls, depth=1)


def _json_fields(data: dict[str, Any], cls: type[WireObject], *, depth: int) -> dict[str, Any]:
    if depth > MAX_DEPTH:
        raise BadRequest(f"The request body is nested deeper than {MAX_DEPTH} objects")
    hints = _hints(cls)
    fields: dict[str, Any] = {}
    for name, value in data.items():
        if name not in hints or value is None:
            continue
        kind = _simple(hints[name])
        if isinstance(kind, type) and issubclass(kind, WireObject):
            if not isinstance(value, dict):
                raise BadRequest(f"{name} must be an object", name)
            fields[name] = _json_fields(value, kind, depth=depth + 1)
        elif get_origin(kind) is list:
            continue
        elif kind is bool and isinstance(value, bool):
            fields[name] = value
        elif kind is int and isinstance(value, int) and not isinstance(value, bool):
            fields[name] = _bounded(name, value)
        elif kind in (str, datetime) and isinstance(value, str):
            fields[name] = _typed(name, value, kind)
        else:
            raise BadRequest(f"{name} has the wrong type", name)
    return fields


# ---------------------------------------------------------------- values

_HINTS: dict[type[WireObject], dict[str, Any]] = {}


def _hints(cls: type[WireObject]) -> dict[str, Any]:
    hints = _HINTS.get(cls)
    if hints is None:
        every = get_type_hints(cls)
        hints = _HINTS[cls] = {name: every[name] for name in field_names(cls)}
    return hints


def _simple(annotation: Any) -> Any:
    """`str | None` -> `str`."""
    if get_origin(annotation) in (Union, types.UnionType):
        (annotation,) = [arg for arg in get_args(annotation) if arg is not type(None)]
    return annotation


# An xs:long.
_LONG = 2**63


def _bounded(name: str, value: int) -> int:
    if not -_LONG <= value < _LONG:
        raise BadRequest(f"{name} is out of range", name)
    return value


def carriable(text: str) -> bool:
    """Whether XML 1.0 can carry `text` (and so every store and wire format)."""
    return (text.isascii() and text.isprintable()) or _NOT_XML_CHAR.search(text) is None


def _typed(name: str, text: str, kind: Any) -> Any:
    if not carriable(text):
        raise BadRequest(f"{name} holds a character that XML cannot carry", name)
    if kind is str:
        return text
    if kind is bool:
        if text.strip() in ("true", "1"):
            return True
        if text.strip() in ("false", "0"):
            return False
        raise BadRequest(f"{name} must be true or false", name)
    if kind is int:
        stripped = text.strip()
        if len(stripped) > 20 or not stripped.lstrip("-").isdigit():
            raise BadRequest(f"{name} must be an integer", name)
        return _bounded(name, int(stripped))
    if kind is datetime:
        try:
            return datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        except ValueError:
            raise BadRequest(f"{name} must be a date and time", name) from None
    raise BadRequest(f"{name} cannot be set", name)
