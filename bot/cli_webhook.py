"""`lapor-ppa webhook set|info|delete`: Telegram's side of webhook mode, once per deployment
(several workers never each call setWebhook). `delete` keeps the updates waiting with
Telegram: long polling then gets them."""

from __future__ import annotations

import argparse
from typing import Any

from bot.open_db import CommandError
from bot.settings import Settings
from bot.webhook import delete_webhook, set_webhook, webhook_info
from handlers.telegram.answers import Answer
from handlers.telegram.client import BotApi


def add_parser(sub: Any) -> None:
    hook = sub.add_parser("webhook", help="Telegram's webhook for this bot (WEBHOOK_URL)")
    hook_sub = hook.add_subparsers(dest="webhook_command", required=True)
    hook_sub.add_parser(
        "set", help="point Telegram at WEBHOOK_URL with WEBHOOK_SECRET (once per deployment)"
    )
    hook_sub.add_parser("info", help="what Telegram has: the URL, waiting updates, last error")
    hook_sub.add_parser("delete", help="stop posting (waiting updates are kept for polling)")


async def webhook_command(settings: Settings, args: argparse.Namespace) -> int:
    if settings.bot_token is None:
        raise CommandError("BOT_TOKEN is not set")
    api = BotApi(settings.bot_token.get_secret_value(), settings.telegram_api_url)
    try:
        if args.webhook_command == "set":
            if not settings.webhook_url:
                raise CommandError("WEBHOOK_URL is not set (the public https:// address)")
            if settings.webhook_secret is None:
                raise CommandError(
                    "WEBHOOK_SECRET is not set: every worker must check the same one "
                    "(1-256 of A-Z a-z 0-9 _ -)"
                )
            answer = await set_webhook(api, settings)
            _refused(settings, answer)
            print(f"webhook set: {settings.webhook_url}")
        elif args.webhook_command == "info":
            answer = await webhook_info(api)
            _refused(settings, answer)
            info = answer.result if isinstance(answer.result, dict) else {}
            print(f"url: {info.get('url') or '(none: long polling)'}")
            print(f"waiting updates: {info.get('pending_update_count', 0)}")
            if info.get("max_connections"):
                print(f"max connections: {info['max_connections']}")
            if info.get("last_error_message"):
                print(f"last error: {info['last_error_message']}")
        else:
            answer = await delete_webhook(api)
            _refused(settings, answer)
            print("webhook deleted (waiting updates are kept)")
    finally:
        await api.close()
    return 0


def _refused(settings: Settings, answer: Answer) -> None:
    if answer.ok:
        return
    if answer.status == 0:  # never reached: a network problem, not Telegram's answer
        raise CommandError(
            f"cannot reach the Bot API at {settings.telegram_api_url} ({answer.name}): "
            "check the network or TELEGRAM_API_URL"
        )
    raise CommandError(f"the Bot API refused it ({answer.error or answer.name})")
