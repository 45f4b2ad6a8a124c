"""`uforge-mock user ...` and `uforge-mock export list`: the store, offline (no server)."""

import argparse
import getpass
import secrets
import sys
from typing import TYPE_CHECKING, Any

from uforge_mock.cli.options import settings_from
from uforge_mock.cli.output import TICKET_COLUMNS, emit, table, ticket_row

if TYPE_CHECKING:
    from uforge_mock.platform.runtime import Runtime

# The store is imported when a command runs, not before (`uforge-mock --help` stays quick).


def add_offline_parsers(commands: Any, database_option: Any) -> None:
    user = commands.add_parser("user", help="add or list users in the store (offline)")
    user_sub = user.add_subparsers(required=True, metavar="OPERATION")
    add = user_sub.add_parser(
        "add",
        help="add a user, or update one (idempotent)",
        description="Add LOGIN with a password (asked for, or generated and printed with "
        "--generate-password) and entitlements.",
    )
    add.add_argument("login")
    add.add_argument("--password", help="the password (default: asked for)")
    add.add_argument("--generate-password", action="store_true", help="make one up and print it")
    add.add_argument("--entitlement", action="append", default=[], metavar="NAME",
                     help="grant an entitlement (repeat for more)")  # fmt: skip
    add.add_argument("--admin", action="store_true", help="may act on every user's paths")
    database_option(add)
    add.set_defaults(command=_user_add)
    listing = user_sub.add_parser("list", help="the users and their entitlements")
    listing.add_argument("--json", action="store_true")
    database_option(listing)
    listing.set_defaults(command=_user_list)

    export = commands.add_parser("export", help="list export tickets in the store (offline)")
    export_sub = export.add_subparsers(required=True, metavar="OPERATION")
    export_list = export_sub.add_parser("list", help="every export ticket and its status now")
    export_list.add_argument("--json", action="store_true")
    database_option(export_list)
    export_list.set_defaults(command=_export_list)


def _offline_runtime(arguments: argparse.Namespace) -> "Runtime":
    from uforge_mock.platform.runtime import build_runtime
    from uforge_mock.store.engine import migrate_to_head

    runtime = build_runtime(settings_from(arguments, demo=False))
    migrate_to_head(runtime.engine)
    return runtime


def _user_add(arguments: argparse.Namespace) -> int:
    from uforge_mock.store.seed import validate_seed_data

    password = arguments.password
    if arguments.generate_password:
        password = secrets.token_urlsafe(12)
    elif password is None:
        password = getpass.getpass(f"password for {arguments.login}: ")
    runtime = _offline_runtime(arguments)
    entry = {"login": arguments.login, "password": password, "admin": arguments.admin,
             "entitlements": sorted(set(arguments.entitlement))}  # fmt: skip
    document = validate_seed_data({"users": [entry]}, source="user add")
    print("hashing the password...", file=sys.stderr, flush=True)
    report = runtime.seed_loader().load(document, source="user add", now=runtime.now_sync())
    done = "added" if report.created else "updated" if report.updated else "unchanged"
    print(f"user {arguments.login} {done}")
    if arguments.generate_password:
        print(f"password: {password}")
    runtime.close()
    return 0


def _user_list(arguments: argparse.Namespace) -> int:
    from uforge_mock.store import queries

    runtime = _offline_runtime(arguments)
    with runtime.engine.connect() as connection:
        users = queries.all_users(connection)
    rows = [
        {"login": u.login, "admin": u.admin, "entitlements": sorted(u.entitlements)} for u in users
    ]
    emit(arguments, rows, table(rows, ["login", "admin", "entitlements"]))
    runtime.close()
    return 0


def _export_list(arguments: argparse.Namespace) -> int:
    from uforge_mock.api.routes.exports import MY_SOFTWARE_EXPORTS

    runtime = _offline_runtime(arguments)
    now = runtime.now_sync()
    with runtime.engine.connect() as connection:
        exports = MY_SOFTWARE_EXPORTS.tickets.all(connection)
    tickets = [MY_SOFTWARE_EXPORTS.ticket_json(export, now) for export in exports]
    emit(arguments, tickets, table([ticket_row(t) for t in tickets], TICKET_COLUMNS))
    runtime.close()
    return 0
