"""Issue 14, item 5: the deployment files are right, checked the ways this machine can (no
Docker daemon or registry here): compose.yaml parsed and checked (and `docker compose config`
where that exists), the Dockerfile linted with hadolint, and the image's start command run
outside Docker: the same entrypoint and environment against local PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
import yaml

from tests.bot.test_process import env_for
from tests.fakebot import FakeBotAPI
from tests.support import PG_DSN, TEST_SECRET, _pg_unavailable, free_port, until

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def test_compose_has_the_services_their_health_and_order() -> None:
    spec = compose()
    services = spec["services"]
    assert set(services) == {"postgres", "redis", "migrate", "bot", "bot-webhook", "caddy"}
    for name in ("postgres", "redis", "bot", "bot-webhook"):
        assert services[name]["healthcheck"]["test"], name
    assert services["migrate"]["command"] == ["db", "upgrade"]
    assert services["migrate"]["restart"] == "no"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for bot in ("bot", "bot-webhook"):
        needs = services[bot]["depends_on"]
        assert needs["migrate"]["condition"] == "service_completed_successfully"
        assert needs["redis"]["condition"] == "service_healthy"
        assert services[bot]["environment"]["DATABASE_URL"].startswith("postgresql://")
    assert services["bot-webhook"]["profiles"] == ["webhook"]
    assert services["caddy"]["profiles"] == ["webhook"]
    # Data outlives containers; the proxy's configuration is in the repository.
    assert set(spec["volumes"]) >= {"pgdata", "redisdata", "caddydata"}
    assert "pgdata:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    mounted = services["caddy"]["volumes"][0].split(":")[0]
    assert (ROOT / mounted).is_file()


def test_docker_compose_accepts_it(tmp_path: Path) -> None:
    docker = shutil.which("docker")
    plugin = docker and subprocess.run(
        [docker, "compose", "version"], capture_output=True, check=False
    )
    if not plugin or plugin.returncode != 0:
        pytest.skip("no `docker compose` on this machine (the parse test above still ran)")
    env = {"POSTGRES_PASSWORD": "x", "SECRET_KEY": "k" * 40, "BOT_TOKEN": "1:x"}
    result = subprocess.run(
        [docker, "compose", "-f", str(ROOT / "compose.yaml"), "config", "--quiet"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_the_dockerfile_passes_hadolint() -> None:
    result = subprocess.run(
        [str(BIN / "hadolint"), "--no-color", str(ROOT / "Dockerfile")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def dockerfile() -> tuple[list[str], dict[str, str], list[str]]:
    """The final stage's start command, environment and health check command."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    final = text[text.rindex("\nFROM ") :]
    entry = json.loads(re.search(r"^ENTRYPOINT (\[.*\])$", final, re.M).group(1))  # type: ignore[union-attr]
    cmd = json.loads(re.search(r"^CMD (\[.*\])$", final, re.M).group(1))  # type: ignore[union-attr]
    env = dict(re.findall(r"(\w+)=(\S+)", re.search(r"^ENV (.*)$", final, re.M).group(1)))  # type: ignore[union-attr]
    check = json.loads(re.search(r"HEALTHCHECK .*? CMD (\[.*\])$", final, re.M).group(1))  # type: ignore[union-attr]
    return entry + cmd, env, check


async def test_the_images_start_command_runs_outside_docker(
    fake_api: FakeBotAPI, tmp_path: Path
) -> None:
    if reason := await _pg_unavailable():
        pytest.skip(reason)
    command, image_env, check = dockerfile()
    assert command == ["lapor-ppa", "run"]
    name = f"image_start_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(PG_DSN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    port = free_port()
    env = env_for(
        tmp_path,
        **image_env
        | {
            # Only the port differs from the image: this machine may run other things.
            "METRICS_LISTEN": f"127.0.0.1:{port}",
        },
        DATABASE_URL=PG_DSN.rsplit("/", 1)[0] + f"/{name}",
        SECRET_KEY=TEST_SECRET,
        BOT_TOKEN=fake_api.token,
        TELEGRAM_API_URL=fake_api.url,
    )

    def run(*args: str) -> Any:
        return asyncio.create_subprocess_exec(
            str(BIN / args[0]), *args[1:], cwd=tmp_path, env=env, stdin=asyncio.subprocess.DEVNULL
        )

    try:
        migrate = await run("lapor-ppa", *compose()["services"]["migrate"]["command"])
        assert await asyncio.wait_for(migrate.wait(), 120) == 0
        polls = len(fake_api.calls_of("getUpdates"))
        bot = await run(*command)
        try:
            # Importing everything takes seconds on a slow machine: wait until it polls.
            await until(lambda: len(fake_api.calls_of("getUpdates")) > polls, 60)
            user = fake_api.user(5599001)
            welcome, _menu = await user.ask("/start", n=2)
            assert "Selamat datang" in welcome.plain
            async with (
                aiohttp.ClientSession() as http,
                http.get(f"http://127.0.0.1:{port}/readyz") as r,
            ):
                assert r.status == 200
            probe = [arg.replace("9090", str(port)) for arg in check]
            assert probe[0] == "python"
            healthy = await asyncio.create_subprocess_exec(sys.executable, *probe[1:])
            assert await asyncio.wait_for(healthy.wait(), 20) == 0
        finally:
            bot.terminate()
            assert await asyncio.wait_for(bot.wait(), 30) == 0
    finally:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()
