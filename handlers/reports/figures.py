"""/statistik's figures for one scope: this month and last by status, category, reporter,
urgency and kab/kota; how long until a ticket is taken and first moves (median, 90th
percentile); open tickets past their SLA; services given; the month's most-reported
identifiers. Gathered once; the text (summary) and the chart (chart.py) read the same."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from flows.casework import STATUS_LABELS, STATUSES
from flows.casework import record as vocabulary
from flows.core import N_, Day, Lines, Msg, Param, Reply, Seq
from flows.evidence import from_dict, identity
from flows.report_questions import CATEGORY_LABELS, PLATFORM_LABELS, STAFF_ROLE_LABELS
from storage import reports
from storage.crypto import Keys
from storage.models import Ticket
from storage.reports import Case, Reported, Scope

MAX_ITEMS = 6  # per line and per chart panel: what reads on a phone
KIND_LABELS = {
    "kind:username": N_("stats.where.username"),
    "kind:phone": N_("stats.where.phone"),
    "kind:text": N_("stats.where.text"),
    "kind:link": N_("stats.where.link"),
}
URGENCY_LABELS = {"1": N_("export.urgent"), "0": N_("export.not_urgent")}


@dataclass(slots=True)
class Figures:
    scope: Scope
    month: date  # the first day of this month, in the scope's time zone
    last_month: date
    now: list[Case]
    last: list[Case]
    past_sla: int
    services_now: dict[str, int]
    services_last: dict[str, int]
    reported: list[Reported]
    per_platform: dict[str, int]
    shown: dict[str, str] = field(default_factory=dict)  # mark -> identifier the viewer may see
    places: dict[str, str] = field(default_factory=dict)


def first_days(now: datetime, zone: str) -> tuple[date, date, date]:
    """This month's first day, last month's, next month's (in the scope's zone)."""
    today = now.astimezone(ZoneInfo(zone)).date()
    this = today.replace(day=1)
    last = (this - timedelta(days=1)).replace(day=1)
    following = (this + timedelta(days=32)).replace(day=1)
    return this, last, following


async def gather(
    session: AsyncSession, keys: Keys, scope: Scope, viewer: int | None, now: datetime
) -> Figures:
    this, last, following = first_days(now, scope.timezone)
    bounds = {m: reports.month_bounds(f"{m:%Y-%m}", scope.timezone) for m in (this, last)}
    now_cases = await reports.cases(session, scope, *bounds[this])
    last_cases = await reports.cases(session, scope, *bounds[last])
    reported, per_platform = await reports.most_reported(session, scope, *bounds[this], viewer)
    codes = {c.region_code for c in now_cases + last_cases if c.region_code}
    figures = Figures(
        scope=scope,
        month=this,
        last_month=last,
        now=now_cases,
        last=last_cases,
        past_sla=await reports.past_sla(session, scope),
        services_now=await reports.services_given(session, scope, this, following),
        services_last=await reports.services_given(session, scope, last, this),
        reported=reported,
        per_platform=per_platform,
        places=await reports.region_names(session, codes),
    )
    figures.shown = await _identifiers(session, keys, reported)
    return figures


async def _identifiers(session: AsyncSession, keys: Keys, found: list[Reported]) -> dict[str, str]:
    """Identifiers in clear, read back from a ticket the viewer's unit holds (they are stored
    only as keyed hashes): nobody sees one that only other units' tickets name."""
    shown: dict[str, str] = {}
    for r in found:
        if r.held is None:
            continue
        ticket = await session.get_one(Ticket, r.held)
        for raw in (ticket.details or {}).get("evidence") or []:
            try:
                item = from_dict(raw)
            except ValueError:
                continue
            key = identity(item)
            if key is not None and keys.evidence_mark(key) == r.mark:
                shown[r.mark] = item.value
                break
    return shown


# --- numbers -------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..1): always one of the values."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def waits(cases: Iterable[Case], until: Callable[[Case], datetime | None]) -> list[float]:
    out = []
    for c in cases:
        at = until(c)
        if at is not None:
            out.append(max(0.0, (at - c.created_at).total_seconds()))
    return out


def first_move(c: Case) -> datetime | None:
    return c.statuses[0][1] if c.statuses else None


def counted(cases: Iterable[Case], key: Callable[[Case], Iterable[str]]) -> Counter[str]:
    return Counter(k for c in cases for k in set(key(c)))


# What each line and chart panel counts: (heading, key of a case, label of a key).
BREAKDOWNS: dict[str, tuple[str, Callable[[Case], Iterable[str]]]] = {
    "status": (N_("stats.by_status"), lambda c: [c.status]),
    "category": (N_("stats.by_category"), lambda c: [c.category]),
    "role": (N_("stats.by_role"), lambda c: [c.reporter_role]),
    "urgency": (N_("stats.by_urgency"), lambda c: ["1" if c.urgent else "0"]),
    "kabkota": (N_("stats.by_kabkota"), lambda c: [c.kabkota]),
}


def label_of(f: Figures, breakdown: str, key: str) -> Param:
    match breakdown:
        case "status":
            return Msg(STATUS_LABELS.get(key, key))
        case "category":
            return Msg(CATEGORY_LABELS.get(key, key))
        case "role":
            return Msg(STAFF_ROLE_LABELS.get(key, key))
        case "urgency":
            return Msg(URGENCY_LABELS[key])
        case "service":
            return Msg(vocabulary.SERVICES.get(key, key))
        case "where":
            if key in PLATFORM_LABELS:
                return Msg(PLATFORM_LABELS[key])
            return Msg(KIND_LABELS.get(key, N_("stats.where.link")))
    return f.places.get(key, "") or Msg(N_("export.unknown_place"))


def pairs(f: Figures, breakdown: str) -> list[tuple[str, int, int]]:
    """(key, this month, last month), most this month first, at most MAX_ITEMS."""
    if breakdown == "service":
        now, last = Counter(f.services_now), Counter(f.services_last)
    else:
        key = BREAKDOWNS[breakdown][1]
        now, last = counted(f.now, key), counted(f.last, key)
    keys = sorted(set(now) | set(last), key=lambda k: (-now[k], -last[k], k))[:MAX_ITEMS]
    if breakdown == "status":  # the largest, in the order of the service chain
        keys = [k for k in STATUSES if k in keys]
    return [(k, now[k], last[k]) for k in keys]


# --- the text ------------------------------------------------------------------------------


def summary(f: Figures, footer: Param) -> Reply:
    rows: list[tuple[str, Param]] = [
        (N_("stats.reports"), _pair(len(f.now), len(f.last))),
    ]
    for name, (heading, _) in BREAKDOWNS.items():
        rows.append((heading, _items(f, name)))
    rows.append((N_("stats.to_claim"), _waits(waits(f.now, lambda c: c.claimed_at))))
    rows.append((N_("stats.to_move"), _waits(waits(f.now, first_move))))
    rows.append((N_("stats.past_sla"), str(f.past_sla)))
    rows.append((N_("stats.services"), _items(f, "service")))
    where = sorted(f.per_platform.items(), key=lambda item: (-item[1], item[0]))[:MAX_ITEMS]
    rows.append(
        (
            N_("stats.per_platform"),
            Seq(
                tuple(
                    Msg(N_("stats.item_one"), {"label": label_of(f, "where", k), "n": str(n)})
                    for k, n in where
                ),
                N_("stats.none"),
            ),
        )
    )
    reported = Seq(
        tuple(
            Msg(
                N_("stats.reported_shown") if r.mark in f.shown else N_("stats.reported_hidden"),
                {
                    "where": label_of(f, "where", reports.where_named(r.platform, r.kind)),
                    "identifier": f.shown.get(r.mark, ""),
                    "n": str(r.tickets),
                },
            )
            for r in f.reported
        ),
        N_("stats.none"),
        "\n",
    )
    params: dict[str, Param] = {
        "scope": f.scope.name or Msg(N_("stats.all_units")),
        "month": Day(f.month.isoformat(), N_("format.month")),
        "last_month": Day(f.last_month.isoformat(), N_("format.month")),
        "lines": Lines(tuple(rows)),
        "reported": reported,
        "footer": footer,
    }
    return Reply(N_("stats.text"), params)


def _pair(now: int, last: int) -> Msg:
    return Msg(N_("stats.pair"), {"now": str(now), "last": str(last)})


def _items(f: Figures, breakdown: str) -> Seq:
    return Seq(
        tuple(
            Msg(
                N_("stats.item"),
                {"label": label_of(f, breakdown, k), "now": str(now), "last": str(last)},
            )
            for k, now, last in pairs(f, breakdown)
        ),
        N_("stats.none"),
    )


def _waits(seconds: list[float]) -> Param:
    if not seconds:
        return Msg(N_("stats.none"))
    return Msg(
        N_("stats.waits"),
        {
            "median": duration(percentile(seconds, 0.5)),
            "p90": duration(percentile(seconds, 0.9)),
            "n": str(len(seconds)),
        },
    )


def duration(seconds: float) -> Msg:
    """A wait as a person says it: minutes under an hour, hours under two days, then days."""
    if seconds < 3600:
        return Msg(N_("stats.minutes"), {"n": str(round(seconds / 60))})
    if seconds < 48 * 3600:
        return Msg(N_("stats.hours"), {"n": _one_decimal(seconds / 3600)})
    return Msg(N_("stats.days"), {"n": _one_decimal(seconds / 86400)})


def _one_decimal(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text.replace(".", ",")
