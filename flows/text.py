"""Words a person typed, made safe to show to someone else.

Normalised to NFC; control characters, bidirectional overrides and isolates, and zero-width
and other invisible format characters are removed, so a handle cannot be made to look like
another, and text cannot reorder what follows it. A single-line field also has its line
breaks folded, so it cannot add lines that look like the bot's own ("Status: Selesai").
"""

from __future__ import annotations

import re
import unicodedata

_KEEP = frozenset("\n")
_LINE_BREAKS = re.compile(r"\r\n?|[\u2028\u2029\x85\x0b\x0c]")
_SPACES = re.compile(r"\s+")
_BLANK_RUNS = re.compile(r"\n{3,}")


def clean(text: str) -> str:
    """Multi-line text (a story, an answer): line breaks kept, at most one blank line."""
    text = unicodedata.normalize("NFC", _LINE_BREAKS.sub("\n", text))
    out = "".join(
        " " if ch == "\t" else ch
        for ch in text
        if ch in _KEEP or ch == "\t" or unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co")
    )
    return _BLANK_RUNS.sub("\n\n", out).strip()


def one_line(text: str) -> str:
    """A single-line field (a school, a contact, a name): every run of spaces and line breaks
    becomes one space."""
    return _SPACES.sub(" ", clean(text)).strip()
