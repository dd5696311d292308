"""Place search over Indonesia's administrative areas (bundled idn-area data, ODbL).

Reports are routed to the UPTD PPA of the place a reporter names, and reporters type places
the way they speak: "kab banyumas", "jakbar", "jatim", "surabya". Everything is held in
memory and the fuzzy-match choice strings are normalised once at load, so a search is a
single rapidfuzz pass over ~600 short strings (well under a millisecond).

Returns data only; the caller renders labels and messages.
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from rapidfuzz import fuzz, process

from storage.place_names import (
    ALIASES,
    HINT_WORDS,
    Kind,
    normalise,
    normalise_query,
    regency_kind_and_name,
    split_hint,
    strip_district_word,
)

DEFAULT_DATA_DIR = Path(__file__).resolve().parent / "data" / "idn-area"

Level = Literal["provinsi", "kabkota", "kecamatan"]

_WIB, _WITA, _WIT = "Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"
# Explicit table: the first digit of a province code only roughly follows the time zones
# (e.g. 51 Bali is WITA but 61 Kalimantan Barat is WIB).
PROVINCE_TIMEZONES: dict[str, str] = {
    **dict.fromkeys(
        ["11", "12", "13", "14", "15", "16", "17", "18", "19", "21"]
        + ["31", "32", "33", "34", "35", "36", "61", "62"],
        _WIB,
    ),
    **dict.fromkeys(
        ["51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"], _WITA
    ),
    **dict.fromkeys(["81", "82", "91", "92", "93", "94", "95", "96"], _WIT),
}


def timezone_for(code: str) -> str:
    """IANA zone for any place code ("35", "35.15", "35.15.01"), from its province."""
    try:
        return PROVINCE_TIMEZONES[code[:2]]
    except KeyError:
        # A wrong zone would silently skew office-hours logic; fail where the bug is.
        raise ValueError(f"unknown province in place code {code!r}") from None


@dataclass(frozen=True, slots=True)
class Place:
    code: str  # "35", "35.15", "35.15.01"
    name: str  # "Jawa Timur", "Kabupaten Sidoarjo", "Waru"
    level: Level
    parent: str | None  # parent code; None for provinces
    province_name: str = ""  # "" for provinces; lets a regency label stand on its own

    def label(self) -> str:
        """Short text for a choice button; a regency needs its province to be unambiguous
        (there is a Kabupaten Bandung and a Kabupaten Bandung Barat, several "Barat"s …)."""
        if self.level == "kabkota":
            return f"{self.name}, {self.province_name}"
        if self.level == "kecamatan":
            return f"Kec. {self.name}"
        return self.name


# --- query normalisation -------------------------------------------------------------------

# People paste whole messages; nothing useful about a place name is past this length and
# rapidfuzz cost grows with it.
_MIN_FUZZY_QUERY = 3  # "ab" fuzzily matches half the country; short forms come via aliases
_SCORE_CUTOFF = 80.0
# For "sidoarjo jawa timur"-style queries matched against "<regency> <province>" strings,
# scored with token_sort_ratio (word order free, but no credit for a mere subset, so
# "sumatera utara" alone does not pull in every regency of the province).
_QUALIFIED_SCORE_CUTOFF = 88.0
_DISTRICT_SCORE_CUTOFF = 75.0  # lists are small (≤ ~50), so a looser cutoff costs little
_NOT_ALIAS = 1_000  # sorts after any alias's own rank
_HINT_BONUS = 3.0  # enough to order "kota malang" vs "kabupaten malang", not to beat a better match


def _read_csv(path: Path, columns: Sequence[str]) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames != list(columns):
            raise ValueError(f"{path}: expected columns {columns}, got {reader.fieldnames}")
        return list(reader)


# --- index ---------------------------------------------------------------------------------


class PlaceIndex:
    """Immutable after construction; safe to share between handlers."""

    def __init__(
        self,
        provinces: Iterable[tuple[str, str]],
        regencies: Iterable[tuple[str, str, str]],
        districts: Iterable[tuple[str, str, str]],
    ) -> None:
        self._by_code: dict[str, Place] = {}
        self._kind: dict[str, Kind] = {}
        self._children: dict[str, list[Place]] = {}
        province_list: list[Place] = []

        for code, name in provinces:
            place = Place(code, name, "provinsi", None)
            self._add(place)
            self._kind[code] = "provinsi"
            province_list.append(place)
        self._provinces = sorted(province_list, key=lambda p: p.name)

        regency_sort: dict[str, tuple[str, Kind]] = {}
        for code, province_code, name in regencies:
            province = self._require(province_code, "provinsi", code)
            place = Place(code, name, "kabkota", province_code, province.name)
            self._add(place)
            kind, bare = regency_kind_and_name(name)
            self._kind[code] = kind
            regency_sort[code] = (bare, kind)
            self._children.setdefault(province_code, []).append(place)

        for code, regency_code, name in districts:
            regency = self._require(regency_code, "kabkota", code)
            place = Place(code, name, "kecamatan", regency_code, regency.province_name)
            self._add(place)
            self._children.setdefault(regency_code, []).append(place)

        for parent, children in self._children.items():
            if self._by_code[parent].level == "provinsi":
                # "Kabupaten Malang" next to "Kota Malang": people look for the bare name.
                children.sort(key=lambda p: regency_sort[p.code])
            else:
                children.sort(key=lambda p: p.name)

        # Fuzzy choices for provinces and kab/kota: normalised full province names, bare
        # regency names, and aliases; parallel list says which places each one stands for.
        self._choices: list[str] = []
        self._choice_places: list[tuple[Place, ...]] = []
        for place in self._provinces:
            self._add_choice(normalise(place.name), (place,))
        for code, (bare, _kind) in regency_sort.items():
            self._add_choice(bare, (self._by_code[code],))
        for alias, codes in ALIASES.items():
            places = tuple(self._by_code[c] for c in codes if c in self._by_code)
            if places:
                self._add_choice(alias, places)
        self._hint_like_ids = [
            i for i, c in enumerate(self._choices) if c.startswith(tuple(HINT_WORDS))
        ]
        self._hint_like_choices = [self._choices[i] for i in self._hint_like_ids]

        # "<bare regency> <province>" so "sidoarjo, jawa timur" (or "sleman jogja", after
        # alias expansion) finds the regency rather than just the province it mentions.
        self._qualified: list[str] = [
            f"{bare} {normalise(self._by_code[code].province_name)}"
            for code, (bare, _kind) in regency_sort.items()
        ]
        self._qualified_places = [self._by_code[code] for code in regency_sort]
        self._province_words = {
            alias: normalise(self._by_code[codes[0]].name)
            for alias, codes in ALIASES.items()
            if " " not in alias and self._kind.get(codes[0]) == "provinsi"
        }
        self._alias_rank = {
            (alias, code): rank
            for alias, codes in ALIASES.items()
            for rank, code in enumerate(codes)
        }

        # Per-regency district choices, normalised once.
        self._district_choices: dict[str, tuple[list[str], list[Place]]] = {}
        for parent, children in self._children.items():
            if self._by_code[parent].level == "kabkota":
                self._district_choices[parent] = ([normalise(p.name) for p in children], children)

    def _add(self, place: Place) -> None:
        if place.code in self._by_code:
            raise ValueError(f"duplicate place code {place.code!r}")
        self._by_code[place.code] = place

    def _require(self, code: str, level: Level, child: str) -> Place:
        parent = self._by_code.get(code)
        if parent is None or parent.level != level:
            raise ValueError(f"place {child!r} has unknown {level} parent {code!r}")
        return parent

    def _add_choice(self, text: str, places: tuple[Place, ...]) -> None:
        self._choices.append(text)
        self._choice_places.append(places)

    @classmethod
    def load(cls, data_dir: Path | None = None) -> PlaceIndex:
        """Index of the bundled data (built once per process), or of ``data_dir``."""
        if data_dir is None:
            return _load_default()
        return cls._from_dir(data_dir)

    @classmethod
    def _from_dir(cls, data_dir: Path) -> PlaceIndex:
        provinces = _read_csv(data_dir / "provinces.csv", ("code", "name"))
        regencies = _read_csv(data_dir / "regencies.csv", ("code", "province_code", "name"))
        districts = _read_csv(data_dir / "districts.csv", ("code", "regency_code", "name"))
        return cls(
            ((r["code"], r["name"]) for r in provinces),
            ((r["code"], r["province_code"], r["name"]) for r in regencies),
            ((r["code"], r["regency_code"], r["name"]) for r in districts),
        )

    # --- lookups ---------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._by_code)

    def get(self, code: str) -> Place | None:
        return self._by_code.get(code)

    def provinces(self) -> list[Place]:
        """All provinces, sorted by name."""
        return list(self._provinces)

    def regencies(self, province_code: str) -> list[Place]:
        """Kab/kota of a province, sorted by bare name (Kota and Kabupaten interleaved)."""
        if self._kind.get(province_code) != "provinsi":
            return []
        return list(self._children.get(province_code, ()))

    def districts(self, regency_code: str) -> list[Place]:
        """Kecamatan of a kab/kota, sorted by name."""
        if regency_code not in self._district_choices:
            return []
        return list(self._district_choices[regency_code][1])

    # --- search ----------------------------------------------------------------------------

    def search(self, query: str, limit: int = 5) -> list[Place]:
        """Provinces and kab/kota matching what a person typed, best first."""
        full = normalise_query(query)
        hint, bare = split_hint(full)
        if not bare or limit <= 0:
            return []
        # Per place, the best sort key seen: higher score, then the alias's own order
        # ("jogja": province before city), then provinces first, then name.
        best: dict[str, tuple[float, int, int, str]] = {}
        # Places whose name holds every typed word whole: "medan" is Kota Medan, and
        # Sumedang, which merely contains it, is then not offered.
        words, whole = set(bare.split()), set[str]()

        def consider(place: Place, choice: str, score: float) -> None:
            if words <= set(choice.split()):
                whole.add(place.code)
            kind = self._kind[place.code]
            key = (
                -(score + (_HINT_BONUS if hint == kind else 0.0)),
                self._alias_rank.get((choice, place.code), _NOT_ALIAS),
                0 if kind == "provinsi" else 1,
                place.name,
            )
            if place.code not in best or key < best[place.code]:
                best[place.code] = key

        for choice, score, i in self._match(bare):
            for place in self._choice_places[i]:
                consider(place, choice, score)
        if full != bare:
            # The stripped word may have been part of the name ("kota baru" for Kotabaru):
            # score the query as typed too, against the few names that start that way.
            for choice, score, j in process.extract(
                full,
                self._hint_like_choices,
                scorer=fuzz.WRatio,
                processor=None,
                limit=None,
                score_cutoff=_SCORE_CUTOFF,
            ):
                for place in self._choice_places[self._hint_like_ids[j]]:
                    consider(place, choice, score)
        if " " in bare:
            expanded = " ".join(self._province_words.get(w, w) for w in bare.split())
            for choice, score, i in process.extract(
                expanded,
                self._qualified,
                scorer=fuzz.token_sort_ratio,
                processor=None,
                limit=None,
                score_cutoff=_QUALIFIED_SCORE_CUTOFF,
            ):
                consider(self._qualified_places[i], choice, score)
        ranked = sorted(best, key=best.__getitem__)
        if whole:
            ranked = [code for code in ranked if code in whole]
        return [self._by_code[c] for c in ranked[:limit]]

    def _match(self, q: str) -> list[tuple[str, float, int]]:
        if len(q.replace(" ", "")) < _MIN_FUZZY_QUERY:
            return [(c, 100.0, i) for i, c in enumerate(self._choices) if c == q]
        return process.extract(
            q,
            self._choices,
            scorer=fuzz.WRatio,
            processor=None,
            limit=None,
            score_cutoff=_SCORE_CUTOFF,
        )

    def search_districts(self, regency_code: str, query: str, limit: int = 5) -> list[Place]:
        """Kecamatan of one kab/kota matching ``query``, best first."""
        entry = self._district_choices.get(regency_code)
        q = strip_district_word(normalise_query(query))
        if entry is None or not q or limit <= 0:
            return []
        choices, places = entry
        if len(q.replace(" ", "")) < _MIN_FUZZY_QUERY:
            return [p for c, p in zip(choices, places, strict=True) if c == q][:limit]
        matches = process.extract(
            q,
            choices,
            scorer=fuzz.WRatio,
            processor=None,
            limit=limit,
            score_cutoff=_DISTRICT_SCORE_CUTOFF,
        )
        return [places[i] for _choice, _score, i in matches]


@functools.cache
def _load_default() -> PlaceIndex:
    return PlaceIndex._from_dir(DEFAULT_DATA_DIR)
