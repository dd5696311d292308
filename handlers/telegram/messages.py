"""How the bot's messages look on Telegram, in one place: HTML, no link previews, inline
keyboards, replies threaded under a message, prompts that force a reply, protected photos,
and the command menu.

Payloads are plain Bot API JSON for handlers/telegram/client.py.
"""

from __future__ import annotations

import logging
from typing import Any

from flows.core import N_
from handlers.render import Button, Renderer, keyboard
from handlers.telegram.client import BotApi

log = logging.getLogger(__name__)

Payload = dict[str, Any]

# The command menu in each language, with the catalog id of each description. English
# speakers get the English aliases (flows/conversation.py's COMMAND_ALIASES); both work.
COMMANDS = {
    "id": {
        "start": N_("cmd.start"),
        "lapor": N_("cmd.lapor"),
        "status": N_("cmd.status"),
        "bantuan": N_("cmd.bantuan"),
        "batal": N_("cmd.batal"),
        "bahasa": N_("cmd.bahasa"),
        "hapus": N_("cmd.hapus"),
    },
    "en": {
        "start": N_("cmd.start"),
        "report": N_("cmd.lapor"),
        "status": N_("cmd.status"),
        "help": N_("cmd.bantuan"),
        "cancel": N_("cmd.batal"),
        "language": N_("cmd.bahasa"),
        "forget": N_("cmd.hapus"),
    },
}
# In groups the menu is the staff's: only a UPT group needs the bot there, and a reporter's
# commands would invite a report into a room full of people.
GROUP_COMMANDS = {
    "id": {"hubungkan": N_("cmd.hubungkan"), "statistik": N_("cmd.statistik")},
    "en": {"hubungkan": N_("cmd.hubungkan"), "stats": N_("cmd.statistik")},
}
GROUP_SCOPE = {"scope": {"type": "all_group_chats"}}
MENU_LOCALES = ("id", "en")  # "id" is the default menu and profile (no language_code)
PROFILE = {  # method: (field, catalog id)
    "setMyDescription": ("description", N_("bot.description")),  # at most 512 characters
    "setMyShortDescription": ("short_description", N_("bot.short_description")),  # 120
}


def text_message(
    chat_id: int,
    text: str,
    buttons: list[list[Button]] | None = None,
    *,
    reply_to: int | None = None,
    force_reply: bool = False,
    protect: bool = False,
) -> Payload:
    """sendMessage: HTML, no link preview; inline buttons, or a prompt that forces a reply
    from the person it answers (selective: in a group, only them)."""
    payload: Payload = {
        "chat_id": chat_id,
        "text": text,
        "parse_mode": "HTML",
        "link_preview_options": {"is_disabled": True},
    }
    markup = {"force_reply": True, "selective": True} if force_reply else keyboard(buttons or [])
    if markup:
        payload["reply_markup"] = markup
    if reply_to:
        payload["reply_parameters"] = {"message_id": reply_to, "allow_sending_without_reply": True}
    if protect:
        payload["protect_content"] = True  # case content: no forwarding, no saving
    return payload


def edited_text(
    chat_id: int, message_id: int, text: str, buttons: list[list[Button]] | None = None
) -> Payload:
    """editMessageText: the message's buttons become `buttons`; none removes them."""
    return {
        "chat_id": chat_id,
        "message_id": message_id,
        "text": text,
        "parse_mode": "HTML",
        "link_preview_options": {"is_disabled": True},
        "reply_markup": keyboard(buttons or []) or {"inline_keyboard": []},
    }


def document(chat_id: int, file_id: str, caption: str) -> Payload:
    """sendDocument by file_id, protected like a screenshot."""
    return {
        "chat_id": chat_id,
        "document": file_id,
        "caption": caption,
        "parse_mode": "HTML",
        "protect_content": True,
    }


def protected_file(
    chat_id: int, kind: str, caption: str, buttons: list[list[Button]] | None = None
) -> Payload:
    """A file the bot made, uploaded with this payload: protected (no forwarding, no saving)
    like everything about a case. The file itself fills the `kind` field."""
    payload: Payload = {
        "chat_id": chat_id,
        "caption": caption,
        "parse_mode": "HTML",
        "protect_content": True,
    }
    markup = keyboard(buttons or [])
    if markup:
        payload["reply_markup"] = markup
    return payload


def protected_photo(chat_id: int, file_id: str, caption: str) -> Payload:
    """sendPhoto of a reporter's screenshot, by file_id only (never downloaded) and protected
    (it cannot be forwarded or saved)."""
    return {
        "chat_id": chat_id,
        "photo": file_id,
        "caption": caption,
        "parse_mode": "HTML",
        "protect_content": True,
    }


def _menu(renderer: Renderer, locale: str, menus: dict[str, dict[str, str]]) -> list[Payload]:
    return [
        {"command": c, "description": renderer.catalogs.get(locale, msgid)}
        for c, msgid in menus[locale].items()
    ]


async def set_profile(api: BotApi, renderer: Renderer) -> None:
    """The command menu, and the description a person sees before their first message (what
    the bot is, that it is anonymous, whom to call in danger), in each language. A failure is
    logged, never fatal."""
    for locale in MENU_LOCALES:
        language = {} if locale == MENU_LOCALES[0] else {"language_code": locale}
        calls: list[tuple[str, Payload]] = [
            ("setMyCommands", {"commands": _menu(renderer, locale, COMMANDS)}),
            ("setMyCommands", {"commands": _menu(renderer, locale, GROUP_COMMANDS)} | GROUP_SCOPE),
            *(
                (method, {field: renderer.catalogs.get(locale, msgid)})
                for method, (field, msgid) in PROFILE.items()
            ),
        ]
        for method, payload in calls:
            answer = await api.call(method, payload | language)
            if not answer.ok:
                log.warning("%s failed (%s); continuing", method, answer.name)
