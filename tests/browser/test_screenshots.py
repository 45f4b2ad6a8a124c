"""tools/screenshots.py takes the README's pictures: the dashboard signed in, and /docs."""

import struct
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == PNG_SIGNATURE, f"{path.name} is not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_screenshots_tool_writes_the_dashboard_and_the_docs(
    browser: object, tmp_path: Path
) -> None:
    # `browser`: skipped or failed as the other browser tests are where there is no Chromium.
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "screenshots.py"), "--output-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    width, height = png_size(tmp_path / "dashboard.png")
    # The whole page, signed in: taller than the window, as wide as a laptop's.
    assert (width, height > 860) == (1280, True)
    assert png_size(tmp_path / "docs.png") == (1280, 860)
