"""The control API of tests and demos, under `/_mock` (JSON in and out, bearer token).

POST   /_mock/reset            back to the state after start-up, in one transaction
POST   /_mock/seed             load a seed document (JSON or YAML body), all or nothing
GET    /_mock/clock            the mock's time
PUT    /_mock/clock            freeze, advance, set, run again, or back to real time
PATCH  /_mock/exports/{eid}    change a ticket's outcome, duration, messages, percentage
GET    /_mock/exports          the tickets and their status, a page at a time (limit, after)
PATCH  /_mock/bundleimports/{sbid}  change a bundle import's outcome, duration, messages
GET    /_mock/bundleimports    the bundle imports and their status, a page at a time
PATCH  /_mock/applianceexports/{eid}  change an appliance export ticket, as /_mock/exports/{eid}
GET    /_mock/applianceexports        the appliance export tickets and their status, in pages
PATCH  /_mock/applianceimports/{iid}  change an appliance import, as /_mock/bundleimports/{sbid}
GET    /_mock/applianceimports        the appliance imports and their status, a page at a time
GET    /_mock/requests         the journal of UForge requests, of every server on the store
                               (filter: method, path glob; pages)
DELETE /_mock/requests         empty the journal
GET    /_mock/faults           the injected faults (they apply on every server on the store)
POST   /_mock/faults           inject one
DELETE /_mock/faults[/{id}]    remove them all, or one
"""

import hmac
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Body, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import JSONResponse, Response

from uforge_mock.api.deps import RuntimeDep, parse_id
from uforge_mock.api.export_engine import ExportFamily
from uforge_mock.api.routes.appliance_exports import APPLIANCE_EXPORTS
from uforge_mock.api.routes.appliance_imports import import_state as appliance_import_state
from uforge_mock.api.routes.bundle_imports import WAITING_MESSAGE, import_state
from uforge_mock.api.routes.exports import MY_SOFTWARE_EXPORTS
from uforge_mock.control.faults import FaultSpec, fault_json
from uforge_mock.control.guard import (
    CHANGING_METHODS,
    JSON_MEDIA_TYPES,
    YAML_MEDIA_TYPES,
    refuse_cross_site,
    require_media_type,
)
from uforge_mock.control.journal import entry_json
from uforge_mock.control.openapi import control_openapi_document
from uforge_mock.control.plane import ControlPlane
from uforge_mock.jobs.clock import REAL_TIME, ClockState
from uforge_mock.platform.runtime import Runtime
from uforge_mock.store import appliance_import_patches, imports
from uforge_mock.store import queries as store
from uforge_mock.store.appliance_imports import ApplianceImportRecord
from uforge_mock.store.imports import ImportRecord
from uforge_mock.store.models import MAX_ID
from uforge_mock.store.seed import parse_seed_text
from uforge_mock.store.seed_errors import SeedError
from uforge_mock.wire.errors import BadRequest, ControlUnauthorized, NotFound
from uforge_mock.wire.render import format_datetime

CONTROL_TAG = "mock control"


# The media types a change-making route takes, by route name; the others take JSON alone.
BODY_MEDIA_TYPES = {"seed": JSON_MEDIA_TYPES + YAML_MEDIA_TYPES}


async def control_access(request: Request, runtime: RuntimeDep) -> None:
    """Only requests made to this server directly (not by a web page: `control.guard`) and
    the control token open the control API (never the UForge credentials); a change is
    taken only in the route's own media types."""
    settings = runtime.settings
    refuse_cross_site(request, settings)
    if not settings.control_open or settings.control_token:
        scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
        expected = settings.control_token.encode()
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), expected):
            raise ControlUnauthorized()
    if request.method in CHANGING_METHODS:
        route = request.scope.get("route")
        accepted = BODY_MEDIA_TYPES.get(getattr(route, "name", ""), JSON_MEDIA_TYPES)
        require_media_type(request, accepted)


async def get_plane(request: Request) -> ControlPlane:
    plane: ControlPlane = request.app.state.control
    return plane


PlaneDep = Annotated[ControlPlane, Depends(get_plane)]


router = APIRouter(prefix="/_mock", tags=[CONTROL_TAG], dependencies=[Depends(control_access)])


def json_response(content: Any, status_code: int = 200) -> Response:
    return JSONResponse(content, status_code=status_code, headers={"Cache-Control": "no-store"})


# ---------------------------------------------------------------- state


@router.post(
    "/reset",
    summary="Back to the state after start-up: the configured seed, real time, no faults, "
    "an empty journal",
)
async def reset(runtime: RuntimeDep, plane: PlaneDep) -> Response:
    report = await runtime.database.run_sync(runtime.reset)
    await plane.clear()
    return json_response({"reset": True, "seed": report.as_json() if report else None})


SEED_EXAMPLE = {
    "users": [{"login": "alice", "password": "pw", "entitlements": ["software_upload"]}]
}


@router.post(
    "/seed",
    summary="Load a seed document (docs/SEED.md format); all or nothing",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"type": "object"}, "example": SEED_EXAMPLE},
                "application/yaml": {"schema": {"type": "string"}},
            },
        }
    },
)
async def seed(request: Request, runtime: RuntimeDep) -> Response:
    # Held to `seed_max_bytes` as it is read (`platform.edge.BodyLimit`): 413 past it.
    body = await request.body()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("The seed document is not UTF-8 text") from None
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    kind = "json" if content_type.endswith("json") else "yaml" if "yaml" in content_type else None
    now = await runtime.now()

    def load() -> dict[str, Any]:
        document = parse_seed_text(text, source="request body", kind=kind)
        return runtime.seed_loader().load(document, source="request body", now=now).as_json()

    try:
        report = await runtime.database.run_sync(load)
    except SeedError as error:
        raise SeedRejected(error) from None
    return json_response(report)


class SeedRejected(BadRequest):
    message_id = "mock.error.control.seed_rejected"

    def __init__(self, error: SeedError) -> None:
        super().__init__("The seed was not loaded: " + "; ".join(error.problems), *error.problems)


# ---------------------------------------------------------------- clock


class ClockChange(BaseModel):
    """`freeze` (at `at`, default now), `advance` (`by`), `set` (to `at`, running), `run`
    (running again from the current mock time), `real` (back to the system's time)."""

    model_config = ConfigDict(extra="forbid")

    action: Literal["freeze", "advance", "set", "run", "real"]
    at: datetime | None = None
    by: str | float | None = Field(default=None, description="seconds, or '30s', '5m', '1h30m'")


_DURATION = re.compile(
    r"^\s*(?:(\d+(?:\.\d+)?)h)?\s*(?:(\d+(?:\.\d+)?)m)?\s*(?:(\d+(?:\.\d+)?)s?)?\s*$"
)


def parse_duration(value: str | float) -> float:
    """Seconds from a number or a text like `90`, `30s`, `5m`, `1h30m` (may be negative)."""
    if isinstance(value, int | float):
        return float(value)
    text = value.strip()
    sign = -1.0 if text.startswith("-") else 1.0
    match = _DURATION.match(text.lstrip("+-"))
    if not text.lstrip("+-") or match is None or not any(match.groups()):
        raise BadRequest(f"Not a duration: {value!r} (try 30, 30s, 5m or 1h30m)")
    hours, minutes, seconds = (float(part) if part else 0.0 for part in match.groups())
    return sign * (hours * 3600 + minutes * 60 + seconds)


def clock_json(state: ClockState, base: datetime) -> dict[str, Any]:
    return {
        "now": format_datetime(state.now(base)),
        "frozen": state.frozen_at is not None,
        "offsetSeconds": state.offset_seconds,
        "systemNow": format_datetime(base),
    }


@router.get("/clock", summary="The mock's time")
async def clock_get(runtime: RuntimeDep) -> Response:
    state = await runtime.database.read(store.clock_state)
    return json_response(clock_json(state, runtime.clock.now()))


@router.put("/clock", summary="Freeze, advance, set or release the mock's time")
async def clock_put(change: ClockChange, runtime: RuntimeDep) -> Response:
    base = runtime.clock.now()
    state = await runtime.database.read(store.clock_state)
    at = _utc(change.at) if change.at else None
    if change.action == "freeze":
        state = state.frozen(at or state.now(base))
    elif change.action == "advance":
        if change.by is None:
            raise BadRequest("advance needs `by`")
        state = state.advanced(parse_duration(change.by), base)
    elif change.action == "set":
        if at is None:
            raise BadRequest("set needs `at`")
        state = state.running_from(at, base)
    elif change.action == "run":
        state = state.running_from(state.now(base), base)
    else:
        state = REAL_TIME
    await runtime.database.write(store.save_clock_state, state=state)
    return json_response(clock_json(state, base))


def _utc(instant: datetime) -> datetime:
    return instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant.astimezone(UTC)


# ---------------------------------------------------------------- export tickets


# A job patch's fields (exports, imports) -> the job's columns (`store.models.Job`).
JOB_COLUMNS = {
    "outcome": "outcome",
    "duration": "duration_seconds",
    "percentage": "percentage",
    "message": "message",
    "errorMessage": "error_message",
    "detailedErrorMsg": "detailed_error_msg",
}


class ExportPatch(BaseModel):
    """The ticket facts to change; fields left out keep their value."""

    model_config = ConfigDict(extra="forbid")

    outcome: Literal["complete", "error", "cancelled", "running"] | None = None
    duration: float | None = Field(default=None, ge=0, le=10**9)
    percentage: int | None = Field(default=None, ge=0, le=100)
    message: str | None = None
    errorMessage: str | None = None
    detailedErrorMsg: str | None = None
    restart: bool = Field(default=False, description="start the export again from now")


@router.patch("/exports/{eid}", summary="Change an export ticket (e.g. make it fail now)")
async def export_patch(
    eid: str, patch: Annotated[ExportPatch, Body()], runtime: RuntimeDep
) -> Response:
    db_id = parse_id(eid)
    fields = patch.model_dump(exclude_unset=True, exclude={"restart"})
    values: dict[str, object] = {JOB_COLUMNS[name]: value for name, value in fields.items()}
    now = await runtime.now()
    if patch.restart:
        values["created"] = now
    export = None
    if db_id is not None:
        export = await runtime.database.write(
            MY_SOFTWARE_EXPORTS.tickets.update, db_id=db_id, values=values, now=now
        )
    if export is None:
        raise NotFound(f"Export {eid} not found", eid)
    return json_response(MY_SOFTWARE_EXPORTS.ticket_json(export, now))


# The listings answer a page at a time: a store or a journal of a million entries at once
# was a body of hundreds of megabytes, built while the server answered nothing else.
PAGE_SIZE = 1000


# `?limit=` of a listing.
PageLimit = Annotated[
    int, Query(ge=1, le=PAGE_SIZE, description=f"at most this many (default {PAGE_SIZE})")
]


def next_page(route: str, /, **query: object) -> str:
    """The URL (from the root) of the page that follows, with the same filters."""
    return f"{route}?{urlencode({k: v for k, v in query.items() if v is not None})}"


@router.get(
    "/exports",
    summary="The export tickets with their current status, by dbId, a page at a time "
    "(`next`: the following page, null after the last)",
)
async def exports_list(
    runtime: RuntimeDep,
    limit: PageLimit = PAGE_SIZE,
    after: Annotated[
        int, Query(ge=0, le=MAX_ID, description="only tickets with a larger dbId")
    ] = 0,
) -> Response:
    now = await runtime.now()
    exports = await runtime.database.read(
        MY_SOFTWARE_EXPORTS.tickets.page, after=after, limit=limit + 1
    )
    page = exports[:limit]
    following = None
    if len(exports) > limit:
        following = next_page("/_mock/exports", limit=limit, after=page[-1].facts.db_id)
    return json_response(
        {
            "exports": [MY_SOFTWARE_EXPORTS.ticket_json(export, now) for export in page],
            "next": following,
        }
    )


# ---------------------------------------------------------------- bundle imports


class ImportPatch(BaseModel):
    """The import's job facts to change; fields left out keep their value. An import made to
    fail takes back the mySoftware it made (an import in error makes nothing)."""

    model_config = ConfigDict(extra="forbid")

    outcome: Literal["complete", "error", "running"] | None = None
    duration: float | None = Field(default=None, ge=0, le=10**9)
    percentage: int | None = Field(default=None, ge=0, le=100)
    message: str | None = None
    errorMessage: str | None = None
    detailedErrorMsg: str | None = None


def import_json(record: ImportRecord, now: datetime) -> dict[str, Any]:
    """An import as the control plane shows it: its facts and its status at `now`."""
    state = import_state(record, now)
    return {
        "dbId": record.db_id,
        "owner": record.owner_login,
        "imported": record.imported,
        "created": format_datetime(record.created),
        "uploaded": format_datetime(record.uploaded) if record.uploaded else None,
        "archiveSize": record.archive_size,
        "mySoftware": record.my_software_id,
        "duration": record.duration_seconds,
        "outcome": record.outcome,
        "percentage": record.percentage,
        "message": record.message,
        "errorMessage": record.error_message,
        "detailedErrorMsg": record.detailed_error_msg,
        "status": {
            "percentage": state.percentage if state else 0,
            "complete": state.complete if state else False,
            "error": state.error if state else False,
            "cancelled": False,
            "message": state.message if state else WAITING_MESSAGE,
            "lastModified": format_datetime(state.last_modified if state else record.last_modified),
        },
    }


@router.patch("/bundleimports/{sbid}", summary="Change a bundle import (e.g. make it fail now)")
async def bundle_import_patch(
    sbid: str, patch: Annotated[ImportPatch, Body()], runtime: RuntimeDep
) -> Response:
    return await _patched_import(
        runtime, sbid, patch, update=imports.update_import, as_json=import_json, kind="Bundle"
    )


@router.get(
    "/bundleimports",
    summary="The bundle imports with their current status, by dbId, a page at a time "
    "(`next`: the following page, null after the last)",
)
async def bundle_imports_list(
    runtime: RuntimeDep,
    limit: PageLimit = PAGE_SIZE,
    after: Annotated[
        int, Query(ge=0, le=MAX_ID, description="only imports with a larger dbId")
    ] = 0,
) -> Response:
    return await _import_page(
        runtime, imports.import_page, import_json, key="bundleImports", limit=limit, after=after
    )


async def _patched_import(
    runtime: Runtime,
    id_text: str,
    patch: ImportPatch,
    *,
    update: Callable[..., Any],
    as_json: Callable[[Any, datetime], dict[str, Any]],
    kind: str,
) -> Response:
    """One import patched by its family's `update` (None: no such import), as JSON."""
    db_id = parse_id(id_text)
    fields = patch.model_dump(exclude_unset=True)
    values: dict[str, object] = {JOB_COLUMNS[name]: value for name, value in fields.items()}
    now = await runtime.now()
    record = None
    if db_id is not None:
        record = await runtime.database.write(update, db_id=db_id, values=values, now=now)
    if record is None:
        raise NotFound(f"{kind} import {id_text} not found", id_text)
    return json_response(as_json(record, now))


async def _import_page(
    runtime: Runtime,
    read_page: Callable[..., Any],
    as_json: Callable[[Any, datetime], dict[str, Any]],
    *,
    key: str,
    limit: int,
    after: int,
) -> Response:
    """A page of a family's imports under `key`, with the link to the following page."""
    now = await runtime.now()
    records = await runtime.database.read(read_page, after=after, limit=limit + 1)
    page = records[:limit]
    following = None
    if len(records) > limit:
        following = next_page(f"/_mock/{key.lower()}", limit=limit, after=page[-1].db_id)
    return json_response({key: [as_json(record, now) for record in page], "next": following})


# ---------------------------------------------------------------- the appliance family
#
# Appliance export tickets and appliance imports are numbered apart from the mySoftware ones
# (an export 17 of each may exist): they have routes of their own, which patch and list them
# as /_mock/exports and /_mock/bundleimports do theirs.


async def _patched_export(
    family: ExportFamily, eid: str, patch: ExportPatch, runtime: RuntimeDep
) -> Response:
    """`patch` applied to the export ticket `eid` of `family`: the ticket as it is then."""
    db_id = parse_id(eid)
    fields = patch.model_dump(exclude_unset=True, exclude={"restart"})
    values: dict[str, object] = {JOB_COLUMNS[name]: value for name, value in fields.items()}
    now = await runtime.now()
    if patch.restart:
        values["created"] = now
    export = None
    if db_id is not None:
        export = await runtime.database.write(
            family.tickets.update, db_id=db_id, values=values, now=now
        )
    if export is None:
        raise NotFound(f"Export {eid} not found", eid)
    return json_response(family.ticket_json(export, now))


async def _export_page(
    family: ExportFamily, route: str, key: str, runtime: RuntimeDep, limit: int, after: int
) -> Response:
    """A page of `family`'s export tickets with their status (`next`: the following one)."""
    now = await runtime.now()
    exports = await runtime.database.read(family.tickets.page, after=after, limit=limit + 1)
    page = exports[:limit]
    following = None
    if len(exports) > limit:
        following = next_page(route, limit=limit, after=page[-1].facts.db_id)
    return json_response(
        {key: [family.ticket_json(export, now) for export in page], "next": following}
    )


@router.patch(
    "/applianceexports/{eid}",
    summary="Change an appliance export ticket (e.g. make it fail now), as /_mock/exports/{eid}",
)
async def appliance_export_patch(
    eid: str, patch: Annotated[ExportPatch, Body()], runtime: RuntimeDep
) -> Response:
    return await _patched_export(APPLIANCE_EXPORTS, eid, patch, runtime)


@router.get(
    "/applianceexports",
    summary="The appliance export tickets with their current status, by dbId, a page at a "
    "time (`next`: the following page, null after the last)",
)
async def appliance_exports_list(
    runtime: RuntimeDep,
    limit: PageLimit = PAGE_SIZE,
    after: Annotated[
        int, Query(ge=0, le=MAX_ID, description="only tickets with a larger dbId")
    ] = 0,
) -> Response:
    return await _export_page(
        APPLIANCE_EXPORTS, "/_mock/applianceexports", "applianceExports", runtime, limit, after
    )


def appliance_import_json(record: ApplianceImportRecord, now: datetime) -> dict[str, Any]:
    """An appliance import as the control plane shows it: its facts, its flags and its status
    at `now`."""
    state = appliance_import_state(record, now)
    return {
        "dbId": record.db_id,
        "owner": record.owner_login,
        "imported": record.imported,
        "force": record.force,
        "reuseBundles": record.reuse_bundles,
        "useMajor": record.use_major,
        "created": format_datetime(record.created),
        "uploaded": format_datetime(record.uploaded) if record.uploaded else None,
        "archiveSize": record.archive_size,
        "appliance": record.appliance_id,
        "duration": record.duration_seconds,
        "outcome": record.outcome,
        "percentage": record.percentage,
        "message": record.message,
        "errorMessage": record.error_message,
        "detailedErrorMsg": record.detailed_error_msg,
        "status": {
            "percentage": state.percentage if state else 0,
            "complete": state.complete if state else False,
            "error": state.error if state else False,
            "cancelled": False,
            "message": state.message if state else WAITING_MESSAGE,
            "lastModified": format_datetime(state.last_modified if state else record.last_modified),
        },
    }


@router.patch(
    "/applianceimports/{iid}",
    summary="Change an appliance import (e.g. make it fail now: the appliance it made goes)",
)
async def appliance_import_patch(
    iid: str, patch: Annotated[ImportPatch, Body()], runtime: RuntimeDep
) -> Response:
    return await _patched_import(
        runtime,
        iid,
        patch,
        update=appliance_import_patches.update_import,
        as_json=appliance_import_json,
        kind="Appliance",
    )


@router.get(
    "/applianceimports",
    summary="The appliance imports with their current status, by dbId, a page at a time "
    "(`next`: the following page, null after the last)",
)
async def appliance_imports_list(
    runtime: RuntimeDep,
    limit: PageLimit = PAGE_SIZE,
    after: Annotated[
        int, Query(ge=0, le=MAX_ID, description="only imports with a larger dbId")
    ] = 0,
) -> Response:
    return await _import_page(
        runtime,
        appliance_import_patches.import_page,
        appliance_import_json,
        key="applianceImports",
        limit=limit,
        after=after,
    )


# ---------------------------------------------------------------- journal


@router.get(
    "/requests",
    summary="The journal of requests to the UForge routes, oldest first: the newest ones, or "
    "with `after` a page of those that follow an id (`after=0`: from the oldest; `next`: "
    "the following page, null after the last)",
)
async def requests_list(
    plane: PlaneDep,
    method: Annotated[str | None, Query(description="only this method")] = None,
    path: Annotated[str | None, Query(description="only paths matching this glob")] = None,
    limit: Annotated[
        int,
        Query(
            ge=1,
            le=PAGE_SIZE,
            description=f"at most this many, the newest unless `after` is given "
            f"(default {PAGE_SIZE})",
        ),
    ] = PAGE_SIZE,
    after: Annotated[
        int | None, Query(ge=0, description="only entries with a larger id, oldest first")
    ] = None,
) -> Response:
    entries, more = await plane.journal.page(limit=limit, after=after, method=method, path=path)
    following = None
    if more:
        following = next_page(
            "/_mock/requests", method=method, path=path, limit=limit, after=entries[-1].id
        )
    return json_response({"requests": [entry_json(entry) for entry in entries], "next": following})


@router.delete("/requests", summary="Empty the journal")
async def requests_clear(plane: PlaneDep) -> Response:
    return json_response({"cleared": await plane.journal.clear()})


# ---------------------------------------------------------------- faults


@router.get("/faults", summary="The injected faults, first applied first")
async def faults_list(plane: PlaneDep) -> Response:
    return json_response({"faults": [fault_json(fault) for fault in await plane.faults.listing()]})


@router.post("/faults", status_code=201, summary="Inject a fault into the UForge routes")
async def faults_add(spec: FaultSpec, plane: PlaneDep) -> Response:
    return json_response(fault_json(await plane.faults.add(spec)), status_code=201)


@router.delete("/faults", summary="Remove every fault")
async def faults_clear(plane: PlaneDep) -> Response:
    return json_response({"cleared": await plane.faults.clear()})


@router.delete("/faults/{fault_id}", status_code=204, summary="Remove one fault")
async def faults_remove(fault_id: str, plane: PlaneDep) -> Response:
    number = parse_id(fault_id)
    if number is None or not await plane.faults.remove(number):
        raise NotFound(f"Fault {fault_id} not found", fault_id)
    return Response(status_code=204)


@router.get("/openapi.json", include_in_schema=False)
async def control_openapi(request: Request) -> Response:
    return json_response(control_openapi_document(request.app.version, router.routes))
