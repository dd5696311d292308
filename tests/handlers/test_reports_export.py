"""The monthly export (issue 15, items 3 and 5) on SQLite and PostgreSQL, against the known
set of tickets: every column, read back from the XLSX with openpyxl and from the CSV; who may
see which tickets; totals with and without "<3"; every export audited."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from handlers.i18n import Catalogs
from handlers.render import Renderer
from handlers.reports.export import build
from storage.crypto import Keys
from storage.db import Database
from storage.models import AuditEntry, Upt
from storage.reports import Scope
from tests.handlers.known_cases import SIDOARJO, SURABAYA, Known, known_set

RENDERER = Renderer(Catalogs())
HEADER = [
    "No. kasus",
    "Tanggal pelaporan",
    "Perkiraan tanggal kejadian",
    "Provinsi",
    "Kabupaten/kota",
    "Kecamatan",
    "Jenis kekerasan",
    "Kategori laporan",
    "Urgensi",
    "Pelapor",
    "Jenis kelamin korban",
    "Umur korban",
    "Pendidikan korban",
    "Disabilitas",
    "Jumlah korban",
    "Layanan (tanggal)",
    "Dirujuk ke",
    "Status",
    "Riwayat status (tanggal)",
    "Pelapor dapat dihubungi",
    "UPT",
]


async def _export(database: Database, code: str | None, fmt: str = "xlsx", **kw: Any) -> Any:
    async with database.unit_of_work() as s:
        upt = None
        if code is not None:
            upt = (await s.scalars(select(Upt).where(Upt.code == code))).one()
        return await build(
            s,
            RENDERER,
            "id",
            Scope.of(upt),
            "2026-11",
            fmt,
            actor="operator",
            **kw,  # type: ignore[arg-type]
        )


def _sheets(content: bytes) -> tuple[list[list[Any]], list[list[Any]], Any]:
    book = load_workbook(io.BytesIO(content))
    cases, totals = book.worksheets
    # openpyxl reads a date cell back as midnight of that day
    rows = [
        [v.date() if isinstance(v, datetime) else v for v in r]
        for r in cases.iter_rows(values_only=True)
    ]
    sums = [list(r) for r in totals.iter_rows(values_only=True)]
    return rows, sums, cases


def _numbers(rows: list[list[Any]]) -> list[str]:
    return [r[0] for r in rows[1:]]


@pytest.fixture
async def known(database: Database, keys: Keys) -> Known:
    return await known_set(database, keys)


async def test_every_column_of_a_units_export(database: Database, known: Known) -> None:
    made = await _export(database, SURABAYA)
    assert made.name == "lapor-ppa-uptd-ppa-3578-2026-11.xlsx" and made.tickets == 3
    rows, sums, sheet = _sheets(made.content)
    assert rows[0] == HEADER
    assert sheet.freeze_panes == "B2" and sheet.column_dimensions["A"].width > 20
    assert sheet.title == "Kasus"
    # Oldest first; 30 Nov 23:30 WIB is November, 1 Dec 00:30 WIB is not (both are 30 Nov UTC).
    assert _numbers(rows) == [known.t1, known.t6, known.t2]
    t1, t6, t2 = rows[1:]
    assert t1 == [
        known.t1,
        date(2026, 11, 3),
        "antara 27-10-2026 dan 03-11-2026",
        "Jawa Timur",
        "Kota Surabaya",
        t1[5],  # the kecamatan's name, checked below
        "Eksploitasi seksual",  # never corrected: from the category
        "Prostitusi online anak",
        "Tidak mendesak",
        "Masyarakat umum",
        "Perempuan",
        "15 tahun",
        "SMP/sederajat",
        "Tidak",
        1,
        "Pengaduan (03-11-2026); Kesehatan (05-11-2026)",
        "Unit PPA Polres",
        "Asesmen",
        "Diterima 03-11-2026; Asesmen 05-11-2026",
        "Ya",
        SURABAYA,
    ]
    assert isinstance(t1[5], str) and t1[5]  # 35.78.01 has a name in the region data
    assert t2[1:4] == [
        date(2026, 11, 30),
        "masih berlangsung saat dilaporkan (30-11-2026)",
        "Jawa Timur",
    ]
    assert t2[6:10] == ["Seksual", "Bujukan/grooming daring", "Mendesak", "Guru BK"]
    assert t2[10:17] == [None, None, None, None, None, None, None]  # nothing recorded yet
    assert t2[17:20] == ["Baru", None, "Tidak"]
    # Re-routed from Sidoarjo: the place stays where it happened, the unit is the new one.
    assert t6[2] == "antara 15-10-2026 dan 15-11-2026" and t6[4] == "Kabupaten Sidoarjo"
    assert t6[17] == "Baru" and t6[20] == SURABAYA
    assert sums[0] == ["Jumlah", None] and sums[1] == ["Laporan masuk", 3]


async def test_who_sees_which_tickets(database: Database, known: Known) -> None:
    surabaya = _numbers(_sheets((await _export(database, SURABAYA)).content)[0])
    sidoarjo = _numbers(_sheets((await _export(database, SIDOARJO)).content)[0])
    jatim = _numbers(_sheets((await _export(database, "UPTD-PPA-35")).content)[0])
    jabar = _numbers(_sheets((await _export(database, "UPTD-PPA-32")).content)[0])
    everyone = _numbers(_sheets((await _export(database, None)).content)[0])
    national = _numbers(_sheets((await _export(database, "SAPA-129")).content)[0])
    assert surabaya == [known.t1, known.t6, known.t2]
    assert sidoarjo == [known.t4]  # the one it still holds; the re-routed one left with it
    assert jatim == [known.t1, known.t4, known.t6, known.t2]  # every place in its province
    assert jabar == [known.t5]
    assert everyone == national == [known.t1, known.t4, known.t5, known.t6, known.t2]
    assert known.t3 not in everyone  # December in WIB


async def test_the_csv_has_the_same_rows(database: Database, known: Known) -> None:
    made = await _export(database, SURABAYA, "csv")
    assert made.name.endswith(".csv") and made.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(made.content.decode("utf-8-sig"))))
    xlsx = _sheets((await _export(database, SURABAYA)).content)[0]
    assert rows[0] == HEADER
    assert rows[1][1] == "2026-11-03"  # ISO in CSV; a real date in XLSX
    expected = [
        ["" if v is None else v.isoformat() if isinstance(v, date) else str(v) for v in row]
        for row in xlsx[1:]
    ]
    assert rows[1:] == expected


async def test_totals_and_small_numbers(database: Database, known: Known) -> None:
    full = dict(_totals(_sheets((await _export(database, "UPTD-PPA-35")).content)[1]))
    assert full["Laporan masuk"] == 4
    assert (
        full["Status: Baru"] == 3 and full["Status: Asesmen"] == 1 and full["Status: Selesai"] == 0
    )
    assert (
        full["Kabupaten/kota: Kota Surabaya"] == 2
        and full["Kabupaten/kota: Kabupaten Sidoarjo"] == 2
    )
    assert full["Jenis kekerasan: Eksploitasi seksual"] == 3  # t1, t6 from the category; t4 kept it
    assert full["Jenis kekerasan: Trafficking/TPPO"] == 1  # t4's correction
    assert full["Jenis kekerasan: Seksual"] == 1  # t2, grooming
    assert full["Layanan (tanggal): Pengaduan"] == 1
    assert (
        full["Jenis kelamin korban: Perempuan"] == 1
        and full["Jenis kelamin korban: Laki-laki"] == 1
    )
    assert full["Jenis kelamin korban: belum dicatat"] == 2
    public = await _export(database, "UPTD-PPA-35", totals_only=True, public=True)
    book = load_workbook(io.BytesIO(public.content))
    assert [ws.title for ws in book.worksheets] == ["Rekap bulanan"]  # no cases at all
    shown = dict(_totals([list(r) for r in book.worksheets[0].iter_rows(values_only=True)]))
    assert shown["Laporan masuk"] == 4  # 3 or more: as it is
    assert shown["Status: Baru"] == 3 and shown["Status: Asesmen"] == "<3"
    assert shown["Status: Selesai"] == 0  # zero stays zero
    assert shown["Jenis kekerasan: Eksploitasi seksual"] == 3
    assert shown["Jenis kekerasan: Trafficking/TPPO"] == "<3"
    assert set(shown.values()) <= {0, 3, 4, "<3"}  # never a 1 or a 2
    with pytest.raises(ValueError):
        await _export(database, "UPTD-PPA-35", public=True)  # never a per-ticket file


def _totals(rows: list[list[Any]]) -> list[tuple[str, Any]]:
    """ "Heading: label" -> count, from the totals sheet."""
    out, heading = [], ""
    for row in rows:
        if not row or row[0] is None:
            continue
        if len(row) < 2 or row[1] is None:
            heading = row[0]
            continue
        out.append((row[0] if heading == "Jumlah" else f"{heading}: {row[0]}", row[1]))
    return out


async def test_every_export_is_audited_and_the_story_only_on_request(
    database: Database, known: Known
) -> None:
    await _export(database, SURABAYA)
    with_story = await _export(database, SIDOARJO, narrative=True)
    rows = _sheets(with_story.content)[0]
    assert rows[0][-1] == "Isi laporan" and rows[1][-1] == "Akun @contoh menawarkan anak di MiChat"
    await _export(database, None, "csv", totals_only=True, public=True)
    async with database.unit_of_work() as s:
        audit = [
            (a.actor, a.detail)
            for a in await s.scalars(
                select(AuditEntry).where(AuditEntry.action == "export").order_by(AuditEntry.id)
            )
        ]
    assert audit == [
        ("operator", f"cases of {SURABAYA} for 2026-11 as xlsx: 3 tickets"),
        ("operator", f"cases of {SIDOARJO} for 2026-11 as xlsx, with narrative: 1 tickets"),
        ("operator", "totals of all units for 2026-11 as csv, public: 5 tickets"),
    ]
