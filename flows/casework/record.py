"""What staff record about a case, in SIMFONI-PPA's terms: the services given (each with a
date), where the case was referred, the kinds of violence, and what staff learn of the victim.

A record is a JSON-safe dict (storage/records.py keeps it):

  {"violence": [codes] | None,      None: never recorded, shown prefilled from the category
   "services": {code: "YYYY-MM-DD"}, "referrals": [codes],
   "sex", "age_band", "education", "disability": a code | None, "age", "victims": int | None}

Nothing here is asked of the reporter: staff fill it in as they learn it.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from flows.core import N_

# The six UPTD PPA functions (Permen PPPA 2/2022), then SIMFONI's service types.
SERVICES = {
    "pengaduan": N_("record.svc.pengaduan"),
    "penjangkauan": N_("record.svc.penjangkauan"),
    "pengelolaan": N_("record.svc.pengelolaan"),
    "penampungan": N_("record.svc.penampungan"),
    "mediasi": N_("record.svc.mediasi"),
    "pendampingan": N_("record.svc.pendampingan"),
    "kesehatan": N_("record.svc.kesehatan"),
    "bantuan_hukum": N_("record.svc.bantuan_hukum"),
    "penegakan_hukum": N_("record.svc.penegakan_hukum"),
    "rehsos": N_("record.svc.rehsos"),
    "reintegrasi": N_("record.svc.reintegrasi"),
    "pemulangan": N_("record.svc.pemulangan"),
    "tokoh_agama": N_("record.svc.tokoh_agama"),
}
REFERRALS = {
    "polres_ppa": N_("record.ref.polres_ppa"),
    "lpsk": N_("record.ref.lpsk"),
    "dinsos": N_("record.ref.dinsos"),
    "kppad": N_("record.ref.kppad"),
    "rumah_sakit": N_("record.ref.rumah_sakit"),
    "lainnya": N_("record.ref.lainnya"),
}
# SIMFONI's kinds of violence; eksploitasi split into sexual and economic, as SIMFONI's
# published forms do. Several may apply to one case.
VIOLENCE = {
    "fisik": N_("record.vio.fisik"),
    "psikis": N_("record.vio.psikis"),
    "seksual": N_("record.vio.seksual"),
    "eksploitasi_seksual": N_("record.vio.eksploitasi_seksual"),
    "eksploitasi_ekonomi": N_("record.vio.eksploitasi_ekonomi"),
    "tppo": N_("record.vio.tppo"),
    "penelantaran": N_("record.vio.penelantaran"),
    "lainnya": N_("record.vio.lainnya"),
}
# The reporter's category, in SIMFONI's terms: what a new case shows until staff correct it.
VIOLENCE_OF_CATEGORY = {
    "prostitusi_online": "eksploitasi_seksual",
    "eksploitasi_seksual": "seksual",
    "grooming": "seksual",
    "konten_seksual": "eksploitasi_seksual",
    "perdagangan": "tppo",
    "eksploitasi_ekonomi": "eksploitasi_ekonomi",
    "lainnya": "lainnya",
}

UNKNOWN = "belum_diketahui"
# The victim's single-valued fields: field -> (its name, its options by code).
VICTIM: dict[str, tuple[str, dict[str, str]]] = {
    "sex": (
        N_("record.field.sex"),
        {
            "perempuan": N_("record.sex.perempuan"),
            "laki_laki": N_("record.sex.laki_laki"),
            UNKNOWN: N_("record.unknown"),
        },
    ),
    "age_band": (
        N_("record.field.age"),
        {
            "0_5": N_("record.age.0_5"),
            "6_12": N_("record.age.6_12"),
            "13_17": N_("record.age.13_17"),
            "18_plus": N_("record.age.18_plus"),
            UNKNOWN: N_("record.unknown"),
        },
    ),
    "education": (
        N_("record.field.education"),
        {
            "belum_sekolah": N_("record.edu.belum_sekolah"),
            "paud": N_("record.edu.paud"),
            "sd": N_("record.edu.sd"),
            "smp": N_("record.edu.smp"),
            "sma": N_("record.edu.sma"),
            "tidak_sekolah": N_("record.edu.tidak_sekolah"),
            UNKNOWN: N_("record.unknown"),
        },
    ),
    "disability": (
        N_("record.field.disability"),
        {
            "ya": N_("record.disability.ya"),
            "tidak": N_("record.disability.tidak"),
            UNKNOWN: N_("record.unknown"),
        },
    ),
    "victims": (
        N_("record.field.victims"),
        {str(n): N_("record.victims.n") for n in range(1, 6)},
    ),
}
# Fields with a value typed instead of picked: field -> (prompt step, lowest, highest).
TYPED = {"age": ("rec_age", 0, 99), "victims": ("rec_victims", 1, 999)}
EARLIEST_YEAR = 2000


def empty() -> dict[str, Any]:
    return {
        "violence": None,
        "services": {},
        "referrals": [],
        "sex": None,
        "age_band": None,
        "age": None,
        "education": None,
        "disability": None,
        "victims": None,
    }


def violence(record: dict[str, Any], category: str) -> list[str]:
    """The kinds of violence recorded, or the category's until staff record their own."""
    if record.get("violence") is not None:
        return list(record["violence"])
    return [VIOLENCE_OF_CATEGORY.get(category, "lainnya")]


def age_band(age: int) -> str:
    if age <= 5:
        return "0_5"
    if age <= 12:
        return "6_12"
    return "13_17" if age <= 17 else "18_plus"


# --- typed answers -------------------------------------------------------------------------

_NUMBER = re.compile(r"^\s*(\d{1,3})\s*(?:th|thn|tahun|years?|orang|korban)?\.?\s*$", re.I)
_DMY = re.compile(r"^\s*(\d{1,2})[-/. ](\d{1,2})(?:[-/. ](\d{2}|\d{4}))?\s*$")
_ISO = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")


def parse_number(text: str, low: int, high: int) -> int | None:
    m = _NUMBER.match(text)
    if m is None:
        return None
    n = int(m.group(1))
    return n if low <= n <= high else None


def parse_date(text: str, today: date) -> date | None:
    """A date as staff type it (3-11-2026, 03/11, 2026-11-03): never in the future."""
    if m := _ISO.match(text):
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    elif m := _DMY.match(text):
        d, mo = int(m.group(1)), int(m.group(2))
        y = today.year if m.group(3) is None else int(m.group(3))
        y += 2000 if y < 100 else 0
    else:
        return None
    try:
        day = date(y, mo, d)
    except ValueError:
        return None
    if m.re is _DMY and m.group(3) is None and day > today:
        day = day.replace(year=day.year - 1)  # "28/12" typed in January: last December
    return day if date(EARLIEST_YEAR, 1, 1) <= day <= today else None


def day_of(choice: str, today: date) -> date | None:
    """A date button: "0" today, "1" yesterday."""
    return {"0": today, "1": today - timedelta(days=1)}.get(choice)
