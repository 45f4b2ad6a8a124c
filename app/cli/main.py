"""The `uforge-mock` command (also `python -m uforge_mock`).

    uforge-mock serve [--host H] [--port P] [--database-url URL] [--seed FILE] [--no-demo]
    uforge-mock seed FILE [--database-url URL]
    uforge-mock migrate [--database-url URL]
    uforge-mock openapi [--output FILE] [--control]
    uforge-mock ctl [--url URL] [--token T] [--json] reset | seed FILE | clock ... | requests |
                    faults ... | patch EID ... | exports
    uforge-mock user add LOGIN [--entitlement E ...] [--admin] | user list
    uforge-mock export list

Every option has an `UFORGE_MOCK_*` environment variable of the same name; an option given on
the command line wins.
"""

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from uforge_mock.cli.ctl import add_ctl_parser
from uforge_mock.cli.offline import add_offline_parsers
from uforge_mock.cli.options import database_option, settings_from
from uforge_mock.settings import Settings
from uforge_mock.store.seed_errors import SeedError
from uforge_mock.wire.errors import UForgeException

# The commands import the server, the store and the docs when they run, not before: `--help`
# and `ctl` (a client of a running server) stay quick to start.


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    arguments = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    for chatty in ("alembic", "httpx"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    try:
        result: int = arguments.command(arguments)
    except SeedError as error:
        print(f"uforge-mock: the seed was not loaded, nothing changed:\n{error}", file=sys.stderr)
        return 2
    except ValidationError as error:
        if error.title != Settings.__name__:
            raise
        # Settings from the environment or the options that cannot be (a setting's name is
        # its UFORGE_MOCK_* variable, upper-cased).
        print(f"uforge-mock: {_settings_problems(error)}", file=sys.stderr)
        return 2
    except UForgeException as error:  # the store busy (a server's seed or reset holds it)
        print(f"uforge-mock: {error.message}", file=sys.stderr)
        return 1
    except Exception as error:
        from uforge_mock.store.unavailable import first_line, store_unreachable

        if not store_unreachable(error):
            raise
        # A database down or a URL that points nowhere: the driver's words, not a traceback.
        print(f"uforge-mock: the store cannot be reached: {first_line(error)}", file=sys.stderr)
        return 1
    return result


def _settings_problems(error: ValidationError) -> str:
    lines = []
    for problem in error.errors(include_url=False):
        message = problem["msg"].removeprefix("Value error, ")
        # A problem of one setting names it; one of several together (a check of the whole
        # settings, such as the control API without a token) names them in its message.
        name = "_".join(str(part) for part in problem["loc"]).upper()
        lines.append(f"UFORGE_MOCK_{name}: {message}" if name else message)
    return "invalid settings:\n  " + "\n  ".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="uforge-mock",
        description="A reference server for the UForge AppCenter REST API.",
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = commands.add_parser(
        "serve",
        help="run the server (migrates the store, loads the seed or the demo dataset)",
        description=(
            "Run uforge-mock. The store is upgraded to the newest schema first; then the --seed "
            "file is loaded, or, when no seed is given and the store has no users, the demo "
            "dataset."
        ),
    )
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default 8080)")
    database_option(serve)
    serve.add_argument("--seed", type=Path, metavar="FILE", help="seed file to load at start")
    serve.add_argument(
        "--no-demo",
        dest="demo",
        action="store_false",
        default=None,
        help="do not load the demo dataset into an empty store",
    )
    serve.add_argument("--workers", type=int, help="uvicorn worker processes (default 1)")
    serve.add_argument(
        "--no-access-log",
        dest="access_log",
        action="store_false",
        default=None,
        help="no line per request on the console (faster)",
    )
    serve.add_argument(
        "--control",
        dest="control_enabled",
        action="store_true",
        default=None,
        help="enable the control API under /_mock (token: UFORGE_MOCK_CONTROL_TOKEN)",
    )
    serve.set_defaults(command=_serve)

    seed = commands.add_parser(
        "seed",
        help="load a seed file into the store and exit",
        description="Load FILE (docs/SEED.md format, YAML or JSON) all or nothing; idempotent.",
    )
    seed.add_argument("file", type=Path, metavar="FILE")
    database_option(seed)
    seed.set_defaults(command=_seed)

    migrate = commands.add_parser(
        "migrate",
        help="upgrade the store's schema to the newest revision and exit",
        description="Run the Alembic migrations up to head.",
    )
    database_option(migrate)
    migrate.set_defaults(command=_migrate)

    openapi = commands.add_parser(
        "openapi",
        help="write the OpenAPI document of the UForge routes",
        description="Print (or write to --output) the app's OpenAPI document as JSON.",
    )
    openapi.add_argument("--output", type=Path, metavar="FILE")
    openapi.add_argument(
        "--control", action="store_true", help="the control API's document instead"
    )
    openapi.set_defaults(command=_openapi)

    add_ctl_parser(commands)
    add_offline_parsers(commands, database_option)
    return parser


def _serve(arguments: argparse.Namespace) -> int:
    import uvicorn

    from uforge_mock.cli.workers import serve_workers
    from uforge_mock.factory import create_app
    from uforge_mock.platform.protocol import server_options
    from uforge_mock.platform.runtime import build_runtime

    settings = settings_from(arguments)
    # Prepared once here, so that several workers do not race to migrate and seed.
    runtime = build_runtime(settings)
    runtime.prepare()
    runtime.close()
    served = settings.model_copy(update={"migrate_on_start": False})
    # The HTTP protocol with the server's limits (headers, timeouts, connections).
    options = server_options(served)
    if settings.workers == 1:
        uvicorn.run(
            create_app(served),
            host=settings.host,
            port=settings.port,
            log_level="info",
            access_log=settings.access_log,
            **options,
        )
        return 0
    # Worker processes build their own app from the environment: hand them these settings.
    for name, value in served.model_dump(exclude_none=True).items():
        os.environ[f"UFORGE_MOCK_{name.upper()}"] = str(value)
    config = uvicorn.Config(
        "uforge_mock.factory:app_from_environment",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level="info",
        access_log=settings.access_log,
        **options,
    )
    serve_workers(config)
    return 0


def _seed(arguments: argparse.Namespace) -> int:
    from uforge_mock.platform.runtime import build_runtime
    from uforge_mock.store.engine import exclusive_preparation, migrate_to_head
    from uforge_mock.store.unavailable import busy_as_unavailable

    runtime = build_runtime(settings_from(arguments, demo=False))
    with exclusive_preparation(runtime.engine), busy_as_unavailable():
        migrate_to_head(runtime.engine)
        report = runtime.load_seed_file(arguments.file)
    print(f"{arguments.file}: {report.summary()}")
    runtime.close()
    return 0


def _migrate(arguments: argparse.Namespace) -> int:
    from uforge_mock.store.engine import create_store_engine, exclusive_preparation, migrate_to_head

    settings = settings_from(arguments)
    engine = create_store_engine(settings.resolved_database_url())
    with exclusive_preparation(engine):
        migrate_to_head(engine)
    engine.dispose()
    print("the store is at the newest schema revision")
    return 0


def _openapi(arguments: argparse.Namespace) -> int:
    from uforge_mock.api.openapi import openapi_document
    from uforge_mock.control.openapi import control_openapi_document
    from uforge_mock.control.routes import router as control_router
    from uforge_mock.factory import create_app

    settings = Settings()
    if arguments.control:
        document = control_openapi_document(settings.platform_version, control_router.routes)
    else:
        document = openapi_document(create_app(settings))
    text = json.dumps(document, indent=2) + "\n"
    if arguments.output:
        arguments.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0
