"""Settings, read from the environment (prefix `TILL_`) or a `.env` file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: The secret key of a development checkout; production refuses to start with it.
DEVELOPMENT_SECRET_KEY = "till-development-secret"  # noqa: S105 (public on purpose: refused in production)


class Settings(BaseSettings):
    """Everything an operator can set; the defaults run the embedded demo store."""

    model_config = SettingsConfigDict(env_prefix="TILL_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///var/till.sqlite3",
        description="SQLAlchemy URL: sqlite:///path, postgresql+psycopg://…, mysql+pymysql://…",
    )
    environment: Literal["development", "production"] = Field(
        default="development",
        description="production refuses default secrets and demo passwords, and sends HSTS",
    )
    secret_key: str = Field(
        default=DEVELOPMENT_SECRET_KEY,
        description="the deployment's own secret (32+ characters in production); signs nothing yet",
    )
    cors_origins: str = Field(
        default="",
        description="browser origins allowed to call the API, comma-separated "
        "(e.g. https://office.example.com); none by default: the till is served from the same origin",
    )
    token_ttl_hours: int = Field(default=12, ge=1, le=24 * 30)
    auth_cache_seconds: float = Field(
        default=5.0,
        ge=0,
        le=60,
        description="how long an app process remembers a token's session: a session ended in "
        "another process still works there this long (0: look it up every request)",
    )
    session_lifetime_hours: int = Field(
        default=7 * 24,
        ge=1,
        le=24 * 365,
        description="a session's absolute lifetime from its sign-in: refreshes never pass it",
    )
    host: str = "127.0.0.1"
    port: int = 8000
    web_dist: Path = Field(default=Path("web/dist"), description="the built PWA, served at /")
    sync_page_size: int = Field(default=500, ge=1, le=5000)
    max_batch_sales: int = Field(default=200, ge=1, le=1000)
    lockout_failures: int = Field(default=6, ge=1, description="Magento's default: 6 failures")
    lockout_minutes: int = Field(default=30, ge=1, description="Magento's default: 30 minutes")
    lockout_member_failures: int = Field(
        default=100,
        ge=1,
        description="wrong secrets from all sources together that lock a member everywhere "
        "(lockout_failures locks them from one source only)",
    )
    signin_attempts_per_minute: int = Field(
        default=60, ge=1, description="sign-in attempts one source address may make a minute (429 after)"
    )
    # --- async integration (docs/queue.md) ---
    queue_transport: str = Field(default="database", description="database (embedded) or rabbitmq")
    amqp_url: str = Field(default="amqp://guest:guest@127.0.0.1:5672/", description="RabbitMQ, if used")
    amqp_prefix: str = Field(default="till", description="prefix of Till's exchanges and queues")
    live_fallback_seconds: float = Field(
        default=2.0, gt=0, description="live stream poll interval while RabbitMQ nudges arrive"
    )
    queue_max_attempts: int = Field(default=8, ge=1, le=50, description="tries before a dead letter")
    queue_retry_base_seconds: float = Field(default=2.0, gt=0, description="first retry delay")
    queue_retry_max_seconds: float = Field(default=600.0, gt=0, description="longest retry delay")
    queue_lease_seconds: float = Field(default=60.0, gt=0, description="database queue: claim lease")
    queue_poll_seconds: float = Field(default=0.5, gt=0, description="database queue: idle poll")
    outbox_retention_days: int = Field(default=7, ge=0, description="delivered outbox rows kept")
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    webhooks_allow_private: bool = Field(
        default=False,
        description="let webhooks reach loopback and private addresses (a receiver on this "
        "machine or the shop's network); refused by default, development included",
    )
    exporters: str = Field(default="", description="exporters to load: module:attr, comma-separated")
    # --- receipts that leave the till (docs/deploy.md) ---
    smtp_host: str = Field(default="", description="SMTP server for receipt e-mails; empty: none are sent")
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_user: str = Field(default="", description="SMTP user name; empty: no login")
    smtp_password: str = Field(default="", description="SMTP password")
    smtp_starttls: bool = Field(default=True, description="upgrade the connection with STARTTLS before login")
    smtp_from: str = Field(
        default="", description="the From address of receipt e-mails, e.g. Shop <receipts@shop.example>"
    )
    smtp_timeout_seconds: float = Field(default=10.0, gt=0, description="one SMTP conversation's timeout")
    return_days: int = Field(
        default=30, ge=0, le=3650, description="days to return or exchange (gift receipts)"
    )
    printer_timeout_seconds: float = Field(
        default=5.0, gt=0, le=60, description="a network receipt printer's connect and send timeout"
    )
    report_timeout_ms: int = Field(default=5000, ge=100, description="saved reports: statement timeout")
    report_row_limit: int = Field(default=5000, ge=1, le=100_000, description="saved reports: rows")
    report_byte_limit: int = Field(
        default=1024 * 1024,
        ge=1024,
        description="saved reports: bytes of rows in one answer (JSON or CSV); past it the answer "
        "stops at the last row that fits and says truncated_by=bytes",
    )

    @model_validator(mode="after")
    def _no_default_secrets_in_production(self) -> Settings:
        if self.environment == "production" and (
            self.secret_key == DEVELOPMENT_SECRET_KEY or len(self.secret_key) < 32
        ):
            raise ValueError(
                "TILL_ENVIRONMENT=production refuses to start with the development TILL_SECRET_KEY "
                "(or one shorter than 32 characters): set a secret of your own, e.g. the output of "
                "`python3 -c 'import secrets; print(secrets.token_urlsafe(32))'`"
            )
        return self

    @property
    def production(self) -> bool:
        """True when running for real (TILL_ENVIRONMENT=production)."""
        return self.environment == "production"

    @property
    def allowed_origins(self) -> list[str]:
        """The CORS origins, parsed (no trailing slashes)."""
        return [o.strip().rstrip("/") for o in self.cors_origins.split(",") if o.strip()]


@lru_cache
def get_settings() -> Settings:
    """The process's settings, read once."""
    return Settings()
