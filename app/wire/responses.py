"""The wire contract of every response, in one place: negotiation (and 406), conditional
requests (ETag / Last-Modified / 304), rendering, the standard headers, HEAD, and `uforgeError`
bodies for failures.

Handlers hand over a wire object and its validators; they never build a Response themselves.
"""

from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from starlette.requests import Request
from starlette.responses import Response

from uforge_mock.wire import conditional
from uforge_mock.wire.digest import content_digest
from uforge_mock.wire.errors import NotAcceptable, UForgeException
from uforge_mock.wire.negotiation import DOCUMENT_OFFERS, JSON, XML, negotiate
from uforge_mock.wire.render.json import render_json
from uforge_mock.wire.render.xml import render_xml
from uforge_mock.wire.schemas import LocalizedMessage, Parameters, UForgeError, WireObject

PRIVATE = "private, no-cache"
# The control API speaks JSON first; its errors are uforgeErrors too.
CONTROL_PREFIX = "/_mock"
CONTROL_OFFERS = (JSON, XML)
ARCHIVE = "application/gzip"
RENDERERS = {XML: render_xml, JSON: render_json}


def version_header(platform_version: str) -> tuple[bytes, bytes]:
    """The `version` header the platform puts on every response."""
    return (b"version", platform_version.encode("latin-1"))


def negotiated(request: Request) -> str | None:
    """The document media type the client prefers, or None when it accepts neither."""
    return negotiate(request_header(request, b"accept"))


def request_header(request: Request, name: bytes) -> str | None:
    """The first `name` header of the request (lowercase), read from the scope: no `Headers`
    object built for the few a route asks."""
    headers: list[tuple[bytes, bytes]] = request.scope["headers"]
    for key, value in headers:
        if key == name:
            return value.decode("latin-1")
    return None


def require_acceptable(request: Request) -> None:
    """406 now when no answer could be given: a route that writes calls it before it reads
    the body or writes anything, so that a refused request changes nothing (the contract's
    order: the caller's checks, the ids, then this)."""
    if negotiated(request) is None:
        raise NotAcceptable.offering(*DOCUMENT_OFFERS)


@lru_cache(maxsize=4096)
def entity_tag(digest: str, media_type: str) -> str:
    """Strong ETag of one representation: the object's digest, told apart per media type."""
    return '"' + content_digest(digest, media_type) + '"'


def document_response(
    request: Request,
    document: WireObject | Callable[[], WireObject],
    *,
    digest: str | None = None,
    last_modified: datetime | None = None,
    status_code: int = 200,
    cache_control: str = PRIVATE,
    headers: Mapping[str, str] | None = None,
    bodies: "RenderedBodies | None" = None,
) -> Response:
    """`document` in the negotiated format, or a 304 when the client's copy is current.

    With a `digest`, the response carries an ETag and `Last-Modified` and (for a 200) honours
    `If-None-Match` / `If-Modified-Since`; the 304 is decided before anything is rendered.
    `document` may be a function building it: it is then called only when the body must be
    rendered (not for a 304, nor when `bodies` holds what the same ETag rendered before).
    """
    media_type = negotiated(request)
    if media_type is None:
        raise NotAcceptable.offering(*DOCUMENT_OFFERS)
    response_headers = {"Vary": "Accept", "Cache-Control": cache_control, **(headers or {})}
    if digest is None or last_modified is None:
        body = RENDERERS[media_type](document() if callable(document) else document)
        return _finish(request, body, status_code, media_type, response_headers)
    etag = entity_tag(digest, media_type)
    modified = conditional.http_date(last_modified)
    response_headers["ETag"] = etag
    response_headers["Last-Modified"] = modified
    if status_code == 200 and _not_modified(request, etag, last_modified):
        return PreparedResponse(304, _raw_headers(response_headers))
    if bodies is None:
        body = RENDERERS[media_type](document() if callable(document) else document)
        return _finish(request, body, status_code, media_type, response_headers)
    # The answer the same ETag had, headers and all, when they are the same (they are, for a
    # poll of the same status: the ETag covers its content, and Last-Modified is part of it).
    answer = bodies.answer(etag)
    if answer is None or answer.status_code != status_code or answer.headers != response_headers:
        body = RENDERERS[media_type](document() if callable(document) else document)
        answer = PreparedAnswer.of(status_code, media_type, response_headers, body)
        bodies.keep(etag, answer)
    return answer.response(request.scope["method"])


class PreparedResponse(Response):
    """A response given as its raw header list: none of Starlette's header building (what it
    would build: the names lowercased, `content-length` and `content-type` last)."""

    def __init__(
        self, status_code: int, raw_headers: list[tuple[bytes, bytes]], body: bytes = b""
    ) -> None:
        self.status_code = status_code
        self.body = body
        self.background = None
        self.raw_headers = raw_headers


@dataclass(frozen=True, slots=True)
class PreparedAnswer:
    """A rendered answer kept by its ETag: the headers given, its raw headers and its body."""

    status_code: int
    headers: dict[str, str]
    raw_headers: tuple[tuple[bytes, bytes], ...]
    body: bytes

    @classmethod
    def of(
        cls, status_code: int, media_type: str, headers: dict[str, str], body: bytes
    ) -> "PreparedAnswer":
        raw = _raw_headers(headers)
        raw.append((b"content-length", str(len(body)).encode("ascii")))
        raw.append((b"content-type", media_type.encode("latin-1")))
        return cls(status_code, headers, tuple(raw), body)

    def response(self, method: str) -> PreparedResponse:
        """The answer to a GET; to a HEAD, the same headers (Content-Length too), no body."""
        body = b"" if method == "HEAD" else self.body
        return PreparedResponse(self.status_code, list(self.raw_headers), body)


class RenderedBodies:
    """Answers already rendered, by ETag. A poll of an unchanged status (the common case)
    then costs no rendering and no header building: the ETag is the digest of the content and
    its media type, so the same tag always stands for the same bytes."""

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._answers: OrderedDict[str, PreparedAnswer] = OrderedDict()

    def answer(self, etag: str) -> PreparedAnswer | None:
        answer = self._answers.get(etag)
        if answer is not None:
            self._answers.move_to_end(etag)
        return answer

    def keep(self, etag: str, answer: PreparedAnswer) -> None:
        self._answers[etag] = answer
        if len(self._answers) > self._size:
            self._answers.popitem(last=False)


def _raw_headers(headers: Mapping[str, str]) -> list[tuple[bytes, bytes]]:
    return [
        (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()
    ]


def archive_response(
    request: Request, body: bytes, *, filename: str, digest: str, last_modified: datetime
) -> Response:
    """An export's archive. Not negotiated: the official clients ask for it with
    `Accept: application/xml`. No Content-Encoding: the SDK would save it decompressed."""
    headers = {
        "Cache-Control": PRIVATE,
        "Content-Disposition": f'attachment; filename="{filename}"',
    }
    etag = entity_tag(digest, ARCHIVE)
    headers["ETag"] = etag
    headers["Last-Modified"] = conditional.http_date(last_modified)
    if _not_modified(request, etag, last_modified):
        return PreparedResponse(304, _raw_headers(headers))
    return _finish(request, body, 200, ARCHIVE, headers)


def no_content_response() -> Response:
    return Response(status_code=204)


def _not_modified(request: Request, etag: str, last_modified: datetime) -> bool:
    """Whether the request's preconditions say 304 for a representation with these validators."""
    if_none_match = if_modified_since = None
    for name, value in request.scope["headers"]:
        # The first of each, as Starlette's `Headers.get` reads them.
        if name == b"if-none-match" and if_none_match is None:
            if_none_match = value.decode("latin-1")
        elif name == b"if-modified-since" and if_modified_since is None:
            if_modified_since = value.decode("latin-1")
    return conditional.is_not_modified(
        if_none_match=if_none_match,
        if_modified_since=if_modified_since,
        etag=etag,
        last_modified=last_modified,
    )


def error_media_type(path: str, accept: str | None) -> str:
    """The format of an error on `path`: the negotiated one, else XML (JSON on the control
    API, which speaks JSON first)."""
    if path.startswith(CONTROL_PREFIX):
        return negotiate(accept, CONTROL_OFFERS) or JSON
    return negotiate(accept) or XML


def error_body(
    error: UForgeException, *, method: str, path: str, media_type: str, now: datetime
) -> bytes:
    """`error` as a rendered `uforgeError` document."""
    document = UForgeError(
        localizedErrorMsg=LocalizedMessage(
            message=error.message,
            messageId=error.message_id,
            parameters=Parameters(parameter=list(error.parameters)),
        ),
        requestMethod=method,
        requestUri=path,
        statusCode=error.status_code,
        timestamp=now,
    )
    return RENDERERS[media_type](document)


def error_response(request: Request, error: UForgeException, *, now: datetime) -> Response:
    """`error` as a `uforgeError`, in the negotiated format (XML when nothing is acceptable)."""
    path = request.url.path
    media_type = error_media_type(path, request.headers.get("accept"))
    body = error_body(error, method=request.method, path=path, media_type=media_type, now=now)
    headers = {"Vary": "Accept", "Cache-Control": "no-store", **error.headers()}
    return _finish(request, body, error.status_code, media_type, headers)


def _finish(
    request: Request, body: bytes, status_code: int, media_type: str, headers: dict[str, str]
) -> Response:
    response = Response(body, status_code=status_code, media_type=media_type, headers=headers)
    if request.method == "HEAD":
        # Same headers as the GET, Content-Length included; no body.
        response.body = b""
    return response
