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
    status_lookups_per_minute: int = Field(5, ge=1)
    messages_per_minute: int = Field(30, ge=1)  # per account: messages and button presses
    reports_per_day: int = Field(5, ge=1)  # per account, in any rolling 24 hours
    sla_urgent_seconds: int = Field(3600, ge=1)
    sla_normal_workdays: int = Field(1, ge=1)
    escalate_national_workdays: int = Field(3, ge=1)
    # Telegram's own limits; a local Bot API server (or a test) may allow more.
    outbox_per_second: float = Field(30.0, gt=0)
    outbox_per_group_per_minute: int = Field(20, ge=1)
    outbox_per_chat_per_second: float = Field(1.0, gt=0)
    log_level: str = "INFO"

    @field_validator("bot_token", "secret_key", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(r"\d+:[\w-]+", value.get_secret_value()):
            raise ValueError("does not look like a bot token (digits, a colon, then letters)")
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
