"""Dependencies of the UForge routes, in the contract's order of checks: authenticate (401),
the caller may act on `{uid}` (403) with the route's entitlement (403), the ids name rows that
belong together (404). Negotiation (406) and preconditions (304) follow in `app.responses`."""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request

from app import store
from app.errors import ExportNotFound, MySoftwareNotFound
from app.runtime import Runtime
from app.security import (
    authenticate_api_key,
    authenticate_basic,
    authorize,
    signed_request,
)
from app.seed import MAX_ID
from app.settings import UFORGE_PREFIXES
from app.store import ExportRecord, MySoftwareRecord, UserRecord


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.mock
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def authenticated_user(request: Request, runtime: RuntimeDep) -> UserRecord:
    """The caller, by API-key signature when the query carries `apiKey`, else by Basic."""
    signed = signed_request(_raw_path(request), request.url.query, prefixes=UFORGE_PREFIXES)
    if signed is not None:

        async def load_key(public_key: str) -> tuple[UserRecord, str] | None:
            return await runtime.database.read(store.user_by_api_key, public_key=public_key)

        return await authenticate_api_key(signed, load_key=load_key)

    async def load_user(login: str) -> UserRecord | None:
        return await runtime.database.read(store.user_by_login, login=login)

    return await authenticate_basic(
        request.headers.get("authorization"), load_user=load_user, verifier=runtime.verifier
    )


def _raw_path(request: Request) -> str:
    raw: bytes | None = request.scope.get("raw_path")
    return raw.decode("latin-1") if raw else request.url.path


def entitled(entitlement: str) -> Callable[..., Awaitable[UserRecord]]:
    """A dependency: the authenticated caller, allowed on `{uid}` and holding `entitlement`."""

    async def entitled_user(
        uid: str, user: Annotated[UserRecord, Depends(authenticated_user)]
    ) -> UserRecord:
        authorize(user, uid=uid, entitlement=entitlement)
        return user

    return entitled_user


SoftwareUploader = Annotated[UserRecord, Depends(entitled("software_upload"))]
ApplianceCreator = Annotated[UserRecord, Depends(entitled("appliance_create"))]


def parse_id(text: str) -> int | None:
    """A dbId from a path segment; None for anything but a positive 64-bit integer."""
    if not text.isascii() or not text.isdigit() or len(text) > 19:
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None


async def _my_software_of(runtime: Runtime, uid: str, msid: str) -> MySoftwareRecord:
    db_id = parse_id(msid)
    software = None
    if db_id is not None:
        software = await runtime.database.read(store.my_software_by_id, db_id=db_id)
    if software is None or software.owner_login != uid:
        raise MySoftwareNotFound.for_id(msid, uid)
    return software


async def valid_my_software_for_upload(
    uid: str, msid: str, runtime: RuntimeDep, _user: SoftwareUploader
) -> MySoftwareRecord:
    return await _my_software_of(runtime, uid, msid)


async def valid_my_software_for_create(
    uid: str, msid: str, runtime: RuntimeDep, _user: ApplianceCreator
) -> MySoftwareRecord:
    return await _my_software_of(runtime, uid, msid)


async def valid_export(
    uid: str, msid: str, eid: str, runtime: RuntimeDep, _user: SoftwareUploader
) -> ExportRecord:
    """The export `{eid}` of mySoftware `{msid}` owned by `{uid}`, or 404."""
    software_id, export_id = parse_id(msid), parse_id(eid)
    if export_id is not None and software_id is not None:
        export = await runtime.database.read(store.export_by_id, db_id=export_id)
        if export and export.my_software_id == software_id and export.owner_login == uid:
            return export
    # Say which of the two ids is wrong.
    await _my_software_of(runtime, uid, msid)
    raise ExportNotFound.for_id(eid, msid)


ExportTicketDep = Annotated[ExportRecord, Depends(valid_export)]
UploadableSoftware = Annotated[MySoftwareRecord, Depends(valid_my_software_for_upload)]
ReadableSoftware = Annotated[MySoftwareRecord, Depends(valid_my_software_for_create)]
