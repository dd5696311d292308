"""Answers sent straight back to the person who acted: a reporter's replies (deleting a code
they typed, wiping the conversation) and staff's direct messages. All through the one client."""

from __future__ import annotations

import logging

from handlers.casework.events import Direct, SendDirect
from handlers.render import Renderer
from handlers.reporter.service import Response, SendFn
from handlers.telegram.client import BotApi, Upload
from handlers.telegram.direct import DirectLine
from handlers.telegram.messages import (
    Payload,
    edited_text,
    protected_file,
    protected_photo,
    text_message,
)

log = logging.getLogger(__name__)

DIRECT_ATTEMPTS = 2
CODE_SEND_ATTEMPTS = 4  # a lost ticket code cannot be recovered, so try harder for it
DELETE_BATCH = 100  # deleteMessages' limit


async def wipe(api: BotApi, chat_id: int, ids: list[int]) -> None:
    """Newest first, 100 at a time; a refused batch (one message past the 48-hour window, say)
    is retried one message at a time so the rest still go."""
    ids = sorted(ids, reverse=True)
    for start in range(0, len(ids), DELETE_BATCH):
        batch = ids[start : start + DELETE_BATCH]
        if (await api.call("deleteMessages", {"chat_id": chat_id, "message_ids": batch})).ok:
            continue
        for message_id in batch:
            await api.call("deleteMessage", {"chat_id": chat_id, "message_id": message_id})


def reporter_sender(
    api: BotApi, line: DirectLine, renderer: Renderer, chat_id: int, input_message_id: int | None
) -> SendFn:
    async def send(response: Response) -> bool | None:
        calls: list[tuple[str, Payload]] = []
        # The code leaves the chat before the answer arrives, so it never sits there twice.
        if response.delete_input and input_message_id is not None:
            if line.owes(chat_id):  # in order, behind what the chat still waits for
                calls.append(
                    ("deleteMessage", {"chat_id": chat_id, "message_id": input_message_id})
                )
            else:
                payload = {"chat_id": chat_id, "message_id": input_message_id}
                gone = await api.call("deleteMessage", payload)
                if not gone.ok:  # too old, already gone: nothing to protect then
                    log.info("could not delete a message holding a code (%s)", gone.error[:60])
        if response.wipe is not None:
            await wipe(api, chat_id, list(response.wipe))
        for reply in response.replies:
            out = renderer.render(reply, response.locale)
            calls.append(("sendMessage", text_message(chat_id, out.text, out.buttons)))
        code = response.carries_code
        return await line.send(
            chat_id,
            calls,
            attempts=CODE_SEND_ATTEMPTS if code else DIRECT_ATTEMPTS,
            keep=code,
            on_late=response.on_late,
        )

    return send


def staff_sender(api: BotApi, renderer: Renderer) -> SendDirect:
    async def send(direct: Direct) -> int | None:
        if direct.delete is not None:
            payload = {"chat_id": direct.chat_id, "message_id": direct.delete}
            await api.call("deleteMessage", payload)  # a failure leaves an answered prompt
            return None
        assert direct.reply is not None
        out = renderer.render(direct.reply, "id")
        if direct.edit is not None:
            # Its buttons become the reply's: none left when it settles, a menu's when redrawn.
            edit = edited_text(direct.chat_id, direct.edit, out.text, out.buttons)
            answer = await api.send("editMessageText", edit, attempts=DIRECT_ATTEMPTS)
            return direct.edit if answer.ok else None
        if direct.file is not None:
            f = direct.file
            payload = protected_file(direct.chat_id, f.kind, out.text, out.buttons)
            method = "sendPhoto" if f.kind == "photo" else "sendDocument"
            upload = Upload(f.kind, f.name, f.content, f.mime)
            answer = await api.send(method, payload, attempts=DIRECT_ATTEMPTS, upload=upload)
        elif direct.photo:
            # A reporter's screenshot: its buttons, if any, are not shown with it.
            payload = protected_photo(direct.chat_id, direct.photo, out.text)
            answer = await api.send("sendPhoto", payload, attempts=DIRECT_ATTEMPTS)
        else:
            # Everything staff are sent directly is about a case: protected.
            payload = text_message(
                direct.chat_id, out.text, out.buttons, reply_to=direct.reply_to, protect=True
            )
            answer = await api.send("sendMessage", payload, attempts=DIRECT_ATTEMPTS)
        return answer.message_id if answer.ok else None

    return send
