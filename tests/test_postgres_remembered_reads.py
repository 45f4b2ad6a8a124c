"""Servers on a shared PostgreSQL remember their hot reads until anything commits, from any
process: a change counter PostgreSQL's own triggers move says so (see
`uforge_mock.store.change_tracking`). Every commit is read at the next request; without the
trigger, the memory would answer stale (the last tests show it does, so these can fail)."""

import asyncio
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import yaml
from sqlalchemy.engine import make_url

from tests.postgres import PostgresServer, server_binaries
from tests.servers import server_processes, uforge_mock
from uforge_mock.store import change_tracking, queries
from uforge_mock.store.database import Database
from uforge_mock.store.engine import create_store_engine, migrate_to_head
from uforge_mock.store.postgres_reads import QUERY_CONNECTIONS, REUSE_SECONDS, PostgresReader

pytestmark = pytest.mark.postgresql

GUEST = ("guest", "guest-secret")
EXPORTS = "/api/users/guest/mysoftware/918/exports"
JSON = {"Accept": "application/json"}
EXPORT_BY_ID = queries.MY_SOFTWARE_EXPORTS.BY_ID


def libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def psql(url: str, sql: str) -> None:
    """Run `sql` with PostgreSQL's own client, as an operator would."""
    binaries = server_binaries()
    assert binaries is not None
    subprocess.run(
        [str(binaries / "psql"), "-v", "ON_ERROR_STOP=1", "-q", "-c", sql, libpq(url)],
        check=True,
        capture_output=True,
        timeout=60,
    )


def counter(url: str) -> int:
    with psycopg.connect(libpq(url), autocommit=True) as connection:
        row = connection.execute(change_tracking.VERSION_QUERY).fetchone()
    assert row is not None
    return int(row[0])


@pytest.fixture
def migrated(postgres: PostgresServer, postgres_template: str) -> Iterator[str]:
    with postgres.database(template=postgres_template) as url:
        yield url


# ------------------------------------------------------------ the counter


def test_every_table_but_the_named_exemptions_counts_its_commits(migrated: str) -> None:
    with psycopg.connect(libpq(migrated), autocommit=True) as connection:
        tables = {
            name
            for (name,) in connection.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            )
        }
        triggers: dict[str, set[str]] = {}
        for table, trigger in connection.execute(
            "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
            " WHERE NOT t.tgisinternal"
        ):
            triggers.setdefault(table, set()).add(trigger)
    wanted = {change_tracking.ROW_TRIGGER, change_tracking.TRUNCATE_TRIGGER}
    untracked = {
        table
        for table in tables - change_tracking.EXEMPT
        if not wanted <= triggers.get(table, set())
    }
    # A new table needs `track_changes(name)` in its migration (or a reason to be exempt).
    assert untracked == set()
    assert {"users", "export_tickets", "mock_clock"} <= tables
    assert len(change_tracking.EXEMPT) <= 4


def test_a_transaction_moves_the_counter_once_and_a_rollback_not_at_all(migrated: str) -> None:
    start = counter(migrated)
    with psycopg.connect(libpq(migrated)) as connection:
        for login in ("one", "two"):
            connection.execute(
                "INSERT INTO users (id, login, password_hash, admin, created)"
                " VALUES (%s, %s, 'x', false, now())",
                (len(login) * 100 + ord(login[0]), login),
            )
        connection.execute("UPDATE users SET password_hash = 'y'")
        connection.commit()
        assert counter(migrated) == start + 1
        connection.execute("UPDATE users SET password_hash = 'three'")
        connection.rollback()
        assert counter(migrated) == start + 1
        connection.execute("UPDATE users SET password_hash = 'none' WHERE false")
        connection.commit()
        assert counter(migrated) == start + 1  # nothing changed, nothing to forget
        connection.execute("TRUNCATE bundle_imports")
        connection.commit()
        assert counter(migrated) == start + 2


def test_a_store_migrated_again_never_goes_back_to_a_version_remembered(
    postgres: PostgresServer,
) -> None:
    with postgres.database() as url:
        engine = create_store_engine(url)
        migrate_to_head(engine)
        first = counter(url)
        psql(url, "DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        migrate_to_head(engine)
        engine.dispose()
        assert counter(url) > first


# ------------------------------------------------------------ the reader, in process


@pytest.fixture
def database(migrated: str, tmp_path: Path) -> Iterator[Database]:
    """The store of one server, seeded with a guest by the CLI."""
    seed_file = tmp_path / "seed.yml"
    users = [{"login": "guest", "password": "guest-pw", "entitlements": ["software_upload"]}]
    seed_file.write_text(yaml.safe_dump({"users": users}))
    assert uforge_mock(tmp_path, "seed", str(seed_file), database_url=migrated).returncode == 0
    database = Database(create_store_engine(migrated))
    yield database
    database.close()


def reader_of(database: Database) -> PostgresReader:
    reader = database._postgres_reader
    assert reader is not None
    return reader


async def guest_hash(database: Database) -> str | None:
    """The guest's password hash, read as a new request reads it: in a task of its own."""

    async def read() -> str | None:
        user = queries.user_from_rows(await database.fetch(queries.USER_BY_LOGIN, login="guest"))
        return None if user is None else user.password_hash

    return await asyncio.create_task(read())


async def psql_async(url: str, sql: str) -> None:
    await asyncio.to_thread(psql, url, sql)


def test_a_repeated_fetch_runs_its_query_once_while_nothing_commits(database: Database) -> None:
    async def request(login: str) -> list[Any]:
        return await asyncio.create_task(database.fetch(queries.USER_BY_LOGIN, login=login))

    async def requests() -> list[list[Any]]:
        return [await request("guest"), await request("guest"), await request("nobody")]

    first, second, other = asyncio.run(requests())
    assert first == second and first and other == []
    assert reader_of(database).queries == 2  # guest once, nobody once
    assert reader_of(database).counter_reads == 3  # but the counter for every request


def test_the_later_fetches_of_a_task_reuse_its_first_counter_read(database: Database) -> None:
    async def one_request() -> None:
        await database.fetch(queries.USER_BY_LOGIN, login="guest")
        await database.fetch(queries.CLOCK_STATE)
        await database.fetch(queries.USER_BY_LOGIN, login="nobody")

    async def requests() -> int:
        await asyncio.create_task(one_request())  # connects, and remembers the results
        before = reader_of(database).counter_reads
        await asyncio.create_task(one_request())
        return reader_of(database).counter_reads - before

    # Once for the request: its later fetches came well within REUSE_SECONDS of the first.
    assert asyncio.run(requests()) == 1


def test_a_long_lived_task_reads_the_counter_again_after_a_while(
    migrated: str, database: Database
) -> None:
    async def background() -> None:
        user = await database.fetch(queries.USER_BY_LOGIN, login="guest")
        await psql_async(migrated, "UPDATE users SET password_hash = 'changed'")
        await asyncio.sleep(REUSE_SECONDS)
        assert await database.fetch(queries.USER_BY_LOGIN, login="guest") != user

    asyncio.run(background())
    assert reader_of(database).counter_reads == 2


def test_many_fetches_at_once_share_counter_reads(database: Database) -> None:
    async def reads() -> None:
        await asyncio.gather(
            *(database.fetch(queries.USER_BY_LOGIN, login="guest") for _ in range(50))
        )

    asyncio.run(reads())
    assert reader_of(database).counter_reads < 50


def test_a_commit_from_psql_is_read_at_the_next_fetch(migrated: str, database: Database) -> None:
    async def steps() -> None:
        assert await guest_hash(database) not in (None, "changed")
        await psql_async(migrated, "UPDATE users SET password_hash = 'changed'")
        assert await guest_hash(database) == "changed"
        await psql_async(migrated, "DELETE FROM entitlements; DELETE FROM users")
        assert await guest_hash(database) is None

    asyncio.run(steps())


def test_without_its_trigger_a_table_changed_is_served_stale(
    migrated: str, database: Database
) -> None:
    async def steps() -> None:
        before = await guest_hash(database)
        await psql_async(migrated, f"DROP TRIGGER {change_tracking.ROW_TRIGGER} ON users")
        await psql_async(migrated, "UPDATE users SET password_hash = 'changed'")
        # The memory is all that answers: nothing told it that the row changed.
        assert await guest_hash(database) == before != "changed"
        assert reader_of(database).queries == 1

    asyncio.run(steps())


def test_a_reader_whose_connections_the_server_terminated_reads_on_new_ones(
    migrated: str, database: Database
) -> None:
    async def steps() -> None:
        assert await guest_hash(database) not in (None, "changed")
        await psql_async(
            migrated,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        await psql_async(migrated, "UPDATE users SET password_hash = 'changed'")
        assert await guest_hash(database) == "changed"

    asyncio.run(steps())


def test_a_reader_whose_idle_query_connections_were_all_terminated_queries_on_a_new_one(
    migrated: str, database: Database
) -> None:
    reader = reader_of(database)

    async def steps() -> None:
        # Four fetches at once leave four query connections idle.
        logins = ["guest", "a", "b", "c"]
        await asyncio.gather(
            *(
                asyncio.create_task(database.fetch(queries.USER_BY_LOGIN, login=login))
                for login in logins
            )
        )
        assert len(reader._idle) == QUERY_CONNECTIONS
        await psql_async(
            migrated,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        # A query not remembered, on a connection opened after the termination.
        rows = await asyncio.create_task(database.fetch(queries.USER_BY_LOGIN, login="d"))
        assert rows == []

    asyncio.run(steps())


def test_a_failed_counter_read_raises_the_drivers_error_and_the_next_read_succeeds(
    migrated: str, database: Database
) -> None:
    table = change_tracking.CHANGES_TABLE

    async def steps() -> None:
        assert await guest_hash(database) is not None
        await psql_async(migrated, f"ALTER TABLE {table} RENAME TO hidden_changes")
        try:
            with pytest.raises(psycopg.errors.UndefinedTable):
                await guest_hash(database)
        finally:
            await psql_async(migrated, f"ALTER TABLE hidden_changes RENAME TO {table}")
        assert await guest_hash(database) is not None

    asyncio.run(steps())


# ------------------------------------------------------------ servers, as processes


@pytest.fixture(scope="module")
def shared(
    postgres: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, list[str]]]:
    """Two `serve` processes on one database (the demo dataset); yields its URL and theirs."""
    with (
        postgres.database() as url,
        server_processes(
            2, tmp_path_factory.mktemp("pair"), database_url=url, export_duration_seconds="0"
        ) as bases,
    ):
        yield url, bases


def new_export(base: str) -> str:
    created = httpx.post(f"{base}{EXPORTS}", auth=GUEST, headers=JSON)
    assert created.status_code == 201
    return f"{EXPORTS}/{created.json()['softwareBundleExport']['dbId']}"


def remembered_by(base: str, path: str) -> None:
    """`path` answered twice by `base` (so its reads are remembered there)."""
    for _ in range(2):
        assert httpx.get(f"{base}{path}/status", auth=GUEST).status_code == 200


def test_a_delete_through_one_server_is_seen_by_the_other_at_the_next_request(
    shared: tuple[str, list[str]],
) -> None:
    _, (one, other) = shared
    export = new_export(one)
    remembered_by(other, export)
    assert httpx.delete(f"{one}{export}", auth=GUEST).status_code == 204
    assert httpx.get(f"{other}{export}/status", auth=GUEST).status_code == 404


def test_a_row_deleted_with_psql_is_seen_by_both_servers_at_the_next_request(
    shared: tuple[str, list[str]],
) -> None:
    url, bases = shared
    export = new_export(bases[0])
    for base in bases:
        remembered_by(base, export)
    psql(url, f"DELETE FROM export_tickets WHERE db_id = {export.rsplit('/', 1)[1]}")
    for base in bases:
        assert httpx.get(f"{base}{export}/status", auth=GUEST).status_code == 404


def test_a_password_changed_by_seed_is_seen_by_both_servers_at_the_next_request(
    shared: tuple[str, list[str]], tmp_path: Path
) -> None:
    url, bases = shared
    for base in bases:
        remembered_by(base, f"{EXPORTS}/17")
    seed_file = tmp_path / "password.yml"
    users = [{"login": "guest", "password": "new-secret", "entitlements": ["software_upload"]}]
    seed_file.write_text(yaml.safe_dump({"users": users}))
    try:
        assert uforge_mock(tmp_path, "seed", str(seed_file), database_url=url).returncode == 0
        for base in bases:
            status = f"{base}{EXPORTS}/17/status"
            assert httpx.get(status, auth=GUEST).status_code == 401
            assert httpx.get(status, auth=("guest", "new-secret")).status_code == 200
    finally:
        users[0]["password"] = GUEST[1]
        seed_file.write_text(yaml.safe_dump({"users": users}))
        assert uforge_mock(tmp_path, "seed", str(seed_file), database_url=url).returncode == 0


def test_without_the_trigger_a_server_answers_a_deleted_export_stale(
    shared: tuple[str, list[str]],
) -> None:
    """The tests above can fail: with the trigger gone, a row deleted with psql is still served
    by a server that remembered it (until something else commits)."""
    url, bases = shared
    export = new_export(bases[0])
    remembered_by(bases[1], export)
    table = "export_tickets"
    psql(url, f"DROP TRIGGER {change_tracking.ROW_TRIGGER} ON {table}")
    try:
        psql(url, f"DELETE FROM {table} WHERE db_id = {export.rsplit('/', 1)[1]}")
        assert httpx.get(f"{bases[1]}{export}/status", auth=GUEST).status_code == 200
    finally:
        psql(url, change_tracking.tracking_statements(table)[0])
