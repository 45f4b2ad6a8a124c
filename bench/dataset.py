"""The benchmark's data: a seed file of realistic size, and a bulk filler for big stores.

Layout (bench/wrk/random_tickets.lua relies on it, see `ticket_path`):

- `USERS` users `bench-user-00` .. `bench-user-09`, each with the password `bench-secret-NN`
  and the entitlements of an exporting user;
- `SOFTWARE` mySoftware with dbIds `SOFTWARE_BASE + 1` .. `SOFTWARE_BASE + SOFTWARE`; the
  software `SOFTWARE_BASE + 1 + k` belongs to user `k % USERS`;
- tickets with dbIds `1 .. N`; ticket `t` belongs to software
  `SOFTWARE_BASE + 1 + (t - 1) % SOFTWARE`.

Ticket `FIXED_TICKET` is a finished (complete) export: its status never changes, so its ETag is
stable (the 200 and 304 scenarios). Ticket `LIVE_TICKET` is created when the seed is written and
runs for `live_duration` seconds: its percentage, message, lastModified and digest move while the
benchmark runs. The other tickets mix every outcome, as a real platform's history would.

Command line (run.py calls it; it also works by hand):

    python bench/dataset.py seed FILE [--tickets 1000] [--live-duration 600]
    python bench/dataset.py fill DATABASE_URL --first 1001 --last 1000000
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

USERS = 10
SOFTWARE = 100
SOFTWARE_BASE = 1000
FIXED_TICKET = 1
LIVE_TICKET = 2

_NAMES = (
    "Zabbix",
    "Nginx",
    "PostgreSQL",
    "Redis",
    "Tomcat",
    "Elasticsearch",
    "Grafana",
    "Prometheus",
    "HAProxy",
    "RabbitMQ",
    "Jenkins",
    "Keycloak",
    "MariaDB",
    "Varnish",
    "Kafka",
    "Consul",
    "Vault",
    "Memcached",
    "OpenLDAP",
    "Postfix",
)
_EPOCH = datetime(2024, 1, 8, 9, 0, 0, tzinfo=UTC)
# Ordinary tickets were created from _HISTORY on, one every 90 s or so: 1,000,000 of them fit
# before _EPOCH, so every one is in the past.
_HISTORY = datetime(2021, 1, 1, tzinfo=UTC)


def login(user: int) -> str:
    return f"bench-user-{user:02d}"


def password(user: int) -> str:
    return f"bench-secret-{user:02d}"


def software_of_ticket(ticket: int) -> int:
    return SOFTWARE_BASE + 1 + (ticket - 1) % SOFTWARE


def owner_of_software(software: int) -> int:
    return (software - SOFTWARE_BASE - 1) % USERS


def owner_of_ticket(ticket: int) -> int:
    return owner_of_software(software_of_ticket(ticket))


def ticket_path(ticket: int, prefix: str = "/api") -> str:
    """The status path of `ticket`, with the right owner and mySoftware."""
    software = software_of_ticket(ticket)
    return (
        f"{prefix}/users/{login(owner_of_software(software))}/mysoftware/{software}"
        f"/exports/{ticket}/status"
    )


def _iso(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _ticket_facts(ticket: int) -> dict[str, object]:
    """What the seed (and the bulk filler) says about an ordinary ticket, deterministically."""
    rng = random.Random(ticket)
    created = _HISTORY + timedelta(seconds=90 * ticket + rng.randrange(60))
    draw = rng.random()
    facts: dict[str, object] = {
        "created": created,
        "duration": float(rng.choice((8, 13, 19, 30, 45, 90, 240))),
        "outputFormat": "json" if rng.random() < 0.2 else "yaml",
        "outcome": "complete",
        "percentage": 0,
        "message": None,
        "errorMessage": None,
        "detailedErrorMsg": None,
    }
    if draw < 0.08:
        facts.update(
            outcome="error",
            percentage=rng.choice((12, 40, 63, 88)),
            errorMessage="Failed to create the archive of the software bundle",
            detailedErrorMsg="java.io.IOException: No space left on device",
        )
    elif draw < 0.12:
        facts.update(outcome="cancelled", percentage=rng.choice((5, 25, 50)))
    elif draw < 0.14:
        facts.update(outcome="running", percentage=rng.choice((10, 40, 75)))
    return facts


def seed_document(*, tickets: int, live_started: datetime, live_duration: float) -> dict:
    """A seed document (the README's format) with the layout above and `tickets` tickets."""
    users = [
        {
            "login": login(user),
            "password": password(user),
            "entitlements": ["software_upload", "appliance_create", "api_key_access"],
            "apiKeys": [{"publicKey": f"PUB-bench-{user:02d}", "secretKey": f"SEC-{user:02d}"}],
        }
        for user in range(USERS)
    ]
    software = []
    for index in range(SOFTWARE):
        db_id = SOFTWARE_BASE + 1 + index
        name = _NAMES[index % len(_NAMES)]
        created = _HISTORY - timedelta(days=90 - index % 60, hours=index % 24)
        software.append(
            {
                "dbId": db_id,
                "owner": login(owner_of_software(db_id)),
                "name": name if index < len(_NAMES) else f"{name}-{index // len(_NAMES)}",
                "version": f"{1 + index % 7}.{index % 10}.{index % 3}",
                "description": f"{name} packaged for the benchmark (bundle {index})",
                "tag": "bench",
                "maintainer": "bench@example.org",
                "website": f"https://example.org/{name.lower()}",
                "size": 20480 + 4096 * index,
                "revision": 1 + index % 5,
                "created": _iso(created),
                "lastModified": _iso(created + timedelta(days=3)),
            }
        )
    exports = []
    for ticket in range(1, tickets + 1):
        entry: dict[str, object] = {"dbId": ticket, "mySoftware": software_of_ticket(ticket)}
        if ticket == FIXED_TICKET:
            entry.update(created=_iso(_EPOCH), duration=19.0, outcome="complete")
        elif ticket == LIVE_TICKET:
            entry.update(created=_iso(live_started), duration=live_duration, outcome="complete")
        else:
            facts = _ticket_facts(ticket)
            created = facts.pop("created")
            assert isinstance(created, datetime)
            entry["created"] = _iso(created)
            entry.update({key: value for key, value in facts.items() if value is not None})
        exports.append(entry)
    return {"users": users, "mySoftware": software, "exports": exports}


def write_seed(path: Path, *, tickets: int, live_started: datetime, live_duration: float) -> Path:
    document = seed_document(
        tickets=tickets, live_started=live_started, live_duration=live_duration
    )
    path.write_text(json.dumps(document, indent=1), encoding="utf-8")
    return path


def _bulk_rows(first: int, last: int) -> Iterator[dict[str, object]]:
    for ticket in range(first, last + 1):
        facts = _ticket_facts(ticket)
        yield {
            "db_id": ticket,
            "my_software_id": software_of_ticket(ticket),
            "output_format": facts["outputFormat"],
            "created": facts["created"],
            "last_modified": facts["created"],
            "duration_seconds": facts["duration"],
            "outcome": facts["outcome"],
            "percentage": facts["percentage"],
            "message": facts["message"],
            "error_message": facts["errorMessage"],
            "detailed_error_msg": facts["detailedErrorMsg"],
        }


def bulk_fill(database_url: str, *, first: int, last: int, batch: int = 50_000) -> int:
    """Insert tickets `first .. last` straight into a store whose schema is at head and whose
    users and mySoftware are loaded (the seed): SQLAlchemy Core executemany on the app's own
    table, so values are stored exactly as the app stores them. Returns the rows inserted."""
    from sqlalchemy import create_engine, insert

    from uforge_mock.store.queries import export_tickets

    engine = create_engine(database_url)
    inserted = 0
    rows = _bulk_rows(first, last)
    statement = insert(export_tickets)
    try:
        while True:
            chunk = [row for _, row in zip(range(batch), rows, strict=False)]
            if not chunk:
                break
            with engine.begin() as connection:
                connection.execute(statement, chunk)
            inserted += len(chunk)
    finally:
        engine.dispose()
    return inserted


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    seed = commands.add_parser("seed", help="write a seed file (JSON)")
    seed.add_argument("file", type=Path)
    seed.add_argument("--tickets", type=int, default=1000)
    seed.add_argument("--live-duration", type=float, default=600.0, metavar="SECONDS")
    fill = commands.add_parser("fill", help="bulk-insert tickets into a seeded store")
    fill.add_argument("database_url")
    fill.add_argument("--first", type=int, required=True)
    fill.add_argument("--last", type=int, required=True)
    arguments = parser.parse_args(argv)
    if arguments.command == "seed":
        write_seed(
            arguments.file,
            tickets=arguments.tickets,
            live_started=datetime.now(UTC),
            live_duration=arguments.live_duration,
        )
        print(
            f"{arguments.file}: {USERS} users, {SOFTWARE} mySoftware, {arguments.tickets} tickets"
        )
    else:
        started = time.monotonic()
        count = bulk_fill(arguments.database_url, first=arguments.first, last=arguments.last)
        print(f"inserted {count} tickets in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
