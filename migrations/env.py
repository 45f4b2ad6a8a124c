"""Alembic environment: runs on the engine `uforge_mock.store.engine.alembic_config` hands over."""

from alembic import context
from sqlalchemy import create_engine
from sqlmodel import SQLModel

import uforge_mock.store.control_tables  # the control plane's tables (store.control_tables)
import uforge_mock.store.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from uforge_mock.store.change_tracking import CHANGES_TABLE

config = context.config
target_metadata = SQLModel.metadata


def _modelled(name: str | None, type_: str, _parents: object) -> bool:
    """What autogenerate compares: all but the change counter, which no model describes (it
    exists on PostgreSQL only; see `uforge_mock.store.change_tracking`)."""
    return not (type_ == "table" and name == CHANGES_TABLE)


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        # Only the `alembic` command line gets here: it names the database itself.
        engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            include_name=_modelled,
        )
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("uforge-mock migrations run online only")
run_migrations_online()
