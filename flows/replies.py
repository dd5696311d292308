"""A Reply as plain JSON and back: how a message owed to someone waits in the outbox.

The outbox keeps *what* to say (catalog ids and parameters), never rendered text, so the
message is rendered in the reader's language and for the reader's channel when it is sent.
"""

from __future__ import annotations

from typing import Any

from flows.core import Choice, Day, Lines, Msg, Param, Reply, Seq, Stamp

Json = dict[str, Any]


def reply_to_json(reply: Reply) -> Json:
    out: Json = {"m": reply.msgid}
    if reply.params:
        out["p"] = {k: _param_out(v) for k, v in reply.params.items()}
    if reply.choices:
        out["c"] = [[_choice_out(c) for c in row] for row in reply.choices]
    return out


def reply_from_json(data: Json) -> Reply:
    params = {k: _param_in(v) for k, v in (data.get("p") or {}).items()}
    choices = tuple(tuple(_choice_in(c) for c in row) for row in data.get("c") or ())
    return Reply(str(data["m"]), params, choices)


def _param_out(value: Param) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, Msg):
        out: Json = {"msg": value.msgid}
        if value.params:
            out["p"] = {k: _param_out(v) for k, v in value.params.items()}
        return out
    if isinstance(value, Stamp):
        return {"stamp": value.iso, "tz": value.tz}
    if isinstance(value, Day):
        return {"day": value.iso, "pattern": value.pattern}
    if isinstance(value, Seq):
        return {"seq": [_param_out(v) for v in value.items], "empty": value.empty, "sep": value.sep}
    if isinstance(value, Lines):
        return {"lines": [[label, _param_out(v)] for label, v in value.rows]}
    raise TypeError(f"not a reply parameter: {type(value).__name__}")


def _param_in(value: Any) -> Param:
    if isinstance(value, str):
        return value
    if not isinstance(value, dict):
        raise ValueError("a reply parameter is a string or an object")
    if "msg" in value:
        return Msg(str(value["msg"]), {k: _param_in(v) for k, v in (value.get("p") or {}).items()})
    if "stamp" in value:
        return Stamp(str(value["stamp"]), str(value["tz"]))
    if "day" in value:
        return Day(str(value["day"]), str(value.get("pattern") or "format.date"))
    if "seq" in value:
        items = tuple(_param_in(v) for v in value["seq"])
        return Seq(items, str(value.get("empty", "")), str(value.get("sep", ", ")))
    if "lines" in value:
        return Lines(tuple((str(label), _param_in(v)) for label, v in value["lines"]))
    raise ValueError("unknown reply parameter")


def _choice_out(choice: Choice) -> Json:
    out: Json = {"k": choice.key}
    if choice.msgid:
        out["m"] = choice.msgid
    if choice.params:
        out["p"] = {k: _param_out(v) for k, v in choice.params.items()}
    if choice.literal:
        out["l"] = choice.literal
    if choice.url:
        out["u"] = choice.url
    return out


def _choice_in(data: Json) -> Choice:
    params = {k: _param_in(v) for k, v in (data.get("p") or {}).items()}
    return Choice(
        str(data["k"]),
        str(data.get("m", "")),
        params,
        str(data.get("l", "")),
        str(data.get("u", "")),
    )
