"""What tells every server that something committed to a shared PostgreSQL store.

Servers remember the results of their hot reads (`postgres_reads`); they may serve one again
only while nothing committed since it was read. PostgreSQL itself keeps the answer: a one-row
table, `uforge_changes`, whose `version` goes up by one in every transaction that changed a
tracked table, whoever ran it (a server, `uforge-mock seed`, `psql`), and so commits with it.

The counting runs at commit time, from a deferred constraint trigger on every tracked table: a
transaction takes the counter's row lock last, when it holds every other lock it will take, and
keeps it only while it commits. An immediate trigger would take it at the first statement and
hold it until the end, so that two writers of one row in different orders could deadlock through
it. A transaction counts once, however many rows it changed (a transaction-local setting says it
was counted). TRUNCATE fires no row trigger: a statement trigger counts it.

The counter starts from the clock (microseconds since 1970) when the table is created, so a
store dropped and migrated again never goes back to a version a server remembers.

Every table of the schema is tracked, but for `EXEMPT` (Alembic's own and the counter); a
migration that adds a table calls `track_changes(name)` (tests/test_postgres_remembered_reads
fails for a table that is neither tracked nor exempt). SQLite needs none of this: `PRAGMA
data_version` says the same of a file.
"""

from alembic import op

# The counter, and the trigger function the tables call.
CHANGES_TABLE = "uforge_changes"
NOTE_CHANGE = "uforge_note_change"
# The trigger's name on each tracked table (PostgreSQL names triggers per table).
ROW_TRIGGER = "uforge_changes_row"
TRUNCATE_TRIGGER = "uforge_changes_truncate"
# Tables whose changes say nothing of what servers remember: Alembic's own, and the counter.
# A table of the control plane that servers do not read through remembered reads (a journal
# written on every request) belongs here too, or every request would forget every result.
EXEMPT = frozenset({"alembic_version", CHANGES_TABLE, "control_journal"})

# The statement a server reads before serving a remembered result.
VERSION_QUERY = f"SELECT version FROM {CHANGES_TABLE}"

_CREATE = [
    f"""CREATE TABLE {CHANGES_TABLE} (
        one boolean PRIMARY KEY DEFAULT true CHECK (one),
        version bigint NOT NULL
    )""",
    f"""INSERT INTO {CHANGES_TABLE} (version)
        VALUES ((extract(epoch FROM clock_timestamp()) * 1000000)::bigint)""",
    f"""CREATE FUNCTION {NOTE_CHANGE}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        -- Once per transaction: the setting is the transaction's own (set_config(..., true)).
        IF current_setting('uforge_mock.counted', true) IS DISTINCT FROM 'yes' THEN
            PERFORM set_config('uforge_mock.counted', 'yes', true);
            UPDATE {CHANGES_TABLE} SET version = version + 1;
        END IF;
        RETURN NULL;
    END
    $$""",
]


def create_counter() -> None:
    """The counter and its trigger function (migration 0005), on PostgreSQL only."""
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in _CREATE:
        op.execute(statement)


def drop_counter() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"DROP FUNCTION IF EXISTS {NOTE_CHANGE}() CASCADE")
    op.execute(f"DROP TABLE IF EXISTS {CHANGES_TABLE}")


def track_changes(table: str) -> None:
    """Count every commit that changes `table` (call it in the migration that creates it)."""
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in tracking_statements(table):
        op.execute(statement)


def untrack_changes(table: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f'DROP TRIGGER IF EXISTS {ROW_TRIGGER} ON "{table}"')
    op.execute(f'DROP TRIGGER IF EXISTS {TRUNCATE_TRIGGER} ON "{table}"')


def tracking_statements(table: str) -> list[str]:
    """The SQL that puts the triggers on `table`."""
    return [
        f"""CREATE CONSTRAINT TRIGGER {ROW_TRIGGER}
            AFTER INSERT OR UPDATE OR DELETE ON "{table}"
            DEFERRABLE INITIALLY DEFERRED
            FOR EACH ROW EXECUTE FUNCTION {NOTE_CHANGE}()""",
        f"""CREATE TRIGGER {TRUNCATE_TRIGGER}
            AFTER TRUNCATE ON "{table}"
            FOR EACH STATEMENT EXECUTE FUNCTION {NOTE_CHANGE}()""",
    ]
