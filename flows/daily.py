"""How many reports one person sent in any rolling 24 hours, kept with their conversation
(so a restart forgets nothing) as the epoch seconds of each send."""

from __future__ import annotations

from flows.core import State

DAY = 86_400


def recent_reports(state: State, now: int) -> list[int]:
    """When this person's reports of the last 24 hours were sent, oldest first."""
    return sorted(t for t in state.get("sent_at") or [] if isinstance(t, int) and now - t < DAY)
