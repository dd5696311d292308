"""`lapor-ppa export` at the console (issue 15, items 3 and 5): the file a recorder opens, the
story only with --with-narrative (and then readable by its owner only), and one readable line
for every mistake."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

from openpyxl import load_workbook

from storage.crypto import Keys
from storage.db import Database
from storage.migrate import upgrade
from tests.bot.test_cli_errors import one_line
from tests.bot.test_process import cli
from tests.handlers.known_cases import SURABAYA, known_set
from tests.support import TEST_SECRET


async def _known(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}", Keys.derive(TEST_SECRET))
    try:
        await upgrade(db.engine)
        await known_set(db, Keys.derive(TEST_SECRET))
    finally:
        await db.dispose()


async def test_a_months_export_is_a_file_the_recorder_opens(tmp_path: Path) -> None:
    await _known(tmp_path)
    done = cli(tmp_path, "export", "--month", "2026-11", "--upt", SURABAYA.lower())
    assert done.returncode == 0, done.stderr
    name = "lapor-ppa-uptd-ppa-3578-2026-11.xlsx"
    assert done.stdout.strip() == f"wrote {name} (3 tickets, xlsx)"
    book = load_workbook(tmp_path / name)
    assert [ws.title for ws in book.worksheets] == ["Kasus", "Rekap bulanan"]
    assert book.worksheets[0].max_row == 4 and "Isi laporan" not in str(book.worksheets[0][1])

    assert (os.stat(tmp_path / name).st_mode & 0o777) == 0o600  # where children live, ages
    (tmp_path / "cerita.csv").write_text("old")
    os.chmod(tmp_path / "cerita.csv", 0o644)  # an older file, readable by everyone
    story = cli(
        tmp_path,
        "export",
        "--month",
        "2026-11",
        "--format",
        "csv",
        "--with-narrative",
        "--out",
        "cerita.csv",
        SECRET_KEY=TEST_SECRET,
    )
    assert story.returncode == 0, story.stderr
    assert "Akun @contoh menawarkan anak" in (tmp_path / "cerita.csv").read_text("utf-8-sig")
    assert (os.stat(tmp_path / "cerita.csv").st_mode & 0o777) == 0o600

    public = cli(
        tmp_path,
        "export",
        "--month",
        "2026-11",
        "--totals",
        "--public",
        "--format",
        "csv",
        "--out",
        "-",
    )
    assert public.returncode == 0, public.stderr
    lines = public.stdout.lstrip("\ufeff").splitlines()
    assert lines[0] == "Jumlah,Laporan masuk,5"  # every unit's November
    assert "Status,Asesmen,<3" in lines and "Status,Selesai,<3" in lines
    assert "Status,Dirujuk,0" in lines  # zero stays zero
    assert not any(line.endswith((",1", ",2")) for line in lines)


def test_every_mistake_is_one_line(tmp_path: Path) -> None:
    assert cli(tmp_path, "db", "upgrade").returncode == 0
    cases = {
        ("--month", "11-2026"): "lapor-ppa: --month '11-2026' is not a month: write it as 2026-11",
        ("--month", "2026-13"): "lapor-ppa: --month '2026-13' is not a month: write it as 2026-11",
        ("--month", "2026-11", "--public"): "lapor-ppa: --public is for totals only (add "
        "--totals): a per-ticket export never leaves the unit",
        ("--month", "2026-11", "--upt", "UPTD-PPA-99"): "lapor-ppa: unknown UPT UPTD-PPA-99 "
        "(see `lapor-ppa upt list`)",
        ("--month", "2026-11", "--with-narrative"): "lapor-ppa: SECRET_KEY is not set (at least "
        "32 characters; make run generates one)",
        ("--month", "2026-11", "--out", "no/such/folder/x.xlsx"): "lapor-ppa: cannot write "
        "no/such/folder/x.xlsx: No such file or directory",
    }
    cases |= {
        ("--month", "0000-01"): "lapor-ppa: --month '0000-01' is not a month: write it as 2026-11",
        ("--month", "9999-12"): "lapor-ppa: --month '9999-12' is not a month: write it as 2026-11",
        ("--month", "2999-01"): "lapor-ppa: --month 2999-01 has not begun yet (this month is "
        f"{datetime.now(timezone(timedelta(hours=9))):%Y-%m})",
    }
    for args, line in cases.items():
        result = cli(tmp_path, "export", *args)
        assert result.returncode == 1, args
        assert one_line(result) == line
