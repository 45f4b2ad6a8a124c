"""The /docs (Swagger UI) and /redoc (ReDoc) pages, working offline: their scripts, styles and
icon are served by uforge-mock itself under `/docs/assets`, never from a CDN.

The files come from the `fastapi-offline` package (PyPI), which keeps a release of Swagger UI 5
and of ReDoc 2's standalone bundle in its `static/` folder. Swagger UI 4 (PyPI's
`swagger-ui-bundle`) cannot render an OpenAPI 3.1 document, which FastAPI writes. Only the files
are used: the pages are FastAPI's own HTML, pointed at them. One file is changed as served:
ReDoc's bundle always draws its attribution's logo from Redocly's CDN, so the served copy points
that image at an empty one of its own (the attribution's text and link stay).
"""

import hashlib
from functools import cache
from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from uforge_mock.wire.conditional import none_match

DOCS = "/docs"
REDOC = "/redoc"
ASSETS = "/docs/assets"
SWAGGER_JS = "swagger-ui-bundle.js"
SWAGGER_CSS = "swagger-ui.css"
REDOC_JS = "redoc.standalone.js"
FAVICON = "favicon.png"
# FastAPI's defaults, less the call home: Swagger UI's validator badge asks a public validator
# about the document (off: the page must make no request beyond the server).
SWAGGER_UI_PARAMETERS = {"validatorUrl": None}
REDOC_REMOTE_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
BLANK_IMAGE = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E"
JAVASCRIPT = "text/javascript; charset=utf-8"


def asset_folder() -> Path:
    """The folder of the Swagger UI and ReDoc files (the installed `fastapi_offline/static`)."""
    return Path(str(files("fastapi_offline") / "static"))


@cache
def offline_redoc() -> tuple[bytes, str]:
    """ReDoc's bundle without its one request elsewhere, and its entity tag (read once)."""
    bundle = (asset_folder() / REDOC_JS).read_text(encoding="utf-8")
    body = bundle.replace(REDOC_REMOTE_LOGO, BLANK_IMAGE).encode()
    return body, f'"{hashlib.sha256(body).hexdigest()[:32]}"'


def install(app: FastAPI) -> None:
    """Serve /docs, /redoc and their assets (the app is made with `docs_url=None` and
    `redoc_url=None`, so FastAPI's CDN pages are not there)."""

    # Before the folder's mount, which would serve the file as the package has it.
    @app.get(f"{ASSETS}/{REDOC_JS}", include_in_schema=False)
    async def redoc_bundle(request: Request) -> Response:
        body, etag = offline_redoc()
        headers = {"ETag": etag}
        if none_match(request.headers.get("if-none-match", ""), etag):
            return Response(status_code=304, headers=headers)
        return Response(body, media_type=JAVASCRIPT, headers=headers)

    app.mount(ASSETS, StaticFiles(directory=asset_folder()), name="doc-assets")

    def urls(request: Request) -> tuple[str, str]:
        """The document's URL and the assets' folder, under the root path a proxy gives."""
        root = request.scope.get("root_path", "")
        return f"{root}{app.openapi_url}", f"{root}{ASSETS}"

    @app.get(DOCS, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        document, assets = urls(request)
        return get_swagger_ui_html(
            openapi_url=document,
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{assets}/{SWAGGER_JS}",
            swagger_css_url=f"{assets}/{SWAGGER_CSS}",
            swagger_favicon_url=f"{assets}/{FAVICON}",
            swagger_ui_parameters=SWAGGER_UI_PARAMETERS,
        )

    @app.get(REDOC, include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        document, assets = urls(request)
        return get_redoc_html(
            openapi_url=document,
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{assets}/{REDOC_JS}",
            redoc_favicon_url=f"{assets}/{FAVICON}",
            with_google_fonts=False,
        )
