"""The schema comes only from the Alembic migrations, and they agree with the models."""

from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect
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


def schema(engine: Engine) -> dict[str, dict[str, object]]:
    """Every table's columns, keys and indexes, as the database reports them."""
    inspector = inspect(engine)
    return {
        table: {
            "columns": [
                (column["name"], str(column["type"]), column["nullable"])
                for column in inspector.get_columns(table)
            ],
            "primary key": inspector.get_pk_constraint(table)["constrained_columns"],
            "foreign keys": sorted(
                (tuple(key["constrained_columns"]), key["referred_table"])
                for key in inspector.get_foreign_keys(table)
            ),
            "indexes": sorted(
                (str(index["name"]), tuple(map(str, index["column_names"])), index["unique"])
                for index in inspector.get_indexes(table)
            ),
            "unique": sorted(
                tuple(constraint["column_names"])
                for constraint in inspector.get_unique_constraints(table)
            ),
        }
        for table in sorted(inspector.get_table_names())
    }


def revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        version = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    return None if version is None else str(version)


def test_upgrade_twice_is_a_no_op(empty_database_url: str) -> None:
    engine = create_store_engine(empty_database_url)
    migrate_to_head(engine)
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO mock_clock (id, frozen_at, offset_seconds) VALUES (1, NULL, 42.5)"
        )
    revision_before, schema_before = revision(engine), schema(engine)

    migrate_to_head(engine)

    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    assert revision(engine) == revision_before == head
    assert schema(engine) == schema_before
    with engine.connect() as connection:
        rows = connection.exec_driver_sql("SELECT id, offset_seconds FROM mock_clock").all()
    assert [tuple(row) for row in rows] == [(1, 42.5)]
    engine.dispose()


def test_sqlite_store_uses_wal_and_foreign_keys(tmp_path: Path) -> None:
    engine = create_store_engine(f"sqlite:///{tmp_path / 'nested' / 'store.db'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
