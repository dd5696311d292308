"""The transactional outbox: messages owed to someone, written with the change that causes them.

Repositories never commit: `enqueue` joins the caller's unit of work. The delivery worker
(bot/delivery.py) claims due rows, sends them, and records the outcome here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from flows.outbound import Edit, Op, Send, op_from_json, op_to_json
from storage import prompts
from storage.crypto import Keys
from storage.models import OutboxMessage, StaffPrompt, TicketCard, TicketEvent, Upt, utcnow

# What is sent to a reporter: once it is out (or failed for good) its row forgets the chat.
REPORTER_PURPOSES = ("notice", "question", "feedback")
LEGACY = "bot_api"  # a row from before migration 0006: a Bot API method and its parameters


async def enqueue(
    session: AsyncSession,
    keys: Keys,
    *,
    chat_id: int,
    op: Op,
    purpose: str,
    locale: str = "id",
    ticket_id: int | None = None,
    upt_id: int | None = None,
    is_group: bool = False,
    prompt_id: int | None = None,
    channel: str = "telegram",
    urgent: bool = False,
) -> OutboxMessage:
    """Owe `op` to one chat of one channel, rendered in `locale` when it is sent."""
    kind, data = op_to_json(op)
    payload: dict[str, Any] = {"op": data}
    if prompt_id is not None:
        payload["prompt_id"] = prompt_id  # for mark_sent, not for the channel
    row = OutboxMessage(
        kind=kind,
        channel=channel,
        locale=locale,
        chat_id=str(chat_id),
        chat_key=keys.chat_key(chat_id),
        is_group=is_group,
        payload=payload,
        purpose=purpose,
        ticket_id=ticket_id,
        upt_id=upt_id,
        not_before_at=utcnow(),
        priority=1 if urgent and purpose == "card" else 0,
    )
    session.add(row)
    return row


@dataclass(frozen=True, slots=True)
class Due:
    """A row ready to go, with the message it needs resolved: `op` for today's rows, or
    `method` + `params` for a row written before 0006."""

    id: int
    channel: str
    chat_id: int
    chat_key: str
    is_group: bool
    locale: str
    purpose: str
    attempts: int
    op: Op | None = None
    card_message_id: int | None = None  # the ticket's card in this chat, when the op needs it
    method: str = ""
    params: dict[str, Any] = field(default_factory=dict)


# A worker holds the rows it claimed this long; past that (it was killed) another takes them.
# A pass stops sending well before (bot/delivery.py), and hands back what it did not send.
CLAIM_SECONDS = 60.0


async def claim_due(session: AsyncSession, now: datetime, limit: int = 50) -> list[Due]:
    """Due rows, oldest first, never overtaking an earlier pending row to the same chat, except
    that a new urgent card overtakes new normal cards (never an edit, a deletion or a notice).
    Each is claimed for CLAIM_SECONDS: another worker does not take it meanwhile, and since an
    earlier pending row blocks its chat, nor anything after it to the same chat."""
    earlier = aliased(OutboxMessage)
    blocked = exists().where(
        and_(
            earlier.chat_key == OutboxMessage.chat_key,
            earlier.status == "pending",
            earlier.id < OutboxMessage.id,
            ~and_(
                OutboxMessage.priority > earlier.priority,
                earlier.purpose == "card",
                earlier.kind == "send",
            ),
        )
    )
    stmt = (
        select(OutboxMessage)
        .where(
            OutboxMessage.status == "pending",
            OutboxMessage.not_before_at <= now,
            or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
            ~blocked,
        )
        .order_by(OutboxMessage.priority.desc(), OutboxMessage.id)
        .limit(limit)
    )
    if session.bind.dialect.name == "postgresql":
        # Two workers claiming at the same moment skip each other's rows.
        stmt = stmt.with_for_update(skip_locked=True, of=OutboxMessage)
    rows = (await session.scalars(stmt)).all()
    out = []
    held = now + timedelta(seconds=CLAIM_SECONDS)
    for row in rows:
        due = await (_legacy(session, row, now) if row.kind == LEGACY else _due(session, row, now))
        if due is not None:  # else it waits a moment (its card) or failed: not held
            row.claimed_until = held
            out.append(due)
    return out


async def _due(session: AsyncSession, row: OutboxMessage, now: datetime) -> Due | None:
    try:
        op = op_from_json(row.kind, row.payload["op"])
    except (KeyError, ValueError, TypeError):
        row.status, row.error = "failed", f"unreadable {row.kind[:20]} row"
        return None
    card_message_id = None
    if isinstance(op, Edit) and op.message_id is None:
        card = await _card_or_wait(session, row, now)
        if card is None:
            return None
        card_message_id = card.message_id
    elif isinstance(op, Send) and op.under_card:
        card = await _card_for(session, row)
        card_message_id = card.message_id if card is not None else None
    return _ready(row, op=op, card_message_id=card_message_id)


async def _legacy(session: AsyncSession, row: OutboxMessage, now: datetime) -> Due | None:
    """A row written before 0006, delivered as it was written."""
    params = dict(row.payload)
    method = row.method or ""
    if method.startswith("editMessage") and "message_id" not in params:
        card = await _card_or_wait(session, row, now)
        if card is None:
            return None
        params["message_id"] = card.message_id
    params.pop("prompt_id", None)  # for mark_sent, not for Telegram
    if params.pop("reply_to_card", False):
        card = await _card_for(session, row)
        if card is not None:  # thread it under the card; without one it stands alone
            params["reply_parameters"] = {
                "message_id": card.message_id,
                "allow_sending_without_reply": True,
            }
    return _ready(row, method=method, params=params)


def _ready(row: OutboxMessage, **what: Any) -> Due:
    return Due(
        row.id,
        row.channel,
        int(row.chat_id),
        row.chat_key,
        row.is_group,
        row.locale,
        row.purpose,
        row.attempts,
        **what,
    )


async def _card_or_wait(
    session: AsyncSession, row: OutboxMessage, now: datetime
) -> TicketCard | None:
    """The card an edit rewrites, moving the row to the card's chat; None when there is none
    yet (the row waits a moment) or never will be (the row fails)."""
    card = await _card_for(session, row)
    if card is None and await _card_still_owed(session, row):
        row.not_before_at = now + timedelta(seconds=1)  # not out yet: try shortly
        return None
    if card is None:
        # Its card failed or was never sent: waiting would block this chat forever.
        row.status, row.error = "failed", "no card to edit"
        return None
    row.chat_id = str(card.chat_id)
    return card


async def _card_for(session: AsyncSession, row: OutboxMessage) -> TicketCard | None:
    return await session.scalar(
        select(TicketCard)
        .where(
            TicketCard.ticket_id == row.ticket_id,
            TicketCard.upt_id == row.upt_id,
            TicketCard.chat_id == int(row.chat_id),
        )
        .order_by(TicketCard.id.desc())
        .limit(1)
    )


async def _card_still_owed(session: AsyncSession, row: OutboxMessage) -> bool:
    """An earlier card row for the same ticket and UPT is still pending (perhaps elsewhere)."""
    owed = await session.scalar(
        select(OutboxMessage.id)
        .where(
            OutboxMessage.purpose == "card",
            OutboxMessage.status == "pending",
            OutboxMessage.ticket_id == row.ticket_id,
            OutboxMessage.upt_id == row.upt_id,
            OutboxMessage.id < row.id,
        )
        .limit(1)
    )
    return owed is not None


def forget_recipient(row: OutboxMessage) -> None:
    """The row no longer says who it was for, nor what it said: a reporter's chat id and the
    keyed hash that is the same for all their tickets would link them."""
    row.chat_id, row.chat_key, row.payload = "0", "", {}


async def release(session: AsyncSession, row_ids: list[int]) -> None:
    """Claimed but not sent this pass (paced, paused): free for the next pass, any worker's."""
    if row_ids:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(row_ids), OutboxMessage.status == "pending")
            .values(claimed_until=None)
        )


async def release_all(session: AsyncSession) -> None:
    """A single process starting: every claim is from its own earlier life."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == "pending", OutboxMessage.claimed_until.is_not(None))
        .values(claimed_until=None)
    )


async def mark_sent(session: AsyncSession, row_id: int, message_id: int | None) -> None:
    row = await session.get_one(OutboxMessage, row_id)
    row.status, row.sent_at, row.result_message_id = "sent", utcnow(), message_id
    row.claimed_until = None
    row.attempts += 1
    if row.purpose == "card" and message_id is not None and row.ticket_id and row.upt_id:
        session.add(
            TicketCard(
                ticket_id=row.ticket_id,
                upt_id=row.upt_id,
                chat_id=int(row.chat_id),
                message_id=message_id,
            )
        )
    if row.purpose == prompts.PURPOSE and message_id is not None and row.payload.get("prompt_id"):
        await prompts.record_message(session, int(row.payload["prompt_id"]), message_id)
    if row.purpose in REPORTER_PURPOSES:
        forget_recipient(row)


async def mark_retry(session: AsyncSession, row_id: int, at: datetime, error: str) -> None:
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id)
        .values(
            not_before_at=at,
            error=error[:200],
            attempts=OutboxMessage.attempts + 1,
            claimed_until=None,
        )
    )


async def mark_failed(session: AsyncSession, row_id: int, error: str) -> OutboxMessage:
    """Permanent failure (blocked, removed from the group): recorded on the ticket too."""
    row = await session.get_one(OutboxMessage, row_id)
    row.status, row.error, row.claimed_until = "failed", error[:200], None
    row.attempts += 1
    if row.ticket_id is not None:
        session.add(
            TicketEvent(
                ticket_id=row.ticket_id,
                kind="delivery_failed",
                upt_id=row.upt_id,
                note=f"{row.purpose}: {error[:150]}",
            )
        )
    if row.purpose in REPORTER_PURPOSES:
        forget_recipient(row)
    return row


async def retarget(session: AsyncSession, keys: Keys, old: int, new: int) -> None:
    """A group became a supergroup: its UPT and everything still owed to it move along."""
    await session.execute(
        update(Upt).where(Upt.telegram_chat_id == old).values(telegram_chat_id=new)
    )
    await session.execute(update(TicketCard).where(TicketCard.chat_id == old).values(chat_id=new))
    await session.execute(update(StaffPrompt).where(StaffPrompt.chat_id == old).values(chat_id=new))
    rows = await session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.chat_key == keys.chat_key(old), OutboxMessage.status == "pending"
        )
    )
    for row in rows:
        row.chat_id, row.chat_key = str(new), keys.chat_key(new)


async def cancel_for(session: AsyncSession, ticket_id: int, upt_ids: set[int]) -> None:
    """Drop what is still queued for units that no longer hold the ticket (cards, edits,
    relays); the stripping edits just written are exempt."""
    if not upt_ids:
        return
    await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.ticket_id == ticket_id,
            OutboxMessage.upt_id.in_(upt_ids),
            OutboxMessage.status == "pending",
            OutboxMessage.purpose.in_(("card", "card_edit", "relay", "story")),
        )
        .values(status="cancelled", payload={}, error="re-routed")
    )


async def shown_about(
    session: AsyncSession, ticket_id: int, upt_ids: set[int]
) -> list[tuple[int, int]]:
    """(chat, message) of what these units' chats were shown about the ticket besides its
    card: the whole story, relayed answers and notes."""
    if not upt_ids:
        return []
    rows = await session.execute(
        select(OutboxMessage.chat_id, OutboxMessage.result_message_id).where(
            OutboxMessage.ticket_id == ticket_id,
            OutboxMessage.upt_id.in_(upt_ids),
            OutboxMessage.status == "sent",
            OutboxMessage.purpose.in_(("relay", "story")),
            OutboxMessage.result_message_id.is_not(None),
        )
    )
    return [(int(chat), int(message)) for chat, message in rows.all()]


async def backlog(session: AsyncSession) -> tuple[int, datetime | None]:
    """How many messages wait, and since when the oldest has (for monitoring)."""
    from sqlalchemy import func

    count, oldest = (
        await session.execute(
            select(func.count(), func.min(OutboxMessage.created_at)).where(
                OutboxMessage.status == "pending"
            )
        )
    ).one()
    return int(count or 0), oldest


async def pending_count(session: AsyncSession) -> int:
    from sqlalchemy import func

    return int(
        await session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "pending")
        )
        or 0
    )
