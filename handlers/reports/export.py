"""A month's export for one scope, as a file: the one path `lapor-ppa export` and the
koordinator's Ekspor button share. Every export is audited: who, whose cases, which month."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from flows.core import N_
from handlers.render import Renderer
from handlers.reports.files import csv_bytes, totals_csv, xlsx_bytes
from handlers.reports.table import Table
from handlers.reports.totals import totals
from storage import reports, staff
from storage.reports import Scope

Format = Literal["csv", "xlsx"]
MONTH = re.compile(r"(2\d{3})-(0[1-9]|1[0-2])")  # 2000-2999: a year typo is not a month
MIME = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True, slots=True)
class ExportFile:
    name: str
    content: bytes
    tickets: int
    mime: str


def valid_month(text: str) -> bool:
    return MONTH.fullmatch(text) is not None


async def build(
    session: AsyncSession,
    renderer: Renderer,
    locale: str,
    scope: Scope,
    month: str,
    fmt: Format,
    *,
    actor: str,
    narrative: bool = False,
    totals_only: bool = False,
    public: bool = False,
) -> ExportFile:
    """`public` (small counts as "<3") is for aggregate outputs only: a per-ticket export
    never leaves the unit, so asking for both is a mistake the caller refuses first."""
    if public and not totals_only:
        raise ValueError("--public applies to totals only")
    start, end = reports.month_bounds(month, scope.timezone)
    cases = await reports.cases(session, scope, start, end, narrative=narrative)
    codes = {c.region_code for c in cases if c.region_code} | {
        c.district_code for c in cases if c.district_code
    }
    table = Table(
        renderer,
        locale,
        scope.timezone,
        await reports.region_names(session, codes),
        narrative=narrative,
    )
    sections = totals(cases, table, public=public)
    sheets = (table.words(N_("export.sheet.cases")), table.words(N_("export.sheet.totals")))
    header = None if totals_only else table.header()
    rows = [] if totals_only else [table.row(c) for c in cases]
    if fmt == "xlsx":
        content = xlsx_bytes(sheets, header, rows, sections)
    else:
        content = totals_csv(sections) if header is None else csv_bytes(header, rows)
    kind = "totals" if totals_only else "cases"
    staff.audit(
        session,
        actor,
        "export",
        detail=(
            f"{kind} of {scope.code or 'all units'} for {month} as {fmt}"
            + (", with narrative" if narrative else "")
            + (", public" if public else "")
            + f": {len(cases)} tickets"
        ),
    )
    name = f"lapor-ppa-{(scope.code or 'semua').lower()}-{month}{'-rekap' if totals_only else ''}"
    return ExportFile(f"{name}.{fmt}", content, len(cases), MIME[fmt])
