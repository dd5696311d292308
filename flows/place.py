"""Where it happened: type a place, pick from province → kab/kota pages, or say "don't know".

The place lists are data held by storage; this module only asks for them (effects) and keeps
the page on screen in the state, so a re-prompt needs no new look-up.

State lives in the report draft under "p":
  {"mode": "search"|"list"|"dsearch"|"dlist", "parent": code|None, "parent_label": str,
   "query": str, "page": int, "pages": int, "cands": [[key, label], ...]}
"""

from __future__ import annotations

from typing import Any

from flows.core import N_, Choice, Effect, EffectResult, Input, Reply
from flows.report_questions import is_urgent

PAGE_SIZE = 8
# Keys of the buttons this sub-flow shows.
LIST = "place:list"
UNKNOWN = "place:unknown"
DISTRICT_LIST = "dlist"
DISTRICT_SKIP = "dskip"

Draft = dict[str, Any]


class PlaceDone:
    """Returned when the place (and optional kecamatan) is settled."""


DONE = PlaceDone()
Result = tuple[list[Reply], list[Effect]] | PlaceDone


def _nav(p: dict[str, Any]) -> list[Choice]:
    nav = []
    if p.get("page", 0) > 0:
        nav.append(Choice(f"page:{p['page'] - 1}", N_("place.prev")))
    if p.get("page", 0) + 1 < p.get("pages", 1):
        nav.append(Choice(f"page:{p['page'] + 1}", N_("place.next")))
    return nav


def _cand_rows(p: dict[str, Any]) -> list[list[Choice]]:
    # In one province's list its name is said once, in the question, not on every button.
    suffix = f", {p['parent_label']}" if p.get("parent") and p.get("parent_label") else None
    return [
        [Choice(key, literal=label.removesuffix(suffix) if suffix else label)]
        for key, label in p.get("cands", [])
    ]


def prompt(r: Draft) -> Reply:
    """The question for the place sub-step the draft is in."""
    p = r.get("p") or {}
    step = r["step"]
    if step == "place":
        return Reply(
            N_("report.ask_place"),
            choices=[
                [Choice(LIST, N_("place.choose_from_list"))],
                [Choice(UNKNOWN, N_("place.unknown"))],
            ],
        )
    if step == "place_pick":
        rows = _cand_rows(p)
        if p.get("mode") == "search":
            msg = N_("place.results") if rows else N_("place.no_results")
            tail = [
                [Choice(LIST, N_("place.choose_from_list"))],
                [Choice(UNKNOWN, N_("place.unknown"))],
            ]
            return Reply(msg, {"query": p.get("query", "")}, rows + tail)
        nav = _nav(p)
        if p.get("parent"):
            whole = [[Choice(f"pick:{p['parent']}", N_("place.whole_province"))]]
            tail = [
                [Choice(LIST, N_("place.back_to_provinces"))],
                [Choice(UNKNOWN, N_("place.unknown"))],
            ]
            return Reply(
                N_("place.pick_regency"),
                {"province": p.get("parent_label", "")},
                rows + ([nav] if nav else []) + whole + tail,
            )
        return Reply(
            N_("place.pick_province"),
            choices=rows + ([nav] if nav else []) + [[Choice(UNKNOWN, N_("place.unknown"))]],
        )
    if step == "district":
        return Reply(
            N_("place.ask_district"),
            {"place": r["a"]["place"]["label"]},
            [
                [Choice(DISTRICT_LIST, N_("place.district_list"))],
                [Choice(DISTRICT_SKIP, N_("place.skip"))],
            ],
        )
    # district_pick
    rows = _cand_rows(p)
    nav = _nav(p)
    if p.get("mode") == "dsearch":
        msg = N_("place.district_results") if rows else N_("place.district_no_results")
        tail = [[Choice(DISTRICT_LIST, N_("place.district_list"))]]
    else:
        msg, tail = N_("place.pick_district"), ([nav] if nav else [])
    return Reply(
        msg,
        {"query": p.get("query", ""), "place": r["a"]["place"]["label"]},
        rows + tail + [[Choice(DISTRICT_SKIP, N_("place.skip"))]],
    )


def start(r: Draft) -> None:
    r["step"] = "place"
    r["p"] = {}


def _search(r: Draft, text: str) -> Result:
    query = " ".join(text.split())[:60]
    if r["step"] in ("district", "district_pick"):
        code = r["a"]["place"]["code"]
        return [], [Effect("find_districts", {"regency": code, "query": query})]
    return [], [Effect("find_places", {"query": query})]


def _list(parent: str | None, page: int) -> Result:
    return [], [Effect("list_places", {"parent": parent, "page": page})]


def _label_of(r: Draft, key: str) -> str | None:
    for k, label in (r.get("p") or {}).get("cands", []):
        if k == key:
            return str(label)
    return None


def _settle(r: Draft, code: str | None, label: str) -> Result:
    r["a"]["place"] = {"code": code, "label": label} if code else None
    r["a"].pop("district", None)
    # A kab/kota: the kecamatan is an optional extra, not asked when a child is in danger now.
    if code and code.count(".") == 1 and not is_urgent(r["a"]):
        r["step"] = "district"
        r["p"] = {}
        return [prompt(r)], []
    r.pop("p", None)
    return DONE


def handle(r: Draft, inp: Input | EffectResult, offered: set[str]) -> Result | None:
    """Advance the place sub-flow; None means "not for me" (the caller re-prompts)."""
    if isinstance(inp, EffectResult):
        if inp.name != "places":
            return None
        v = inp.value
        r["p"] = {
            "mode": v["mode"],
            "parent": v.get("parent"),
            "parent_label": v.get("parent_label", ""),
            "query": v.get("query", ""),
            "page": v.get("page", 0),
            "pages": v.get("pages", 1),
            "cands": [[_key_for(code, level), label] for code, label, level in v["items"]],
        }
        r["step"] = "district_pick" if v["mode"] in ("dsearch", "dlist") else "place_pick"
        return [prompt(r)], []

    if inp.kind == "text":
        return _search(r, inp.text)
    if inp.kind != "choice" or inp.text not in offered:
        return None
    key = inp.text
    p = r.get("p") or {}
    if key == LIST:
        return _list(None, 0)
    if key == UNKNOWN:
        return _settle(r, None, "")
    if key == DISTRICT_SKIP:
        r.pop("p", None)
        return DONE
    if key == DISTRICT_LIST:
        return _list(r["a"]["place"]["code"], 0)
    if key.startswith("page:"):
        return _list(p.get("parent"), int(key.removeprefix("page:")))
    if key.startswith("go:"):
        return _list(key.removeprefix("go:"), 0)
    if key.startswith("pick:"):
        code = key.removeprefix("pick:")
        label = _label_of(r, key) or p.get("parent_label", "")
        return _settle(r, code, label)
    if key.startswith("dpick:"):
        r["a"]["district"] = {"code": key.removeprefix("dpick:"), "label": _label_of(r, key)}
        r.pop("p", None)
        return DONE
    return None


def _key_for(code: str, level: str) -> str:
    if level == "provinsi":
        return f"go:{code}"
    if level == "kecamatan":
        return f"dpick:{code}"
    return f"pick:{code}"
