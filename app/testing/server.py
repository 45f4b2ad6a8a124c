"""The live server behind the pytest fixtures: a real uvicorn in a thread, on a free loopback
port, with a store copied from a template migrated and seeded once per session, and its control
API in Python (`MockServer`). The fixtures themselves are in `uforge_mock.testing.plugin`."""

import shutil
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn
import yaml

from uforge_mock.factory import create_app
from uforge_mock.platform.protocol import server_options
from uforge_mock.platform.runtime import build_runtime
from uforge_mock.settings import Settings

DEFAULT_LOGIN = "guest"
DEFAULT_PASSWORD = "guest-secret"
DEFAULT_SEED: dict[str, Any] = {
    "users": [
        {
            "login": DEFAULT_LOGIN,
            "password": DEFAULT_PASSWORD,
            "entitlements": ["software_upload", "appliance_create", "api_key_access"],
            "apiKeys": [{"publicKey": "PUB-guest", "secretKey": "SEC-guest"}],
        }
    ],
    "mySoftware": [
        {"dbId": 918, "owner": DEFAULT_LOGIN, "name": "Zabbix", "version": "3.0.1"},
    ],
}
LIGHT_HASHING = {"password_hash_memory_kib": 1024, "password_hash_time_cost": 1}
CONTROL_TOKEN = "uforge-mock-test-token"
STARTUP_TIMEOUT = 30.0
SHUTDOWN_TIMEOUT = 10.0


class MockServerError(Exception):
    """The server did not start or stop in time, or its control API refused a request."""


class LiveServer:
    """An ASGI app served by a real uvicorn in a background thread on a free loopback port,
    with the protocol limits of `settings` (the defaults when not given), as `serve` has."""

    def __init__(
        self, app: Any, *, host: str = "127.0.0.1", settings: Settings | None = None
    ) -> None:
        options = server_options(settings if settings is not None else Settings.model_construct())
        config = uvicorn.Config(
            app, host=host, port=0, log_level="warning", lifespan="on", **options
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="uforge-mock", daemon=True)
        self.host = host
        self.port = 0

    def start(self) -> None:
        self._thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise MockServerError("the uforge-mock server did not start")
            time.sleep(0.005)
        self.port = self._server.servers[0].sockets[0].getsockname()[1]

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(SHUTDOWN_TIMEOUT)
        if self._thread.is_alive():
            # Open connections kept it waiting: close them.
            self._server.force_exit = True
            self._thread.join(SHUTDOWN_TIMEOUT)
        if self._thread.is_alive():
            raise MockServerError("the uforge-mock server thread did not stop")

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


class MockServer:
    """A running uforge-mock, and its control API in Python.

    Attributes:
        base_url: the UForge API base, `http://127.0.0.1:PORT/api` (give it to the SDK as is).
        root_url: `http://127.0.0.1:PORT`.
        username, password, auth: the default user's credentials (`auth` for httpx/requests).
        settings: the server's `Settings`.
    """

    def __init__(self, server: LiveServer, settings: Settings) -> None:
        self._server = server
        self.settings = settings
        self.root_url = server.url
        self.base_url = f"{server.url}/api"
        self.username = DEFAULT_LOGIN
        self.password = DEFAULT_PASSWORD
        self.auth = (DEFAULT_LOGIN, DEFAULT_PASSWORD)
        self._control = httpx.Client(
            base_url=f"{server.url}/_mock",
            headers={"Authorization": f"Bearer {CONTROL_TOKEN}", "Accept": "application/json"},
            timeout=60,
        )

    def seed(self, document: dict[str, Any] | str | Path) -> dict[str, Any]:
        """Load a seed document (a dict, or a YAML/JSON file); returns what was created and
        updated. All or nothing: a bad document raises and changes nothing."""
        report: dict[str, Any]
        if isinstance(document, dict):
            report = self._call("POST", "/seed", json=_jsonable(document))
        else:
            path = Path(document)
            kind = "application/json" if path.suffix.lower() == ".json" else "application/yaml"
            report = self._call(
                "POST", "/seed", content=path.read_bytes(), headers={"Content-Type": kind}
            )
        return report

    def reset(self) -> None:
        """Back to the default world, real time, no faults, an empty journal."""
        self._call("POST", "/reset")

    def advance(self, seconds: float) -> datetime:
        """Move the mock's time forward (frozen or running); returns the new mock time."""
        return self._clock({"action": "advance", "by": seconds})

    def freeze(self, at: datetime | str | None = None) -> datetime:
        """Stop the mock's time, now or at `at`; returns it."""
        change: dict[str, Any] = {"action": "freeze"}
        if at is not None:
            change["at"] = at.isoformat() if isinstance(at, datetime) else at
        return self._clock(change)

    def unfreeze(self) -> datetime:
        """Let the mock's time run again from where it stands."""
        return self._clock({"action": "run"})

    def now(self) -> datetime:
        return datetime.fromisoformat(self._call("GET", "/clock")["now"])

    def requests(self, method: str | None = None, path: str | None = None) -> list[dict[str, Any]]:
        """The requests the UForge routes received, oldest first (`path` is a glob): every
        one the journal holds, read a page at a time."""
        params: dict[str, Any] = {"after": 0}
        params.update((k, v) for k, v in (("method", method), ("path", path)) if v is not None)
        entries: list[dict[str, Any]] = []
        while True:
            page = self._call("GET", "/requests", params=params)
            entries.extend(page["requests"])
            if not page.get("next") or not page["requests"]:
                return entries
            params["after"] = page["requests"][-1]["id"]

    def clear_requests(self) -> None:
        self._call("DELETE", "/requests")

    def fail_next(
        self,
        status: int | None = 500,
        *,
        method: str = "*",
        path: str = "*",
        times: int = 1,
        drop: bool = False,
        latency_ms: float | None = None,
    ) -> dict[str, Any]:
        """Make the next `times` matching requests fail: with `status` (default 500), or a
        dropped connection (`drop=True`), or just slow (`status=None, latency_ms=...`)."""
        spec: dict[str, Any] = {"method": method, "path": path, "times": times}
        if drop:
            spec["drop"] = True
        elif status is not None:
            spec["status"] = status
        if latency_ms is not None:
            spec["latencyMs"] = latency_ms
        fault: dict[str, Any] = self._call("POST", "/faults", json=spec)
        return fault

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def patch_export(self, eid: int, **facts: Any) -> dict[str, Any]:
        """Change an export ticket: outcome, duration, percentage, message, errorMessage,
        detailedErrorMsg, restart."""
        ticket: dict[str, Any] = self._call("PATCH", f"/exports/{eid}", json=facts)
        return ticket

    def patch_import(self, sbid: int, **facts: Any) -> dict[str, Any]:
        """Change a bundle import: outcome (`error` takes back the mySoftware it made),
        duration, percentage, message, errorMessage, detailedErrorMsg."""
        ticket: dict[str, Any] = self._call("PATCH", f"/bundleimports/{sbid}", json=facts)
        return ticket

    def patch_appliance_export(self, eid: int, **facts: Any) -> dict[str, Any]:
        """Change an appliance export ticket (`template export`), as `patch_export` does a
        mySoftware's: outcome, duration, percentage, message, errorMessage, detailedErrorMsg,
        restart."""
        ticket: dict[str, Any] = self._call("PATCH", f"/applianceexports/{eid}", json=facts)
        return ticket

    def patch_appliance_import(self, iid: int, **facts: Any) -> dict[str, Any]:
        """Change an appliance import (`template import` / `create`): outcome (`error` takes
        back the appliance it made), duration, percentage, message, errorMessage,
        detailedErrorMsg."""
        ticket: dict[str, Any] = self._call("PATCH", f"/applianceimports/{iid}", json=facts)
        return ticket

    def appliance_exports(self) -> list[dict[str, Any]]:
        """Every appliance export ticket with its status now, by dbId."""
        return self._pages("/applianceexports", "applianceExports")

    def appliance_imports(self) -> list[dict[str, Any]]:
        """Every appliance import with its status now, by dbId."""
        return self._pages("/applianceimports", "applianceImports")

    def _pages(self, path: str, key: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        params: dict[str, Any] = {"after": 0}
        while True:
            page = self._call("GET", path, params=params)
            items.extend(page[key])
            if not page.get("next") or not page[key]:
                return items
            params["after"] = page[key][-1]["dbId"]

    def close(self) -> None:
        self._control.close()
        self._server.stop()

    def _clock(self, change: dict[str, Any]) -> datetime:
        return datetime.fromisoformat(self._call("PUT", "/clock", json=change)["now"])

    def _call(self, method: str, path: str, **options: Any) -> Any:
        response = self._control.request(method, path, **options)
        if response.is_error:
            raise MockServerError(f"{method} /_mock{path}: {response.status_code} {response.text}")
        return response.json() if response.content else None


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    return value


class TemplateStore:
    """A SQLite database migrated and seeded with the default world once, copied per server."""

    def __init__(self, folder: Path, overrides: dict[str, Any]) -> None:
        self.folder = folder
        self.seed_file = folder / "default-seed.yml"
        self.seed_file.write_text(yaml.safe_dump(DEFAULT_SEED, sort_keys=False))
        self.database = folder / "template.db"
        self._overrides = overrides
        runtime = build_runtime(self.settings_for(self.database))
        runtime.prepare()
        with runtime.engine.connect() as connection:
            # Everything into the main file, so a plain copy carries it.
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        runtime.close()

    def settings_for(self, database: Path) -> Settings:
        values: dict[str, Any] = {
            "data_dir": database.parent,
            "database_url": f"sqlite:///{database}",
            "seed": self.seed_file,
            "demo": False,
            "control_enabled": True,
            "control_token": CONTROL_TOKEN,
            **LIGHT_HASHING,
            **self._overrides,
        }
        return Settings(**values)

    def new_server(self, folder: Path) -> MockServer:
        folder.mkdir(parents=True, exist_ok=True)
        database = folder / "uforge-mock.db"
        shutil.copyfile(self.database, database)
        # The copy is already migrated and seeded: start without doing it again.
        settings = self.settings_for(database).model_copy(update={"migrate_on_start": False})
        server = LiveServer(create_app(settings), settings=settings)
        server.start()
        return MockServer(server, settings)
