"""What the reporter's flows ask of the world, and what each request needs of the database.

`REGISTRY` is the one place that says it: an effect needs nothing but memory, a read outside
any transaction, or the update's unit of work. The update's path (handlers/reporter/update.py)
opens that unit of work only for an effect that needs it.
"""

from __future__ import annotations

import enum
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from flows import conversation, report_kept, report_questions
from flows.casework import CLOSED
from flows.codes import new_code, parse_code
from flows.core import N_, Effect, EffectResult, Reply, State
from flows.daily import DAY, recent_reports
from flows.place import PAGE_SIZE
from handlers.casework.announce import Announcer, announce_new_ticket
from handlers.rate_limit import Limiter
from handlers.reporter.update import Update, Work
from storage import followup, linked, tickets
from storage.conversations import ConversationStore
from storage.crypto import Keys
from storage.models import Ticket, TicketEvent
from storage.places import Place, PlaceIndex

WIPE_MAX_MESSAGES = 1000  # how far back "Hapus percakapan" reaches (10 deleteMessages calls)
WIPE_AHEAD = 30


class Need(enum.Enum):
    MEMORY = "memory"  # nothing from the database (places, the chat after the commit)
    READ = "read"  # a read outside any transaction (it may still ask for one itself)
    WRITE = "write"  # the update's unit of work


@dataclass(frozen=True, slots=True)
class Call:
    """One effect being carried out: its arguments and the update it belongs to."""

    args: Mapping[str, Any]
    update: Update
    session: AsyncSession | None  # open when the effect needs WRITE (or one was opened)
    work: Work
    state: State
    message_id: int | None

    @property
    def ref(self) -> str:
        return self.update.ref


Handler = Callable[["ReporterEffects", Call], Awaitable[EffectResult | None]]
REGISTRY: dict[str, tuple[Need, Handler]] = {}


def effect(name: str, need: Need) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        REGISTRY[name] = (need, handler)
        return handler

    return register


class ReporterEffects:
    def __init__(
        self,
        keys: Keys,
        places: PlaceIndex,
        store: ConversationStore,
        status_limit: Limiter,
        announcer: Announcer | None,
        default_locale: str,
        *,
        reports_per_day: int = 5,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.reports_per_day, self.wall = reports_per_day, wall
        self.keys, self.places, self.store = keys, places, store
        self.status_limit, self.announcer = status_limit, announcer
        self.default_locale = default_locale

    async def run(
        self, effect: Effect, update: Update, work: Work, state: State, message_id: int | None
    ) -> EffectResult | None:
        if effect.name not in REGISTRY:
            raise ValueError(f"unknown effect {effect.name!r}")
        need, handler = REGISTRY[effect.name]
        session = await update.transaction() if need is Need.WRITE else update.session
        return await handler(self, Call(effect.args, update, session, work, state, message_id))

    async def reissue_code(
        self, session: AsyncSession, state: State, work: Work, typed: str
    ) -> State:
        """The last code was sent, but its arrival was never recorded. A code of that ticket
        typed back proves it arrived; otherwise the ticket is offered a fresh one, and the
        code the reporter may hold keeps working until the fresh one is known to arrive."""
        ticket_id = int(state["pending_code"])
        shown = parse_code(typed.strip()) if typed else None
        if isinstance(shown, str):
            shown_hash = self.keys.code_hash(shown)
            if await tickets.holds_code(session, ticket_id, shown_hash):
                await tickets.confirm_code(session, ticket_id, shown_hash)
                return dict(state, pending_code=None)
        code = new_code()
        case_number = await tickets.offer_code(session, ticket_id, self.keys.code_hash(code))
        work.pending_ticket, work.reissued = ticket_id, True
        out = conversation.step(
            state, EffectResult("code_reissued", {"code": code, "case_number": case_number})
        )
        work.replies += out.replies
        return out.state

    # --- memory ----------------------------------------------------------------------------

    @effect("delete_input", Need.MEMORY)
    async def _delete_input(self, c: Call) -> None:
        c.work.delete_input = True

    @effect("find_places", Need.MEMORY)
    async def _find_places(self, c: Call) -> EffectResult:
        found = self.places.search(c.args["query"])
        return _places("search", found, query=c.args["query"])

    @effect("find_districts", Need.MEMORY)
    async def _find_districts(self, c: Call) -> EffectResult:
        found = self.places.search_districts(c.args["regency"], c.args["query"])
        return _places("dsearch", found, query=c.args["query"], parent=c.args["regency"])

    @effect("list_places", Need.MEMORY)
    async def _list_places(self, c: Call) -> EffectResult:
        parent, page = c.args["parent"], int(c.args["page"])
        if parent is None:
            items, mode, label = self.places.provinces(), "list", ""
        elif "." not in parent:
            items, mode = self.places.regencies(parent), "list"
            province = self.places.get(parent)
            label = province.name if province else parent
        else:
            items, mode, label = self.places.districts(parent), "dlist", ""
        pages = max(1, -(-len(items) // PAGE_SIZE))
        page = min(max(page, 0), pages - 1)
        chunk = items[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
        return _places(mode, chunk, parent=parent, parent_label=label, page=page, pages=pages)

    @effect("wipe_chat", Need.MEMORY)
    async def _wipe_chat(self, c: Call) -> EffectResult:
        last = max(int(c.state.get("last_msg") or 0), c.message_id or 0)
        first = max(int(c.state.get("first_msg") or last), last - WIPE_MAX_MESSAGES, 1)
        # The upper end leaves room for the bot's answers after the newest message seen;
        # ids that do not exist are skipped by Telegram.
        c.work.wipe = range(first, last + WIPE_AHEAD + 1) if last else None
        return EffectResult("wiped", {})

    # --- reads -------------------------------------------------------------------------------

    @effect("lookup_status", Need.READ)
    async def _lookup_status(self, c: Call) -> EffectResult:
        wait = await self.status_limit.allow(c.ref)
        if wait:
            return EffectResult("status", {"rate_limited": True, "retry_in": max(1, round(wait))})
        code_hash = self.keys.code_hash(c.args["code"])
        if c.session is None:
            view, unshown = await self.store.status_now(code_hash)
        else:
            view, unshown = await tickets.status_by_code(c.session, code_hash), True
        if view is None:
            return EffectResult("status", {"found": False})
        questions: list[str] = []
        if unshown:
            # Showing a waiting question marks it shown: a write.
            session = await c.update.transaction()
            questions = await followup.take_unshown_questions(session, view.ticket_id)
        return _status(view, questions)

    # --- writes ------------------------------------------------------------------------------

    @effect("submit_report", Need.WRITE)
    async def _submit(self, c: Call) -> EffectResult:
        assert c.session is not None
        now = int(self.wall())
        sent = recent_reports(c.state, now)
        if len(sent) >= self.reports_per_day:
            # Kept with the conversation, so a restart forgets nothing; the draft stays.
            hours = max(1, math.ceil((sent[0] + DAY - now) / 3600))
            return EffectResult("submit_limited", {"hours": hours})
        draft = c.args["draft"]
        a = draft["a"]
        where = a.get("place") or {}
        district = a.get("district") or {}
        code = new_code()
        done = await tickets.submit(
            c.session,
            tickets.Submission(
                draft_key=draft["id"],
                reporter_role=a["role"],
                category=a.get("category") or "lainnya",
                urgent=report_questions.is_urgent(a),
                region_code=where.get("code"),
                district_code=district.get("code"),
                occurred=a.get("when") or "tidak_tahu",
                narrative=a.get("narrative") or "",
                details=report_kept.details(a),
                locale=c.state.get("locale") or self.default_locale,
                reporter_chat_id=c.work.chat_id if a.get("updates") == "ya" else None,
            ),
            code_hash=self.keys.code_hash(code),
            reporter_ref=c.ref,
            db=c.update.db,
        )
        # Its accounts, links and numbers, so reports naming the same ones are found together.
        linked.index(c.session, self.keys, done.ticket_id, done.ticket.details)
        if self.announcer is not None:
            queued = await announce_new_ticket(c.session, self.announcer, done.ticket, done.upt)
            # Holders of open tickets naming the same account hear of this one.
            if queued + await self.announcer.tell_linked(c.session, done.ticket):
                c.work.queued = True
        c.work.pending_ticket = done.ticket_id
        return EffectResult(
            "submitted",
            {
                "code": code,
                "case_number": done.case_number,
                "upt_name": done.upt_name,
                "connected": done.connected,
                "national": done.upt.level == "nasional",
                "counsel": a.get("purpose") == "bicara" and not report_questions.is_urgent(a),
                "sent_at": [*sent, now],
            },
        )

    @effect("open_followup", Need.WRITE)
    async def _open_followup(self, c: Call) -> EffectResult:
        """Only this reporter's own ticket (or one just opened with its code) may be answered."""
        assert c.session is not None
        ticket = await c.session.get(Ticket, int(c.args["ticket_id"]))
        allowed = ticket is not None and (
            c.args.get("unlocked") or await followup.reporter_owns(c.session, c.ref, ticket.id)
        )
        if ticket is None or not allowed:
            return EffectResult("followup", {"ok": False})
        if c.args.get("stop"):
            ticket.followup_stopped = True
            c.session.add(
                TicketEvent(ticket_id=ticket.id, kind="followup_stopped", actor="reporter")
            )
            await self._tell_staff(c, ticket, N_("staff.reporter_stopped"))
            return EffectResult(
                "followup", {"ok": True, "stopped": True, "case_number": ticket.case_number}
            )
        if ticket.followup_stopped or ticket.status in CLOSED:
            return EffectResult("followup", {"ok": False})
        return EffectResult(
            "followup", {"ok": True, "ticket_id": ticket.id, "case_number": ticket.case_number}
        )

    @effect("erase_reporter", Need.WRITE)
    async def _erase(self, c: Call) -> EffectResult:
        """/hapus: this account is unlinked from its tickets, which stay with the UPT."""
        assert c.session is not None
        c.work.erased = True
        chat = c.work.chat_id
        chat_key = self.keys.chat_key(chat) if chat is not None else None
        ticket_ids = await followup.unlink_reporter(c.session, c.ref, chat_key)
        for ticket_id in ticket_ids:
            ticket = await c.session.get_one(Ticket, ticket_id)
            await self._tell_staff(c, ticket, N_("staff.reporter_erased"))
        return EffectResult("erased", {"tickets": len(ticket_ids)})

    @effect("rate_service", Need.WRITE)
    async def _rate(self, c: Call) -> EffectResult:
        """Only the reporter's own closed ticket, and only once."""
        assert c.session is not None
        ticket = await c.session.get(Ticket, int(c.args["ticket_id"]))
        if (
            ticket is None
            or ticket.status != "selesai"
            or ticket.feedback_score is not None
            or not await followup.reporter_owns(c.session, c.ref, ticket.id)
        ):
            return EffectResult("rated", {"ok": False})
        ticket.feedback_score = int(c.args["score"])
        c.session.add(TicketEvent(ticket_id=ticket.id, kind="feedback", actor="reporter"))
        return EffectResult("rated", {"ok": True, "ticket_id": ticket.id})

    @effect("feedback_comment", Need.WRITE)
    async def _comment(self, c: Call) -> EffectResult:
        assert c.session is not None
        ticket = await c.session.get_one(Ticket, int(c.args["ticket_id"]))
        ticket.feedback_comment = c.args["text"]
        return EffectResult("commented", {})

    @effect("relay_answer", Need.WRITE)
    async def _relay_answer(self, c: Call) -> EffectResult:
        assert c.session is not None
        ticket = await c.session.get_one(Ticket, c.args["ticket_id"])
        followup.add_message(c.session, ticket.id, "answer", c.args["text"])
        # Answered, by Balas or by Tambah informasi: /status does not ask it again.
        await followup.mark_questions_answered(c.session, ticket.id)
        told = await self._tell_staff(c, ticket, N_("staff.answer_relayed"), answer=c.args["text"])
        return EffectResult("relayed", {"case_number": ticket.case_number, "received": told > 0})

    async def _tell_staff(self, c: Call, ticket: Ticket, msgid: str, **params: str) -> int:
        """How many staff chats were told (0: nobody holding the ticket is connected yet)."""
        if self.announcer is None:
            return 0
        assert c.session is not None
        reply = Reply(msgid, {"case_number": ticket.case_number, **params})
        told = await self.announcer.tell_staff(c.session, ticket, reply)
        c.work.queued = True
        return told


def _status(view: tickets.StatusView, questions: list[str]) -> EffectResult:
    return EffectResult(
        "status",
        {
            "found": True,
            "ticket_id": view.ticket_id,
            "questions": questions,
            "can_followup": not view.followup_stopped and view.status not in CLOSED,
            "case_number": view.case_number,
            "status": view.status,
            "upt_name": view.upt_name,
            "timezone": view.timezone,
            "changed_at": view.changed_at.isoformat(),
            "victim": view.victim,
        },
    )


def _places(mode: str, found: list[Place], **extra: Any) -> EffectResult:
    items = [[p.code, p.label(), p.level] for p in found]
    return EffectResult("places", {"mode": mode, "items": items, **extra})
