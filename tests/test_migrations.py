"""The schema comes only from the Alembic migrations, and they agree with the models."""

from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlmodel import SQLModel
from uforge_mock.store.engine import alembic_config, create_store_engine, migrate_to_head


def test_migrations_upgrade_an_empty_database_to_head(empty_database_url: str) -> None:
    engine = create_store_engine(empty_database_url)
    migrate_to_head(engine)
    tables = set(inspect(engine).get_table_names())
    assert set(SQLModel.metadata.tables) <= tables
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    with engine.connect() as connection:
        version = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    assert version == head
    engine.dispose()


def test_models_and_migrations_agree(empty_database_url: str) -> None:
    engine = create_store_engine(empty_database_url)
    migrate_to_head(engine)
    # Raises when autogenerate would write a new migration.
    command.check(alembic_config(engine))
    engine.dispose()


def test_upgrade_twice_is_a_no_op(empty_database_url: str) -> None:
    engine = create_store_engine(empty_database_url)
    migrate_to_head(engine)
    migrate_to_head(engine)
    engine.dispose()


def test_sqlite_store_uses_wal_and_foreign_keys(tmp_path: Path) -> None:
    engine = create_store_engine(f"sqlite:///{tmp_path / 'nested' / 'store.db'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
