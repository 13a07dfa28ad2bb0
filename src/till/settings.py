"""Settings, read from the environment (prefix `TILL_`) or a `.env` file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything an operator can set; the defaults run the embedded demo store."""

    model_config = SettingsConfigDict(env_prefix="TILL_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///var/till.sqlite3",
        description="SQLAlchemy URL: sqlite:///path, postgresql+psycopg://…, mysql+pymysql://…",
    )
    environment: str = Field(default="development", description="development or production")
    secret_key: str = Field(default="till-development-secret", description="signs nothing yet")
    token_ttl_hours: int = Field(default=12, ge=1, le=24 * 30)
    host: str = "127.0.0.1"
    port: int = 8000
    web_dist: Path = Field(default=Path("web/dist"), description="the built PWA, served at /")
    sync_page_size: int = Field(default=500, ge=1, le=5000)
    max_batch_sales: int = Field(default=200, ge=1, le=1000)
    lockout_failures: int = Field(default=6, ge=1, description="Magento's default: 6 failures")
    lockout_minutes: int = Field(default=30, ge=1, description="Magento's default: 30 minutes")


@lru_cache
def get_settings() -> Settings:
    """The process's settings, read once."""
    return Settings()
