"""The summary a reporter checks before Kirim: every answer given, in the order asked, and
nothing about a question that was never asked."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flows.core import N_, Choice, Lines, Msg, Param, Reply
from flows.report_kept import answer_value, evidence_text
from flows.report_questions import (
    FIELD_LABELS,
    ROLE_LABELS,
    SUMMARY_UPDATES,
    path,
    role_steps,
)

Draft = dict[str, Any]


def field_rows(a: Mapping[str, Any]) -> Lines:
    """The answers as "label: value" lines (skipped ones as "Dilewati"), in the order they
    were asked. The story and the evidence have their own blocks; the place is shown by
    whoever knows place names."""
    rows: list[tuple[str, Param]] = []
    for step in role_steps(a):
        if step in ("narrative", "evidence", "place", "role") or step not in a:
            continue
        if step == "updates":
            rows.append((FIELD_LABELS[step], Msg(SUMMARY_UPDATES.get(a[step] or "tidak", ""))))
            continue
        rows.append((FIELD_LABELS[step], answer_value(step, a[step])))
    return Lines(tuple(rows))


def summary(r: Draft) -> Reply:
    a = r["a"]
    where = a.get("place")
    district = a.get("district")
    place_text: Param = Msg(N_("summary.unknown_place"))
    if where:
        place_text = where["label"] + (f" — {district['label']}" if district else "")
    ev = a.get("evidence") or {}
    evidence = Lines()
    if "evidence" in path(a) or ev.get("items") or ev.get("images"):  # never an unasked one
        evidence = Lines(
            (
                (
                    N_("summary.evidence"),
                    evidence_text(ev.get("items", [])) or Msg(N_("summary.skipped")),
                ),
                (N_("summary.images"), str(len(ev.get("images", [])))),
            )
        )
    return Reply(
        N_("report.summary"),
        {
            "role": Msg(ROLE_LABELS[a["role"]]),
            "place": place_text,
            "fields": field_rows(a),
            "evidence": evidence,
            "narrative": a.get("narrative") or Msg(N_("summary.skipped")),
        },
        [
            [Choice("submit", N_("summary.submit"))],
            [Choice("edit", N_("summary.edit")), Choice("cancel", N_("summary.cancel"))],
        ],
    )
