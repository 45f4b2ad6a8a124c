"""A user's tickets of one kind across their resources, as the vendor lists them: every
ticket's `status` in one `statuses` document, kept to the tickets a repeatable query parameter
names by URI (`GET /users/{uid}/exports/statuses?ae=...`, `.../imports/statuses?ai=...`).
Their listings' digest is built here too, so that both answers move with any ticket."""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol

from fastapi import Request
from starlette.responses import Response

from uforge_mock.wire.digest import content_digest
from uforge_mock.wire.responses import document_response
from uforge_mock.wire.schemas import OpStatus, OpStatuses, StatusItems


class Digested(Protocol):
    @property
    def digest(self) -> str | None: ...


def listing_digest(documents: Sequence[Digested]) -> str:
    """The digest of a list of documents: their number and each one's digest, in order."""
    return content_digest(len(documents), *(document.digest for document in documents))


def uri_filter_parameter(name: str, what: str) -> dict[str, Any]:
    """The OpenAPI description of `name`, the statuses' filter by a ticket's URI."""
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": f"{what}'s URI (repeatable): only the statuses of these",
        "schema": {"type": "array", "items": {"type": "string"}},
        "style": "form",
        "explode": True,
    }


def statuses_response(
    request: Request,
    filter_name: str,
    tickets: Iterable[tuple[str, OpStatus]],
    *,
    read_at: datetime,
) -> Response:
    """The `statuses` of `tickets` (each its URI and status), those named by `filter_name` in
    the query when it is given; `Last-Modified` is when the list was read (`read_at`)."""
    wanted = {uri.strip("/") for uri in request.query_params.getlist(filter_name)}
    statuses = [status for uri, status in tickets if not wanted or uri in wanted]
    return document_response(
        request,
        OpStatuses(total=len(statuses), statuses=StatusItems(status=statuses)),
        digest=listing_digest(statuses),
        last_modified=read_at,
    )
