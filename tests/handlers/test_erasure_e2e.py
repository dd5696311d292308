"""After /hapus nothing in the database links a person to their tickets (issue 12, item 2):
not their Telegram id, nor any value derived from it, even read with the key."""

from __future__ import annotations

from sqlalchemy import select

from storage.db import Database
from storage.models import Base, OutboxMessage, Ticket
from tests.fakebot import FakeUser
from tests.handlers.test_staff_e2e import (
    GROUP,
    connected_coordinator,
    group_message,
    reported_in_group,
)
from tests.support import RunningBot, until


async def every_value(db: Database) -> str:
    """Every row of every table as the bot reads it: encrypted columns decrypted."""
    seen: list[str] = []
    async with db.unit_of_work() as s:
        for table in Base.metadata.sorted_tables:
            for row in (await s.execute(select(table))).all():
                seen.extend(str(value) for value in row)
    return "\n".join(seen)


def traces_of(bot: RunningBot, person: FakeUser) -> list[str]:
    """The person's id and what the bot derives from it, whole and as the short prefixes a
    log or audit line might keep."""
    chat_key, ref = bot.keys.chat_key(person.id), bot.keys.reporter_ref(person.id)
    return [str(person.id), chat_key, ref, chat_key[:8], ref[:8]]


async def test_after_hapus_no_table_links_the_reporter_or_their_tickets(
    running_bot: RunningBot,
) -> None:
    api, db = running_bot.api, running_bot.db
    koor = await connected_coordinator(running_bot)
    siti = api.user(5551281, first_name="Siti")
    await reported_in_group(siti, api, "Masyarakat umum")
    await koor.press_in(GROUP, "Ambil")  # the reporter is told, through the outbox
    [notice] = await siti.replies(1)
    assert "Diterima" in notice.plain
    await siti.press_data("s:claim:1")  # a staff button, forged: refused and audited
    await until(lambda: siti.callback_answers)
    await reported_in_group(siti, api, "Masyarakat umum")  # a second ticket of hers
    await group_message(api, "Laporan PPA-", nth=2)
    async with db.unit_of_work() as s:
        sent = await s.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "notice"))
        assert [r.status for r in sent] == ["sent"]  # it went, and already forgot her chat
    before = await every_value(db)
    assert running_bot.keys.reporter_ref(siti.id) in before  # linked while she wants updates

    await siti.ask("/hapus")
    await siti.tap("Ya, hapus", n=2)
    await group_message(api, "menghapus hubungan akunnya", nth=2)

    after = await every_value(db)
    for trace in traces_of(running_bot, siti):
        assert trace not in after, f"{trace!r} is still stored"
    async with db.unit_of_work() as s:
        assert len((await s.scalars(select(Ticket))).all()) == 2  # the cases stay
