"""An operator revokes a staff member: nothing about a case reaches them any more, and nothing
they held is left without someone who can take it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from flows.casework import notices
from flows.outbound import RemoveMember
from handlers.casework.announce import Announcer
from storage import casework as cases
from storage import outbox, staff
from storage.models import Staff, Upt


@dataclass(frozen=True, slots=True)
class Revoked:
    cards_stripped: int
    released: list[str]  # case numbers now free to take


async def revoke_member(
    session: AsyncSession, announcer: Announcer, member: Staff, actor: str = "operator"
) -> Revoked:
    """Revoke `member` in the caller's unit of work: their private-chat cards lose the story
    and the buttons, what they held goes back to their unit unclaimed (each card says so),
    they leave the unit's group, and they and the unit's koordinators are told in one line."""
    await staff.set_status(session, member.id, "revoked")
    upt = await session.get_one(Upt, member.upt_id)
    stripped = await announcer.strip_chat(session, member.telegram_user_id)
    held = await cases.held_open(session, member.id)
    for ticket in held:
        cases.release(session, ticket, actor, note=f"staff:{member.id} revoked")
        await announcer.refresh_cards(session, ticket)
    if upt.telegram_chat_id is not None:
        # Out of the group too (works where the bot is an admin there).
        await outbox.enqueue(
            session,
            announcer.keys,
            chat_id=upt.telegram_chat_id,
            op=RemoveMember(member.telegram_user_id),
            purpose="staff_removal",
            upt_id=upt.id,
            is_group=True,
        )
    await announcer.to_staff(session, member.telegram_user_id, notices.revoked(upt.name))
    for koordinator in await staff.members(session, upt.id, role="koordinator"):
        if koordinator.id != member.id:
            told = notices.member_revoked(member.display_name, len(held))
            await announcer.to_staff(session, koordinator.telegram_user_id, told)
    return Revoked(stripped, [t.case_number for t in held])
