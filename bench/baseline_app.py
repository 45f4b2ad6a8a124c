"""The baseline: a bare FastAPI app with one `async def` route that returns constant bytes.

The runner (`bench/run.py`) fetches uforge-mock's 200 XML answer for the benchmarked path,
writes it to a file and starts this app with

    BENCH_BASELINE_BODY=FILE BENCH_BASELINE_PATH=/api/users/.../status \
        python -m uvicorn baseline_app:app --app-dir bench --http httptools --loop uvloop

so the baseline answers the same path with the same bytes and the same content type, served by
the same uvicorn, without authentication, store, negotiation or ETag.
"""

import os
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import Response

BODY = Path(os.environ["BENCH_BASELINE_BODY"]).read_bytes()
PATH = os.environ.get(
    "BENCH_BASELINE_PATH", "/api/users/bench-user-00/mysoftware/1001/exports/1/status"
)

app = FastAPI()


@app.get(PATH)
async def status() -> Response:
    return Response(content=BODY, media_type="application/xml")
