"""`upt import` is strict and atomic (issue 13, item 3)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from storage.db import Database
from storage.directory_import import CsvFile, header_errors, import_file, read_csv
from storage.models import Upt

HEADER = ["code", "name", "level", "region_code"]
SURABAYA = {"code": "uptd-ppa-3578", "name": "UPTD PPA Kota Surabaya", "level": "kabkota"}


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        ([], "the file is empty"),
        (["code", "name", "level"], "line 1: missing column region_code"),
        ([*HEADER, "phone"], "line 1: unknown column phone"),
        (["code", "name", "level", "region_code", "code"], "line 1: column code twice"),
        (["kode", "name", "level", "region_code"], "line 1: missing column code"),
    ],
)
def test_the_header_is_checked_by_name(header: list[str], problem: str) -> None:
    assert any(e.startswith(problem) for e in header_errors(header))


async def test_region_codes_with_or_without_a_dot_and_codes_in_any_case(
    database: Database,
) -> None:
    async with database.unit_of_work() as s:
        done = await import_file(s, CsvFile(HEADER, [{**SURABAYA, "region_code": "3578"}]))
        upt = await s.scalar(select(Upt).where(Upt.code == "UPTD-PPA-3578"))
    assert (done.added, done.errors) == (1, [])
    assert upt is not None and upt.region_code == "35.78" and upt.timezone == "Asia/Jakarta"
    async with database.unit_of_work() as s:  # the same unit again, by its lower-case code
        again = await import_file(
            s, CsvFile(HEADER, [{**SURABAYA, "name": "UPTD PPA Surabaya", "region_code": "35.78"}])
        )
    assert (again.added, again.updated, again.errors) == (0, 1, [])


async def test_one_bad_line_changes_nothing_and_every_bad_line_is_listed(
    database: Database,
) -> None:
    rows: list[dict[str | None, object]] = [
        {**SURABAYA, "region_code": "35.78"},  # fine on its own
        {**SURABAYA, "code": "UPTD-PPA-3578", "region_code": "35.78"},  # the same code
        {"code": "A", "name": "A", "level": "kota", "region_code": "35.15"},
        {"code": "B", "name": "B", "level": "kabkota", "region_code": "99.99"},
        {"code": "C", "name": "C", "level": "kabkota", "region_code": "35"},
        {"code": "D", "name": "D", "level": "provinsi", "region_code": "35"},  # Jatim has one
        {"code": "E", "name": "E", "level": "kabkota", "region_code": "35.15", None: ["x"]},
        {"code": "F", "name": "F", "level": "kabkota", "region_code": "35.78"},  # as line 2
    ]
    async with database.unit_of_work() as s:
        done = await import_file(s, CsvFile(HEADER, rows))
    assert (done.added, done.updated) == (0, 0)
    assert [e.split(":")[0] for e in done.errors] == [f"line {n}" for n in range(3, 10)]
    assert "UPTD-PPA-3578 is already on line 2" in done.errors[0]
    assert "level 'kota' is not one of" in done.errors[1]
    assert "unknown region_code '99.99'" in done.errors[2]
    assert "region_code 35 is not a kabkota code" in done.errors[3]
    assert "already has UPTD-PPA-35 (UPTD PPA Provinsi Jawa Timur)" in done.errors[4]
    assert "more values than the header" in done.errors[5]
    assert "kabkota 35.78 is already given to UPTD-PPA-3578 on line 2" in done.errors[6]
    async with database.unit_of_work() as s:
        assert await s.scalar(select(Upt).where(Upt.code == "UPTD-PPA-3578")) is None


async def test_a_file_as_people_write_it(database: Database, tmp_path: Path) -> None:
    """A header in capitals with spaces is read as checked; too long a value is that line's
    error on either database (not a database failure); a name quoted over two lines moves the
    next line's number as the file shows it."""
    path = tmp_path / "upt.csv"
    path.write_text(
        "Code , Name,LEVEL,Region_Code\n"
        'UPTD-PPA-3578,"UPTD PPA\nKota Surabaya",kabkota,35.78\n'
        f"{'X' * 41},UPTD PPA Sidoarjo,kabkota,35.15\n"
        f"UPTD-PPA-3573,{'N' * 201},kabkota,35.73\n",
        encoding="utf-8",
    )
    data = read_csv(path)
    async with database.unit_of_work() as s:
        done = await import_file(s, data)
    assert done.errors == [
        "line 4: code is longer than 40 characters",
        "line 5: name is longer than 200 characters",
    ]
    path.write_text(
        path.read_text().splitlines(keepends=True)[0] + "UPTD-PPA-3578,Surabaya,kabkota,3578\n"
    )
    async with database.unit_of_work() as s:
        done = await import_file(s, read_csv(path))
    assert (done.added, done.errors) == (1, [])
