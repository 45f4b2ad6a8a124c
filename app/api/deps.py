"""The checks of the UForge routes, in the contract's order: authenticate (401), the caller may
act on `{uid}` (403) with the route's entitlement (403), the ids name rows that belong together
(404). Negotiation (406) and preconditions (304) follow in `uforge_mock.wire.responses`.

These are plain async functions of the request, which handlers call first thing: FastAPI's
dependency injection re-inspects every dependency on every request, and on this hot path
(clients poll the status in loops) that cost more than all the checks together. The control
routes, which are not hot, use `RuntimeDep`.
"""

import asyncio
from functools import partial
from typing import Annotated

from fastapi import Depends, Request

from uforge_mock.platform.runtime import RUNTIME_SCOPE_KEY, Runtime
from uforge_mock.platform.security import (
    authenticate_api_key,
    authenticate_basic,
    authorize,
    signed_request,
)
from uforge_mock.settings import UFORGE_PREFIXES
from uforge_mock.store import queries as store
from uforge_mock.store.models import MAX_ID
from uforge_mock.store.queries import MySoftwareRecord, UserRecord
from uforge_mock.wire.errors import Forbidden, MySoftwareNotFound, UserNotFound
from uforge_mock.wire.responses import request_header

SOFTWARE_UPLOAD = "software_upload"
APPLIANCE_CREATE = "appliance_create"


def runtime_of(request: Request) -> Runtime:
    # The scope's: `app.state.mock` is three lookups, one a Python call, asked several times
    # by every request.
    runtime: Runtime | None = request.scope.get(RUNTIME_SCOPE_KEY)
    if runtime is None:
        runtime = request.app.state.mock
    return runtime


async def get_runtime(request: Request) -> Runtime:
    return runtime_of(request)


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def authenticated_user(request: Request) -> UserRecord:
    """The caller, by API-key signature when the query carries `apiKey`, else by Basic; for a
    supervisor login (`ADMIN\\USER`), USER: the request acts as USER in every check after."""
    runtime = runtime_of(request)
    database = runtime.database
    query = request.scope["query_string"]
    if query:
        signed = signed_request(
            _raw_path(request), query.decode("latin-1"), prefixes=UFORGE_PREFIXES
        )
        if signed is not None:

            async def load_key(public_key: str) -> tuple[UserRecord, str] | None:
                return await database.read(store.user_by_api_key, public_key=public_key)

            return await authenticate_api_key(signed, load_key=load_key)

    return await authenticate_basic(
        request_header(request, b"authorization"),
        load_user=runtime.user_by_login,
        verifier=runtime.verifier,
        client_gone=partial(_client_gone, request),
    )


async def _client_gone(request: Request) -> None:
    """Completes when the client of `request` has gone. Only called while a check waits for its
    turn (never on a remembered credential), so a flood of clients that give up leaves no
    hashing behind. The client's leaving is an `http.disconnect` from `receive`; a request
    with a body is not watched, since reading it here would take it from the handler."""
    headers = request.headers
    if "transfer-encoding" in headers or headers.get("content-length", "0") != "0":
        await asyncio.get_running_loop().create_future()  # waits until cancelled
    while (await request.receive())["type"] != "http.disconnect":
        # The request's empty body, taken here: kept where Starlette reads it from, so that a
        # later read of the body gets it rather than waiting for the client to go.
        request._body = b""


def _raw_path(request: Request) -> str:
    raw: bytes | None = request.scope.get("raw_path")
    return raw.decode("latin-1") if raw else request.url.path


async def entitled_user(request: Request, entitlement: str) -> UserRecord:
    """The authenticated caller, allowed on `{uid}` and holding `entitlement`."""
    user = await authenticated_user(request)
    authorize(user, uid=request.path_params["uid"], entitlement=entitlement)
    return user


async def path_user(request: Request, entitlement: str | None) -> UserRecord:
    """The user `{uid}` names, after the checks: the caller itself, or, for an admin, the user
    it names (404 when there is none). `entitlement` None: the caller needs none."""
    caller = await authenticated_user(request)
    uid = request.path_params["uid"]
    if entitlement is not None:
        authorize(caller, uid=uid, entitlement=entitlement)
    elif uid != caller.login and not caller.admin:
        raise Forbidden.for_user(caller.login, uid)
    if caller.login == uid:
        return caller
    found = await runtime_of(request).database.read(store.user_by_login, login=uid)
    if found is None:
        raise UserNotFound(f"No user {uid!r}", uid)
    return found


_ID_DIGITS = len(str(MAX_ID))


def parse_id(text: str) -> int | None:
    """A dbId from a path segment; None for anything but an integer from 1 to `MAX_ID`."""
    if not text.isascii() or not text.isdigit() or len(text) > _ID_DIGITS:
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None


async def my_software_of(runtime: Runtime, uid: str, msid: str) -> MySoftwareRecord:
    """The mySoftware `{msid}` owned by `{uid}`, or 404."""
    db_id = parse_id(msid)
    software = None
    if db_id is not None:
        software = await runtime.database.read(store.my_software_by_id, db_id=db_id)
    if software is None or software.owner_login != uid:
        raise MySoftwareNotFound.for_id(msid, uid)
    return software


async def valid_my_software(request: Request, entitlement: str) -> MySoftwareRecord:
    """The mySoftware `{msid}` owned by `{uid}`, after the checks of `entitlement`."""
    await entitled_user(request, entitlement)
    params = request.path_params
    return await my_software_of(runtime_of(request), params["uid"], params["msid"])
