"""Linked reports (issue 15, item 4), on SQLite and PostgreSQL: tickets naming the same
account, link, number or group are found together, however the identifier was typed, and no
identifier is stored in clear."""

from __future__ import annotations

from typing import Any

from flows.evidence import as_dict, parse
from storage import linked, tickets
from storage.crypto import Keys
from storage.db import Database
from storage.models import Ticket
from tests.support import every_stored_byte, submission


def evidence(text: str) -> dict[str, Any]:
    return {"evidence": [as_dict(item) for item in parse(text)]}


async def _report(database: Database, keys: Keys, name: str, typed: str, region: str) -> int:
    async with database.unit_of_work() as s:
        done = await tickets.submit(
            s,
            submission(name, region, details=evidence(typed)),
            code_hash=keys.code_hash(name),
            reporter_ref=f"r-{name}",
        )
        linked.index(s, keys, done.ticket_id, done.ticket.details)
        return done.ticket_id


async def test_tickets_sharing_an_identifier_are_linked(
    database: Database, keys: Keys, tmp_path: Any
) -> None:
    first = await _report(database, keys, "a", "@Penawar_Anak 0812-3456-7890", "35.15")
    second = await _report(
        database, keys, "b", "https://www.t.me/penawar_anak_sby?igsh=x\nGrup VIP Sidoarjo", "35"
    )
    third = await _report(
        database,
        keys,
        "c",
        "@penawar_anak t.me/penawar_anak_sby +6281234567890 grup  vip SIDOARJO",
        "12",
    )
    alone = await _report(database, keys, "d", "@orang_lain grup vip", "35.15")
    async with database.unit_of_work() as s:
        to_third = await linked.linked_to(s, third)
        to_first = await linked.linked_to(s, first)
        to_alone = await linked.linked_to(s, alone)
    # Username (any case) and phone (any spelling) with the first; link and group name with
    # the second: two shared with each, the newer first.
    assert [(t.ticket_id, t.shared) for t in to_third] == [(second, 2), (first, 2)]
    assert [t.ticket_id for t in to_first] == [third]
    assert to_first[0].case_number.startswith("PPA-1200-")  # the third, held elsewhere
    assert to_alone == []  # "grup vip" is too common to be anyone's identifier
    stored = await every_stored_byte(database, tmp_path)
    for clear in (b"enawar_anak", b"6281234567890", b"vip sidoarjo", b"VIP Sidoarjo"):
        assert clear not in stored  # kept as keyed hashes (and in the encrypted details)


async def test_unreadable_evidence_links_nothing(database: Database, keys: Keys) -> None:
    async with database.unit_of_work() as s:
        done = await tickets.submit(
            s,
            submission("x", "35.15", details={"evidence": [{"kind": "weird", "value": "v"}]}),
            code_hash=keys.code_hash("x"),
            reporter_ref="r-x",
        )
        assert linked.index(s, keys, done.ticket_id, done.ticket.details) == 0


async def test_one_identifier_reported_many_times_costs_a_bounded_amount(
    database: Database, keys: Keys
) -> None:
    many = [await _report(database, keys, f"m{n}", "@iklan_yang_sama", "35.15") for n in range(9)]
    newest = many[-1]
    async with database.unit_of_work() as s:
        seen = await linked.seen_by(s, newest, upt_id=await _upt_of(s, newest))
        told = await linked.open_linked(s, newest, limit=3)
        listed = await linked.linked_to(s, newest, limit=4)
    assert seen.total == 8 and len(seen.cases) == linked.SHOWN  # counted all, named five
    assert seen.cases[0].endswith("-000008")  # the newest first
    assert [t.id for t in told] == many[-2:-5:-1]
    assert len(listed) == 4


async def _upt_of(s: Any, ticket_id: int) -> int:
    ticket = await s.get_one(Ticket, ticket_id)
    return int(ticket.upt_id)
