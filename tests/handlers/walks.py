"""Walking a reporter through a conversation as a table: (question, action, argument) rows.

Questions and button labels are catalog message ids, so one table walks the same path in
Indonesian and English; a label that is not a message id (a place name) is pressed as is.
Each row first checks that the question on screen is the one expected, so a table is also a
transcript of the path.
"""

from __future__ import annotations

import re

from handlers.i18n import Catalogs
from handlers.render import plain
from tests.fakebot import BotMessage, FakeUser

CATALOGS = Catalogs("id")
NARRATIVE = "Ada akun @penawar_anak di MiChat yang menawarkan anak SMP. Rahasia-narasi-7731."

Row = tuple[str, str, str]  # (question msgid, "tap"|"say"|"photo"|"video"|…, label msgid/text)


def words(msgid: str, locale: str) -> str:
    """What a person reads for a message id (HTML stripped)."""
    return plain(CATALOGS.get(locale, msgid))


def label(arg: str, locale: str) -> str:
    text = CATALOGS.get(locale, arg)
    return plain(text) if text != arg else arg


def question_start(msgid: str, locale: str) -> str:
    """The opening words of a question, up to its first placeholder or line break."""
    text = words(msgid, locale)
    return re.split(r"[{\n]", text, maxsplit=1)[0].strip()


def is_prompt(message: BotMessage) -> bool:
    """A message that waits for an answer: it has a button that comes back to the bot."""
    return any(not v.startswith("url:") for v in message.button_data.values())


async def until_prompt(user: FakeUser) -> list[BotMessage]:
    got: list[BotMessage] = []
    while not got or not is_prompt(got[-1]):
        got += await user.replies(1)
    return got


async def act(user: FakeUser, action: str, arg: str, locale: str = "id") -> list[BotMessage]:
    """Do one thing and return every message up to the next question."""
    if action == "tap":
        await user.press(label(arg, locale))
    elif action == "say":
        await user.send(arg)
    else:
        await user.send_media(action, caption=arg or None)
    return await until_prompt(user)


async def walk(user: FakeUser, rows: list[Row], locale: str = "id") -> list[BotMessage]:
    """Answer each row's question in turn; returns the messages after the last answer."""
    got: list[BotMessage] = [user.last]
    for question, action, arg in rows:
        on_screen = got[-1].plain
        expected = question_start(question, locale)
        assert expected in on_screen, (
            f"expected the question {question} ({expected!r}), saw:\n{on_screen}\n\n"
            f"{user.transcript()}"
        )
        got = await act(user, action, arg, locale)
    return got


async def start_report(user: FakeUser, role_msgid: str, locale: str = "id") -> list[BotMessage]:
    """/start, Lapor, and the role; returns what follows the role."""
    await user.ask("/start", n=2)
    intro, ask_role = await user.tap(label("menu.lapor", locale), n=2)
    assert words("report.intro", locale)[:40] in intro.plain
    return await act(user, "tap", role_msgid, locale)


PLACE = [
    ("report.ask_place", "say", "sidoarjo"),
    ("place.results", "tap", "Kabupaten Sidoarjo, Jawa Timur"),
    ("place.ask_district", "tap", "place.skip"),
]
GURU_PLACE = [("guru.ask_place", "say", "sidoarjo"), *PLACE[1:]]
VICTIM_PLACE = [("victim.ask_place", "say", "sidoarjo"), *PLACE[1:]]
ROLE_PLACE = {"umum": PLACE, "keluarga": PLACE, "guru_bk": GURU_PLACE, "korban": VICTIM_PLACE}

# Every question answered, evidence skipped: the quickest full path of each role.
ANSWERED: dict[str, list[Row]] = {
    "umum": [
        ("report.ask_danger", "tap", "danger.tidak"),
        ("report.ask_relation", "tap", "relation.tetangga"),
        ("report.ask_category", "tap", "category.prostitusi_online"),
        ("report.ask_seen", "tap", "seen.iklan"),
        ("evidence.ask", "tap", "report.skip"),
        ("report.ask_platform", "tap", "platform.michat"),
        *PLACE,
        ("report.ask_narrative", "say", NARRATIVE),
        ("report.ask_when", "tap", "when.hari_ini"),
    ],
    "keluarga": [
        ("report.ask_danger", "tap", "danger.tidak"),
        ("report.ask_relation", "tap", "relation.orang_tua"),
        ("report.ask_age", "tap", "age.13_15"),
        ("report.ask_category", "tap", "category.prostitusi_online"),
        ("report.ask_seen", "tap", "seen.chat"),
        ("evidence.ask", "tap", "report.skip"),
        ("report.ask_platform", "tap", "platform.whatsapp"),
        *PLACE,
        ("report.ask_narrative", "say", NARRATIVE),
        ("report.ask_when", "tap", "when.hari_ini"),
    ],
    "guru_bk": [
        ("report.ask_danger", "tap", "danger.tidak"),
        ("guru.ask_school", "say", "SMP Negeri 9 Contoh"),
        *GURU_PLACE,
        ("guru.ask_age", "tap", "age.13_15"),
        ("guru.ask_grade", "tap", "grade.smp"),
        ("guru.ask_consent", "tap", "consent.setuju"),
        ("report.ask_category", "tap", "category.prostitusi_online"),
        ("guru.ask_observed", "say", NARRATIVE),
        ("guru.ask_parents", "tap", "parents.tidak"),
        ("evidence.ask", "tap", "report.skip"),
        ("report.ask_platform", "tap", "platform.michat"),
        ("report.ask_when", "tap", "when.hari_ini"),
        ("guru.ask_contact", "tap", "contact.tidak"),
    ],
    "korban": [
        ("victim.ask_safe", "tap", "victim.safe_aman"),
        ("victim.ask_purpose", "tap", "purpose.lapor"),
        ("victim.ask_age", "tap", "age.16_17"),
        ("victim.ask_category", "tap", "category.prostitusi_online"),
        ("victim.evidence_ask", "tap", "report.skip"),
        ("report.ask_platform", "tap", "platform.michat"),
        *VICTIM_PLACE,
        ("victim.ask_narrative", "say", NARRATIVE),
        ("report.ask_when", "tap", "when.hari_ini"),
    ],
}
NARRATIVE_QUESTION = {
    "umum": "report.ask_narrative",
    "keluarga": "report.ask_narrative",
    "guru_bk": "guru.ask_observed",
    "korban": "victim.ask_narrative",
}
URGENT: dict[str, list[Row]] = {
    role: [
        ("victim.ask_safe", "tap", "victim.safe_tidak")
        if role == "korban"
        else ("report.ask_danger", "tap", "danger.ya"),
        *ROLE_PLACE[role][:-1],  # a child in danger now: no kecamatan question
        (NARRATIVE_QUESTION[role], "say", NARRATIVE),
    ]
    for role in ANSWERED
}
ROLE_MSGIDS = {
    "Masyarakat umum": "umum",
    "Orang tua/keluarga": "keluarga",
    "Guru BK": "guru_bk",
    "Korban (saya sendiri)": "korban",
}


def updates_row(on: bool, role: str = "umum") -> Row:
    question = "victim.ask_updates" if role == "korban" else "report.ask_updates"
    yes = "victim.updates_ya" if role == "korban" else "updates.ya"
    return (question, "tap", yes if on else "updates.tidak")


def public_without_place(story: str) -> list[Row]:
    """The public's path with most questions skipped and the place unknown (SAPA 129)."""
    return [
        ("report.ask_danger", "tap", "danger.tidak"),
        ("report.ask_relation", "tap", "report.skip"),
        ("report.ask_category", "tap", "category.lainnya"),
        ("report.ask_seen", "tap", "report.skip"),
        ("evidence.ask", "tap", "report.skip"),
        ("report.ask_platform", "tap", "report.skip"),
        ("report.ask_place", "tap", "place.unknown"),
        ("report.ask_narrative", "say", story),
        ("report.ask_when", "tap", "when.hari_ini"),
        updates_row(False),
    ]
