"""Choosing XML or JSON from `Accept` (CONTRACT.md, Content negotiation): the pure function,
without an app. Each case states the header, the offers and the one answer it must give."""

import pytest

from uforge_mock.wire.negotiation import _MAX_RANGES, DOCUMENT_OFFERS, JSON, XML, negotiate

# The control API prefers JSON (uforge_mock.wire.responses.CONTROL_OFFERS).
JSON_FIRST = (JSON, XML)
GZIP = "application/gzip"


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        pytest.param(None, XML, id="missing"),
        pytest.param("", XML, id="empty"),
        pytest.param("  \t ", XML, id="blank"),
        pytest.param("*/*", XML, id="any"),
        pytest.param("application/*", XML, id="any-application"),
        pytest.param("application/xml", XML, id="xml"),
        pytest.param("application/json", JSON, id="json"),
        pytest.param("text/html, application/json", JSON, id="json-among-others"),
    ],
)
def test_plain_headers_choose_the_documented_default_or_what_they_name(
    accept: str | None, expected: str
) -> None:
    assert negotiate(accept) == expected


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        pytest.param("application/json;q=0.9, application/xml;q=0.1", JSON, id="contract-example"),
        pytest.param("application/xml;q=0.5, application/json", JSON, id="default-q-is-1"),
        pytest.param("application/json;q=0.4, application/xml;q=0.5", XML, id="higher-q-wins"),
        pytest.param("application/json;q=0.001", JSON, id="tiny-q-still-acceptable"),
        pytest.param("application/json;q=1.0, application/xml;q=1", XML, id="equal-q-first-offer"),
        pytest.param("application/json;q=.5, application/xml;q=.4", JSON, id="q-without-leading-0"),
    ],
)
def test_q_values_rank_the_offers(accept: str, expected: str) -> None:
    assert negotiate(accept) == expected


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        pytest.param("application/xml;q=0", None, id="xml-only-excluded"),
        pytest.param("application/xml;q=0, */*", JSON, id="xml-excluded-despite-any"),
        pytest.param("*/*, application/xml;q=0", JSON, id="xml-excluded-listed-last"),
        pytest.param("application/xml;q=0, application/*", JSON, id="xml-excluded-despite-app-any"),
        pytest.param("application/json;q=0, */*", XML, id="json-excluded"),
        pytest.param("application/json;q=0.0, application/xml;q=0.000", None, id="both-excluded"),
        pytest.param("*/*;q=0", None, id="any-excluded"),
        pytest.param("application/*;q=0, */*", None, id="application-excluded"),
    ],
)
def test_q_zero_excludes(accept: str, expected: str | None) -> None:
    assert negotiate(accept) == expected


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        # Taking the highest q of every matching range would give XML 0.9: a tie, so XML.
        pytest.param("application/xml;q=0.1, */*;q=0.9", JSON, id="exact-beats-any"),
        pytest.param("*/*;q=0.9, application/xml;q=0.1", JSON, id="exact-beats-any-listed-first"),
        pytest.param("application/xml;q=0.1, application/*;q=0.9", JSON, id="exact-beats-app-any"),
        pytest.param(
            "application/*;q=0.2, */*;q=0.9, application/json;q=0.5", JSON, id="app-any-beats-any"
        ),
        pytest.param(
            "*/*;q=0.9, application/*;q=0.2, application/json;q=0.5",
            JSON,
            id="app-any-beats-any-listed-first",
        ),
    ],
)
def test_the_most_specific_matching_range_decides_even_with_a_lower_q(
    accept: str, expected: str
) -> None:
    assert negotiate(accept) == expected


@pytest.mark.parametrize(
    ("accept", "offers", "expected"),
    [
        pytest.param("application/json, application/xml", DOCUMENT_OFFERS, XML, id="documents"),
        pytest.param("application/xml, application/json", JSON_FIRST, JSON, id="control"),
        pytest.param("*/*", JSON_FIRST, JSON, id="control-any"),
        pytest.param("application/*", JSON_FIRST, JSON, id="control-app-any"),
    ],
)
def test_a_tie_goes_to_the_first_offer_whatever_the_header_order(
    accept: str, offers: tuple[str, ...], expected: str
) -> None:
    assert negotiate(accept, offers) == expected


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        # Each malformed range would choose XML (or match every offer) if it were read.
        pytest.param("*, application/json;q=0.5", JSON, id="bare-star"),
        pytest.param("*/xml, application/json;q=0.5", JSON, id="any-type-named-subtype"),
        pytest.param("*/, application/json;q=0.5", JSON, id="any-type-no-subtype"),
        pytest.param(", ,application/json,,", JSON, id="empty-ranges"),
        # Java's default Accept: its `*; q=.2` is malformed, its `*/*; q=.2` is not.
        pytest.param("text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2", XML, id="java"),
    ],
)
def test_malformed_ranges_are_skipped(accept: str, expected: str) -> None:
    assert negotiate(accept) == expected


@pytest.mark.parametrize(
    "accept", ["json", "*", "*/xml", ",,,", "application"], ids=lambda accept: repr(accept)
)
def test_a_header_of_only_malformed_ranges_accepts_nothing(accept: str) -> None:
    assert negotiate(accept) is None


@pytest.mark.parametrize(
    "accept",
    [
        pytest.param("application/xml;q=abc, application/json;q=0.5", id="not-a-number"),
        pytest.param("application/xml;q=, application/json;q=0.5", id="empty"),
        pytest.param("application/xml;q, application/json;q=0.5", id="no-value"),
        pytest.param("application/xml;q=1.5, application/json;q=0.5", id="above-1"),
        pytest.param("application/xml;q=-0.5, application/json;q=0.5", id="negative"),
        pytest.param("application/xml;q=nan, application/json;q=0.5", id="nan"),
        pytest.param("application/xml;q=inf, application/json;q=0.5", id="infinite"),
    ],
)
def test_a_range_with_an_invalid_q_is_ignored(accept: str) -> None:
    # Read with q=1 (or clamped), the XML range would win.
    assert negotiate(accept) == JSON


@pytest.mark.parametrize("q", ["abc", "", "1.5", "-1", "nan"], ids=lambda q: repr(q))
def test_an_invalid_q_ignores_the_range_rather_than_excluding_the_offer(q: str) -> None:
    # Read as q=0, the range would exclude XML despite */*.
    assert negotiate(f"application/xml;q={q}, */*") == XML


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        pytest.param("APPLICATION/JSON", JSON, id="range"),
        pytest.param("Application/Json;Q=0.1, application/xml;q=0.5", XML, id="q-name"),
        pytest.param("application/xml;Q=0, */*", JSON, id="q-name-excluding"),
        pytest.param("application/JSON;q=0, */*", XML, id="excluding-range"),
        pytest.param("APPLICATION/*", XML, id="wildcard"),
    ],
)
def test_media_ranges_and_parameter_names_are_case_insensitive(accept: str, expected: str) -> None:
    assert negotiate(accept) == expected


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        pytest.param("application/json;charset=utf-8", JSON, id="charset"),
        pytest.param(
            "application/json; charset=utf-8; q=0.9, application/xml; q=0.1",
            JSON,
            id="charset-then-q",
        ),
        pytest.param(
            "application/json;q=0.9;charset=utf-8, application/xml;q=0.1", JSON, id="q-then-charset"
        ),
        pytest.param(
            "application/json ; q = 0.9 , application/xml ; q = 0.1", JSON, id="spaces-everywhere"
        ),
        pytest.param("application/xml;level=1;q=0, */*", JSON, id="parameter-and-q-zero"),
    ],
)
def test_parameters_other_than_q_do_not_change_the_choice(accept: str, expected: str) -> None:
    assert negotiate(accept) == expected


@pytest.mark.parametrize(
    "accept",
    [
        "text/html",
        "text/*",
        "image/png, text/html;q=0.9",
        "application/yaml",
        "application/xml+json",
        "application/xmlx, application/jso",
    ],
)
def test_nothing_offered_acceptable_is_none(accept: str) -> None:
    assert negotiate(accept) is None


@pytest.mark.parametrize(
    ("accept", "offers", "expected"),
    [
        pytest.param(None, JSON_FIRST, JSON, id="control-missing"),
        pytest.param("", JSON_FIRST, JSON, id="control-empty"),
        pytest.param("application/xml", JSON_FIRST, XML, id="control-xml"),
        pytest.param("application/json;q=0, */*", JSON_FIRST, XML, id="control-json-excluded"),
        pytest.param("text/html", JSON_FIRST, None, id="control-nothing"),
        pytest.param("*/*", (GZIP,), GZIP, id="single-offer-any"),
        pytest.param("application/json", (GZIP,), None, id="single-offer-not-named"),
        pytest.param("application/*;q=0.1", (GZIP,), GZIP, id="single-offer-app-any"),
    ],
)
def test_other_offers_are_negotiated_by_the_same_rules(
    accept: str | None, offers: tuple[str, ...], expected: str | None
) -> None:
    assert negotiate(accept, offers) == expected


def test_ranges_up_to_the_cap_are_read() -> None:
    header = ", ".join(["text/html"] * (_MAX_RANGES - 1) + ["application/json"])
    assert negotiate(header) == JSON


def test_ranges_past_the_cap_are_not_read() -> None:
    header = ", ".join(["text/html"] * _MAX_RANGES + ["application/json"])
    assert negotiate(header) is None
