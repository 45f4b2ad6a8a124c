"""Engines for a database URL, and the schema's one way in: Alembic migrations to head."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

# How long a SQLite connection waits for another writer (a seed, a reset) before it fails.
SQLITE_BUSY_TIMEOUT_MS = 30_000


# How long a PostgreSQL connection attempt may take (libpq waits for ever by default: a server
# behind a firewall that drops packets would hold every request), unless the URL says.
CONNECT_TIMEOUT_SECONDS = 5


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def with_connect_timeout(url: str) -> URL:
    """`url`, with libpq's `connect_timeout` when it is a PostgreSQL URL that sets none."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql" or "connect_timeout" in parsed.query:
        return parsed
    return parsed.update_query_dict({"connect_timeout": str(CONNECT_TIMEOUT_SECONDS)})


def create_store_engine(url: str) -> Engine:
    """An engine for `url`; a SQLite file gets its folder, WAL mode and foreign keys."""
    if not is_sqlite(url):
        return create_engine(
            with_connect_timeout(url), pool_pre_ping=True, pool_size=8, max_overflow=8
        )
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        # One connection per thread is SQLite's own model; the pool keeps them open.
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        poolclass=None if database and database != ":memory:" else NullPool,
    )
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def migrations_dir() -> Path:
    """The Alembic scripts: `migrations/` in a checkout, `uforge_mock/_migrations` in a wheel."""
    package = Path(__file__).resolve().parents[1]  # app/ in a checkout, uforge_mock/ installed
    for candidate in (package.parent / "migrations", package / "_migrations"):
        if (candidate / "env.py").is_file():
            return candidate
    raise FileNotFoundError("the Alembic migrations of uforge-mock are missing")


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.attributes["engine"] = engine
    return config


def migrate_to_head(engine: Engine) -> None:
    """Upgrade the schema to the newest revision (a no-op when it is there already)."""
    command.upgrade(alembic_config(engine), "head")


# The key of the PostgreSQL advisory lock held while a store is prepared ("uforge" in ASCII).
PREPARATION_LOCK = 0x75666F726765


@contextmanager
def exclusive_preparation(engine: Engine) -> Iterator[None]:
    """Hold the store for migrations and seeding. Server processes that start together on one
    PostgreSQL database (several containers) would otherwise race to create the same tables and
    rows; the second one waits here, then finds the work done. Elsewhere this is a no-op: a SQLite
    file is served by one `serve`, whose workers are prepared by their parent."""
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": PREPARATION_LOCK})
        connection.commit()
        try:
            yield
        finally:
            # A session-level lock outlives transactions: it must be released by name.
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": PREPARATION_LOCK})
            connection.commit()
