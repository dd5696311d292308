"""The export as a file: CSV (UTF-8 with a byte-order mark, so spreadsheet programs read the
Indonesian names right) or XLSX (a header row, frozen panes, column widths, real dates, and a
second sheet of the month's totals)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

from handlers.reports.table import Cell
from handlers.reports.totals import Section

DATE_FORMAT = "DD-MM-YYYY"
MAX_WIDTH = 60


def csv_bytes(header: Sequence[str], rows: Sequence[Sequence[Cell]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(
            ["" if v is None else v.isoformat() if isinstance(v, date) else v for v in row]
        )
    return out.getvalue().encode("utf-8-sig")


def totals_csv(sections: Sequence[Section]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for heading, rows in sections:
        for label, count in rows:
            writer.writerow([heading, label, count])
    return out.getvalue().encode("utf-8-sig")


def xlsx_bytes(
    sheets: Sequence[str],
    header: Sequence[str] | None,
    rows: Sequence[Sequence[Cell]],
    sections: Sequence[Section],
) -> bytes:
    """`sheets`: the cases sheet's and the totals sheet's names. No header: totals only."""
    from openpyxl import Workbook  # loaded when a workbook is first made
    from openpyxl.worksheet.worksheet import Worksheet

    book = Workbook()
    first = book.active
    assert isinstance(first, Worksheet)
    if header is not None:
        first.title = sheets[0]
        _cases(first, header, rows)
        summary = book.create_sheet(sheets[1])
    else:
        first.title = sheets[1]
        summary = first
    _totals(summary, sections)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cases(ws: Worksheet, header: Sequence[str], rows: Sequence[Sequence[Cell]]) -> None:
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    ws.append(list(header))
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    widths = [len(h) for h in header]
    for row in rows:
        ws.append(list(row))
        for i, value in enumerate(row):
            widths[i] = max(widths[i], 10 if isinstance(value, date) else len(str(value or "")))
    for line in ws.iter_rows(min_row=2):
        for cell in line:
            if isinstance(cell.value, date):
                cell.number_format = DATE_FORMAT
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = min(width + 2, MAX_WIDTH)
    ws.freeze_panes = "B2"  # the header and the case number stay


def _totals(sheet: Worksheet, sections: Sequence[Section]) -> None:
    from openpyxl.styles import Font

    widths = [10, 6]
    for heading, rows in sections:
        sheet.append([heading])
        sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True)
        for label, count in rows:
            sheet.append([label, count])
            widths[0] = max(widths[0], len(label))
        sheet.append([])
    sheet.column_dimensions["A"].width = min(widths[0] + 2, MAX_WIDTH)
    sheet.column_dimensions["B"].width = 8
