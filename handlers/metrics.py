"""What the bot counts, for Prometheus (`/metrics`): updates by kind and outcome and how long
they took, Bot API calls by method and status, the outbox backlog, tickets by status, SLA
escalations. No label ever carries an id, a name or anything someone wrote: methods, kinds,
outcomes and statuses are small fixed sets.

With several worker processes set PROMETHEUS_MULTIPROC_DIR (an empty directory shared by
them): prometheus-client then keeps the values in files there and `/metrics` adds them up.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)

# The *_created series (when each label set first appeared) say nothing an operator needs.
disable_created_metrics()

UPDATES = Counter(
    "lapor_updates_total",
    "Telegram updates handled, by update kind and outcome",
    ["kind", "outcome"],
)
UPDATE_SECONDS = Histogram(
    "lapor_update_seconds",
    "From receiving an update to its last reply, by update kind",
    ["kind"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
API_CALLS = Counter(
    "lapor_bot_api_calls_total",
    "Bot API calls by method and HTTP status (0: no answer)",
    ["method", "status"],
)
OUTBOX_PENDING = Gauge(
    "lapor_outbox_pending",
    "Messages waiting in the outbox",
    multiprocess_mode="max",
)
OUTBOX_OLDEST_SECONDS = Gauge(
    "lapor_outbox_oldest_seconds",
    "Age of the oldest message waiting in the outbox",
    multiprocess_mode="max",
)
TICKETS = Gauge(
    "lapor_tickets",
    "Tickets by status",
    ["status"],
    multiprocess_mode="max",
)
SLA_ESCALATIONS = Counter(
    "lapor_sla_escalations_total",
    "Unclaimed tickets escalated past their SLA, by the level they went to",
    ["level"],
)

# Update kinds and Bot API methods as labels: a known few, everything else "other".
KINDS = frozenset({"message", "callback_query", "my_chat_member"})


def kind_of(update: object) -> str:
    if isinstance(update, dict):
        for key in update:
            if key in KINDS:
                return key
    return "other"


def exposition() -> tuple[bytes, str]:
    """The text `/metrics` answers, and its content type."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
