"""Everything owed to someone other than the acting person, written into the outbox in the
caller's unit of work (never sent from here): cards and their edits, relays to the units
holding a ticket, reporter notices, staff messages, ForceReply prompts."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession

from flows import casework, register, report_kept
from flows.casework import STATUS_LABELS, notices
from flows.core import N_, Msg, Param, Reply, Stamp
from flows.outbound import Delete, Edit, Op, Send
from flows.report_questions import CATEGORY_LABELS, STAFF_ROLE_LABELS, WHEN_LABELS
from flows.text import clean
from storage import cards, linked, outbox, owners, prompts, staff, units
from storage.crypto import Keys
from storage.models import OutboxMessage, Staff, StaffPrompt, Ticket, TicketCard, Upt
from storage.places import PlaceIndex

STAFF_LOCALE = "id"  # UPT staff read Indonesian
TOLD_LINKED = 3  # open tickets whose holders hear of a new report naming the same account


def _linked_line(links: linked.SeenBy | None) -> Param:
    """ "This account/link is in N other reports", naming those the unit may see."""
    if links is None or not links.total:
        return ""
    if not links.cases:
        return Msg(N_("card.linked_counted"), {"count": str(links.total)})
    return Msg(N_("card.linked"), {"count": str(links.total), "cases": ", ".join(links.cases)})


class Announcer:
    def __init__(self, keys: Keys, places: PlaceIndex) -> None:
        self.keys, self.places = keys, places

    def card(
        self, ticket: Ticket, upt: Upt, holder: Staff | None, links: linked.SeenBy | None = None
    ) -> Reply:
        where = self.places.get(ticket.district_code or ticket.region_code or "")
        place: Param = Msg(N_("summary.unknown_place"))
        if where is not None:
            region = self.places.get(ticket.region_code or "")
            place = (
                where.label()
                if where.level != "kecamatan" or region is None
                else (f"{region.label()} — {where.label()}")
            )
        # Not "Lainnya"/"Tidak tahu" for what a shorter path never asked.
        not_asked = Msg(N_("card.not_asked"))
        unasked = {k: not_asked for k in (ticket.details or {}).get("unasked", ())}
        params: dict[str, Param] = {
            "urgent": Msg(N_("card.urgent") if ticket.urgent else ""),
            "case_number": ticket.case_number,
            "category": unasked.get("category")
            or Msg(CATEGORY_LABELS.get(ticket.category, ticket.category)),
            "role": Msg(STAFF_ROLE_LABELS.get(ticket.reporter_role, ticket.reporter_role)),
            "place": place,
            "when": unasked.get("when") or Msg(WHEN_LABELS.get(ticket.occurred, ticket.occurred)),
            "received_at": Stamp(ticket.created_at.isoformat(), upt.timezone),
            "details": report_kept.detail_rows(ticket.details or {}),
            # Cleaned as it is typed; again here for what was stored before that.
            "narrative": clean(ticket.narrative or "") or Msg(N_("card.no_narrative")),
            "status": Msg(STATUS_LABELS[ticket.status]),
            "holder": holder.display_name if holder else Msg(N_("card.unclaimed")),
            "linked": _linked_line(links),
        }
        details = ticket.details or {}
        images = len(details.get("images", []))
        cut = report_kept.evidence_cut(details)
        claimed = ticket.claimed_by_id is not None
        return casework.card(ticket.id, params, ticket.status, images, cut, claimed)

    @staticmethod
    async def _links(session: AsyncSession, ticket: Ticket, upt: Upt) -> linked.SeenBy:
        return await linked.seen_by(session, ticket.id, upt.id)

    async def _holder(self, session: AsyncSession, ticket: Ticket) -> Staff | None:
        return await session.get(Staff, ticket.claimed_by_id) if ticket.claimed_by_id else None

    async def post_cards(self, session: AsyncSession, ticket: Ticket, upt: Upt) -> int:
        """The unit's group gets the card; a unit without one, each active member privately."""
        if upt.telegram_chat_id is not None:
            targets = [upt.telegram_chat_id]
        else:
            targets = [m.telegram_user_id for m in await staff.members(session, upt.id)]
        if not targets:
            return 0  # nobody to show it to yet: nothing to build
        holder, links = await self._holder(session, ticket), await self._links(session, ticket, upt)
        card = Send((self.card(ticket, upt, holder, links),), protect=True)
        for chat_id in targets:
            await self._about(session, ticket, upt.id, chat_id, card, "card", ticket.urgent)
        return len(targets)

    async def post_waiting(self, session: AsyncSession, upt: Upt) -> int:
        """Tickets this unit holds that were never shown to anyone there: post them now."""
        waiting = await cards.waiting_tickets(session, upt.id)
        for ticket in waiting:
            await self.post_cards(session, ticket, upt)
        return len(waiting)

    async def refresh_cards(self, session: AsyncSession, ticket: Ticket) -> None:
        """Every card of the ticket edits itself to the new state: each posted one by its
        message id (a reminder card leaves no stale Ambil behind), a queued one once it is out."""
        holder = await self._holder(session, ticket)
        allowed = await cards.places(session, ticket.id)  # never a revoked member's chat
        posted = [
            c for c in await cards.posted(session, ticket.id) if (c.upt_id, c.chat_id) in allowed
        ]
        targets = [(c.upt_id, c.chat_id, c.message_id) for c in posted]
        done = {(c.upt_id, c.chat_id) for c in posted}
        targets += [
            (upt_id, chat_id, None) for upt_id, chat_id in allowed if (upt_id, chat_id) not in done
        ]
        for upt_id, chat_id, message_id in targets:
            upt = await session.get_one(Upt, upt_id)
            links = await self._links(session, ticket, upt)
            edit = Edit(self.card(ticket, upt, holder, links), message_id)
            await self._about(session, ticket, upt_id, chat_id, edit, "card_edit")

    async def strip_cards(
        self, session: AsyncSession, ticket: Ticket, upt_ids: set[int], reply: Reply
    ) -> None:
        """The units lost the ticket: their cards lose the story and the buttons, and are
        forgotten; nothing still queued for them about it goes out."""
        stripped = await cards.posted(session, ticket.id, upt_ids)
        await self._strip(session, stripped, lambda _: Reply(reply.msgid, reply.params))
        await outbox.cancel_for(session, ticket.id, upt_ids)
        # What the units were shown besides the card (the whole story, relayed answers and
        # notes) is taken back too.
        for chat_id, message_id in await outbox.shown_about(session, ticket.id, upt_ids):
            await self._about_chat(session, ticket, chat_id, Delete(message_id))

    async def post_story(
        self,
        session: AsyncSession,
        ticket: Ticket,
        upt_id: int,
        chat_id: int,
        replies: list[Reply],
        reply_to: int | None,
    ) -> None:
        """The whole story, answering the card it was asked for; each message is recorded, so
        it can be taken back should the ticket leave the unit."""
        for reply in replies:
            story = Send((reply,), reply_to=reply_to, protect=True)
            await self._about(session, ticket, upt_id, chat_id, story, "story")

    async def strip_chat(self, session: AsyncSession, chat_id: int) -> int:
        """Someone lost access: every card in their private chat loses the story and the
        buttons and is forgotten. Returns how many."""
        stripped = await cards.in_chat(session, chat_id)
        await self._strip(session, stripped, lambda t: notices.card_access_ended(t.case_number))
        return len(stripped)

    async def leave_group(self, session: AsyncSession, upt: Upt, old: int) -> None:
        """The unit moved to another group: the old group's cards lose the story and the
        buttons, its open prompts are closed, and it is told once that it no longer serves."""
        stripped = [c for c in await cards.in_chat(session, old) if c.upt_id == upt.id]
        await self._strip(session, stripped, lambda t: notices.card_moved(t.case_number))
        await prompts.close_in_chat(session, old)
        await self.to_staff(session, old, notices.group_left(upt.name))

    async def _strip(
        self, session: AsyncSession, stripped: list[TicketCard], says: Callable[[Ticket], Reply]
    ) -> None:
        """Each card becomes `says(ticket)`: no story, no buttons (a reply without choices),
        and is forgotten, so nothing edits it back."""
        for card in stripped:
            ticket = await session.get_one(Ticket, card.ticket_id)
            edit = Edit(says(ticket), card.message_id)
            await self._about(session, ticket, card.upt_id, card.chat_id, edit, "card_strip")
        await cards.forget(session, stripped)

    async def tell_staff(self, session: AsyncSession, ticket: Ticket, reply: Reply) -> int:
        """A message for everyone holding the ticket, threaded under its card; how many chats
        it goes to (none while no unit holding it has anyone connected)."""
        relay = Send((Reply(reply.msgid, reply.params),), under_card=True, protect=True)
        places = await cards.places(session, ticket.id)
        for upt_id, chat_id in places:
            await self._about(session, ticket, upt_id, chat_id, relay, "relay")
        return len(places)

    async def tell_linked(self, session: AsyncSession, ticket: Ticket) -> int:
        """A new ticket names an account or link that open tickets also name: the holders of
        the newest few hear it in one line, with the new case number if every unit of theirs
        may see the new ticket. How many chats were told."""
        new_owners = await owners.owner_ids(session, ticket.id)
        told = 0
        for other in await linked.open_linked(session, ticket.id, TOLD_LINKED):
            if await owners.owner_ids(session, other.id) <= new_owners:
                params = {"case_number": other.case_number, "new": ticket.case_number}
                reply = Reply(N_("staff.linked_report"), params)
            else:
                reply = Reply(N_("staff.linked_elsewhere"), {"case_number": other.case_number})
            told += await self.tell_staff(session, other, reply)
        return told

    async def _about_chat(
        self, session: AsyncSession, ticket: Ticket, chat_id: int, op: Op
    ) -> None:
        """Housekeeping in a chat that no longer holds the ticket (no unit: never cancelled)."""
        await outbox.enqueue(
            session,
            self.keys,
            chat_id=chat_id,
            op=op,
            purpose="takeback",
            locale=STAFF_LOCALE,
            ticket_id=ticket.id,
            is_group=chat_id < 0,
        )

    async def _about(
        self,
        session: AsyncSession,
        ticket: Ticket,
        upt_id: int,
        chat_id: int,
        op: Op,
        purpose: str,
        urgent: bool = False,
    ) -> None:
        """A message about the ticket for one of its units' chats (a group, or a member's
        private chat)."""
        await outbox.enqueue(
            session,
            self.keys,
            chat_id=chat_id,
            op=op,
            purpose=purpose,
            locale=STAFF_LOCALE,
            ticket_id=ticket.id,
            upt_id=upt_id,
            is_group=chat_id < 0,
            urgent=urgent,
        )

    async def to_reporter(
        self, session: AsyncSession, ticket: Ticket, replies: list[Reply], purpose: str
    ) -> bool:
        """One message for the reporter, in their language; False when they asked for no
        updates (or were erased): no chat to send to. Whether they should be told at all is
        the flow's decision (flows/casework/)."""
        if not ticket.reporter_chat_id:
            return False
        if register.is_victim(ticket.reporter_role):
            replies = register.kamu_words(replies)  # "kamu" to the end, as in their chat
        await outbox.enqueue(
            session,
            self.keys,
            chat_id=int(ticket.reporter_chat_id),
            op=Send(tuple(replies)),
            purpose=purpose,
            locale=ticket.locale,
            ticket_id=ticket.id,
        )
        return True

    async def to_staff(
        self, session: AsyncSession, chat_id: int, reply: Reply, purpose: str = "staff"
    ) -> None:
        await outbox.enqueue(
            session,
            self.keys,
            chat_id=chat_id,
            op=Send((reply,)),
            purpose=purpose,
            locale=STAFF_LOCALE,
            is_group=chat_id < 0,
        )

    async def prompt(
        self, session: AsyncSession, prompt: StaffPrompt, reply: Reply, reply_to: int | None
    ) -> None:
        """A ForceReply for one person, answering the message they pressed; the delivery
        worker records its message id on the prompt (storage/outbox.py mark_sent)."""
        # Text only: a prompt's keyboard is the one that forces the answer.
        ask = Send((Reply(reply.msgid, reply.params),), reply_to=reply_to, force_reply=True)
        await outbox.enqueue(
            session,
            self.keys,
            chat_id=prompt.chat_id,
            op=ask,
            purpose=prompts.PURPOSE,
            locale=STAFF_LOCALE,
            prompt_id=prompt.id,
            ticket_id=prompt.ticket_id,
            is_group=prompt.chat_id < 0,
        )


async def announce_new_ticket(
    session: AsyncSession, announcer: Announcer, ticket: Ticket, upt: Upt
) -> int:
    """Cards for the routed UPT; an urgent ticket also goes to the national channel at once.
    Returns how many cards were queued."""
    queued = await announcer.post_cards(session, ticket, upt)
    if ticket.urgent and upt.level != "nasional":
        national = await units.national_upt(session)
        if national is not None:
            owners.add_owner(session, ticket.id, national.id, "escalated")
            queued += await announcer.post_cards(session, ticket, national)
    return queued


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
    if not await owners.owns(session, row.upt_id, ticket.id):
        return
    if not row.is_group and await cards.reached_someone(session, ticket.id, row.upt_id, row.id):
        return  # one member blocked the bot; the unit is reached through the others
    failed = await session.get_one(Upt, row.upt_id)
    backup = await units.next_level(session, failed)
    if backup is None or await owners.owns(session, backup.id, ticket.id):
        return  # the level above already holds it; nothing new to announce
    note = f"{failed.code} unreachable"
    owners.add_owner(session, ticket.id, backup.id, "escalated", note=note)
    await announcer.post_cards(session, ticket, backup)
