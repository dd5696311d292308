"""One staff update is one commit: the change, its audit, every outbox row (a ForceReply
prompt included) and the update's id go to the database together, on both databases."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import event, select, update

from handlers.casework.announce import Announcer, announce_new_ticket
from handlers.casework.events import Direct, StaffEvent, StaffResult
from handlers.casework.service import StaffService
from handlers.i18n import Catalogs
from handlers.render import Renderer
from handlers.telegram.outbound import TelegramOutbound
from storage import outbox, staff, tickets
from storage.crypto import Keys
from storage.db import Database
from storage.models import OutboxMessage, StaffPrompt, Ticket, Upt, utcnow
from storage.places import PlaceIndex
from tests.support import submission

GROUP, KOOR_USER, REPORTER_CHAT = -1001234567890, 8001, 5551234


@contextmanager
def commits(db: Database) -> Iterator[list[int]]:
    """Counts COMMITs on the engine while the block runs."""
    seen: list[int] = []

    def on_commit(_conn: Any) -> None:
        seen.append(1)

    event.listen(db.engine.sync_engine, "commit", on_commit)
    try:
        yield seen
    finally:
        event.remove(db.engine.sync_engine, "commit", on_commit)


@dataclass
class Desk:
    """A connected Jatim group, its koordinator, one new ticket with updates on."""

    db: Database
    service: StaffService
    ticket_id: int
    sent: list[Direct]
    next_update: int = 1
    next_message: int = 100

    async def send(self, direct: Direct) -> int:
        self.sent.append(direct)
        self.next_message += 1
        return self.next_message

    async def press(self, data: str) -> StaffResult | None:
        return await self._handle("button", data)

    async def reply(self, text: str, to: int | None) -> StaffResult | None:
        return await self._handle("reply", text, reply_to=to)

    async def _handle(self, kind: str, text: str, reply_to: int | None = None) -> Any:
        self.next_update += 1
        self.next_message += 1
        e = StaffEvent(
            kind,  # type: ignore[arg-type]
            KOOR_USER,
            "Rina Wati",
            GROUP,
            "supergroup",
            text,
            self.next_message,
            reply_to,
            self.next_update,
        )
        return await self.service.handle(e, self.send)

    async def deliver_prompt(self, at: int | None = None) -> tuple[int, dict[str, Any]]:
        """What the delivery worker does with everything queued, in order: the prompt's
        message id (`at` when given) and parameters."""
        prompts = []
        while True:
            async with self.db.unit_of_work() as s:
                due = await outbox.claim_due(s, utcnow())
            if not due:
                break
            for row in due:
                self.next_message += 1
                sent = at if at and row.purpose == "prompt" else self.next_message
                async with self.db.unit_of_work() as s:
                    await outbox.mark_sent(s, row.id, sent)
                if row.purpose == "prompt":
                    [call] = TelegramOutbound(Renderer(Catalogs("id"))).calls(row)
                    prompts.append((sent, call.params))
        [prompt] = prompts
        return prompt


@pytest.fixture
async def desk(database: Database, keys: Keys) -> AsyncIterator[Desk]:
    announcer = Announcer(keys, PlaceIndex.load())
    async with database.unit_of_work() as s:
        await s.execute(update(Upt).where(Upt.code == "UPTD-PPA-35").values(telegram_chat_id=GROUP))
        token, _ = await staff.create_invite(s, keys, "UPTD-PPA-35", "koordinator")
        await staff.redeem_invite(s, keys, token, KOOR_USER, "Rina Wati")
        done = await tickets.submit(
            s,
            submission(reporter_chat_id=REPORTER_CHAT),
            code_hash=keys.code_hash("c"),
            reporter_ref="r",
        )
        await announce_new_ticket(s, announcer, done.ticket, done.upt)
    service = StaffService(database, keys, Renderer(Catalogs("id")), announcer)
    yield Desk(database, service, done.ticket_id, [])


def toast(result: StaffResult | None) -> str:
    assert result is not None and result.toast is not None
    return result.toast.msgid


def shown(result: StaffResult) -> list[str]:
    """What the acting person sees at once: a message's catalog id, or "delete" (the answered
    prompt leaving the chat)."""
    return [d.reply.msgid if d.reply is not None else "delete" for d in result.direct]


async def test_a_claim_is_one_commit(desk: Desk) -> None:
    with commits(desk.db) as seen:
        assert toast(await desk.press(f"s:claim:{desk.ticket_id}")) == "staff.claimed"
    assert len(seen) == 1


async def test_a_status_with_a_reason_is_one_commit_per_update(desk: Desk) -> None:
    t = desk.ticket_id
    await desk.press(f"s:claim:{t}")
    pressed = desk.next_message
    with commits(desk.db) as seen:
        result = await desk.press(f"s:set:{t}:selesai")
    assert len(seen) == 1
    # The picker now says what was chosen, without buttons (issue 13, item 5).
    assert result is not None and result.toast is None and shown(result) == ["staff.status_picked"]
    # The prompt went into the outbox in that commit, as it was sent before: a ForceReply
    # only this person is asked for, answering the message they pressed.
    prompt_message, params = await desk.deliver_prompt()
    assert params["reply_markup"] == {"force_reply": True, "selective": True}
    assert params["reply_parameters"]["message_id"] == pressed + 1
    assert "prompt_id" not in params and "tulis alasan" in params["text"]

    with commits(desk.db) as seen:
        result = await desk.reply("Anak sudah didampingi.", prompt_message)
    assert len(seen) == 1
    assert result is not None and shown(result) == ["delete", "staff.ask_share"]
    ask_share = result.direct[1].reply
    assert ask_share is not None
    share = ask_share.choices[0][0].key

    with commits(desk.db) as seen:
        assert toast(await desk.press(share)) == "staff.status_changed"
    assert len(seen) == 1
    async with desk.db.unit_of_work() as s:
        assert (await s.get_one(Ticket, t)).status == "selesai"


async def test_a_question_and_its_answer_are_one_commit_each(desk: Desk) -> None:
    t = desk.ticket_id
    with commits(desk.db) as seen:
        await desk.press(f"s:ask:{t}")
    assert len(seen) == 1
    prompt_message, _ = await desk.deliver_prompt()
    with commits(desk.db) as seen:
        result = await desk.reply("Apakah akun itu masih aktif?", prompt_message)
    assert len(seen) == 1
    assert result is not None and shown(result) == ["delete", "staff.question_sent"]
    async with desk.db.unit_of_work() as s:
        purposes = await s.scalars(select(OutboxMessage.purpose).order_by(OutboxMessage.id))
        assert list(purposes)[-1] == "question"


async def test_a_reply_to_anything_else_is_not_for_staff_and_commits_nothing(desk: Desk) -> None:
    with commits(desk.db) as seen:
        assert await desk.reply("halo", to=42) is None
    assert seen == []


async def test_a_reply_that_overtakes_the_recording_of_its_prompt_still_lands(
    desk: Desk,
) -> None:
    """Telegram shows the prompt before the worker has committed its message id."""
    await desk.press(f"s:ask:{desk.ticket_id}")
    answered = asyncio.create_task(desk.reply("Masih aktif?", 999))
    await asyncio.sleep(0.2)
    assert not answered.done()
    await desk.deliver_prompt(at=999)
    result = await asyncio.wait_for(answered, 5)
    assert result is not None and shown(result) == ["delete", "staff.question_sent"]
    async with desk.db.unit_of_work() as s:
        prompt = (await s.scalars(select(StaffPrompt))).one()
        assert prompt.done_at is not None and prompt.data == {"text": "Masih aktif?"}
