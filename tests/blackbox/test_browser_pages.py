"""What a person opening the server in a browser gets (the Docker image's demo included): the
dashboard at `/`, and /docs and /redoc, every asset of theirs served by the server itself."""

from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from tests.pages import loaded_urls

# What Chromium sends when a person opens a page.
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def assets_are_served_here(server: str, page: str) -> list[str]:
    """The assets `page` loads (the absolute URLs); fails unless each is the server's own and
    it answers it."""
    with httpx.Client(timeout=30) as client:
        answer = client.get(f"{server}{page}", headers={"Accept": BROWSER_ACCEPT})
        assert answer.status_code == 200, page
        assert answer.headers["content-type"].startswith("text/html"), page
        assets = []
        for link in loaded_urls(answer.text):
            url = urljoin(f"{server}{page}", link)
            if urlsplit(url).scheme in ("data", "mailto"):
                continue
            assert urlsplit(url).netloc == urlsplit(server).netloc, f"{page} loads {url}"
            assets.append(url)
            assert client.get(url, headers={"Accept": BROWSER_ACCEPT}).status_code == 200, url
        return assets


def test_a_browser_opening_the_root_gets_the_dashboard(server: str) -> None:
    assets_are_served_here(server, "/")


def test_an_api_client_asking_the_root_still_gets_a_uforge_error(server: str) -> None:
    answer = httpx.get(f"{server}/", headers={"Accept": "application/xml"}, timeout=30)
    assert answer.status_code == 404
    assert b"uforgeError" in answer.content


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_doc_page_loads_its_assets_from_the_server(server: str, page: str) -> None:
    assets = assets_are_served_here(server, page)
    assert any(urlsplit(url).path.endswith(".js") for url in assets)
