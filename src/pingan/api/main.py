"""``uvicorn pingan.api.main:app`` serves the configured database."""

from pingan.api.app import create_app

app = create_app()
app.state.freeze_gc = True  # a server process: see pingan.api.app._lifespan
