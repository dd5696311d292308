"""The report conversation: role first, Kirim/Ubah/Batal last, and each role's own questions
in between (see report.md for every path).

- Every question after the role has **Lewati**; a skipped answer is stored as None. A skipped
  place routes to the national channel, a skipped category counts as `lainnya`.
- A child in danger now (or a victim who is not safe) shortens the path to the fewest steps:
  place, what is happening, updates. The rest can still be added with **Ubah**.
- A victim's questions are shorter and gentler, and every one of them carries
  **Hapus percakapan** (handled by the conversation, which owns the chat).

The draft is a JSON-safe dict: {"id": key, "step": name, "a": answers, "edit": bool,
"p": place page, "ev": evidence being collected}.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from flows import evidence, place, report_story
from flows.core import N_, Choice, Effect, EffectResult, Input, Reply
from flows.report_kept import evidence_text
from flows.report_questions import (
    CHOICES,
    DANGER_WORDS,
    EVIDENCE_CLEAR,
    EVIDENCE_DONE,
    EVIDENCE_MAX_CHARS,
    EVIDENCE_MAX_IMAGES,
    EVIDENCE_MAX_ITEMS,
    FIELD_LABELS,
    MOVING_PICTURES,
    PATHS,
    PLACE_STEPS,
    PLACE_WORDING,
    RELATIONS,
    ROLES,
    SKIP,
    TEXTS,
    WHATSAPP_SAPA,
    WIPE,
    WORDING,
    age_band,
    first_unanswered,
    role_steps,
)
from flows.report_summary import summary

Draft = dict[str, Any]
Step = tuple[list[Reply], list[Effect]]


def new_draft() -> Draft:
    return {"id": uuid.uuid4().hex, "step": "role", "a": {}, "edit": False}


# --- what the person sees -----------------------------------------------------------------


def _options(step: str, a: Mapping[str, Any]) -> tuple[str, ...]:
    labels = CHOICES[step][1]
    if step == "relation":
        return RELATIONS.get(a.get("role", ""), RELATIONS["umum"])
    if step == "age" and a.get("role") == "guru_bk":
        return ("lt13", "13_15", "16_17")
    return tuple(labels)


def _rows(buttons: list[Choice], per_row: int) -> list[list[Choice]]:
    return [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]


def _question(step: str, a: Mapping[str, Any]) -> str:
    if step == "updates" and a.get("role") == "guru_bk" and a.get("contact"):
        return N_("guru.ask_updates_known")  # staff do know the contact they gave
    msgid = WORDING.get((a.get("role", ""), step))
    if msgid:
        return msgid
    return CHOICES[step][0] if step in CHOICES else TEXTS[step][0]


def prompt(r: Draft) -> Reply:
    """The question the draft is waiting on, with its buttons."""
    reply = _prompt(r)
    if r["step"] == "place" and (msgid := PLACE_WORDING.get(r["a"].get("role", ""))):
        reply = Reply(msgid, reply.params, reply.choices)
    return _way_out(r, reply)


def _way_out(r: Draft, reply: Reply) -> Reply:
    """A visible way out on every question of a victim's conversation, place lists too."""
    if r["a"].get("role") != "korban" or r["step"] == "role" or not reply.choices:
        return reply
    if any(c.key == WIPE for row in reply.choices for c in row):
        return reply
    return Reply(reply.msgid, reply.params, [*reply.choices, [Choice(WIPE, N_("victim.wipe"))]])


def _skip_row(r: Draft | None = None) -> list[Choice]:
    # Ubah on an answered question: the way past it keeps the answer (see handle), and says so.
    if r is not None and r.get("edit") and r["a"].get(_field(r["step"])) is not None:
        return [Choice(SKIP, N_("report.keep"))]
    return [Choice(SKIP, N_("report.skip"))]


def _field(step: str) -> str:
    return "contact" if step == "contact_text" else step


def _prompt(r: Draft) -> Reply:
    step, a = r["step"], r["a"]
    if step in CHOICES:
        labels, per_row = CHOICES[step][1], CHOICES[step][2]
        buttons = [Choice(f"{step}:{k}", labels[k]) for k in _options(step, a)]
        rows = _rows(buttons, per_row)
        # "Tidak, tetap anonim" already is the way past the contact question.
        if step not in ("role", "contact"):
            rows.append(_skip_row(r))
        return Reply(_question(step, a), {}, rows)
    if step in TEXTS:
        limit = TEXTS[step][1]
        back = (
            [[Choice(SKIP, N_("contact.keep_anonymous"))]]
            if step == "contact_text"
            else [_skip_row(r)]
        )
        return Reply(_question(step, a), {"max": str(limit)}, back)
    if step in PLACE_STEPS:
        return place.prompt(r)
    if step == "evidence":
        return _evidence_prompt(r)
    if step == "summary":
        return summary(r)
    if step == "edit_menu":
        steps = [s for s in role_steps(a) if s in FIELD_LABELS]
        rows = _rows([Choice(f"edit:{s}", FIELD_LABELS[s]) for s in steps], 2)
        return Reply(N_("report.ask_edit"), choices=[*rows, [Choice("edit:back", N_("edit.back"))]])
    if step == "confirm_cancel":
        return Reply(
            N_("report.ask_cancel"),
            choices=[
                [Choice("cancel:yes", N_("cancel.yes"))],
                [Choice("cancel:no", N_("cancel.no"))],
            ],
        )
    raise ValueError(f"unknown report step {step!r}")


def _evidence_prompt(r: Draft) -> Reply:
    ev = r.get("ev") or {}
    items, images = ev.get("items", []), ev.get("images", [])
    if not items and not images:
        return Reply(N_("evidence.ask"), {}, [_skip_row()])
    rows = [
        [Choice(EVIDENCE_DONE, N_("evidence.done"))],
        [Choice(EVIDENCE_CLEAR, N_("evidence.clear"))],
    ]
    return Reply(
        N_("evidence.collected"),
        {"items": evidence_text(items) or "—", "images": str(len(images))},
        rows,
    )


def urgent_help() -> Reply:
    """Numbers first, in plain text (Telegram makes them tappable); WhatsApp as a button."""
    return Reply(
        N_("report.urgent_help"),
        choices=[[Choice("", N_("urgent.whatsapp"), url=WHATSAPP_SAPA)]],
    )


def repair(r: Draft) -> None:
    """Put a draft whose step is unknown or whose answers are incomplete (a state saved by
    another version) back at its first unanswered question; answers are kept."""
    a = r.setdefault("a", {})
    if a.get("role") in ROLES:
        _set_role(r, a["role"])  # drops answers the role never has (an old danger key, …)
    else:
        r["a"] = {}
    r["edit"] = False
    _go(r, first_unanswered(r["a"]))


def offered_keys(r: Draft) -> set[str]:
    return {c.key for row in prompt(r).choices for c in row if c.key}


def _go(r: Draft, step: str) -> Step:
    r["step"] = step
    if step == "place":
        place.start(r)
    if step == "evidence":
        # Adding to what was given before (Ubah) starts from it.
        r["ev"] = r["a"].pop("evidence", None) or r.get("ev") or {"items": [], "images": []}
        return [Reply(N_("evidence.warning")), prompt(r)], []
    return [prompt(r)], []


def _after(r: Draft) -> Step:
    """Move on from an answered step: to the next unanswered question, else the summary."""
    r["edit"] = False
    return _go(r, first_unanswered(r["a"]))


def _choice(step: str, inp: Input, a: Mapping[str, Any]) -> str | None:
    if inp.kind == "choice" and inp.text.startswith(step + ":"):
        value = inp.text.removeprefix(step + ":")
        if value in _options(step, a):
            return value
    return None


def _set_role(r: Draft, role: str) -> None:
    a = r["a"]
    a["role"] = role
    keep = set(PATHS[role]) | {"district"}
    for step in list(a):
        if step not in keep:
            del a[step]
    if a.get("relation") not in (*RELATIONS.get(role, ()), None):
        a.pop("relation", None)
    if a.get("age") not in (*_options("age", a), None):
        a.pop("age", None)


def handle(r: Draft, inp: Input | EffectResult) -> Step | None:
    """One answer to the draft's current step. None: not understood here (caller re-prompts)."""
    step, a = r["step"], r["a"]
    if step in PLACE_STEPS:
        result = place.handle(r, inp, offered_keys(r))
        if result is None:
            return None
        if isinstance(result, place.PlaceDone):
            return _after(r)
        replies, effects = result
        return [_way_out(r, reply) for reply in replies], effects
    if isinstance(inp, EffectResult):
        return None
    if step == "evidence":
        return _on_evidence(r, inp)
    if step == "narrative" and inp.kind == "choice":
        limit = TEXTS[step][1]
        if (story := report_story.on_choice(r, inp.text, limit)) is not None:
            kept, said = story
            if kept is None:
                return said, []
            a["narrative"] = kept
            replies, effects = _after(r)
            return said + replies, effects

    if inp.kind == "choice" and inp.text == SKIP and (step in CHOICES or step in TEXTS):
        if step == "role":
            return None
        if r.get("edit") and a.get(_field(step)) is not None:
            return _after(r)  # "Tetap seperti semula": nothing given is lost by a skip
        if step in CHOICES:
            return _on_choice(r, step, None)
        a[_field(step)] = None
        return _after(r)
    if step in CHOICES and (value := _choice(step, inp, a)):
        return _on_choice(r, step, value)
    if step in ("danger", "safe") and inp.kind == "text":
        word = DANGER_WORDS.get(inp.text.strip().strip(".!").lower()) if step == "danger" else None
        if word is not None:
            return _on_choice(r, step, word)
        if any(ch.isalnum() for ch in inp.text):
            # Words typed where danger is asked may be a cry for help: the numbers come first.
            return [urgent_help(), prompt(r)], []
    if step == "age" and inp.kind == "text" and age_band(inp.text) in _options(step, a):
        return _on_choice(r, step, age_band(inp.text))  # "14" typed rather than pressed
    if step in TEXTS and inp.kind == "text":
        return _on_text(r, step, inp.text)
    if step == "summary" and inp.kind == "choice":
        if inp.text == "submit":
            return [], [Effect("submit_report", {"draft": r})]
        if inp.text == "edit":
            return _go(r, "edit_menu")
        if inp.text == "cancel":
            return _go(r, "confirm_cancel")
    if step == "edit_menu" and inp.kind == "choice":
        if inp.text == "edit:back":
            return _go(r, "summary")
        value = inp.text.removeprefix("edit:")
        if inp.text.startswith("edit:") and value in role_steps(a):
            r["edit"] = True
            return _go(r, value)
    if step == "confirm_cancel" and inp.text == "cancel:no" and inp.kind == "choice":
        return _go(r, "summary")
    return None


def _on_choice(r: Draft, step: str, value: str | None) -> Step:
    a = r["a"]
    if step == "role" and value:
        _set_role(r, value)
        return _after(r)
    if step == "contact" and value == "ya":
        return _go(r, "contact_text")
    a[step] = None if step == "contact" else value
    first: list[Reply] = []
    if (step == "danger" and value == "ya") or (step == "safe" and value == "tidak"):
        first.append(urgent_help())
    if step == "safe":
        first.append(Reply(N_("victim.reassure")))
    replies, effects = _after(r)
    return first + replies, effects


def _on_text(r: Draft, step: str, raw: str) -> Step | None:
    text = raw.strip()
    if not any(ch.isalnum() for ch in text):
        return None  # "...", "🏫" or spaces say nothing: asked again, the draft as it was
    limit = TEXTS[step][1]
    if step == "narrative" and (said := report_story.on_text(r, text, limit)) is not None:
        return said, []  # too long, or one part of a long paste: the person decides
    if len(text) > limit:
        return [
            Reply(
                N_("report.text_too_long"),
                {"length": str(len(text)), "max": str(limit)},
            )
        ], []
    r["a"][_field(step)] = text
    return _after(r)


def _on_evidence(r: Draft, inp: Input) -> Step | None:
    ev = r.setdefault("ev", {"items": [], "images": []})
    if inp.kind == "choice" and inp.text in (SKIP, EVIDENCE_DONE):
        got = ev["items"] or ev["images"]
        r["a"]["evidence"] = ev if got else None
        r.pop("ev", None)
        guessed = evidence.guess_platform(evidence.from_dict(i) for i in ev["items"])
        if guessed and "platform" not in r["a"]:
            r["a"]["platform"] = guessed  # the links already say where: no need to ask
        return _after(r)
    if inp.kind == "choice" and inp.text == EVIDENCE_CLEAR:
        r["ev"] = {"items": [], "images": []}
        return [Reply(N_("evidence.cleared")), prompt(r)], []
    if inp.kind == "media":
        if inp.text in MOVING_PICTURES:
            # Out of the chat at once: a video of abuse must not sit there a moment longer.
            refused = Reply(N_("evidence.video_refused"))
            return [refused, prompt(r)], [Effect("delete_input")]
        if inp.text != "photo" or not inp.ref:
            return [Reply(N_("evidence.media_refused")), prompt(r)], []
        if len(ev["images"]) >= EVIDENCE_MAX_IMAGES:
            return [Reply(N_("evidence.too_many"), {"max": str(EVIDENCE_MAX_IMAGES)})], []
        if inp.ref not in ev["images"]:
            ev["images"].append(inp.ref)
        if inp.caption.strip():
            _add_items(ev, inp.caption)
        return [Reply(N_("evidence.image_kept")), prompt(r)], []
    if inp.kind == "text" and inp.text.strip():
        added = _add_items(ev, inp.text)
        if added is None:
            return [Reply(N_("evidence.too_many"), {"max": str(EVIDENCE_MAX_ITEMS)})], []
        return [prompt(r)], []
    return None


def _add_items(ev: dict[str, Any], text: str) -> int | None:
    """Adds what the text holds; None when the list is already full (items or characters)."""
    items: list[dict[str, Any]] = ev["items"]
    used = sum(len(i["value"]) for i in items)
    if len(items) >= EVIDENCE_MAX_ITEMS or used >= EVIDENCE_MAX_CHARS:
        return None
    known = {(i["kind"], i["value"]) for i in items}
    added = left_out = 0
    for item in evidence.parse(text):
        full = len(items) >= EVIDENCE_MAX_ITEMS or used + len(item.value) > EVIDENCE_MAX_CHARS
        left_out += full
        if (item.kind, item.value) in known or full:
            continue
        items.append(evidence.as_dict(item))
        known.add((item.kind, item.value))
        used += len(item.value)
        added += 1
    return None if left_out and not added else added


def wants_cancel(r: Draft, inp: Input) -> bool:
    return r["step"] == "confirm_cancel" and inp.kind == "choice" and inp.text == "cancel:yes"
