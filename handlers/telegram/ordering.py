"""Several workers (bot/cluster.py): one person's updates are handled one at a time across all
of them, and in the order Telegram sent them.

Telegram may deliver a person's next update to another worker while the first is still being
handled. Each worker takes the person's lock in Redis, then first handles whatever that person
sent earlier that still waits in the shared inbox (perhaps received by the other worker), then
its own update. The other worker, when it gets the lock, finds those already done (their
update ids were claimed with their work) and does nothing twice.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any

from storage import inbox
from storage.crypto import Keys
from storage.db import Database
from storage.shared import Shared


class PersonOrder:
    def __init__(self, shared: Shared, keys: Keys, db: Database) -> None:
        self.shared, self.keys, self.db = shared, keys, db

    def ref(self, user_id: int) -> str:
        """The person's keyed hash: what the inbox and Redis know them by."""
        return self.keys.reporter_ref(user_id)

    def hold(self, ref: str) -> AbstractAsyncContextManager[None]:
        return self.shared.person(ref)

    async def earlier(self, ref: str, update_id: int) -> list[dict[str, Any]]:
        return await inbox.earlier_of(self.db, ref, update_id)
