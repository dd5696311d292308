"""The in-memory limit on status look-ups per person."""

from __future__ import annotations

from handlers.rate_limit import RateLimiter


def test_a_limit_per_key_per_window() -> None:
    now = [0.0]
    limit = RateLimiter(2, 60.0, lambda: now[0])
    assert [limit.check("a"), limit.check("a")] == [0.0, 0.0]
    assert limit.check("a") == 60.0  # the third within the minute waits for the first to age
    assert limit.check("b") == 0.0  # others are not affected
    now[0] = 30.0
    assert limit.check("a") == 30.0
    now[0] = 60.0
    assert limit.check("a") == 0.0
