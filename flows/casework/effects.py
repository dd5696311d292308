"""The state of one staff update, and the effects casework asks of the world.

The state is a JSON-safe dict that lives for one update; a prompt sequence (reason → share,
forward → pick → reason) carries on across updates in a StaffPrompt's `step` and `data`:

  {"v": 1, "me": {"id", "name", "role", "upt_id"} | None, "actor": audit name,
   "anon": audit name of an unknown person, "chat": chat id, "user": user id,
   "private": the press came from the person's own chat, "bot": the bot's @username,
   "prompt": {"id", "step", "ticket_id", "data"} | None (the prompt being answered),
   "message": the pressed or typed message's id,
   "at": which answer the flow waits for, plus what earlier answers told it ("key", "case", …)}

Effects that answer (an EffectResult of the name on the right):
  load_case {ticket_id}        -> case {found, id, case_number, status, owned, holder_id,
                                        holder_name, followup_stopped, reachable, images,
                                        narrative, details, upt_id, created_at, timezone,
                                        category}
  load_record {ticket_id}      -> record {record (flows/casework/record.py), today (ISO date in
                                          the unit's time zone)}
  load_member {staff_id}       -> member {found, upt_id, status, name}
  load_prompt {prompt_id}      -> prompt {found, id, staff_id, done, step, ticket_id, data}
  load_unit {upt_id}           -> unit {found, id, name}
  find_units {text}            -> units {items: [[upt id, name], …]}
  redeem_invite {token}        -> redeemed {error} | {staff_id, name, role, status, upt_id,
                                                      upt_name}
  connect_group {upt_id, chat_id}                     -> connected {upt_name, upt_code}
  claim {ticket_id}                                   -> claimed {won, holder}
  move_status {ticket_id, status, reason, shareable}  -> moved {ok}
  reroute {ticket_id, upt_id, reason, strip}          -> rerouted {from_code, to_code}
  change_record {ticket_id, change}                   -> recorded {before, record}
      change: {op: set, values} | {op: service, code, date | None} |
              {op: toggle, field, code, base (the list before, when never recorded)}
Effects that only write:
  audit {action, ticket_id, detail, actor} · record_status {ticket_id, status}
  refresh_cards {ticket_id} · post_cards {ticket_id, upt_id} · post_waiting {upt_id}
  tell_reporter {ticket_id, replies, purpose} · tell_staff {ticket_id, reply}
  tell_member {staff_id, reply} · tell_coordinators {upt_id, reply}
  set_member_status {staff_id, status} · add_message {ticket_id, kind, text}
  open_prompt {ticket_id, step, data, ask}: a ForceReply only this person is asked for
  save_prompt {prompt_id, data, done}
  show_stats {upt_id, exports}: the unit's figures and chart in this chat (Ekspor buttons for
      a koordinator) · send_export {upt_id, month}: the month's XLSX in the person's private
      chat · set_summary {staff_id, on}: the monthly summary stopped or sent again
What the acting person sees (after the commit):
  toast {reply}: the answer to a button press
  say {reply, reply_to, private, photo}: a message in the chat (as a reply to the pressed or
      typed message), or in the person's private chat; with a photo, as its caption
  settle_pressed {reply}: the message whose button was pressed now says what was done, with
      no buttons left (a used status picker, approval request, share question, unit list)
  drop_prompt {prompt_id}: the ForceReply prompt that was answered leaves the chat
  redraw {reply, message_id}: a menu (the pressed message when message_id is None) shows
      `reply` with its buttons
"""

from __future__ import annotations

from typing import Any

from flows.core import N_, Effect, Outcome, Reply, State

VERSION = 1


def new_state(
    *,
    me: dict[str, Any] | None,
    actor: str,
    anon: str,
    chat: int,
    user: int,
    bot: str = "",
    prompt: dict[str, Any] | None = None,
    group: dict[str, Any] | None = None,
    message: int | None = None,
) -> State:
    return {
        "v": VERSION,
        "me": me,
        "actor": actor,
        "anon": anon,
        "chat": chat,
        "user": user,
        "private": chat == user,
        "bot": bot,
        "prompt": prompt,
        "group": group,  # /hubungkan: {"public": has a @username, "admin": the bot is admin}
        "message": message,  # the pressed or typed message
        "at": None,
    }


def need(out: Outcome, at: str, name: str, **args: Any) -> None:
    """Ask the world something; its answer comes back to the step registered for `at`."""
    out.state["at"] = at
    out.effects.append(Effect(name, args))


def do(out: Outcome, name: str, **args: Any) -> None:
    out.effects.append(Effect(name, args))


def audit(
    out: Outcome,
    action: str,
    ticket_id: int | None = None,
    detail: str | None = None,
    *,
    actor: str | None = None,
) -> None:
    actor = actor or out.state["actor"]
    do(out, "audit", action=action, ticket_id=ticket_id, detail=detail, actor=actor)


def toast(out: Outcome, msgid: str, params: dict[str, Any] | None = None) -> None:
    do(out, "toast", reply=Reply(msgid, params or {}))


def say(
    out: Outcome, reply: Reply, *, reply_to: bool = False, private: bool = False, photo: str = ""
) -> None:
    do(out, "say", reply=reply, reply_to=reply_to, private=private, photo=photo)


def settle(out: Outcome, reply: Reply) -> None:
    """The pressed message says what was done and loses its buttons: the chat shows only
    what still needs someone."""
    do(out, "settle_pressed", reply=reply)


def drop_prompt(out: Outcome, prompt_id: int) -> None:
    do(out, "drop_prompt", prompt_id=prompt_id)


def refuse(out: Outcome, ticket_id: int | None, detail: str) -> None:
    """Audited, and the person is told only that they may not."""
    audit(out, "refused", ticket_id, detail)
    toast(out, N_("staff.not_allowed"))


def me(out: Outcome) -> dict[str, Any]:
    member = out.state["me"]
    assert member is not None, "a step for members only"
    return member
