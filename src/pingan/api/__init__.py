"""The HTTP API (FastAPI) and the app factory."""
