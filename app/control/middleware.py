"""The control plane's layer, right inside the edge: it journals every request of the UForge
routes and applies the injected faults before anything else sees the request.

Its cost on a request while no fault is set: one remembered read (the faults, an empty result
from memory until something commits to the store) and a note in memory (the journal is
written in the background).

A fault's answer is the edge's to give: an error status is raised as `InjectedFault` (the edge
renders the `uforgeError`), a dropped connection as `DropConnection`.
"""

import asyncio
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from uforge_mock.control.plane import ControlPlane
from uforge_mock.platform.edge import DropConnection
from uforge_mock.settings import UFORGE_PREFIXES
from uforge_mock.store.unavailable import unavailable_error
from uforge_mock.wire.errors import InjectedFault, UForgeException


class ControlPlaneMiddleware:
    def __init__(self, app: ASGIApp, plane: ControlPlane) -> None:
        self.app = app
        self.plane = plane

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _is_uforge(scope["path"]):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status: int | None = None

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            fault = await self.plane.faults.take(scope["method"], scope["path"])
            if fault is not None:
                delay = fault.latency_seconds(self.plane.faults.chance)
                if delay:
                    await asyncio.sleep(delay)
                if fault.spec.drop:
                    raise DropConnection("fault: connection dropped")
                if fault.spec.status is not None:
                    raise InjectedFault(fault.spec.status)
            await self.app(scope, receive, recording_send)
        except UForgeException as error:
            # The edge answers it: journal the status it will answer with.
            status = status or error.status_code
            raise
        except DropConnection:
            raise
        except Exception as error:
            # The edge answers it: a store busy or out of reach with its 503, a bug with 500.
            unavailable = unavailable_error(error)
            status = status or (unavailable.status_code if unavailable else 500)
            raise
        finally:
            self.plane.journal.note(
                method=scope["method"],
                path=scope["path"],
                query=scope.get("query_string", b""),
                headers=list(scope.get("headers", ())),
                server=scope.get("server"),
                status=status,
                duration_ms=(time.perf_counter() - started) * 1000,
            )
            self.plane.noted()


def _is_uforge(path: str) -> bool:
    return any(path.startswith(prefix + "/") for prefix in UFORGE_PREFIXES)
