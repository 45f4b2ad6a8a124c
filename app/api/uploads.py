"""What every import family's routes share (bundle imports, appliance imports): the boolean
flags of the ticket's query, the upload received and read within the configured limits, and
the ticket's `status` document before and after its archive.

An upload takes one of the runtime's upload slots (`max_concurrent_uploads`; one more is a
503 UploadsBusy) for the time it is received and read, so memory is bounded by the slots. It
is spooled to a file under the data directory (and nowhere else), removed once read, and read
in a thread by the family's reader, which raises ArchiveRefused for what it cannot import.
"""

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Generic, Protocol, TypeVar

import anyio
from starlette.requests import Request

from uforge_mock.api.deps import runtime_of
from uforge_mock.jobs.archive_reader import ArchiveLimits, ArchiveRefused, Readable
from uforge_mock.jobs.simulation import ExportState
from uforge_mock.platform.runtime import Runtime
from uforge_mock.wire.digest import content_digest
from uforge_mock.wire.errors import BadRequest, UploadsBusy
from uforge_mock.wire.schemas import OpStatus

# The status message of a ticket waiting for its archive.
WAITING_MESSAGE = "Waiting for the archive upload"
# The part of an upload kept in memory before it goes to a file.
SPOOL_IN_MEMORY = 2**20

Read = TypeVar("Read")


def query_flag(request: Request, name: str) -> bool:
    """The boolean query parameter `name` (absent: false), case-insensitive, as hammr sends
    Python's `True`; anything else is a 400."""
    text = request.query_params.get(name)
    if text is None:
        return False
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    raise BadRequest(f"{name} must be true or false", name)


def spool(runtime: Runtime) -> "tempfile.SpooledTemporaryFile[bytes]":
    """A file for an upload: in memory up to a MiB, then on disk in the data directory (and
    nowhere else), removed when closed."""
    folder = Path(runtime.settings.data_dir) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY, dir=str(folder))


def archive_limits(runtime: Runtime) -> ArchiveLimits:
    settings = runtime.settings
    return ArchiveLimits(
        max_members=settings.archive_max_members,
        max_member_bytes=settings.archive_max_member_bytes,
        max_total_bytes=settings.archive_max_bytes,
    )


@dataclass(frozen=True, slots=True)
class Upload(Generic[Read]):
    """What an upload amounted to: its size, and what the reader made of it or why not."""

    size: int
    result: Read | None = None
    refused: ArchiveRefused | None = None


async def receive_upload(
    request: Request, read: Callable[[Readable, ArchiveLimits], Read]
) -> Upload[Read]:
    """The request's body, spooled and read by `read(file, limits)` in a thread, holding an
    upload slot throughout."""
    runtime = runtime_of(request)
    limits = archive_limits(runtime)
    with runtime.uploads.hold(UploadsBusy), spool(runtime) as spooled:
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            spooled.write(chunk)
        spooled.seek(0)
        try:
            result = await anyio.to_thread.run_sync(read, spooled, limits)
        except ArchiveRefused as refused:
            return Upload(size=size, refused=refused)
    return Upload(size=size, result=result)


class ImportTicket(Protocol):
    """What the status of any import ticket reads of it."""

    @property
    def db_id(self) -> int: ...
    @property
    def created(self) -> datetime: ...
    @property
    def last_modified(self) -> datetime: ...
    @property
    def archive_size(self) -> int | None: ...


def import_status_digest(uri: str, ticket: ImportTicket, state: ExportState | None) -> str:
    """The digest of the status of the ticket at `uri`: its waiting, or its job's state."""
    if state is None:
        return content_digest(ticket.db_id, uri, ticket.last_modified, "waiting")
    return content_digest(state.digest, uri, ticket.archive_size)


def import_status(uri: str, ticket: ImportTicket, state: ExportState | None) -> OpStatus:
    """The `status` of the ticket at `uri`: waiting at 0 % (`state` None) until its archive
    is uploaded, then its job's state at the instant asked."""
    digest = import_status_digest(uri, ticket, state)
    if state is None:
        return OpStatus(
            created=ticket.created,
            dbId=ticket.db_id,
            digest=digest,
            lastModified=ticket.last_modified,
            cancelled=False,
            complete=False,
            error=False,
            message=WAITING_MESSAGE,
            parentUri=uri,
            percentage=0,
            uri=f"{uri}/status",
        )
    return OpStatus(
        created=ticket.created,
        dbId=ticket.db_id,
        digest=digest,
        lastModified=state.last_modified,
        bytesLoaded=ticket.archive_size,
        bytesTotal=ticket.archive_size,
        cancelled=state.cancelled,
        complete=state.complete,
        detailedError=True if state.detailed_error_msg else None,
        detailedErrorMsg=state.detailed_error_msg,
        error=state.error,
        errorMessage=state.error_message,
        message=state.message,
        parentUri=uri,
        percentage=state.percentage,
        uri=f"{uri}/status",
    )
