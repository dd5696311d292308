"""Settings from the environment and `.env` (pydantic-settings)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    database_url: str = "sqlite+aiosqlite:///./lapor-ppa.db"
    secret_key: SecretStr | None = None
    default_locale: Literal["id", "en"] = "id"
    bot_runtime: Literal["aiogram", "ptb"] = "aiogram"
    # Webhook mode when WEBHOOK_URL is set (the public HTTPS address Telegram posts to; its
    # path is served); long polling otherwise.
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "0.0.0.0:8080"
    webhook_max_connections: int = Field(40, ge=1, le=100)
    status_lookups_per_minute: int = Field(5, ge=1)
    messages_per_minute: int = Field(30, ge=1)  # per account: messages and button presses
    reports_per_day: int = Field(5, ge=1)  # per account, in any rolling 24 hours
    sla_urgent_seconds: int = Field(3600, ge=1)
    sla_normal_workdays: int = Field(1, ge=1)
    escalate_national_workdays: int = Field(3, ge=1)
    sla_check_seconds: float = Field(60.0, gt=0)  # how often unclaimed tickets are looked at
    # Telegram's own limits; a local Bot API server (or a test) may allow more.
    outbox_per_second: float = Field(30.0, gt=0)
    outbox_per_group_per_minute: int = Field(20, ge=1)
    outbox_per_chat_per_second: float = Field(1.0, gt=0)
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = "text"
    # HOST:PORT for /healthz, /readyz and /metrics on a port of their own (internal); unset:
    # on the webhook's port in webhook mode, not served in polling mode.
    metrics_listen: str | None = None
    # Several webhook workers on PostgreSQL share locks, limits and pacing through Redis.
    redis_url: str | None = None

    @field_validator(
        "bot_token",
        "secret_key",
        "webhook_secret",
        "webhook_url",
        "metrics_listen",
        "redis_url",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(r"\d+:[\w-]+", value.get_secret_value()):
            raise ValueError("does not look like a bot token (digits, a colon, then letters)")
        return value

    @field_validator("webhook_url")
    @classmethod
    def _webhook_address(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError("must be the public https:// address Telegram posts updates to")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        # Telegram's own rule for secret_token.
        if value is not None and not re.fullmatch(
            r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()
        ):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("webhook_listen", "metrics_listen")
    @classmethod
    def _host_port(cls, value: str | None) -> str | None:
        if value is None:
            return value
        host, _, port = value.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError("must be HOST:PORT, e.g. 0.0.0.0:8080")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_address(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("use redis://HOST:PORT/DB (or rediss://, unix://)")
        return value

    @field_validator("telegram_api_url")
    @classmethod
    def _api_root(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        # People paste plain URLs; the async drivers are what this code runs on.
        for plain, asyncified in (
            ("postgresql://", "postgresql+asyncpg://"),
            ("postgres://", "postgresql+asyncpg://"),
            ("sqlite:///", "sqlite+aiosqlite:///"),
        ):
            if value.startswith(plain):
                value = asyncified + value.removeprefix(plain)
                break
        if not value.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
            raise ValueError("use a sqlite:/// or postgresql:// URL")
        if value.startswith("postgresql") and not make_url(value).database:
            # Without one, asyncpg would use the server's `postgres` database.
            raise ValueError("name the database: postgresql://user@host:5432/NAME")
        return value

    @field_validator("secret_key")
    @classmethod
    def _strong_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("must be at least 32 characters (make run generates one)")
        return value
