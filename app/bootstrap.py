"""Bringing a store to the state a server starts from: the schema at head, then the configured
seed file, or the demo dataset on an empty store. Used at start-up, by the CLI and by the
control API's reset."""

import logging
from importlib import resources
from pathlib import Path

from sqlmodel import Session

from app import store
from app.db import exclusive_preparation, migrate_to_head
from app.runtime import Runtime
from app.seed import (
    SeedDefaults,
    SeedDocument,
    SeedLoader,
    SeedReport,
    hold_export_ids,
    read_seed_file,
)

log = logging.getLogger("uforge_mock")

DEMO_SEED = "demo-seed.yml"


def prepare_store(runtime: Runtime) -> SeedReport | None:
    """Migrate to head, then load the configured seed file, or the demo on an empty store."""
    with exclusive_preparation(runtime.engine):
        migrate_to_head(runtime.engine)
        settings = runtime.settings
        if settings.seed is not None:
            return load_seed_file(runtime, settings.seed)
        if settings.demo:
            with runtime.engine.connect() as connection:
                empty = store.count_users(connection) == 0
            if empty:
                return load_seed_file(runtime, demo_seed_path())
        return None


def reset_store(runtime: Runtime) -> SeedReport | None:
    """Everything back to the start-up state, in one transaction: the rows the seeds and the
    clients made are deleted (ids are not reused), the clock runs in real time again, and the
    configured seed (or the demo) is loaded afresh."""
    settings = runtime.settings
    configured: tuple[SeedDocument, str] | None = None
    if settings.seed is not None:
        configured = read_seed_file(settings.seed)
    elif settings.demo:
        configured = read_seed_file(demo_seed_path())
    # Exclusive: two servers resetting one PostgreSQL store at once would both seed it afresh.
    with (
        exclusive_preparation(runtime.engine),
        Session(runtime.engine) as session,
        session.begin(),
    ):
        # Before the wipe: a create in flight holds the table and would wait on the wiped
        # rows, while the seed below waited on it.
        hold_export_ids(session)
        store.wipe(session.connection())
        if configured is None:
            return None
        document, source = configured
        now = runtime.clock.now()  # the clock was just reset to real time
        return seed_loader(runtime).load_in(session, document, source=source, now=now)


def demo_seed_path() -> Path:
    return Path(str(resources.files("app.demo") / DEMO_SEED))


def load_seed_file(runtime: Runtime, path: Path) -> SeedReport:
    document, source = read_seed_file(path)
    report = seed_loader(runtime).load(document, source=source, now=runtime.now_sync())
    log.info("seed %s: %s", source, report.summary())
    return report


def seed_loader(runtime: Runtime) -> SeedLoader:
    return SeedLoader(
        runtime.engine,
        hash_password=runtime.hasher.hash,
        verify_password=runtime.hasher.verify,
        defaults=SeedDefaults(export_duration_seconds=runtime.settings.export_duration_seconds),
    )
