"""What the Bot API answered, and what that means for the next attempt: one classification
and one retry policy for every sender.

- 429 waits exactly its `retry_after` and is not a back-off step: three flood waits and then
  a 502 wait the three retry_afters and then the first back-off step, not the fourth.
- 5xx, network errors and unreadable answers back off: 1 s, 2 s, 4 s, … (±25 %), capped.
- 400, 403, 404 and 413 are permanent, except the answers meaning the wanted state already
  holds ("message is not modified", "message to delete not found").
- 401 pauses everything: a refused token will not heal by itself soon.
- A group that became a supergroup is followed to its new id.

Direct sends sleep the wait (client.py); the outbox worker reschedules its row instead
(bot/delivery.py). Both ask `RetryPolicy.judge` and nothing else.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Kind(Enum):
    OK = "ok"
    FLOOD = "flood"  # 429: wait retry_after
    MIGRATED = "migrated"  # the group became a supergroup: migrate_to
    UNAUTHORIZED = "unauthorized"  # 401: the token was refused
    REFUSED = "refused"  # 400, 403, 404, 413: this request will never succeed
    TRANSIENT = "transient"  # 5xx, the network, an unreadable answer, anything unclassified


# Error names as the outbox's error column has always recorded them (they were aiogram's
# exception classes), so stored errors read the same as before.
_NAMES = {
    400: "TelegramBadRequest",
    401: "TelegramUnauthorizedError",
    403: "TelegramForbiddenError",
    404: "TelegramNotFound",
    409: "TelegramConflictError",
    413: "TelegramEntityTooLarge",
}
_REFUSED = frozenset({400, 403, 404, 413})


@dataclass(frozen=True, slots=True)
class Answer:
    """Telegram's answer to one call, classified."""

    kind: Kind
    result: Any = None
    status: int = 200  # HTTP status; 0 when no answer came (network, timeout)
    error: str = ""  # Telegram's description, or the network error's type (never content)
    name: str = ""  # the error's name for logs and the stored error column
    retry_after: float | None = None  # FLOOD
    migrate_to: int | None = None  # MIGRATED

    @property
    def ok(self) -> bool:
        return self.kind is Kind.OK

    @property
    def message_id(self) -> int | None:
        """The id of the message sent or copied; None for answers that are not one."""
        value = self.result.get("message_id") if isinstance(self.result, dict) else None
        return value if isinstance(value, int) else None


def classify(status: int, body: Any) -> Answer:
    """One HTTP answer of the Bot API (its status and decoded JSON body) as an `Answer`."""
    if not isinstance(body, dict):
        return Answer(Kind.TRANSIENT, None, status, "not a Bot API answer", "ClientDecodeError")
    if 200 <= status < 300 and body.get("ok") is True:
        return Answer(Kind.OK, body.get("result"), status)
    error = str(body.get("description") or status)
    parameters = body.get("parameters")
    parameters = parameters if isinstance(parameters, dict) else {}
    if parameters.get("retry_after"):
        retry_after = parameters["retry_after"]
        return Answer(Kind.FLOOD, None, status, error, "TelegramRetryAfter", retry_after)
    if parameters.get("migrate_to_chat_id"):
        migrate_to = int(parameters["migrate_to_chat_id"])
        return Answer(
            Kind.MIGRATED, None, status, error, "TelegramMigrateToChat", migrate_to=migrate_to
        )
    if status == 401:
        return Answer(Kind.UNAUTHORIZED, None, status, error, _NAMES[401])
    if status in _REFUSED:
        return Answer(Kind.REFUSED, None, status, error, _NAMES[status])
    name = "TelegramServerError" if status >= 500 else _NAMES.get(status, "TelegramAPIError")
    return Answer(Kind.TRANSIENT, None, status, error, name)


def network_failure(error: BaseException) -> Answer:
    """No answer at all: a refused connection, a timeout, a dropped connection."""
    return Answer(Kind.TRANSIENT, None, 0, type(error).__name__, "TelegramNetworkError")


def already_done(method: str, description: str) -> bool:
    """Answers meaning the wanted state already holds (e.g. a resend after a crash)."""
    text = description.lower()
    if method.startswith("editMessage"):
        return "message is not modified" in text
    return method == "deleteMessage" and "message to delete not found" in text


class Action(Enum):
    DONE = "done"  # it went (or what it wanted already holds)
    RETRY = "retry"  # try again after `wait`
    FOLLOW = "follow"  # send again, now to `migrate_to`
    FAIL = "fail"  # never: do not try again
    PAUSE = "pause"  # send nothing at all for `wait`; the message itself is not at fault


@dataclass(frozen=True, slots=True)
class Verdict:
    action: Action
    wait: float = 0.0  # seconds: before the retry (RETRY), or of the pause (PAUSE)
    backoff_step: int = 0  # 1 when this failure counts towards the next back-off
    migrate_to: int | None = None


@dataclass(frozen=True)
class RetryPolicy:
    first_backoff: float = 1.0  # seconds after the first 5xx/network failure; doubles each time
    max_backoff: float = 300.0
    jitter: float = 0.25  # ± this fraction, so retries after an outage do not all line up
    unauthorized_pause: float = 60.0
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def backoff(self, step: int) -> float:
        """The wait after the `step`-th transient failure of one message (1 = the first)."""
        base = min(self.max_backoff, self.first_backoff * 2.0 ** min(max(step, 1) - 1, 30))
        if self.jitter:
            base *= self.rng.uniform(1 - self.jitter, 1 + self.jitter)
        return min(self.max_backoff, base)

    def judge(self, method: str, answer: Answer, backoff_steps: int = 0) -> Verdict:
        """What to do after `answer` to `method`, the message having met `backoff_steps`
        transient failures before (429s are not counted: they are waited out exactly)."""
        kind = answer.kind
        if kind is Kind.OK or (kind is Kind.REFUSED and already_done(method, answer.error)):
            return Verdict(Action.DONE)
        if kind is Kind.FLOOD:
            return Verdict(Action.RETRY, float(answer.retry_after or 0))
        if kind is Kind.MIGRATED:
            return Verdict(Action.FOLLOW, migrate_to=answer.migrate_to)
        if kind is Kind.UNAUTHORIZED:
            return Verdict(Action.PAUSE, self.unauthorized_pause)
        if kind is Kind.REFUSED:
            return Verdict(Action.FAIL)
        return Verdict(Action.RETRY, self.backoff(backoff_steps + 1), backoff_step=1)


RETRY = RetryPolicy()  # the one policy every sender uses
