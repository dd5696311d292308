"""One reporter update, whatever runtime or channel it came from: read the conversation, run
the flow once, carry out its effects, commit once, then hand the replies to the runtime.

Runtimes (aiogram, the terminal shell) translate their events into `Incoming` and give a
`send` callable; they never touch storage or flows themselves.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from flows import conversation
from flows.core import N_, EffectResult, Input, Outcome, Reply, State
from flows.outbound import CODE_PARAM
from handlers.casework.announce import Announcer
from handlers.locks import KeyedLocks
from handlers.rate_limit import Limiter, RateLimiter
from handlers.reporter.effects import ReporterEffects
from handlers.reporter.update import Update, Work
from storage import tickets
from storage.conversations import AlreadyHandled, open_store
from storage.crypto import Keys
from storage.db import Database
from storage.places import PlaceIndex

log = logging.getLogger(__name__)

MAX_EFFECT_ROUNDS = 8  # a flow that keeps asking for effects is a bug; stop rather than spin


@dataclass(frozen=True, slots=True)
class Incoming:
    user_id: int
    input: Input
    update_id: int | None = None
    message_id: int | None = None
    language_code: str | None = None
    chat_id: int | None = None  # kept (encrypted) only if the reporter asks for updates
    # Left unfinished by a process that died: if it was handled, its answer may never have
    # gone out, so the person is asked the current question again.
    replayed: bool = False


@dataclass(slots=True)
class Response:
    replies: list[Reply]
    locale: str
    delete_input: bool = False
    # True when a reply carries a fresh ticket code: it must be delivered or be re-issued.
    carries_code: bool = False
    # "Hapus percakapan": message ids of this private chat to delete, both sides, first.
    wipe: range | None = None
    # Called with whether it arrived, when the sender answered None (still on its way).
    on_late: Callable[[bool], Awaitable[None]] | None = None


# send(response) -> True: delivered; False: not; None: on its way (on_late tells how it ended)
SendFn = Callable[[Response], Awaitable[bool | None]]


class ReporterService:
    def __init__(
        self,
        db: Database,
        keys: Keys,
        places: PlaceIndex,
        *,
        default_locale: str = "id",
        status_per_minute: int = 5,
        reports_per_day: int = 5,
        clock: Callable[[], float] = time.monotonic,
        announcer: Announcer | None = None,
        wake: Callable[[], None] = lambda: None,
        status_limit: Limiter | None = None,
    ) -> None:
        self.db, self.keys, self.wake = db, keys, wake
        self.default_locale = default_locale
        self.locks = KeyedLocks()
        # People whose fresh code is still on its way (waiting out a 429): not re-issued.
        self._codes_in_transit: set[str] = set()
        self.store = open_store(db)
        self.effects = ReporterEffects(
            keys,
            places,
            self.store,
            status_limit or RateLimiter(status_per_minute, 60.0, clock),
            announcer,
            default_locale,
            reports_per_day=reports_per_day,
        )

    async def handle(self, inc: Incoming, send: SendFn) -> str:
        """Handle one update; returns the step the conversation is at now (for the log)."""
        ref = self.keys.reporter_ref(inc.user_id)
        async with self.locks.hold(ref):
            try:
                work = await self._handle_with_retry(ref, inc)
            except Exception as e:  # noqa: BLE001 - the person must hear something, always
                # Nothing was committed, so the draft is as it was before this update.
                log.error("an update failed (%s); the draft is untouched", type(e).__name__)
                await send(Response([Reply(N_("conv.error"))], self.default_locale))
                return "failed"
            if work is None:
                return "already_handled"
            step = conversation.where(work.state)
            ticket, locale = work.pending_ticket, work.locale or self.default_locale
            if ticket is None:
                await send(
                    Response(work.replies, locale, delete_input=work.delete_input, wipe=work.wipe)
                )
                return step
            # The code goes first and its arrival is recorded at once, before anything else is
            # sent: a crash can only fall between Telegram's answer and that record.
            cut = _after_code(work.replies)
            sent = await send(
                Response(
                    work.replies[:cut],
                    locale,
                    delete_input=work.delete_input,
                    carries_code=True,
                    wipe=work.wipe,
                    on_late=self._code_arrived(ref, ticket, work.reissued),
                )
            )
            if sent and work.state is not None:
                # The lock is still held, so the state is as this update saved it.
                await self._code_delivered(ref, ticket, work.reissued, work.state)
            elif sent is None:
                self._codes_in_transit.add(ref)
            if work.replies[cut:]:
                await send(Response(work.replies[cut:], locale))
            return step

    async def _code_delivered(self, ref: str, ticket: int, reissued: bool, state: State) -> None:
        """The code reached the reporter: it no longer needs re-issuing, and a re-issued one
        is from now on the ticket's only code."""
        if reissued:
            async with self.db.unit_of_work() as session:
                await tickets.confirm_code(session, ticket)
        await self.store.save_now(ref, dict(state, pending_code=None))

    def _code_arrived(
        self, ref: str, ticket: int, reissued: bool
    ) -> Callable[[bool], Awaitable[None]]:
        """What to do once a code that had to wait is delivered, or given up."""

        async def arrived(delivered: bool) -> None:
            self._codes_in_transit.discard(ref)
            if not delivered:
                return  # still pending: the person's next update re-issues it
            async with self.locks.hold(ref):
                state = (await self.store.peek(None, ref)).state
                if state is not None and state.get("pending_code") == ticket:
                    await self._code_delivered(ref, ticket, reissued, state)

        return arrived

    async def _handle_with_retry(self, ref: str, inc: Incoming) -> Work | None:
        try:
            return await self._handle_once(ref, inc)
        except IntegrityError:
            # Another process did the same work first (same update or same draft): run again
            # on fresh state, which now sees that work as done.
            log.info("concurrent write on one conversation; retrying the update")
            return await self._handle_once(ref, inc)

    async def _handle_once(self, ref: str, inc: Incoming) -> Work | None:
        peeked = await self.store.peek(inc.update_id, ref)
        if peeked.seen:
            if inc.replayed and peeked.state is not None:
                # Handled before the process died, its answer perhaps never sent: the person
                # gets the question they are at again (nothing is written).
                again = conversation.step(peeked.state, EffectResult("resume"))
                return Work(again.replies, chat_id=inc.chat_id, locale=peeked.state.get("locale"))
            return None  # a redelivered update: its work is already committed
        work = Work(chat_id=inc.chat_id)
        state = prepared(peeked.state, inc.language_code, inc.message_id)
        update = Update(self.db, self.store, inc.update_id, ref)
        # A code still waiting out a 429 is on its way: not re-issued, and still pending.
        in_transit = state.get("pending_code") if ref in self._codes_in_transit else None
        try:
            if state.get("pending_code") and in_transit is None:
                session = await update.transaction()
                state = await self.effects.reissue_code(session, state, work, inc.input.text)
            out = conversation.step(state, inc.input)
            out = await self._run_effects(update, out, work, inc)
            if work.erased:
                work.locale = state.get("locale")  # the goodbye still in their language
                saved = await update.commit(None)
            else:
                out.state["pending_code"] = work.pending_ticket or in_transit
                work.locale = out.state.get("locale")
                work.state = out.state
                saved = await update.commit(out.state)
        except BaseException as e:
            await update.rollback(e)
            if isinstance(e, AlreadyHandled):
                return None  # handled meanwhile by another process
            raise
        if not saved:
            return None  # handled meanwhile by another process
        if work.queued:
            self.wake()  # after the commit, so the worker finds what this update queued
        return work

    async def _run_effects(
        self, update: Update, out: Outcome, work: Work, inc: Incoming
    ) -> Outcome:
        work.replies += out.replies
        for _ in range(MAX_EFFECT_ROUNDS):
            if not out.effects:
                return out
            state, effects = out.state, out.effects
            out = Outcome(state)
            for effect in effects:
                result = await self.effects.run(effect, update, work, state, inc.message_id)
                if result is not None:
                    step = conversation.step(out.state, result)
                    work.replies += step.replies
                    out = Outcome(step.state, out.replies, out.effects + step.effects)
        raise RuntimeError("flow kept requesting effects")


def _after_code(replies: list[Reply]) -> int:
    """Where the replies after the one carrying the code begin."""
    carrying = [i for i, r in enumerate(replies) if CODE_PARAM in r.params]
    return carrying[-1] + 1 if carrying else len(replies)


def prepared(state: State | None, language_code: str | None, message_id: int | None) -> State:
    """The state as the flow should see it for this update."""
    if state is None or "locale" not in state:
        # First contact: Telegram's app language; English stays English, else Indonesian.
        state = dict(state or conversation.new_state())
        state["locale"] = "en" if (language_code or "").startswith("en") else "id"
    if message_id is not None:
        # Private-chat message ids run in one sequence for both sides: the first and the
        # newest seen bound what "Hapus percakapan" deletes.
        state.setdefault("first_msg", message_id)
        state["last_msg"] = max(int(state.get("last_msg") or 0), message_id)
    return state
