"""Evidence a reporter types — links, usernames, phone numbers, group names — as normalised items.

One message may hold several items, one per line or several on a line separated by spaces or
commas. ``parse`` pulls out what it recognises anywhere in a line and keeps the rest as text:

* links, with or without a scheme, become ``https://host/path?query`` with a lower-case host,
  no ``www.``/``m.``/``mobile.`` prefix, no tracking parameters, no fragment and no trailing
  slash; ``twitter.com`` becomes ``x.com``. Other schemes (``javascript:``, ``data:``, ``tg:``…)
  are never links, so a value of kind "link" is always a safe, clickable https URL;
* ``@name`` (1–32 of ``[A-Za-z0-9_.]``) is a username, case kept;
* phone numbers become E.164, Indonesian first: ``0812-3456-7890`` → ``+6281234567890``;
* whatever meaningful words remain become one "text" item per line.

Pure stdlib and total: ``parse`` never raises, whatever it is given. No user-facing text here.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast

from flows.evidence_links import LEAD, MAX_ITEM, TOKEN, TRAIL, link, words

Kind = Literal["link", "username", "phone", "text"]
KINDS: tuple[Kind, ...] = ("link", "username", "phone", "text")
PLATFORMS = ("michat", "whatsapp", "telegram", "x", "facebook", "instagram", "tiktok")

MAX_ITEMS = 20  # items per parse() call


@dataclass(frozen=True, slots=True)
class Item:
    kind: Kind
    value: str  # normalised
    platform: str | None = None  # one of PLATFORMS, only ever set on links


# --- usernames and phones --------------------------------------------------------------------

_USERNAME = re.compile(r"(?<![\w.@])@([A-Za-z0-9_.]{1,32})(?![\w.@])")
# Digit groups, optionally in parentheses, separated by one space, dot or dash. Possessive
# runs keep a 100 000-digit line linear.
_PHONE_SEP = r"[ .\-\u2010-\u2015]"
_PHONE_GROUP = r"(?:\([0-9]++\)|[0-9]++)"
_PHONE = re.compile(rf"(?<![\w+])\+?{_PHONE_GROUP}(?:{_PHONE_SEP}{_PHONE_GROUP}){{0,7}}(?!\w)")
_PHONE_CHUNK = re.compile(r"\+?(?:\([0-9]+\)|[0-9]+)")
_MOBILE_SECOND_DIGIT = "1235789"  # 081x, 082x, 083x, 085x, 087x, 088x, 089x


def _indonesian(national: str) -> str | None:
    if national.startswith("0"):  # "+62 0812…", a common slip
        national = national[1:]
    if 8 <= len(national) <= 12 and national[0] != "0":
        return "+62" + national
    return None


def _looks_like_amount(raw: str) -> bool:
    """ "850.000.000" is rupiah, not a phone number."""
    groups = re.split(_PHONE_SEP, raw)
    return "." in raw and len(groups) > 1 and all(len(g) == 3 for g in groups[1:])


def _phone(raw: str) -> str | None:
    """E.164 form of a phone number as typed, or None."""
    plus = raw.startswith("+")
    digits = "".join(c for c in raw if "0" <= c <= "9")
    if not plus and digits.startswith("00"):  # international dialling prefix
        plus, digits = True, digits[2:]
    if digits.startswith("62"):
        return _indonesian(digits[2:])
    if plus:
        return "+" + digits if 8 <= len(digits) <= 15 and digits[0] != "0" else None
    if digits.startswith("0"):
        return _indonesian(digits[1:])
    if (
        digits[:1] == "8"
        and 9 <= len(digits) <= 12
        and digits[1] in _MOBILE_SECOND_DIGIT
        and not _looks_like_amount(raw)
    ):
        return _indonesian(digits)
    return None


def _phones(candidate: str, base: int) -> list[tuple[int, int, str]]:
    """Numbers in a run of digit groups: "0812 3456 7890 0813 1111 2222" holds two.

    Of all ways to cut the run into numbers, the one covering most groups wins, then the one
    with fewest numbers; a run has at most eight groups, so this is a tiny table.
    """
    chunks = [(c.start(), c.end()) for c in _PHONE_CHUNK.finditer(candidate)]
    n = len(chunks)
    # best[i]: (groups covered, -numbers, numbers) for chunks[i:].
    best: list[tuple[int, int, list[tuple[int, int, str]]]] = [(0, 0, [])] * (n + 1)
    for i in range(n - 1, -1, -1):
        choice = best[i + 1]
        digits = sum(c.isdigit() for c in candidate[chunks[i][0] : chunks[i][1]])
        # A number starts with a group of two digits or more: in "grup 0 0812…" the 0 is not
        # part of the number.
        for j in range(i + 1, n + 1 if digits >= 2 else i + 1):
            start, end = chunks[i][0], chunks[j - 1][1]
            value = _phone(candidate[start:end])
            if value is None:
                continue
            covered, minus_count, numbers = best[j]
            option = (covered + j - i, minus_count - 1, [(base + start, base + end, value)])
            option = (option[0], option[1], option[2] + numbers)
            if option[:2] > choice[:2]:
                choice = option
        best[i] = choice
    return best[0][2]


# --- text ------------------------------------------------------------------------------------

_CONNECTORS = words(
    "dan atau and or serta & + di ke via dari pada yg yang juga lalu dgn dengan with at on in "
    "the to n"
)
# Words that only announce an item ("Nomor WA: …", "link: …"); alone they say nothing.
_LABELS = words(
    "link links tautan url akun account username user id nomor nomer no nmr hp telp telepon "
    "tlp phone tel sms kontak contact grup group wa"
)
_FILLER = _CONNECTORS | _LABELS
_PUNCT = string.punctuation + "“”‘’«»…–—•·|"
_EDGE = " :;,.-–—|/>•·=*"
_SENTINEL = "\x00"  # marks extracted spans; control characters never survive _clean


def _word_key(word: str) -> str:
    return word.strip(_PUNCT).lower()


def _empty(word: str) -> bool:
    return not any(c.isalnum() for c in word)


def _meaningless(words: list[str]) -> bool:
    return all(_empty(w) or _word_key(w) in _FILLER for w in words)


def _letters(text: str) -> int:
    return sum(c.isalpha() for c in text)


def _cut_text(text: str) -> str:
    return text[:MAX_ITEM].rstrip()


def _leftover(segments: Iterable[str]) -> str | None:
    """What remains of a line around extracted items, minus connectors and bare labels."""
    kept = []
    for segment in segments:
        words = segment.split()
        if not words or _meaningless(words):
            continue
        while words and (_empty(words[0]) or _word_key(words[0]) in _CONNECTORS):
            words.pop(0)
        while words and (_empty(words[-1]) or _word_key(words[-1]) in _CONNECTORS):
            words.pop()
        text = " ".join(words).strip(_EDGE)
        if text:
            kept.append(text)
    joined = " ".join(kept)
    return _cut_text(joined) if _letters(joined) >= 3 else None


# --- parsing ---------------------------------------------------------------------------------


def _clean(line: str) -> str:
    """Whitespace to plain spaces; control, format (bidi, zero-width) and surrogate code
    points dropped."""
    if line.isascii() and line.isprintable():
        return line
    out = []
    for c in line:
        if c.isspace():
            out.append(" ")
        elif unicodedata.category(c) not in ("Cc", "Cf", "Cs"):
            out.append(c)
    return "".join(out)


def _parse_line(line: str) -> list[Item]:
    found: list[tuple[int, int, Item]] = []
    for m in TOKEN.finditer(line):
        token = m.group()
        if "." not in token:
            continue
        core = token.lstrip(LEAD)
        lead = len(token) - len(core)
        core = core.rstrip(TRAIL)
        found_link = link(core) if core else None
        if found_link is not None:
            offset, value, platform = found_link
            start = m.start() + lead
            found.append((start + offset, start + len(core), Item("link", value, platform)))

    masked = _mask(line, found)
    start_of_usernames = len(found)
    for m in _USERNAME.finditer(masked):
        name = m.group(1).rstrip(".")
        if any(c.isalnum() for c in name):
            found.append((m.start(), m.start() + 1 + len(name), Item("username", "@" + name)))

    masked = _mask(masked, found[start_of_usernames:])
    for m in _PHONE.finditer(masked):
        for start, end, value in _phones(m.group(), m.start()):
            found.append((start, end, Item("phone", value)))

    if not found:
        words = line.split()
        if not words or _meaningless(words) or _letters(line) < 3:
            return []
        return [Item("text", _cut_text(" ".join(words)))]

    found.sort(key=lambda f: f[0])
    items = [item for _, _, item in found]
    text = _leftover(_mask(line, found).split(_SENTINEL))
    if text is not None:
        items.append(Item("text", text))
    return items


def _mask(line: str, spans: Iterable[tuple[int, int, Item]]) -> str:
    chars = list(line)
    for start, end, _ in spans:
        chars[start:end] = _SENTINEL * (end - start)
    return "".join(chars)


def parse(text: str) -> list[Item]:
    """The evidence items in ``text``, in order, without duplicates, at most MAX_ITEMS."""
    if not isinstance(text, str):
        return []
    items: list[Item] = []
    seen: set[tuple[str, str]] = set()
    for raw in text.splitlines():
        line = _clean(raw)
        if not line.strip():
            continue
        for item in _parse_line(line):
            key = (item.kind, item.value)
            if key in seen:
                continue
            seen.add(key)
            items.append(item)
            if len(items) >= MAX_ITEMS:
                return items
    return items


def guess_platform(items: Iterable[Item]) -> str | None:
    """The one platform every platform-bearing item agrees on, else None."""
    platforms = {item.platform for item in items if item.platform is not None}
    return platforms.pop() if len(platforms) == 1 else None


def as_dict(item: Item) -> dict[str, str | None]:
    return {"kind": item.kind, "value": item.value, "platform": item.platform}


def from_dict(d: Mapping[str, Any]) -> Item:
    """The inverse of ``as_dict``; ValueError on anything ``as_dict`` could not have made."""
    kind, value, platform = d.get("kind"), d.get("value"), d.get("platform")
    if kind not in KINDS:
        raise ValueError(f"unknown evidence kind: {kind!r}")
    if not isinstance(value, str) or not value or len(value) > MAX_ITEM:
        raise ValueError("evidence value must be a non-empty string of at most MAX_ITEM")
    if platform is not None and platform not in PLATFORMS:
        raise ValueError(f"unknown platform: {platform!r}")
    if kind == "link" and not value.startswith("https://"):
        raise ValueError("links are https URLs")
    return Item(cast(Kind, kind), value, platform)


# Shorter "text" items ("grup vip", a word) are too common to say two reports share anything.
MIN_TEXT_IDENTITY = 10


def identity(item: Item) -> str | None:
    """What makes two reports' items the same identifier, whoever typed it and however: a link
    as normalised, a username and a group name without case, a phone number in E.164. None
    for text too short to identify anything."""
    if item.kind == "username":
        return f"username:{item.value.lower()}"
    if item.kind == "text":
        folded = " ".join(item.value.casefold().split())
        return f"text:{folded}" if len(folded) >= MIN_TEXT_IDENTITY else None
    return f"{item.kind}:{item.value}"
