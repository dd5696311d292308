"""What a report keeps, and how staff and the summary read it: the ticket's details, the
answers as "label: value" lines, and the evidence shown within Telegram's limits."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flows import evidence
from flows.core import N_, Lines, Msg, Param
from flows.report_questions import (
    CHOICES,
    EVIDENCE_MAX_CHARS,
    EVIDENCE_SHOWN_CHARS,
    FIELD_LABELS,
    STAFF_VOICE,
    role_steps,
)
from flows.text import one_line


def evidence_text(items: list[dict[str, Any]], limit: int = EVIDENCE_SHOWN_CHARS) -> Param:
    """The items one per line; past `limit` characters the rest is only counted, so a card
    or summary stays inside Telegram's 4 096 characters."""
    lines: list[str] = []
    used = 0
    for item in items:
        line = f"• {one_line(evidence.from_dict(item).value)}"
        if lines and used + len(line) > limit:
            rest = len(items) - len(lines)
            return Msg(N_("evidence.more"), {"shown": "\n".join(lines), "count": str(rest)})
        lines.append(line)
        used += len(line) + 1
    return "\n".join(lines)


def evidence_cut(d: Mapping[str, Any]) -> bool:
    """True when a ticket's evidence is longer than a card shows."""
    return isinstance(evidence_text(d.get("evidence") or []), Msg)


def full_evidence(d: Mapping[str, Any]) -> Param:
    return evidence_text(d.get("evidence") or [], limit=EVIDENCE_MAX_CHARS * 2)


def answer_value(step: str, value: Any) -> Param:
    if value is None:
        return Msg(N_("summary.skipped"))
    labels = CHOICES[step][1] if step in CHOICES else {}
    if value in labels:
        return Msg(labels[value])
    return str(value)  # typed words: a school, the counselor's own contact


# Answers kept in the ticket's encrypted details (the rest have columns of their own).
DETAIL_STEPS = (
    "safe", "purpose", "relation", "age", "school", "grade", "consent", "seen", "parents",
    "platform", "contact",
)  # fmt: skip


# Answers kept in columns of their own, which a shorter path (urgent, counselling) may never
# ask: the ticket still needs a value, so the card is told they were not asked.
COLUMN_STEPS = ("category", "when")


def details(a: Mapping[str, Any]) -> dict[str, Any]:
    """What the ticket keeps of the role's own questions: every answer given (an urgent report
    asks fewer questions, but keeps what was answered before or added with Ubah)."""
    mine = role_steps(a)
    out: dict[str, Any] = {k: a[k] for k in DETAIL_STEPS if k in mine and a.get(k) is not None}
    unasked = [k for k in COLUMN_STEPS if k not in a]  # skipped (Lewati) is None, not absent
    if unasked:
        out["unasked"] = unasked
    ev = a.get("evidence") if "evidence" in mine else None
    if ev:
        out["evidence"] = list(ev.get("items", []))
        out["images"] = list(ev.get("images", []))
    return out


CARD_FIELDS = {**FIELD_LABELS, "contact": N_("card.contact")}


def detail_rows(d: Mapping[str, Any]) -> Lines:
    """A ticket's details as staff read them. The counselor's own contact is labelled as
    given by choice; images are never shown, only counted."""
    rows: list[tuple[str, Param]] = []
    for step in DETAIL_STEPS:
        if d.get(step) is not None:
            value = answer_value(step, d[step])
            if isinstance(value, Msg) and value.msgid in STAFF_VOICE:
                value = Msg(STAFF_VOICE[value.msgid])
            if isinstance(value, str):  # typed words: one line, visibly the reporter's
                value = Msg(N_("card.typed"), {"text": one_line(value)})
            rows.append((CARD_FIELDS[step], value))
    items = d.get("evidence") or []
    if items:
        rows.append(
            (N_("card.evidence"), Msg(N_("card.evidence_block"), {"items": evidence_text(items)}))
        )
    return Lines(tuple(rows))
