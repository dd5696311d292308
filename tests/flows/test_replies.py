"""A Reply survives the outbox: to JSON and back, every kind of parameter and button."""

from __future__ import annotations

import json

import pytest

from flows.core import Choice, Day, Lines, Msg, Reply, Seq, Stamp
from flows.replies import reply_from_json, reply_to_json

CASES = [
    Reply("conv.error"),
    Reply(
        "notice.status", {"case_number": "PPA-3515-2026-000001", "status": Msg("status.asesmen")}
    ),
    Reply(
        "card.text",
        {
            "received_at": Stamp("2026-12-01T07:33:31+00:00", "Asia/Makassar"),
            "details": Lines((("detail.platform", "MiChat"), ("detail.age", Msg("age.13_15")))),
            "images": Msg("card.images", {"count": "2"}),
            "urgent": Msg(""),
            "services": Seq((Msg("record.given", {"day": Day("2026-11-28")}), "x"), "record.none"),
            "none": Seq((), "record.none"),
        },
        [
            [Choice("s:claim:1", "card.claim")],
            [Choice("fb:1:5", "feedback.score", {"n": "5"}), Choice("to:3", literal="UPTD PPA X")],
            [Choice("", "urgent.whatsapp", url="https://wa.me/628111129129")],
        ],
    ),
]


@pytest.mark.parametrize("reply", CASES)
def test_a_reply_round_trips_through_plain_json(reply: Reply) -> None:
    stored = json.loads(json.dumps(reply_to_json(reply)))
    back = reply_from_json(stored)
    assert back.msgid == reply.msgid
    assert dict(back.params) == dict(reply.params)
    assert [list(row) for row in back.choices] == [list(row) for row in reply.choices]


@pytest.mark.parametrize("bad", [{"m": "x", "p": {"a": 1}}, {"m": "x", "p": {"a": {"?": 1}}}])
def test_a_damaged_row_is_refused_not_guessed(bad: dict) -> None:  # type: ignore[type-arg]
    with pytest.raises(ValueError):
        reply_from_json(bad)
