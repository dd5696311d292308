"""Secret ticket codes: the only thing that links an anonymous reporter to their report.

A code is 11 random Crockford base32 symbols plus one check symbol, shown in three groups
(``7K2M-9Q4T-1XAB``). 11 symbols give 55 bits from ``secrets`` — far beyond guessing over a
rate-limited chat — and the check symbol lets us tell a typo ("check the code again") apart
from a code that simply does not exist, without a database round trip.

Pure stdlib; no user-facing text here, callers map ``CodeError`` to catalog messages.
"""

from __future__ import annotations

import enum
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 12
_PAYLOAD_LENGTH = CODE_LENGTH - 1
_GROUP = 4

_VALUE = {symbol: value for value, symbol in enumerate(ALPHABET)}
# Odd weights are units modulo 32, so w * (a - b) ≡ 0 (mod 32) only when a == b: every
# single-symbol substitution changes the check. Adjacent weights differ by 2, so a swap of
# neighbours goes unnoticed only when the two values differ by exactly 16.
_WEIGHTS = tuple(range(1, 2 * _PAYLOAD_LENGTH, 2))

# Crockford's reading rules: letters people confuse with digits map to them, so a code
# copied by hand from a screenshot still parses. U is deliberately absent (not mapped).
_CONFUSABLES = str.maketrans({"O": "0", "I": "1", "L": "1"})
# Separators people (or phone keyboards, which turn "-" into dashes) put between groups.
_SEPARATORS = frozenset(" \t\r\n\u00a0-\u2010\u2011\u2012\u2013\u2014\u2212._")
# A generous bound so a pasted essay is rejected before any per-character work.
_MAX_INPUT = 64


class CodeError(enum.Enum):
    """Why text is not a valid code; FORMAT is "not a code at all", CHECKSUM is "a typo"."""

    FORMAT = "format"
    CHECKSUM = "checksum"


def _check_symbol(payload: str) -> str:
    total = sum(w * _VALUE[s] for w, s in zip(_WEIGHTS, payload, strict=True))
    return ALPHABET[total % len(ALPHABET)]


def new_code() -> str:
    """A fresh canonical code: 12 symbols, no separators."""
    payload = "".join(secrets.choice(ALPHABET) for _ in range(_PAYLOAD_LENGTH))
    return payload + _check_symbol(payload)


def format_code(canonical: str) -> str:
    """Group a canonical code for display: ``7K2M9Q4T1XAB`` -> ``7K2M-9Q4T-1XAB``."""
    return "-".join(canonical[i : i + _GROUP] for i in range(0, len(canonical), _GROUP))


def _normalise(text: str) -> str | None:
    """Upper-cased symbols with separators removed and confusables mapped, or None if any
    character is outside the alphabet or the length is not CODE_LENGTH."""
    if len(text) > _MAX_INPUT:
        return None
    symbols = "".join(c for c in text if c not in _SEPARATORS).upper().translate(_CONFUSABLES)
    if len(symbols) != CODE_LENGTH or any(c not in _VALUE for c in symbols):
        return None
    return symbols


def parse_code(text: str) -> str | CodeError:
    """The canonical code typed in ``text``, or why it is not one."""
    symbols = _normalise(text)
    if symbols is None:
        return CodeError.FORMAT
    if _check_symbol(symbols[:_PAYLOAD_LENGTH]) != symbols[-1]:
        return CodeError.CHECKSUM
    return symbols


def _phone_number(text: str) -> bool:
    """An Indonesian phone number such as 0812-3456-7890 has a code's shape (twelve symbols in
    fours) but is evidence: only digits, starting 0 or 62. A generated code is all digits
    about once in a million; typed alone like this it is asked for again, never lost."""
    digits = "".join(c for c in text if c not in " -.+()")
    return digits.isascii() and digits.isdigit() and digits.startswith(("0", "62"))


def looks_like_code(text: str) -> bool:
    """Whether ``text`` is shaped like a code, so a code pasted mid-conversation (even with a
    typo) can be recognised instead of being treated as, say, part of a report.

    Ordinary chat can also squeeze into 12 symbols ("halo apa kabar" -> HA10APAKABAR once O/L
    are mapped), so a text without any real digit only counts if its checksum also holds.
    Generated codes are digit-free with probability (22/32)**12 ≈ 1 %, and such codes still
    match here whenever they are typed correctly.
    """
    symbols = _normalise(text)
    if symbols is None or _phone_number(text):
        return False
    if any(c.isascii() and c.isdigit() for c in text):
        return True
    return _check_symbol(symbols[:_PAYLOAD_LENGTH]) == symbols[-1]
