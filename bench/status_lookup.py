"""Scenario (c): the bot's status look-up on PostgreSQL (`storage.tickets.status_now`: the
ticket, its UPT and "a question waiting?") against 1 M tickets made in SQL, a tenth of them
with a follow-up question."""

from __future__ import annotations

import random
import statistics
import time
from dataclasses import dataclass
from typing import Any

import asyncpg

from storage.crypto import Keys
from storage.db import Database
from storage.tickets import STATUS_NOW, status_now

FILL = """
INSERT INTO tickets (case_number, code_hash, draft_key, reporter_role, category, urgent,
    occurred, narrative, details, status, upt_id, locale, created_at, status_changed_at,
    escalation_level, followup_stopped)
SELECT 'BENCH-' || g, encode(sha256(('bench-' || g)::bytea), 'hex'), 'bench-' || g,
    'umum', 'prostitusi_online', g % 7 = 0, 'hari_ini', '\\x00'::bytea, '\\x00'::bytea,
    (ARRAY['baru', 'diproses', 'selesai'])[1 + g % 3], u.ids[1 + g % cardinality(u.ids)],
    'id', now() - make_interval(mins => g), now(), 0, false
FROM generate_series(1, $1::int) AS g, (SELECT array_agg(id) AS ids FROM upts) AS u
"""
QUESTIONS = """
INSERT INTO ticket_messages (ticket_id, kind, body, created_at, shown_at)
SELECT id, 'question', '\\x00'::bytea, now(), CASE WHEN id % 20 = 0 THEN NULL ELSE now() END
FROM tickets WHERE id % 10 = 0
"""


@dataclass
class LookupResult:
    tickets: int
    fill_seconds: float
    db_ms_mean: float  # planning + execution, from EXPLAIN ANALYZE
    db_ms_p99: float
    client_ms_mean: float  # the whole call from Python: driver, decoding, round trip
    client_ms_p99: float
    plan: str


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run(dsn: str, url: str, keys: Keys, tickets: int, lookups: int) -> LookupResult:
    conn = await asyncpg.connect(dsn)
    try:
        t0 = time.perf_counter()
        await conn.execute(FILL, tickets)
        await conn.execute(QUESTIONS)
        await conn.execute("ANALYZE tickets")
        await conn.execute("ANALYZE ticket_messages")
        fill = time.perf_counter() - t0
    finally:
        await conn.close()

    db = Database(url, keys)
    rng = random.Random(7)
    client: list[float] = []
    try:
        hashes = [keys.code_hash(f"missing-{i}") for i in range(lookups // 10)]
        for _ in range(lookups - len(hashes)):
            hashes.append(_hash(rng.randint(1, tickets)))
        rng.shuffle(hashes)
        async with db.single_statements() as hot:
            await status_now(hot, hashes[0])  # warm the connection
            for code_hash in hashes:
                t = time.perf_counter()
                await status_now(hot, code_hash)
                client.append((time.perf_counter() - t) * 1000)
    finally:
        await db.dispose()

    statement = STATUS_NOW.sql
    conn = await asyncpg.connect(dsn)
    server: list[float] = []
    plan = ""
    try:
        for code_hash in hashes[: min(500, len(hashes))]:
            args = STATUS_NOW.args(code=code_hash)
            rows = await conn.fetchval(f"EXPLAIN (ANALYZE, FORMAT JSON) {statement}", *args)
            doc = _json(rows)[0]
            server.append(float(doc["Planning Time"]) + float(doc["Execution Time"]))
        text_plan = await conn.fetch(
            f"EXPLAIN (ANALYZE) {statement}", *STATUS_NOW.args(code=hashes[0])
        )
        plan = "\n".join(r[0] for r in text_plan)
    finally:
        await conn.close()
    return LookupResult(
        tickets,
        fill,
        statistics.fmean(server),
        _p(server, 0.99),
        statistics.fmean(client),
        _p(client, 0.99),
        plan,
    )


def _hash(n: int) -> str:
    import hashlib

    return hashlib.sha256(f"bench-{n}".encode()).hexdigest()


def _json(value: Any) -> Any:
    import json

    return json.loads(value) if isinstance(value, str) else value
