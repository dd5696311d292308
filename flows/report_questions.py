"""What each reporter is asked: the questions of every role in order, their buttons and
labels, the urgent and counselling paths, and the victim's own wording.

Data and small pure functions only; report.py holds the conversation over them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flows.core import N_

NARRATIVE_MAX = 2000
SCHOOL_MAX = 150
CONTACT_MAX = 300
EVIDENCE_MAX_ITEMS = 20
EVIDENCE_MAX_IMAGES = 5
EVIDENCE_MAX_CHARS = 3000  # all items together: the full list fits one Telegram message
EVIDENCE_SHOWN_CHARS = 1000  # on a card or summary; the rest is counted (Selengkapnya)
WHATSAPP_SAPA = "https://wa.me/628111129129"
SKIP = "skip"
WIPE = "wipe"

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
# Staff read the reporter's answers in the third person: "Korban sendiri", not "Korban (saya
# sendiri)"; the card, /statistik and the export say who reported in these words.
STAFF_ROLE_LABELS = {**ROLE_LABELS, "korban": N_("staff.role_korban")}
STAFF_VOICE = {
    N_("relation.warganet"): N_("staff.relation_warganet"),
    N_("parents.tidak_tahu"): N_("staff.parents_tidak_tahu"),
}
DANGER_LABELS = {
    "ya": N_("danger.ya"),
    "tidak": N_("danger.tidak"),
    "tidak_tahu": N_("danger.tidak_tahu"),
}
SAFE_LABELS = {"aman": N_("victim.safe_aman"), "tidak": N_("victim.safe_tidak")}
PURPOSE_LABELS = {"lapor": N_("purpose.lapor"), "bicara": N_("purpose.bicara")}
RELATION_LABELS = {
    "orang_tua": N_("relation.orang_tua"),
    "saudara": N_("relation.saudara"),
    "kerabat": N_("relation.kerabat"),
    "wali": N_("relation.wali"),
    "tetangga": N_("relation.tetangga"),
    "teman": N_("relation.teman"),
    "warganet": N_("relation.warganet"),
    "lainnya": N_("relation.lainnya"),
}
RELATIONS = {
    "keluarga": ("orang_tua", "saudara", "kerabat", "wali"),
    "umum": ("tetangga", "teman", "warganet", "lainnya"),
}
AGE_LABELS = {
    "lt13": N_("age.lt13"),
    "13_15": N_("age.13_15"),
    "16_17": N_("age.16_17"),
    "18plus": N_("age.18plus"),
}
GRADE_LABELS = {
    "sd": N_("grade.sd"),
    "smp": N_("grade.smp"),
    "sma": N_("grade.sma"),
    "lainnya": N_("grade.lainnya"),
}
CONSENT_LABELS = {
    "setuju": N_("consent.setuju"),
    "belum_setuju": N_("consent.belum_setuju"),
    "belum_tahu": N_("consent.belum_tahu"),
}
SEEN_LABELS = {
    "iklan": N_("seen.iklan"),
    "chat": N_("seen.chat"),
    "tempat": N_("seen.tempat"),
    "lainnya": N_("seen.lainnya"),
}
PARENTS_LABELS = {
    "ya": N_("parents.ya"),
    "tidak": N_("parents.tidak"),
    "tidak_tahu": N_("parents.tidak_tahu"),
}
PLATFORM_LABELS = {
    "michat": N_("platform.michat"),
    "whatsapp": N_("platform.whatsapp"),
    "telegram": N_("platform.telegram"),
    "x": N_("platform.x"),
    "facebook": N_("platform.facebook"),
    "instagram": N_("platform.instagram"),
    "tiktok": N_("platform.tiktok"),
    "lainnya": N_("platform.lainnya"),
}
CONTACT_LABELS = {"ya": N_("contact.ya"), "tidak": N_("contact.tidak")}
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

# Questions answered with one button: step -> (question, labels by value, buttons per row).
CHOICES: dict[str, tuple[str, Mapping[str, str], int]] = {
    "role": (N_("report.ask_role"), ROLE_LABELS, 1),
    "danger": (N_("report.ask_danger"), DANGER_LABELS, 1),
    "safe": (N_("victim.ask_safe"), SAFE_LABELS, 1),
    "purpose": (N_("victim.ask_purpose"), PURPOSE_LABELS, 1),
    "relation": (N_("report.ask_relation"), RELATION_LABELS, 2),
    "age": (N_("report.ask_age"), AGE_LABELS, 2),
    "grade": (N_("guru.ask_grade"), GRADE_LABELS, 2),
    "consent": (N_("guru.ask_consent"), CONSENT_LABELS, 1),
    "category": (N_("report.ask_category"), CATEGORY_LABELS, 1),
    "seen": (N_("report.ask_seen"), SEEN_LABELS, 2),
    "parents": (N_("guru.ask_parents"), PARENTS_LABELS, 1),
    "platform": (N_("report.ask_platform"), PLATFORM_LABELS, 2),
    "when": (N_("report.ask_when"), WHEN_LABELS, 2),
    "contact": (N_("guru.ask_contact"), CONTACT_LABELS, 1),
    "updates": (N_("report.ask_updates"), UPDATES_LABELS, 1),
}
# Questions answered in words: step -> (question, longest answer).
TEXTS: dict[str, tuple[str, int]] = {
    "school": (N_("guru.ask_school"), SCHOOL_MAX),
    "narrative": (N_("report.ask_narrative"), NARRATIVE_MAX),
    "contact_text": (N_("guru.ask_contact_text"), CONTACT_MAX),
}
# The same question in other words for one role.
WORDING = {
    ("korban", "age"): N_("victim.ask_age"),
    ("korban", "category"): N_("victim.ask_category"),
    ("korban", "narrative"): N_("victim.ask_narrative"),
    ("korban", "updates"): N_("victim.ask_updates"),
    ("guru_bk", "age"): N_("guru.ask_age"),
    ("guru_bk", "narrative"): N_("guru.ask_observed"),
}

PLACE_WORDING = {"guru_bk": N_("guru.ask_place"), "korban": N_("victim.ask_place")}
# Each role's questions, in order. "summary" follows the last.
PATHS = {
    "umum": (
        "role", "danger", "relation", "category", "seen", "evidence", "platform",
        "place", "narrative", "when", "updates",
    ),
    "keluarga": (
        "role", "danger", "relation", "age", "category", "seen", "evidence", "platform",
        "place", "narrative", "when", "updates",
    ),
    "guru_bk": (
        "role", "danger", "school", "place", "age", "grade", "consent", "category",
        "narrative", "parents", "evidence", "platform", "when", "contact", "updates",
    ),
    "korban": (
        "role", "safe", "purpose", "age", "category", "evidence", "platform", "place",
        "narrative", "when", "updates",
    ),
}  # fmt: skip
COUNSEL_PATH = ("role", "safe", "purpose", "age", "place", "narrative", "updates")
URGENT_PATH = ("role", "danger", "place", "narrative", "updates")
URGENT_VICTIM_PATH = ("role", "safe", "place", "narrative", "updates")

FIELD_LABELS = {
    "role": N_("edit.role"),
    "danger": N_("edit.danger"),
    "safe": N_("edit.safe"),
    "purpose": N_("edit.purpose"),
    "relation": N_("edit.relation"),
    "age": N_("edit.age"),
    "school": N_("edit.school"),
    "grade": N_("edit.grade"),
    "consent": N_("edit.consent"),
    "category": N_("edit.category"),
    "seen": N_("edit.seen"),
    "parents": N_("edit.parents"),
    "evidence": N_("edit.evidence"),
    "platform": N_("edit.platform"),
    "place": N_("edit.place"),
    "narrative": N_("edit.narrative"),
    "when": N_("edit.when"),
    "contact": N_("edit.contact"),
    "updates": N_("edit.updates"),
}
PLACE_STEPS = ("place", "place_pick", "district", "district_pick")
EVIDENCE_DONE = "ev:done"
EVIDENCE_CLEAR = "ev:clear"
# Media a reporter must never send: the bot refuses it and says why.
MOVING_PICTURES = ("video", "animation", "video_note")
# Media that may be a picture: answered with the warning never to send sexual images of
# children. A sticker, a voice note or a location only gets the short "type or press" line.
MAYBE_PICTURES = ("photo", "document", "live_photo", "paid_media")


# "Is a child in danger now?" answered by typing: the plain words for yes and no.
DANGER_WORDS = {
    **dict.fromkeys(("ya", "iya", "y", "yes", "ya sekarang"), "ya"),
    **dict.fromkeys(("tidak", "tdk", "nggak", "gak", "enggak", "no", "bukan"), "tidak"),
}


def age_band(text: str) -> str | None:
    """An age typed in years, as the band the age question offers ("14" → 13_15)."""
    years = text.strip().removesuffix("tahun").removesuffix("thn").strip()
    if not years.isdigit() or not 0 < int(years) < 120:
        return None
    n = int(years)
    return "lt13" if n < 13 else "13_15" if n <= 15 else "16_17" if n <= 17 else "18plus"


def is_urgent(a: Mapping[str, Any]) -> bool:
    """A child in danger now; a victim answers for themself ("are you safe?")."""
    if a.get("role") == "korban":
        return a.get("safe") == "tidak"
    return a.get("danger") == "ya"


def role_steps(a: Mapping[str, Any]) -> tuple[str, ...]:
    """Every question the role has, asked or not: what the summary shows, Ubah offers and the
    ticket keeps. The urgent and counselling paths only ask fewer of them."""
    role = a.get("role")
    if role not in PATHS:
        return ("role",)
    if role == "korban" and a.get("purpose") == "bicara" and not is_urgent(a):
        return COUNSEL_PATH
    return PATHS[role]


def path(a: Mapping[str, Any]) -> tuple[str, ...]:
    role = a.get("role")
    if role not in PATHS:
        return ("role",)
    if is_urgent(a):
        return URGENT_VICTIM_PATH if role == "korban" else URGENT_PATH
    if role == "korban" and a.get("purpose") == "bicara":
        return COUNSEL_PATH
    return PATHS[role]


def first_unanswered(a: Mapping[str, Any]) -> str:
    for step in path(a):
        if step not in a:
            return step
    return "summary"
