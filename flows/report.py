"""The report conversation: role → danger → category → place → what happened → when → summary.

Every role shares this frame; later issues add steps in between, never change it. The draft is
a JSON-safe dict: {"id": draft key, "step": name, "a": answers, "edit": bool, "p": place page}.
See report.md for the diagram.
"""

from __future__ import annotations

import uuid
from typing import Any

from flows import place
from flows.core import N_, Choice, Effect, EffectResult, Input, Msg, Reply

NARRATIVE_MAX = 2000

ROLES = ("umum", "keluarga", "guru_bk", "korban")
DANGER = ("ya", "tidak", "tidak_tahu")
CATEGORIES = (
    "prostitusi_online",
    "eksploitasi_seksual",
    "grooming",
    "konten_seksual",
    "perdagangan",
    "eksploitasi_ekonomi",
    "lainnya",
)
WHEN = ("berlangsung", "hari_ini", "minggu_ini", "bulan_ini", "lebih_lama", "tidak_tahu")
UPDATES = ("ya", "tidak")

# Catalog ids of the labels, so pybabel sees them and the summary can name an answer.
ROLE_LABELS = {
    "umum": N_("role.umum"),
    "keluarga": N_("role.keluarga"),
    "guru_bk": N_("role.guru_bk"),
    "korban": N_("role.korban"),
}
DANGER_LABELS = {
    "ya": N_("danger.ya"),
    "tidak": N_("danger.tidak"),
    "tidak_tahu": N_("danger.tidak_tahu"),
}
CATEGORY_LABELS = {
    "prostitusi_online": N_("category.prostitusi_online"),
    "eksploitasi_seksual": N_("category.eksploitasi_seksual"),
    "grooming": N_("category.grooming"),
    "konten_seksual": N_("category.konten_seksual"),
    "perdagangan": N_("category.perdagangan"),
    "eksploitasi_ekonomi": N_("category.eksploitasi_ekonomi"),
    "lainnya": N_("category.lainnya"),
}
WHEN_LABELS = {
    "berlangsung": N_("when.berlangsung"),
    "hari_ini": N_("when.hari_ini"),
    "minggu_ini": N_("when.minggu_ini"),
    "bulan_ini": N_("when.bulan_ini"),
    "lebih_lama": N_("when.lebih_lama"),
    "tidak_tahu": N_("when.tidak_tahu"),
}

UPDATES_LABELS = {"ya": N_("updates.ya"), "tidak": N_("updates.tidak")}
SUMMARY_UPDATES = {"ya": N_("summary.updates_on"), "tidak": N_("summary.updates_off")}

# The frame, in order; each answered step moves to the next (or back to the summary).
FRAME = ("role", "danger", "category", "place", "narrative", "when", "updates", "summary")
EDITABLE = ("role", "danger", "category", "place", "narrative", "when", "updates")
EDIT_LABELS = {
    "role": N_("edit.role"),
    "danger": N_("edit.danger"),
    "category": N_("edit.category"),
    "place": N_("edit.place"),
    "narrative": N_("edit.narrative"),
    "when": N_("edit.when"),
    "updates": N_("edit.updates"),
}
PLACE_STEPS = ("place", "place_pick", "district", "district_pick")

Draft = dict[str, Any]
Step = tuple[list[Reply], list[Effect]]


def new_draft() -> Draft:
    return {"id": uuid.uuid4().hex, "step": "role", "a": {}, "edit": False}


def _options(
    prefix: str, keys: tuple[str, ...], labels: dict[str, str], *, per_row: int = 1
) -> list[list[Choice]]:
    buttons = [Choice(f"{prefix}:{k}", labels[k]) for k in keys]
    return [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]


def prompt(r: Draft) -> Reply:
    """The question the draft is waiting on, with its buttons."""
    step = r["step"]
    if step == "role":
        return Reply(N_("report.ask_role"), choices=_options("role", ROLES, ROLE_LABELS))
    if step == "danger":
        return Reply(N_("report.ask_danger"), choices=_options("danger", DANGER, DANGER_LABELS))
    if step == "category":
        return Reply(
            N_("report.ask_category"), choices=_options("category", CATEGORIES, CATEGORY_LABELS)
        )
    if step in PLACE_STEPS:
        return place.prompt(r)
    if step == "narrative":
        return Reply(N_("report.ask_narrative"), {"max": str(NARRATIVE_MAX)})
    if step == "when":
        return Reply(N_("report.ask_when"), choices=_options("when", WHEN, WHEN_LABELS, per_row=2))
    if step == "updates":
        return Reply(N_("report.ask_updates"), choices=_options("updates", UPDATES, UPDATES_LABELS))
    if step == "summary":
        return summary(r)
    if step == "edit_menu":
        rows = _options("edit", EDITABLE, EDIT_LABELS, per_row=2)
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


def summary(r: Draft) -> Reply:
    a = r["a"]
    where = a.get("place")
    district = a.get("district")
    place_text: str | Msg = Msg(N_("summary.unknown_place"))
    if where:
        place_text = where["label"] + (f" — {district['label']}" if district else "")
    return Reply(
        N_("report.summary"),
        {
            "role": Msg(ROLE_LABELS[a["role"]]),
            "danger": Msg(DANGER_LABELS[a["danger"]]),
            "category": Msg(CATEGORY_LABELS[a["category"]]),
            "place": place_text,
            "when": Msg(WHEN_LABELS[a["when"]]),
            "narrative": a["narrative"],
            "updates": Msg(SUMMARY_UPDATES[a["updates"]]),
        },
        [
            [Choice("submit", N_("summary.submit"))],
            [Choice("edit", N_("summary.edit")), Choice("cancel", N_("summary.cancel"))],
        ],
    )


def repair(r: Draft) -> None:
    """Put a draft whose step is unknown or whose answers are incomplete (a state saved by
    another version) back at its first unanswered question; answers are kept."""
    a = r.setdefault("a", {})
    answered = {"place": "place" in a}
    for step in FRAME[:-1]:
        if not answered.get(step, step in a):
            r["step"], r["edit"] = step, False
            if step == "place":
                place.start(r)
            return
    r["step"], r["edit"] = "summary", False


def offered_keys(r: Draft) -> set[str]:
    return {c.key for row in prompt(r).choices for c in row}


def _go(r: Draft, step: str) -> Step:
    r["step"] = step
    if step == "place":
        place.start(r)
    return [prompt(r)], []


def _after(r: Draft, step: str) -> Step:
    """Move on from an answered step: to the next in the frame, or back to the summary."""
    if r.get("edit"):
        r["edit"] = False
        return _go(r, "summary")
    return _go(r, FRAME[FRAME.index(step) + 1])


def _choice(r: Draft, prefix: str, inp: Input, allowed: tuple[str, ...]) -> str | None:
    if inp.kind == "choice" and inp.text.startswith(prefix + ":"):
        value = inp.text.removeprefix(prefix + ":")
        if value in allowed:
            return value
    return None


def handle(r: Draft, inp: Input | EffectResult) -> Step | None:
    """One answer to the draft's current step. None: not understood here (caller re-prompts)."""
    step = r["step"]
    if step in PLACE_STEPS:
        result = place.handle(r, inp, offered_keys(r))
        if result is None:
            return None
        if isinstance(result, place.PlaceDone):
            return _after(r, "place")
        return result
    if isinstance(inp, EffectResult):
        return None

    if step == "role" and (value := _choice(r, "role", inp, ROLES)):
        r["a"]["role"] = value
        return _after(r, "role")
    if step == "danger" and (value := _choice(r, "danger", inp, DANGER)):
        r["a"]["danger"] = value
        first = [Reply(N_("report.urgent_help"))] if value == "ya" else []
        replies, effects = _after(r, "danger")
        return first + replies, effects
    if step == "category" and (value := _choice(r, "category", inp, CATEGORIES)):
        r["a"]["category"] = value
        return _after(r, "category")
    if step == "narrative" and inp.kind == "text":
        text = inp.text.strip()
        if not text:
            return None
        if len(text) > NARRATIVE_MAX:
            return [
                Reply(
                    N_("report.narrative_too_long"),
                    {"length": str(len(text)), "max": str(NARRATIVE_MAX)},
                )
            ], []
        r["a"]["narrative"] = text
        return _after(r, "narrative")
    if step == "when" and (value := _choice(r, "when", inp, WHEN)):
        r["a"]["when"] = value
        return _after(r, "when")
    if step == "updates" and (value := _choice(r, "updates", inp, UPDATES)):
        r["a"]["updates"] = value
        return _after(r, "updates")
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
        if value := _choice(r, "edit", inp, EDITABLE):
            r["edit"] = True
            return _go(r, value)
    if step == "confirm_cancel" and inp.text == "cancel:no" and inp.kind == "choice":
        return _go(r, "summary")
    return None


def wants_cancel(r: Draft, inp: Input) -> bool:
    return r["step"] == "confirm_cancel" and inp.kind == "choice" and inp.text == "cancel:yes"
