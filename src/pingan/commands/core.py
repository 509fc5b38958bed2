"""``pingan init`` and ``pingan serve``."""

from __future__ import annotations

import typer

# root-level commands: pingan.cli merges this app's commands into the root
app = typer.Typer()


@app.command("init")
def init_cmd() -> None:
    """Create or upgrade the database schema (Alembic migrations)."""
    from pingan.config import get_settings
    from pingan.store.engine import get_engine, migrate

    migrate(get_engine())
    typer.echo(f"database ready: {_safe_url(get_settings().resolved_database_url)}")


@app.command("serve")
def serve_cmd(
    host: str = typer.Option("127.0.0.1", help="address to listen on"),
    port: int = typer.Option(8000, help="port"),
    drill: bool = typer.Option(False, help="feed simulated incidents live (drill mode)"),
    drill_speed: float = typer.Option(60.0, help="drill clock speed-up"),
    workers: int = typer.Option(
        0, help="worker processes (default: one per core, at most 4; 1 in drill mode)"
    ),
) -> None:
    """Serve the command center and the API."""
    import os

    from pingan.config import get_settings, session_secret
    from pingan.serving import serve
    from pingan.store.engine import get_engine, migrate

    migrate(get_engine())
    session_secret(get_settings())  # drawn once here, read by every worker
    if workers <= 0:
        workers = 1 if drill else max(1, min(4, os.cpu_count() or 1))
    if drill:
        os.environ["PINGAN_DRILL"] = "1"
        os.environ["PINGAN_DRILL_SPEED"] = str(drill_speed)
    typer.echo(f"pingan on http://{host}:{port}  (API docs: /api/v1/docs)")
    serve(
        "pingan.server:app",
        host=host,
        port=port,
        workers=workers,
        healthcheck_s=get_settings().worker_healthcheck_s,
    )


def _safe_url(url: str) -> str:
    if "@" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url
