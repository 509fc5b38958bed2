"""Settings: one validated object, read from ``PINGAN_*`` environment variables.

Outside the ``local`` environment the settings refuse placeholder secrets, so that a production
deployment cannot start with the development keys.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "get_settings", "session_secret"]

_PLACEHOLDER = "change-me-local-only"


class Settings(BaseSettings):
    """Every setting of pingan. Environment variables use the prefix ``PINGAN_``."""

    model_config = SettingsConfigDict(env_prefix="PINGAN_", env_file=".env", extra="ignore")

    environment: Literal["local", "staging", "production"] = "local"
    data_dir: Path = Path("pingan-data")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default SQLite in data_dir/pingan.db"
    )
    secret_key: str = Field(default=_PLACEHOLDER, description="signs session cookies and CSRF")
    data_key: str = Field(
        default=_PLACEHOLDER, description="encrypts personal data at rest (any string; hashed)"
    )
    taxonomy_file: Path | None = None
    rating_criteria: Path | None = Field(
        default=None, description="a security star rating criteria YAML file (default: packaged)"
    )
    public_url: str = Field(
        default="http://localhost:8000",
        description="the public address that sign QR codes point to (PUBLIC_URL/v/<token>)",
    )
    timezone: str = "Asia/Shanghai"
    default_language: Literal["zh-CN", "en"] = "zh-CN"
    session_max_age_s: int = 8 * 3600
    session_idle_s: int = Field(default=30 * 60, ge=1, description="sign out after idle")
    login_throttle_failures: int = Field(default=20, ge=1, description="per address and window")
    login_throttle_window_s: int = Field(default=15 * 60, ge=1)
    lockout_threshold: int = 5
    lockout_duration_s: int = 15 * 60
    secure_cookies: bool = False
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_kib: int = Field(default=65_536, ge=8)
    max_field_chars: int = 10_000
    max_request_bytes: int = 1_000_000
    retention_days_contact: int = 3 * 365
    repeat_call_radius_m: float = 150.0
    repeat_call_window_s: int = 600
    audit_anchor_dir: Path | None = Field(
        default=None,
        description="where the scheduler appends the daily audit anchor (default "
        "data_dir/audit-anchors); best on another disk or machine",
    )
    public_report_per_ip: int = Field(
        default=20, ge=1, description="online reports and complaints per client address and window"
    )
    public_report_per_device: int = Field(
        default=5, ge=1, description="online reports and complaints per device and window"
    )
    public_report_window_s: int = Field(default=3600, ge=1)
    public_reads_per_min: int = Field(
        default=240, ge=1, description="public page and lookup requests per address and minute"
    )
    public_pow_bits: int = Field(
        default=14, ge=0, le=24, description="proof-of-work of public forms (leading zero bits)"
    )
    public_contact_retention_days: int = Field(
        default=180, ge=1, description="a citizen's contact phone kept this long, then purged"
    )
    open311_jurisdiction_id: str = Field(
        default="pingan.local", description="the Open311 jurisdiction_id this server answers for"
    )
    open311_key_per_hour: int = Field(default=600, ge=1, description="Open311 calls per key")
    sms_sender: str = Field(
        default="log",
        description="how SMS codes are sent: 'log' (demo: written to the log) or "
        "'module:callable' taking (phone, text)",
    )
    max_reads: int | None = Field(
        default=None,
        ge=0,
        description="reads one worker runs at once; more wait in its queue (default 16; 0: no "
        "limit)",
    )
    max_writes: int | None = Field(
        default=None,
        ge=0,
        description="writes one worker runs at once; more wait in its queue (default 8 on "
        "SQLite, which has one writer at a time, 12 on PostgreSQL; 0: no limit)",
    )
    queue_max: int = Field(
        default=64, ge=0, description="requests of one kind that may wait in a worker's queue"
    )
    queue_wait_s: float = Field(
        default=2.0,
        gt=0,
        description="longest wait in the queue; then 503 with Retry-After (load shed)",
    )
    worker_healthcheck_s: int = Field(
        default=60,
        ge=1,
        description="pingan serve restarts a worker that does not answer its supervisor for "
        "this long (and logs it)",
    )
    scheduler: bool = Field(
        default=True,
        description="run scheduled jobs inside `pingan serve` (PINGAN_SCHEDULER=0: off)",
    )
    partition_incidents: bool = Field(
        default=False,
        description="PostgreSQL only: migration 0031 makes incidents month-partitioned "
        "(PINGAN_PARTITION_INCIDENTS=1 before the first `pingan init`; a province "
        "department's tens of millions of incidents). Off: one plain table, faster writes; "
        "`pingan db partitions --convert` converts later",
    )

    @model_validator(mode="after")
    def _no_placeholders_outside_local(self) -> Settings:
        if self.environment != "local":
            for name in ("secret_key", "data_key"):
                if getattr(self, name) == _PLACEHOLDER:
                    raise ValueError(
                        f"PINGAN_{name.upper()}: set a real secret when environment is "
                        f"{self.environment!r}"
                    )
        return self

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to SQLite under ``data_dir``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'pingan.db').resolve()}"

    @property
    def fernet_key(self) -> bytes:
        """A Fernet key derived from ``data_key`` (SHA-256, url-safe base64)."""
        return base64.urlsafe_b64encode(hashlib.sha256(self.data_key.encode()).digest())


_SECRET_FILE = "session-secret"


def session_secret(settings: Settings) -> str:
    """The key that signs session cookies, the same in every worker process and after a restart.

    A configured ``PINGAN_SECRET_KEY`` is used as it is. With the local placeholder, the key is
    drawn once and kept in ``data_dir/session-secret`` (mode 0600), beside the embedded database:
    every worker of ``pingan serve`` reads the same file, so a cookie signed by one worker is
    accepted by the others (a key drawn per process made sign-in fail at random). The file is
    created atomically (written under a temporary name, then hard-linked into place, which fails
    if another process got there first), so concurrent workers agree on one key.
    """
    if settings.secret_key != _PLACEHOLDER:
        return settings.secret_key
    data_dir = settings.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / _SECRET_FILE
    if not path.exists():
        tmp = data_dir / f".{_SECRET_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_urlsafe(48))
                out.flush()
                os.fsync(out.fileno())
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)  # atomic: exactly one process's key lands
        finally:
            tmp.unlink(missing_ok=True)
    key = path.read_text().strip()
    if len(key) < 32:
        raise ValueError(f"{path}: the session secret is shorter than 32 characters; delete it")
    return key


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached; tests clear the cache to change them)."""
    return Settings()
