"""Linked reports on the card (issue 15, item 4): a new report naming an account an earlier one
named says so on its card, with the case numbers the unit may see; another unit's are only
counted."""

from __future__ import annotations

from tests.fakebot import FakeUser
from tests.handlers.test_staff_e2e import connected_coordinator, group_message
from tests.handlers.walks import ANSWERED, PLACE, Row, act, start_report, updates_row, walk
from tests.support import RunningBot

BANDUNG: list[Row] = [
    ("report.ask_place", "say", "bandung"),
    ("place.results", "tap", "Kota Bandung, Jawa Barat"),
    ("place.ask_district", "tap", "place.skip"),
]


async def report_naming(user: FakeUser, typed: str, place: list[Row] = PLACE) -> str:
    """The public's path naming `typed` as evidence; returns the case number it got."""
    rows: list[Row] = []
    for row in ANSWERED["umum"]:
        if row[0] == "evidence.ask":
            rows += [("evidence.ask", "say", typed), ("evidence.collected", "tap", "evidence.done")]
        elif row == PLACE[0]:
            rows += place
        elif row not in PLACE[1:]:
            rows.append(row)
    await start_report(user, "role.umum", "id")
    await walk(user, [*rows, updates_row(False)], "id")
    got = await act(user, "tap", "summary.submit", "id")
    sent = got[0].plain
    return sent[sent.index("PPA-") :].split()[0].rstrip(".,)")


async def test_the_card_tells_of_earlier_reports_naming_the_same_account(
    running_bot: RunningBot,
) -> None:
    api = running_bot.api
    await connected_coordinator(running_bot)
    elsewhere = await report_naming(api.user(5570001), "@penawar_vip 0812-1111-2222", BANDUNG)
    assert elsewhere.startswith("PPA-3273-")  # Jawa Barat's: not this group's
    here = await report_naming(api.user(5570002), "@PENAWAR_VIP")
    card = await group_message(api, here)
    assert "juga ada di 1 laporan lain (di unit lain)" in card.plain
    third = await report_naming(api.user(5570003), "@penawar_vip\n0812 1111 2222")
    card = await group_message(api, third)
    assert f"juga ada di 2 laporan lain (di unit ini: {here})" in card.plain, card.plain
    assert elsewhere not in card.plain  # counted, never shown
    # The group holding the earlier, open report hears of the new one, under its card.
    told = await group_message(api, f"Laporan baru {third} menyebut akun/tautan yang sama")
    assert here in told.plain
    first_card = await group_message(api, here)
    assert "di unit ini" not in first_card.plain  # cards are not rewritten for later reports
