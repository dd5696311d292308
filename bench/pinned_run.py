"""Experiment only (BENCH_PIN=1): `lapor-ppa run` with aiogram's Response[T] classes pinned.

pydantic keeps parametrised generics in a WeakValueDictionary; aiogram builds
``Response[method.__returning__]`` for every API answer, so each time the cyclic GC frees
one, the next answer rebuilds its schema. Holding strong references shows what that costs.
Product code is untouched; this wrapper only adds the references and calls the same CLI.
"""

from __future__ import annotations

import sys

from aiogram.client.session.base import Response
from aiogram.methods import (
    AnswerCallbackQuery,
    DeleteMessage,
    EditMessageReplyMarkup,
    EditMessageText,
    GetUpdates,
    SendMessage,
)

from bot.cli import main

PINNED = [
    Response[m.__returning__]  # type: ignore[name-defined]
    for m in (
        AnswerCallbackQuery,
        DeleteMessage,
        EditMessageReplyMarkup,
        EditMessageText,
        GetUpdates,
        SendMessage,
    )
]

if __name__ == "__main__":
    sys.exit(main(["run"]))
