"""`step(state, input)`: one staff update, or one answer from the world, moves the flow on.

Inputs: a button press (`Input.of_choice(data)`), an answer typed into a prompt
(`Input.of_text`), an invite (`Input.of_command("start", token)`), `/hubungkan`
(`Input.of_command("hubungkan")`). State and effects: flows/casework/effects.py. See
flows/casework.md for the diagram.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

from flows.casework import onboarding, press, prompts, record_steps, reports, status
from flows.core import EffectResult, Input, Outcome, State

# Which step takes the answer the flow is waiting for (state["at"]).
ON_ANSWER: dict[str, Callable[[Outcome, EffectResult], None]] = {
    "redeemed": onboarding.on_redeemed,
    "connected": onboarding.on_connected,
    "membership": onboarding.on_membership,
    "member": onboarding.on_member,
    "stranger": press.on_stranger,
    "press": press.on_case,
    "claimed": press.on_claimed,
    "moved": status.on_moved,
    "typed": prompts.on_case,
    "share": prompts.on_share_prompt,
    "share_case": prompts.on_share_case,
    "units": prompts.on_units,
    "pick": prompts.on_pick_prompt,
    "pick_unit": prompts.on_pick_unit,
    "pick_case": prompts.on_pick_case,
    "reroute_unit": prompts.on_reroute_unit,
    "rerouted": prompts.on_rerouted,
    "record": record_steps.on_record,
    "typed_record": record_steps.on_typed_record,
    "recorded": record_steps.on_recorded,
}


def step(state: State, inp: Input | EffectResult) -> Outcome:
    out = Outcome(copy.deepcopy(state))
    if isinstance(inp, EffectResult):
        at, out.state["at"] = out.state["at"], None
        ON_ANSWER[at](out, inp)
    elif inp.kind == "choice":
        press.begin(out, inp.text)
    elif inp.kind == "text" and out.state["prompt"] is not None:
        prompts.typed(out, inp.text)
    elif inp.kind == "command" and inp.command == "start":
        onboarding.redeem(out, inp.text)
    elif inp.kind == "command" and inp.command == "hubungkan":
        onboarding.connect(out)
    elif inp.kind == "command" and inp.command == "statistik":
        reports.statistik(out)
    elif inp.kind == "command" and inp.command == "membership":
        onboarding.membership(out, inp.text)
    return out
