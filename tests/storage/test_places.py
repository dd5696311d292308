from __future__ import annotations

import csv
import time
from pathlib import Path

import pytest

from storage.places import (
    DEFAULT_DATA_DIR,
    PROVINCE_TIMEZONES,
    Place,
    PlaceIndex,
    timezone_for,
)


@pytest.fixture(scope="module")
def index() -> PlaceIndex:
    return PlaceIndex.load()


def codes(places: list[Place]) -> list[str]:
    return [p.code for p in places]


# --- loading and lookups ------------------------------------------------------------------


def test_counts(index: PlaceIndex) -> None:
    provinces = index.provinces()
    regencies = [r for p in provinces for r in index.regencies(p.code)]
    districts = [d for r in regencies for d in index.districts(r.code)]
    assert (len(provinces), len(regencies), len(districts)) == (38, 514, 7285)
    assert len(index) == 38 + 514 + 7285


def test_load_default_is_cached() -> None:
    assert PlaceIndex.load() is PlaceIndex.load()


def test_load_from_explicit_dir(tmp_path: Path) -> None:
    (tmp_path / "provinces.csv").write_text("code,name\n35,Jawa Timur\n", encoding="utf-8")
    (tmp_path / "regencies.csv").write_text(
        "code,province_code,name\n35.15,35,Kabupaten Sidoarjo\n", encoding="utf-8"
    )
    (tmp_path / "districts.csv").write_text(
        "code,regency_code,name\n35.15.18,35.15,Waru\n", encoding="utf-8"
    )
    small = PlaceIndex.load(tmp_path)
    assert small is not PlaceIndex.load()
    assert codes(small.search("sidoarjo")) == ["35.15"]
    assert codes(small.search_districts("35.15", "waru")) == ["35.15.18"]


def test_load_rejects_orphans(tmp_path: Path) -> None:
    (tmp_path / "provinces.csv").write_text("code,name\n35,Jawa Timur\n", encoding="utf-8")
    (tmp_path / "regencies.csv").write_text(
        "code,province_code,name\n36.01,36,Kabupaten Pandeglang\n", encoding="utf-8"
    )
    (tmp_path / "districts.csv").write_text("code,regency_code,name\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown provinsi parent"):
        PlaceIndex.load(tmp_path)


def test_get(index: PlaceIndex) -> None:
    assert index.get("35") == Place("35", "Jawa Timur", "provinsi", None, "")
    assert index.get("35.15") == Place("35.15", "Kabupaten Sidoarjo", "kabkota", "35", "Jawa Timur")
    waru = index.get("35.15.18")
    assert waru is not None
    assert (waru.name, waru.level, waru.parent) == ("Waru", "kecamatan", "35.15")
    assert index.get("99") is None
    assert index.get("") is None


def test_district_with_quoted_csv_name_loads(index: PlaceIndex) -> None:
    # districts.csv quotes one name (Ra"as, Sumenep); the csv module must unescape it.
    raas = index.get("35.29.22")
    assert raas is not None and raas.name == 'Ra"as'
    assert codes(index.search_districts("35.29", "raas"))[:1] == ["35.29.22"]


def test_labels(index: PlaceIndex) -> None:
    places = [index.get(c) for c in ("35", "35.15", "35.15.18")]
    labels = [p.label() for p in places if p is not None]
    assert labels == ["Jawa Timur", "Kabupaten Sidoarjo, Jawa Timur", "Kec. Waru"]


def test_provinces_sorted_by_name(index: PlaceIndex) -> None:
    names = [p.name for p in index.provinces()]
    assert names == sorted(names)
    assert all(p.level == "provinsi" and p.parent is None for p in index.provinces())


def test_regencies_of_jawa_timur(index: PlaceIndex) -> None:
    regencies = index.regencies("35")
    assert len(regencies) == 38
    assert all(r.parent == "35" and r.province_name == "Jawa Timur" for r in regencies)
    names = [r.name for r in regencies]
    # Sorted by bare name, so the two Malangs (and Kediris, Blitars …) sit together.
    malang = names.index("Kabupaten Malang")
    assert names[malang + 1] == "Kota Malang"
    bare = [n.removeprefix("Kabupaten ").removeprefix("Kota ") for n in names]
    assert bare == sorted(bare)


def test_regencies_and_districts_of_wrong_level(index: PlaceIndex) -> None:
    assert index.regencies("35.15") == []
    assert index.regencies("99") == []
    assert index.districts("35") == []
    assert index.districts("99.99") == []


def test_districts_of_sidoarjo(index: PlaceIndex) -> None:
    districts = index.districts("35.15")
    assert len(districts) == 18
    assert [d.name for d in districts] == sorted(d.name for d in districts)
    assert "35.15.18" in codes(districts)
    assert all(d.parent == "35.15" and d.level == "kecamatan" for d in districts)


def test_returned_lists_are_copies(index: PlaceIndex) -> None:
    index.provinces().clear()
    index.regencies("35").clear()
    index.districts("35.15").clear()
    assert len(index.provinces()) == 38
    assert len(index.regencies("35")) == 38
    assert len(index.districts("35.15")) == 18


# --- search -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("sidoarjo", "35.15"),
        ("Sidoarjo", "35.15"),
        ("  SIDOARJO!! ", "35.15"),
        ("kota medan", "12.71"),
        ("kot. medan", "12.71"),
        ("Kota Medan", "12.71"),
        ("medan", "12.71"),
        ("kab. banyumas", "33.02"),
        ("kab banyumas", "33.02"),
        ("kab.banyumas", "33.02"),
        ("kabupaten banyumas", "33.02"),
        ("Kabupaten Banyumas", "33.02"),
        ("kota malang", "35.73"),
        ("kab malang", "35.07"),
        ("kota bandung", "32.73"),
        ("kabupaten bandung", "32.04"),
        # Jakarta's five cities by their everyday short forms.
        ("jakbar", "31.73"),
        ("jaksel", "31.74"),
        ("jaktim", "31.75"),
        ("jakut", "31.72"),
        ("jakpus", "31.71"),
        ("jakarta selatan", "31.74"),
        ("kota administrasi jakarta barat", "31.73"),
        # Province abbreviations.
        ("jabar", "32"),
        ("jateng", "33"),
        ("jatim", "35"),
        ("kalbar", "61"),
        ("kalteng", "62"),
        ("kalsel", "63"),
        ("kaltim", "64"),
        ("kaltara", "65"),
        ("sumut", "12"),
        ("sumbar", "13"),
        ("sumsel", "16"),
        ("sulut", "71"),
        ("sulteng", "72"),
        ("sulsel", "73"),
        ("sultra", "74"),
        ("sulbar", "76"),
        ("ntb", "52"),
        ("NTT", "53"),
        ("diy", "34"),
        ("DIY", "34"),
        ("jogja", "34"),
        ("yogya", "34"),
        ("yogyakarta", "34"),
        ("babel", "19"),
        ("kepri", "21"),
        ("malut", "82"),
        ("jakarta", "31"),
        ("dki jakarta", "31"),
        ("dki", "31"),
        # Full province names, including the newer Papua provinces.
        ("jawa timur", "35"),
        ("provinsi jawa timur", "35"),
        ("prov. jawa timur", "35"),
        ("kepulauan bangka belitung", "19"),
        ("bangka belitung", "19"),
        ("kepulauan riau", "21"),
        ("riau", "14"),
        ("daerah istimewa yogyakarta", "34"),
        ("papua", "91"),
        ("papua barat", "92"),
        ("papua barat daya", "96"),
        ("papua selatan", "93"),
        ("papua tengah", "94"),
        ("papua pegunungan", "95"),
        ("gorontalo", "75"),
        ("aceh", "11"),
        # Spelling slips.
        ("sidoarjoo", "35.15"),
        ("banyumass", "33.02"),
        ("surabya", "35.78"),
        ("surabaya", "35.78"),
        ("makasar", "73.71"),
        ("sumatra utara", "12"),
        ("jogjakarta", "34"),
        # Names with punctuation or that start with a "kota"-like word.
        ("tolitoli", "72.04"),
        ("toli toli", "72.04"),
        ("kotabaru", "63.02"),
        ("kota baru", "63.02"),
        ("kotamobagu", "71.74"),
        ("kota kotamobagu", "71.74"),
        ("kepulauan seribu", "31.01"),
        ("solo", "33.72"),
        ("tangsel", "36.74"),
        # Regency qualified by its province, as the button labels show it.
        ("sidoarjo, jawa timur", "35.15"),
        ("Kabupaten Sidoarjo, Jawa Timur", "35.15"),
        ("surabaya jatim", "35.78"),
        ("sleman jogja", "34.04"),
        ("bima ntb", "52.06"),
    ],
)
def test_search_first(index: PlaceIndex, query: str, first: str) -> None:
    results = index.search(query)
    assert results, query
    assert results[0].code == first, [(p.code, p.name) for p in results]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("malang", {"35.73", "35.07"}),  # Kota Malang and Kabupaten Malang
        ("jogja", {"34", "34.71"}),  # DI Yogyakarta and Kota Yogyakarta
        ("yogya", {"34", "34.71"}),
        ("jakarta", {"31", "31.73"}),
        ("bekasi", {"32.16", "32.75"}),
        ("tangerang", {"36.03", "36.71"}),
        ("gorontalo", {"75", "75.01", "75.71"}),
    ],
)
def test_search_contains_in_top_3(index: PlaceIndex, query: str, expected: set[str]) -> None:
    top = set(codes(index.search(query, limit=3)))
    assert expected <= top, (query, top)


def test_search_jakarta_lists_cities(index: PlaceIndex) -> None:
    results = codes(index.search("jakarta"))
    assert results[0] == "31"
    assert all(code.startswith("31") for code in results)
    assert len(results) == 5


def test_search_sidoarjo_jawa_timur_is_the_regency(index: PlaceIndex) -> None:
    # Every word typed is in the regency's full name: the province alone is not offered.
    assert codes(index.search("sidoarjo jawa timur")) == ["35.15"]


def test_search_only_provinces_and_regencies(index: PlaceIndex) -> None:
    # "waru" is a kecamatan name; search() must not return kecamatan.
    for query in ("waru", "sidoarjo", "kota", "barat"):
        assert all(p.level != "kecamatan" for p in index.search(query))


@pytest.mark.parametrize(
    "query",
    ["", "   ", "...", "zzzz", "asdfgh", "qwerty", "xyz", "a", "ab", "kota", "kab.", "12345"],
)
def test_search_no_match(index: PlaceIndex, query: str) -> None:
    assert index.search(query) == []


@pytest.mark.parametrize("limit", [1, 3, 10])
def test_search_limit(index: PlaceIndex, limit: int) -> None:
    assert len(index.search("barat", limit=limit)) == limit
    assert index.search("sidoarjo", limit=0) == []


def test_search_results_unique(index: PlaceIndex) -> None:
    for query in ("jogja", "jakarta", "malang", "papua barat", "yogyakarta"):
        results = codes(index.search(query, limit=20))
        assert len(results) == len(set(results))


def test_search_very_long_input(index: PlaceIndex) -> None:
    started = time.perf_counter()
    assert index.search("x" * 5000) == []
    assert codes(index.search("sidoarjo " + "x" * 5000))[:1] == ["35.15"]
    assert index.search_districts("35.15", "w" * 5000) == []
    # Generous bound: only catches accidental quadratic work on the whole input.
    assert time.perf_counter() - started < 1.0


# --- district search ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("regency", "query", "first"),
    [
        ("35.15", "waru", "35.15.18"),
        ("35.15", "Waru", "35.15.18"),
        ("35.15", "kec. waru", "35.15.18"),
        ("35.15", "kecamatan waru", "35.15.18"),
        ("35.15", "warru", "35.15.18"),
        ("35.15", "krian", "35.15.11"),
        ("35.15", "sidoarjo", "35.15.08"),
        ("12.14", "oou", "12.14.21"),  # O'o'u, apostrophes dropped
    ],
)
def test_search_districts(index: PlaceIndex, regency: str, query: str, first: str) -> None:
    results = index.search_districts(regency, query)
    assert results and results[0].code == first, codes(results)
    assert all(p.parent == regency for p in results)


@pytest.mark.parametrize(
    ("regency", "query"),
    [
        ("35.15", ""),
        ("35.15", "zzzz"),
        ("35.15", "ab"),
        ("35.78", "waru"),  # Waru is in Sidoarjo, not Surabaya
        ("35", "waru"),  # a province is not a regency
        ("99.99", "waru"),
    ],
)
def test_search_districts_no_match(index: PlaceIndex, regency: str, query: str) -> None:
    assert index.search_districts(regency, query) == []


# --- time zones ---------------------------------------------------------------------------


def test_every_province_has_a_timezone() -> None:
    with (DEFAULT_DATA_DIR / "provinces.csv").open(newline="", encoding="utf-8") as f:
        province_codes = {row["code"] for row in csv.DictReader(f)}
    assert province_codes == set(PROVINCE_TIMEZONES)
    assert set(PROVINCE_TIMEZONES.values()) == {"Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"}


@pytest.mark.parametrize(
    ("code", "zone"),
    [
        ("35", "Asia/Jakarta"),
        ("35.15", "Asia/Jakarta"),
        ("35.15.18", "Asia/Jakarta"),
        ("61.71", "Asia/Jakarta"),  # Pontianak: a "6x" province that is still WIB
        ("51.71", "Asia/Makassar"),  # Denpasar
        ("73.71", "Asia/Makassar"),  # Makassar
        ("76", "Asia/Makassar"),  # Sulawesi Barat
        ("81.71", "Asia/Jayapura"),  # Ambon
        ("82", "Asia/Jayapura"),  # Maluku Utara
        ("96", "Asia/Jayapura"),
    ],
)
def test_timezone_for(code: str, zone: str) -> None:
    assert timezone_for(code) == zone


def test_timezone_for_every_place(index: PlaceIndex) -> None:
    for province in index.provinces():
        zone = timezone_for(province.code)
        for regency in index.regencies(province.code):
            assert timezone_for(regency.code) == zone


@pytest.mark.parametrize("code", ["", "9", "99", "00.01"])
def test_timezone_for_unknown(code: str) -> None:
    with pytest.raises(ValueError):
        timezone_for(code)


@pytest.mark.parametrize(
    ("query", "offered"),
    [
        # The short forms people write (issue 13, item 9); a shared name offers both.
        ("sby", ["35.78"]),
        ("jkt", ["31"]),
        ("bdg", ["32.73", "32.04"]),
        ("mdn", ["12.71"]),
        ("smg", ["33.74", "33.22"]),
        ("mks", ["73.71"]),
        ("mlg", ["35.73", "35.07"]),
        ("jogja", ["34", "34.71"]),
        ("yogya", ["34", "34.71"]),
        ("solo", ["33.72"]),
        ("dps", ["51.71"]),
        ("tng", ["36.71", "36.03"]),
        # A whole word typed is that place, not every name that contains it.
        ("kota medan", ["12.71"]),
        ("medan", ["12.71"]),
        ("malang", ["35.07", "35.73"]),
        ("bali", ["51"]),
        ("bandung barat", ["32.17"]),
        # A typo still finds it.
        ("surabya", ["35.78"]),
    ],
)
def test_abbreviations_and_whole_words(index: PlaceIndex, query: str, offered: list[str]) -> None:
    assert codes(index.search(query)) == offered
