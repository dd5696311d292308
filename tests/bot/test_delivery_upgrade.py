"""Rows written before the neutral outbox (migration 0006) still go out after the upgrade,
as they were written: a card, an edit waiting for it, a relay under it, an in-flight staff
prompt (its message id is still recorded, so the reply to it is still taken) and a removal."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    insert,
    select,
    update,
)

from bot.delivery import DeliveryWorker
from handlers.telegram.client import BotApi
from storage import prompts, staff
from storage.crypto import EncryptedJSON, EncryptedText, Keys
from storage.db import Database
from storage.migrate import SCHEMA_HEAD, alembic_config, current, upgrade
from storage.models import OutboxMessage, StaffPrompt, TicketCard, Upt, utcnow
from tests.bot.test_delivery import GROUP, RENDERER, ManualClock, bot, drain, new_ticket
from tests.fakebot import FakeBotAPI
from tests.support import close_database, open_database

__all__ = ["bot"]  # the fixture, re-used

# The outbox as revision 0005 knew it.
_meta = MetaData()
_tickets = Table("tickets", _meta, Column("id", Integer, primary_key=True))
_upts = Table("upts", _meta, Column("id", Integer, primary_key=True))
OUTBOX_0005 = Table(
    "outbox",
    _meta,
    Column("id", Integer, primary_key=True),
    Column("method", String(30)),
    Column("chat_id", EncryptedText),
    Column("chat_key", String(64)),
    Column("is_group", Boolean),
    Column("payload", EncryptedJSON),
    Column("purpose", String(20)),
    Column("ticket_id", ForeignKey("tickets.id")),
    Column("upt_id", ForeignKey("upts.id")),
    Column("status", String(10)),
    Column("attempts", Integer),
    Column("not_before_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True)),
    Column("result_message_id", BigInteger),
)

STAFF_USER = 880001
HTML = {"parse_mode": "HTML", "link_preview_options": {"is_disabled": True}}


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
async def test_rows_from_before_the_upgrade_are_delivered_as_written(
    kind: str, tmp_path: Any, keys: Keys, fake_api: FakeBotAPI, bot: BotApi
) -> None:
    # The ticket, unit and staff are made with today's models, then the schema goes back to
    # 0005, where the rows are written as that version wrote them, and forward again.
    db, schema = await open_database(kind, tmp_path, keys)
    try:
        ids = await _case(db, keys)
        await _downgrade(db, "0005")
        await _legacy_rows(db, keys, *ids)
        await upgrade(db.engine)
        assert await current(db.engine) == SCHEMA_HEAD

        fake_api.group(GROUP)
        clock = ManualClock()
        await drain(DeliveryWorker(db, keys, bot, RENDERER, clock=clock), db, clock)

        card, relay, prompt = fake_api.chat(GROUP)
        assert (card.plain, card.edits, card.buttons) == ("Kartu v2", ["Kartu v1"], [["Ambil"]])
        assert relay.plain == "Catatan baru" and relay.reply_to == card.message_id
        assert prompt.plain == "Tulis alasannya" and prompt.reply_to == card.message_id == 1
        assert fake_api.calls_of("sendMessage")[2].params["reply_markup"]["force_reply"] is True
        ban, unban = fake_api.calls_of("banChatMember") + fake_api.calls_of("unbanChatMember")
        assert ban.params["user_id"] == unban.params["user_id"] == STAFF_USER
        async with db.unit_of_work() as s:
            rows = (await s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
            assert {(r.kind, r.channel, r.status) for r in rows} == {
                ("bot_api", "telegram", "sent")
            }
            [posted] = (await s.scalars(select(TicketCard))).all()
            assert posted.message_id == card.message_id
            # The in-flight prompt learnt its message id: a reply to it is its answer.
            [asked] = (await s.scalars(select(StaffPrompt))).all()
            assert asked.message_id == prompt.message_id
    finally:
        await close_database(db, schema)


async def _case(db: Database, keys: Keys) -> tuple[int, int, int]:
    """A ticket, its unit (with a group) and a staff prompt about it: their ids."""
    ticket_id, upt_id = await new_ticket(db, keys)
    async with db.unit_of_work() as s:
        await s.execute(update(Upt).where(Upt.id == upt_id).values(telegram_chat_id=GROUP))
        code = (await s.get_one(Upt, upt_id)).code
        token, _ = await staff.create_invite(s, keys, code, "koordinator")
        member = await staff.redeem_invite(s, keys, token, STAFF_USER, "Rina")
        assert isinstance(member, staff.Staff)
        prompt = await prompts.open_prompt(s, member.id, ticket_id, GROUP, "reason", {})
        return ticket_id, upt_id, prompt.id


async def _downgrade(db: Database, revision: str) -> None:
    from alembic import command

    def run(sync_connection) -> None:  # type: ignore[no-untyped-def]
        cfg = alembic_config()
        cfg.attributes["connection"] = sync_connection
        command.downgrade(cfg, revision)

    async with db.engine.connect() as connection:
        if db.is_sqlite:  # going back rebuilds tables, which their foreign keys would stop
            await connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            await connection.commit()
        async with connection.begin():
            await connection.run_sync(run)
        if db.is_sqlite:
            await connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            await connection.commit()
    assert await current(db.engine) == revision


async def _legacy_rows(
    db: Database, keys: Keys, ticket_id: int, upt_id: int, prompt_id: int
) -> None:
    async with db.unit_of_work() as s:
        keyboard = {"inline_keyboard": [[{"text": "Ambil", "callback_data": "s:claim:1"}]]}
        force = {"force_reply": True, "selective": True}
        replying = {
            "message_id": 1,  # the card, pressed
            "allow_sending_without_reply": True,
        }
        about = {"ticket_id": ticket_id, "upt_id": upt_id}
        written = [
            ("sendMessage", {"text": "Kartu v1", "reply_markup": keyboard}, "card", about),
            ("editMessageText", {"text": "Kartu v2", "reply_markup": keyboard}, "card_edit", about),
            ("sendMessage", {"text": "Catatan baru", "reply_to_card": True}, "relay", about),
            (
                "sendMessage",
                {"text": "Tulis alasannya", "reply_markup": force, "reply_parameters": replying}
                | {"prompt_id": prompt_id},
                "prompt",
                {"ticket_id": ticket_id},
            ),
            ("banChatMember", {"user_id": STAFF_USER}, "staff_removal", {"upt_id": upt_id}),
            (
                "unbanChatMember",
                {"user_id": STAFF_USER, "only_if_banned": True},
                "staff_removal",
                {"upt_id": upt_id},
            ),
        ]
        for method, payload, purpose, refs in written:
            await s.execute(
                insert(OUTBOX_0005).values(
                    method=method,
                    chat_id=str(GROUP),
                    chat_key=keys.chat_key(GROUP),
                    is_group=True,
                    payload=payload | HTML,
                    purpose=purpose,
                    status="pending",
                    attempts=0,
                    not_before_at=utcnow(),
                    created_at=utcnow(),
                    **refs,
                )
            )
