"""The README's screenshots: the dashboard and /docs, as a person sees them in Chromium.

Starts a uforge-mock on the demo dataset (its control API on), sets a scene that shows what
the dashboard is for (an export under way, a fault, a few client requests in the journal, the
clock frozen so the picture holds still), signs the page in with the control token, and writes
`docs/dashboard.png` and `docs/docs.png`.

    .venv/bin/python tools/screenshots.py [--output-dir docs]

Needs the test extras (Playwright) and a Chromium (tests/browser/chromium.py says where it is
looked for).
"""

import argparse
import os
import sys
import tempfile
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests.browser.chromium: how to start the system's Chromium

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402

from tests.browser.chromium import launch  # noqa: E402
from uforge_mock.testing.server import CONTROL_TOKEN, MockServer, TemplateStore  # noqa: E402

LAPTOP = {"width": 1280, "height": 860}
EXPORTS = "/users/guest/mysoftware/918/exports"


def set_the_scene(server: MockServer) -> None:
    """A new export a third of the way, a fault waiting, a client's requests in the journal."""
    with httpx.Client(
        base_url=server.base_url,
        auth=("guest", "guest-secret"),
        headers={"Accept": "application/json"},
        timeout=30,
    ) as guest:
        created = guest.post(EXPORTS)
        created.raise_for_status()
        eid = created.json()["softwareBundleExport"]["dbId"]
        server.freeze()
        server.patch_export(eid, duration=90)
        server.advance(30)
        for _ in range(3):
            guest.get(f"{EXPORTS}/{eid}/status")
        server.fail_next(503, path="*/exports/*/status", times=2)
        guest.get(f"{EXPORTS}/{eid}/status")
        guest.get("/users/guest/mysoftware")


def dashboard(page: Page, server: MockServer, output: Path) -> None:
    page.goto(f"{server.root_url}/")
    page.fill("#token", CONTROL_TOKEN)
    page.press("#token", "Enter")
    expect(page.locator("#token")).to_have_count(0)
    page.wait_for_load_state("networkidle")
    page.screenshot(path=output / "dashboard.png", full_page=True)


def docs(page: Page, server: MockServer, output: Path) -> None:
    page.goto(f"{server.root_url}/docs")
    expect(page.locator(".opblock").first).to_be_visible()
    page.screenshot(path=output / "docs.png")


def main(arguments: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", type=Path, default=ROOT / "docs")
    output = parser.parse_args(arguments).output_dir.resolve()
    output.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="uforge-mock-shots-") as folder:
        # Relative paths from inside the folder: the page shows the store as `make run`'s
        # (sqlite:///data/uforge-mock.db), not a temporary path of this machine.
        os.chdir(folder)
        try:
            Path("template").mkdir()
            template = TemplateStore(Path("template"), {"seed": None, "demo": True})
            server = template.new_server(Path("data"))
            try:
                set_the_scene(server)
                with sync_playwright() as playwright:
                    browser = launch(playwright)
                    try:
                        page = browser.new_page(viewport=LAPTOP)
                        dashboard(page, server, output)
                        docs(page, server, output)
                    finally:
                        browser.close()
            finally:
                server.close()
        finally:
            os.chdir(ROOT)
    for name in ("dashboard.png", "docs.png"):
        print(output / name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
