"""Webhook mode's settings and Telegram's side of it: where to listen, which path, the secret
token, and setWebhook / getWebhookInfo / deleteWebhook (run once per deployment by
`lapor-ppa webhook set`, or by a single process at its start; never at shutdown)."""

from __future__ import annotations

import secrets
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import SecretStr

from bot.envfile import append_setting
from bot.settings import Settings
from handlers.telegram.answers import Answer
from handlers.telegram.client import BotApi
from handlers.telegram.events import UPDATE_TYPES


def listen_address(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    return host.strip("[]"), int(port)


def path_of(url: str) -> str:
    """The path Telegram posts to (`https://bot.example.org/telegram` → `/telegram`)."""
    return urlsplit(url).path or "/"


def secret_of(settings: Settings) -> str:
    assert settings.webhook_secret is not None, "ensure_secret() first"
    return settings.webhook_secret.get_secret_value()


def ensure_secret(settings: Settings, env_file: Path = Path(".env")) -> Settings:
    """A single process may make its own WEBHOOK_SECRET (kept in .env, owner-only, so a restart
    uses the same one); several workers must share one the operator sets."""
    if settings.webhook_secret is not None:
        return settings
    secret = secrets.token_urlsafe(48)  # A-Z a-z 0-9 _ -: as Telegram requires
    append_setting(env_file, "WEBHOOK_SECRET", secret)
    return settings.model_copy(update={"webhook_secret": SecretStr(secret)})


async def set_webhook(api: BotApi, settings: Settings) -> Answer:
    assert settings.webhook_url is not None
    return await api.call(
        "setWebhook",
        {
            "url": settings.webhook_url,
            "secret_token": secret_of(settings),
            "allowed_updates": list(UPDATE_TYPES),
            "max_connections": settings.webhook_max_connections,
        },
    )


async def webhook_info(api: BotApi) -> Answer:
    return await api.call("getWebhookInfo")


async def delete_webhook(api: BotApi) -> Answer:
    """Updates waiting with Telegram are kept (long polling then gets them)."""
    return await api.call("deleteWebhook", {"drop_pending_updates": False})
