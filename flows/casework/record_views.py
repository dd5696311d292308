"""The case record as staff see it: the whole record as lines, and one menu per view.

Views (the `arg` of an `s:rec` / `s:view` key):
  svc            services, with "Dirujuk ke" and "Selesai"
  svc.<code>     one given service: another date, or remove it
  ref            where the case was referred (toggles)
  vio            kinds of violence (toggles, prefilled from the category)
  vic            the victim's fields, each a button to its options
  vic.<field>    one field's options (age and number of victims may also be typed)
"""

from __future__ import annotations

from typing import Any

from flows.casework import record as r
from flows.casework.keys import key
from flows.core import N_, Choice, Day, Lines, Msg, Param, Reply, Seq

HINTS = {
    "svc": N_("record.hint.services"),
    "ref": N_("record.hint.referrals"),
    "vio": N_("record.hint.violence"),
    "vic": N_("record.hint.victim"),
}


def summary(rec: dict[str, Any], category: str) -> Lines:
    given = sorted(rec["services"].items(), key=lambda item: (item[1], item[0]))
    services = Seq(
        tuple(
            Msg(N_("record.given"), {"service": Msg(r.SERVICES[code]), "day": Day(day)})
            for code, day in given
            if code in r.SERVICES
        ),
        N_("record.none"),
    )
    return Lines(
        (
            (N_("record.field.violence"), _labels(r.violence(rec, category), r.VIOLENCE)),
            (N_("record.field.services"), services),
            (N_("record.field.referrals"), _labels(rec["referrals"], r.REFERRALS)),
            (N_("record.field.sex"), value(rec, "sex")),
            (N_("record.field.age"), value(rec, "age_band")),
            (N_("record.field.education"), value(rec, "education")),
            (N_("record.field.disability"), value(rec, "disability")),
            (N_("record.field.victims"), value(rec, "victims")),
        )
    )


def value(rec: dict[str, Any], field: str) -> Param:
    """One victim field as words: "15 tahun", "13–17 tahun", "belum dicatat"."""
    if field == "age_band" and rec.get("age") is not None:
        return Msg(N_("record.age.exact"), {"age": str(rec["age"])})
    if field == "victims" and rec.get("victims") is not None:
        return str(rec["victims"])
    current = rec.get(field)
    if current is None:
        return Msg(N_("record.none"))
    return Msg(r.VICTIM[field][1].get(str(current), N_("record.unknown")))


def view(tid: int, case_number: str, rec: dict[str, Any], category: str, name: str) -> Reply:
    """The menu for one view; an unknown name shows the services."""
    if name.startswith("svc.") and name[4:] in rec["services"]:
        return _service(tid, case_number, rec, category, name[4:])
    if name.startswith("vic.") and name[4:] in r.VICTIM:
        return _field(tid, case_number, rec, category, name[4:])
    hint: Param = Msg(HINTS.get(name, HINTS["svc"]))
    match name:
        case "ref":
            chosen = set(rec["referrals"])
            rows = _grid([_toggle(tid, "ref", c, m, c in chosen) for c, m in r.REFERRALS.items()])
            rows.append([_back(tid, "svc")])
        case "vio":
            chosen = set(r.violence(rec, category))
            rows = _grid([_toggle(tid, "vio", c, m, c in chosen) for c, m in r.VIOLENCE.items()])
            if rec.get("violence") is None:
                hint = Msg(N_("record.hint.violence_prefilled"))
            rows.append([_done(tid)])
        case "vic":
            rows = [
                [
                    Choice(
                        key("view", tid, f"vic.{field}"),
                        N_("record.field_button"),
                        {"field": Msg(label), "value": value(rec, field)},
                    )
                ]
                for field, (label, _) in r.VICTIM.items()
            ]
            rows.append([_done(tid)])
        case _:
            rows = _grid(
                [
                    Choice(key("view", tid, f"svc.{c}"), N_("record.checked"), {"label": Msg(m)})
                    if c in rec["services"]
                    else Choice(key("put", tid, f"svc.{c}"), m)
                    for c, m in r.SERVICES.items()
                ]
            )
            rows.append([Choice(key("view", tid, "ref"), N_("record.to_referrals"))])
            rows.append([_done(tid)])
    return _menu(case_number, rec, category, hint, rows)


def _service(tid: int, case_number: str, rec: dict[str, Any], category: str, code: str) -> Reply:
    hint = Msg(
        N_("record.hint.service_date"),
        {"service": Msg(r.SERVICES[code]), "day": Day(rec["services"][code])},
    )
    rows = [
        [
            Choice(key("put", tid, f"sd.{code}.0"), N_("record.today")),
            Choice(key("put", tid, f"sd.{code}.1"), N_("record.yesterday")),
        ],
        [Choice(key("view", tid, f"typed.date.{code}"), N_("record.other_date"))],
        [Choice(key("put", tid, f"sx.{code}"), N_("record.remove_service"))],
        [_back(tid, "svc")],
    ]
    return _menu(case_number, rec, category, hint, rows)


def _field(tid: int, case_number: str, rec: dict[str, Any], category: str, field: str) -> Reply:
    label, options = r.VICTIM[field]
    current = None if rec.get(field) is None else str(rec[field])
    if field == "age_band" and rec.get("age") is not None:
        current = None  # an exact age: no band is what was picked
    buttons = [
        Choice(
            key("put", tid, f"{field}.{code}"),
            N_("record.checked") if code == current else msgid,
            {"label": Msg(msgid, {"n": code}), "n": code},
        )
        for code, msgid in options.items()
    ]
    rows = _grid(buttons)
    if field == "age_band":
        rows.append([Choice(key("view", tid, "typed.age"), N_("record.exact_age"))])
    if field == "victims":
        rows.append([Choice(key("view", tid, "typed.victims"), N_("record.other_number"))])
    rows.append([_back(tid, "vic")])
    hint = Msg(N_("record.hint.field"), {"field": Msg(label)})
    return _menu(case_number, rec, category, hint, rows)


def _menu(
    case_number: str, rec: dict[str, Any], category: str, hint: Param, rows: list[list[Choice]]
) -> Reply:
    params = {"case_number": case_number, "summary": summary(rec, category), "hint": hint}
    return Reply(N_("record.menu"), params, rows)


def saved(case_number: str, rec: dict[str, Any], category: str) -> Reply:
    return Reply(
        N_("record.saved"), {"case_number": case_number, "summary": summary(rec, category)}
    )


def _labels(codes: list[str], labels: dict[str, str]) -> Seq:
    return Seq(tuple(Msg(labels[c]) for c in codes if c in labels), N_("record.none"))


def _toggle(tid: int, field: str, code: str, msgid: str, on: bool) -> Choice:
    if on:
        return Choice(
            key("put", tid, f"{field}.{code}"), N_("record.checked"), {"label": Msg(msgid)}
        )
    return Choice(key("put", tid, f"{field}.{code}"), msgid)


def _back(tid: int, to: str) -> Choice:
    return Choice(key("view", tid, to), N_("record.back"))


def _done(tid: int) -> Choice:
    return Choice(key("view", tid, "done"), N_("record.done"))


def _grid(buttons: list[Choice], per_row: int = 2) -> list[list[Choice]]:
    return [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]
