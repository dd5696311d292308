"""The outbox's operations survive the round trip through JSON; a ticket code never enters."""

from __future__ import annotations

import pytest

from flows.core import Choice, Lines, Msg, Reply, Stamp
from flows.outbound import (
    Delete,
    Edit,
    File,
    Op,
    Photo,
    RemoveMember,
    Send,
    op_from_json,
    op_to_json,
)

CARD = Reply(
    "card.body",
    {
        "status": Msg("status.baru"),
        "received_at": Stamp("2026-12-01T03:00:00+00:00", "Asia/Jakarta"),
        "details": Lines((("detail.app", "MiChat"),)),
        "narrative": "Akun <b>x</b>",
    },
    ((Choice("s:claim:1", "staff.btn.claim"),),),
)


@pytest.mark.parametrize(
    "op",
    [
        Send((CARD,)),
        Send((Reply("a"), Reply("b", choices=((Choice("k", literal="OK"),),))), reply_to=4),
        Send((Reply("staff.relay"),), under_card=True),
        Send((Reply("prompt.reason"),), reply_to=9, force_reply=True),
        Edit(CARD),
        Edit(Reply("card.stripped"), message_id=12),
        Delete(5),
        Photo("AgACAgIAAxkBAAI", Reply("evidence.caption", {"n": "2"})),
        File("BQACAgIAAxkBAAI", Reply("export.caption")),
        RemoveMember(880001),
    ],
)
def test_every_operation_round_trips(op: Op) -> None:
    kind, data = op_to_json(op)
    assert op_from_json(kind, data) == op


def test_a_ticket_code_is_never_queued() -> None:
    with pytest.raises(ValueError, match="ticket code"):
        op_to_json(Send((Reply("report.sent", {"code": "ABCD-EFGH", "case_number": "1"}),)))


@pytest.mark.parametrize(
    ("kind", "data"),
    [("send", {"replies": []}), ("send", {}), ("edit", {"reply": {}}), ("nope", {})],
)
def test_a_row_that_is_not_an_operation_is_refused(kind: str, data: dict) -> None:  # type: ignore[type-arg]
    with pytest.raises((KeyError, ValueError)):
        op_from_json(kind, data)
