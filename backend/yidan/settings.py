"""Settings from the environment (prefix YIDAN_); no database or Redis URL means embedded servers."""

from __future__ import annotations

import base64
import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class Settings(BaseSettings):
    """Runtime configuration; every field can be set as YIDAN_<NAME>."""

    model_config = SettingsConfigDict(env_prefix="YIDAN_", env_file=".env", extra="ignore")

    env: str = "dev"
    database_url: str | None = None
    redis_url: str | None = None
    data_dir: Path = PROJECT_ROOT / ".data"
    seed_dir: Path = PROJECT_ROOT / "seed_data"
    frontend_dist: Path = PROJECT_ROOT / "frontend" / "dist"
    host: str = "127.0.0.1"
    port: int = 8000
    public_base_url: str = "http://127.0.0.1:8000"

    jwt_secret: str | None = None
    jwt_issuer: str = "yidan"
    jwt_audience: str = "yidan-api"
    access_token_ttl_s: int = 15 * 60
    refresh_token_ttl_s: int = 30 * 24 * 3600

    graphql_max_depth: int = 12
    graphql_max_aliases: int = 30
    page_size_max: int = 200
    db_pool_size: int = 10
    db_echo: bool = False
    debug_errors: bool = Field(default=False, description="show internal error text (never in production)")

    gateway_host: str = "127.0.0.1"
    gateway_port: int = 7808
    gateway_idle_timeout_s: float = Field(default=180.0, description="close a terminal silent this long")
    gateway_max_connections: int = 20_000
    gateway_processes: int = Field(
        default=0, description="`yidan gateway` processes sharing the port (0: one per CPU)"
    )

    live_recheck_s: float = Field(
        default=60.0, description="how often an open live stream checks its caller and the waybill again"
    )

    # no Stripe key: `yidan serve` starts localstripe and payments run in test mode
    stripe_api_key: str | None = None
    stripe_webhook_secret: str | None = None
    stripe_api_base: str | None = Field(default=None, description="e.g. a localstripe URL; unset: Stripe")
    stripe_webhook_tolerance_s: int = 300
    stripe_publishable_key: str | None = Field(default=None, description="pk_… for Stripe.js in the browser")
    stripe_js_url: str = Field(
        default="https://js.stripe.com/v3/", description="Stripe.js; with stripe_api_base, that host's copy"
    )

    # gate passes: the Ed25519 seed (32 bytes, base64url; unset: generated once under data_dir) and scan rules
    gate_pass_signing_key: str | None = None
    gate_pass_grace_s: int = Field(default=1800, description="a pass admits this long outside its window")
    gate_max_dwell_s: int = Field(default=86_400, description="how long after its window a truck may leave")
    gate_fix_max_age_s: int = Field(default=300, description="an older GNSS fix is stale at a gate")
    gate_geofence_tolerance_m: float = Field(default=30.0, description="GNSS error allowed at a geofence")
    gate_position_required: bool = Field(default=False, description="untracked trucks go to inspection")

    # partner webhooks: the outbox is sent by `yidan worker` and, unless turned off, by `yidan serve` itself
    webhooks_deliver_in_app: bool = Field(default=True, description="send due webhooks from the API process")
    webhooks_poll_s: float = Field(default=1.0, description="how often the in-process loop looks for work")
    webhooks_timeout_s: float = Field(default=10.0, description="an endpoint that has not answered fails")
    webhooks_max_attempts: int = Field(default=8, description="attempts before a delivery is given up")
    webhooks_disable_after_dead: int = Field(
        default=5, description="disable a subscription after this many dead deliveries in a row (0: never)"
    )
    webhooks_batch: int = Field(default=20, description="deliveries locked and sent together")
    webhooks_allow_http: bool = Field(default=False, description="plain-http endpoints beyond loopback")
    webhooks_max_per_org: int = 20

    def secret_key(self) -> str:
        """The JWT/HMAC secret: configured, else one generated once and kept under the data folder."""
        if self.jwt_secret:
            return self.jwt_secret
        path = self.data_dir / "secret.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()

    def gate_pass_seed(self) -> str:
        """The gate-pass signing seed: configured, else one generated once and kept under the data folder."""
        if self.gate_pass_signing_key:
            return self.gate_pass_signing_key
        path = self.data_dir / "gate_pass_ed25519.seed"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("="))
            path.chmod(0o600)
        return path.read_text().strip()


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings."""
    return Settings()
