"""The dashboard's routes.

GET    /                              the page, to a browser (a request preferring text/html);
                                      anything else is the 404 `uforgeError` it always was
GET    /_dashboard/static/{name}      its stylesheet, script and icon
GET    /_dashboard/live               the page's sections as they are now (JSON), polled
POST   /_dashboard/session            the control token -> the session cookie (control API on)
DELETE /_dashboard/session            forget it
       /_dashboard/control/...        the actions (control API on, session or open mode):
PUT      clock                        freeze, run, advance, set (as PUT /_mock/clock)
POST     exports                      a new export of a mySoftware
POST     exports/{eid}                complete it now, fail it now (with a message), or run it
                                      for ever where it stands
POST     bundleimports/{sbid}         the same for a bundle import
POST     applianceexports             a new export of an appliance (template)
POST     applianceexports/{eid}       complete, fail or run for ever an appliance export
POST     applianceimports/{iid}       the same for an appliance import
POST     faults, DELETE faults[/{id}] add a fault, remove them all or one
DELETE   requests                     empty the journal
POST     seed, POST reset             load a seed document, back to the start-up state

Each action calls the control API's own function for it (`control.routes`), after the
dashboard's checks (`access`) in place of the control API's bearer token.
"""

from typing import Annotated, Literal

import orjson
from fastapi import APIRouter, Body, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import IntegrityError
from starlette.responses import HTMLResponse, Response

from uforge_mock.api.deps import RuntimeDep, parse_id
from uforge_mock.api.export_engine import ExportFamily
from uforge_mock.api.routes.appliance_exports import APPLIANCE_EXPORTS
from uforge_mock.api.routes.appliance_imports import import_state as appliance_import_state
from uforge_mock.api.routes.bundle_imports import import_state
from uforge_mock.api.routes.exports import MY_SOFTWARE_EXPORTS
from uforge_mock.control import routes as control
from uforge_mock.control.faults import FaultSpec
from uforge_mock.control.guard import (
    JSON_MEDIA_TYPES,
    YAML_MEDIA_TYPES,
    refuse_cross_site,
    refuse_foreign_host,
)
from uforge_mock.control.plane import ControlPlane
from uforge_mock.dashboard import access
from uforge_mock.dashboard.reads import read_world
from uforge_mock.dashboard.view import (
    ASSETS,
    JOURNAL_ROWS,
    Controls,
    LiveBodies,
    Platform,
    Templates,
    controls_of,
    load_assets,
)
from uforge_mock.jobs.simulation import export_state
from uforge_mock.platform.runtime import Runtime, Slots
from uforge_mock.settings import Settings
from uforge_mock.store import appliance_imports, imports
from uforge_mock.store import queries as store
from uforge_mock.store.appliances import appliance_by_id
from uforge_mock.wire.conditional import none_match
from uforge_mock.wire.digest import content_digest
from uforge_mock.wire.errors import ApplianceNotFound, MySoftwareNotFound, NotFound
from uforge_mock.wire.negotiation import DOCUMENT_OFFERS, negotiate

PREFIX = "/_dashboard"
HTML = "text/html"
# A browser's Accept prefers text/html; an API client's (XML, JSON, */*) chooses XML first.
PAGE_OFFERS = (*DOCUMENT_OFFERS, HTML)
EVERY_METHOD = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
# Every asset comes from this server; no inline script or style (the bars are <progress>).
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


class NewExport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mySoftware: int = Field(ge=1)
    outputFormat: Literal["yaml", "json"] = "yaml"


class NewApplianceExport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    appliance: int = Field(ge=1)
    outputFormat: Literal["yaml", "json"] = "yaml"


class JobAction(BaseModel):
    """What to do with an export or an import, now."""

    model_config = ConfigDict(extra="forbid")

    action: Literal["complete", "fail", "forever"]
    message: str | None = Field(default=None, max_length=2000, description="fail: its error")


class Login(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(max_length=4096)


class Dashboard:
    """The dashboard of one app: its templates, assets, shared live body and bound."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.templates = Templates()
        self.assets = load_assets()
        self.asset_tags = {
            name: f'"{content_digest(body.hex())}"' for name, body in self.assets.items()
        }
        self.live_bodies = LiveBodies()
        self.live_slots = Slots(settings.dashboard_max_live_requests)

    # ------------------------------------------------------------ what it shows

    def mode(self, request: Request) -> str:
        if not self.settings.control_enabled:
            return "read-only"
        return "unlocked" if access.may_act(request, self.settings) else "locked"

    def platform(self, runtime: Runtime) -> Platform:
        settings = self.settings
        url = runtime.engine.url
        control = "off"
        if settings.control_enabled:
            control = "token" if access.needs_token(settings) else "open"
        return Platform(
            version=settings.platform_version,
            backend=runtime.engine.dialect.name,
            database=url.render_as_string(hide_password=True),
            control=control,
            poll_seconds=settings.dashboard_poll_seconds,
        )

    async def sections(self, request: Request, can_act: bool) -> dict[str, str]:
        """Every section rendered as the store and the control plane are now; the store read
        and the rendering run in the thread pool, never on the event loop."""
        runtime: Runtime = request.app.state.mock
        plane: ControlPlane | None = request.app.state.control
        controls: Controls | None = None
        if plane is not None:
            entries, _ = await plane.journal.page(limit=JOURNAL_ROWS)
            controls = controls_of(entries, await plane.faults.listing())
        platform = self.platform(runtime)

        def build() -> dict[str, str]:
            with runtime.engine.connect() as connection:
                world = read_world(connection, base_clock=runtime.clock)
            return self.templates.render_sections(
                world=world, platform=platform, controls=controls, can_act=can_act
            )

        return await runtime.database.run_sync(build)

    # ------------------------------------------------------------ routes

    def router(self) -> APIRouter:
        router = APIRouter(include_in_schema=False)
        router.add_api_route("/", self.page, methods=EVERY_METHOD)
        router.add_api_route(PREFIX + "/static/{name}", self.asset, methods=["GET"])
        router.add_api_route(PREFIX + "/live", self.live, methods=["GET"])
        if self.settings.control_enabled:
            router.add_api_route(PREFIX + "/session", self.login, methods=["POST"])
            router.add_api_route(PREFIX + "/session", self.logout, methods=["DELETE"])
            router.include_router(actions_router(self), prefix=PREFIX + "/control")
        return router

    async def page(self, request: Request) -> Response:
        accept = request.headers.get("accept")
        if request.method != "GET" or negotiate(accept, PAGE_OFFERS) != HTML:
            # What `/` always answered, and still answers any API client.
            raise NotFound(f"No resource at {request.url.path}", request.url.path)
        refuse_foreign_host(request, self.settings)
        runtime: Runtime = request.app.state.mock
        can_act = access.may_act(request, self.settings)
        body = self.templates.render_page(
            sections=await self.sections(request, can_act),
            platform=self.platform(runtime),
            mode=self.mode(request),
            can_act=can_act,
        )
        return HTMLResponse(body, headers=PAGE_HEADERS)

    async def asset(self, name: str, request: Request) -> Response:
        body = self.assets.get(name)
        if body is None:
            raise NotFound(f"No resource at {request.url.path}", request.url.path)
        etag = self.asset_tags[name]
        headers = {"ETag": etag, "Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
        if none_match(request.headers.get("if-none-match") or "", etag):
            return Response(status_code=304, headers=headers)
        return Response(body, media_type=ASSETS[name], headers=headers)

    async def live(self, request: Request) -> Response:
        """The sections as they are now, for the page to put in place (JSON)."""
        refuse_cross_site(request, self.settings)
        with self.live_slots.hold(access.DashboardBusy):
            can_act = access.may_act(request, self.settings)
            body = self.live_bodies.get(can_act)
            if body is None:
                sections = await self.sections(request, can_act)
                body = orjson.dumps({"mode": self.mode(request), "sections": sections})
                self.live_bodies.put(can_act, body)
        return Response(body, media_type="application/json", headers=NO_STORE)

    async def login(self, request: Request, login: Annotated[Login, Body()]) -> Response:
        access.refuse_foreign_change(request, self.settings)
        access.check_token(login.token, self.settings)
        response = Response(status_code=204, headers=NO_STORE)
        access.set_session(response, request, self.settings)
        return response

    async def logout(self, request: Request) -> Response:
        access.refuse_foreign_change(request, self.settings)
        response = Response(status_code=204, headers=NO_STORE)
        access.clear_session(response, request)
        return response


def actions_router(dashboard: Dashboard) -> APIRouter:
    """The actions: the dashboard's checks, then the control API's function for each."""
    settings = dashboard.settings

    async def acting(request: Request) -> None:
        accepted: tuple[str, ...] = JSON_MEDIA_TYPES
        if request.url.path.endswith("/seed"):
            accepted = JSON_MEDIA_TYPES + YAML_MEDIA_TYPES
        access.refuse_foreign_change(request, settings, accepted)
        if not access.may_act(request, settings):
            raise access.DashboardLocked()

    def changed(response: Response) -> Response:
        """What the page asks next is read again: the live body built before the change, or
        while it was made, is forgotten."""
        dashboard.live_bodies.forget()
        return response

    router = APIRouter(dependencies=[Depends(acting)])
    plane_dep = Annotated[ControlPlane, Depends(control.get_plane)]

    @router.put("/clock")
    async def clock(
        change: Annotated[control.ClockChange, Body()], runtime: RuntimeDep
    ) -> Response:
        return changed(await control.clock_put(change, runtime))

    @router.post("/exports", status_code=201)
    async def export_create(new: Annotated[NewExport, Body()], runtime: RuntimeDep) -> Response:
        software = await runtime.database.read(store.my_software_by_id, db_id=new.mySoftware)
        missing = MySoftwareNotFound(f"Software component {new.mySoftware} not found")
        if software is None:
            raise missing
        return changed(
            await start_export(
                runtime,
                MY_SOFTWARE_EXPORTS,
                software.owner_login,
                software.db_id,
                new.outputFormat,
                missing,
            )
        )

    @router.post("/applianceexports", status_code=201)
    async def appliance_export_create(
        new: Annotated[NewApplianceExport, Body()], runtime: RuntimeDep
    ) -> Response:
        appliance = await runtime.database.read(appliance_by_id, db_id=new.appliance)
        missing = ApplianceNotFound(f"Appliance template {new.appliance} not found")
        if appliance is None:
            raise missing
        return changed(
            await start_export(
                runtime,
                APPLIANCE_EXPORTS,
                appliance.owner_login,
                appliance.db_id,
                new.outputFormat,
                missing,
            )
        )

    async def export_job(
        family: ExportFamily, eid: str, job: JobAction, runtime: Runtime
    ) -> control.ExportPatch:
        """The patch of `family`'s export `eid` that does `job` now (a 404 if there is none)."""
        db_id = parse_id(eid)
        now = await runtime.now()
        export = None
        if db_id is not None:
            export = await runtime.database.read(family.tickets.by_id, db_id=db_id)
        if export is None:
            raise NotFound(f"Export {eid} not found", eid)
        standing = export_state(export.facts, now, family.wording).percentage
        return control.ExportPatch(**job_facts(job, standing))

    @router.post("/exports/{eid}")
    async def export_action(
        eid: str, job: Annotated[JobAction, Body()], runtime: RuntimeDep
    ) -> Response:
        patch = await export_job(MY_SOFTWARE_EXPORTS, eid, job, runtime)
        return changed(await control.export_patch(eid, patch, runtime))

    @router.post("/applianceexports/{eid}")
    async def appliance_export_action(
        eid: str, job: Annotated[JobAction, Body()], runtime: RuntimeDep
    ) -> Response:
        patch = await export_job(APPLIANCE_EXPORTS, eid, job, runtime)
        return changed(await control.appliance_export_patch(eid, patch, runtime))

    @router.post("/bundleimports/{sbid}")
    async def import_action(
        sbid: str, job: Annotated[JobAction, Body()], runtime: RuntimeDep
    ) -> Response:
        db_id = parse_id(sbid)
        now = await runtime.now()
        record = None
        if db_id is not None:
            record = await runtime.database.read(imports.import_by_id, db_id=db_id)
        if record is None:
            raise NotFound(f"Bundle import {sbid} not found", sbid)
        state = import_state(record, now)
        patch = control.ImportPatch(**job_facts(job, state.percentage if state else 0))
        return changed(await control.bundle_import_patch(sbid, patch, runtime))

    @router.post("/applianceimports/{iid}")
    async def appliance_import_action(
        iid: str, job: Annotated[JobAction, Body()], runtime: RuntimeDep
    ) -> Response:
        db_id = parse_id(iid)
        now = await runtime.now()
        record = None
        if db_id is not None:
            record = await runtime.database.read(appliance_imports.import_by_id, db_id=db_id)
        if record is None:
            raise NotFound(f"Appliance import {iid} not found", iid)
        state = appliance_import_state(record, now)
        patch = control.ImportPatch(**job_facts(job, state.percentage if state else 0))
        return changed(await control.appliance_import_patch(iid, patch, runtime))

    @router.post("/faults", status_code=201)
    async def fault_add(spec: Annotated[FaultSpec, Body()], plane: plane_dep) -> Response:
        return changed(await control.faults_add(spec, plane))

    @router.delete("/faults")
    async def faults_clear(plane: plane_dep) -> Response:
        return changed(await control.faults_clear(plane))

    @router.delete("/faults/{fault_id}", status_code=204)
    async def fault_remove(fault_id: str, plane: plane_dep) -> Response:
        return changed(await control.faults_remove(fault_id, plane))

    @router.delete("/requests")
    async def journal_clear(plane: plane_dep) -> Response:
        return changed(await control.requests_clear(plane))

    @router.post("/seed")
    async def seed(request: Request, runtime: RuntimeDep) -> Response:
        return changed(await control.seed(request, runtime))

    @router.post("/reset")
    async def reset(runtime: RuntimeDep, plane: plane_dep) -> Response:
        return changed(await control.reset(runtime, plane))

    return router


async def start_export(
    runtime: Runtime,
    family: ExportFamily,
    owner: str,
    db_id: int,
    output_format: str,
    missing: NotFound,
) -> Response:
    """A new export of `family`'s resource `db_id` (of `owner`), made as the API makes one;
    `missing` if the resource went meanwhile (a reset, a seed)."""
    resource = await family.load_resource(runtime, owner, str(db_id))
    now = await runtime.now()
    try:
        export = await family.start_export(runtime, resource, output_format=output_format, now=now)
    except IntegrityError:
        raise missing from None
    return control.json_response(family.ticket_json(export, now), status_code=201)


def job_facts(job: JobAction, standing: int) -> dict[str, object]:
    """The patch of a job's facts that does `job` now, the job standing at `standing` %:
    complete (at once), fail (at once, where it stands, with the message) or run for ever
    (where it stands)."""
    if job.action == "complete":
        return {"outcome": "complete", "duration": 0}
    if job.action == "fail":
        return {
            "outcome": "error",
            "duration": 0,
            "percentage": standing,
            "errorMessage": job.message or None,
        }
    return {"outcome": "running", "percentage": standing}
