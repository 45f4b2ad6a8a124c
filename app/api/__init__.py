"""The HTTP layer: dependencies and routes. Everything below it knows nothing of FastAPI."""
