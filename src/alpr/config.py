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
    professional_standards_email: list[str] = Field(
        default_factory=list,
        description="E-mail addresses that receive the U9 reports (JSON list in the env)")
    professional_standards_webhook_url: str | None = Field(
        default=None, description="A webhook that receives the U9 reports (signed JSON)")
    professional_standards_webhook_secret: str | None = Field(
        default=None, description="The HMAC secret that signs the U9 webhook")
    security_alert_webhook_url: str | None = Field(
        default=None, description="Who is alerted when the audit log cannot be written"
                                  " (CJIS AU-5): a webhook (signed JSON)")
    security_alert_webhook_secret: str | None = Field(
        default=None, description="The HMAC secret that signs the AU-5 webhook")
    security_alert_email: str | None = Field(
        default=None, description="Who is alerted by e-mail when the audit log cannot be"
                                  " written (CJIS AU-5)")
    login_failures_per_client: int = Field(
        default=20, ge=1,
        description="Failed logins from one client address within login_throttle_seconds"
                    " after which its logins are refused for that long (AC-7)")
    login_throttle_seconds: int = Field(default=300, ge=1)
    map_tile_url: str | None = Field(
        default=None,
        description="Console map tiles, e.g. https://tile.example.org/{z}/{x}/{y}.png;"
                    " unset: a plain map without tiles (offline)")
    map_pmtiles: Path | None = Field(
        default=None,
        description="The agency's own base map: one PMTiles file (raster or vector), served"
                    " by alpr with range requests; before map_tile_url and the outlines")
    map_center: tuple[float, float] = Field(
        default=(37.8044, -122.2712), description="Where the console map opens (lat, lon)")
    max_clock_skew_seconds: int = Field(
        default=300, ge=0, description="How far in the future a read's time may be"
    )
    # Field units (REQ C2, C6): GPS interpolation, health thresholds, shifts, notifications.
    gps_max_gap_seconds: int = Field(
        default=30, ge=1, description="Widest gap between two GPS fixes a read is placed in")
    heartbeat_history_days: int = Field(
        default=30, ge=1, description="How long the heartbeat history is kept")
    low_rate_fraction: float = Field(
        default=0.25, gt=0, lt=1,
        description="A camera reading below this fraction of its trailing average is flagged")
    low_rate_min_baseline: float = Field(
        default=10.0, ge=0, description="Reads/h below which a trailing average is too thin")
    shift_hours: float = Field(
        default=12.0, gt=0, le=24,
        description="How long a start-of-shift inspection enables a mobile unit's alerts")
    hold_alerts_until_inspection: bool = Field(
        default=True, description="Hold a mobile unit's alerts until its shift inspection")
    # Bad input and faults (issue 18.6, 18.7): limits every route is held to.
    max_body_bytes: int = Field(
        default=16 * 1024 * 1024, ge=1024,
        description="Largest request body (a batch of reads with its images), counted as it"
                    " streams in; larger answers 413")
    max_upload_bytes: int = Field(
        default=256 * 1024 * 1024, ge=1024,
        description="Largest hot-list file uploaded for import; larger answers 413")
    max_json_depth: int = Field(
        default=32, ge=4, le=1000, description="Deepest JSON nesting accepted (400 beyond)")
    db_retry_after_seconds: int = Field(
        default=5, ge=1, description="Retry-After of a 503 while the database is unavailable")
    smtp_host: str | None = Field(default=None, description="SMTP relay for ticket e-mail")
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_from: str = Field(default="alpr@localhost", description="Sender of ticket e-mail")
    ticket_email_to: list[str] = Field(
        default_factory=list,
        description="Supervisors told of trouble tickets by e-mail (JSON list in the env)")
    hotlist_cancel_email_to: list[str] = Field(
        default_factory=list,
        description="Who is sent the cancellation notice of a hot-list record in error"
                    " (JSON list in the env); active webhooks get it too")

    # Integrations (docs/integrations.md): camera keys, MQTT in (Frigate) and out.
    camera_key_grace_hours: float = Field(
        default=24.0, ge=0, le=720, description="How long a rotated camera key keeps working")
    mqtt_host: str | None = Field(
        default=None, description="MQTT broker; set: `alpr serve` also runs the MQTT service")
    mqtt_port: int = Field(default=1883, ge=1, le=65535)
    mqtt_username: str | None = None
    mqtt_password: str | None = None
    mqtt_tls: bool = Field(default=False, description="TLS to the broker")
    mqtt_client_id: str = Field(
        default="alpr", max_length=23,
        description="Fixed, so the broker keeps our session (and queued messages) while down")
    mqtt_topic: str = Field(default="alpr", description="Prefix of what alpr publishes")
    mqtt_discovery_prefix: str | None = Field(
        default="homeassistant", description="Home Assistant discovery prefix; empty: none")
    mqtt_publish_plates: bool = Field(
        default=False,
        description="Put the plate in MQTT alert payloads; off unless the agency allows it")
    frigate_topic: str | None = Field(
        default=None, description="Frigate's MQTT prefix (e.g. frigate); unset: not consumed")
    frigate_cameras: dict[str, str] = Field(
        default_factory=dict, description='Frigate camera → alpr camera, JSON {"drive": "c1"}')
    frigate_url: str | None = Field(
        default=None, description="Frigate's HTTP API for snapshots, e.g. http://frigate:5000")
    frigate_token: str | None = Field(
        default=None, description="Bearer token for Frigate's authenticated port (8971)")

    # Scale out (docs/scale-out.md): with a broker, ingest accepts and publishes; workers store.
    broker_url: str | None = Field(
        default=None, description="NATS JetStream, e.g. nats://127.0.0.1:4222 (comma-separated"
                                  " for a cluster); unset: reads are stored at once")
    broker_namespace: str = Field(
        default="", pattern=r"^[A-Za-z0-9_-]*$",
        description="Prefix of every stream and subject, so several systems share one broker")
    broker_replicas: int = Field(default=1, ge=1, le=5, description="Stream replicas (init)")
    broker_max_deliver: int = Field(
        default=5, ge=1, description="Deliveries of a failing message before it is dead-lettered")
    broker_batch: int = Field(default=200, ge=1, le=5000, description="Reads per worker batch")
    broker_ack_wait_seconds: float = Field(
        default=30.0, gt=0, description="Unacknowledged this long, a read is delivered again"
                                         " (set on the consumer by `alpr broker init`)")

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
