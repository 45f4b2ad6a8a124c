"""Attacks on the bundle-import upload of a real server: a body past the upload limit (declared
or streamed), a gzip bomb, a hostile archive; memory stays bounded, nothing is written outside
the data directory, nothing is left behind, and the server goes on answering.

(`tests/attacks/test_archives.py` holds the reader itself to every hostile archive; this file
holds the route that feeds it.)"""

import base64
import gzip
import io
import sys
import tarfile
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.attacks.raw_http import connect, read_answer, request_head
from tests.attacks.test_protocol import rss_mib, server_pid
from tests.servers import server_process

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc for the server")

AUTH = {"Authorization": "Basic " + base64.b64encode(b"guest:guest-secret").decode()}
JSON = {**AUTH, "Accept": "application/json"}
UPLOAD_LIMIT = 1024 * 1024
ARCHIVE_LIMIT = 8 * 1024 * 1024
IMPORTS = "/api/users/guest/bundleimports"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("uploads") / "data"


@pytest.fixture(scope="module")
def base(data_dir: Path) -> Iterator[str]:
    with server_process(
        data_dir,
        max_upload_bytes=str(UPLOAD_LIMIT),
        archive_max_bytes=str(ARCHIVE_LIMIT),
        # Past any member of the bomb: what stops it is the bytes it expands to.
        archive_max_member_bytes=str(2**31),
        import_duration_seconds="0",
        max_concurrent_uploads="1",
    ) as url:
        yield url


def new_ticket(base: str) -> int:
    response = httpx.post(f"{base}{IMPORTS}?imported=true", headers=JSON)
    assert response.status_code == 201, response.text
    return int(response.json()["softwareBundleImport"]["dbId"])


def status_of(base: str, sbid: int) -> dict[str, object]:
    response = httpx.get(f"{base}{IMPORTS}/{sbid}/status", headers=JSON)
    assert response.status_code == 200, response.text
    return response.json()["status"]  # type: ignore[no-any-return]


def test_a_declared_upload_past_the_limit_is_413_before_it_is_read(base: str) -> None:
    sbid = new_ticket(base)
    with connect(base) as sock:
        sock.sendall(
            request_head(
                "POST",
                f"{IMPORTS}/{sbid}/uploads",
                {**AUTH, "Accept": "application/json", "Content-Length": str(10 * 2**30)},
            )
        )
        answer = read_answer(sock)  # not a byte of the 10 GiB is sent
    assert answer.status == 413
    assert b"mock.error.limit.body" in answer.body
    # The ticket still waits for an archive that fits.
    assert status_of(base, sbid)["message"] == "Waiting for the archive upload"


def test_a_streamed_upload_past_the_limit_is_413_as_it_crosses_it(base: str) -> None:
    sbid = new_ticket(base)

    def chunks() -> Iterator[bytes]:
        for _ in range(64):  # 4 MiB in all, four times the limit
            yield b"\0" * 65536

    response = httpx.post(
        f"{base}{IMPORTS}/{sbid}/uploads", headers=JSON, content=chunks(), timeout=30
    )
    assert response.status_code == 413
    assert response.json()["uforgeError"]["statusCode"] == 413
    assert status_of(base, sbid)["percentage"] == 0


def bomb() -> bytes:
    """A gzip of a tar whose one member is 1 GiB of zeros: about a megabyte on the wire,
    compressed as it is made (never whole in memory)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = []
    header = tarfile.TarInfo("bundles/bomb/1/zeros")
    header.size = 2**30
    parts.append(compressor.compress(header.tobuf(format=tarfile.GNU_FORMAT)))
    block = b"\0" * 2**20
    for _ in range(1024):
        parts.append(compressor.compress(block))
    parts.append(compressor.flush())
    return b"".join(parts)


def test_a_gzip_bomb_ends_the_import_in_error_with_memory_bounded(
    base: str, data_dir: Path
) -> None:
    payload = bomb()
    assert len(payload) < UPLOAD_LIMIT
    pid = server_pid(base)
    before = rss_mib(pid)
    sbid = new_ticket(base)
    started = time.monotonic()
    response = httpx.post(
        f"{base}{IMPORTS}/{sbid}/uploads", headers=JSON, content=payload, timeout=60
    )
    assert response.status_code == 201, response.text
    status = response.json()["status"]
    assert status["error"] is True
    assert "expands to more than" in status["detailedErrorMsg"]
    assert time.monotonic() - started < 20
    assert rss_mib(pid) - before < 64
    # Nothing is left in the spool, and the server answers on.
    assert list((data_dir / "uploads").iterdir()) == []
    assert httpx.get(f"{base}/api/status").status_code == 200


def test_hostile_member_names_write_nothing_anywhere(base: str, data_dir: Path) -> None:
    target = data_dir.parent / "escaped.txt"
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name in ("../escaped.txt", "/tmp/escaped.txt", "bundle.yml"):
            info = tarfile.TarInfo(name)
            content = b"name: x\nversion: '1'\nfiles: []\n" if name == "bundle.yml" else b"x"
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    sbid = new_ticket(base)
    response = httpx.post(
        f"{base}{IMPORTS}/{sbid}/uploads", headers=JSON, content=buffer.getvalue()
    )
    assert response.status_code == 201
    status = response.json()["status"]
    assert status["error"] is True
    assert "climbs out of the archive" in status["detailedErrorMsg"]
    assert not target.exists()
    assert not Path("/tmp/escaped.txt").exists()
    assert list((data_dir / "uploads").iterdir()) == []


def test_an_upload_that_is_not_an_archive_ends_in_error(base: str) -> None:
    sbid = new_ticket(base)
    response = httpx.post(
        f"{base}{IMPORTS}/{sbid}/uploads", headers=JSON, content=gzip.compress(b"x" * 1000)
    )
    assert response.status_code == 201
    assert response.json()["status"]["error"] is True
    again = httpx.post(f"{base}{IMPORTS}/{sbid}/uploads", headers=JSON, content=b"x")
    assert again.status_code == 409


def test_uploads_past_the_concurrent_limit_are_503_at_once(base: str) -> None:
    # One upload held open (its body arriving slowly) takes the only slot: the next is told
    # to come back, and the slot is free again once the first one is in.
    held, other = new_ticket(base), new_ticket(base)
    body = gzip.compress(b"not an archive")
    with connect(base) as sock:
        sock.sendall(
            request_head(
                "POST",
                f"{IMPORTS}/{held}/uploads",
                {**AUTH, "Accept": "application/json", "Content-Length": str(len(body))},
            )
            + body[:5]
        )
        time.sleep(0.5)  # the server has started receiving it
        refused = httpx.post(f"{base}{IMPORTS}/{other}/uploads", headers=JSON, content=body)
        assert refused.status_code == 503
        assert refused.headers["retry-after"] == "1"
        assert refused.json()["uforgeError"]["statusCode"] == 503
        sock.sendall(body[5:])
        assert read_answer(sock).status == 201
    accepted = httpx.post(f"{base}{IMPORTS}/{other}/uploads", headers=JSON, content=body)
    assert accepted.status_code == 201
