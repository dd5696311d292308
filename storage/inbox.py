"""The inbox: what Telegram sent, kept until it is handled.

Telegram counts an update as delivered once the next getUpdates asks past it (or a webhook
answers 200). Each batch is recorded here first, in one statement, and each update deleted
once handled; a process that dies in between finds its unfinished updates here at the next
start, and the update ids already claimed with their work (processed_updates) keep the second
pass from doing anything twice.

What someone wrote is held like everything else they wrote: encrypted, with the names and
usernames of people dropped (a group's own title and username stay: they are no one's name),
and found by the sender's keyed hash so /hapus removes it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy import update as sql_update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.conversations import ConversationStore, readable, sealed
from storage.crypto import Keys
from storage.db import Database
from storage.models import InboxUpdate, ProcessedUpdate, utcnow

INBOX = InboxUpdate.__table__
# Several workers: the one that received an update holds it this long, renewing it while it
# works on it; past that (it was killed) another worker takes it over.
HOLD_SECONDS = 30.0
PERSONAL = ("first_name", "last_name", "username")


def without_names(value: Any) -> Any:
    """The update with every person's names and username taken out (users and private chats).
    `first_name` stays, empty, because Telegram always sends one and frameworks require it."""
    if isinstance(value, list):
        return [without_names(v) for v in value]
    if not isinstance(value, Mapping):
        return value
    person = "is_bot" in value or value.get("type") == "private"
    kept = {k: without_names(v) for k, v in value.items() if not (person and k in PERSONAL)}
    if person and "first_name" in value:
        kept["first_name"] = ""
    return kept


def sender_id(update: Mapping[str, Any]) -> int | None:
    """Who sent the update (a message's or a button press's `from`)."""
    for value in update.values():
        if isinstance(value, Mapping):
            sender = value.get("from")
            if isinstance(sender, Mapping) and isinstance(sender.get("id"), int):
                return int(sender["id"])
    return None


def rows(keys: Keys, updates: Sequence[Mapping[str, Any]]) -> list[tuple[int, str | None, bytes]]:
    """(update id, the sender's keyed hash, the update sealed without names) per update."""
    out = []
    for update in updates:
        sender = sender_id(update)
        person = None if sender is None else keys.reporter_ref(sender)
        out.append((int(update["update_id"]), person, sealed(without_names(update))))
    return out


async def record(
    store: ConversationStore, keys: Keys, updates: Sequence[Mapping[str, Any]]
) -> None:
    """Keep a batch, in one transaction (the conversation store's own connection: the hot
    path), held by this worker for HOLD_SECONDS; an update already kept stays as it is."""
    if updates:
        await store.record_inbox(rows(keys, updates), utcnow() + timedelta(seconds=HOLD_SECONDS))


async def unfinished(db: Database) -> list[dict[str, Any]]:
    """What was received and never handled, oldest first."""
    async with db.unit_of_work() as session:
        found = await session.scalars(select(InboxUpdate).order_by(InboxUpdate.update_id))
        return [dict(row.body) for row in found]


async def renew(db: Database, update_ids: Collection[int], now: datetime) -> None:
    """Still ours: held for another HOLD_SECONDS."""
    if update_ids:
        async with db.unit_of_work() as session:
            await session.execute(
                sql_update(InboxUpdate)
                .where(InboxUpdate.update_id.in_(sorted(update_ids)))
                .values(taken_until=now + timedelta(seconds=HOLD_SECONDS))
            )


async def take_lapsed(db: Database, now: datetime, limit: int = 100) -> list[dict[str, Any]]:
    """Updates whose worker stopped holding them (it was killed), oldest first, now ours."""
    async with db.unit_of_work() as session:
        stmt = (
            select(InboxUpdate)
            .where(or_(InboxUpdate.taken_until.is_(None), InboxUpdate.taken_until < now))
            .order_by(InboxUpdate.update_id)
            .limit(limit)
        )
        if session.bind.dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        found = (await session.scalars(stmt)).all()
        for row in found:
            row.taken_until = now + timedelta(seconds=HOLD_SECONDS)
        return [dict(row.body) for row in found]


_EARLIER = (
    "SELECT i.body FROM inbox i WHERE i.person = $1 AND i.update_id < $2"
    " AND NOT EXISTS (SELECT 1 FROM processed_updates p WHERE p.update_id = i.update_id)"
    " ORDER BY i.update_id"
)


async def earlier_of(db: Database, person: str, update_id: int) -> list[dict[str, Any]]:
    """What this person sent before `update_id` that still waits (perhaps at another worker)
    and is not done yet, oldest first: handled first, so one person's updates keep their
    order. One statement on the hot path (it runs for every update of several workers)."""
    if not db.is_sqlite:
        async with db.single_statements() as conn:
            found = await conn.fetch(_EARLIER, person, update_id)
        return [u for u in (readable(bytes(row[0])) for row in found) if u is not None]
    async with db.unit_of_work() as session:
        done = select(ProcessedUpdate.update_id).where(
            ProcessedUpdate.update_id == InboxUpdate.update_id
        )
        rows = await session.scalars(
            select(InboxUpdate)
            .where(
                InboxUpdate.person == person,
                InboxUpdate.update_id < update_id,
                ~done.exists(),
            )
            .order_by(InboxUpdate.update_id)
        )
        return [dict(row.body) for row in rows]


async def forget(store: ConversationStore, update_ids: Collection[int]) -> None:
    """Handled: gone, in one statement."""
    if update_ids:
        await store.forget_inbox(sorted(update_ids))


async def erase_person(session: AsyncSession, person: str) -> None:
    """/hapus: nothing this person sent waits here any more."""
    await session.execute(delete(INBOX).where(INBOX.c.person == person))
