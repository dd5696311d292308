"""One update's handling, whatever runtime it came from: load state, run the flow, carry out
its effects against storage, save, commit once, then hand the replies to the runtime to send.

Runtimes (aiogram, the terminal shell) translate their events into `Incoming` and give a
`send` callable; they never touch storage or flows themselves.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from flows import conversation, report
from flows.casework import CLOSED
from flows.codes import new_code
from flows.core import N_, Effect, EffectResult, Input, Outcome, Reply, State
from flows.place import PAGE_SIZE
from handlers.locks import KeyedLocks
from handlers.staff_service import Announcer, announce_new_ticket
from storage import conversations as convo_store
from storage import followup, tickets
from storage.crypto import Keys
from storage.db import Database
from storage.models import Ticket, TicketEvent
from storage.places import Place, PlaceIndex

log = logging.getLogger(__name__)

MAX_EFFECT_ROUNDS = 8  # a flow that keeps asking for effects is a bug; stop rather than spin
WIPE_MAX_MESSAGES = 1000  # how far back "Hapus percakapan" reaches (10 deleteMessages calls)
WIPE_AHEAD = 30
# Effects that write nothing to the database: an update asking only for these can be saved
# in one statement (ReporterService._handle_in_one_statement).
PURE_EFFECTS = frozenset(
    {"delete_input", "find_places", "find_districts", "list_places", "wipe_chat"}
)


@dataclass(frozen=True, slots=True)
class Incoming:
    user_id: int
    input: Input
    update_id: int | None = None
    message_id: int | None = None
    language_code: str | None = None
    chat_id: int | None = None  # kept (encrypted) only if the reporter asks for updates


@dataclass(slots=True)
class Response:
    replies: list[Reply]
    locale: str
    delete_input: bool = False
    # True when a reply carries a fresh ticket code: it must be delivered or be re-issued.
    carries_code: bool = False
    # "Hapus percakapan": message ids of this private chat to delete, both sides, first.
    wipe: range | None = None


SendFn = Callable[[Response], Awaitable[bool]]


class RateLimiter:
    """At most `limit` events per `window` seconds per key (kept in memory only)."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float]) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self._events: dict[str, deque[float]] = {}

    def check(self, key: str) -> float:
        """0 when allowed (and counted); else seconds until the next is allowed."""
        now = self.clock()
        events = self._events.setdefault(key, deque())
        while events and now - events[0] >= self.window:
            events.popleft()
        if len(events) >= self.limit:
            return self.window - (now - events[0])
        events.append(now)
        if len(self._events) > 10_000:  # drop keys idle for a whole window: memory stays flat
            self._events = {
                k: v for k, v in self._events.items() if v and now - v[-1] < self.window
            }
        return 0.0

    def uncount(self, key: str) -> None:
        """Take back the last event counted for the key (it will be counted again)."""
        events = self._events.get(key)
        if events:
            events.pop()


@dataclass(slots=True)
class _Work:
    """What one update's handling accumulates before it is sent."""

    replies: list[Reply] = field(default_factory=list)
    delete_input: bool = False
    pending_ticket: int | None = None
    chat_id: int | None = None
    locale: str | None = None
    erased: bool = False
    wipe: range | None = None
    state: State | None = None  # as saved: what _code_delivered writes back
    queued: bool = False  # something went into the outbox: wake the delivery worker


class ReporterService:
    def __init__(
        self,
        db: Database,
        keys: Keys,
        places: PlaceIndex,
        *,
        default_locale: str = "id",
        status_per_minute: int = 5,
        clock: Callable[[], float] = time.monotonic,
        announcer: Announcer | None = None,
        wake: Callable[[], None] = lambda: None,
    ) -> None:
        self.db, self.keys, self.places = db, keys, places
        self.announcer, self.wake = announcer, wake
        self.default_locale = default_locale
        self.locks = KeyedLocks()
        self.status_limit = RateLimiter(status_per_minute, 60.0, clock)

    async def handle(self, inc: Incoming, send: SendFn) -> None:
        ref = self.keys.reporter_ref(inc.user_id)
        async with self.locks.hold(ref):
            try:
                work = await self._handle_with_retry(ref, inc)
            except Exception as e:  # noqa: BLE001 - the person must hear something, always
                # Nothing was committed, so the draft is as it was before this update.
                log.error("an update failed (%s); the draft is untouched", type(e).__name__)
                await send(Response([Reply(N_("conv.error"))], self.default_locale))
                return
            if work is None:
                return
            locale = work.locale or self.default_locale
            sent = await send(
                Response(
                    work.replies,
                    locale,
                    delete_input=work.delete_input,
                    carries_code=work.pending_ticket is not None,
                    wipe=work.wipe,
                )
            )
            if work.pending_ticket is not None and sent:
                await self._code_delivered(ref, work.state)

    async def _handle_with_retry(self, ref: str, inc: Incoming) -> _Work | None:
        if not self.db.is_sqlite and inc.update_id is not None:
            try:
                return await self._handle_in_one_statement(ref, inc)
            except _NeedsTransaction:
                pass  # nothing was written: the unit of work below does it all again
        try:
            return await self._handle_once(ref, inc)
        except IntegrityError:
            # Another process did the same work first (same update or same draft): run again
            # on fresh state, which now sees that work as done.
            log.info("concurrent write on one conversation; retrying the update")
            return await self._handle_once(ref, inc)

    async def _handle_in_one_statement(self, ref: str, inc: Incoming) -> _Work | None:
        """Most updates only move the conversation on (an answer, a page of places). On
        PostgreSQL those read the state without a transaction and then claim the update and
        save the state in one atomic statement: two round trips instead of five. Anything
        that writes more raises _NeedsTransaction before a byte is written."""
        assert inc.update_id is not None
        # A connection is held per statement, not while the flow runs.
        async with self.db.single_statements() as conn:
            seen, state = await convo_store.peek(conn, inc.update_id, ref)
        if seen:
            return None  # a redelivered update: its work is already committed
        if state and state.get("pending_code"):
            raise _NeedsTransaction
        work = _Work(chat_id=inc.chat_id)
        state = _prepared(state, inc)
        out = conversation.step(state, inc.input)
        out = await self._run_effects(None, ref, out, work, inc)
        out.state["pending_code"] = None
        work.locale = out.state.get("locale")
        async with self.db.single_statements() as conn:
            if not await convo_store.claim_and_save(conn, inc.update_id, ref, out.state):
                return None  # handled meanwhile by another process
        return work

    async def _handle_once(self, ref: str, inc: Incoming) -> _Work | None:
        async with self.db.unit_of_work() as session:
            if inc.update_id is None:
                state = await convo_store.load_state(session, ref)
            else:
                fresh, state = await convo_store.claim_and_load(session, inc.update_id, ref)
                if not fresh:
                    return None  # a redelivered update: its work is already committed
            work = _Work(chat_id=inc.chat_id)
            state = _prepared(state, inc)
            if state.get("pending_code"):
                state = await self._reissue_code(session, state, work)
            out = conversation.step(state, inc.input)
            out = await self._run_effects(session, ref, out, work, inc)
            if work.erased:
                work.locale = state.get("locale")  # the goodbye still in their language
                await convo_store.drop_state(session, ref)
                return work
            out.state["pending_code"] = work.pending_ticket
            work.locale = out.state.get("locale")
            work.state = out.state
            await convo_store.save_state(session, ref, out.state)
        if work.queued:
            # After the commit, so the worker finds what this update queued.
            self.wake()
        return work

    async def _run_effects(
        self, session: AsyncSession | None, ref: str, out: Outcome, work: _Work, inc: Incoming
    ) -> Outcome:
        work.replies += out.replies
        for _ in range(MAX_EFFECT_ROUNDS):
            if not out.effects:
                return out
            state, effects = out.state, out.effects
            out = Outcome(state)
            for effect in effects:
                result = await self._effect(session, ref, effect, work, state, inc)
                if result is not None:
                    step = conversation.step(out.state, result)
                    work.replies += step.replies
                    out = Outcome(step.state, out.replies, out.effects + step.effects)
        raise RuntimeError("flow kept requesting effects")

    async def _effect(
        self,
        session: AsyncSession | None,
        ref: str,
        effect: Effect,
        work: _Work,
        state: State,
        inc: Incoming,
    ) -> EffectResult | None:
        args = effect.args
        if session is None:
            if effect.name == "lookup_status":
                return await self._lookup_status_now(ref, args["code"])
            if effect.name not in PURE_EFFECTS:
                raise _NeedsTransaction
            return await self._pure_effect(effect, work, state, inc)
        if effect.name in PURE_EFFECTS:
            return await self._pure_effect(effect, work, state, inc)
        match effect.name:
            case "lookup_status":
                return await self._lookup_status(session, ref, args["code"])
            case "submit_report":
                return await self._submit(session, ref, args["draft"], work, state.get("locale"))
            case "erase_reporter":
                work.erased = True
                return await self._erase(session, ref, work)
            case "open_followup":
                return await self._open_followup(session, ref, args, work)
            case "rate_service":
                return await self._rate(session, ref, int(args["ticket_id"]), int(args["score"]))
            case "feedback_comment":
                ticket = await session.get_one(Ticket, int(args["ticket_id"]))
                ticket.feedback_comment = args["text"]
                return EffectResult("commented", {})
            case "relay_answer":
                return await self._relay_answer(session, args["ticket_id"], args["text"], work)
        raise ValueError(f"unknown effect {effect.name!r}")

    async def _pure_effect(
        self, effect: Effect, work: _Work, state: State, inc: Incoming
    ) -> EffectResult | None:
        """Effects that read only memory (places) or act on the chat after the commit."""
        args = effect.args
        match effect.name:
            case "delete_input":
                work.delete_input = True
                return None
            case "find_places":
                found = self.places.search(args["query"])
                return _places("search", found, query=args["query"])
            case "find_districts":
                found = self.places.search_districts(args["regency"], args["query"])
                return _places("dsearch", found, query=args["query"], parent=args["regency"])
            case "list_places":
                return self._list_places(args["parent"], int(args["page"]))
            case "wipe_chat":
                last = max(int(state.get("last_msg") or 0), inc.message_id or 0)
                first = max(int(state.get("first_msg") or last), last - WIPE_MAX_MESSAGES, 1)
                # The upper end leaves room for the bot's answers after the newest message
                # seen; ids that do not exist are skipped by Telegram.
                work.wipe = range(first, last + WIPE_AHEAD + 1) if last else None
                return EffectResult("wiped", {})
        raise ValueError(f"unknown effect {effect.name!r}")

    def _list_places(self, parent: str | None, page: int) -> EffectResult:
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

    async def _lookup_status(self, session: AsyncSession, ref: str, code: str) -> EffectResult:
        wait = self.status_limit.check(ref)
        if wait:
            return EffectResult("status", {"rate_limited": True, "retry_in": max(1, round(wait))})
        view = await tickets.status_by_code(session, self.keys.code_hash(code))
        if view is None:
            return EffectResult("status", {"found": False})
        questions = await followup.take_unshown_questions(session, view.ticket_id)
        return _status(view, questions)

    async def _lookup_status_now(self, ref: str, code: str) -> EffectResult:
        """The look-up as one read on PostgreSQL's hot path. A question waiting to be shown
        needs a write: then nothing is written here, and the unit of work runs the whole
        update instead."""
        wait = self.status_limit.check(ref)
        if wait:
            return EffectResult("status", {"rate_limited": True, "retry_in": max(1, round(wait))})
        async with self.db.single_statements() as conn:
            view, unshown = await tickets.status_now(conn, self.keys.code_hash(code))
        if unshown:
            self.status_limit.uncount(ref)  # the unit of work counts this look-up again
            raise _NeedsTransaction
        if view is None:
            return EffectResult("status", {"found": False})
        return _status(view, [])

    async def _submit(
        self,
        session: AsyncSession,
        ref: str,
        draft: dict[str, Any],
        work: _Work,
        state_locale: str | None,
    ) -> EffectResult:
        a = draft["a"]
        where = a.get("place") or {}
        district = a.get("district") or {}
        code = new_code()
        done = await tickets.submit(
            session,
            tickets.Submission(
                draft_key=draft["id"],
                reporter_role=a["role"],
                category=a.get("category") or "lainnya",
                urgent=report.is_urgent(a),
                region_code=where.get("code"),
                district_code=district.get("code"),
                occurred=a.get("when") or "tidak_tahu",
                narrative=a.get("narrative") or "",
                details=report.details(a),
                locale=state_locale or self.default_locale,
                reporter_chat_id=work.chat_id if a.get("updates") == "ya" else None,
            ),
            code_hash=self.keys.code_hash(code),
            reporter_ref=ref,
            db=self.db,
        )
        if self.announcer is not None and await announce_new_ticket(
            session, self.announcer, done.ticket, done.upt
        ):
            work.queued = True
        work.pending_ticket = done.ticket_id
        return EffectResult(
            "submitted",
            {
                "code": code,
                "case_number": done.case_number,
                "upt_name": done.upt_name,
                "connected": done.connected,
                "counsel": a.get("purpose") == "bicara" and not report.is_urgent(a),
            },
        )

    async def _open_followup(
        self, session: AsyncSession, ref: str, args: Mapping[str, Any], work: _Work
    ) -> EffectResult:
        """Only this reporter's own ticket (or one just opened with its code) may be answered."""
        ticket = await session.get(Ticket, int(args["ticket_id"]))
        allowed = ticket is not None and (
            args.get("unlocked") or await followup.reporter_owns(session, ref, ticket.id)
        )
        if ticket is None or not allowed:
            return EffectResult("followup", {"ok": False})
        if args.get("stop"):
            ticket.followup_stopped = True
            session.add(TicketEvent(ticket_id=ticket.id, kind="followup_stopped", actor="reporter"))
            if self.announcer is not None:
                await self.announcer.tell_staff(
                    session,
                    ticket,
                    Reply(N_("staff.reporter_stopped"), {"case_number": ticket.case_number}),
                )
                work.queued = True
            return EffectResult(
                "followup", {"ok": True, "stopped": True, "case_number": ticket.case_number}
            )
        if ticket.followup_stopped or ticket.status in CLOSED:
            return EffectResult("followup", {"ok": False})
        return EffectResult(
            "followup", {"ok": True, "ticket_id": ticket.id, "case_number": ticket.case_number}
        )

    async def _erase(self, session: AsyncSession, ref: str, work: _Work) -> EffectResult:
        """/hapus: this account is unlinked from its tickets, which stay with the UPT."""
        ticket_ids = await followup.unlink_reporter(session, ref)
        for ticket_id in ticket_ids:
            ticket = await session.get_one(Ticket, ticket_id)
            if self.announcer is not None:
                await self.announcer.tell_staff(
                    session,
                    ticket,
                    Reply(N_("staff.reporter_erased"), {"case_number": ticket.case_number}),
                )
        work.queued = True
        return EffectResult("erased", {"tickets": len(ticket_ids)})

    async def _rate(
        self, session: AsyncSession, ref: str, ticket_id: int, score: int
    ) -> EffectResult:
        """Only the reporter's own closed ticket, and only once."""
        ticket = await session.get(Ticket, ticket_id)
        if (
            ticket is None
            or ticket.status != "selesai"
            or ticket.feedback_score is not None
            or not await followup.reporter_owns(session, ref, ticket.id)
        ):
            return EffectResult("rated", {"ok": False})
        ticket.feedback_score = score
        session.add(TicketEvent(ticket_id=ticket.id, kind="feedback", actor="reporter"))
        return EffectResult("rated", {"ok": True, "ticket_id": ticket.id})

    async def _relay_answer(
        self, session: AsyncSession, ticket_id: int, text: str, work: _Work
    ) -> EffectResult:
        ticket = await session.get_one(Ticket, ticket_id)
        followup.add_message(session, ticket.id, "answer", text)
        if self.announcer is not None:
            await self.announcer.tell_staff(
                session,
                ticket,
                Reply(
                    N_("staff.answer_relayed"), {"case_number": ticket.case_number, "answer": text}
                ),
            )
        work.queued = True
        return EffectResult("relayed", {"case_number": ticket.case_number})

    async def _reissue_code(self, session: AsyncSession, state: State, work: _Work) -> State:
        """The last code never reached the reporter: give that ticket a fresh one."""
        code = new_code()
        ticket_id = int(state["pending_code"])
        case_number = await tickets.replace_code(session, ticket_id, self.keys.code_hash(code))
        work.pending_ticket = ticket_id
        out = conversation.step(
            state, EffectResult("code_reissued", {"code": code, "case_number": case_number})
        )
        work.replies += out.replies
        return out.state

    async def _code_delivered(self, ref: str, saved: State | None) -> None:
        if saved is not None and not self.db.is_sqlite:
            # The per-person lock is still held, so the state is as this update saved it
            # (locks are in-process: one bot process per database, as polling requires).
            async with self.db.single_statements() as conn:
                await convo_store.save_now(conn, ref, dict(saved, pending_code=None))
            return
        async with self.db.unit_of_work() as session:
            state = await convo_store.load_state(session, ref)
            if state and state.get("pending_code"):
                state["pending_code"] = None
                await convo_store.save_state(session, ref, state)


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
        },
    )


class _NeedsTransaction(Exception):  # noqa: N818 - a signal, not an error
    """The update writes more than its conversation: it takes the unit of work."""


def _prepared(state: State | None, inc: Incoming) -> State:
    """The state as the flow should see it for this update."""
    if state is None or "locale" not in state:
        # First contact: Telegram's app language; English stays English, else Indonesian.
        state = dict(state or conversation.new_state())
        state["locale"] = "en" if (inc.language_code or "").startswith("en") else "id"
    if inc.message_id is not None:
        # Private-chat message ids run in one sequence for both sides: the first and the
        # newest seen bound what "Hapus percakapan" deletes.
        state.setdefault("first_msg", inc.message_id)
        state["last_msg"] = max(int(state.get("last_msg") or 0), inc.message_id)
    return state


def _places(mode: str, found: list[Place], **extra: Any) -> EffectResult:
    items = [[p.code, p.label(), p.level] for p in found]
    return EffectResult("places", {"mode": mode, "items": items, **extra})
