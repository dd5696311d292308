"""How UPT staff work a ticket, as pure steps: the service chain, the card and its buttons,
what a press or a typed answer means, and what everyone else is told (see casework.md)."""

from flows.casework.card import CARD_NARRATIVE_MAX, card, card_buttons, status_picker
from flows.casework.chain import (
    CHAIN,
    CLOSED,
    NEEDS_REASON,
    OUT_OF_SCOPE,
    STATUS_LABELS,
    STATUS_MEANINGS,
    STATUSES,
    next_statuses,
)
from flows.casework.effects import new_state
from flows.casework.flow import step
from flows.casework.keys import ACTIONS, StaffKey, key, parse_key

__all__ = [
    "ACTIONS",
    "CARD_NARRATIVE_MAX",
    "CHAIN",
    "CLOSED",
    "NEEDS_REASON",
    "OUT_OF_SCOPE",
    "STATUSES",
    "STATUS_LABELS",
    "STATUS_MEANINGS",
    "StaffKey",
    "card",
    "card_buttons",
    "key",
    "new_state",
    "next_statuses",
    "parse_key",
    "status_picker",
    "step",
]
