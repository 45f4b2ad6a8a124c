"""Bringing a store to the state a server starts from: the schema at head, then the configured
seed file, or the demo dataset on an empty store. Used at start-up, by the CLI and by the
control API's reset. Every function takes the parts it needs; no server is required."""

import logging
from datetime import datetime
from importlib import resources
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from uforge_mock.jobs.clock import Clock
from uforge_mock.settings import Settings
from uforge_mock.store import queries
from uforge_mock.store.engine import exclusive_preparation, migrate_to_head
from uforge_mock.store.passwords import PasswordHasher
from uforge_mock.store.seed import (
    PreparedSeed,
    SeedDefaults,
    SeedLoader,
    SeedReport,
    hold_seeded_ids,
    read_seed_file,
    settle_seeded_ids,
)

log = logging.getLogger("uforge_mock")

DEMO_SEED = "demo-seed.yml"


def prepare_store(
    engine: Engine, settings: Settings, *, hasher: PasswordHasher, clock: Clock
) -> SeedReport | None:
    """Migrate to head, then load the configured seed file, or the demo on an empty store."""
    with exclusive_preparation(engine):
        migrate_to_head(engine)
        with Session(engine) as session, session.begin():
            settle_seeded_ids(session)
        if settings.seed is not None:
            return load_seed_file(engine, settings, settings.seed, hasher=hasher, clock=clock)
        if settings.demo:
            with engine.connect() as connection:
                empty = queries.count_users(connection) == 0
            if empty:
                return load_seed_file(
                    engine, settings, demo_seed_path(), hasher=hasher, clock=clock
                )
        return None


def reset_store(
    engine: Engine, settings: Settings, *, hasher: PasswordHasher, clock: Clock
) -> SeedReport | None:
    """Everything back to the start-up state, in one transaction: the rows the seeds and the
    clients made are deleted (ids are not reused), the clock runs in real time again, and the
    configured seed (or the demo) is loaded afresh. Its passwords are hashed before the
    transaction begins."""
    configured: tuple[PreparedSeed, str] | None = None
    loader = seed_loader(engine, settings, hasher)
    if settings.seed is not None or settings.demo:
        document, source = read_seed_file(settings.seed or demo_seed_path())
        configured = loader.prepare(document), source
    # Exclusive: two servers resetting one PostgreSQL store at once would both seed it afresh.
    with exclusive_preparation(engine), Session(engine) as session, session.begin():
        # Before the wipe: a create in flight holds the table and would wait on the wiped
        # rows, while the seed below waited on it.
        hold_seeded_ids(session)
        queries.wipe(session.connection())
        settle_seeded_ids(session)
        if configured is None:
            return None
        prepared, source = configured
        now = clock.now()  # the clock was just reset to real time
        return loader.load_in(session, prepared, source=source, now=now)


def demo_seed_path() -> Path:
    """The bundled demo dataset."""
    return Path(str(resources.files("uforge_mock.store") / DEMO_SEED))


def load_seed_file(
    engine: Engine, settings: Settings, path: Path, *, hasher: PasswordHasher, clock: Clock
) -> SeedReport:
    """Load the seed file at `path`, all or nothing, at the mock's current time."""
    document, source = read_seed_file(path)
    report = seed_loader(engine, settings, hasher).load(
        document, source=source, now=mock_now(engine, clock)
    )
    log.info("seed %s: %s", source, report.summary())
    return report


def mock_now(engine: Engine, clock: Clock) -> datetime:
    """The mock's time, read with a connection of its own (outside the event loop)."""
    with engine.connect() as connection:
        return queries.clock_state(connection).now(clock.now())


def seed_loader(engine: Engine, settings: Settings, hasher: PasswordHasher) -> SeedLoader:
    return SeedLoader(
        engine,
        hash_password=hasher.hash,
        verify_password=hasher.verify,
        defaults=SeedDefaults(export_duration_seconds=settings.export_duration_seconds),
    )
