"""Turns a flow's Reply into words and buttons for one locale (HTML for Telegram)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime

from flows.core import N_, Choice, Day, Lines, Msg, Param, Reply, Seq, Stamp
from handlers.i18n import Catalogs

_TAGS = re.compile(r"</?(?:b|i|u|s|code|pre|blockquote)>")
DAY_PATTERNS = (N_("format.date"), N_("format.month"))  # the formats a Day may name
ZONE_NAMES = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    key: str
    url: str = ""  # a link button: no key comes back


@dataclass(frozen=True, slots=True)
class Rendered:
    text: str  # HTML
    buttons: list[list[Button]]


class Renderer:
    def __init__(self, catalogs: Catalogs) -> None:
        self.catalogs = catalogs

    def param(self, value: Param, locale: str) -> str:
        if isinstance(value, Msg):
            if not value.msgid:
                return ""
            text = self.catalogs.get(locale, value.msgid)
            if value.params:
                text = text.format_map({k: self.param(v, locale) for k, v in value.params.items()})
            return text
        if isinstance(value, Stamp):
            zone = ZoneInfo(value.tz)
            when = datetime.fromisoformat(value.iso)
            pattern = self.catalogs.get(locale, N_("format.datetime"))
            text = format_datetime(when, pattern, tzinfo=zone, locale=locale)
            return f"{text} {ZONE_NAMES.get(value.tz, value.tz)}"
        if isinstance(value, Day):
            pattern = self.catalogs.get(locale, value.pattern)
            return format_date(date.fromisoformat(value.iso), pattern, locale=locale)
        if isinstance(value, Seq):
            if not value.items:
                return self.catalogs.get(locale, value.empty) if value.empty else ""
            return value.sep.join(self.param(v, locale) for v in value.items)
        if isinstance(value, Lines):
            # One "label: value" line each, ending in a line break so a template can place
            # the block on its own lines and an empty block leaves no gap.
            return "".join(
                f"{self.catalogs.get(locale, label)}: {self.param(v, locale)}\n"
                for label, v in value.rows
            )
        return html.escape(value, quote=False)

    def text(self, reply: Reply, locale: str) -> str:
        template = self.catalogs.get(locale, reply.msgid)
        if not reply.params:
            return template
        return template.format_map({k: self.param(v, locale) for k, v in reply.params.items()})

    def label(self, choice: Choice, locale: str) -> str:
        if choice.literal:
            return choice.literal
        label = self.catalogs.get(locale, choice.msgid)
        if choice.params:
            label = label.format_map({k: self.param(v, locale) for k, v in choice.params.items()})
        return label

    def render(self, reply: Reply, locale: str) -> Rendered:
        buttons = [
            [Button(self.label(c, locale), c.key, c.url) for c in row] for row in reply.choices
        ]
        return Rendered(self.text(reply, locale), buttons)


def keyboard(rows: list[list[Button]]) -> dict[str, Any] | None:
    """Rendered buttons as Bot API JSON: link buttons carry a url, the rest callback data."""
    if not rows:
        return None
    return {
        "inline_keyboard": [
            [
                {"text": b.label, "url": b.url}
                if b.url
                else {"text": b.label, "callback_data": b.key}
                for b in row
            ]
            for row in rows
        ]
    }


def plain(text: str) -> str:
    """Rendered HTML as the words a person reads (a terminal, a toast)."""
    return html.unescape(_TAGS.sub("", text))
