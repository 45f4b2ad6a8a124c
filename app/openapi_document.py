"""The checked-in `openapi/openapi.json`: the app's generated document, stable across runs."""

from typing import Any

from fastapi import FastAPI


def openapi_document(app: FastAPI) -> dict[str, Any]:
    return app.openapi()
