"""How people name places, and how a name is made comparable: one normalisation for the
data and for what reporters type, the words that say which kind of area is meant, and the
short names fuzzy matching cannot reach ("jatim", "jakbar", "solo")."""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

MAX_QUERY = 60

APOSTROPHES = str.maketrans("", "", "'’`ʼ\"")  # Ra"as, O'o'u: glottal stops, not word breaks
NON_ALNUM = re.compile(r"[^0-9a-z]+")

Kind = Literal["provinsi", "kota", "kabupaten"]
# Leading words that say which kind of area is meant; they are not part of the bare name.
HINT_WORDS: dict[str, Kind] = {
    "provinsi": "provinsi",
    "propinsi": "provinsi",
    "prov": "provinsi",
    "kota": "kota",
    "kot": "kota",
    "kodya": "kota",
    "kotamadya": "kota",
    "kabupaten": "kabupaten",
    "kab": "kabupaten",
    "kabupatan": "kabupaten",
}
ADMIN_WORDS = frozenset({"administrasi", "adm"})
DISTRICT_WORDS = frozenset({"kecamatan", "kec", "kecamatn", "distrik"})

# Names people actually use that fuzzy matching cannot reach. Order of codes is the order
# results are shown in when the alias matches exactly.
ALIASES: dict[str, tuple[str, ...]] = {
    "nad": ("11",),
    "nanggroe aceh darussalam": ("11",),
    "sumut": ("12",),
    "sumbar": ("13",),
    "sumsel": ("16",),
    "babel": ("19",),
    "bangka belitung": ("19",),
    "kepri": ("21",),
    "jakarta": ("31",),
    "dki": ("31",),
    "dki jakarta": ("31",),
    "jabar": ("32",),
    "jateng": ("33",),
    "diy": ("34",),
    "jogja": ("34", "34.71"),
    "jogjakarta": ("34", "34.71"),
    "yogya": ("34", "34.71"),
    "yogyakarta": ("34", "34.71"),
    "jatim": ("35",),
    "ntb": ("52",),
    "ntt": ("53",),
    "kalbar": ("61",),
    "kalteng": ("62",),
    "kalsel": ("63",),
    "kaltim": ("64",),
    "kaltara": ("65",),
    "sulut": ("71",),
    "sulteng": ("72",),
    "sulsel": ("73",),
    "sultra": ("74",),
    "sulbar": ("76",),
    "malut": ("82",),
    "jakpus": ("31.71",),
    "jakut": ("31.72",),
    "jakbar": ("31.73",),
    "jaksel": ("31.74",),
    "jaktim": ("31.75",),
    "pulau seribu": ("31.01",),
    "solo": ("33.72",),
    "tangsel": ("36.74",),
    # The short forms people write in chats and ads (city first where the name is shared).
    "jkt": ("31",),
    "sby": ("35.78",),
    "bdg": ("32.73", "32.04"),
    "mdn": ("12.71",),
    "smg": ("33.74", "33.22"),
    "mks": ("73.71",),
    "mlg": ("35.73", "35.07"),
    "jog": ("34", "34.71"),
    "yk": ("34.71", "34"),
    "bpn": ("64.71",),
    "plg": ("16.71",),
    "pku": ("14.71",),
    "bjm": ("63.71",),
    "dps": ("51.71",),
    "btm": ("21.71",),
    "bgr": ("32.71", "32.01"),
    "dpk": ("32.76",),
    "bks": ("32.75", "32.16"),
    "tng": ("36.71", "36.03"),
    "sda": ("35.15",),
    "ptk": ("61.71",),
    "mdo": ("71.71",),
    "kpg": ("53.71", "53.01"),
    "jpr": ("91.71", "91.03"),
    "makasar": ("73.71",),
}


def normalise(text: str) -> str:
    """Lower-case ASCII words separated by single spaces ("Ma'u" -> "mau", "Toli-Toli" ->
    "toli toli") — applied identically to data and queries so they meet in the middle."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return NON_ALNUM.sub(" ", text.translate(APOSTROPHES)).strip()


def normalise_query(text: str) -> str:
    # Truncate before any per-character work so a pasted essay costs no more than a name.
    return normalise(text[:MAX_QUERY])


def split_hint(query: str) -> tuple[Kind | None, str]:
    """("kab. banyumas" normalised) "kab banyumas" -> ("kabupaten", "banyumas")."""
    words = query.split()
    hint: Kind | None = None
    if words and words[0] in HINT_WORDS:
        hint = HINT_WORDS[words.pop(0)]
        if words and words[0] in ADMIN_WORDS:
            words.pop(0)
    return hint, " ".join(words)


def regency_kind_and_name(name: str) -> tuple[Kind, str]:
    """Kind and normalised bare name of a regency ("Kota Administrasi Jakarta Barat" ->
    ("kota", "jakarta barat"))."""
    kind, rest = split_hint(normalise(name))
    if kind is None or kind == "provinsi" or not rest:
        raise ValueError(f"regency name without Kota/Kabupaten prefix: {name!r}")
    return kind, rest


def strip_district_word(query: str) -> str:
    words = query.split()
    if words and words[0] in DISTRICT_WORDS:
        words.pop(0)
    return " ".join(words)
