"""Choosing the media type of a response from the request's `Accept` header.

q-values and specificity are honoured (`application/json;q=0.9, application/xml;q=0.1` is JSON;
`application/xml;q=0` excludes XML); a missing or empty header, `*/*` and `application/*` choose
the first offer, XML, the documented default. `None` means nothing offered is acceptable (406).
"""

from functools import lru_cache

XML = "application/xml"
JSON = "application/json"
DOCUMENT_OFFERS = (XML, JSON)

# A header longer than this is judged on its first ranges only; no client needs more.
_MAX_RANGES = 64
# The memory of answers holds short headers only, so that it stays small in bytes whatever
# clients send (browsers send ~100 characters, the official clients one media type): keyed
# on any header, 512 distinct 4 MB headers held 2 GB.
_REMEMBERED_ENTRIES = 512
_REMEMBERED_MAX_CHARS = 256


def negotiate(accept: str | None, offers: tuple[str, ...] = DOCUMENT_OFFERS) -> str | None:
    """The offer the `Accept` header prefers, the first offer on a tie, or None."""
    if accept is None or len(accept) <= _REMEMBERED_MAX_CHARS:
        return _remembered(accept, offers)
    return _choose(accept, offers)


def _choose(accept: str | None, offers: tuple[str, ...]) -> str | None:
    if accept is None or not accept.strip():
        return offers[0]
    ranges = _parse(accept)
    best: str | None = None
    best_q = 0.0
    for offer in offers:
        q = _quality(offer, ranges)
        if q > best_q:
            best, best_q = offer, q
    return best


_remembered = lru_cache(maxsize=_REMEMBERED_ENTRIES)(_choose)


def _parse(accept: str) -> list[tuple[str, str, float]]:
    """(type, subtype, q) of each well-formed media range; malformed ranges are skipped."""
    ranges = []
    for part in accept.split(",", _MAX_RANGES)[:_MAX_RANGES]:
        media, *params = part.split(";")
        kind, slash, subkind = media.strip().lower().partition("/")
        if not slash or not kind or not subkind or (kind == "*" and subkind != "*"):
            continue
        q = 1.0
        for param in params:
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                q = _q_value(value.strip())
        if q >= 0:
            ranges.append((kind, subkind, q))
    return ranges


def _q_value(text: str) -> float:
    """A q-value between 0 and 1, or -1 for an invalid one (the range is then ignored)."""
    try:
        q = float(text)
    except ValueError:
        return -1.0
    return q if 0.0 <= q <= 1.0 else -1.0


def _quality(offer: str, ranges: list[tuple[str, str, float]]) -> float:
    """The q of the most specific range matching `offer` (0 when none matches)."""
    kind, _, subkind = offer.partition("/")
    best_specificity, q = -1, 0.0
    for range_kind, range_subkind, range_q in ranges:
        if range_kind == kind and range_subkind == subkind:
            specificity = 2
        elif range_kind == kind and range_subkind == "*":
            specificity = 1
        elif range_kind == "*":
            specificity = 0
        else:
            continue
        if specificity > best_specificity:
            best_specificity, q = specificity, range_q
    return q
