"""An outbox operation as Bot API calls: how a row owed to a Telegram chat is rendered when
it is sent, in the row's locale. The delivery worker (bot/delivery.py) makes the calls."""

from __future__ import annotations

from dataclasses import dataclass

from flows.outbound import Delete, Edit, File, Photo, RemoveMember, Send
from handlers.render import Renderer
from handlers.telegram.client import Upload
from handlers.telegram.messages import (
    Payload,
    document,
    edited_text,
    protected_photo,
    text_message,
)
from storage.outbox import Due

# What a row written before the neutral outbox may ask Telegram to do; anything else fails
# without being sent.
LEGACY_METHODS = frozenset(
    {
        "sendMessage",
        "editMessageText",
        "editMessageReplyMarkup",
        "copyMessage",
        "sendPhoto",
        "banChatMember",
        "unbanChatMember",
        "deleteMessage",
    }
)


@dataclass(frozen=True, slots=True)
class Call:
    method: str
    params: Payload
    upload: Upload | None = None  # a file the bot made, sent with the params


class TelegramOutbound:
    def __init__(self, renderer: Renderer) -> None:
        self.renderer = renderer

    def calls(self, due: Due) -> list[Call]:
        """The calls that carry out the row, in order; KeyError for a row Telegram cannot
        be asked to do."""
        chat = due.chat_id
        op = due.op
        if op is None:  # a row from before the neutral outbox: the row's chat wins (it is
            # the one to use after a supergroup migration)
            if due.method not in LEGACY_METHODS:
                raise KeyError(due.method)
            return [Call(due.method, {**due.params, "chat_id": chat})]
        if isinstance(op, Send):
            out = [self.renderer.render(r, due.locale) for r in op.replies]
            text = "\n\n".join(r.text for r in out)
            reply_to = op.reply_to or (due.card_message_id if op.under_card else None)
            payload = text_message(
                chat,
                text,
                out[-1].buttons,
                reply_to=reply_to,
                force_reply=op.force_reply,
                protect=op.protect,
            )
            return [Call("sendMessage", payload)]
        if isinstance(op, Edit):
            message_id = op.message_id or due.card_message_id
            if message_id is None:
                raise KeyError("message_id")
            out = self.renderer.render(op.reply, due.locale)
            return [Call("editMessageText", edited_text(chat, message_id, out.text, out.buttons))]
        if isinstance(op, Delete):
            return [Call("deleteMessage", {"chat_id": chat, "message_id": op.message_id})]
        if isinstance(op, Photo):
            caption = self.renderer.text(op.caption, due.locale)
            return [Call("sendPhoto", protected_photo(chat, op.file_id, caption))]
        if isinstance(op, File):
            caption = self.renderer.text(op.caption, due.locale)
            return [Call("sendDocument", document(chat, op.file_id, caption))]
        if isinstance(op, RemoveMember):
            # Telegram has no "remove": a ban removes, the unban lets them be invited again.
            member = {"chat_id": chat, "user_id": op.user_id}
            return [
                Call("banChatMember", member),
                Call("unbanChatMember", member | {"only_if_banned": True}),
            ]
        raise KeyError(type(op).__name__)
