"""The event loop's SQLite reads are remembered only while the file is unchanged: whatever
another connection or process commits is read at the very next request."""

import asyncio
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import yaml
from sqlalchemy import Connection, event

from tests.conftest import BASE_SEED, STATUS_17, basic
from tests.servers import server_process, uforge_mock
from uforge_mock.store.database import Database
from uforge_mock.store.engine import create_store_engine, migrate_to_head
from uforge_mock.store.queries import MY_SOFTWARE_EXPORTS, USER_BY_LOGIN, user_from_rows
from uforge_mock.store.sqlite_reads import MEMORY_SIZE, SQLiteReader

EXPORT_BY_ID = MY_SOFTWARE_EXPORTS.BY_ID


@pytest.fixture
def store_file(tmp_path: Path) -> Path:
    """A migrated, seeded SQLite store (the CLI's own `seed`)."""
    seed_file = tmp_path / "seed.yml"
    seed_file.write_text(yaml.safe_dump(BASE_SEED))
    assert uforge_mock(tmp_path, "seed", str(seed_file)).returncode == 0
    return tmp_path / "data" / "uforge-mock.db"


def commit_in_another_process(database: Path, sql: str, *parameters: object) -> None:
    script = (
        "import sqlite3, sys, json\n"
        "connection = sqlite3.connect(sys.argv[1])\n"
        "connection.execute(sys.argv[2], json.loads(sys.argv[3]))\n"
        "connection.commit()\n"
    )
    subprocess.run(
        [sys.executable, "-c", script, str(database), sql, json.dumps(parameters)], check=True
    )


@pytest.fixture
def reader_and_statements(store_file: Path) -> tuple[SQLiteReader, list[str]]:
    engine = create_store_engine(f"sqlite:///{store_file}")
    statements: list[str] = []

    def trace(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        dbapi_connection.set_trace_callback(statements.append)

    event.listen(engine, "connect", trace)
    migrate_to_head(engine)  # a no-op here, as at a server's start
    statements.clear()
    return SQLiteReader(engine), statements


def selects(statements: list[str]) -> list[str]:
    return [sql for sql in statements if sql.lstrip().upper().startswith("SELECT")]


def test_a_repeated_read_runs_its_query_once_while_nothing_is_committed(
    reader_and_statements: tuple[SQLiteReader, list[str]],
) -> None:
    reader, statements = reader_and_statements
    first = reader.fetch(USER_BY_LOGIN, {"login": "guest"})
    second = reader.fetch(USER_BY_LOGIN, {"login": "guest"})
    other = reader.fetch(USER_BY_LOGIN, {"login": "nobody"})
    assert first == second and first and other == []
    assert len(selects(statements)) == 2  # guest once, nobody once
    reader.close()


def test_a_commit_in_another_process_is_read_at_once(
    store_file: Path, reader_and_statements: tuple[SQLiteReader, list[str]]
) -> None:
    reader, _ = reader_and_statements
    before = user_from_rows(reader.fetch(USER_BY_LOGIN, {"login": "guest"}))
    assert before is not None
    assert reader.fetch(EXPORT_BY_ID, {"db_id": 17})
    commit_in_another_process(
        store_file, "UPDATE users SET password_hash = ? WHERE login = ?", "changed", "guest"
    )
    after = user_from_rows(reader.fetch(USER_BY_LOGIN, {"login": "guest"}))
    assert after is not None and after.password_hash == "changed"
    commit_in_another_process(store_file, "DELETE FROM export_tickets WHERE db_id = ?", 17)
    assert reader.fetch(EXPORT_BY_ID, {"db_id": 17}) == []
    reader.close()


def test_the_memory_is_bounded(reader_and_statements: tuple[SQLiteReader, list[str]]) -> None:
    reader, statements = reader_and_statements
    for n in range(MEMORY_SIZE + 1):
        reader.fetch(USER_BY_LOGIN, {"login": f"user-{n}"})
    reader.fetch(USER_BY_LOGIN, {"login": "user-0"})
    # The memory started afresh when it was full: user-0 was read a second time.
    assert len(selects(statements)) == MEMORY_SIZE + 2
    reader.close()


def test_a_served_store_changed_by_another_process_answers_from_the_change_at_once(
    tmp_path: Path, store_file: Path
) -> None:
    guest = basic("guest", "guest-pw")
    with (
        server_process(tmp_path / "data", "--no-demo") as base,
        httpx.Client(base_url=base) as client,
    ):
        assert client.get(STATUS_17, headers=guest).status_code == 200
        seed_file = tmp_path / "new-password.yml"
        users = [{"login": "guest", "password": "new-pw", "entitlements": ["software_upload"]}]
        seed_file.write_text(yaml.safe_dump({"users": users}))
        assert uforge_mock(tmp_path, "seed", str(seed_file)).returncode == 0
        assert client.get(STATUS_17, headers=guest).status_code == 401
        renewed = basic("guest", "new-pw")
        assert client.get(STATUS_17, headers=renewed).status_code == 200
        commit_in_another_process(store_file, "DELETE FROM export_tickets WHERE db_id = ?", 17)
        assert client.get(STATUS_17, headers=renewed).status_code == 404


def version_checks(statements: list[str]) -> int:
    return sum(1 for sql in statements if "data_version" in sql)


def test_one_request_checks_the_file_once_and_the_next_request_again(
    store_file: Path, reader_and_statements: tuple[SQLiteReader, list[str]]
) -> None:
    reader, statements = reader_and_statements

    async def one_request() -> str | None:
        user = user_from_rows(reader.fetch(USER_BY_LOGIN, {"login": "guest"}))
        reader.fetch(EXPORT_BY_ID, {"db_id": 17})
        return user.password_hash if user else None

    first = asyncio.run(one_request())
    assert version_checks(statements) == 1  # two fetches, one check
    commit_in_another_process(
        store_file, "UPDATE users SET password_hash = ? WHERE login = ?", "changed", "guest"
    )
    assert first != "changed"
    assert asyncio.run(one_request()) == "changed"  # a new task checks again
    assert version_checks(statements) == 2
    reader.close()


def test_a_request_reads_its_own_write_at_its_next_fetch(store_file: Path) -> None:
    database = Database(create_store_engine(f"sqlite:///{store_file}"))

    def delete_export(connection: Connection) -> None:
        connection.exec_driver_sql("DELETE FROM export_tickets WHERE db_id = 17")

    async def delete_then_read() -> list[object]:
        assert await database.fetch(EXPORT_BY_ID, db_id=17)
        await database.write(delete_export)
        return await database.fetch(EXPORT_BY_ID, db_id=17)

    assert asyncio.run(delete_then_read()) == []
    database.close()
