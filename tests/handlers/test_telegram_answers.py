"""What the Bot API answered and what it means next: one classification, one retry policy."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from handlers.telegram.answers import (
    Action,
    Answer,
    Kind,
    RetryPolicy,
    Verdict,
    classify,
    network_failure,
)
from handlers.telegram.client import BotApi
from tests.fakebot import FakeBotAPI

STEADY = RetryPolicy(jitter=0)  # no jitter: the waits are exact


def failed(status: int, description: str, **parameters: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return body


@pytest.mark.parametrize(
    ("status", "body", "kind", "name"),
    [
        (200, {"ok": True, "result": {"message_id": 7}}, Kind.OK, ""),
        (200, {"ok": True, "result": True}, Kind.OK, ""),
        (400, failed(400, "Bad Request: message is too long"), Kind.REFUSED, "TelegramBadRequest"),
        (403, failed(403, "Forbidden: bot was blocked by the user"), Kind.REFUSED,
         "TelegramForbiddenError"),
        (404, failed(404, "Not Found"), Kind.REFUSED, "TelegramNotFound"),
        (413, failed(413, "Request Entity Too Large"), Kind.REFUSED, "TelegramEntityTooLarge"),
        (401, failed(401, "Unauthorized"), Kind.UNAUTHORIZED, "TelegramUnauthorizedError"),
        (429, failed(429, "Too Many Requests: retry after 5", retry_after=5), Kind.FLOOD,
         "TelegramRetryAfter"),
        (400, failed(400, "Bad Request: group chat was upgraded to a supergroup chat",
                     migrate_to_chat_id=-100123), Kind.MIGRATED, "TelegramMigrateToChat"),
        (500, failed(500, "Internal Server Error"), Kind.TRANSIENT, "TelegramServerError"),
        (502, None, Kind.TRANSIENT, "ClientDecodeError"),  # a proxy's HTML page
        (409, failed(409, "Conflict: terminated by other getUpdates request"), Kind.TRANSIENT,
         "TelegramConflictError"),
        (420, failed(420, "Flood"), Kind.TRANSIENT, "TelegramAPIError"),
    ],
)  # fmt: skip
def test_every_answer_is_classified_once(
    status: int, body: dict[str, Any] | None, kind: Kind, name: str
) -> None:
    answer = classify(status, body)
    assert (answer.kind, answer.name) == (kind, name)


def test_what_an_answer_carries() -> None:
    assert classify(200, {"ok": True, "result": {"message_id": 7}}).message_id == 7
    assert classify(200, {"ok": True, "result": True}).message_id is None
    assert classify(429, failed(429, "x", retry_after=5)).retry_after == 5
    assert classify(400, failed(400, "x", migrate_to_chat_id=-100123)).migrate_to == -100123
    lost = network_failure(ConnectionResetError("reset by peer"))
    assert (lost.kind, lost.status, lost.name, lost.error) == (
        Kind.TRANSIENT,
        0,
        "TelegramNetworkError",
        "ConnectionResetError",
    )


OK = classify(200, {"ok": True, "result": True})
FLOOD_7 = classify(429, failed(429, "Too Many Requests: retry after 7", retry_after=7))
BAD_GATEWAY = classify(502, failed(502, "Bad Gateway"))
NETWORK = network_failure(TimeoutError())
NOT_MODIFIED = classify(400, failed(400, "Bad Request: message is not modified: specified new"))
DELETED = classify(400, failed(400, "Bad Request: message to delete not found"))
BLOCKED = classify(403, failed(403, "Forbidden: bot was blocked by the user"))
TOO_LONG = classify(400, failed(400, "Bad Request: message is too long"))
GONE = classify(404, failed(404, "Not Found"))
UNAUTHORIZED = classify(401, failed(401, "Unauthorized"))
MIGRATED = classify(400, failed(400, "Bad Request: group chat was upgraded", migrate_to_chat_id=-9))


@pytest.mark.parametrize(
    ("method", "answer", "steps_before", "verdict"),
    [
        ("sendMessage", OK, 0, Verdict(Action.DONE)),
        # 429: exactly retry_after, whatever came before, and it is no back-off step
        ("sendMessage", FLOOD_7, 0, Verdict(Action.RETRY, 7.0)),
        ("sendMessage", FLOOD_7, 3, Verdict(Action.RETRY, 7.0)),
        # 5xx and the network: 1 s, 2 s, 4 s, … each a step
        ("sendMessage", BAD_GATEWAY, 0, Verdict(Action.RETRY, 1.0, backoff_step=1)),
        ("sendMessage", BAD_GATEWAY, 1, Verdict(Action.RETRY, 2.0, backoff_step=1)),
        ("sendMessage", NETWORK, 2, Verdict(Action.RETRY, 4.0, backoff_step=1)),
        ("sendMessage", NETWORK, 20, Verdict(Action.RETRY, 300.0, backoff_step=1)),  # capped
        # permanent, except what already holds
        ("sendMessage", BLOCKED, 0, Verdict(Action.FAIL)),
        ("sendMessage", TOO_LONG, 0, Verdict(Action.FAIL)),
        ("sendMessage", GONE, 0, Verdict(Action.FAIL)),
        ("editMessageText", NOT_MODIFIED, 0, Verdict(Action.DONE)),
        ("editMessageReplyMarkup", NOT_MODIFIED, 0, Verdict(Action.DONE)),
        ("sendMessage", NOT_MODIFIED, 0, Verdict(Action.FAIL)),
        ("deleteMessage", DELETED, 0, Verdict(Action.DONE)),
        ("deleteMessages", DELETED, 0, Verdict(Action.FAIL)),
        # the token: everything pauses; a migrated group is followed
        ("sendMessage", UNAUTHORIZED, 0, Verdict(Action.PAUSE, 60.0)),
        ("sendMessage", MIGRATED, 0, Verdict(Action.FOLLOW, migrate_to=-9)),
    ],
)
def test_the_policy_says_what_each_answer_means(
    method: str, answer: Answer, steps_before: int, verdict: Verdict
) -> None:
    assert STEADY.judge(method, answer, steps_before) == verdict


def test_three_flood_waits_then_a_502_wait_retry_after_then_the_first_step() -> None:
    steps, waits = 0, []
    for answer in (FLOOD_7, FLOOD_7, FLOOD_7, BAD_GATEWAY, BAD_GATEWAY):
        verdict = STEADY.judge("sendMessage", answer, steps)
        steps += verdict.backoff_step
        waits.append(verdict.wait)
    assert waits == [7.0, 7.0, 7.0, 1.0, 2.0]  # not 8 s after the three 429s


def test_backoff_jitter_stays_within_a_quarter() -> None:
    policy = RetryPolicy()
    waits = [policy.judge("sendMessage", BAD_GATEWAY, 2).wait for _ in range(200)]
    assert min(waits) >= 3.0 and max(waits) <= 5.0 and len(set(waits)) > 1


# --------------------------------------------------------------------------------------
# Direct sends through the client, against the fake Bot API
# --------------------------------------------------------------------------------------


@pytest.fixture
async def api(fake_api: FakeBotAPI) -> AsyncIterator[BotApi]:
    client = BotApi(fake_api.token, fake_api.url, policy=STEADY)
    try:
        yield client
    finally:
        await client.close()


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """What the client would have slept, without sleeping."""
    waited: list[float] = []

    async def sleep(seconds: float) -> None:
        waited.append(seconds)

    monkeypatch.setattr("handlers.telegram.client.asyncio.sleep", sleep)
    return waited


async def test_a_direct_send_waits_each_flood_then_backs_off_from_the_first_step(
    fake_api: FakeBotAPI, api: BotApi, sleeps: list[float]
) -> None:
    user = fake_api.user(9101)
    fake_api.fail("sendMessage", status=429, retry_after=3, times=3)
    fake_api.fail("sendMessage", status=502, description="Bad Gateway")
    answer = await api.send("sendMessage", {"chat_id": user.id, "text": "halo"}, attempts=5)
    assert answer.ok and answer.message_id is not None
    assert sleeps == [3.0, 3.0, 3.0, 1.0]
    assert [c.status for c in fake_api.calls_of("sendMessage")] == [429, 429, 429, 502, 200]
    assert [m.plain for m in fake_api.chat(user.id)] == ["halo"]


async def test_a_direct_send_gives_up_on_a_refusal_and_after_its_attempts(
    fake_api: FakeBotAPI, api: BotApi, sleeps: list[float]
) -> None:
    fake_api.user(9102).blocked = True
    blocked = await api.send("sendMessage", {"chat_id": 9102, "text": "x"}, attempts=4)
    assert (blocked.ok, blocked.name) == (False, "TelegramForbiddenError")
    assert len(fake_api.calls_of("sendMessage")) == 1 and sleeps == []

    fake_api.user(9103)
    fake_api.fail("sendMessage", status=500, times=2)
    lost = await api.send("sendMessage", {"chat_id": 9103, "text": "x"}, attempts=2)
    assert (lost.ok, lost.kind) == (False, Kind.TRANSIENT)
    assert sleeps == [1.0]  # slept once, between the two attempts


async def test_a_direct_send_never_sleeps_a_long_flood_wait(
    fake_api: FakeBotAPI, api: BotApi, sleeps: list[float]
) -> None:
    fake_api.user(9104)
    fake_api.fail("sendMessage", status=429, retry_after=45)
    answer = await api.send("sendMessage", {"chat_id": 9104, "text": "x"}, attempts=4)
    assert (answer.kind, sleeps) == (Kind.FLOOD, [])  # the person taps again instead


async def test_a_direct_send_follows_a_migrated_group(
    fake_api: FakeBotAPI, api: BotApi, sleeps: list[float]
) -> None:
    fake_api.group(-4101)
    fake_api.migrate_group(-4101, -1004101)
    answer = await api.send("sendMessage", {"chat_id": -4101, "text": "Terhubung"}, attempts=2)
    assert answer.ok
    assert [c.params["chat_id"] for c in fake_api.calls_of("sendMessage")] == [-4101, -1004101]
    assert [m.plain for m in fake_api.chat(-1004101)] == ["Terhubung"]


async def test_a_refused_token_pauses_every_call(fake_api: FakeBotAPI) -> None:
    wrong = BotApi("999:WRONG-token", fake_api.url)
    try:
        first = await wrong.call("getMe")
        again = await wrong.send("sendMessage", {"chat_id": 1, "text": "x"}, attempts=3)
    finally:
        await wrong.close()
    assert first.kind is again.kind is Kind.UNAUTHORIZED
    assert len(fake_api.calls) == 1  # the second never left: Telegram already said no


async def test_network_errors_are_answers_too(fake_api: FakeBotAPI, sleeps: list[float]) -> None:
    offline = BotApi(fake_api.token, "http://127.0.0.1:9", policy=STEADY)
    try:
        answer = await offline.send("sendMessage", {"chat_id": 1, "text": "x"}, attempts=3)
    finally:
        await offline.close()
    assert (answer.kind, answer.status, answer.name) == (Kind.TRANSIENT, 0, "TelegramNetworkError")
    assert sleeps == [1.0, 2.0]


async def test_a_call_after_close_opens_no_session(fake_api: FakeBotAPI) -> None:
    # A lane still finishing at shutdown must not leave an unclosed session behind.
    client = BotApi(fake_api.token, fake_api.url)
    assert (await client.call("getMe")).ok
    await client.close()
    late = await client.call("sendMessage", {"chat_id": 1, "text": "x"})
    assert late.kind is Kind.TRANSIENT and not late.ok
    assert client._session is None
    assert [c.method for c in fake_api.calls] == ["getMe"]
