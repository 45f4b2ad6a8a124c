"""tools/xsd_subset.py keeps every declaration reachable from the roots, whichever prefix the
vendor wrote it with (`xs:` or, as for `seLinuxMode`, `xsd:`), and stops rather than write an
incomplete schema; the checked-in subset is a schema with every root the mock serves."""

import importlib.util
import sys
from types import ModuleType

import pytest
import xmlschema

from tests.conftest import ROOT, SCHEMA_PATH
from uforge_mock.wire import schemas

VENDOR = """<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"
           xmlns:xsd="http://www.w3.org/2001/XMLSchema"
           xmlns="http://www.usharesoft.com/uforge"
           elementFormDefault="unqualified"
           targetNamespace="http://www.usharesoft.com/uforge">
    <xs:element name="thing" type="Thing"/>
    <xs:element name="other" type="Other"/>
    <xs:complexType name="Thing">
        <xs:sequence>
            <xs:element name="mode" type="mode" minOccurs="0"/>
        </xs:sequence>
    </xs:complexType>
    <xsd:simpleType name="mode">
        <xsd:restriction base="xsd:string"/>
    </xsd:simpleType>
    <xs:complexType name="Other">
        <xs:sequence/>
    </xs:complexType>
</xs:schema>
"""


def xsd_subset() -> ModuleType:
    spec = importlib.util.spec_from_file_location("xsd_subset", ROOT / "tools" / "xsd_subset.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("xsd_subset", module)
    spec.loader.exec_module(module)
    return module


def test_subset_keeps_a_type_the_vendor_declared_with_the_xsd_prefix() -> None:
    text = xsd_subset().subset(VENDOR, ["thing"])
    assert '<xsd:simpleType name="mode">' in text
    assert 'name="Other"' not in text
    schema = xmlschema.XMLSchema(text)
    schema.validate(
        '<ns0:thing xmlns:ns0="http://www.usharesoft.com/uforge"><mode>x</mode></ns0:thing>'
    )


def test_subset_refuses_to_write_a_schema_missing_a_declaration() -> None:
    # A declaration written at another indentation is not found as text: no partial output.
    broken = VENDOR.replace('    <xsd:simpleType name="mode">', '  <xsd:simpleType name="mode">')
    with pytest.raises(ValueError, match="mode"):
        xsd_subset().subset(broken, ["thing"])


def test_checked_in_subset_declares_every_root_the_mock_serves() -> None:
    schema = xmlschema.XMLSchema(str(SCHEMA_PATH))
    served = {
        cls.root
        for cls in vars(schemas).values()
        if isinstance(cls, type) and issubclass(cls, schemas.WireObject) and cls.root
    }
    assert served <= set(xsd_subset().ROOTS)
    assert served <= set(schema.elements)
