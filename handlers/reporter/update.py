"""One reporter update's way to the database: the one path every update takes.

An update reads its conversation without a transaction, runs the flow once, and ends in
exactly one commit: `claim_and_save` (the update's claim and the new state in one atomic
step) when no effect wrote anything, else the unit of work that the first writing effect
opened, in which the update was claimed and the state is saved last.

Reading the state before the transaction is safe because one person's updates are handled
one after the other (handlers/locks.py); the claim inside the commit still makes a
redelivered update a no-op.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from flows.core import Reply, State
from storage import conversations
from storage.conversations import ConversationStore
from storage.db import Database


@dataclass(slots=True)
class Work:
    """What one update's handling accumulates before it is sent."""

    replies: list[Reply] = field(default_factory=list)
    delete_input: bool = False
    pending_ticket: int | None = None  # a fresh code was issued for this ticket
    reissued: bool = False  # ... a re-issued one: confirmed on the ticket once it arrives
    chat_id: int | None = None
    locale: str | None = None
    erased: bool = False
    wipe: range | None = None
    state: State | None = None  # as saved: what the code-delivered mark writes back
    queued: bool = False  # something went into the outbox: wake the delivery worker


class Update:
    """The database side of one update: no transaction until an effect asks for one."""

    def __init__(
        self, db: Database, store: ConversationStore, update_id: int | None, ref: str
    ) -> None:
        self.db, self.store, self.update_id, self.ref = db, store, update_id, ref
        self.session: AsyncSession | None = None
        self._stack: AsyncExitStack | None = None

    async def transaction(self) -> AsyncSession:
        """The update's unit of work, opened (and the update claimed) on first use."""
        if self.session is None:
            self._stack = AsyncExitStack()
            self.session = await self._stack.enter_async_context(
                conversations.transaction(self.db, self.update_id)
            )
        return self.session

    async def commit(self, state: State | None) -> bool:
        """Save the state (None: the conversation is dropped) and commit, once. False when
        the update had been claimed meanwhile: then nothing was written."""
        if self.session is None and state is not None:
            return await self.store.claim_and_save(self.update_id, self.ref, state)
        session = await self.transaction()
        if state is None:
            await conversations.drop_state(session, self.ref)
        else:
            await conversations.save_state(session, self.ref, state)
        stack, self._stack, self.session = self._stack, None, None
        assert stack is not None
        await stack.aclose()
        return True

    async def rollback(self, error: BaseException) -> None:
        stack, self._stack, self.session = self._stack, None, None
        if stack is not None:
            await stack.__aexit__(type(error), error, error.__traceback__)
