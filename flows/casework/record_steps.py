"""Recording a case: the card's Layanan / Data korban / Kekerasan buttons open a menu under
the card; each press in it records one thing and redraws it; a date, an exact age or a
number of victims may be typed into a prompt. Every change is audited with what it was.

  s:rec:<ticket>:<view>     a new menu under the card
  s:view:<ticket>:<view>    the pressed menu shows another view (record_views.py), "done"
                            settles it, "typed.<what>" asks for a typed value
  s:put:<ticket>:<change>   svc.<code> (given today), sd.<code>.<0|1> (today, yesterday),
                            sx.<code> (not given), ref.<code> / vio.<code> (toggle),
                            <victim field>.<code>
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flows.casework import record as r
from flows.casework import record_views as views
from flows.casework.effects import audit, do, me, need, refuse, say, settle, toast
from flows.core import N_, EffectResult, Msg, Outcome, Reply

STEPS = ("rec_date", "rec_age", "rec_victims")
TYPED_ASKS = {
    "rec_date": N_("record.ask_date"),
    "rec_age": N_("record.ask_age"),
    "rec_victims": N_("record.ask_victims"),
}
BAD_ANSWERS = {
    "rec_date": N_("record.bad_date"),
    "rec_age": N_("record.bad_age"),
    "rec_victims": N_("record.bad_victims"),
}


def begin(out: Outcome, c: dict[str, Any]) -> None:
    need(out, "record", "load_record", ticket_id=c["id"])


def on_record(out: Outcome, res: EffectResult) -> None:
    c, k = out.state["case"], out.state["key"]
    rec, today = res.value["record"], date.fromisoformat(res.value["today"])
    action, arg = k["action"], k["arg"]
    if action == "put":
        change = _change(arg, rec, c["category"], today)
        if change is None:
            refuse(out, c["id"], f"record {arg!r}")
            return
        out.state["back"] = _parent(arg)
        need(out, "recorded", "change_record", ticket_id=c["id"], change=change)
        return
    if arg == "done":
        settle(out, views.saved(c["case_number"], rec, c["category"]))
        return
    if arg.startswith("typed."):
        _ask(out, c, arg[6:], rec)
        return
    menu = views.view(c["id"], c["case_number"], rec, c["category"], arg)
    if action == "rec":
        # Under the card, the card itself as it was; kept like the story, so it is taken
        # back should the ticket leave the unit.
        do(out, "post_story", ticket_id=c["id"], replies=[menu])
    else:
        do(out, "redraw", reply=menu, message_id=None)


def on_recorded(out: Outcome, res: EffectResult) -> None:
    c, before, after = out.state["case"], res.value["before"], res.value["record"]
    detail = changes(before, after)
    if detail:
        audit(out, "record", c["id"], detail)
    p = out.state.get("typed")
    if p is None:
        menu = views.view(c["id"], c["case_number"], after, c["category"], out.state["back"])
        do(out, "redraw", reply=menu, message_id=None)
        toast(out, N_("record.saved_toast"))
        return
    # A typed value: the prompt is answered, the menu it came from shows the new record.
    do(out, "save_prompt", prompt_id=p["id"], data=p["data"], done=True)
    do(out, "drop_prompt", prompt_id=p["id"])
    if p["data"].get("menu"):
        back = "svc" if p["step"] == "rec_date" else "vic"
        menu = views.view(c["id"], c["case_number"], after, c["category"], back)
        do(out, "redraw", reply=menu, message_id=int(p["data"]["menu"]))
    say(out, views.saved(c["case_number"], after, c["category"]), reply_to=True)


# --- typed values --------------------------------------------------------------------------


def _ask(out: Outcome, c: dict[str, Any], what: str, rec: dict[str, Any]) -> None:
    data: dict[str, Any] = {"menu": out.state.get("message")}
    params: dict[str, Any] = {"case_number": c["case_number"], "name": me(out)["name"]}
    if what.startswith("date.") and what[5:] in r.SERVICES:
        step, data["service"] = "rec_date", what[5:]
        params["service"] = Msg(r.SERVICES[what[5:]])
    elif what in ("age", "victims"):
        step = r.TYPED[what][0]
    else:
        refuse(out, c["id"], f"record typed {what!r}")
        return
    ask = Reply(TYPED_ASKS[step], params)
    do(out, "open_prompt", ticket_id=c["id"], step=step, data=data, ask=ask)


def typed(out: Outcome, c: dict[str, Any], p: dict[str, Any]) -> None:
    """An answer typed into a record prompt: checked once today is known."""
    out.state["case"], out.state["typed"] = c, p
    need(out, "typed_record", "load_record", ticket_id=c["id"])


def on_typed_record(out: Outcome, res: EffectResult) -> None:
    c, p, text = out.state["case"], out.state["typed"], out.state["text"]
    today = date.fromisoformat(res.value["today"])
    change: dict[str, Any] | None = None
    if p["step"] == "rec_date" and p["data"].get("service") in r.SERVICES:
        day = r.parse_date(text, today)
        if day is not None:
            change = {"op": "service", "code": p["data"]["service"], "date": day.isoformat()}
    elif p["step"] in ("rec_age", "rec_victims"):
        field = "age" if p["step"] == "rec_age" else "victims"
        n = r.parse_number(text, *r.TYPED[field][1:])
        if n is not None:
            values = {"age": n, "age_band": r.age_band(n)} if field == "age" else {"victims": n}
            change = {"op": "set", "values": values}
    if change is None:  # the prompt stays open: the next reply to it is another try
        say(out, Reply(BAD_ANSWERS[p["step"]], {"case_number": c["case_number"]}), reply_to=True)
        return
    need(out, "recorded", "change_record", ticket_id=c["id"], change=change)


# --- what a press changes ------------------------------------------------------------------


def _change(arg: str, rec: dict[str, Any], category: str, today: date) -> dict[str, Any] | None:
    head, _, rest = arg.partition(".")
    if head == "svc" and rest in r.SERVICES:
        return {"op": "service", "code": rest, "date": today.isoformat()}
    if head == "sd":
        code, _, choice = rest.rpartition(".")
        day = r.day_of(choice, today)
        if code in r.SERVICES and day is not None:
            return {"op": "service", "code": code, "date": day.isoformat()}
        return None
    if head == "sx" and rest in r.SERVICES:
        return {"op": "service", "code": rest, "date": None}
    if head == "ref" and rest in r.REFERRALS:
        return {"op": "toggle", "field": "referrals", "code": rest, "base": rec["referrals"]}
    if head == "vio" and rest in r.VIOLENCE:
        base = r.violence(rec, category)
        return {"op": "toggle", "field": "violence", "code": rest, "base": base}
    if head in r.VICTIM and rest in r.VICTIM[head][1]:
        if head == "victims":
            return {"op": "set", "values": {"victims": int(rest)}}
        values: dict[str, Any] = {head: rest}
        if head == "age_band":
            values["age"] = None  # a band picked replaces an exact age
        return {"op": "set", "values": values}
    return None


def _parent(arg: str) -> str:
    """The view a change returns to."""
    head = arg.partition(".")[0]
    if head in ("svc", "sd", "sx"):
        return "svc"
    if head in ("ref", "vio"):
        return head
    return "vic"


def changes(before: dict[str, Any], after: dict[str, Any]) -> str:
    """What a change did, for the audit: "sex: - -> perempuan; services: +kesehatan 2026-12-01"."""
    out = []
    for field in ("violence", "referrals", "sex", "age_band", "age", "education", "disability"):
        if before.get(field) != after.get(field):
            out.append(f"{field}: {_show(before.get(field))} -> {_show(after.get(field))}")
    if before.get("victims") != after.get("victims"):
        out.append(f"victims: {_show(before.get('victims'))} -> {_show(after.get('victims'))}")
    was, now = before.get("services") or {}, after.get("services") or {}
    for code in sorted(set(was) | set(now)):
        if code not in was:
            out.append(f"services: +{code} {now[code]}")
        elif code not in now:
            out.append(f"services: -{code} {was[code]}")
        elif was[code] != now[code]:
            out.append(f"services: {code} {was[code]} -> {now[code]}")
    return "; ".join(out)


def _show(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return ",".join(value) or "[]"
    return str(value)
