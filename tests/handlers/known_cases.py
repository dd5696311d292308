"""A known set of tickets for the figures and files offices report upward (issue 15): two
kab/kota units in Jawa Timur (Surabaya, Sidoarjo), the province above them, Jawa Barat, and
the national channel; tickets at the edges of November in WIB, escalated, re-routed, closed,
recorded. Every test of /statistik and of the export checks its numbers against this."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import select

from flows.evidence import as_dict, parse
from storage import casework, linked, records, staff, tickets
from storage.crypto import Keys
from storage.db import Database
from storage.models import Ticket, Upt
from storage.owners import add_owner
from tests.support import submission

WIB = timezone(timedelta(hours=7))
SURABAYA, SIDOARJO = "UPTD-PPA-3578", "UPTD-PPA-3515"


@dataclass(frozen=True, slots=True)
class Known:
    t1: str  # Surabaya, 3 Nov: claimed, asesmen, fully recorded, reporter reachable
    t2: str  # Surabaya, 30 Nov 23:30 WIB: urgent Guru BK report, still new
    t3: str  # Surabaya, 1 Dec 00:30 WIB: December in WIB, November in UTC
    t4: str  # Sidoarjo, 10 Nov: past its SLA, escalated to the province, violence corrected
    t5: str  # Jawa Barat, 12 Nov: closed
    t6: str  # Sidoarjo's, 15 Nov, re-routed to Surabaya


async def _unit(database: Database, code: str, name: str, region: str) -> None:
    async with database.unit_of_work() as s:
        s.add(
            Upt(code=code, name=name, level="kabkota", region_code=region, timezone="Asia/Jakarta")
        )


async def _ticket(
    database: Database,
    keys: Keys,
    name: str,
    region: str,
    at: datetime,
    *,
    district: str | None = None,
    evidence: str = "",
    **changes: object,
) -> tuple[str, int]:
    details = {"evidence": [as_dict(item) for item in parse(evidence)]} if evidence else {}
    async with database.unit_of_work() as s:
        done = await tickets.submit(
            s,
            submission(name, region, district_code=district, details=details, **changes),
            code_hash=keys.code_hash(name),
            reporter_ref=f"r-{name}",
        )
        linked.index(s, keys, done.ticket_id, details)
        done.ticket.created_at = at.astimezone(UTC)
        return done.case_number, done.ticket_id


async def _status(database: Database, tid: int, status: str, at: datetime) -> None:
    async with database.unit_of_work() as s:
        ticket = await s.get_one(Ticket, tid)
        casework.record_status(s, ticket, status, "staff:1")
        await s.flush()
        from storage.models import TicketEvent

        event = (
            await s.scalars(
                select(TicketEvent)
                .where(TicketEvent.ticket_id == tid, TicketEvent.kind == "status")
                .order_by(TicketEvent.id.desc())
            )
        ).first()
        assert event is not None
        event.created_at = at.astimezone(UTC)


async def known_set(database: Database, keys: Keys) -> Known:
    await _unit(database, SURABAYA, "UPTD PPA Kota Surabaya", "35.78")
    await _unit(database, SIDOARJO, "UPTD PPA Kabupaten Sidoarjo", "35.15")
    t1, id1 = await _ticket(
        database,
        keys,
        "t1",
        "35.78",
        datetime(2026, 11, 3, 10, 0, tzinfo=WIB),
        district="35.78.01",
        occurred="minggu_ini",
        evidence="@penawar_vip",
    )
    t2, _ = await _ticket(
        database,
        keys,
        "t2",
        "35.78",
        datetime(2026, 11, 30, 23, 30, tzinfo=WIB),
        category="grooming",
        reporter_role="guru_bk",
        urgent=True,
        occurred="berlangsung",
    )
    t3, _ = await _ticket(database, keys, "t3", "35.78", datetime(2026, 12, 1, 0, 30, tzinfo=WIB))
    t4, id4 = await _ticket(
        database,
        keys,
        "t4",
        "35.15",
        datetime(2026, 11, 10, 9, 0, tzinfo=WIB),
        occurred="tidak_tahu",
        evidence="@penawar_vip 0812-1111-2222",
    )
    t5, id5 = await _ticket(
        database,
        keys,
        "t5",
        "32.73",
        datetime(2026, 11, 12, 8, 0, tzinfo=WIB),
        category="perdagangan",
        reporter_role="keluarga",
        occurred="lebih_lama",
        evidence="+62 812 1111 2222",
    )
    t6, id6 = await _ticket(
        database,
        keys,
        "t6",
        "35.15",
        datetime(2026, 11, 15, 14, 0, tzinfo=WIB),
        occurred="bulan_ini",
        evidence="@Penawar_VIP",
    )

    async with database.unit_of_work() as s:
        t = await s.get_one(Ticket, id1)
        t.reporter_chat_id = "5550001"
        staff.audit(s, "staff:1", "claim", id1)
    async with database.unit_of_work() as s:
        claim = (await staff.audit_for_ticket(s, id1))[-1]
        claim.created_at = datetime(2026, 11, 3, 12, 0, tzinfo=WIB).astimezone(UTC)
    await _status(database, id1, "diterima", datetime(2026, 11, 3, 12, 0, tzinfo=WIB))
    await _status(database, id1, "asesmen", datetime(2026, 11, 5, 9, 0, tzinfo=WIB))
    async with database.unit_of_work() as s:
        for change in (
            {"op": "service", "code": "pengaduan", "date": "2026-11-03"},
            {"op": "service", "code": "kesehatan", "date": "2026-11-05"},
            {"op": "toggle", "field": "referrals", "code": "polres_ppa", "base": []},
            {
                "op": "set",
                "values": {
                    "sex": "perempuan",
                    "age": 15,
                    "age_band": "13_17",
                    "education": "smp",
                    "disability": "tidak",
                    "victims": 1,
                },
            },
        ):
            await records.change(s, id1, change)

    async with database.unit_of_work() as s:
        province = (await s.scalars(select(Upt).where(Upt.code == "UPTD-PPA-35"))).one()
        add_owner(s, id4, province.id, "escalated")
        (await s.get_one(Ticket, id4)).escalation_level = 1  # nobody took it in time
        await records.change(
            s,
            id4,
            {"op": "toggle", "field": "violence", "code": "tppo", "base": ["eksploitasi_seksual"]},
        )
        await records.change(
            s, id4, {"op": "set", "values": {"sex": "laki_laki", "age_band": "6_12"}}
        )
    await _status(database, id5, "selesai", datetime(2026, 11, 20, 9, 0, tzinfo=WIB))
    async with database.unit_of_work() as s:
        surabaya = (await s.scalars(select(Upt).where(Upt.code == SURABAYA))).one()
        await casework.move_to_unit(
            s, await s.get_one(Ticket, id6), surabaya.id, {surabaya.id}, "staff:2", "di Surabaya"
        )
    return Known(t1, t2, t3, t4, t5, t6)
