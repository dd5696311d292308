"""StaffPrompts: a ForceReply question to one staff member, answered by replying to it.

A prompt goes out through the outbox (purpose "prompt", the prompt's id in the payload);
the delivery worker records the sent message's id on it (storage/outbox.py `mark_sent`),
and only a reply to that message, by that person, in that chat, is taken as its answer.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OutboxMessage, StaffPrompt, utcnow

PURPOSE = "prompt"


async def open_for_reply(
    session: AsyncSession, staff_id: int, chat_id: int, message_id: int
) -> StaffPrompt | None:
    """The open prompt this reply answers, if it answers one of this person's."""
    return await session.scalar(
        select(StaffPrompt).where(
            StaffPrompt.staff_id == staff_id,
            StaffPrompt.chat_id == chat_id,
            StaffPrompt.message_id == message_id,
            StaffPrompt.done_at.is_(None),
        )
    )


async def on_its_way(session: AsyncSession, staff_id: int, chat_id: int, chat_key: str) -> bool:
    """This person has an open prompt in this chat whose message is still queued, or sent
    and not yet recorded: a reply may have overtaken the recording of its message id."""
    queued = exists().where(
        OutboxMessage.chat_key == chat_key,
        OutboxMessage.purpose == PURPOSE,
        OutboxMessage.status == "pending",
    )
    return bool(
        await session.scalar(
            select(StaffPrompt.id)
            .where(
                StaffPrompt.staff_id == staff_id,
                StaffPrompt.chat_id == chat_id,
                StaffPrompt.message_id.is_(None),
                StaffPrompt.done_at.is_(None),
                queued,
            )
            .limit(1)
        )
    )


async def get(session: AsyncSession, prompt_id: int) -> StaffPrompt | None:
    return await session.get(StaffPrompt, prompt_id)


async def open_prompt(
    session: AsyncSession,
    staff_id: int,
    ticket_id: int,
    chat_id: int,
    step: str,
    data: dict[str, Any],
) -> StaffPrompt:
    prompt = StaffPrompt(
        staff_id=staff_id, ticket_id=ticket_id, chat_id=chat_id, action=step, data=data
    )
    session.add(prompt)
    await session.flush()  # its id goes into the outbox row
    return prompt


def save(prompt: StaffPrompt, data: dict[str, Any], done: bool) -> None:
    prompt.data = data
    if done:
        prompt.done_at = utcnow()


async def record_message(session: AsyncSession, prompt_id: int, message_id: int) -> None:
    """The prompt's message went out: a reply to it is now its answer."""
    prompt = await session.get(StaffPrompt, prompt_id)
    if prompt is not None:
        prompt.message_id = message_id


async def close_in_chat(session: AsyncSession, chat_id: int) -> None:
    """Prompts still open in a chat its unit left: an answer there is no longer taken."""
    await session.execute(
        update(StaffPrompt)
        .where(StaffPrompt.chat_id == chat_id, StaffPrompt.done_at.is_(None))
        .values(done_at=utcnow())
    )
