"""A month's totals: how many tickets by status, category, reporter, urgency, kab/kota, kind
of violence, service given and the victim's sex and age. For anything that leaves the unit
(`--public`), a count of 1 or 2 is shown as "<3" (0 stays 0): small numbers can name a child.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable

from flows.casework import STATUS_LABELS, STATUSES
from flows.casework import record as vocabulary
from flows.core import N_
from flows.report_questions import CATEGORIES, CATEGORY_LABELS, STAFF_ROLE_LABELS
from handlers.reports.table import Table
from storage.reports import Case

SMALL = 3
Count = int | str
Section = tuple[str, list[tuple[str, Count]]]  # a heading, then (label, count) rows


def shown(n: int, public: bool) -> Count:
    return "<3" if public and 0 < n < SMALL else n


def totals(cases: list[Case], table: Table, *, public: bool = False) -> list[Section]:
    w = table.words

    def section(
        heading: str,
        order: Iterable[str],
        label: Callable[[str], str],
        keys: Callable[[Case], Iterable[str]],
    ) -> Section:
        counted = Counter(k for c in cases for k in set(keys(c)))
        rows = [(label(k), shown(counted.get(k, 0), public)) for k in order]
        return w(heading), rows

    unknown = w(N_("record.none"))

    def place(code: str) -> str:
        return table.names.get(code, "") or w(N_("export.unknown_place"))

    places = Counter(c.kabkota for c in cases)
    by_place = sorted(places, key=lambda code: (-places[code], place(code)))
    return [
        (w(N_("export.total.heading")), [(w(N_("export.total.all")), shown(len(cases), public))]),
        section(
            N_("export.col.status"), STATUSES, lambda s: w(STATUS_LABELS[s]), lambda c: [c.status]
        ),
        section(
            N_("export.col.category"),
            CATEGORIES,
            lambda k: w(CATEGORY_LABELS[k]),
            lambda c: [c.category],
        ),
        section(
            N_("export.col.reporter"),
            list(STAFF_ROLE_LABELS),
            lambda k: w(STAFF_ROLE_LABELS[k]),
            lambda c: [c.reporter_role],
        ),
        section(
            N_("export.col.urgency"),
            ("1", "0"),
            lambda k: w(N_("export.urgent") if k == "1" else N_("export.not_urgent")),
            lambda c: ["1" if c.urgent else "0"],
        ),
        section(N_("export.col.kabkota"), by_place, place, lambda c: [c.kabkota]),
        section(
            N_("export.col.violence"),
            list(vocabulary.VIOLENCE),
            lambda k: w(vocabulary.VIOLENCE[k]),
            lambda c: vocabulary.violence(c.record, c.category),
        ),
        section(
            N_("export.col.services"),
            list(vocabulary.SERVICES),
            lambda k: w(vocabulary.SERVICES[k]),
            lambda c: list(c.record["services"]),
        ),
        _victim(cases, table, "sex", public, unknown),
        _victim(cases, table, "age_band", public, unknown),
    ]


def _victim(cases: list[Case], table: Table, field: str, public: bool, unknown: str) -> Section:
    heading, options = vocabulary.VICTIM[field]
    counted = Counter(c.record.get(field) or "" for c in cases)
    rows = [(table.words(label), shown(counted.get(k, 0), public)) for k, label in options.items()]
    rows.append((unknown, shown(counted.get("", 0), public)))
    return table.words(heading), rows
