"""The export engine: the asynchronous export job of the UForge API, for any resource.

An export is a ticket whose status is a pure function of the ticket and the mock's clock
(`uforge_mock.jobs.simulation`), with an archive at the end. Its routes are the same for every
resource the platform exports (a mySoftware, an appliance template):

    POST   {resource}/exports?outputFormat=   create the ticket (201, Location)
    GET    {resource}/exports/{eid}           the export document (a family with `get`)
    GET    {resource}/exports/{eid}/status    poll it (ETag / 304)
    DELETE {resource}/exports/{eid}/status    cancel it (a family with `cancel`)
    GET    {resource}/exports/{eid}/downloads the archive once complete (409 before)
    DELETE {resource}/exports/{eid}           drop it (204; its id never comes back)

A cancel ends a running export `cancelled` at the instant of the cancel: the ticket's facts
say so (`jobs.simulation.cancelled_at`), so every server sharing the store agrees. The
vendor documents a cancel and a get for appliance exports, not for mySoftware ones: a family
has the routes its vendor pages list.

and the control plane patches and lists the tickets the same way. A family is an
`ExportFamily`: the resource's path and entitlement, its tickets' queries, how to load the
resource, and what its export document and archive are. `export_routes(family)` makes its
routes; nothing of the job is written twice.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypedDict

from fastapi import APIRouter, Request
from sqlalchemy.exc import IntegrityError
from starlette.responses import Response

from uforge_mock.api.deps import entitled_user, parse_id, runtime_of
from uforge_mock.api.docs import document_responses, error_responses, get_and_head
from uforge_mock.jobs.simulation import EXPORT, ExportState, JobWording, cancelled_at, export_state
from uforge_mock.platform.runtime import Runtime
from uforge_mock.store.tickets import ExportRecord, ExportTickets
from uforge_mock.wire.digest import content_digest
from uforge_mock.wire.errors import BadRequest, ExportEnded, ExportNotComplete, NotFound
from uforge_mock.wire.render import format_datetime
from uforge_mock.wire.responses import (
    archive_response,
    document_response,
    no_content_response,
    require_acceptable,
)
from uforge_mock.wire.schemas import OpStatus, UForgeObject

OUTPUT_FORMATS = ("yaml", "json")
OUTPUT_FORMAT_PARAMETER = {
    "name": "outputFormat",
    "in": "query",
    "required": False,
    "description": "`yaml` (default) or `json`, case-insensitive; anything else is a 400",
    "schema": {"type": "string", "default": "yaml"},
}


@dataclass(frozen=True, slots=True)
class Exportable:
    """What the engine needs of the resource a new export is made of."""

    db_id: int
    # How its new exports behave; None means the server's settings.
    export_duration_seconds: float | None = None
    export_outcome: str | None = None


@dataclass(frozen=True, slots=True)
class Archive:
    """The file a complete export offers, and the name a browser saves it under."""

    filename: str
    body: bytes


class RouteOptions(TypedDict):
    operation_id: str
    summary: str
    description: str


@dataclass(frozen=True, slots=True)
class Operation:
    """How one route of the family is documented (OpenAPI)."""

    operation_id: str
    summary: str
    description: str

    def route_options(self) -> "RouteOptions":
        return {
            "operation_id": self.operation_id,
            "summary": self.summary,
            "description": self.description,
        }


@dataclass(frozen=True, slots=True)
class ExportOperations:
    create: Operation
    status: Operation
    download: Operation
    delete: Operation
    archive: str  # what the downloaded file holds
    # The routes only some families have (None: the family has no such route).
    get: Operation | None = None
    cancel: Operation | None = None


@dataclass(frozen=True)
class ExportFamily:
    """One kind of export: of which resource, behind which entitlement, producing what.

    Attributes:
        name: the resource's name in the control plane's ticket JSON (`mySoftware`).
        resource_path: the route of the exported resource, `/users/{uid}/mysoftware/{msid}`.
        resource_param: the path parameter naming it (`msid`).
        entitlement: what a caller needs for every route of the family.
        tickets: the queries of its ticket table.
        tag: the OpenAPI tag of its routes.
        operations: how its routes are documented.
        document_type: the wire type answered at create (`SoftwareBundleExport`).
        load_resource: the resource `{id}` owned by `{uid}` (runtime, uid, id), or raise the
            family's 404.
        not_found: the 404 of an export (eid, resource id).
        document: the export document of a ticket in a state.
        archive: the archive of a complete export.
        wording: what its job says of its phases and ends.
    """

    name: str
    resource_path: str
    resource_param: str
    entitlement: str
    tickets: ExportTickets
    tag: str
    operations: ExportOperations
    document_type: type[UForgeObject]
    load_resource: Callable[[Runtime, str, str], Awaitable[Exportable]]
    not_found: Callable[[str, str], NotFound]
    document: Callable[["ExportFamily", ExportRecord, ExportState], UForgeObject]
    archive: Callable[[Runtime, ExportRecord, ExportState], Awaitable[Archive]]
    wording: JobWording = EXPORT
    _uri_template: str = field(init=False, repr=False, compare=False)
    _uid_first: bool = field(init=False, repr=False, compare=False)
    _digests: dict[tuple[str, str, int, int], str] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        # The resource's URI as a %-template of (owner, id): every status request writes one,
        # and this costs a fifth of str.format with names.
        template = self.resource_path.lstrip("/").replace("%", "%%")
        template = template.replace("{uid}", "%(uid)s")
        template = template.replace("{" + self.resource_param + "}", "%(id)s")
        first_uid = template.index("%(uid)s") < template.index("%(id)s")
        positional = template.replace("%(uid)s", "%s").replace("%(id)s", "%s")
        object.__setattr__(self, "_uri_template", positional)
        object.__setattr__(self, "_uid_first", first_uid)

    @property
    def exports_path(self) -> str:
        return f"{self.resource_path}/exports"

    def resource_uri(self, export: ExportRecord) -> str:
        """`users/guest/mysoftware/918`: relative, as the platform writes URIs."""
        owner, resource = export.owner_login, export.resource_id
        values = (owner, resource) if self._uid_first else (resource, owner)
        return self._uri_template % values

    def export_uri(self, export: ExportRecord) -> str:
        return f"{self.resource_uri(export)}/exports/{export.facts.db_id}"

    def status(self, export: ExportRecord, state: ExportState) -> OpStatus:
        """The `status` document of an export in `state`."""
        uri = self.export_uri(export)
        return OpStatus(
            created=export.facts.created,
            dbId=export.facts.db_id,
            digest=self.status_digest(export, state),
            lastModified=state.last_modified,
            cancelled=state.cancelled,
            complete=state.complete,
            detailedError=True if state.detailed_error_msg else None,
            detailedErrorMsg=state.detailed_error_msg,
            error=state.error,
            errorMessage=state.error_message,
            message=state.message,
            parentUri=uri,
            percentage=state.percentage,
            uri=f"{uri}/status",
        )

    def status_digest(self, export: ExportRecord, state: ExportState) -> str:
        """The status's digest: its state and where it lives (owner and resource in its URIs)."""
        key = (state.digest, export.owner_login, export.resource_id, export.facts.db_id)
        digest = self._digests.get(key)
        if digest is None:  # remembered: every poll asks it
            if len(self._digests) >= 4096:
                self._digests.clear()
            digest = self._digests[key] = content_digest(state.digest, self.export_uri(export))
        return digest

    async def valid_export(self, request: Request) -> ExportRecord:
        """The export `{eid}` of the resource named in the path, owned by `{uid}`, after the
        checks of the family's entitlement; or 404."""
        await entitled_user(request, self.entitlement)
        params = request.path_params
        uid, resource, eid = params["uid"], params[self.resource_param], params["eid"]
        runtime = runtime_of(request)
        resource_id, export_id = parse_id(resource), parse_id(eid)
        if export_id is not None and resource_id is not None:
            rows = await runtime.database.fetch(self.tickets.BY_ID, db_id=export_id)
            export = runtime.conversions.of(rows, self.tickets.from_rows)
            if export and export.resource_id == resource_id and export.owner_login == uid:
                return export
        # Say which of the two ids is wrong.
        await self.load_resource(runtime, uid, resource)
        raise self.not_found(eid, resource)

    async def start_export(
        self, runtime: Runtime, resource: Exportable, *, output_format: str, now: datetime
    ) -> ExportRecord:
        """A new ticket on `resource`, made `now`, that behaves as the resource (or else the
        settings) says (the create route's, and the dashboard's)."""
        settings = runtime.settings
        return await runtime.database.write(
            self.tickets.create,
            resource_id=resource.db_id,
            output_format=output_format,
            created=now,
            duration_seconds=(
                resource.export_duration_seconds
                if resource.export_duration_seconds is not None
                else settings.export_duration_seconds
            ),
            outcome=resource.export_outcome or settings.export_outcome,
            percentage=settings.export_stop_percentage,
        )

    def ticket_json(self, export: ExportRecord, now: datetime) -> dict[str, Any]:
        """A ticket as the control plane shows it: its facts and its status at `now`."""
        facts = export.facts
        state = export_state(facts, now, self.wording)
        return {
            "dbId": facts.db_id,
            self.name: export.resource_id,
            "owner": export.owner_login,
            "outputFormat": export.output_format,
            "created": format_datetime(facts.created),
            "duration": facts.duration_seconds,
            "outcome": facts.outcome,
            "percentage": facts.percentage,
            "message": facts.message,
            "errorMessage": facts.error_message,
            "detailedErrorMsg": facts.detailed_error_msg,
            "status": {
                "percentage": state.percentage,
                "complete": state.complete,
                "error": state.error,
                "cancelled": state.cancelled,
                "message": state.message,
                "lastModified": format_datetime(state.last_modified),
            },
        }


def export_routes(family: ExportFamily) -> APIRouter:
    """The routes of `family`'s exports: create, poll, download, delete."""
    router = APIRouter(tags=[family.tag])
    operations = family.operations
    export_path = family.exports_path + "/{eid}"

    async def create(request: Request) -> Response:
        await entitled_user(request, family.entitlement)
        runtime = runtime_of(request)
        params = request.path_params
        resource = await family.load_resource(runtime, params["uid"], params[family.resource_param])
        require_acceptable(request)
        output_format = request.query_params.get("outputFormat")
        chosen = "yaml" if output_format is None else output_format.lower()
        if chosen not in OUTPUT_FORMATS:
            raise BadRequest(
                f"Unsupported outputFormat {output_format!r}: use yaml or json",
                output_format or "",
            )
        now = await runtime.now()
        try:
            export = await family.start_export(runtime, resource, output_format=chosen, now=now)
        except IntegrityError:
            # The resource went (a reset, a seed) between the checks and the insert: a 404,
            # as if the request had come a moment later. Anything else is a bug: a 500.
            await family.load_resource(runtime, params["uid"], params[family.resource_param])
            raise
        state = export_state(export.facts, now, family.wording)
        prefix = request.url.path.split("/users/", 1)[0]
        uri = family.export_uri(export)
        location = str(request.url.replace(path=f"{prefix}/{uri}", query=""))
        return document_response(
            request,
            family.document(family, export, state),
            status_code=201,
            headers={"Location": location},
        )

    async def status(request: Request) -> Response:
        export = await family.valid_export(request)
        runtime = runtime_of(request)
        state = export_state(export.facts, await runtime.now(), family.wording)
        return document_response(
            request,
            lambda: family.status(export, state),
            digest=family.status_digest(export, state),
            last_modified=state.last_modified,
            bodies=runtime.bodies,
        )

    async def get(request: Request) -> Response:
        export = await family.valid_export(request)
        runtime = runtime_of(request)
        state = export_state(export.facts, await runtime.now(), family.wording)
        document = family.document(family, export, state)
        return document_response(
            request, document, digest=document.digest, last_modified=state.last_modified
        )

    async def cancel(request: Request) -> Response:
        export = await family.valid_export(request)
        require_acceptable(request)
        runtime = runtime_of(request)
        now = await runtime.now()
        state = export_state(export.facts, now, family.wording)
        if not state.finished:
            ended = await runtime.database.write(
                family.tickets.update_unless_changed,
                seen=export.facts,
                values=cancelled_at(export.facts, now, family.wording),
                now=now,
            )
            if ended is None:  # a concurrent delete won
                raise family.not_found(str(export.facts.db_id), str(export.resource_id))
            export = ended
            state = export_state(export.facts, now, family.wording)
        # Already cancelled (here or by another server at once): the same answer again.
        if not state.cancelled:
            raise ExportEnded.for_id(export.facts.db_id, "complete" if state.complete else "error")
        return document_response(request, family.status(export, state))

    async def download(request: Request) -> Response:
        export = await family.valid_export(request)
        runtime = runtime_of(request)
        state = export_state(export.facts, await runtime.now(), family.wording)
        if not state.complete:
            raise ExportNotComplete.for_id(export.facts.db_id)
        archive = await family.archive(runtime, export, state)
        return archive_response(
            request,
            archive.body,
            filename=archive.filename,
            digest=content_digest(state.digest, archive.body.hex()),
            last_modified=state.last_modified,
        )

    async def remove(request: Request) -> Response:
        export = await family.valid_export(request)
        runtime = runtime_of(request)
        deleted = await runtime.database.write(family.tickets.delete, db_id=export.facts.db_id)
        if not deleted:  # a concurrent delete won
            raise family.not_found(str(export.facts.db_id), str(export.resource_id))
        return no_content_response()

    router.add_api_route(
        family.exports_path,
        create,
        methods=["POST"],
        **operations.create.route_options(),
        status_code=201,
        responses=document_responses(
            family.document_type,
            errors=(400, 401, 403, 404, 406, 413),
            conditional=False,
            success=201,
            success_description="The export ticket, with its status",
        ),
        response_class=Response,
        openapi_extra={"parameters": [OUTPUT_FORMAT_PARAMETER]},
    )
    if operations.get is not None:
        get_and_head(
            router,
            export_path,
            **operations.get.route_options(),
            responses=document_responses(family.document_type, errors=(401, 403, 404, 406)),
            response_class=Response,
        )(get)
    get_and_head(
        router,
        export_path + "/status",
        **operations.status.route_options(),
        responses=document_responses(OpStatus, errors=(401, 403, 404, 406)),
        response_class=Response,
    )(status)
    get_and_head(
        router,
        export_path + "/downloads",
        **operations.download.route_options(),
        responses={
            200: {
                "description": operations.archive,
                "content": {"application/gzip": {"schema": {"type": "string", "format": "binary"}}},
            },
            304: {"description": "Not modified: the client's copy (ETag) is current"},
            **error_responses((401, 403, 404, 409)),
        },
        response_class=Response,
    )(download)
    if operations.cancel is not None:
        router.add_api_route(
            export_path + "/status",
            cancel,
            methods=["DELETE"],
            **operations.cancel.route_options(),
            responses=document_responses(
                OpStatus,
                errors=(401, 403, 404, 406, 409, 413),
                conditional=False,
                success_description="The export's status: cancelled",
            ),
            response_class=Response,
        )
    router.add_api_route(
        export_path,
        remove,
        methods=["DELETE"],
        **operations.delete.route_options(),
        status_code=204,
        responses={204: {"description": "Deleted"}, **error_responses((401, 403, 404, 413))},
        response_class=Response,
    )
    return router
