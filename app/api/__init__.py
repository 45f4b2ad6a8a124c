"""The UForge HTTP API: the vendor's routes, their checks and their documentation.

Owns the checks in the contract's order (`deps`), the records -> wire objects mapping (`views`),
the export engine every job family reuses (`export_engine`), the routes (`routes/`), the fast
path that serves them without FastAPI's per-request machinery (`direct`), and the OpenAPI
document (`docs`, `openapi`). It may import the platform, store, jobs and wire layers; nothing
of the control plane, the command line or the app factory.
"""
