"""/statistik's figures and chart (issue 15, items 2 and 4) on SQLite and PostgreSQL, against
the known set of tickets: every line for each scope, the identifiers only where the viewer's
unit holds one of the tickets naming them, and a chart that is a real PNG of phone size."""

from __future__ import annotations

import struct
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from flows.core import Msg
from handlers.i18n import Catalogs
from handlers.render import Renderer, plain
from handlers.reports import chart, figures
from storage.crypto import Keys
from storage.db import Database
from storage.models import Upt
from storage.reports import Scope
from tests.handlers.known_cases import SIDOARJO, SURABAYA, Known, known_set

RENDERER = Renderer(Catalogs())
# 30 November, 19:00 WIB: this month is November, last month October.
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@pytest.fixture
async def known(database: Database, keys: Keys) -> Known:
    return await known_set(database, keys)


async def _figures(database: Database, keys: Keys, code: str | None) -> figures.Figures:
    async with database.unit_of_work() as s:
        upt = None
        if code is not None:
            upt = (await s.scalars(select(Upt).where(Upt.code == code))).one()
        viewer = upt.id if upt is not None else None
        return await figures.gather(s, keys, Scope.of(upt), viewer, NOW)


def _text(f: figures.Figures) -> list[str]:
    footer = Msg("stats.asked_by", {"name": "Rina Wati"})
    return plain(RENDERER.text(figures.summary(f, footer), "id")).splitlines()


async def test_every_figure_a_kabkota_unit_sees(
    database: Database, keys: Keys, known: Known
) -> None:
    assert _text(await _figures(database, keys, SURABAYA)) == [
        "📊 Statistik UPTD PPA Kota Surabaya, November 2026",
        "Angka November 2026 (dalam kurung: Oktober 2026).",
        "",
        "Laporan masuk: 3 (0)",
        "Status: Baru 2 (0), Asesmen 1 (0)",
        "Kategori: Prostitusi online anak 2 (0), Bujukan/grooming daring 1 (0)",
        "Pelapor: Masyarakat umum 2 (0), Guru BK 1 (0)",
        "Urgensi: Tidak mendesak 2 (0), Mendesak 1 (0)",
        "Kabupaten/kota: Kota Surabaya 2 (0), Kabupaten Sidoarjo 1 (0)",
        "Waktu sampai diambil: median 2 jam, 90% dalam 2 jam (1 laporan)",
        "Waktu sampai status pertama: median 2 jam, 90% dalam 2 jam (1 laporan)",
        "Terbuka melewati SLA (belum diambil): 0",
        "Layanan diberikan: Kesehatan 1 (0), Pengaduan 1 (0)",
        "Laporan dengan bukti, per platform: Akun 2",
        "",
        "Akun/tautan yang paling sering dilaporkan pada November 2026",
        "• Akun @penawar_vip: 2 laporan",
        "",
        "Diminta oleh Rina Wati.",
    ]


async def test_each_scope_counts_only_its_own(database: Database, keys: Keys, known: Known) -> None:
    sidoarjo = _text(await _figures(database, keys, SIDOARJO))
    assert "Laporan masuk: 1 (0)" in sidoarjo
    assert "Terbuka melewati SLA (belum diambil): 1" in sidoarjo
    assert "Kabupaten/kota: Kabupaten Sidoarjo 1 (0)" in sidoarjo
    assert "Laporan dengan bukti, per platform: Nomor telepon 1, Akun 1" in sidoarjo
    assert not any("penawar" in line for line in sidoarjo)  # named twice only elsewhere
    assert not any("Surabaya" in line for line in sidoarjo)

    jatim = _text(await _figures(database, keys, "UPTD-PPA-35"))
    assert "Laporan masuk: 4 (0)" in jatim
    assert "Status: Baru 3 (0), Asesmen 1 (0)" in jatim
    assert "Kabupaten/kota: Kabupaten Sidoarjo 2 (0), Kota Surabaya 2 (0)" in jatim
    assert "Terbuka melewati SLA (belum diambil): 1" in jatim
    # The province holds one of the three (the escalated one): it may see the account.
    assert "• Akun @penawar_vip: 3 laporan" in jatim

    everyone = _text(await _figures(database, keys, "SAPA-129"))
    assert "Laporan masuk: 5 (0)" in everyone
    assert "Status: Baru 3 (0), Asesmen 1 (0), Selesai 1 (0)" in everyone
    categories = (
        "Prostitusi online anak 3 (0), Bujukan/grooming daring 1 (0), Perdagangan anak 1 (0)"
    )
    assert f"Kategori: {categories}" in everyone
    # The national channel holds none of them: counted, never shown.
    assert "• Akun (di unit lain): 3 laporan" in everyone
    assert "• Nomor telepon (di unit lain): 2 laporan" in everyone
    assert not any("penawar" in line or "0812" in line for line in everyone)


async def test_the_chart_is_a_png_a_phone_shows_well(
    database: Database, keys: Keys, known: Known
) -> None:
    png = chart.png(await _figures(database, keys, "UPTD-PPA-35"), RENDERER)
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (800, 1400)
    assert 20_000 < len(png) < 1_000_000  # drawn, and small enough to send at once
    empty = chart.png(await _figures(database, keys, SIDOARJO), RENDERER)
    assert empty.startswith(b"\x89PNG")
