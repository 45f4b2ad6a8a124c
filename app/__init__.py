"""uforge-mock: a reference server for the UForge AppCenter REST API."""

__version__ = "0.1.0"
