"""The wire contract of every response, in one place: negotiation (and 406), conditional
requests (ETag / Last-Modified / 304), rendering, the standard headers, HEAD, and `uforgeError`
bodies for failures.

Handlers hand over a wire object and its validators; they never build a Response themselves.
"""

from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import datetime

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
    return negotiate(request.headers.get("accept"))


def require_acceptable(request: Request) -> None:
    """406 now when no answer could be given: a route that writes calls it before it reads
    the body or writes anything, so that a refused request changes nothing (the contract's
    order: the caller's checks, the ids, then this)."""
    if negotiated(request) is None:
        raise NotAcceptable.offering(*DOCUMENT_OFFERS)


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
    if _not_modified(request, response_headers, media_type, digest, last_modified, status_code):
        return Response(status_code=304, headers=response_headers)
    etag = response_headers.get("ETag") if bodies is not None else None
    body = bodies.get(etag) if bodies is not None and etag else None
    if body is None:
        body = RENDERERS[media_type](document() if callable(document) else document)
        if bodies is not None and etag:
            bodies.put(etag, body)
    return _finish(request, body, status_code, media_type, response_headers)


class RenderedBodies:
    """Documents already rendered, by ETag. A poll of an unchanged status (the common case)
    then costs no rendering: the ETag is the digest of the content and its media type, so the
    same tag always stands for the same bytes."""

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._bodies: OrderedDict[str, bytes] = OrderedDict()

    def get(self, etag: str) -> bytes | None:
        body = self._bodies.get(etag)
        if body is not None:
            self._bodies.move_to_end(etag)
        return body

    def put(self, etag: str, body: bytes) -> None:
        self._bodies[etag] = body
        if len(self._bodies) > self._size:
            self._bodies.popitem(last=False)


def archive_response(
    request: Request, body: bytes, *, filename: str, digest: str, last_modified: datetime
) -> Response:
    """An export's archive. Not negotiated: the official clients ask for it with
    `Accept: application/xml`. No Content-Encoding: the SDK would save it decompressed."""
    headers = {
        "Cache-Control": PRIVATE,
        "Content-Disposition": f'attachment; filename="{filename}"',
    }
    if _not_modified(request, headers, ARCHIVE, digest, last_modified, 200):
        return Response(status_code=304, headers=headers)
    return _finish(request, body, 200, ARCHIVE, headers)


def no_content_response() -> Response:
    return Response(status_code=204)


def _not_modified(
    request: Request,
    headers: dict[str, str],
    media_type: str,
    digest: str | None,
    last_modified: datetime | None,
    status_code: int,
) -> bool:
    """Add the validators to `headers`; True when the request's preconditions say 304."""
    if digest is None or last_modified is None:
        return False
    etag = entity_tag(digest, media_type)
    headers["ETag"] = etag
    headers["Last-Modified"] = conditional.http_date(last_modified)
    return status_code == 200 and conditional.is_not_modified(
        if_none_match=request.headers.get("if-none-match"),
        if_modified_since=request.headers.get("if-modified-since"),
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
