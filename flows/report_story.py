"""A story longer than one Telegram message arrives as several messages, one right after the
other. They are joined, the length limit applies to the whole story, and the person says what
is kept: never the tail alone, silently.

A message of PART_MIN characters or more was probably cut by Telegram (at 4 096), so the next
text is taken as its continuation; after a shorter one the paste is complete, and a new text
is a new attempt. No clock is needed: Telegram sends the parts in order, before anyone could
answer in between.
"""

from __future__ import annotations

from typing import Any

from flows.core import N_, Choice, Reply

PART_MIN = 3500
PART_MAX = 4096  # Telegram's own limit: nothing longer is one message
MAX_PARTS = 6  # what a draft holds of one paste, at most
KEEP_START, REWRITE = "story:keep", "story:redo"
END_SHOWN = 40  # characters of the kept story's end, quoted so the person sees where it stops

Draft = dict[str, Any]


def on_text(r: Draft, text: str, limit: int) -> list[Reply] | None:
    """None when the text is an ordinary story within the limit (the caller keeps it)."""
    parts: list[str] = list(r.get("story") or [])
    if parts and len(parts[-1]) < PART_MIN:
        parts = []  # the last paste was complete: this is a new attempt
    if not parts and len(text) <= limit:
        r.pop("story", None)
        return None
    if len(parts) < MAX_PARTS:
        parts.append(text[:PART_MAX])
    r["story"] = parts
    length, pieces = str(len("".join(parts))), str(len(parts))
    msgid = N_("story.too_long_parts") if len(parts) > 1 else N_("story.too_long")
    return [
        Reply(
            msgid,
            {"length": length, "max": str(limit), "parts": pieces},
            [
                [Choice(KEEP_START, N_("story.keep_start"), {"max": str(limit)})],
                [Choice(REWRITE, N_("story.rewrite"))],
            ],
        )
    ]


def on_choice(r: Draft, key: str, limit: int) -> tuple[str | None, list[Reply]] | None:
    """(the story to keep or None to ask again, what to say); None when not a story key or
    nothing is waiting."""
    parts = r.pop("story", None)
    if key not in (KEEP_START, REWRITE) or not parts:
        if parts:
            r["story"] = parts
        return None
    if key == REWRITE:
        return None, [Reply(N_("story.rewrite_asked"), {"max": str(limit)})]
    kept = "".join(parts)[:limit].rstrip()
    said = Reply(N_("story.kept"), {"max": str(limit), "end": "…" + kept[-END_SHOWN:]})
    return kept, [said]
