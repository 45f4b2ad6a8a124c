"""Engines for a database URL, and the schema's one way in: Alembic migrations to head."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, TypeVar

import anyio
from alembic import command
from alembic.config import Config
from sqlalchemy import Dialect, Engine, Select, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from app.sqlite_reads import SQLiteReader


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_store_engine(url: str) -> Engine:
    """An engine for `url`; a SQLite file gets its folder, WAL mode and foreign keys."""
    if not is_sqlite(url):
        return create_engine(url, pool_pre_ping=True, pool_size=8, max_overflow=8)
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        # One connection per thread is SQLite's own model; the pool keeps them open.
        connect_args={"check_same_thread": False, "timeout": 30},
        poolclass=None if database and database != ":memory:" else NullPool,
    )
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def migrations_dir() -> Path:
    """The Alembic scripts: `migrations/` in a checkout, `app/_migrations` in an installed wheel."""
    package = Path(__file__).resolve().parent
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


T = TypeVar("T")


class PreparedQuery:
    """A SELECT built once with SQLAlchemy Core, compiled once per dialect and run straight on
    the driver's cursor, with the columns' own result processors (so a UTCDateTime comes back
    as an aware datetime on every backend).

    The request hot path reads through these: measured here, a Core `execute()` costs ~50 us
    of Python per query over the driver's ~10 us, and a pool checkout another ~20 us.
    """

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        self.keys = tuple(str(column.key) for column in statement.selected_columns)
        self._plans: dict[str, _Plan] = {}

    def run(self, dbapi_connection: Any, dialect: Dialect, params: dict[str, Any]) -> list[Any]:
        """The result rows, as tuples in `keys` order."""
        plan = self._plans.get(dialect.name) or self._plan(dialect)
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(plan.sql, plan.arguments(params))
            rows: list[Any] = cursor.fetchall()
            convert = plan.convert
            if convert is None:
                convert = plan.learn_processors(self.statement, dialect, cursor.description)
        finally:
            cursor.close()
        return rows if convert is False else [convert(row) for row in rows]

    def _plan(self, dialect: Dialect) -> "_Plan":
        compiled = self.statement.compile(dialect=dialect)
        plan = _Plan(
            sql=str(compiled),
            positions=tuple(compiled.positiontup or ()) if compiled.positional else None,
            # Values written into the statement itself (`id == 1`) travel as parameters too.
            constants={k: v for k, v in compiled.params.items() if v is not None},
        )
        self._plans[dialect.name] = plan
        return plan


RowConverter = Callable[[tuple[Any, ...]], tuple[Any, ...]]


class _Plan:
    """One PreparedQuery on one dialect: its SQL, how parameters are passed, how rows convert."""

    def __init__(
        self, *, sql: str, positions: tuple[str, ...] | None, constants: dict[str, Any]
    ) -> None:
        self.sql = sql
        self.positions = positions
        self.constants = constants
        # None until the first result tells the column types; False when nothing converts.
        self.convert: RowConverter | Literal[False] | None = None

    def arguments(self, params: dict[str, Any]) -> Any:
        if self.constants:
            params = {**self.constants, **params}
        if self.positions is None:
            return params
        return tuple(params[name] for name in self.positions)

    def learn_processors(
        self, statement: Select[Any], dialect: Dialect, description: Any
    ) -> "RowConverter | Literal[False]":
        # Some drivers' processors depend on the type the server reported for the column
        # (PostgreSQL's numerics), which only the cursor's description tells.
        processors = [
            column.type.dialect_impl(dialect).result_processor(dialect, described[1])
            for column, described in zip(statement.selected_columns, description, strict=True)
        ]
        if not any(processors):
            self.convert = False
            return False
        steps = tuple((index, step) for index, step in enumerate(processors) if step is not None)

        def convert_now(row: tuple[Any, ...]) -> tuple[Any, ...]:
            values = list(row)
            for index, step in steps:
                values[index] = step(values[index])
            return tuple(values)

        # Pollers read the same rows again and again, and converting a row (parsing SQLite's
        # datetime text) costs more than the query: converted rows are remembered by their
        # raw values, which is all the conversion depends on.
        remembered = lru_cache(maxsize=4096)(convert_now)

        def convert(row: tuple[Any, ...]) -> tuple[Any, ...]:
            try:
                return remembered(row)
            except TypeError:  # a value the driver gave is unhashable: convert it every time
                return convert_now(row)

        self.convert = convert
        return convert


class Database:
    """Runs store functions (which take a Connection) for async request handlers.

    Reads on an embedded SQLite file take tens of microseconds, less than a hop to the thread
    pool costs, so they run inline. A networked database could stall the event loop, so there
    every call goes to the thread pool; so do writes everywhere (they may wait on a lock).
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.reads_inline = engine.dialect.name == "sqlite"
        self._loop_reader = SQLiteReader(engine) if self.reads_inline else None

    async def fetch(self, query: PreparedQuery, /, **params: Any) -> list[Any]:
        """Rows of a prepared query: inline on SQLite, in the thread pool elsewhere."""
        if self._loop_reader is not None:
            return self._loop_reader.fetch(query, params)
        return await anyio.to_thread.run_sync(self._fetch_pooled, query, params)

    def _fetch_pooled(self, query: PreparedQuery, params: dict[str, Any]) -> list[Any]:
        connection = self.engine.raw_connection()
        try:
            return query.run(connection.driver_connection, self.engine.dialect, params)
        finally:
            connection.close()  # back to the pool, which rolls the read transaction back

    def close(self) -> None:
        if self._loop_reader is not None:
            self._loop_reader.close()
        self.engine.dispose()

    async def read(self, function: Callable[..., T], /, **arguments: Any) -> T:
        if self.reads_inline:
            return self._read(function, arguments)
        return await anyio.to_thread.run_sync(self._read, function, arguments)

    async def write(self, function: Callable[..., T], /, **arguments: Any) -> T:
        return await anyio.to_thread.run_sync(self._write, function, arguments)

    async def run_sync(self, function: Callable[..., T], /, *arguments: Any) -> T:
        """Any blocking function (one that opens its own transaction) in the thread pool."""
        return await anyio.to_thread.run_sync(function, *arguments)

    def _read(self, function: Callable[..., T], arguments: dict[str, Any]) -> T:
        with self.engine.connect() as connection:
            return function(connection, **arguments)

    def _write(self, function: Callable[..., T], arguments: dict[str, Any]) -> T:
        with self.engine.begin() as connection:
            return function(connection, **arguments)
