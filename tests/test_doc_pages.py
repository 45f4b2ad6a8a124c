"""/docs and /redoc name only assets the server itself serves (no CDN, no web font), and it
serves them: Swagger UI 5 (4 cannot render FastAPI's OpenAPI 3.1) and ReDoc's standalone bundle.
That they render offline in a browser is tests/browser/test_docs_offline.py."""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import FAST_HASHING
from tests.pages import loaded_urls
from uforge_mock.factory import create_app
from uforge_mock.settings import Settings


@pytest.fixture
def docs_client(tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(Settings(data_dir=tmp_path, **FAST_HASHING))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_doc_page_loads_only_assets_the_server_serves(docs_client: TestClient, page: str) -> None:
    response = docs_client.get(page)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    urls = loaded_urls(response.text)
    assert urls, "the page loads no asset at all"
    for url in urls:
        assert url.startswith("/docs/assets/"), url
        asset = docs_client.get(url)
        assert asset.status_code == 200, url
        assert asset.content
    assert "googleapis" not in response.text
    assert "cdn." not in response.text


def test_docs_page_reads_the_apps_own_openapi_document(docs_client: TestClient) -> None:
    page = docs_client.get("/docs").text
    assert "url: '/openapi.json'" in page
    assert docs_client.get("/openapi.json").json()["openapi"].startswith("3.1")


def test_docs_page_does_not_ask_a_public_validator(docs_client: TestClient) -> None:
    assert '"validatorUrl": null' in docs_client.get("/docs").text


def test_swagger_ui_served_is_version_5(docs_client: TestClient) -> None:
    script = docs_client.get("/docs/assets/swagger-ui-bundle.js")
    assert script.headers["content-type"].startswith(("text/javascript", "application/javascript"))
    version = re.search(r'PACKAGE_VERSION:"(\d+)\.', script.text)
    assert version is not None and version.group(1) == "5"


def test_redoc_served_is_the_standalone_bundle(docs_client: TestClient) -> None:
    script = docs_client.get("/docs/assets/redoc.standalone.js")
    assert script.status_code == 200
    assert "Redoc" in script.text[:1000]


def test_doc_asset_is_not_sent_again_when_the_browser_holds_it(docs_client: TestClient) -> None:
    first = docs_client.get("/docs/assets/swagger-ui.css")
    again = docs_client.get(
        "/docs/assets/swagger-ui.css", headers={"If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304


def test_unknown_doc_asset_is_a_404(docs_client: TestClient) -> None:
    assert docs_client.get("/docs/assets/nothing-here.js").status_code == 404
    assert docs_client.get("/docs/assets/../../settings.py").status_code == 404


def test_redoc_bundle_draws_no_image_from_elsewhere(docs_client: TestClient) -> None:
    served = docs_client.get("/docs/assets/redoc.standalone.js")
    assert "cdn.redoc.ly" not in served.text
    assert "API docs by Redocly" in served.text
    again = docs_client.get(
        "/docs/assets/redoc.standalone.js", headers={"If-None-Match": served.headers["etag"]}
    )
    assert again.status_code == 304
