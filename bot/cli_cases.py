"""`lapor-ppa audit` and `lapor-ppa tickets`: what happened to cases, never what the
reporter wrote."""

from __future__ import annotations

import argparse

from sqlalchemy import func, select

from bot.cli_views import case_line, local
from bot.open_db import CommandError, opened
from bot.settings import Settings
from flows.casework.chain import STATUSES


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    au = sub.add_parser("audit", help="a case's history and every staff action on it")
    au.add_argument("--case", required=True, help="case number, e.g. PPA-3515-2026-000042")
    ti = sub.add_parser("tickets", help="list cases: urgent first, then the oldest")
    ti.add_argument("--upt", help="only this UPT's cases (code, any case)")
    ti.add_argument("--status", choices=STATUSES, help="only cases in this status")
    ti.add_argument("--urgent", action="store_true", help="only urgent cases")


async def audit_command(settings: Settings, case_number: str) -> int:
    from storage import operator_views
    from storage.models import Ticket, Upt

    async with opened(settings, keyed=False) as db, db.unit_of_work() as session:
        found = (
            await session.execute(
                select(Ticket.id, Ticket.case_number, Upt.code, Upt.timezone)
                .join(Upt, Upt.id == Ticket.upt_id)
                .where(func.upper(Ticket.case_number) == case_number.strip().upper())
            )
        ).first()
        if found is None:
            raise CommandError(f"no case {case_number}")
        ticket_id, number, code, zone = found
        print(f"{number}, now at {code}; times in {code}'s zone")
        for line in await operator_views.history(session, ticket_id):
            print(
                f"{local(line.at, zone)}\t{line.source}\t{line.actor}\t{line.what}\t{line.detail}"
            )
    return 0


async def tickets_command(settings: Settings, args: argparse.Namespace) -> int:
    from storage import directory, operator_views

    async with opened(settings, keyed=False) as db, db.unit_of_work() as session:
        if args.upt and await directory.find(session, args.upt) is None:
            raise CommandError(f"unknown UPT {args.upt} (see `lapor-ppa upt list`)")
        found = await operator_views.cases(
            session, upt_code=args.upt, status=args.status, urgent=args.urgent
        )
        if not found:
            print("no cases match")
            return 0
        print("case\tUPT\tstatus\turgency\tage\tholder")
        for case in found:
            print(case_line(case))
    return 0
