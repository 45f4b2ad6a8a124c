"""The XML renderer writes bytes itself (app/render/xml.py); lxml, serialising the same document
as a tree, is the oracle: for any text, number and instant the two must be byte-identical."""

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from tests.xmlcheck import assert_valid_uforge_xml
from uforge_mock.wire.render import clean_text, field_names, format_datetime
from uforge_mock.wire.render.xml import DECLARATION, NAMESPACE, render_xml
from uforge_mock.wire.schemas import LocalizedMessage, OpStatus, Parameters, UForgeError, WireObject


def lxml_reference(document: WireObject) -> bytes:
    root = etree.Element(f"{{{NAMESPACE}}}{document.root}", nsmap={"ns0": NAMESPACE})
    _fill(root, document)
    serialized: bytes = etree.tostring(root, encoding="UTF-8")  # lxml is untyped: Any
    return DECLARATION + serialized


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


texts = st.none() | st.text() | st.sampled_from(["", "a & b < c > d", "line\r\nnext", "\x00\x1f"])
instants = st.none() | st.datetimes(
    min_value=datetime(1970, 1, 1), max_value=datetime(9999, 1, 1), timezones=st.just(UTC)
)
integers = st.none() | st.integers(min_value=0, max_value=2**63 - 1)
flags = st.none() | st.booleans()


@settings(max_examples=300, deadline=None)
@given(
    created=instants,
    db_id=integers,
    digest=texts,
    percentage=integers,
    flags=st.tuples(flags, flags, flags),
    message=texts,
    error_message=texts,
    detailed=texts,
)
def test_a_status_renders_as_lxml_would(
    created: datetime | None,
    db_id: int | None,
    digest: str | None,
    percentage: int | None,
    flags: tuple[bool | None, bool | None, bool | None],
    message: str | None,
    error_message: str | None,
    detailed: str | None,
) -> None:
    document = OpStatus(
        created=created,
        dbId=db_id,
        digest=digest,
        lastModified=created + timedelta(seconds=1) if created else None,
        cancelled=flags[0],
        complete=flags[1],
        error=flags[2],
        message=message,
        errorMessage=error_message,
        detailedErrorMsg=detailed,
        percentage=percentage,
    )
    assert render_xml(document) == lxml_reference(document)


@settings(max_examples=200, deadline=None)
@given(
    message=texts,
    parameters=st.lists(st.text(), max_size=3),
    uri=texts,
    with_parameters=st.booleans(),
)
def test_an_error_with_nested_and_empty_elements_renders_as_lxml_would(
    message: str | None, parameters: list[str], uri: str | None, with_parameters: bool
) -> None:
    document = UForgeError(
        localizedErrorMsg=LocalizedMessage(
            message=message,
            messageId="x",
            parameters=Parameters(parameter=parameters) if with_parameters else None,
        ),
        requestMethod="GET",
        requestUri=uri,
        statusCode=404,
        timestamp=datetime(2019, 6, 5, tzinfo=UTC),
    )
    assert render_xml(document) == lxml_reference(document)


def test_an_empty_document_is_one_empty_root_element() -> None:
    assert render_xml(OpStatus()) == lxml_reference(OpStatus())
    assert render_xml(OpStatus()).endswith(b'<ns0:status xmlns:ns0="' + NAMESPACE.encode() + b'"/>')


def test_markup_in_text_stays_text_in_a_valid_document() -> None:
    document = OpStatus(
        created=datetime(2019, 6, 5, tzinfo=UTC),
        dbId=1,
        digest="d",
        lastModified=datetime(2019, 6, 5, tzinfo=UTC),
        cancelled=False,
        complete=False,
        error=True,
        message="</message><error>true</error> & more\r",
        percentage=1,
    )
    parsed = assert_valid_uforge_xml(render_xml(document), "status")
    assert parsed.findtext("message") == "</message><error>true</error> & more\r"
