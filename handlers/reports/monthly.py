"""A monthly summary owed by the outbox (flows/outbound.Summary), made when it is sent: last
month's figures for the unit, the text with an opt-out button, and the chart (drawn off the
event loop). Nothing is sent to someone who left, or who opted out after it was owed."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flows.casework.keys import key
from flows.core import N_, Choice, Day, Msg, Reply
from flows.outbound import Summary
from handlers.render import Renderer
from handlers.reports import figures
from handlers.telegram.client import Upload
from handlers.telegram.messages import protected_file, text_message
from handlers.telegram.outbound import Call
from storage.crypto import Keys
from storage.db import Database
from storage.models import Staff, Upt
from storage.outbox import Due
from storage.reports import Scope


async def summary_calls(db: Database, keys: Keys, renderer: Renderer, due: Due) -> list[Call]:
    op = due.op
    assert isinstance(op, Summary)
    async with db.unit_of_work() as session:
        upt = await session.get(Upt, op.upt_id)
        member = await session.get(Staff, op.staff_id)
        wanted = member is not None and member.status == "active" and member.monthly_summary
        if upt is None or not wanted:
            return []
        first = date.fromisoformat(f"{op.month}-01")
        mid_month = datetime(first.year, first.month, 15, 12, tzinfo=ZoneInfo(upt.timezone))
        found = await figures.gather(session, keys, Scope.of(upt), upt.id, mid_month)
    text = figures.summary(found, Msg(N_("stats.monthly_footer")))
    stop = [[Choice(key("sum", op.staff_id, "0"), N_("summary.stop"))]]
    words = renderer.render(Reply(text.msgid, text.params, stop), due.locale)
    from handlers.reports import chart  # matplotlib: loaded when first drawn

    png = await asyncio.to_thread(chart.png, found, renderer, due.locale)
    caption = Reply(
        N_("stats.chart_caption"),
        {"scope": upt.name, "month": Day(first.isoformat(), N_("format.month"))},
    )
    chat = due.chat_id
    return [
        Call("sendMessage", text_message(chat, words.text, words.buttons, protect=True)),
        Call(
            "sendPhoto",
            protected_file(chat, "photo", renderer.text(caption, due.locale)),
            Upload("photo", "ringkasan.png", png, "image/png"),
        ),
    ]
