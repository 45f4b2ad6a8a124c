"""Conditional GET (CONTRACT.md, step 6): `If-None-Match` and `If-Modified-Since` as pure
functions, without an app. Whatever a client sends, the answer is a yes or a no, never an error."""

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest

from uforge_mock.wire.conditional import (
    entity_tags,
    http_date,
    is_not_modified,
    none_match,
    not_modified_since,
)

ETAG = '"3c1f0b6a9d2e4f5a8b7c6d5e4f3a2b1c"'
OTHER = '"0123456789abcdef0123456789abcdef"'
UNQUOTED = ETAG.strip('"')
LAST_MODIFIED = datetime(2019, 6, 5, 21, 40, 20, tzinfo=UTC)
LAST_MODIFIED_HTTP = "Wed, 05 Jun 2019 21:40:20 GMT"
EARLIER_HTTP = "Wed, 05 Jun 2019 21:40:19 GMT"
LATER_HTTP = "Thu, 06 Jun 2019 00:00:00 GMT"


# ---------------------------------------------------------------- entity_tags


@pytest.mark.parametrize(
    ("header", "tags"),
    [
        pytest.param('"a"', ['"a"'], id="one"),
        pytest.param('W/"a"', ['"a"'], id="weak"),
        pytest.param('"a", W/"b" ,"c"', ['"a"', '"b"', '"c"'], id="list"),
        pytest.param('"a","b"', ['"a"', '"b"'], id="list-without-spaces"),
        pytest.param(' \t"a" ,\t "b"  ', ['"a"', '"b"'], id="whitespace"),
        pytest.param('""', ['""'], id="empty-tag"),
        pytest.param('"a b,c"', ['"a b,c"'], id="comma-and-space-inside"),
        pytest.param("", [], id="empty-header"),
        pytest.param("a", [], id="unquoted"),
        pytest.param('a, "b"', ['"b"'], id="unquoted-then-quoted"),
        pytest.param('"a" junk, "b"', ['"b"'], id="trailing-junk"),
        pytest.param('"a', [], id="unterminated"),
        pytest.param('W/"a', [], id="weak-unterminated"),
        pytest.param('"a"b', [], id="text-after-tag"),
    ],
)
def test_entity_tags_reads_quoted_tags_and_skips_garbage(header: str, tags: list[str]) -> None:
    assert entity_tags(header) == tags


# ---------------------------------------------------------------- none_match


@pytest.mark.parametrize(
    ("header", "etag"),
    [
        pytest.param(ETAG, ETAG, id="same"),
        pytest.param(f"W/{ETAG}", ETAG, id="weak-in-header"),
        pytest.param(ETAG, f"W/{ETAG}", id="weak-etag"),
        pytest.param(f"W/{ETAG}", f"W/{ETAG}", id="both-weak"),
        pytest.param(f"{OTHER}, {ETAG}", ETAG, id="in-a-list"),
        pytest.param(f'"x",W/{ETAG},"y"', ETAG, id="weak-in-a-list"),
        pytest.param(f"garbage, {ETAG}", ETAG, id="after-garbage"),
        pytest.param(f"  {ETAG}\t", ETAG, id="whitespace"),
        pytest.param("*", ETAG, id="star"),
        pytest.param(" * ", ETAG, id="star-with-whitespace"),
        pytest.param("*", f"W/{ETAG}", id="star-weak-etag"),
    ],
)
def test_none_match_matches(header: str, etag: str) -> None:
    assert none_match(header, etag) is True


@pytest.mark.parametrize(
    ("header", "etag"),
    [
        pytest.param(OTHER, ETAG, id="other-tag"),
        pytest.param(f"{OTHER}, W/{OTHER}", ETAG, id="list-without-it"),
        pytest.param(UNQUOTED, ETAG, id="unquoted"),
        pytest.param(f"W/{UNQUOTED}", ETAG, id="weak-unquoted"),
        pytest.param(ETAG[:-3] + '"', ETAG, id="prefix"),
        pytest.param(f'"x{ETAG[1:]}', ETAG, id="longer"),
        pytest.param(f"{ETAG}x", ETAG, id="text-after-tag"),
        pytest.param(f'"{ETAG}"', ETAG, id="quoted-twice"),
        pytest.param(ETAG.upper(), ETAG, id="other-case"),
        pytest.param("", ETAG, id="empty"),
        pytest.param("**", ETAG, id="not-quite-star"),
        pytest.param('"*"', ETAG, id="quoted-star"),
    ],
)
def test_none_match_does_not_match(header: str, etag: str) -> None:
    assert none_match(header, etag) is False


# ---------------------------------------------------------------- not_modified_since


@pytest.mark.parametrize(
    ("header", "last_modified"),
    [
        pytest.param(LAST_MODIFIED_HTTP, LAST_MODIFIED, id="at"),
        pytest.param(LATER_HTTP, LAST_MODIFIED, id="after"),
        pytest.param(
            LAST_MODIFIED_HTTP,
            LAST_MODIFIED + timedelta(microseconds=999_999),
            id="same-second-with-microseconds",
        ),
        pytest.param("Wed, 05 Jun 2019 23:40:20 +0200", LAST_MODIFIED, id="other-offset"),
        pytest.param("Wednesday, 05-Jun-19 21:40:20 GMT", LAST_MODIFIED, id="rfc850"),
        pytest.param(
            LAST_MODIFIED_HTTP,
            LAST_MODIFIED.astimezone(timezone(timedelta(hours=-7))),
            id="last-modified-in-another-zone",
        ),
    ],
)
def test_not_modified_since_a_date_at_or_after_last_modified(
    header: str, last_modified: datetime
) -> None:
    assert not_modified_since(header, last_modified) is True


@pytest.mark.parametrize(
    "header",
    [
        pytest.param(EARLIER_HTTP, id="a-second-before"),
        pytest.param("Wed, 05 Jun 2019 21:40:20 +0100", id="same-clock-an-hour-east"),
    ],
)
def test_modified_since_a_date_before_last_modified(header: str) -> None:
    assert not_modified_since(header, LAST_MODIFIED) is False


@pytest.fixture(params=["WEST+10", "EAST-10"])
def local_zone_far_from_utc(request: pytest.FixtureRequest) -> Iterator[None]:
    """This process's local time zone 10 hours west, then east, of UTC (POSIX TZ strings): a
    naive date read as local time would then be 10 hours off."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TZ", request.param)
        time.tzset()
        yield
    time.tzset()


# asctime dates and the `-0000` zone parse to naive datetimes.
NAIVE_AT = ["Wed Jun  5 21:40:20 2019", "Wed, 05 Jun 2019 21:40:20 -0000"]
NAIVE_BEFORE = ["Wed Jun  5 21:40:19 2019", "Wed, 05 Jun 2019 21:40:19 -0000"]


@pytest.mark.usefixtures("local_zone_far_from_utc")
@pytest.mark.parametrize("header", NAIVE_AT, ids=["asctime", "minus-zero"])
def test_a_naive_date_at_last_modified_in_utc_is_not_modified(header: str) -> None:
    assert not_modified_since(header, LAST_MODIFIED) is True


@pytest.mark.usefixtures("local_zone_far_from_utc")
@pytest.mark.parametrize("header", NAIVE_BEFORE, ids=["asctime", "minus-zero"])
def test_a_naive_date_before_last_modified_in_utc_is_modified(header: str) -> None:
    assert not_modified_since(header, LAST_MODIFIED) is False


@pytest.mark.parametrize(
    "header",
    [
        "",
        "   ",
        "yesterday",
        "0",
        "1559770820",
        "Wed, 05 Jun 2019",
        "Wed, 99 Jun 2019 99:99:99 GMT",
        "Wed, 05 Jun 2019 25:40:20 GMT",
        "Wed, 05 Jun 0000 21:40:20 GMT",
        "Wed, 05 Jun 10000 21:40:20 GMT",
        "Wed, 05 Jun 99999999999999999999 21:40:20 GMT",
        "Wed, 05 Jun 2019 21:40:20 +99999999999999999999",
        "\x00",
    ],
    ids=lambda header: repr(header),
)
def test_an_unparseable_date_is_ignored(header: str) -> None:
    assert not_modified_since(header, LAST_MODIFIED) is False


# ---------------------------------------------------------------- is_not_modified


@pytest.mark.parametrize(
    ("if_none_match", "if_modified_since", "expected"),
    [
        pytest.param(None, None, False, id="no-validators"),
        pytest.param(ETAG, None, True, id="etag-matches"),
        pytest.param(OTHER, None, False, id="etag-differs"),
        pytest.param(None, LAST_MODIFIED_HTTP, True, id="not-modified-since"),
        pytest.param(None, EARLIER_HTTP, False, id="modified-since"),
        pytest.param(None, "not a date", False, id="unparseable-date"),
        pytest.param(ETAG, EARLIER_HTTP, True, id="etag-matches-date-ignored"),
        # RFC 9110 13.2.2: If-Modified-Since is not evaluated when If-None-Match is present.
        pytest.param(OTHER, LAST_MODIFIED_HTTP, False, id="etag-differs-date-ignored"),
        pytest.param("garbage", LATER_HTTP, False, id="garbage-etag-date-ignored"),
        pytest.param("", LATER_HTTP, False, id="empty-etag-date-ignored"),
    ],
)
def test_is_not_modified(
    if_none_match: str | None, if_modified_since: str | None, expected: bool
) -> None:
    answer = is_not_modified(
        if_none_match=if_none_match,
        if_modified_since=if_modified_since,
        etag=ETAG,
        last_modified=LAST_MODIFIED,
    )
    assert answer is expected


# ---------------------------------------------------------------- http_date


@pytest.mark.parametrize(
    ("instant", "text"),
    [
        pytest.param(LAST_MODIFIED, LAST_MODIFIED_HTTP, id="utc"),
        pytest.param(
            datetime(2019, 6, 5, 23, 40, 20, tzinfo=timezone(timedelta(hours=2))),
            LAST_MODIFIED_HTTP,
            id="converted-to-gmt",
        ),
        pytest.param(
            LAST_MODIFIED + timedelta(microseconds=999_999),
            LAST_MODIFIED_HTTP,
            id="fraction-truncated",
        ),
        pytest.param(
            datetime(2020, 1, 1, 0, 0, 0, tzinfo=UTC), "Wed, 01 Jan 2020 00:00:00 GMT", id="padded"
        ),
        pytest.param(
            datetime(2019, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=-5))),
            "Wed, 01 Jan 2020 04:59:59 GMT",
            id="next-day-in-gmt",
        ),
    ],
)
def test_http_date_is_the_imf_fixdate_in_gmt(instant: datetime, text: str) -> None:
    assert http_date(instant) == text


@pytest.mark.parametrize(
    "instant",
    [
        LAST_MODIFIED,
        LAST_MODIFIED + timedelta(microseconds=1),
        LAST_MODIFIED + timedelta(microseconds=999_999),
        datetime(2019, 6, 5, 23, 40, 20, 500_000, tzinfo=timezone(timedelta(hours=2))),
    ],
    ids=["whole-second", "one-microsecond-after", "just-before-the-next-second", "other-zone"],
)
def test_a_client_echoing_last_modified_gets_not_modified(instant: datetime) -> None:
    assert not_modified_since(http_date(instant), instant) is True
