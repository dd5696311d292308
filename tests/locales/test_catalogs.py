"""Every message id the code uses has words in both catalogs, and nothing else is in them."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from handlers.i18n import Catalogs
from locales import LOCALES_DIR

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("flows", "handlers", "bot")


def used_msgids() -> set[str]:
    found: set[str] = set()
    for package in SOURCES:
        for _, _, message, _, _ in extract_from_dir(
            ROOT / package, method_map=[("**.py", "python")], keywords={"N_": None}
        ):
            found.add(message)
    return found


def catalog(locale: str) -> dict[str, str]:
    with (LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return {m.id: m.string for m in read_po(f) if m.id}


@pytest.mark.parametrize("locale", ["id", "en"])
def test_every_used_msgid_is_translated(locale: str) -> None:
    words = catalog(locale)
    missing = sorted(m for m in used_msgids() if not words.get(m))
    assert not missing, f"{locale} lacks: {missing}"


def test_catalogs_hold_no_dead_entries() -> None:
    assert sorted(set(catalog("id")) - used_msgids()) == []
    assert set(catalog("en")) == set(catalog("id"))


@pytest.mark.parametrize("locale", ["id", "en"])
def test_placeholders_match_the_source(locale: str) -> None:
    source, words = catalog("id"), catalog(locale)
    for msgid, text in words.items():
        assert set(re.findall(r"{(\w+)}", text)) == set(re.findall(r"{(\w+)}", source[msgid])), (
            msgid
        )


def test_no_user_facing_literal_outside_the_catalogs() -> None:
    """Replies and buttons name catalog ids (N_), never words written in code."""
    offenders = []
    for package in SOURCES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Call) and getattr(node.func, "id", "") in (
                    "Reply",
                    "Choice",
                ):
                    for arg in node.args[1:] if node.func.id == "Choice" else node.args[:1]:
                        if isinstance(arg, ast.Constant):
                            offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == []


def test_english_is_used_when_asked_and_falls_back_to_indonesian() -> None:
    catalogs = Catalogs("id")
    assert catalogs.get("en", "menu.lapor") == "Report"
    assert catalogs.get("id", "menu.lapor") == "Lapor"
    assert catalogs.get("xx", "menu.lapor") == "Lapor"


def test_english_names_the_english_commands() -> None:
    """English speakers have /report, /cancel, /help, /language and /forget in their menu:
    the English texts name those (issue 13, item 9). Both sets work."""
    indonesian = re.compile(r"/(lapor|batal|bantuan|bahasa|hapus)\b")
    named = {msgid: text for msgid, text in catalog("en").items() if indonesian.search(text)}
    assert not named


def test_a_victim_is_never_spoken_to_as_anda() -> None:
    """Every message written for a victim says "kamu", and puts no "saya" in their mouth
    (issue 13, item 9); tests/handlers/test_victim_register_e2e.py walks their paths."""
    formal = re.compile(r"\b(Anda|saya)\b")
    slips = {m: t for m, t in catalog("id").items() if m.startswith("victim.") and formal.search(t)}
    assert not slips


@pytest.mark.parametrize("locale", ["id", "en"])
def test_the_bot_profile_fits_telegrams_limits(locale: str) -> None:
    """setMyDescription takes at most 512 characters, setMyShortDescription 120."""
    words = catalog(locale)
    assert len(words["bot.description"]) <= 512
    assert len(words["bot.short_description"]) <= 120
