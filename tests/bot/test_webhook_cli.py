"""`lapor-ppa webhook set|info|delete` against the fake Bot API: once per deployment, one
readable line when something is missing."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.bot.test_process import CLI, env_for
from tests.fakebot import FakeBotAPI

SECRET = "deploy-Secret_42"


async def lapor(tmp_path: Path, *args: str, **env: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        CLI,
        *args,
        cwd=tmp_path,
        env=env_for(tmp_path, **env),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_set_info_and_delete(fake_api: FakeBotAPI, tmp_path: Path) -> None:
    bot = dict(BOT_TOKEN=fake_api.token, TELEGRAM_API_URL=fake_api.url)
    url = "https://bot.example.org/telegram-updates"

    rc, _out, err = await lapor(tmp_path, "webhook", "set", **bot, WEBHOOK_URL=url)
    assert rc == 1
    assert err.strip().splitlines() == [
        "lapor-ppa: WEBHOOK_SECRET is not set: every worker must check the same one "
        "(1-256 of A-Z a-z 0-9 _ -)"
    ]
    rc, _out, err = await lapor(tmp_path, "webhook", "set", **bot, WEBHOOK_SECRET=SECRET)
    assert (rc, err.strip()) == (
        1,
        "lapor-ppa: WEBHOOK_URL is not set (the public https:// address)",
    )
    assert fake_api.webhook_sets == 0

    rc, out, _err = await lapor(
        tmp_path, "webhook", "set", **bot, WEBHOOK_URL=url, WEBHOOK_SECRET=SECRET
    )
    assert (rc, out.strip()) == (0, f"webhook set: {url}")
    [call] = fake_api.calls_of("setWebhook")
    assert call.params["secret_token"] == SECRET
    assert call.params["allowed_updates"] == ["message", "callback_query", "my_chat_member"]

    rc, out, _err = await lapor(tmp_path, "webhook", "info", **bot)
    assert rc == 0 and f"url: {url}" in out and "waiting updates: 0" in out

    rc, out, _err = await lapor(tmp_path, "webhook", "delete", **bot)
    assert (rc, out.strip()) == (0, "webhook deleted (waiting updates are kept)")
    rc, out, _err = await lapor(tmp_path, "webhook", "info", **bot)
    assert "url: (none: long polling)" in out


async def test_a_bad_secret_is_one_line(tmp_path: Path) -> None:
    rc, _out, err = await lapor(
        tmp_path, "webhook", "info", BOT_TOKEN="1:x", WEBHOOK_SECRET="has spaces"
    )
    assert rc != 0
    assert err.strip().splitlines() == [
        "lapor-ppa: configuration error: WEBHOOK_SECRET: must be 1-256 characters of A-Z, a-z,"
        " 0-9, _ and -"
    ]


def test_a_single_process_makes_its_own_secret_once(tmp_path: Path) -> None:
    from bot.settings import Settings
    from bot.webhook import ensure_secret

    env = tmp_path / ".env"
    env.write_text("DEFAULT_LOCALE=en")  # no newline at the end: the secret goes on its own line
    settings = Settings(webhook_url="https://bot.example.org/tg", _env_file=None)
    made = ensure_secret(settings, env)
    assert made.webhook_secret is not None
    secret = made.webhook_secret.get_secret_value()
    assert env.read_text() == f"DEFAULT_LOCALE=en\nWEBHOOK_SECRET={secret}\n"
    assert env.stat().st_mode & 0o777 == 0o600
    # Telegram's rule for secret_token holds, and a restart reads the same one back.
    assert Settings(_env_file=env).webhook_secret == made.webhook_secret  # type: ignore[call-arg]
    assert ensure_secret(made, env) is made


async def test_an_unreachable_bot_api_is_not_called_a_refusal(tmp_path: Path) -> None:
    rc, _out, err = await lapor(
        tmp_path, "webhook", "info", BOT_TOKEN="1:x", TELEGRAM_API_URL="http://127.0.0.1:1"
    )
    assert rc == 1
    [line] = err.strip().splitlines()
    assert line.startswith("lapor-ppa: cannot reach the Bot API at http://127.0.0.1:1 (")
    assert line.endswith("): check the network or TELEGRAM_API_URL")
