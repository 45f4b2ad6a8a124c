"""Request bodies (`mySoftware` to create, update or clone): read from XML as the official SDK
writes it, or from JSON; anything else refused with a `uforgeError` (400, or 415 for a format
that is neither), in the format the client accepts, having changed nothing, never a 500. The
parser expands no entity and reads no file or URL."""

import time
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from tests.conftest import GUEST
from tests.xmlcheck import assert_valid_uforge_xml
from uforge_mock.wire.bodies import read_document
from uforge_mock.wire.errors import BadRequest, UForgeException, UnsupportedMediaType
from uforge_mock.wire.schemas import MySoftware

XML = "application/xml"
JSON = "application/json"
NS = b'xmlns:ns1="http://www.usharesoft.com/uforge"'
LIBRARY = "/api/users/guest/mysoftware"
ZABBIX = f"{LIBRARY}/918"


def sdk(children: bytes, root: bytes = b"ns1:mySoftware") -> bytes:
    """A document as the SDK writes it (prefixed root, unqualified children)."""
    return b"<" + root + b" " + NS + b">" + children + b"</" + root + b">"


def read(body: bytes, content_type: str | None = XML) -> dict[str, Any]:
    return read_document(body, content_type, MySoftware)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<ns1:mySoftware xmlns:ns1="http://www.usharesoft.com/uforge"><name>&lol9;</name></ns1:mySoftware>
"""
QUADRATIC = (
    b'<!DOCTYPE m [<!ENTITY a "'
    + b"x" * 50_000
    + b'">]><mySoftware><name>'
    + b"&a;" * 1000
    + b"</name></mySoftware>"
)


def external_entity(target: str) -> bytes:
    return (
        b'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY xxe SYSTEM "'
        + target.encode()
        + b'">]><mySoftware><name>&xxe;</name></mySoftware>'
    )


def parameter_entity(target: str) -> bytes:
    return (
        b'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY % p SYSTEM "'
        + target.encode()
        + b'"> %p;]><mySoftware><name>x</name></mySoftware>'
    )


# (id, Content-Type, body, status): bodies that no route may take.
BAD_BODIES: list[tuple[str, str | None, bytes, int]] = [
    ("empty", XML, b"", 400),
    ("blank", XML, b"  \r\n\t ", 400),
    ("empty json", JSON, b"", 400),
    ("unclosed", XML, b"<ns1:mySoftware " + NS + b"><name>x</name>", 400),
    ("mismatched", XML, sdk(b"<name>x</version>"), 400),
    ("not xml", XML, b"name=x", 400),
    ("unbound prefix", XML, b"<ns1:mySoftware><name>x</name></ns1:mySoftware>", 400),
    ("invalid utf-8", XML, sdk(b"<name>\xff\xfe</name>"), 400),
    ("nul character", XML, sdk(b"<name>a&#0;b</name>"), 400),
    ("control character", XML, sdk(b"<name>a&#1;b</name>"), 400),
    ("doctype", XML, b"<!DOCTYPE mySoftware>" + sdk(b"<name>x</name>"), 400),
    ("billion laughs", XML, BILLION_LAUGHS, 400),
    ("quadratic blowup", XML, QUADRATIC, 400),
    ("external entity", XML, external_entity("file:///etc/passwd"), 400),
    ("external dtd", XML, b'<!DOCTYPE m SYSTEM "http://127.0.0.1:9/x.dtd"><mySoftware/>', 400),
    ("parameter entity", XML, parameter_entity("file:///etc/passwd"), 400),
    ("too deep", XML, sdk(b"<a>" * 5000 + b"</a>" * 5000), 400),
    ("wrong root", XML, sdk(b"<name>x</name>", root=b"ns1:appliance"), 400),
    ("error as root", XML, sdk(b"<statusCode>1</statusCode>", root=b"ns1:uforgeError"), 400),
    ("int not int", XML, sdk(b"<name>x</name><size>abc</size>"), 400),
    ("int a fraction", XML, sdk(b"<name>x</name><revision>1.5</revision>"), 400),
    ("int too large", XML, sdk(b"<name>x</name><size>99999999999999999999</size>"), 400),
    ("category id not int", XML, sdk(b"<name>x</name><category><dbId>a</dbId></category>"), 400),
    ("bool maybe", XML, sdk(b"<name>x</name><restricted>maybe</restricted>"), 400),
    ("bool capitalised", XML, sdk(b"<name>x</name><imported>TRUE</imported>"), 400),
    ("bool empty", XML, sdk(b"<name>x</name><formatDependent/>"), 400),
    ("date not a date", XML, sdk(b"<name>x</name><created>yesterday</created>"), 400),
    ("name too long", XML, sdk(b"<name>" + b"n" * 256 + b"</name>"), 400),
    ("version too long", XML, sdk(b"<name>x</name><version>" + b"v" * 256 + b"</version>"), 400),
    ("json broken", JSON, b'{"name": "x"', 400),
    ("json array", JSON, b'[{"name": "x"}]', 400),
    ("json string", JSON, b'"x"', 400),
    ("json null", JSON, b"null", 400),
    ("json wrapped array", JSON, b'{"mySoftware": [{"name": "x"}]}', 400),
    ("json too deep", JSON, b"[" * 100_000 + b"]" * 100_000, 400),
    ("json invalid utf-8", JSON, b'{"name": "\xff"}', 400),
    ("json name a number", JSON, b'{"name": 5}', 400),
    ("json bool a string", JSON, b'{"name": "x", "restricted": "true"}', 400),
    ("json int a string", JSON, b'{"name": "x", "size": "12"}', 400),
    ("json int a fraction", JSON, b'{"name": "x", "size": 1.5}', 400),
    ("json int a bool", JSON, b'{"name": "x", "revision": true}', 400),
    ("json int too large", JSON, b'{"name": "x", "size": 1' + b"0" * 30 + b"}", 400),
    ("json infinity", JSON, b'{"name": "x", "size": 1e400}', 400),
    ("json nan", JSON, b'{"name": NaN}', 400),
    ("json category a string", JSON, b'{"name": "x", "category": "Web"}', 400),
    ("json nul", JSON, b'{"name": "a\\u0000b"}', 400),
    ("json lone surrogate", JSON, b'{"name": "a\\ud800b"}', 400),
    ("json control character", JSON, b'{"name": "x", "description": "\\u0001"}', 400),
    ("json nul in category", JSON, b'{"name": "x", "category": {"name": "\\u0000"}}', 400),
    ("json name too long", JSON, b'{"name": "' + b"n" * 256 + b'"}', 400),
    ("text/plain", "text/plain", b"name=x", 415),
    ("form", "application/x-www-form-urlencoded", b"name=x", 415),
    ("multipart", "multipart/form-data; boundary=x", b"--x--", 415),
    ("yaml", "application/yaml", b"name: x", 415),
    ("no media type", ";charset=utf-8", sdk(b"<name>x</name>"), 415),
]
# Refused by the reader of bodies itself (the others by the routes' checks of what it read).
ROUTE_CHECKS = {"name too long", "version too long", "json name too long"}


def bad_ids(cases: list[tuple[str, str | None, bytes, int]]) -> list[str]:
    return [case[0] for case in cases]


# ---------------------------------------------------------------- the reader


def test_reads_the_sdks_xml() -> None:
    body = sdk(b"<name>Zabbix</name><version>3.0.1</version>")
    assert read(body) == {"name": "Zabbix", "version": "3.0.1"}


def test_reads_a_root_in_the_default_namespace_or_none() -> None:
    default = b'<mySoftware xmlns="http://www.usharesoft.com/uforge"><name>a</name></mySoftware>'
    assert read(default) == {"name": "a"}
    assert read(b"<mySoftware><name>a</name></mySoftware>") == {"name": "a"}


@pytest.mark.parametrize(
    "content_type",
    [XML, "text/xml", "application/xml; charset=UTF-8", "APPLICATION/XML", None, ""],
)
def test_xml_media_types_and_no_content_type_read_xml(content_type: str | None) -> None:
    assert read(sdk(b"<name>a</name>"), content_type) == {"name": "a"}


@pytest.mark.parametrize("content_type", [JSON, "application/json; charset=utf-8"])
def test_json_wrapped_or_bare_reads_the_same(content_type: str) -> None:
    fields = {"name": "a", "version": "1", "restricted": True}
    wrapped = orjson.dumps({"mySoftware": fields})
    assert read(wrapped, content_type) == read(orjson.dumps(fields), content_type) == fields


def test_a_wrapped_object_is_read_whatever_lies_beside_it() -> None:
    body = b'{"mySoftware": {"name": "a"}, "links": {"self": "x"}}'
    assert read(body, JSON) == {"name": "a"}


def test_fields_left_out_are_absent_and_null_means_left_out() -> None:
    assert read(b'{"description": null, "version": "2"}', JSON) == {"version": "2"}
    assert read(sdk(b"<version>2</version>")) == {"version": "2"}


def test_an_empty_element_is_an_empty_text() -> None:
    assert read(sdk(b"<name/><description></description>")) == {"name": "", "description": ""}


def test_xml_values_have_their_fields_types() -> None:
    body = sdk(
        b"<name>a</name><restricted>true</restricted><imported>0</imported>"
        b"<size> 12 </size><revision>-1</revision>"
    )
    assert read(body) == {
        "name": "a",
        "restricted": True,
        "imported": False,
        "size": 12,
        "revision": -1,
    }


def test_a_nested_category_is_a_mapping_of_its_own() -> None:
    body = sdk(b"<name>a</name><category><name>Web</name><dbId>7</dbId></category>")
    assert read(body) == {"name": "a", "category": {"name": "Web", "dbId": 7}}
    assert read(b'{"category": {"name": "Web"}}', JSON) == {"category": {"name": "Web"}}


def test_unknown_fields_and_lists_are_ignored() -> None:
    """Lists (URIs of related objects) are the platform's to fill: never read."""
    body = sdk(
        b"<name>a</name><colour>red</colour>"
        b"<softwareArtifactUris><uri>x</uri></softwareArtifactUris>"
    )
    fields = read(body)
    assert fields["name"] == "a" and "colour" not in fields
    assert fields.get("softwareArtifactUris", {}) == {}
    fields = read(b'{"name": "a", "colour": 1, "applianceUris": {"uri": ["x"]}}', JSON)
    assert fields["name"] == "a" and "colour" not in fields
    assert fields.get("applianceUris", {}) == {}


def test_comments_processing_instructions_and_cdata_are_plain_text() -> None:
    body = sdk(b"<name>a<!-- note -->b<?pi x?></name><version><![CDATA[<1>]]></version>")
    assert read(body) == {"name": "ab", "version": "<1>"}


def test_an_xml_declaration_names_the_encoding() -> None:
    body = b'<?xml version="1.0" encoding="ISO-8859-1"?><mySoftware><name>\xe9</name></mySoftware>'
    assert read(body) == {"name": "\xe9"}


@pytest.mark.parametrize(
    ("case", "content_type", "body", "status"), BAD_BODIES, ids=bad_ids(BAD_BODIES)
)
def test_the_reader_refuses_bad_bodies(
    case: str, content_type: str | None, body: bytes, status: int
) -> None:
    if case in ROUTE_CHECKS:
        read(body, content_type)  # well formed: the route checks the lengths
        return
    expected = UnsupportedMediaType if status == 415 else BadRequest
    with pytest.raises(expected):
        read(body, content_type)


def test_no_entity_is_expanded_before_the_refusal() -> None:
    started = time.perf_counter()
    with pytest.raises(BadRequest) as refused:
        read(BILLION_LAUGHS)
    assert time.perf_counter() - started < 1
    assert "lol" not in refused.value.message


def test_an_external_entity_never_reads_the_file(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    for body in (external_entity(secret.as_uri()), parameter_entity(secret.as_uri())):
        with pytest.raises(BadRequest) as refused:
            read(body)
        assert "TOP-SECRET" not in refused.value.message


def test_an_unsupported_media_type_names_the_accepted_ones() -> None:
    with pytest.raises(UnsupportedMediaType) as refused:
        read(b"x", "text/plain")
    error: UForgeException = refused.value
    assert error.status_code == 415
    assert {"application/xml", "application/json"} <= set(error.parameters)


# ---------------------------------------------------------------- through HTTP


def listed(client: TestClient) -> bytes:
    return client.get(LIBRARY, headers={**GUEST, "Accept": JSON}).content


@pytest.mark.parametrize(
    ("case", "content_type", "body", "status"), BAD_BODIES, ids=bad_ids(BAD_BODIES)
)
def test_a_bad_body_is_refused_by_create_in_a_uforge_error(
    client: TestClient, case: str, content_type: str | None, body: bytes, status: int
) -> None:
    before = listed(client)
    headers = {**GUEST} if content_type is None else {**GUEST, "Content-Type": content_type}
    response = client.post(LIBRARY, headers=headers, content=body)
    assert response.status_code == status, response.text
    document = assert_valid_uforge_xml(response.content, "uforgeError")
    assert document.findtext("statusCode") == str(status)
    assert document.findtext("requestMethod") == "POST"
    assert listed(client) == before
    assert b"root:" not in response.content  # /etc/passwd was not read


# A few refusals of each kind, on each route taking a body.
SAMPLES = [
    case
    for case in BAD_BODIES
    if case[0]
    in {
        "empty",
        "unclosed",
        "billion laughs",
        "external entity",
        "wrong root",
        "int not int",
        "bool maybe",
        "name too long",
        "json nul",
        "json int a string",
        "text/plain",
    }
]
BODY_ROUTES = [("POST", LIBRARY), ("PUT", ZABBIX), ("POST", f"{ZABBIX}/clone")]


@pytest.mark.parametrize(("method", "path"), BODY_ROUTES, ids=["create", "update", "clone"])
@pytest.mark.parametrize(("case", "content_type", "body", "status"), SAMPLES, ids=bad_ids(SAMPLES))
def test_a_bad_body_is_refused_in_json_when_json_is_accepted(
    client: TestClient,
    method: str,
    path: str,
    case: str,
    content_type: str,
    body: bytes,
    status: int,
) -> None:
    before = listed(client), client.get(ZABBIX, headers=GUEST).content
    response = client.request(
        method, path, headers={**GUEST, "Content-Type": content_type, "Accept": JSON}, content=body
    )
    assert response.status_code == status
    assert response.headers["content-type"] == JSON
    error = response.json()["uforgeError"]
    assert (error["statusCode"], error["requestMethod"], error["requestUri"]) == (
        status,
        method,
        path,
    )
    assert (listed(client), client.get(ZABBIX, headers=GUEST).content) == before


def test_a_name_of_255_characters_is_taken(client: TestClient) -> None:
    name = "n" * 255
    response = client.post(LIBRARY, headers={**GUEST, "Accept": JSON}, json={"name": name})
    assert response.status_code == 201
    assert response.json()["mySoftware"]["name"] == name


def test_a_name_too_long_names_the_field_and_the_limit(client: TestClient) -> None:
    response = client.put(ZABBIX, headers={**GUEST, "Accept": JSON}, json={"name": "n" * 256})
    error = response.json()["uforgeError"]["localizedErrorMsg"]
    assert "255" in error["message"]
    assert error["parameters"]["parameter"] == ["name"]


def test_a_wrong_type_names_the_field(client: TestClient) -> None:
    body = sdk(b"<name>x</name><restricted>maybe</restricted>")
    response = client.post(
        LIBRARY, headers={**GUEST, "Content-Type": XML, "Accept": JSON}, content=body
    )
    assert response.json()["uforgeError"]["localizedErrorMsg"]["parameters"]["parameter"] == [
        "restricted"
    ]


def test_text_is_stored_as_sent(client: TestClient) -> None:
    """What XML can carry is kept exactly: markup characters, non-Latin text, astral
    characters, newlines and tabs."""
    text = "a <b> & 'c' \"d\"\n\te\u00e9\u4e2d\U0001f600"
    response = client.post(
        LIBRARY, headers={**GUEST, "Accept": JSON}, json={"name": "t", "description": text}
    )
    assert response.status_code == 201
    path = response.headers["location"].removeprefix("http://testserver")
    again = client.get(path, headers={**GUEST, "Accept": JSON}).json()["mySoftware"]
    assert again["description"] == text
    assert_valid_uforge_xml(client.get(path, headers=GUEST).content, "mySoftware")
