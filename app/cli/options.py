"""What the command line and the environment say, as `Settings`."""

import argparse
from typing import Any

from uforge_mock.settings import Settings


def database_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database-url",
        metavar="URL",
        help="SQLAlchemy URL of the store (default: a SQLite file in the data directory)",
    )


def settings_from(arguments: argparse.Namespace, **extra: Any) -> Settings:
    """Settings from the environment, overridden by the options given on the command line."""
    given = {
        name: getattr(arguments, name)
        for name in (
            "host",
            "port",
            "database_url",
            "seed",
            "demo",
            "workers",
            "control_enabled",
            "access_log",
        )
        if getattr(arguments, name, None) is not None
    }
    return Settings(**given, **extra)
