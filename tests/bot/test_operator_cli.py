"""The operator's first questions at the console (issue 13, items 3-4): the directory kept
strict, units switched off and on, which cases wait and where, a case's history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import update

from storage import directory, tickets
from storage.crypto import Keys
from storage.db import Database
from storage.migrate import upgrade
from storage.models import Ticket
from tests.bot.test_cli_errors import one_line
from tests.bot.test_process import cli
from tests.support import TEST_SECRET, submission


async def _cases(tmp_path: Path) -> list[str]:
    """Three cases at unconnected units: an old normal, a newer urgent, the newest normal."""
    keys = Keys.derive(TEST_SECRET)
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}", keys)
    numbers = []
    try:
        await upgrade(db.engine)
        for n, (region, urgent, hours) in enumerate(
            [("35.15", False, 30), ("32.73", True, 2), ("35.78", False, 1)]
        ):
            async with db.unit_of_work() as s:
                done = await tickets.submit(
                    s,
                    submission(f"d{n}", region, urgent=urgent),
                    code_hash=keys.code_hash(f"C{n}"),
                    reporter_ref=f"r{n}",
                )
                created = datetime.now(UTC) - timedelta(hours=hours, minutes=5)
                await s.execute(
                    update(Ticket)
                    .where(Ticket.case_number == done.case_number)
                    .values(created_at=created)
                )
            numbers.append(done.case_number)
    finally:
        await db.dispose()
    return numbers


def test_import_help_shows_the_format_with_an_example(tmp_path: Path) -> None:
    shown = cli(tmp_path, "upt", "import", "--help").stdout
    assert "code,name,level,region_code[,timezone]" in shown
    assert "UPTD-PPA-3578,UPTD PPA Kota Surabaya,kabkota,35.78,WIB" in shown


async def test_pending_and_tickets_put_urgent_then_oldest_first(tmp_path: Path) -> None:
    old, urgent, new = await _cases(tmp_path)
    pending = cli(tmp_path, "upt", "pending").stdout.splitlines()
    assert pending[0] == "3 cases waiting where nobody sees them (urgent, then oldest):"
    assert [line.split("\t")[0] for line in pending[1:4]] == [urgent, old, new]
    assert pending[1].split("\t")[1:] == ["UPTD-PPA-32", "baru", "URGENT", "2 h 5 min", "-"]
    assert pending[2].split("\t")[3:5] == ["normal", "1 d 6 h"]
    listed = cli(tmp_path, "tickets", "--upt", "uptd-ppa-35").stdout.splitlines()
    assert listed[0] == "case\tUPT\tstatus\turgency\tage\tholder"
    assert [line.split("\t")[0] for line in listed[1:]] == [old, new]
    assert cli(tmp_path, "tickets", "--urgent").stdout.splitlines()[1].startswith(urgent)
    assert cli(tmp_path, "tickets", "--status", "selesai").stdout == "no cases match\n"
    unknown = cli(tmp_path, "tickets", "--upt", "nope")
    assert (unknown.returncode, one_line(unknown)) == (
        1,
        "lapor-ppa: unknown UPT nope (see `lapor-ppa upt list`)",
    )
    everything = cli(tmp_path, "tickets").stdout
    assert "Akun @contoh" not in everything and "r0" not in everything  # never what was written


async def test_a_deactivated_unit_receives_nothing_new_and_lists_what_it_holds(
    tmp_path: Path,
) -> None:
    old, _urgent, new = await _cases(tmp_path)
    off = cli(tmp_path, "upt", "deactivate", "uptd-ppa-35")
    assert off.returncode == 0, off.stderr
    lines = off.stdout.splitlines()
    assert lines[0] == (
        "UPTD-PPA-35 (UPTD PPA Provinsi Jawa Timur) receives no new reports from now on"
    )
    assert lines[1] == "its 2 open cases stay with it until re-routed (Teruskan):"
    assert [line.split("\t")[0] for line in lines[2:]] == [old, new]
    assert "\tINACTIVE\t" in next(
        line for line in cli(tmp_path, "upt", "list").stdout.splitlines() if "UPTD-PPA-35\t" in line
    )
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}", Keys.derive(TEST_SECRET))
    try:
        async with db.unit_of_work() as s:
            route = await directory.route(s, "35.15")
        assert route.upt.code == "SAPA-129"  # Jawa Timur's unit receives nothing new
    finally:
        await db.dispose()

    (tmp_path / "new.csv").write_text(
        "code,name,level,region_code\nUPTD-PPA-35B,UPTD PPA Jatim (baru),provinsi,35\n"
    )
    assert cli(tmp_path, "upt", "import", "new.csv").returncode == 0
    back = cli(tmp_path, "upt", "activate", "UPTD-PPA-35")
    assert (back.returncode, one_line(back)) == (
        1,
        "lapor-ppa: UPTD-PPA-35B (UPTD PPA Jatim (baru)) already receives for this region "
        "and level: deactivate it first",
    )
    assert cli(tmp_path, "upt", "deactivate", "UPTD-PPA-35b").returncode == 0
    assert cli(tmp_path, "upt", "activate", "uptd-ppa-35").returncode == 0


def test_staff_invite_says_which_problem_it_is(tmp_path: Path) -> None:
    assert cli(tmp_path, "db", "upgrade", SECRET_KEY=TEST_SECRET).returncode == 0
    unknown = cli(tmp_path, "staff", "invite", "--upt", "NOPE", SECRET_KEY=TEST_SECRET)
    assert one_line(unknown) == "lapor-ppa: unknown UPT NOPE (see `lapor-ppa upt list`)"
    bad = cli(
        tmp_path,
        "staff",
        "invite",
        "--upt",
        "sapa-129",
        "--bot-username",
        "my bot",
        SECRET_KEY=TEST_SECRET,
    )
    assert one_line(bad).startswith("lapor-ppa: --bot-username 'my bot' is not a bot's username")
    bare = cli(tmp_path, "staff", "invite", "--upt", "sapa-129", SECRET_KEY=TEST_SECRET)
    assert bare.returncode == 0
    token, hint = bare.stdout.splitlines()[1:3]
    assert len(token) == 43 and "no bot username known" in hint
    linked = cli(
        tmp_path,
        "staff",
        "invite",
        "--upt",
        "sapa-129",
        "--bot-username",
        "@lapor_ppa_bot",
        SECRET_KEY=TEST_SECRET,
    )
    assert linked.stdout.splitlines()[1].startswith("https://t.me/lapor_ppa_bot?start=")
    nobody = cli(tmp_path, "staff", "list", SECRET_KEY=TEST_SECRET).stdout.splitlines()
    assert nobody[0] == "no staff yet: invite someone with `lapor-ppa staff invite --upt CODE`"
    assert nobody[1].startswith("roles: a petugas works cases")
