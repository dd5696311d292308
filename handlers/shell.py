"""The terminal shell: the same conversation as on Telegram, buttons as numbered choices.

It is how someone tries the bot without a Telegram token, on the same database.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TextIO

from flows.core import N_, Input
from handlers.render import Renderer, plain
from handlers.reporter.service import Incoming, ReporterService, Response
from handlers.telegram.events import parse_command

SHELL_USER_ID = 0  # one local reporter; hashed like any Telegram id

ReadLine = Callable[[], Awaitable[str | None]]


async def _stdin_line() -> str | None:
    line = await asyncio.to_thread(sys.stdin.readline)
    return line.rstrip("\n") if line else None


def to_input(line: str, keys: list[str]) -> Input:
    """A typed line: a number presses that button, a command reads as on Telegram."""
    text = line.strip()
    if text.isdigit() and 1 <= int(text) <= len(keys):
        return Input.of_choice(keys[int(text) - 1])
    command = parse_command(text)
    return Input.of_text(line) if command is None else Input.of_command(*command)


async def run_shell(
    service: ReporterService,
    renderer: Renderer,
    *,
    read_line: ReadLine = _stdin_line,
    out: TextIO = sys.stdout,
    locale: str = "id",
) -> None:
    keys: list[str] = []

    async def send(response: Response) -> bool:
        keys.clear()
        for reply in response.replies:
            rendered = renderer.render(reply, response.locale)
            out.write("\n" + plain(rendered.text) + "\n")
            for row in rendered.buttons:
                for button in row:
                    if button.url:  # a link: shown, not pressable here
                        out.write(f"  ({button.label}: {button.url})\n")
                        continue
                    keys.append(button.key)
                    out.write(f"  [{len(keys)}] {button.label}\n")
        if response.delete_input:
            out.write(renderer.catalogs.get(response.locale, N_("shell.deleted")) + "\n")
        out.flush()
        return True

    out.write(renderer.catalogs.get(locale, N_("shell.intro")) + "\n")
    await service.handle(Incoming(SHELL_USER_ID, Input.of_command("start")), send)
    while True:
        out.write("> ")
        out.flush()
        line = await read_line()
        if line is None:
            out.write("\n")
            return
        if not line.strip():
            continue
        await service.handle(Incoming(SHELL_USER_ID, to_input(line, list(keys))), send)
