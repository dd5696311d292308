"""The vocabulary every flow speaks: inputs in, replies and effects out.

Nothing here knows about Telegram or databases. A reply names a catalog message and its
parameters; the runtime adapter renders it. State is a plain JSON-safe dict.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

State = dict[str, Any]

InputKind = Literal["text", "choice", "command", "media"]


@dataclass(frozen=True, slots=True)
class Input:
    """One thing a person did: typed text, pressed a button, sent a command or media."""

    kind: InputKind
    text: str = ""  # text, choice key, command argument, or media type ("sticker", "photo", …)
    command: str = ""  # "start", "lapor", … (kind == "command" only)
    ref: str = ""  # media: Telegram's file_id (the bytes are never fetched)
    caption: str = ""  # media: the words sent with it

    @staticmethod
    def of_text(text: str) -> Input:
        return Input("text", text)

    @staticmethod
    def of_choice(key: str) -> Input:
        return Input("choice", key)

    @staticmethod
    def of_command(command: str, arg: str = "") -> Input:
        return Input("command", arg, command)

    @staticmethod
    def of_media(media_type: str, ref: str = "", caption: str = "") -> Input:
        return Input("media", media_type, ref=ref, caption=caption)


@dataclass(frozen=True, slots=True)
class EffectResult:
    """What the world answered to an effect; fed back into the flow as its next input."""

    name: str
    value: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Msg:
    """A parameter that is itself a catalog message (a status name, a category label),
    optionally with parameters of its own."""

    msgid: str
    params: Mapping[str, Param] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Stamp:
    """A point in time, shown in the reader's locale and in the given time zone."""

    iso: str
    tz: str


@dataclass(frozen=True, slots=True)
class Day:
    """A calendar date (ISO, YYYY-MM-DD), shown in the reader's locale; `pattern` names the
    catalog's format for it ("format.month" shows only the month and year)."""

    iso: str
    pattern: str = "format.date"


@dataclass(frozen=True, slots=True)
class Seq:
    """Several values in a row, joined by `sep` (an empty one renders as `empty`)."""

    items: tuple[Param, ...] = ()
    empty: str = ""  # a catalog message id, shown when there are no items
    sep: str = ", "


@dataclass(frozen=True, slots=True)
class Lines:
    """ "Label: value" lines, one per row; labels are catalog messages. Empty renders empty."""

    rows: tuple[tuple[str, Param], ...] = ()


Param = str | Msg | Stamp | Day | Seq | Lines


@dataclass(frozen=True, slots=True)
class Choice:
    """A button. Its label is a catalog message, or a literal (place names are data)."""

    key: str
    msgid: str = ""
    params: Mapping[str, Param] = field(default_factory=dict)
    literal: str = ""  # shown as-is when set (e.g. "Kabupaten Sidoarjo")
    url: str = ""  # a link button (opens the URL; carries no key back to the bot)


@dataclass(frozen=True, slots=True)
class Reply:
    """What to show, not how: a catalog message id, its parameters, and buttons in rows."""

    msgid: str
    params: Mapping[str, Param] = field(default_factory=dict)
    choices: Sequence[Sequence[Choice]] = ()


@dataclass(frozen=True, slots=True)
class Effect:
    """What must happen in the world before the flow can go on."""

    name: str
    args: Mapping[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Outcome:
    state: State
    replies: list[Reply] = field(default_factory=list)
    effects: list[Effect] = field(default_factory=list)


def N_(msgid: str) -> str:
    """Mark a catalog message id for `pybabel extract` without translating it here."""
    return msgid
