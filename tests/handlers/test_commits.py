"""Each reporter update commits its work once (a report: once more when its code is known
delivered), counted by the database itself, on SQLite and on PostgreSQL.

Reception adds its own two writes per batch of updates: the batch is recorded in the inbox
before Telegram is told it arrived, and cleared once handled (one statement for every update
handled meanwhile). Here each update is a batch of its own, so each adds both."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from storage import followup
from storage.models import Ticket
from tests.handlers.commits import Commits
from tests.handlers.test_reporting_e2e import CODE
from tests.handlers.walks import ANSWERED, act, label, updates_row
from tests.support import RunningBot

INBOX = 2  # a lone update: recorded in the inbox, then cleared from it


async def test_one_commit_per_reporter_update(running_bot: RunningBot) -> None:
    commits = Commits(running_bot.db)
    await commits.start()
    user = running_bot.api.user(6_660_001, first_name="Hitung")

    async def commits_of(action: Callable[[], Awaitable[Any]]) -> int:
        """The commits of the update's own work: reception's two set aside."""
        before = await commits.settled()
        await action()
        return await commits.settled() - before - INBOX

    assert await commits_of(lambda: user.ask("/start", n=2)) == 1
    assert await commits_of(lambda: user.tap(label("menu.lapor", "id"), n=2)) == 1
    assert await commits_of(lambda: act(user, "tap", "role.umum")) == 1
    # Every answer, a place search and a list page included, moves the conversation once.
    for _question, action, arg in [*ANSWERED["umum"], updates_row(False)]:
        assert await commits_of(lambda a=action, g=arg: act(user, a, g)) == 1, (action, arg)

    sent: list[Any] = []

    async def kirim() -> None:
        sent.extend(await user.tap("Kirim", n=3))

    # The report and the state in one commit, then the mark that its code arrived.
    assert await commits_of(kirim) == 2
    code = CODE.search(sent[0].plain)
    assert code is not None
    assert await commits_of(lambda: user.ask(f"/status {code.group(0)}")) == 1

    # A question staff asked while updates were off is shown (and marked shown) by /status:
    # still one commit with the conversation.
    async with running_bot.db.unit_of_work() as s:
        ticket = await s.get_one(Ticket, 1)
        followup.add_message(s, ticket.id, "question", "Di mana persisnya?", None)
    assert "Di mana persisnya?" not in user.transcript()
    assert await commits_of(lambda: user.ask(f"/status {code.group(0)}")) == 1
    assert "Di mana persisnya?" in user.transcript()

    # A redelivered update writes nothing at all.
    update_id = await user.send("/bantuan")
    await user.replies(1)
    before = await commits.settled()
    running_bot.api.redeliver(update_id)
    await running_bot.api.wait_confirmed(update_id)
    assert await commits.settled() - before == INBOX  # only reception's own

    assert await commits_of(lambda: user.ask("/hapus")) == 1
    # Erasure clears the person's inbox rows, its own update's included, in its one commit:
    # reception's clearing then deletes nothing (which SQLite does not even write).
    erased = await commits_of(lambda: user.tap(label("erase.yes", "id"), n=2))
    assert erased == (0 if running_bot.db.is_sqlite else 1)
