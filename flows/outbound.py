"""What the outbox may be asked to do for someone, in no channel's terms, and its JSON form.

An outbox row keeps one of these operations: *what* to say or do (catalog ids and
parameters, a message the bot sent earlier, a file id), never rendered text or a channel's
method names. The delivery worker renders it for the row's channel in the reader's language
when it is sent (handlers/telegram/outbound.py for Telegram).

A ticket code is never one of them: it is only ever sent straight to the reporter, so the
codec refuses any reply that carries one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flows.core import Reply
from flows.replies import reply_from_json, reply_to_json

Json = dict[str, Any]

# The reply parameter that holds a ticket code (flows/screens.py).
CODE_PARAM = "code"


@dataclass(frozen=True, slots=True)
class Send:
    """A new message: the replies joined into one, the last one's choices as its buttons."""

    replies: tuple[Reply, ...]
    reply_to: int | None = None  # answering this message
    under_card: bool = False  # threaded under the ticket's card in that chat, when there is one
    force_reply: bool = False  # its reader is asked to answer it (a staff prompt)
    protect: bool = False  # case content: the channel should not let it be forwarded or saved


@dataclass(frozen=True, slots=True)
class Edit:
    """A message the bot sent earlier, rewritten; its buttons become the reply's choices
    (none: the buttons go)."""

    reply: Reply
    message_id: int | None = None  # None: the ticket's card in that chat, once it is out


@dataclass(frozen=True, slots=True)
class Delete:
    message_id: int


@dataclass(frozen=True, slots=True)
class Photo:
    """A reporter's screenshot by its file id (never downloaded), shown protected."""

    file_id: str
    caption: Reply


@dataclass(frozen=True, slots=True)
class File:
    """A document by its file id, with a caption."""

    file_id: str
    caption: Reply


@dataclass(frozen=True, slots=True)
class RemoveMember:
    """A person leaves the group the row is addressed to (they may be invited again)."""

    user_id: int


@dataclass(frozen=True, slots=True)
class Summary:
    """A unit's monthly summary for one koordinator: the text and the chart are made when it
    is sent, from the month's figures then (handlers/reports/monthly.py)."""

    upt_id: int
    month: str  # "2026-11"
    staff_id: int


Op = Send | Edit | Delete | Photo | File | RemoveMember | Summary

KINDS: dict[str, type] = {
    "send": Send,
    "edit": Edit,
    "delete": Delete,
    "photo": Photo,
    "file": File,
    "remove_member": RemoveMember,
    "summary": Summary,
}
_KIND_OF = {cls: kind for kind, cls in KINDS.items()}


def op_to_json(op: Op) -> tuple[str, Json]:
    """(kind, data) for an outbox row."""
    kind = _KIND_OF[type(op)]
    if isinstance(op, Send):
        data: Json = {"replies": [_reply_out(r) for r in op.replies]}
        if op.reply_to:
            data["reply_to"] = op.reply_to
        if op.under_card:
            data["under_card"] = True
        if op.force_reply:
            data["force_reply"] = True
        if op.protect:
            data["protect"] = True
    elif isinstance(op, Edit):
        data = {"reply": _reply_out(op.reply)}
        if op.message_id is not None:
            data["message_id"] = op.message_id
    elif isinstance(op, Delete):
        data = {"message_id": op.message_id}
    elif isinstance(op, Photo | File):
        data = {"file_id": op.file_id, "caption": _reply_out(op.caption)}
    elif isinstance(op, Summary):
        data = {"upt_id": op.upt_id, "month": op.month, "staff_id": op.staff_id}
    else:
        data = {"user_id": op.user_id}
    return kind, data


def op_from_json(kind: str, data: Json) -> Op:
    """The operation a row holds; KeyError/ValueError/TypeError for a row that is not one."""
    cls = KINDS[kind]
    if cls is Send:
        replies = tuple(reply_from_json(r) for r in data["replies"])
        if not replies:
            raise ValueError("a message needs at least one reply")
        return Send(
            replies,
            reply_to=_opt_int(data.get("reply_to")),
            under_card=bool(data.get("under_card")),
            force_reply=bool(data.get("force_reply")),
            protect=bool(data.get("protect")),
        )
    if cls is Edit:
        return Edit(reply_from_json(data["reply"]), _opt_int(data.get("message_id")))
    if cls is Delete:
        return Delete(int(data["message_id"]))
    if cls is Photo or cls is File:
        return cls(str(data["file_id"]), reply_from_json(data["caption"]))
    if cls is Summary:
        return Summary(int(data["upt_id"]), str(data["month"]), int(data["staff_id"]))
    return RemoveMember(int(data["user_id"]))


def _reply_out(reply: Reply) -> Json:
    if CODE_PARAM in reply.params:
        raise ValueError("a ticket code is never queued: it is sent straight to the reporter")
    return reply_to_json(reply)


def _opt_int(value: Any) -> int | None:
    return None if value is None else int(value)
