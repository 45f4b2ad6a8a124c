"""The system's Chromium, driven by Playwright (which cannot download browsers of its own here):
where to find it, and how to start it. Used by the browser tests and tools/screenshots.py."""

import os
import shutil
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Playwright

CHROMIUM_VARIABLE = "UFORGE_MOCK_CHROMIUM"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
# The flags that let Chromium run headless as root in a container, and keep it from calling
# home (updates, sync, field trials): a page makes only the requests its own code makes.
# Playwright gives every launch an empty profile of its own (a fresh user-data-dir).
CHROMIUM_FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def find_chromium() -> str | None:
    """The Chromium to drive: `UFORGE_MOCK_CHROMIUM` (a path or a name on the PATH), else the
    first of chromium, chromium-browser, google-chrome found on the PATH."""
    given = os.environ.get(CHROMIUM_VARIABLE)
    if given:
        return shutil.which(given)
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def launch(playwright: "Playwright") -> "Browser":
    """A headless Chromium (raises when there is none: see `find_chromium`)."""
    executable = find_chromium()
    if executable is None:
        raise RuntimeError(
            f"no Chromium: apt-get install chromium, or set {CHROMIUM_VARIABLE}=/path/to/chromium"
        )
    return playwright.chromium.launch(
        executable_path=executable, headless=True, args=list(CHROMIUM_FLAGS)
    )
