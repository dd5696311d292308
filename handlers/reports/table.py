"""One row per ticket, in the columns a SIMFONI-PPA recorder types from: words in the
export's language, dates in the unit's time zone. Never who reported; the story only when
the operator asks for it (`--with-narrative`, never from Telegram)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flows.casework import STATUS_LABELS
from flows.casework import record as vocabulary
from flows.core import N_, Msg
from flows.report_questions import CATEGORY_LABELS, STAFF_ROLE_LABELS
from handlers.render import Renderer
from storage.reports import Case

Cell = str | int | date | None

COLUMNS = (
    N_("export.col.case_number"),
    N_("export.col.reported_on"),
    N_("export.col.occurred"),
    N_("export.col.province"),
    N_("export.col.kabkota"),
    N_("export.col.kecamatan"),
    N_("export.col.violence"),
    N_("export.col.category"),
    N_("export.col.urgency"),
    N_("export.col.reporter"),
    N_("export.col.sex"),
    N_("export.col.age"),
    N_("export.col.education"),
    N_("export.col.disability"),
    N_("export.col.victims"),
    N_("export.col.services"),
    N_("export.col.referrals"),
    N_("export.col.status"),
    N_("export.col.status_history"),
    N_("export.col.reachable"),
    N_("export.col.unit"),
)
NARRATIVE = N_("export.col.narrative")
# How long before the report the reporter's "when" answer reaches back, in days.
OCCURRED_SPAN = {"minggu_ini": 7, "bulan_ini": 31}
OCCURRED_ON_THE_DAY = {
    "berlangsung": N_("export.occurred.berlangsung"),
    "hari_ini": N_("export.occurred.hari_ini"),
}


class Table:
    """Words for one locale: `header()` then `row(case)` for each ticket."""

    def __init__(
        self,
        renderer: Renderer,
        locale: str,
        zone: str,
        names: dict[str, str],
        *,
        narrative: bool = False,
    ) -> None:
        self.r, self.locale, self.zone, self.names = renderer, locale, ZoneInfo(zone), names
        self.narrative = narrative

    def words(self, msgid: str, **params: Any) -> str:
        return self.r.param(Msg(msgid, params), self.locale)

    def header(self) -> list[str]:
        return [self.words(c) for c in (*COLUMNS, *([NARRATIVE] if self.narrative else []))]

    def day(self, at: datetime) -> date:
        return at.astimezone(self.zone).date()

    def row(self, c: Case) -> list[Cell]:
        rec, reported = c.record, self.day(c.created_at)
        region = c.region_code or ""
        parts = region.split(".")
        row: list[Cell] = [
            c.case_number,
            reported,
            self.occurred(c.occurred, reported),
            self.names.get(parts[0], "") if region else "",
            self.names.get(".".join(parts[:2]), "") if len(parts) >= 2 else "",
            self.names.get(c.district_code or "", ""),
            self.labels(vocabulary.violence(rec, c.category), vocabulary.VIOLENCE),
            self.words(CATEGORY_LABELS.get(c.category, c.category)),
            self.words(N_("export.urgent") if c.urgent else N_("export.not_urgent")),
            self.words(STAFF_ROLE_LABELS.get(c.reporter_role, c.reporter_role)),
            self.victim(rec, "sex"),
            self.age(rec),
            self.victim(rec, "education"),
            self.victim(rec, "disability"),
            rec.get("victims"),
            self.services(rec["services"]),
            self.labels(rec["referrals"], vocabulary.REFERRALS),
            self.words(STATUS_LABELS.get(c.status, c.status)),
            "; ".join(
                f"{self.words(STATUS_LABELS.get(s, s))} {self.day(at).strftime('%d-%m-%Y')}"
                for s, at in c.statuses
            ),
            self.words(N_("export.yes") if c.reachable else N_("export.no")),
            c.upt_code,
        ]
        if self.narrative:
            row.append(c.narrative or "")
        return row

    def occurred(self, when: str, reported: date) -> str:
        """The reporter's "when", as dates a recorder can enter: an estimate, said so."""
        shown = reported.strftime("%d-%m-%Y")
        if when in OCCURRED_ON_THE_DAY:
            return self.words(OCCURRED_ON_THE_DAY[when], date=shown)
        if when in OCCURRED_SPAN:
            since = (reported - timedelta(days=OCCURRED_SPAN[when])).strftime("%d-%m-%Y")
            return self.words(N_("export.occurred.between"), since=since, until=shown)
        if when == "lebih_lama":
            before = (reported - timedelta(days=OCCURRED_SPAN["bulan_ini"])).strftime("%d-%m-%Y")
            return self.words(N_("export.occurred.before"), date=before)
        return self.words(N_("export.occurred.unknown"))

    def labels(self, codes: Sequence[str], labels: dict[str, str]) -> str:
        return ", ".join(self.words(labels[c]) for c in codes if c in labels)

    def victim(self, rec: dict[str, Any], field: str) -> str:
        value = rec.get(field)
        options = vocabulary.VICTIM[field][1]
        return self.words(options[value]) if value in options else ""

    def age(self, rec: dict[str, Any]) -> str:
        if rec.get("age") is not None:
            return self.words(N_("record.age.exact"), age=str(rec["age"]))
        return self.victim(rec, "age_band")

    def services(self, given: dict[str, str]) -> str:
        return "; ".join(
            f"{self.words(vocabulary.SERVICES[code])} ({date.fromisoformat(day):%d-%m-%Y})"
            for code, day in sorted(given.items(), key=lambda item: (item[1], item[0]))
            if code in vocabulary.SERVICES
        )
