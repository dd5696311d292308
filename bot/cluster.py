"""Which bot processes may run together on one database.

Several workers coordinate only in webhook mode, on PostgreSQL, with REDIS_URL: they share each
person's lock, the limits and the outbox pacing through Redis, and rows through leases. Every
other set-up (long polling, SQLite, no Redis) is one process, and a second one is refused in
one line. Both are leases with an expiry (storage/leases.py): a process killed with SIGKILL
stops renewing, so its restart is never refused for long (at once on the same machine, where
its process id is seen to be gone).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select

from bot.settings import Settings
from storage import leases
from storage.db import Database
from storage.models import Lease, utcnow

log = logging.getLogger(__name__)

SOLO = "bot"  # the one process of a single-process deployment
WORKER = "worker:"  # + holder: each of several coordinating workers
LEASE_SECONDS = 30.0
RENEW_SECONDS = 10.0


class Refused(Exception):
    """This process must not start beside the ones already running; says why in one line."""


def coordinates(settings: Settings) -> bool:
    """Several workers may run: webhook mode, PostgreSQL and Redis."""
    return bool(
        settings.redis_url
        and settings.webhook_url
        and settings.database_url.startswith("postgresql")
    )


def refusal(settings: Settings) -> str | None:
    """What makes this set-up unfit to start, before anything is opened."""
    if coordinates(settings) and settings.webhook_secret is None:
        return (
            "several webhook workers need WEBHOOK_SECRET, the same in each: set it, then "
            "`lapor-ppa webhook set` once"
        )
    return None


def single_process_reason(settings: Settings) -> str:
    if not settings.webhook_url:
        return "long polling runs as one process"
    if not settings.database_url.startswith("postgresql"):
        return "SQLite runs as one process"
    return "without REDIS_URL the bot runs as one process"


def _holder() -> str:
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(4)}"


def _gone(holder: str) -> bool:
    """The holder is a process on this machine that no longer exists."""
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname()[:60] or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class Membership:
    """This process's lease: taken at start, renewed while it runs, given up at the end."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        *,
        clock: Callable[[], datetime] = utcnow,
        lease_seconds: float = LEASE_SECONDS,
        renew_seconds: float = RENEW_SECONDS,
    ) -> None:
        self.db, self.settings, self.clock = db, settings, clock
        self.shared = coordinates(settings)
        self.holder = _holder()
        self.name = f"{WORKER}{self.holder}" if self.shared else SOLO
        self.lease_seconds, self.renew_seconds = lease_seconds, renew_seconds
        self.joined = False

    async def join(self) -> None:
        """Take this process's lease, or raise Refused."""
        if self.shared:
            await self._take()
            if await self._live(SOLO):
                await self.leave()
                raise Refused(
                    "a single-process bot (long polling, or no REDIS_URL) is running on this "
                    "database: stop it before starting webhook workers"
                )
            return
        first_seen: datetime | None = None
        # A holder that stopped renewing is gone; wait a little longer than one renewal.
        patience = self.renew_seconds + 2.0
        waited = 0.0
        while True:
            async with self.db.unit_of_work() as session:
                held = await leases.take(
                    session, SOLO, self.holder, self.lease_seconds, self.clock()
                )
                if held is not None and _gone(held.holder):
                    await leases.release(session, SOLO, held.holder)
                    continue
            if held is None:
                break
            if first_seen is None:
                first_seen = held.expires_at
                log.warning("another bot process held this database; waiting to see it is gone")
            elif held.expires_at > first_seen or waited >= patience:
                if held.expires_at > first_seen:
                    raise Refused(
                        "another lapor-ppa bot is running on this database "
                        f"({held.holder.partition(':')[0]}); "
                        f"{single_process_reason(self.settings)}"
                    )
                async with self.db.unit_of_work() as session:  # it stopped renewing: gone
                    await leases.release(session, SOLO, held.holder)
                continue
            await asyncio.sleep(0.5)
            waited += 0.5
        self.joined = True
        if await self._live_workers():
            await self.leave()
            raise Refused(
                "webhook workers are running on this database: a single process cannot join "
                "them (set REDIS_URL, WEBHOOK_URL and WEBHOOK_SECRET like theirs)"
            )

    async def _take(self) -> None:
        async with self.db.unit_of_work() as session:
            await leases.take(session, self.name, self.holder, self.lease_seconds, self.clock())
        self.joined = True

    async def _live(self, name: str) -> bool:
        async with self.db.unit_of_work() as session:
            return await leases.holder_of(session, name, self.clock()) is not None

    async def _live_workers(self) -> bool:
        async with self.db.unit_of_work() as session:
            found = await session.scalar(
                select(Lease.name)
                .where(Lease.name.startswith(WORKER), Lease.expires_at >= self.clock())
                .limit(1)
            )
        return found is not None

    async def keep(self, stop: asyncio.Event) -> None:
        """Renew until `stop`; a lost lease (this process stalled past it) is only logged."""
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.renew_seconds)
            if stop.is_set():
                return
            try:
                async with self.db.unit_of_work() as session:
                    held = await leases.take(
                        session, self.name, self.holder, self.lease_seconds, self.clock()
                    )
                if held is not None:
                    log.error("this process lost its lease to %s", held.holder.partition(":")[0])
            except Exception as error:  # noqa: BLE001 - the database may be away for a while
                log.error("could not renew this process's lease (%s)", type(error).__name__)

    async def leave(self) -> None:
        if not self.joined:
            return
        self.joined = False
        try:
            async with self.db.unit_of_work() as session:
                await leases.release(session, self.name, self.holder)
        except Exception as error:  # noqa: BLE001 - it lapses by itself
            log.warning("could not give up this process's lease (%s)", type(error).__name__)
