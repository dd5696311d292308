"""UPT staff working tickets from Telegram: one update, one unit of work, one commit.

Framework-free like the reporter service: runtimes turn updates into `StaffEvent`s and give a
`send` callable for direct answers. The flow (flows/casework/) decides; effects.py carries its
effects out; everything owed to anyone else, a ForceReply prompt included, is an outbox row
written in the same unit of work as the change that causes it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from flows import casework
from flows.core import N_, Input, Reply
from handlers.casework.announce import Announcer
from handlers.casework.effects import Effects
from handlers.casework.events import Direct, SendDirect, StaffEvent, StaffResult
from handlers.locks import KeyedLocks
from handlers.render import Renderer
from storage import conversations as convo_store
from storage import prompts, staff
from storage.crypto import Keys
from storage.db import Database
from storage.models import Staff, Upt

log = logging.getLogger(__name__)

# A reply can reach the bot before the delivery worker has recorded the id of the prompt it
# answers (the worker commits just after Telegram accepts the message): wait that out briefly.
PROMPT_WAIT_SECONDS, PROMPT_WAIT_STEP = 3.0, 0.05


class NotForStaff(Exception):  # noqa: N818 - a signal, not an error
    """The update is a reporter's (a reply to something that is no staff prompt)."""


class _PromptOnItsWay(Exception):  # noqa: N818 - a signal, not an error
    """The reply may answer a prompt whose message id is not recorded yet."""


class StaffService:
    def __init__(
        self,
        db: Database,
        keys: Keys,
        renderer: Renderer,
        announcer: Announcer,
        *,
        bot_username: str = "",
        wake: Callable[[], None] = lambda: None,
    ) -> None:
        self.db, self.keys, self.renderer, self.announcer = db, keys, renderer, announcer
        self.bot_username = bot_username
        self.bot_id = 0  # set at start-up from getMe: to ask Telegram about the bot in a group
        self.wake = wake
        self.locks = KeyedLocks()

    async def handle(self, event: StaffEvent, send: SendDirect) -> StaffResult | None:
        """None when the event is not for staff (a reporter's reply) or was handled before."""
        # One person at a time: their updates are decided in the order they came.
        async with self.locks.hold(str(event.user_id)):
            if event.kind == "start_token" and not staff.looks_like_invite(event.text):
                return None  # a campaign link (?start=sekolah): a reporter, not staff
            try:
                result = await self._handle_once(event)
            except NotForStaff:
                return None
            except Exception as e:  # noqa: BLE001 - answer, never go silent
                log.error("a staff update failed (%s)", type(e).__name__)
                result = StaffResult(toast=Reply(N_("conv.error")))
                if event.kind in ("reply", "stats", "connect"):  # no button to answer
                    said = Direct(event.chat_id, Reply(N_("conv.error")), reply_to=event.message_id)
                    result.direct.append(said)
            if result is None:
                return None
            self.wake()  # after the commit, so the worker finds what this update queued
            for direct in result.direct:
                await send(direct)
            return result

    async def _handle_once(self, event: StaffEvent) -> StaffResult | None:
        waited = 0.0
        while True:
            try:
                # Rolled back, never committed, when the update turns out not to be for staff.
                async with self.db.unit_of_work() as session:
                    return await self._work(session, event)
            except _PromptOnItsWay:
                if waited >= PROMPT_WAIT_SECONDS:
                    raise NotForStaff from None
                await asyncio.sleep(PROMPT_WAIT_STEP)
                waited += PROMPT_WAIT_STEP

    async def _work(self, session: AsyncSession, e: StaffEvent) -> StaffResult | None:
        member = await staff.active_membership(session, e.user_id)
        prompt: dict[str, Any] | None = None
        if e.kind == "reply":
            prompt = await self._prompt(session, member, e)
        if e.kind == "stats" and member is None:
            raise NotForStaff  # a reporter's /statistik is theirs to be answered
        if e.update_id is not None and not await convo_store.claim_update(session, e.update_id):
            return None  # handled before: its work is committed
        unit = await session.get(Upt, member.upt_id) if member else None
        state = casework.new_state(
            me=_me(member, unit.telegram_chat_id if unit else None),
            actor=self._actor(member, e.user_id),
            anon=self._anon(e.user_id),
            chat=e.chat_id,
            user=e.user_id,
            bot=self.bot_username,
            prompt=prompt,
            group={"public": e.public, "admin": e.bot_admin} if e.kind == "connect" else None,
            message=e.message_id,
        )
        out = casework.step(state, _input(e))
        effects = Effects(session, self.keys, self.announcer, e, member, self.renderer)
        return await effects.run(out)

    async def _prompt(
        self, session: AsyncSession, member: Staff | None, e: StaffEvent
    ) -> dict[str, Any]:
        """The open prompt this reply answers, as the flow's state; else not for staff."""
        if member is None or e.reply_to is None:
            raise NotForStaff
        # Asked before the look-up: each statement may see a newer commit than the last (no
        # snapshot spans them), so a prompt not on its way now was recorded before it.
        key = self.keys.chat_key(e.chat_id)
        on_its_way = await prompts.on_its_way(session, member.id, e.chat_id, key)
        prompt = await prompts.open_for_reply(session, member.id, e.chat_id, e.reply_to)
        if prompt is not None:
            return {
                "id": prompt.id,
                "step": prompt.action,
                "ticket_id": prompt.ticket_id,
                "data": dict(prompt.data or {}),
            }
        if on_its_way:
            raise _PromptOnItsWay
        raise NotForStaff

    def _actor(self, member: Staff | None, user_id: int) -> str:
        return f"staff:{member.id}" if member else self._anon(user_id)

    def _anon(self, user_id: int) -> str:
        # Someone who is not staff may be a reporter: not even a hash of their id is kept, as
        # it would link their refused presses (and, after /hapus, them) to each other.
        return NON_STAFF


NON_STAFF = "non-staff"


def _me(member: Staff | None, group: int | None) -> dict[str, Any] | None:
    if member is None:
        return None
    return {
        "id": member.id,
        "name": member.display_name,
        "role": member.role,
        "upt_id": member.upt_id,
        "group": group,  # the unit's group: its buttons work there and in private chats only
    }


def _input(e: StaffEvent) -> Input:
    match e.kind:
        case "start_token":
            return Input.of_command("start", e.text)
        case "connect":
            return Input.of_command("hubungkan")
        case "button":
            return Input.of_choice(e.text)
        case "reply":
            return Input.of_text(e.text)
        case "membership":
            return Input.of_command("membership", e.text)
        case "stats":
            return Input.of_command("statistik")
