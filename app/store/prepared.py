"""Prepared reads: the SELECTs of the request hot path, compiled once, run on the driver."""

from collections.abc import Callable
from functools import lru_cache
from typing import Any, Literal

from sqlalchemy import Dialect, Select


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

    async def run_async(
        self, connection: Any, dialect: Dialect, params: dict[str, Any]
    ) -> list[Any]:
        """`run` on an async driver connection (psycopg's `AsyncConnection`)."""
        plan = self._plans.get(dialect.name) or self._plan(dialect)
        cursor = await connection.execute(plan.sql, plan.arguments(params))
        rows: list[Any] = await cursor.fetchall()
        convert = plan.convert
        if convert is None:
            convert = plan.learn_processors(self.statement, dialect, cursor.description)
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
