"""`upt import`: a CSV of directory entries, checked whole and applied all or nothing.

One region has one receiving UPT at each level; a file that breaks that, or has any other
error, changes nothing and every bad line is listed.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Region, Upt
from storage.places import timezone_for

LEVELS = ("kabkota", "provinsi", "nasional")
REQUIRED = ("code", "name", "level", "region_code")
COLUMNS = (*REQUIRED, "timezone")
ZONE_ALIASES = {"WIB": "Asia/Jakarta", "WITA": "Asia/Makassar", "WIT": "Asia/Jayapura"}
EXAMPLE = "UPTD-PPA-3578,UPTD PPA Kota Surabaya,kabkota,35.78,WIB"
_PARTS = {"kabkota": 2, "provinsi": 1}
_LONGEST = {c: Upt.__table__.c[c].type.length for c in ("code", "name")}  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class CsvFile:
    header: list[str]
    rows: list[dict[str | None, object]]
    # The file line each row starts on (a quoted name may span lines); default: one a row.
    lines: list[int] = field(default_factory=list)

    def line_of(self, index: int) -> int:
        return self.lines[index] if index < len(self.lines) else index + 2


@dataclass(slots=True)
class ImportResult:
    added: int = 0
    updated: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Entry:
    line: int
    code: str
    name: str
    level: str
    region: str | None
    timezone: str


def read_csv(path: Path) -> CsvFile:
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        header = [(name or "").strip().lower() for name in reader.fieldnames or []]
        reader.fieldnames = header  # rows keyed as the header was checked: `Code ` is `code`
        rows: list[dict[str | None, object]] = []
        lines: list[int] = []
        ended = reader.line_num  # the line the previous record ended on
        for row in reader:
            rows.append(row)
            lines.append(ended + 1)
            ended = reader.line_num
        return CsvFile(header, rows, lines)


def canonical_code(code: str) -> str:
    """UPT codes compare without regard to case: stored and looked up in capitals."""
    return code.strip().upper()


def canonical_region(raw: str) -> str:
    """`35.78`, `3578` and ` 35.78 ` are the same kab/kota; `35` a province."""
    raw = raw.strip()
    if re.fullmatch(r"\d{4}", raw):
        return f"{raw[:2]}.{raw[2:]}"
    return raw


def header_errors(header: list[str]) -> list[str]:
    if not header:
        return [f"the file is empty: the first line must be the header {','.join(COLUMNS)}"]
    problems = []
    wanted = f"(the header is {','.join(REQUIRED)}[,timezone])"
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        problems.append(f"line 1: missing column {', '.join(missing)} {wanted}")
    unknown = [c or "(empty)" for c in header if c not in COLUMNS]
    if unknown:
        problems.append(f"line 1: unknown column {', '.join(unknown)} {wanted}")
    repeated = sorted({c for c in header if header.count(c) > 1})
    if repeated:
        problems.append(f"line 1: column {', '.join(repeated)} twice")
    return problems


def _entry(line: int, row: dict[str | None, object], regions: set[str]) -> _Entry | str:
    if row.get(None):
        return f"line {line}: more values than the header has columns"

    def cell(name: str) -> str:
        value = row.get(name)
        return value.strip() if isinstance(value, str) else ""

    code, name, level = canonical_code(cell("code")), cell("name"), cell("level").lower()
    region = canonical_region(cell("region_code")) or None
    if not code or not name:
        return f"line {line}: code and name are required"
    for column, value in (("code", code), ("name", name)):
        if len(value) > _LONGEST[column]:
            return f"line {line}: {column} is longer than {_LONGEST[column]} characters"
    if level not in LEVELS:
        return f"line {line}: level {level!r} is not one of {', '.join(LEVELS)}"
    if level == "nasional":
        if region:
            return f"line {line}: a nasional entry has no region_code"
    elif region not in regions:
        return f"line {line}: unknown region_code {cell('region_code')!r}"
    elif len(region.split(".")) != _PARTS[level]:
        return f"line {line}: region_code {region} is not a {level} code"
    tz = cell("timezone")
    tz = ZONE_ALIASES.get(tz.upper(), tz) or (timezone_for(region) if region else "Asia/Jakarta")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        return f"line {line}: unknown timezone {tz!r} (WIB, WITA, WIT or IANA)"
    return _Entry(line, code, name, level, region, tz)


async def import_file(session: AsyncSession, data: CsvFile) -> ImportResult:
    """Check every line; write only when none is wrong (the caller's one transaction)."""
    result = ImportResult(errors=header_errors(data.header))
    if result.errors:
        return result
    regions = set(await session.scalars(select(Region.code)))
    entries: list[_Entry] = []
    seen_codes: dict[str, int] = {}
    seen_places: dict[tuple[str, str | None], _Entry] = {}
    for index, row in enumerate(data.rows):
        line = data.line_of(index)
        entry = _entry(line, row, regions)
        if isinstance(entry, str):
            result.errors.append(entry)
            continue
        if entry.code in seen_codes:
            first_line = seen_codes[entry.code]
            result.errors.append(f"line {line}: {entry.code} is already on line {first_line}")
            continue
        place = (entry.level, entry.region)
        if place in seen_places:
            first = seen_places[place]
            result.errors.append(
                f"line {line}: {_place(entry)} is already given to {first.code} on line "
                f"{first.line} (one receiving UPT per region and level)"
            )
            continue
        seen_codes[entry.code] = line
        seen_places[place] = entry
        entries.append(entry)
    existing = {canonical_code(u.code): u for u in await session.scalars(select(Upt))}
    in_file = set(seen_codes)
    for entry in entries:
        if entry.code in existing and not existing[entry.code].active:
            continue  # updating an inactive entry does not make it receive
        for other in existing.values():
            if (
                other.active
                and canonical_code(other.code) not in in_file
                and (other.level, other.region_code) == (entry.level, entry.region)
            ):
                result.errors.append(
                    f"line {entry.line}: {_place(entry)} already has {other.code} ({other.name}); "
                    f"deactivate it first (lapor-ppa upt deactivate {other.code})"
                )
    if not data.rows:
        result.errors.append("line 2: the file has a header but no entries")
    if result.errors:
        result.errors.sort(key=lambda e: int(e.split(":")[0].removeprefix("line ")))
        return result
    for entry in entries:
        upt = existing.get(entry.code)
        if upt is None:
            session.add(
                Upt(
                    code=entry.code,
                    name=entry.name,
                    level=entry.level,
                    region_code=entry.region,
                    timezone=entry.timezone,
                )
            )
            result.added += 1
        else:
            upt.name, upt.level, upt.region_code = entry.name, entry.level, entry.region
            upt.timezone = entry.timezone
            result.updated += 1
    await session.flush()
    return result


def _place(entry: _Entry) -> str:
    return "the nasional level" if entry.region is None else f"{entry.level} {entry.region}"
