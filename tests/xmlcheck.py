"""Validation of emitted XML against the vendor schema, shared by the tests."""

from functools import cache

import xmlschema
from lxml import etree

from tests.conftest import SCHEMA_PATH

NAMESPACE = "http://www.usharesoft.com/uforge"
DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'


@cache
def vendor_schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(SCHEMA_PATH))


def assert_valid_uforge_xml(body: bytes, root: str) -> etree._Element:
    """`body` is a well-formed, schema-valid UForge document whose root element is `root`."""
    assert body.startswith(DECLARATION), body[:80]
    document = etree.fromstring(body)
    assert document.tag == f"{{{NAMESPACE}}}{root}"
    assert document.prefix == "ns0"
    assert None not in document.nsmap, "no default namespace on the root"
    vendor_schema().validate(body.decode("utf-8"))
    return document


def child_names(element: etree._Element) -> list[str]:
    return [child.tag for child in element]
