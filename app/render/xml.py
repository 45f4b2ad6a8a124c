"""Wire object -> XML document, with lxml.

The document starts with the declaration the real platform writes, its root element carries the
prefix `ns0` bound to the UForge namespace, and every child is unqualified
(`elementFormDefault="unqualified"` in the schema).
"""

from datetime import datetime

from lxml import etree

from app.render import clean_text, field_names, format_datetime
from app.schemas import WireObject

NAMESPACE = "http://www.usharesoft.com/uforge"
DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
MEDIA_TYPE = "application/xml"


def render_xml(document: WireObject) -> bytes:
    root = etree.Element(f"{{{NAMESPACE}}}{document.root}", nsmap={"ns0": NAMESPACE})
    _fill(root, document)
    body: bytes = etree.tostring(root, encoding="UTF-8")
    return DECLARATION + body


def _fill(element: etree._Element, obj: WireObject) -> None:
    for name in field_names(type(obj)):
        value = getattr(obj, name)
        if value is None:
            continue
        if isinstance(value, list):
            for item in value:
                etree.SubElement(element, name).text = _text(item)
        elif isinstance(value, WireObject):
            _fill(etree.SubElement(element, name), value)
        else:
            etree.SubElement(element, name).text = _text(value)


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, str):
        return clean_text(value)
    return str(value)
