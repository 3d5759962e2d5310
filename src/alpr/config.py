"""Runtime settings from the environment (ALPR_*). Agency numbers live in the policy file."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Process settings. Everything an agency decides is in the policy file instead."""

    model_config = SettingsConfigDict(env_prefix="ALPR_", extra="ignore")

    data_dir: Path = Field(default=Path("alpr-data"), description="Embedded store and images")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; SQLite if unset")
    policy: Path | None = Field(default=None, description="Agency policy file (TOML)")
    hotlist_inbox_dir: Path | None = Field(
        default=None, description="Hot-list drop folder (default: <data_dir>/hotlists-inbox)"
    )
    key_dir: Path | None = Field(
        default=None,
        description="Per-day image keys; keep off the data backups (default <data_dir>/keys)")
    master_key: str | None = Field(
        default=None, description="64 hex digits wrapping the day keys (default: a key file)")
    professional_standards: str = Field(
        default="professional-standards",
        description="Who is told of login attempts by suspended or deactivated accounts (U9)",
    )
    max_clock_skew_seconds: int = Field(
        default=300, ge=0, description="How far in the future a read's time may be"
    )

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return normalize_database_url(self.database_url)
        return f"sqlite:///{(self.data_dir / 'alpr.db').resolve()}"

    @property
    def hotlist_inbox(self) -> Path:
        """Where agencies' hot-list extracts are dropped for the scheduled import."""
        return self.hotlist_inbox_dir or self.data_dir / "hotlists-inbox"

    @property
    def keys_path(self) -> Path:
        return self.key_dir or self.data_dir / "keys"

    @property
    def max_clock_skew(self) -> timedelta:
        return timedelta(seconds=self.max_clock_skew_seconds)

    @property
    def image_dir(self) -> Path:
        return self.data_dir / "images"


def normalize_database_url(url: str) -> str:
    """Accept plain libpq URLs (postgresql://) and use the psycopg 3 driver for them."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
