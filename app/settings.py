"""Settings of one uforge-mock server, read from `UFORGE_MOCK_*` environment variables.

Every setting that the CLI also accepts has the same name there (`--database-url` is
`UFORGE_MOCK_DATABASE_URL`). No instance is created at import: `create_app(settings)` and the
CLI build their own.
"""

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ExportOutcome = Literal["complete", "error", "cancelled", "running"]

# argon2 needs 8 KiB of memory per lane, and the hashes are made with argon2-cffi's 4 lanes
# (passlib's argon2 takes that parallelism): less than 32 KiB and no password can be hashed.
ARGON2_MIN_MEMORY_KIB = 32

# Every UForge route answers under both: /api is public, /ufws the platform's internal prefix.
UFORGE_PREFIXES = ("/api", "/ufws")


class Settings(BaseSettings):
    """Everything a uforge-mock server can be told.

    Attributes:
        host, port: where `uforge-mock serve` listens.
        data_dir: folder of the embedded SQLite database (created when missing).
        database_url: any SQLAlchemy URL; empty means `sqlite:///<data_dir>/uforge-mock.db`.
        seed: a seed file (docs/SEED.md format) loaded at start-up, idempotently.
        demo: load the bundled demo dataset when the database has no users and no `seed` is given.
        migrate_on_start: upgrade the schema (and load seed/demo) when the app starts.
        platform_version: the UForge version the mock impersonates (`version` header and
            `serviceStatus.version`; hammr refuses any other than its own).
        export_duration_seconds, export_outcome: how a new export behaves unless its mySoftware
            says otherwise.
        export_stop_percentage: where a new export that fails or is cancelled stops.
        import_duration_seconds: how long a bundle import runs once its archive is uploaded.
        password_hash_memory_kib, password_hash_time_cost: argon2 cost of new password hashes.
        auth_max_concurrent_verifications: hash verifications allowed at once; the rest wait.
        auth_cache_size: verified and rejected credentials remembered (each kind).
        workers: uvicorn worker processes for `serve`.
        access_log: uvicorn's line per request on the console (the control API's journal
            keeps requests too; turning this off saves a third of a status poll's CPU).
        control_enabled: serve the control API under `/_mock` (off by default).
        control_token: the bearer token the control API requires.
        control_open: run the control API without a token (only when said explicitly).
        journal_size: requests the control API's journal keeps (the newest, of every server
            sharing the store).
        dashboard: serve the live dashboard at `/` to browsers (on by default; off, `/` is a
            404 `uforgeError` for everyone). Its actions need the control API.
        dashboard_poll_seconds: how often an open dashboard asks for news (0.25 to 60 s).

    Limits (README, "Limits and hardening"):
        (HTTP protocol)
        max_header_bytes: the request line and header fields of one request, in bytes; a
            request past it is answered 431 and its connection closed, as soon as the limit
            is crossed (nothing past it is read).
        header_timeout_seconds: the time a connection has to send complete request headers,
            from its opening (or from the first byte of each next request on it); then it is
            closed. Connections that never send a byte are closed too.
        keep_alive_seconds: how long an idle connection is kept open between requests.
        max_connections: connections one server process serves at once; each one beyond is
            answered 503 with `Retry-After` (once its request headers are in) and closed,
            and past twice as many a new connection is closed at once. Lowered to what the
            process's file-descriptor limit allows.
        max_body_bytes: the largest request body a UForge route takes (413 past it, refused
            before it is read when Content-Length says so; the routes served today read none).
        control_max_body_bytes: the same for the control API's routes but `POST /_mock/seed`,
            which takes `seed_max_bytes`.
        (uploaded archives)
        max_upload_bytes: the largest archive an import's upload route (bundle or template)
            takes, as sent (gzip-compressed); 413 past it, as for max_body_bytes. The upload is
            spooled to a file under `data_dir` (never elsewhere), not held in memory.
        archive_max_bytes: the most an uploaded archive may hold once decompressed; an archive
            past it (a gzip bomb, a tar declaring a huge member) is refused as it is read.
        archive_max_members: the most members (files, folders) an uploaded archive may hold.
        archive_max_member_bytes: the largest single file an uploaded archive may hold.
        max_concurrent_uploads: uploads one server process receives and reads at once (each
            may hold up to archive_max_bytes); one more is answered 503 with `Retry-After`.
        (authentication)
        auth_max_verifications_per_login: checks of credentials not yet remembered that one
            login may have at once, waiting or running; one more is answered 503 with
            `Retry-After` at once (a flood of one login's wrong passwords holds no more).
        auth_max_waiting_verifications: real users' checks waiting for a hashing slot, over
            all logins (served round-robin across logins); past it any check is answered 503
            with `Retry-After` at once. A waiting check whose client has gone is dropped.
        auth_retry_after_seconds: the `Retry-After` of those 503s.
        (seeds and the store)
        seed_max_bytes: the largest seed document `POST /_mock/seed` takes, in bytes; a
            larger body is answered 413 as soon as it is known to be larger (by its
            Content-Length, or once that many bytes came) and is not parsed. A YAML seed
            costs about a second of CPU per MiB to parse, JSON a thirtieth of that.
        store_write_wait_seconds: how long a request's write (an export created, deleted or
            patched, the clock moved) waits for the store while a seed, a reset or another
            writer holds it; then it is answered 503 with `Retry-After`. Seeds and resets
            wait 30 s (SQLite's busy timeout) and are answered so too.
        (control API)
        control_allowed_hosts: more names the control API answers to in `Host`, comma
            separated (a compose service name, a name behind a proxy); `*` turns the `Host`
            check off. The configured host, the address a request arrived on and, when
            listening on loopback or every address, localhost/127.0.0.1/::1 always pass.
            The dashboard answers to the same names.
        (dashboard)
        dashboard_max_live_requests: live-update requests of open dashboards served at once;
            one more is answered 503 with `Retry-After` (the page tries again later).
    """

    model_config = SettingsConfigDict(env_prefix="UFORGE_MOCK_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    data_dir: Path = Path("data")
    database_url: str = ""
    seed: Path | None = None
    demo: bool = True
    migrate_on_start: bool = True
    platform_version: str = "3.8.13"
    export_duration_seconds: float = Field(default=10.0, ge=0)
    export_outcome: ExportOutcome = "complete"
    export_stop_percentage: int = Field(default=40, ge=0, le=100)
    import_duration_seconds: float = Field(default=5.0, ge=0)
    password_hash_memory_kib: int = Field(default=65536)
    password_hash_time_cost: int = Field(default=3, ge=1)
    auth_max_concurrent_verifications: int = Field(default=2, ge=1)
    auth_cache_size: int = Field(default=10_000, ge=1)
    workers: int = Field(default=1, ge=1)
    access_log: bool = True
    control_enabled: bool = False
    control_token: str = ""
    control_open: bool = False
    journal_size: int = Field(default=1000, ge=1, le=1_000_000)
    dashboard: bool = True
    dashboard_poll_seconds: float = Field(default=1.0, ge=0.25, le=60)
    # ---- limits: the HTTP protocol (headers, connections, timeouts)
    max_header_bytes: int = Field(default=16384, ge=1024)
    header_timeout_seconds: float = Field(default=10.0, gt=0)
    keep_alive_seconds: int = Field(default=5, ge=1)
    max_connections: int = Field(default=1000, ge=1)
    max_body_bytes: int = Field(default=2**20, ge=0)
    control_max_body_bytes: int = Field(default=64 * 2**10, ge=1024)
    # ---- limits: uploaded archives
    max_upload_bytes: int = Field(default=64 * 2**20, ge=1024)
    archive_max_bytes: int = Field(default=256 * 2**20, ge=1024)
    archive_max_members: int = Field(default=10_000, ge=1)
    archive_max_member_bytes: int = Field(default=64 * 2**20, ge=1)
    max_concurrent_uploads: int = Field(default=4, ge=1)
    # ---- limits: authentication
    auth_max_verifications_per_login: int = Field(default=2, ge=1)
    auth_max_waiting_verifications: int = Field(default=32, ge=0)
    auth_retry_after_seconds: int = Field(default=1, ge=1)
    # ---- limits: seeds and the store
    seed_max_bytes: int = Field(default=4 * 2**20, ge=1024, le=2**30)
    store_write_wait_seconds: float = Field(default=5.0, gt=0, le=300)
    # ---- limits: the control API
    control_allowed_hosts: str = ""
    # ---- limits: the dashboard
    dashboard_max_live_requests: int = Field(default=8, ge=1, le=1000)

    @field_validator("password_hash_memory_kib")
    @classmethod
    def _argon2_memory(cls, value: int) -> int:
        if value < ARGON2_MIN_MEMORY_KIB:
            raise ValueError(
                f"argon2 needs at least {ARGON2_MIN_MEMORY_KIB} KiB (8 KiB for each of its 4 "
                f"lanes); {value} KiB cannot hash a password"
            )
        return value

    @model_validator(mode="after")
    def _control_is_protected(self) -> "Settings":
        if self.control_enabled and not self.control_token and not self.control_open:
            raise ValueError(
                "the control API needs UFORGE_MOCK_CONTROL_TOKEN, "
                "or UFORGE_MOCK_CONTROL_OPEN=true to run it without one"
            )
        return self

    def resolved_database_url(self) -> str:
        """The database URL in force: the explicit one, else the SQLite file in `data_dir`."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'uforge-mock.db'}"
