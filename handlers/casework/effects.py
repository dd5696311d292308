"""Carries out casework's effects (flows/casework/effects.py) inside one unit of work: each
is a storage call or an outbox write; an effect that answers feeds the flow its next input."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from flows import casework
from flows.core import Effect, EffectResult, Outcome, Reply
from handlers.casework import unit_reports
from handlers.casework.announce import Announcer
from handlers.casework.events import Direct, StaffEvent, StaffResult
from handlers.render import Renderer
from storage import casework as cases
from storage import followup, owners, prompts, records, staff, units
from storage.crypto import Keys
from storage.models import Staff, StaffPrompt, Ticket, Upt, utcnow

MAX_ANSWERS = 12  # a flow that keeps asking is a bug; stop rather than spin


class Effects:
    """One staff update's effects: the session, who acted, and what they will be shown."""

    def __init__(
        self,
        session: AsyncSession,
        keys: Keys,
        announcer: Announcer,
        event: StaffEvent,
        member: Staff | None,
        renderer: Renderer,
    ) -> None:
        self.session, self.keys, self.announcer = session, keys, announcer
        self.event, self.member, self.renderer = event, member, renderer
        self.result = StaffResult()

    async def run(self, out: Outcome) -> StaffResult:
        state, todo, answers = out.state, deque(out.effects), 0
        while todo:
            answer = await self.do(todo.popleft())
            if answer is None:
                continue
            answers += 1
            if answers > MAX_ANSWERS:
                raise RuntimeError("the casework flow kept asking")
            nxt = casework.step(state, answer)
            state = nxt.state
            todo.extend(nxt.effects)
        return self.result

    async def do(self, effect: Effect) -> EffectResult | None:
        a, s = effect.args, self.session
        match effect.name:
            # --- what the person sees, after the commit
            case "toast":
                self.result.toast = a["reply"]
            case "say":
                self._say(a["reply"], a["reply_to"], a["private"], a["photo"])
            case "settle_pressed":
                e = self.event
                if e.kind == "button" and e.message_id is not None:
                    self.result.direct.append(Direct(e.chat_id, a["reply"], edit=e.message_id))
            case "redraw":
                at = a["message_id"] if a["message_id"] is not None else self.event.message_id
                if at is not None:
                    self.result.direct.append(Direct(self.event.chat_id, a["reply"], edit=at))
            case "drop_prompt":
                prompt = await prompts.get(s, int(a["prompt_id"]))
                if prompt is not None and prompt.message_id is not None:
                    gone = Direct(prompt.chat_id, None, delete=prompt.message_id)
                    self.result.direct.append(gone)
            # --- look-ups
            case "load_case":
                return await self._case(int(a["ticket_id"]))
            case "load_record":
                return await self._record(int(a["ticket_id"]), "record")
            case "load_member":
                target = await s.get(Staff, int(a["staff_id"]))
                if target is None:
                    return EffectResult("member", {"found": False})
                return EffectResult(
                    "member",
                    {
                        "found": True,
                        "upt_id": target.upt_id,
                        "status": target.status,
                        "name": target.display_name,
                    },
                )
            case "load_prompt":
                return _prompt(await prompts.get(s, int(a["prompt_id"])))
            case "load_unit":
                upt = await s.get(Upt, int(a["upt_id"]))
                usable = upt is not None and upt.active  # a deactivated unit receives nothing
                found = (
                    {"found": True, "id": upt.id, "name": upt.name} if usable else {"found": False}
                )
                return EffectResult("unit", found)
            case "find_units":
                places = self.announcer.places.search(a["text"], limit=4)
                found = await units.destinations(s, places)
                return EffectResult("units", {"items": [[u.id, u.name] for u in found]})
            case "redeem_invite":
                return await self._redeem(a["token"])
            # --- changes that answer
            case "connect_group":
                return await self._connect(int(a["upt_id"]), int(a["chat_id"]), a["admin"])
            case "group_membership":
                return await self._membership(int(a["chat_id"]), a["status"])
            case "claim":
                holder = await cases.claim(s, await self._ticket(a), self._me.id)
                return EffectResult("claimed", {"won": holder is None, "holder": holder or ""})
            case "move_status":
                ticket = await self._ticket(a)
                ok = await cases.move_status(
                    s, ticket, a["status"], self._me.id, a["reason"], a["shareable"]
                )
                return EffectResult("moved", {"ok": ok})
            case "reroute":
                return await self._reroute(a)
            case "change_record":
                before, after = await records.change(s, int(a["ticket_id"]), a["change"])
                return EffectResult("recorded", {"before": before, "record": after})
            # --- changes
            case "audit":
                staff.audit(s, a["actor"], a["action"], a["ticket_id"], detail=a["detail"])
            case "record_status":
                ticket = await self._ticket(a)
                cases.record_status(s, ticket, a["status"], f"staff:{self._me.id}")
            case "post_story":
                e = self.event
                await self.announcer.post_story(
                    s, await self._ticket(a), self._me.upt_id, e.chat_id, a["replies"], e.message_id
                )
            case "refresh_cards":
                await self.announcer.refresh_cards(s, await self._ticket(a))
            case "post_cards":
                upt = await s.get_one(Upt, int(a["upt_id"]))
                await self.announcer.post_cards(s, await self._ticket(a), upt)
            case "post_waiting":
                await s.flush()
                await self.announcer.post_waiting(s, await s.get_one(Upt, int(a["upt_id"])))
            case "tell_reporter":
                ticket = await self._ticket(a)
                await self.announcer.to_reporter(s, ticket, list(a["replies"]), a["purpose"])
            case "tell_staff":
                await self.announcer.tell_staff(s, await self._ticket(a), a["reply"])
            case "tell_member":
                target = await s.get_one(Staff, int(a["staff_id"]))
                await self.announcer.to_staff(s, target.telegram_user_id, a["reply"])
            case "tell_coordinators":
                for k in await staff.members(s, int(a["upt_id"]), role="koordinator"):
                    await self.announcer.to_staff(s, k.telegram_user_id, a["reply"])
            case "set_member_status":
                await staff.set_status(s, int(a["staff_id"]), a["status"], self._me)
            case "add_message":
                followup.add_message(s, int(a["ticket_id"]), a["kind"], a["text"], self._me.id)
            case "open_prompt":
                prompt = await prompts.open_prompt(
                    s, self._me.id, int(a["ticket_id"]), self.event.chat_id, a["step"], a["data"]
                )
                await self.announcer.prompt(s, prompt, a["ask"], self.event.message_id)
            case "show_stats":
                self.result.direct.extend(
                    await unit_reports.statistics(
                        s,
                        self.keys,
                        self.renderer,
                        int(a["upt_id"]),
                        self.event.chat_id,
                        self._me.display_name,
                        exports=bool(a["exports"]),
                    )
                )
            case "set_summary":
                target = await s.get_one(Staff, int(a["staff_id"]))
                target.monthly_summary = bool(a["on"])
            case "send_export":
                sent = await unit_reports.month_file(
                    s, self.renderer, int(a["upt_id"]), a["month"], self.event.user_id, self._me.id
                )
                self.result.direct.append(sent)
            case "save_prompt":
                prompt = await prompts.get(s, int(a["prompt_id"]))
                if prompt is not None:
                    prompts.save(prompt, dict(a["data"]), bool(a["done"]))
            case _:
                raise ValueError(f"unknown effect {effect.name!r}")
        return None

    @property
    def _me(self) -> Staff:
        assert self.member is not None, "an effect for members only"
        return self.member

    async def _ticket(self, args: Mapping[str, Any]) -> Ticket:
        return await self.session.get_one(Ticket, int(args["ticket_id"]))

    def _say(self, reply: Reply, reply_to: bool, private: bool, photo: str) -> None:
        e = self.event
        chat = e.user_id if private else e.chat_id
        answer = e.message_id if reply_to else None
        self.result.direct.append(Direct(chat, reply, reply_to=answer, photo=photo))

    async def _case(self, ticket_id: int) -> EffectResult:
        upt_id = self.member.upt_id if self.member else None
        view = await cases.case_view(self.session, ticket_id, upt_id)
        if view is None:
            return EffectResult("case", {"found": False, "id": ticket_id, "owned": False})
        t = view.ticket
        details = dict(t.details or {})
        return EffectResult(
            "case",
            {
                "found": True,
                "id": t.id,
                "case_number": t.case_number,
                "status": t.status,
                "owned": view.owned,
                "holder_id": t.claimed_by_id,
                "holder_name": view.holder_name,
                "followup_stopped": t.followup_stopped,
                "reachable": bool(t.reporter_chat_id),
                "images": list(details.get("images", [])),
                "narrative": t.narrative,
                "details": details,
                "upt_id": t.upt_id,
                "created_at": t.created_at.isoformat(),
                "timezone": view.timezone,
                "category": t.category,
            },
        )

    async def _record(self, ticket_id: int, name: str) -> EffectResult:
        ticket = await self.session.get_one(Ticket, ticket_id)
        upt = await self.session.get_one(Upt, ticket.upt_id)
        today = utcnow().astimezone(ZoneInfo(upt.timezone)).date()  # the unit's calendar day
        record = await records.load(self.session, ticket_id)
        return EffectResult(name, {"record": record, "today": today.isoformat()})

    async def _redeem(self, token: str) -> EffectResult:
        e = self.event
        outcome = await staff.redeem_invite(self.session, self.keys, token, e.user_id, e.user_name)
        if isinstance(outcome, staff.InviteError):
            return EffectResult("redeemed", {"error": outcome.value})
        upt = await self.session.get_one(Upt, outcome.upt_id)
        return EffectResult(
            "redeemed",
            {
                "staff_id": outcome.id,
                "name": outcome.display_name,
                "role": outcome.role,
                "status": outcome.status,
                "upt_id": upt.id,
                "upt_name": upt.name,
            },
        )

    async def _reroute(self, a: Mapping[str, Any]) -> EffectResult:
        """The ticket moves: every former holder loses its rights, its cards lose the story,
        and nothing still queued for them goes out. (The national channel keeps an urgent
        ticket, as at submission.)"""
        s = self.session
        ticket = await self._ticket(a)
        old = await s.get_one(Upt, ticket.upt_id)
        target = await s.get_one(Upt, int(a["upt_id"]))
        national = await units.national_upt(s)
        keep = {target.id} | ({national.id} if ticket.urgent and national else set())
        leaving = await owners.owner_ids(s, ticket.id) - keep
        await self.announcer.strip_cards(s, ticket, leaving, a["strip"])
        actor = f"staff:{self._me.id}"
        await cases.move_to_unit(s, ticket, target.id, keep, actor, a["reason"])
        return EffectResult("rerouted", {"from_code": old.code, "to_code": target.code})

    async def _connect(self, upt_id: int, chat: int, admin: bool | None) -> EffectResult:
        """One group serves one unit; a unit moving to a new group leaves the old one."""
        s = self.session
        other = await units.group_owner(s, chat)
        if other is not None and other.id != upt_id:
            return EffectResult(
                "connected", {"ok": False, "other_name": other.name, "other_code": other.code}
            )
        upt, old = await units.connect_group(s, upt_id, chat, admin)
        if old is not None and old != chat:
            await self.announcer.leave_group(s, upt, old)
        return EffectResult("connected", {"ok": True, "upt_name": upt.name, "upt_code": upt.code})

    async def _membership(self, chat: int, status: str) -> EffectResult:
        upt = await units.group_owner(self.session, chat)
        if upt is None:
            return EffectResult("membership", {"found": False})
        gone, admin = status in ("left", "kicked"), status in ("administrator", "creator")
        same = not gone and upt.bot_admin is admin
        if gone:
            # Known at once: new cards go to the unit's members privately until it reconnects.
            upt.telegram_chat_id, upt.bot_admin = None, None
        else:
            upt.bot_admin = admin
        return EffectResult(
            "membership",
            {
                "found": True,
                "same": same,
                "gone": gone,
                "admin": admin,
                "upt_id": upt.id,
                "upt_name": upt.name,
                "upt_code": upt.code,
            },
        )


def _prompt(prompt: StaffPrompt | None) -> EffectResult:
    if prompt is None:
        return EffectResult("prompt", {"found": False})
    return EffectResult(
        "prompt",
        {
            "found": True,
            "id": prompt.id,
            "staff_id": prompt.staff_id,
            "done": prompt.done_at is not None,
            "step": prompt.action,
            "ticket_id": prompt.ticket_id,
            "data": dict(prompt.data or {}),
        },
    )
