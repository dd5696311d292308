"""What /statistik and Ekspor send: the unit's figures as text (with Ekspor buttons for a
koordinator) and its chart, or the month's XLSX in the koordinator's private chat. The chart
and the workbook are drawn off the event loop: nobody else's update waits for them."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncSession

from flows.casework.keys import key
from flows.core import N_, Choice, Day, Msg, Reply
from handlers.casework.events import Direct, File
from handlers.render import Renderer
from handlers.reports import figures
from handlers.reports.export import build
from storage.crypto import Keys
from storage.models import Upt, utcnow
from storage.reports import Scope

LOCALE = "id"  # staff read Indonesian


async def statistics(
    session: AsyncSession,
    keys: Keys,
    renderer: Renderer,
    upt_id: int,
    chat_id: int,
    viewer: str,
    *,
    exports: bool,
) -> list[Direct]:
    upt = await session.get_one(Upt, upt_id)
    scope = Scope.of(upt)
    found = await figures.gather(session, keys, scope, upt.id, utcnow())
    text = figures.summary(found, Msg(N_("stats.asked_by"), {"name": viewer}))
    if exports:
        months = (found.month, found.last_month)
        buttons = [
            Choice(
                key("exp", upt.id, f"{m:%Y-%m}"),
                N_("stats.export_this"),
                {"month": Day(m.isoformat(), N_("format.month"))},
            )
            for m in months
        ]
        text = Reply(text.msgid, text.params, [buttons])
    from handlers.reports import chart  # matplotlib: loaded when first drawn

    png = await asyncio.to_thread(chart.png, found, renderer, LOCALE)
    caption = Reply(
        N_("stats.chart_caption"),
        {"scope": upt.name, "month": Day(found.month.isoformat(), N_("format.month"))},
    )
    picture = File("photo", "statistik.png", png, "image/png")
    return [Direct(chat_id, text), Direct(chat_id, caption, file=picture)]


async def month_file(
    session: AsyncSession, renderer: Renderer, upt_id: int, month: str, user_id: int, staff_id: int
) -> Direct:
    """The month's cases as XLSX, to the koordinator's own chat (the export is audited)."""
    upt = await session.get_one(Upt, upt_id)
    made = await build(
        session, renderer, LOCALE, Scope.of(upt), month, "xlsx", actor=f"staff:{staff_id}"
    )
    caption = Reply(
        N_("stats.export_caption"),
        {
            "scope": upt.name,
            "month": Day(f"{month}-01", N_("format.month")),
            "count": str(made.tickets),
        },
    )
    return Direct(user_id, caption, file=File("document", made.name, made.content, made.mime))
