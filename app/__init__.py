"""uforge-mock: a reference server for the UForge AppCenter REST API.

Its public surface: `uforge_mock.factory.create_app(settings)` (the ASGI app),
`uforge_mock.settings.Settings`, the `uforge-mock` command (`python -m uforge_mock`), and the
pytest fixtures of `uforge_mock.testing` (loaded by pytest itself). The layers, bottom up, are
the folders `wire`, `jobs`, `store`, `platform`, `api`, `control`, `cli` and `testing`
(ARCHITECTURE.md). Importing this package imports nothing else.
"""

__version__ = "0.1.0"
