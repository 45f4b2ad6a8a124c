"""`uforge-mock ctl ...`: the control API from the command line, against a running server.

Output is a readable table by default and JSON with `--json`.
"""

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from uforge_mock.cli.output import (
    APPLIANCE_IMPORT_COLUMNS,
    APPLIANCE_TICKET_COLUMNS,
    IMPORT_COLUMNS,
    TICKET_COLUMNS,
    emit,
    table,
    ticket_row,
)

DEFAULT_URL = "http://127.0.0.1:8080"
# The most a page of the control API's listings holds (`control.routes.PAGE_SIZE`).
PAGE_SIZE = 1000


class CtlError(Exception):
    """A control request that failed; the message says why."""


# ---------------------------------------------------------------- ctl (the control API)


def add_ctl_parser(commands: Any) -> None:
    ctl = commands.add_parser(
        "ctl",
        help="drive a running server's control API (/_mock)",
        description=(
            "Talk to the control API of a running uforge-mock (enabled with "
            "UFORGE_MOCK_CONTROL_ENABLED=true). The URL and token come from --url/--token or "
            "UFORGE_MOCK_CTL_URL / UFORGE_MOCK_CONTROL_TOKEN."
        ),
    )
    ctl.add_argument("--url", default=os.environ.get("UFORGE_MOCK_CTL_URL", DEFAULT_URL))
    ctl.add_argument("--token", default=os.environ.get("UFORGE_MOCK_CONTROL_TOKEN", ""))
    ctl.add_argument("--json", action="store_true", help="print JSON instead of a table")
    sub = ctl.add_subparsers(required=True, metavar="OPERATION")

    sub.add_parser("reset", help="back to the state after start-up").set_defaults(ctl=_reset)

    seed = sub.add_parser("seed", help="load a seed file (YAML or JSON), all or nothing")
    seed.add_argument("file", type=Path)
    seed.set_defaults(ctl=_seed)

    clock = sub.add_parser(
        "clock",
        help="show or move the mock's time",
        description=(
            "clock [show] | clock freeze [AT] | clock advance DURATION (30s, 5m, 1h30m) | "
            "clock set AT | clock run | clock real"
        ),
    )
    clock.add_argument("action", nargs="?", default="show",
                       choices=["show", "freeze", "advance", "set", "run", "real"])  # fmt: skip
    clock.add_argument("value", nargs="?", help="an instant (freeze, set) or a duration (advance)")
    clock.set_defaults(ctl=_clock)

    requests = sub.add_parser(
        "requests",
        help="the journal of UForge requests (of every server on the store), newest last",
    )
    requests.add_argument("--method")
    requests.add_argument("--path", help="a glob on the path, e.g. '*/status'")
    requests.add_argument("--limit", type=int, help="only the newest N")
    requests.add_argument("--clear", action="store_true", help="empty the journal")
    requests.set_defaults(ctl=_requests)

    faults = sub.add_parser("faults", help="list, add, remove or clear injected faults")
    faults.add_argument(
        "action", nargs="?", default="list", choices=["list", "add", "remove", "clear"]
    )
    faults.add_argument("id", nargs="?", type=int, help="the fault to remove")
    faults.add_argument("--method", default="*")
    faults.add_argument("--path", default="*")
    faults.add_argument("--status", type=int, help="answer this error status")
    faults.add_argument("--drop", action="store_true", help="drop the connection")
    faults.add_argument("--latency", help="milliseconds, or a range MIN..MAX")
    faults.add_argument("--times", type=int, help="for the next N matching requests")
    faults.add_argument("--probability", type=float, help="or: with this chance each time")
    faults.set_defaults(ctl=_faults)

    patch = sub.add_parser("patch", help="change an export ticket (e.g. make it fail now)")
    patch.add_argument("eid")
    patch.add_argument("--outcome", choices=["complete", "error", "cancelled", "running"])
    patch.add_argument("--duration", type=float)
    patch.add_argument("--percentage", type=int)
    patch.add_argument("--message")
    patch.add_argument("--error-message")
    patch.add_argument("--detailed-error")
    patch.add_argument("--restart", action="store_true", help="start it again from now")
    patch.add_argument(
        "--appliance", action="store_true", help="an appliance export ticket (template export)"
    )
    patch.set_defaults(ctl=_patch)

    sub.add_parser("exports", help="every export ticket and its status").set_defaults(ctl=_exports)
    sub.add_parser("imports", help="every bundle import and its status").set_defaults(ctl=_imports)
    sub.add_parser(
        "appliance-exports", help="every appliance export ticket and its status"
    ).set_defaults(ctl=_appliance_exports)
    appliance_imports = sub.add_parser(
        "appliance-imports", help="every appliance import and its status, or change one"
    )
    appliance_imports.add_argument("iid", nargs="?", help="the import to change")
    appliance_imports.add_argument("--outcome", choices=["complete", "error", "running"])
    appliance_imports.add_argument("--duration", type=float)
    appliance_imports.add_argument("--percentage", type=int)
    appliance_imports.add_argument("--message")
    appliance_imports.add_argument("--error-message")
    appliance_imports.add_argument("--detailed-error")
    appliance_imports.set_defaults(ctl=_appliance_imports)
    ctl.set_defaults(command=run_ctl)


def run_ctl(arguments: argparse.Namespace) -> int:
    try:
        arguments.ctl(arguments, _Control(arguments.url, arguments.token))
    except CtlError as error:
        print(f"uforge-mock ctl: {error}", file=sys.stderr)
        return 1
    return 0


class _Control:
    def __init__(self, url: str, token: str) -> None:
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._client = httpx.Client(
            base_url=url.rstrip("/") + "/_mock", headers=headers, timeout=120
        )

    def call(self, method: str, path: str, **options: Any) -> Any:
        try:
            response = self._client.request(method, path, **options)
        except httpx.HTTPError as error:
            raise CtlError(f"cannot reach the server: {error}") from None
        if response.status_code == 204:
            return None
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.is_error:
            if response.status_code == 404 and path in ("/reset", "/clock", "/requests"):
                raise CtlError("the control API is not enabled on that server (404)")
            message = (
                (body or {}).get("uforgeError", {}).get("localizedErrorMsg", {}).get("message")
            )
            raise CtlError(f"{response.status_code}: {message or response.text[:200]}")
        return body

    def pages(self, path: str, key: str, cursor: str, params: dict[str, Any]) -> list[Any]:
        """Every item of a listing the server answers a page at a time (`limit`, `after`,
        `next`), from the first: `key` holds a page's items, `cursor` an item's id."""
        items: list[Any] = []
        query = {**params, "after": 0}
        while True:
            body = self.call("GET", path, params=query)
            page = body.get(key) or []
            items.extend(page)
            if not body.get("next") or not page:
                return items
            query["after"] = page[-1][cursor]


def _reset(arguments: argparse.Namespace, control: _Control) -> None:
    body = control.call("POST", "/reset")
    seed = body.get("seed") or {}
    created = sum(len(ids) for ids in (seed.get("created") or {}).values())
    emit(
        arguments,
        body,
        f"reset: the store is back to its start-up state ({created} entries seeded)",
    )


def _seed(arguments: argparse.Namespace, control: _Control) -> None:
    path: Path = arguments.file
    try:
        content = path.read_bytes()
    except OSError as error:
        raise CtlError(f"cannot read {path}: {error}") from None
    kind = "application/json" if path.suffix.lower() == ".json" else "application/yaml"
    print(f"loading {path} ({len(content)} bytes)...", file=sys.stderr, flush=True)
    started = time.monotonic()
    report = control.call("POST", "/seed", content=content, headers={"Content-Type": kind})
    rows = [
        {"section": section, "created": len(report["created"].get(section, [])),
         "updated": len(report["updated"].get(section, [])),
         "unchanged": len(report["unchanged"].get(section, []))}
        for section in ("users", "orgs", "mySoftware", "exports", "bundleImports",
                        "appliances", "applianceExports", "applianceImports")
    ]  # fmt: skip
    elapsed = time.monotonic() - started
    emit(arguments, report, table(rows, ["section", "created", "updated", "unchanged"])
         + f"\nloaded in {elapsed:.1f} s")  # fmt: skip


def _clock(arguments: argparse.Namespace, control: _Control) -> None:
    action, value = arguments.action, arguments.value
    if action == "show":
        body = control.call("GET", "/clock")
    else:
        change: dict[str, Any] = {"action": action}
        if action in ("freeze", "set") and value:
            change["at"] = value
        elif action == "set":
            raise CtlError("clock set needs an instant, e.g. 2019-06-05T21:40:12Z")
        if action == "advance":
            if not value:
                raise CtlError("clock advance needs a duration, e.g. 30s or 5m")
            change["by"] = value
        body = control.call("PUT", "/clock", json=change)
    state = "frozen" if body["frozen"] else f"running (offset {body['offsetSeconds']:+.3f} s)"
    emit(arguments, body, f"{body['now']}  {state}")


def _requests(arguments: argparse.Namespace, control: _Control) -> None:
    if arguments.clear:
        body = control.call("DELETE", "/requests")
        emit(arguments, body, f"cleared {body['cleared']} requests")
        return
    if arguments.limit is not None and arguments.limit < 1:
        raise CtlError("--limit must be at least 1")
    params = {k: v for k in ("method", "path") if (v := getattr(arguments, k)) is not None}
    if arguments.limit is not None and arguments.limit <= PAGE_SIZE:
        # The newest N: one page.
        query = {**params, "limit": arguments.limit}
        entries = control.call("GET", "/requests", params=query)["requests"]
    else:
        entries = control.pages("/requests", "requests", "id", params)
        if arguments.limit is not None:
            entries = entries[-arguments.limit :]
    body = {"requests": entries}
    rows = [
        {**entry, "user": entry["headers"].get("authorization", "-"), "ms": entry["durationMs"]}
        for entry in body["requests"]
    ]
    columns = ["id", "time", "method", "path", "status", "ms", "user", "server"]
    emit(arguments, body, table(rows, columns))


def _faults(arguments: argparse.Namespace, control: _Control) -> None:
    if arguments.action == "clear":
        body = control.call("DELETE", "/faults")
        emit(arguments, body, f"cleared {body['cleared']} faults")
        return
    if arguments.action == "remove":
        if arguments.id is None:
            raise CtlError("faults remove needs the fault's id")
        control.call("DELETE", f"/faults/{arguments.id}")
        emit(arguments, {"removed": arguments.id}, f"removed fault {arguments.id}")
        return
    if arguments.action == "add":
        spec: dict[str, Any] = {"method": arguments.method, "path": arguments.path}
        for name in ("status", "times", "probability"):
            if getattr(arguments, name) is not None:
                spec[name] = getattr(arguments, name)
        if arguments.drop:
            spec["drop"] = True
        if arguments.latency:
            low, _, high = arguments.latency.partition("..")
            spec["latencyMs"] = float(low)
            if high:
                spec["latencyMaxMs"] = float(high)
        fault = control.call("POST", "/faults", json=spec)
        emit(arguments, fault, f"added fault {fault['id']}")
        return
    body = control.call("GET", "/faults")
    columns = ["id", "method", "path", "status", "drop", "latencyMs", "latencyMaxMs",
               "times", "probability", "remaining", "hits"]  # fmt: skip
    emit(arguments, body, table(body["faults"], columns))


def _patch(arguments: argparse.Namespace, control: _Control) -> None:
    patch = _job_patch(arguments)
    if arguments.restart:
        patch["restart"] = True
    if arguments.appliance:
        ticket = control.call("PATCH", f"/applianceexports/{arguments.eid}", json=patch)
        emit(arguments, ticket, table([ticket_row(ticket)], APPLIANCE_TICKET_COLUMNS))
        return
    ticket = control.call("PATCH", f"/exports/{arguments.eid}", json=patch)
    emit(arguments, ticket, table([ticket_row(ticket)], TICKET_COLUMNS))


def _job_patch(arguments: argparse.Namespace) -> dict[str, Any]:
    """The job facts a patch's options give, by their name in the control API."""
    names = {"outcome": "outcome", "duration": "duration", "percentage": "percentage",
             "message": "message", "error_message": "errorMessage",
             "detailed_error": "detailedErrorMsg"}  # fmt: skip
    return {
        wire: value
        for name, wire in names.items()
        if (value := getattr(arguments, name)) is not None
    }


def _imports(arguments: argparse.Namespace, control: _Control) -> None:
    body = {"bundleImports": control.pages("/bundleimports", "bundleImports", "dbId", {})}
    rows = [ticket_row(t) for t in body["bundleImports"]]
    emit(arguments, body, table(rows, IMPORT_COLUMNS))


def _exports(arguments: argparse.Namespace, control: _Control) -> None:
    body = {"exports": control.pages("/exports", "exports", "dbId", {})}
    emit(arguments, body, table([ticket_row(t) for t in body["exports"]], TICKET_COLUMNS))


def _appliance_exports(arguments: argparse.Namespace, control: _Control) -> None:
    body = {"applianceExports": control.pages("/applianceexports", "applianceExports", "dbId", {})}
    rows = [ticket_row(t) for t in body["applianceExports"]]
    emit(arguments, body, table(rows, APPLIANCE_TICKET_COLUMNS))


def _appliance_imports(arguments: argparse.Namespace, control: _Control) -> None:
    if arguments.iid is not None:
        patch = _job_patch(arguments)
        ticket = control.call("PATCH", f"/applianceimports/{arguments.iid}", json=patch)
        emit(arguments, ticket, table([ticket_row(ticket)], APPLIANCE_IMPORT_COLUMNS))
        return
    body = {"applianceImports": control.pages("/applianceimports", "applianceImports", "dbId", {})}
    rows = [ticket_row(t) for t in body["applianceImports"]]
    emit(arguments, body, table(rows, APPLIANCE_IMPORT_COLUMNS))
