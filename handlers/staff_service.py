"""UPT staff working tickets from Telegram: onboarding, the group, the card and its buttons.

Framework-free like the reporter service: runtimes turn updates into `StaffEvent`s and give a
`send` callable for direct answers; everything owed to anyone else goes through the outbox in
the same unit of work as the change that causes it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from flows import casework, report_kept
from flows.casework import STATUS_LABELS, STATUS_MEANINGS, StaffKey
from flows.core import N_, Choice, Msg, Param, Reply, Stamp
from flows.report_questions import CATEGORY_LABELS, ROLE_LABELS, WHEN_LABELS
from handlers.locks import KeyedLocks
from handlers.render import Renderer, keyboard
from storage import conversations as convo_store
from storage import followup, outbox, staff
from storage.crypto import Keys
from storage.db import Database
from storage.models import (
    OutboxMessage,
    Staff,
    StaffPrompt,
    Ticket,
    TicketCard,
    TicketEvent,
    TicketOwner,
    Upt,
    utcnow,
)
from storage.places import PlaceIndex

log = logging.getLogger(__name__)

EventKind = Literal["start_token", "connect", "button", "reply"]


@dataclass(frozen=True, slots=True)
class StaffEvent:
    kind: EventKind
    user_id: int
    user_name: str
    chat_id: int
    chat_type: str  # private | group | supergroup
    text: str = ""  # the token, the button data, or the reply text
    message_id: int | None = None
    reply_to: int | None = None
    update_id: int | None = None


@dataclass(frozen=True, slots=True)
class Direct:
    """A message to the acting person's chat, sent at once (not owed to anyone else)."""

    chat_id: int
    reply: Reply
    force_reply: bool = False
    reply_to: int | None = None
    prompt_id: int | None = None  # record the sent message id on this prompt
    photo: str = ""  # a Telegram file_id: sent as a protected photo with the text as caption


@dataclass(slots=True)
class StaffResult:
    toast: Reply | None = None
    direct: list[Direct] = field(default_factory=list)


# send(chat_id, reply, force_reply, reply_to) -> the sent message id, or None
SendDirect = Callable[[Direct], Awaitable[int | None]]


class Announcer:
    """Writes cards, card edits and reporter notices into the outbox (never sends itself)."""

    def __init__(self, keys: Keys, renderer: Renderer, places: PlaceIndex) -> None:
        self.keys, self.renderer, self.places = keys, renderer, places

    def card_text(self, ticket: Ticket, upt: Upt, holder: Staff | None) -> tuple[str, dict]:  # type: ignore[type-arg]
        where = self.places.get(ticket.district_code or ticket.region_code or "")
        place: Param = Msg(N_("summary.unknown_place"))
        if where is not None:
            region = self.places.get(ticket.region_code or "")
            place = (
                where.label()
                if where.level != "kecamatan" or region is None
                else (f"{region.label()} — {where.label()}")
            )
        params: dict[str, Param] = {
            "urgent": Msg(N_("card.urgent") if ticket.urgent else ""),
            "case_number": ticket.case_number,
            "category": Msg(CATEGORY_LABELS.get(ticket.category, ticket.category)),
            "role": Msg(ROLE_LABELS.get(ticket.reporter_role, ticket.reporter_role)),
            "place": place,
            "when": Msg(WHEN_LABELS.get(ticket.occurred, ticket.occurred)),
            "received_at": Stamp(ticket.created_at.isoformat(), upt.timezone),
            "details": report_kept.detail_rows(ticket.details or {}),
            "narrative": ticket.narrative or Msg(N_("card.no_narrative")),
            "status": Msg(STATUS_LABELS[ticket.status]),
            "holder": holder.display_name if holder else Msg(N_("card.unclaimed")),
        }
        details = ticket.details or {}
        images = len(details.get("images", []))
        cut = report_kept.evidence_cut(details)
        reply = casework.card(ticket.id, params, ticket.status, images, cut)
        rendered = self.renderer.render(reply, "id")
        return rendered.text, keyboard(rendered.buttons)

    async def _targets(self, session: AsyncSession, upt: Upt) -> list[tuple[int, bool]]:
        if upt.telegram_chat_id is not None:
            return [(upt.telegram_chat_id, True)]
        return [(m.telegram_user_id, False) for m in await staff.members(session, upt.id)]

    async def post_cards(self, session: AsyncSession, ticket: Ticket, upt: Upt) -> int:
        holder = await session.get(Staff, ticket.claimed_by_id) if ticket.claimed_by_id else None
        text, markup = self.card_text(ticket, upt, holder)
        targets = await self._targets(session, upt)
        for chat_id, is_group in targets:
            await outbox.enqueue(
                session,
                self.keys,
                chat_id=chat_id,
                method="sendMessage",
                payload=_message(text, markup),
                purpose="card",
                ticket_id=ticket.id,
                upt_id=upt.id,
                is_group=is_group,
            )
        return len(targets)

    async def _card_places(self, session: AsyncSession, ticket: Ticket) -> list[tuple[int, int]]:
        """(upt id, chat id) of every card of the ticket, posted or still queued."""
        cards = await session.scalars(select(TicketCard).where(TicketCard.ticket_id == ticket.id))
        queued = await session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.ticket_id == ticket.id,
                OutboxMessage.purpose == "card",
                OutboxMessage.status == "pending",
            )
        )
        places = [(c.upt_id, c.chat_id) for c in cards] + [
            (int(q.upt_id or 0), int(q.chat_id)) for q in queued
        ]
        owners = set(
            await session.scalars(
                select(TicketOwner.upt_id).where(TicketOwner.ticket_id == ticket.id)
            )
        )
        allowed = []
        for upt_id, chat_id in dict.fromkeys(places):
            if upt_id not in owners:
                continue  # re-routed away: that unit has no rights any more
            if chat_id > 0 and not await staff.is_active_member(session, upt_id, chat_id):
                continue  # a private chat of someone revoked (or never approved)
            allowed.append((upt_id, chat_id))
        return allowed

    async def post_waiting(self, session: AsyncSession, upt: Upt) -> int:
        """Tickets this unit holds that were never shown to anyone there (they waited while
        nobody was connected): post them now."""
        shown = select(TicketCard.ticket_id).where(TicketCard.upt_id == upt.id)
        queued = select(OutboxMessage.ticket_id).where(
            OutboxMessage.upt_id == upt.id,
            OutboxMessage.purpose == "card",
            OutboxMessage.status == "pending",
        )
        waiting = (
            await session.scalars(
                select(Ticket)
                .join(TicketOwner, TicketOwner.ticket_id == Ticket.id)
                .where(
                    TicketOwner.upt_id == upt.id,
                    Ticket.status.not_in(casework.CLOSED),
                    Ticket.id.not_in(shown),
                    Ticket.id.not_in(queued),
                )
                .order_by(Ticket.id)
            )
        ).all()
        for ticket in waiting:
            await self.post_cards(session, ticket, upt)
        return len(waiting)

    async def refresh_cards(self, session: AsyncSession, ticket: Ticket) -> None:
        """Every card of the ticket edits itself to the new state: each posted one by its
        message id (a reminder card leaves no stale Ambil behind), a queued one once it is out."""
        holder = await session.get(Staff, ticket.claimed_by_id) if ticket.claimed_by_id else None
        posted = (
            await session.scalars(select(TicketCard).where(TicketCard.ticket_id == ticket.id))
        ).all()
        targets = [(c.upt_id, c.chat_id, c.message_id) for c in posted]
        done = {(c.upt_id, c.chat_id) for c in posted}
        targets += [
            (upt_id, chat_id, None)
            for upt_id, chat_id in await self._card_places(session, ticket)
            if (upt_id, chat_id) not in done
        ]
        for upt_id, chat_id, message_id in targets:
            upt = await session.get_one(Upt, upt_id)
            text, markup = self.card_text(ticket, upt, holder)
            payload = _message(text, markup)
            payload.setdefault("reply_markup", {"inline_keyboard": []})
            if message_id is not None:
                payload["message_id"] = message_id
            await outbox.enqueue(
                session,
                self.keys,
                chat_id=chat_id,
                method="editMessageText",
                payload=payload,
                purpose="card_edit",
                ticket_id=ticket.id,
                upt_id=upt_id,
                is_group=chat_id < 0,
            )

    async def tell_staff(self, session: AsyncSession, ticket: Ticket, reply: Reply) -> None:
        """A message for everyone holding the ticket, threaded under its card."""
        text = self.renderer.text(reply, "id")
        for upt_id, chat_id in await self._card_places(session, ticket):
            await outbox.enqueue(
                session,
                self.keys,
                chat_id=chat_id,
                method="sendMessage",
                payload=_message(text, None) | {"reply_to_card": True},
                purpose="relay",
                ticket_id=ticket.id,
                upt_id=upt_id,
                is_group=chat_id < 0,
            )

    async def ask_feedback(self, session: AsyncSession, ticket: Ticket) -> None:
        """One optional question when a case closes, only to a reporter who wanted updates."""
        if not ticket.reporter_chat_id or ticket.followup_stopped:
            return
        stars = [
            Choice(f"fb:{ticket.id}:{n}", N_("feedback.score"), {"n": str(n)}) for n in range(1, 6)
        ]
        reply = Reply(N_("feedback.ask"), {"case_number": ticket.case_number}, [stars])
        await self.to_reporter(session, ticket, reply, "feedback")

    async def ask_reporter(self, session: AsyncSession, ticket: Ticket, question: str) -> bool:
        """Deliver a staff question; False when it must wait for the reporter's /status."""
        if not ticket.reporter_chat_id or ticket.followup_stopped:
            return False
        upt = await session.get_one(Upt, ticket.upt_id)
        reply = Reply(
            N_("notice.question"),
            {
                "case_number": ticket.case_number,
                "question": question,
                "reported_at": Stamp(ticket.created_at.isoformat(), upt.timezone),
            },
            [
                [Choice(f"fu:{ticket.id}", N_("followup.answer"))],
                [Choice(f"fu:stop:{ticket.id}", N_("followup.stop"))],
            ],
        )
        return await self.to_reporter(session, ticket, reply, "question")

    async def notify_reporter(
        self, session: AsyncSession, ticket: Ticket, reason: str | None
    ) -> None:
        if not ticket.reporter_chat_id:
            return  # updates off: nothing is ever pushed
        replies = [
            Reply(
                N_("notice.status"),
                {
                    "case_number": ticket.case_number,
                    "status": Msg(STATUS_LABELS[ticket.status]),
                    "meaning": Msg(STATUS_MEANINGS[ticket.status]),
                },
            )
        ]
        if reason:
            replies.append(Reply(N_("notice.reason"), {"reason": reason}))
        await self.to_reporter(session, ticket, replies, "notice")

    async def to_reporter(
        self, session: AsyncSession, ticket: Ticket, replies: Reply | list[Reply], purpose: str
    ) -> bool:
        """Queue one message for the reporter, in their language; False when they cannot be
        reached through the bot (updates off, stopped, or erased)."""
        if not ticket.reporter_chat_id or (purpose != "notice" and ticket.followup_stopped):
            return False
        parts = [replies] if isinstance(replies, Reply) else replies
        rendered = [self.renderer.render(r, ticket.locale) for r in parts]
        text = "\n\n".join(r.text for r in rendered)
        await outbox.enqueue(
            session,
            self.keys,
            chat_id=int(ticket.reporter_chat_id),
            method="sendMessage",
            payload=_message(text, keyboard(rendered[-1].buttons)),
            purpose=purpose,
            ticket_id=ticket.id,
        )
        return True

    async def to_staff(
        self, session: AsyncSession, chat_id: int, reply: Reply, purpose: str = "staff"
    ) -> None:
        rendered = self.renderer.render(reply, "id")
        await outbox.enqueue(
            session,
            self.keys,
            chat_id=chat_id,
            method="sendMessage",
            payload=_message(rendered.text, keyboard(rendered.buttons)),
            purpose=purpose,
        )


def _message(text: str, markup: dict | None) -> dict:  # type: ignore[type-arg]
    payload: dict = {
        "text": text,
        "parse_mode": "HTML",  # type: ignore[type-arg]
        "link_preview_options": {"is_disabled": True},
    }
    if markup:
        payload["reply_markup"] = markup
    return payload


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
        self.wake = wake
        self.locks = KeyedLocks()

    async def handle(self, event: StaffEvent, send: SendDirect) -> StaffResult | None:
        """None when the event is not for staff (a reporter's reply) or was handled before."""
        # One person at a time: a reply to a prompt must not overtake the recording of that
        # prompt's message id.
        async with self.locks.hold(str(event.user_id)):
            if event.kind == "reply" and not await self._is_prompt_reply(event):
                return None
            if event.kind == "start_token" and not staff.looks_like_invite(event.text):
                return None  # a campaign link (?start=sekolah): a reporter, not staff
            try:
                result = await self._handle_once(event)
            except Exception as e:  # noqa: BLE001 - answer, never go silent
                log.error("a staff update failed (%s)", type(e).__name__)
                return StaffResult(toast=Reply(N_("conv.error")))
            if result is None:
                return None
            self.wake()
            for direct in result.direct:
                message_id = await send(direct)
                if direct.prompt_id is not None and message_id is not None:
                    async with self.db.unit_of_work() as session:
                        prompt = await session.get_one(StaffPrompt, direct.prompt_id)
                        prompt.message_id = message_id
            return result

    async def _handle_once(self, event: StaffEvent) -> StaffResult | None:
        async with self.db.unit_of_work() as session:
            if event.update_id is not None and not await convo_store.claim_update(
                session, event.update_id
            ):
                return None
            match event.kind:
                case "start_token":
                    result = await self._redeem(session, event)
                case "connect":
                    result = await self._connect(session, event)
                case "button":
                    result = await self._button(session, event)
                case "reply":
                    result = await self._reply(session, event)
        return result

    async def _is_prompt_reply(self, e: StaffEvent) -> bool:
        if e.reply_to is None:
            return False
        async with self.db.unit_of_work() as session:
            member = await staff.active_membership(session, e.user_id)
            return member is not None and await self._open_prompt(session, member, e) is not None

    async def _open_prompt(
        self, session: AsyncSession, member: Staff, e: StaffEvent
    ) -> StaffPrompt | None:
        return await session.scalar(
            select(StaffPrompt).where(
                StaffPrompt.staff_id == member.id,
                StaffPrompt.chat_id == e.chat_id,
                StaffPrompt.message_id == e.reply_to,
                StaffPrompt.done_at.is_(None),
            )
        )

    # --- onboarding ---------------------------------------------------------------------

    async def _redeem(self, session: AsyncSession, e: StaffEvent) -> StaffResult:
        outcome = await staff.redeem_invite(session, self.keys, e.text, e.user_id, e.user_name)
        if isinstance(outcome, staff.InviteError):
            staff.audit(
                session,
                f"unknown:{self.keys.chat_key(e.user_id)[:8]}",
                f"invite_refused:{outcome.value}",
            )
            msgid = {
                staff.InviteError.UNKNOWN: N_("staff.invite_unknown"),
                staff.InviteError.USED: N_("staff.invite_used"),
                staff.InviteError.EXPIRED: N_("staff.invite_expired"),
                staff.InviteError.ALREADY_STAFF: N_("staff.invite_already"),
                staff.InviteError.OTHER_UPT: N_("staff.invite_other_upt"),
            }[outcome]
            return StaffResult(direct=[Direct(e.chat_id, Reply(msgid))])
        upt = await session.get_one(Upt, outcome.upt_id)
        staff.audit(session, f"staff:{outcome.id}", f"invite_used:{outcome.role}")
        if outcome.status == "active":
            await session.flush()
            await self.announcer.post_waiting(session, upt)
            reply = Reply(
                N_("staff.welcome_koordinator"),
                {"name": outcome.display_name, "upt": upt.name, "bot": self.bot_username},
            )
            return StaffResult(direct=[Direct(e.chat_id, reply)])
        for k in await staff.members(session, upt.id, role="koordinator"):
            await self.announcer.to_staff(
                session,
                k.telegram_user_id,
                Reply(
                    N_("staff.approval_request"),
                    {"name": outcome.display_name, "upt": upt.name},
                    [
                        [
                            Choice(casework.key("approve", outcome.id), N_("staff.approve")),
                            Choice(casework.key("reject", outcome.id), N_("staff.reject")),
                        ]
                    ],
                ),
            )
        reply = Reply(N_("staff.welcome_pending"), {"name": outcome.display_name, "upt": upt.name})
        return StaffResult(direct=[Direct(e.chat_id, reply)])

    async def _connect(self, session: AsyncSession, e: StaffEvent) -> StaffResult:
        member = await staff.active_membership(session, e.user_id)
        if member is None or member.role != "koordinator":
            staff.audit(session, _actor(member, self.keys, e.user_id), "connect_refused")
            return StaffResult(direct=[Direct(e.chat_id, Reply(N_("group.not_allowed")))])
        upt = await session.get_one(Upt, member.upt_id)
        upt.telegram_chat_id = e.chat_id
        staff.audit(session, f"staff:{member.id}", "group_connected", detail=upt.code)
        await session.flush()
        await self.announcer.post_waiting(session, upt)
        return StaffResult(
            direct=[Direct(e.chat_id, Reply(N_("group.connected"), {"upt": upt.name}))]
        )

    # --- buttons --------------------------------------------------------------------------

    async def _button(self, session: AsyncSession, e: StaffEvent) -> StaffResult:
        member = await staff.active_membership(session, e.user_id)
        parsed = casework.parse_key(e.text)
        actor = _actor(member, self.keys, e.user_id)
        if parsed is None or member is None:
            # Tie the refusal to the ticket when the press names a real one.
            about = None
            if parsed is not None and parsed.action not in ("approve", "reject", "share"):
                about = parsed.target if await session.get(Ticket, parsed.target) else None
            staff.audit(session, actor, "refused", about, detail=f"button {e.text[:40]!r}")
            return StaffResult(toast=Reply(N_("staff.not_allowed")))
        if parsed.action in ("approve", "reject"):
            return await self._approve(session, member, parsed)
        if parsed.action == "share":
            return await self._share(session, member, parsed)
        if parsed.action == "to":
            return await self._pick_destination(session, member, parsed, e)
        ticket = await session.get(Ticket, parsed.target)
        if ticket is None or not await staff.owns(session, member.upt_id, ticket.id):
            staff.audit(
                session,
                actor,
                "refused",
                ticket.id if ticket else None,
                detail=f"{parsed.action} on a ticket not owned",
            )
            return StaffResult(toast=Reply(N_("staff.not_allowed")))
        match parsed.action:
            case "claim":
                return await self._claim(session, member, ticket)
            case "status":
                return StaffResult(
                    direct=[
                        Direct(
                            e.chat_id,
                            casework.status_picker(ticket.id, ticket.status),
                            reply_to=e.message_id,
                        )
                    ]
                )
            case "set":
                return await self._set(session, member, ticket, parsed.arg, e)
            case "ask":
                if ticket.followup_stopped:
                    return StaffResult(toast=Reply(N_("staff.reporter_stopped_short")))
                return await self._prompt(
                    session, member, ticket, "question", e, N_("staff.ask_question")
                )
            case "note":
                return await self._prompt(session, member, ticket, "note", e, N_("staff.ask_note"))
            case "fwd":
                return await self._prompt(
                    session, member, ticket, "reroute", e, N_("staff.ask_destination")
                )
            case "img" | "imgok":
                return self._images(session, member, ticket, parsed.action, e)
            case "more":
                full = [
                    Reply(
                        N_("card.full_narrative"),
                        {
                            "case_number": ticket.case_number,
                            "narrative": ticket.narrative or Msg(N_("card.no_narrative")),
                        },
                    )
                ]
                if (ticket.details or {}).get("evidence"):
                    full.append(
                        Reply(
                            N_("card.full_evidence"),
                            {
                                "case_number": ticket.case_number,
                                "items": report_kept.full_evidence(ticket.details),
                            },
                        )
                    )
                return StaffResult(
                    direct=[Direct(e.chat_id, r, reply_to=e.message_id) for r in full]
                )
        return StaffResult(toast=Reply(N_("staff.not_allowed")))

    def _images(
        self, session: AsyncSession, member: Staff, ticket: Ticket, action: str, e: StaffEvent
    ) -> StaffResult:
        """A reporter's screenshots go only to the one holding the ticket, in their private
        chat, after a warning; sent protected (no forwarding or saving) and audited."""
        images = list((ticket.details or {}).get("images", []))
        actor = _actor(member, self.keys, e.user_id)
        if ticket.claimed_by_id != member.id or not images:
            staff.audit(session, actor, "refused", ticket.id, detail="images, not the holder")
            return StaffResult(toast=Reply(N_("staff.images_holder_only")))
        if action == "img" or e.chat_id != e.user_id:
            warning = Reply(
                N_("staff.images_warning"),
                {"case_number": ticket.case_number, "count": str(len(images))},
                [[Choice(casework.key("imgok", ticket.id), N_("staff.images_open"))]],
            )
            return StaffResult(
                toast=Reply(N_("staff.images_see_private")), direct=[Direct(e.user_id, warning)]
            )
        staff.audit(session, actor, "images_opened", ticket.id, detail=f"{len(images)} images")
        total = str(len(images))
        return StaffResult(
            direct=[
                Direct(
                    e.user_id,
                    Reply(
                        N_("staff.images_caption"),
                        {"n": str(n), "count": total, "case_number": ticket.case_number},
                    ),
                    photo=file_id,
                )
                for n, file_id in enumerate(images, start=1)
            ]
        )

    async def _approve(self, session: AsyncSession, member: Staff, k: StaffKey) -> StaffResult:
        target = await session.get(Staff, k.target)
        if (
            member.role != "koordinator"
            or target is None
            or target.upt_id != member.upt_id
            or target.status != "pending"
        ):
            staff.audit(session, f"staff:{member.id}", "refused", detail=f"{k.action} staff")
            return StaffResult(toast=Reply(N_("staff.not_allowed")))
        approved = k.action == "approve"
        await staff.set_status(session, target.id, "active" if approved else "revoked", member)
        staff.audit(
            session, f"staff:{member.id}", f"staff_{k.action}d", detail=f"staff:{target.id}"
        )
        await self.announcer.to_staff(
            session,
            target.telegram_user_id,
            Reply(N_("staff.approved") if approved else N_("staff.rejected")),
        )
        return StaffResult(toast=Reply(N_("staff.done")))

    async def _claim(self, session: AsyncSession, member: Staff, ticket: Ticket) -> StaffResult:
        if ticket.claimed_by_id is not None:
            holder = await session.get_one(Staff, ticket.claimed_by_id)
            return StaffResult(
                toast=Reply(N_("staff.already_claimed"), {"name": holder.display_name})
            )
        # Two people pressing Ambil at once: only the first update wins.
        won = await session.execute(
            update(Ticket)
            .where(Ticket.id == ticket.id, Ticket.claimed_by_id.is_(None))
            .values(claimed_by_id=member.id)
            .execution_options(synchronize_session=False)
        )
        if won.rowcount != 1:
            await session.refresh(ticket)
            holder = await session.get_one(Staff, ticket.claimed_by_id)
            return StaffResult(
                toast=Reply(N_("staff.already_claimed"), {"name": holder.display_name})
            )
        ticket.claimed_by_id = member.id
        if ticket.status == "baru":
            self._status(session, ticket, "diterima", member, None, False)
        staff.audit(session, f"staff:{member.id}", "claim", ticket.id)
        await self.announcer.refresh_cards(session, ticket)
        await self.announcer.notify_reporter(session, ticket, None)
        return StaffResult(toast=Reply(N_("staff.claimed")))

    async def _set(
        self, session: AsyncSession, member: Staff, ticket: Ticket, status: str, e: StaffEvent
    ) -> StaffResult:
        if status not in casework.next_statuses(ticket.status):
            return StaffResult(toast=Reply(N_("staff.status_not_allowed")))
        if status in casework.NEEDS_REASON:
            prompt = StaffPrompt(
                staff_id=member.id,
                ticket_id=ticket.id,
                chat_id=e.chat_id,
                action="reason",
                data={"status": status},
            )
            session.add(prompt)
            await session.flush()
            ask = Reply(
                N_("staff.ask_reason"),
                {
                    "status": Msg(STATUS_LABELS[status]),
                    "case_number": ticket.case_number,
                    "name": member.display_name,
                },
            )
            return StaffResult(
                direct=[
                    Direct(
                        e.chat_id, ask, force_reply=True, reply_to=e.message_id, prompt_id=prompt.id
                    )
                ]
            )
        if not await self._apply(session, member, ticket, status, None, False):
            return StaffResult(toast=Reply(N_("staff.status_not_allowed")))
        return StaffResult(toast=Reply(N_("staff.status_changed")))

    async def _prompt(
        self,
        session: AsyncSession,
        member: Staff,
        ticket: Ticket,
        action: str,
        e: StaffEvent,
        msgid: str,
    ) -> StaffResult:
        """Ask this staff member to type something, as a reply only they are asked for."""
        prompt = StaffPrompt(
            staff_id=member.id, ticket_id=ticket.id, chat_id=e.chat_id, action=action, data={}
        )
        session.add(prompt)
        await session.flush()
        ask = Reply(msgid, {"case_number": ticket.case_number, "name": member.display_name})
        return StaffResult(
            direct=[
                Direct(e.chat_id, ask, force_reply=True, reply_to=e.message_id, prompt_id=prompt.id)
            ]
        )

    async def _apply(
        self,
        session: AsyncSession,
        member: Staff,
        ticket: Ticket,
        status: str,
        reason: str | None,
        shareable: bool,
    ) -> bool:
        """False when someone else changed the status first (compare-and-set)."""
        current = ticket.status
        moved = await session.execute(
            update(Ticket)
            .where(Ticket.id == ticket.id, Ticket.status == current)
            .values(status=status)
            .execution_options(synchronize_session=False)
        )
        if moved.rowcount != 1:
            return False
        if ticket.claimed_by_id is None:
            ticket.claimed_by_id = member.id  # whoever moves it on holds it
        self._status(session, ticket, status, member, reason, shareable)
        staff.audit(session, f"staff:{member.id}", f"status:{status}", ticket.id)
        await self.announcer.refresh_cards(session, ticket)
        await self.announcer.notify_reporter(session, ticket, reason if shareable else None)
        if status == "selesai":
            await self.announcer.ask_feedback(session, ticket)
        return True

    def _status(
        self,
        session: AsyncSession,
        ticket: Ticket,
        status: str,
        member: Staff,
        reason: str | None,
        shareable: bool,
    ) -> None:
        now = utcnow()
        ticket.status, ticket.status_changed_at = status, now
        session.add(
            TicketEvent(
                ticket_id=ticket.id,
                kind="status",
                status=status,
                actor=f"staff:{member.id}",
                note=reason,
                shareable=shareable,
                created_at=now,
            )
        )

    # --- typed answers (ForceReply) -------------------------------------------------------

    async def _reply(self, session: AsyncSession, e: StaffEvent) -> StaffResult:
        member = await staff.active_membership(session, e.user_id)
        if member is None or e.reply_to is None:
            return StaffResult()
        prompt = await self._open_prompt(session, member, e)
        if prompt is None:
            return StaffResult()  # someone else's prompt, or group chatter: not for the bot
        text = e.text.strip()[:1000]
        if not text:
            return StaffResult()
        if not await staff.owns(session, member.upt_id, prompt.ticket_id):
            prompt.done_at = utcnow()  # the ticket moved on since the prompt was opened
            staff.audit(
                session,
                f"staff:{member.id}",
                "refused",
                prompt.ticket_id,
                detail=f"{prompt.action} after losing the ticket",
            )
            return StaffResult(direct=[Direct(e.chat_id, Reply(N_("staff.not_allowed")))])
        prompt.data = {**prompt.data, "text": text}
        if prompt.action == "question":
            prompt.done_at = utcnow()
            ticket = await session.get_one(Ticket, prompt.ticket_id)
            followup.add_message(session, ticket.id, "question", text, member.id)
            staff.audit(session, f"staff:{member.id}", "question", ticket.id)
            sent = await self.announcer.ask_reporter(session, ticket, text)
            done = N_("staff.question_sent") if sent else N_("staff.question_waits")
            return StaffResult(direct=[Direct(e.chat_id, Reply(done), reply_to=e.message_id)])
        if prompt.action == "reroute":
            return await self._destinations(session, prompt, text, e)
        if prompt.action == "reroute_reason":
            prompt.done_at = utcnow()
            ticket = await session.get_one(Ticket, prompt.ticket_id)
            target = await session.get_one(Upt, int(prompt.data["upt_id"]))
            if not await staff.owns(session, member.upt_id, ticket.id):
                return StaffResult(direct=[Direct(e.chat_id, Reply(N_("staff.not_allowed")))])
            await self._reroute(session, member, ticket, target, text)
            done = Reply(
                N_("staff.rerouted"), {"case_number": ticket.case_number, "upt": target.name}
            )
            return StaffResult(direct=[Direct(e.chat_id, done, reply_to=e.message_id)])
        if prompt.action == "note":
            prompt.done_at = utcnow()
            ticket = await session.get_one(Ticket, prompt.ticket_id)
            followup.add_message(session, ticket.id, "note", text, member.id)
            staff.audit(session, f"staff:{member.id}", "note", ticket.id)
            # Internal: shown to everyone holding the ticket, never to the reporter.
            await self.announcer.tell_staff(
                session,
                ticket,
                Reply(
                    N_("staff.note_posted"),
                    {"case_number": ticket.case_number, "name": member.display_name, "note": text},
                ),
            )
            return StaffResult()
        if prompt.action == "reason":
            ask = Reply(
                N_("staff.ask_share"),
                {},
                [
                    [
                        Choice(casework.key("share", prompt.id, "1"), N_("staff.share_yes")),
                        Choice(casework.key("share", prompt.id, "0"), N_("staff.share_no")),
                    ]
                ],
            )
            return StaffResult(direct=[Direct(e.chat_id, ask, reply_to=e.message_id)])
        return StaffResult()

    async def _destinations(
        self, session: AsyncSession, prompt: StaffPrompt, text: str, e: StaffEvent
    ) -> StaffResult:
        """UPTs for the typed place (its kab/kota unit, else its province's), plus national."""
        options: list[Upt] = []
        for place in self.announcer.places.search(text, limit=4):
            codes = [place.code] if place.level == "provinsi" else [place.code, place.code[:2]]
            for code in codes:
                upt = await session.scalar(select(Upt).where(Upt.region_code == code, Upt.active))
                if upt is not None:
                    break
            if upt is not None and upt not in options:
                options.append(upt)
        national = await session.scalar(select(Upt).where(Upt.level == "nasional", Upt.active))
        if national is not None and national not in options:
            options.append(national)
        ticket = await session.get_one(Ticket, prompt.ticket_id)
        rows = [
            [Choice(casework.key("to", prompt.id, str(u.id)), literal=u.name)]
            for u in options
            if u.id != ticket.upt_id
        ]
        reply = Reply(N_("staff.pick_destination"), {"case_number": ticket.case_number}, rows)
        return StaffResult(direct=[Direct(e.chat_id, reply, reply_to=e.message_id)])

    async def _pick_destination(
        self, session: AsyncSession, member: Staff, k: StaffKey, e: StaffEvent
    ) -> StaffResult:
        prompt = await session.get(StaffPrompt, k.target)
        target = await session.get(Upt, int(k.arg))
        if (
            prompt is None
            or prompt.staff_id != member.id
            or prompt.done_at is not None
            or prompt.action != "reroute"
            or target is None
        ):
            staff.audit(session, f"staff:{member.id}", "refused", detail="reroute pick")
            return StaffResult(toast=Reply(N_("staff.not_allowed")))
        prompt.done_at = utcnow()
        ticket = await session.get_one(Ticket, prompt.ticket_id)
        reason = StaffPrompt(
            staff_id=member.id,
            ticket_id=ticket.id,
            chat_id=e.chat_id,
            action="reroute_reason",
            data={"upt_id": target.id},
        )
        session.add(reason)
        await session.flush()
        ask = Reply(
            N_("staff.ask_reroute_reason"),
            {"case_number": ticket.case_number, "upt": target.name, "name": member.display_name},
        )
        return StaffResult(
            direct=[
                Direct(e.chat_id, ask, force_reply=True, reply_to=e.message_id, prompt_id=reason.id)
            ]
        )

    async def _reroute(
        self, session: AsyncSession, member: Staff, ticket: Ticket, target: Upt, reason: str
    ) -> None:
        """The ticket moves: every former holder loses its rights, its cards lose the story,
        and nothing still queued for them goes out. (The national channel keeps an urgent
        ticket, as at submission.)"""
        old = await session.get_one(Upt, ticket.upt_id)
        national = await session.scalar(select(Upt.id).where(Upt.level == "nasional"))
        keep = {target.id} | ({national} if ticket.urgent and national else set())
        owners = (
            await session.scalars(select(TicketOwner).where(TicketOwner.ticket_id == ticket.id))
        ).all()
        leaving = {o.upt_id for o in owners} - keep
        stripped = self.renderer.text(
            Reply(
                N_("card.rerouted"),
                {
                    "case_number": ticket.case_number,
                    "upt": target.name,
                    "name": member.display_name,
                },
            ),
            "id",
        )
        cards = (
            await session.scalars(
                select(TicketCard).where(
                    TicketCard.ticket_id == ticket.id, TicketCard.upt_id.in_(leaving)
                )
            )
        ).all()
        for card in cards:
            await outbox.enqueue(
                session,
                self.keys,
                chat_id=card.chat_id,
                method="editMessageText",
                payload=_message(stripped, None)
                | {"message_id": card.message_id, "reply_markup": {"inline_keyboard": []}},
                purpose="card_strip",
                ticket_id=ticket.id,
                upt_id=card.upt_id,
                is_group=card.chat_id < 0,
            )
            await session.delete(card)
        await outbox.cancel_for(session, ticket.id, leaving)
        for owner in owners:
            if owner.upt_id not in keep or owner.upt_id == target.id:
                await session.delete(owner)
        await session.flush()
        ticket.escalation_level = 0  # the SLA steps start again for the new unit…
        ticket.sla_from_at = utcnow()  # …from now
        session.add(TicketOwner(ticket_id=ticket.id, upt_id=target.id, kind="primary"))
        now = utcnow()
        # The receiving unit takes it afresh: it starts as new, held by nobody.
        ticket.upt_id, ticket.claimed_by_id = target.id, None
        ticket.status, ticket.status_changed_at = "baru", now
        session.add(
            TicketEvent(
                ticket_id=ticket.id,
                kind="rerouted",
                status="baru",
                upt_id=target.id,
                actor=f"staff:{member.id}",
                note=reason,
                created_at=now,
            )
        )
        staff.audit(
            session,
            f"staff:{member.id}",
            "reroute",
            ticket.id,
            detail=f"{old.code} -> {target.code}",
        )
        await self.announcer.post_cards(session, ticket, target)
        await self.announcer.to_reporter(
            session,
            ticket,
            Reply(N_("notice.rerouted"), {"case_number": ticket.case_number, "upt": target.name}),
            "notice",
        )

    async def _share(self, session: AsyncSession, member: Staff, k: StaffKey) -> StaffResult:
        prompt = await session.get(StaffPrompt, k.target)
        if (
            prompt is None
            or prompt.staff_id != member.id
            or prompt.done_at is not None
            or "text" not in prompt.data
            or k.arg not in ("0", "1")
        ):
            staff.audit(session, f"staff:{member.id}", "refused", detail="share")
            return StaffResult(toast=Reply(N_("staff.not_allowed")))
        ticket = await session.get_one(Ticket, prompt.ticket_id)
        status = prompt.data["status"]
        if status not in casework.next_statuses(ticket.status) or not await staff.owns(
            session, member.upt_id, ticket.id
        ):
            return StaffResult(toast=Reply(N_("staff.status_not_allowed")))
        prompt.done_at = utcnow()
        if not await self._apply(
            session, member, ticket, status, prompt.data["text"], k.arg == "1"
        ):
            return StaffResult(toast=Reply(N_("staff.status_not_allowed")))
        return StaffResult(toast=Reply(N_("staff.status_changed")))


def _actor(member: Staff | None, keys: Keys, user_id: int) -> str:
    # A stranger is named by a short keyed hash, never their Telegram id.
    return f"staff:{member.id}" if member else f"unknown:{keys.chat_key(user_id)[:8]}"


async def next_level(session: AsyncSession, upt: Upt) -> Upt | None:
    """Who stands behind a UPT: the province's UPTD PPA, then the national channel."""
    if upt.level == "kabkota" and upt.region_code:
        province = await session.scalar(
            select(Upt).where(
                Upt.level == "provinsi",
                Upt.active,
                Upt.region_code == upt.region_code.split(".")[0],
            )
        )
        if province is not None:
            return province
    if upt.level != "nasional":
        return await session.scalar(select(Upt).where(Upt.level == "nasional", Upt.active))
    return None


async def delivery_failed(session: AsyncSession, announcer: Announcer, row: OutboxMessage) -> None:
    """A message could never be delivered (bot removed from the group, reporter blocked it).

    A UPT that cannot be reached hands the ticket's card to the next level up; a reporter who
    cannot be reached is made known to the staff holding the ticket."""
    if row.ticket_id is None:
        return
    ticket = await session.get_one(Ticket, row.ticket_id)
    if row.purpose in ("notice", "question"):
        await announcer.tell_staff(
            session,
            ticket,
            Reply(N_("staff.reporter_unreachable"), {"case_number": ticket.case_number}),
        )
        return
    # Only a card that could not be posted means "this unit cannot be reached"; an edit of a
    # deleted message, or a unit that no longer holds the ticket, hands nothing on.
    if row.upt_id is None or row.purpose != "card":
        return
    if not await staff.owns(session, row.upt_id, ticket.id):
        return
    failed = await session.get_one(Upt, row.upt_id)
    backup = await next_level(session, failed)
    if backup is None or await staff.owns(session, backup.id, ticket.id):
        return  # the level above already holds it; nothing new to announce
    session.add(TicketOwner(ticket_id=ticket.id, upt_id=backup.id, kind="escalated"))
    session.add(
        TicketEvent(
            ticket_id=ticket.id,
            kind="escalated",
            upt_id=backup.id,
            note=f"{failed.code} unreachable",
        )
    )
    await announcer.post_cards(session, ticket, backup)


async def announce_new_ticket(
    session: AsyncSession, announcer: Announcer, ticket: Ticket, upt: Upt
) -> int:
    """Cards for the routed UPT; an urgent ticket also goes to the national channel at once.
    Returns how many cards were queued."""
    queued = await announcer.post_cards(session, ticket, upt)
    if ticket.urgent and upt.level != "nasional":
        national = await session.scalar(select(Upt).where(Upt.level == "nasional", Upt.active))
        if national is not None:
            session.add(TicketOwner(ticket_id=ticket.id, upt_id=national.id, kind="escalated"))
            session.add(TicketEvent(ticket_id=ticket.id, kind="escalated", upt_id=national.id))
            queued += await announcer.post_cards(session, ticket, national)
    return queued
