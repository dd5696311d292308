"""Issue 14, item 4: two bot processes in webhook mode share one PostgreSQL and one Redis
behind a proxy that alternates between them, so each person's updates are split across both;
both run their outbox and SLA workers. Nobody gets a double ticket, an answer out of order, a
message twice, or an escalation twice."""

from __future__ import annotations

import asyncio
import re
from collections import Counter, defaultdict
from pathlib import Path

import aiohttp
import asyncpg
import redis.asyncio as redis

from tests.bot.test_process import CLI, BotProcess, env_for
from tests.fakebot import FakeBotAPI, FakeUser
from tests.fakebot_webhook import RoundRobin
from tests.handlers.test_reporting_e2e import report_until_summary
from tests.handlers.test_staff_e2e import GROUP, bot_messages, group_message
from tests.handlers.walks import label, words
from tests.support import TEST_SECRET, WEBHOOK_SECRET, free_port, until

REDIS_URL = "redis://127.0.0.1:6379/14"
PEOPLE = 6
BURST = ["/bantuan", "/bahasa", "/hapus", "/start"]  # sent at once, answered in this order


async def _ready(port: int) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(300):
            try:
                async with http.get(f"http://127.0.0.1:{port}/readyz") as r:
                    if r.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError(f"the worker on port {port} never became ready")


async def _updates_counted(port: int) -> float:
    """lapor_updates_total summed over its labels, as one worker's /metrics reports it."""
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{port}/metrics") as r,
    ):
        text = await r.text()
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("lapor_updates_total{")
    )


async def _cli(tmp_path: Path, *args: str, **env: str) -> str:
    proc = await asyncio.create_subprocess_exec(
        CLI,
        *args,
        cwd=tmp_path,
        env=env_for(tmp_path, **({"SECRET_KEY": TEST_SECRET} | env)),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.DEVNULL,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode == 0, err.decode()
    return out.decode()


async def _connected_group(api: FakeBotAPI, tmp_path: Path, env: dict[str, str]) -> FakeUser:
    made = await _cli(
        tmp_path,
        *("staff", "invite", "--upt", "UPTD-PPA-35", "--role", "koordinator"),
        *("--bot-username", "lapor_ppa_test_bot"),
        **env,
    )
    link = re.search(r"\?start=([A-Za-z0-9_-]{1,64})$", made, re.M)
    assert link, made
    koor = api.user(8101, first_name="Rina")
    [welcome] = await koor.ask(f"/start {link.group(1)}")
    assert "koordinator" in welcome.plain
    api.group(GROUP, "UPTD PPA Jatim")
    await koor.send_in(GROUP, "/hubungkan@lapor_ppa_test_bot")
    await group_message(api, "terhubung")
    return koor


async def _burst_then_report(person: FakeUser) -> str:
    await person.ask("/start", n=2)
    person.mark_read()
    for text in BURST:
        await person.send(text)  # no waiting: the next may reach the other worker first
    got = await person.replies(5)
    expected = [
        label("info.back_to_menu", "id"),  # /bantuan: the first info page
        words("lang.ask", "id"),
        words("erase.explain", "id"),
        words("conv.welcome", "id"),
        label("menu.lapor", "id"),
    ]
    seen = [" ".join([m.plain, *(b for row in m.buttons for b in row)]) for m in got]
    for text, wanted in zip(seen, expected, strict=True):
        assert wanted[:25] in text, person.transcript()
    await report_until_summary(person, "Masyarakat umum")
    sent, _menu = await person.tap("Kirim", n=2)
    match = re.search(r"PPA-3515-\d{4}-\d{6}", sent.plain)
    assert match, person.transcript()
    return match.group(0)


async def test_two_webhook_workers_share_one_database_and_one_redis(
    fake_api: FakeBotAPI, tmp_path: Path, pg_database_url: str
) -> None:
    flush = redis.Redis.from_url(REDIS_URL)
    await flush.flushdb()
    await flush.aclose()
    ports = [free_port(), free_port()]
    proxy = RoundRobin([f"http://127.0.0.1:{p}/telegram-updates" for p in ports])
    await proxy.start()
    env = dict(
        DATABASE_URL=pg_database_url,
        REDIS_URL=REDIS_URL,
        WEBHOOK_URL=proxy.url,
        WEBHOOK_SECRET=WEBHOOK_SECRET,
        OUTBOX_PER_GROUP_PER_MINUTE="10000",
        MESSAGES_PER_MINUTE="10000",
        SLA_CHECK_SECONDS="0.2",
        # Both write their counts here; either one's /metrics adds them up.
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
    )
    (tmp_path / "metrics").mkdir()
    await _cli(tmp_path, "db", "upgrade", **env)
    workers = []
    for n, port in enumerate(ports):
        home = tmp_path / f"w{n}"
        home.mkdir()
        workers.append(BotProcess(fake_api, home, WEBHOOK_LISTEN=f"127.0.0.1:{port}", **env))
    try:
        for worker in workers:
            await worker.start()
        for port in ports:
            await _ready(port)
        assert not fake_api.webhook_sets  # several workers never set the webhook themselves
        await _cli(
            tmp_path,
            "webhook",
            "set",
            BOT_TOKEN=fake_api.token,
            TELEGRAM_API_URL=fake_api.url,
            SECRET_KEY=TEST_SECRET,
            **env,
        )

        await _connected_group(fake_api, tmp_path, env)
        people = [fake_api.user(7770000 + n) for n in range(PEOPLE)]
        cases = await asyncio.gather(*(_burst_then_report(p) for p in people))
        assert len(set(cases)) == PEOPLE

        # Every update was handed to one worker or the other, and one person's to both.
        used: dict[int | None, set[int]] = defaultdict(set)
        for chat, worker in proxy.sent:
            used[chat].add(worker)
        assert {w for ws in used.values() for w in ws} == {0, 1}
        assert all(used[p.id] == {0, 1} for p in people)

        conn = await asyncpg.connect(pg_database_url)
        try:
            assert await conn.fetchval("SELECT count(*) FROM tickets") == PEOPLE  # no double
            for case in cases:  # each card, once
                await group_message(fake_api, case)
            # Unclaimed for a month: both workers' SLA loops race to escalate every ticket.
            await conn.execute("UPDATE tickets SET sla_from_at = now() - interval '30 days'")
            for _ in range(200):
                if (
                    await conn.fetchval("SELECT count(*) FROM tickets WHERE escalation_level < 2")
                    == 0
                ):
                    break
                await asyncio.sleep(0.1)
            else:
                raise AssertionError("the tickets were never escalated")
            await asyncio.sleep(1.0)  # time enough for a second escalation, were there one
            steps = await conn.fetch(
                "SELECT ticket_id, note FROM ticket_events WHERE kind = 'escalated'"
            )
            assert steps and max(Counter((r["ticket_id"], r["note"]) for r in steps).values()) == 1
            await until(lambda: not fake_api.pending_updates, 10)
            for _ in range(100):
                owed = await conn.fetchval("SELECT count(*) FROM outbox WHERE status = 'pending'")
                if owed == 0:
                    break
                await asyncio.sleep(0.1)
            sent = await conn.fetch(
                "SELECT t.case_number, count(*) AS n FROM outbox o JOIN tickets t"
                " ON t.id = o.ticket_id WHERE o.status = 'sent' AND o.is_group AND o.kind = 'send'"
                " GROUP BY t.case_number"
            )
        finally:
            await conn.close()
        # No message twice: the group shows each case exactly as often as rows were sent.
        shown = Counter(
            case for m in bot_messages(fake_api, GROUP) for case in cases if case in m.plain
        )
        assert shown == {r["case_number"]: r["n"] for r in sent}
        handled = await _updates_counted(ports[0])
        by_first = sum(1 for _, worker in proxy.sent if worker == 0)
        assert handled >= len(proxy.sent) > by_first  # the other worker's updates counted too
        for person in people:  # and no reporter heard anything twice
            texts = [m.plain for m in fake_api.history(person.id) if m.from_bot]
            assert sum("Simpan kode ini" in t for t in texts) == 1, person.transcript()
    finally:
        for worker in workers:
            await worker.stop()
        await proxy.close()
