"""Recording a case (services, referrals, kinds of violence, the victim) as transcripts, in
the notation of test_casework.py; then the typed values' parsing and the menus' buttons."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from flows.casework import record, record_views
from flows.core import Day, Input, Msg, Seq
from tests.flows.test_casework import TAKEN, Case, press, transcript

CASE = TAKEN | {"category": "prostitusi_online"}
TODAY = "2026-12-01"
EMPTY = record.empty()
GIVEN = EMPTY | {"services": {"kesehatan": "2026-11-28"}}


def loaded(rec: dict[str, Any]) -> dict[str, Any]:
    return {"record": rec, "today": TODAY}


def recorded(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    return {"before": before, "record": after}


def typed_prompt(step: str, **data: Any) -> dict[str, Any]:
    return {"id": 21, "step": step, "ticket_id": 7, "data": {"menu": 55, **data}}


def typed(text: str) -> Input:
    return Input.of_text(text)


AGE_15 = EMPTY | {"age": 15, "age_band": "13_17"}
CASES = [
    Case(
        "Layanan on the card: the services menu, under the card",
        press("s:rec:7:svc"),
        {"load_case": CASE, "load_record": loaded(EMPTY)},
        ["load_case", "load_record", "post_story record.menu"],
    ),
    Case(
        "a service pressed is given today, audited; the menu is redrawn",
        press("s:put:7:svc.kesehatan"),
        {
            "load_case": CASE,
            "load_record": loaded(EMPTY),
            "change_record": recorded(EMPTY, EMPTY | {"services": {"kesehatan": TODAY}}),
        },
        [
            "load_case",
            "load_record",
            'change_record {"code": "kesehatan", "date": "2026-12-01", "op": "service"}',
            "audit record services: +kesehatan 2026-12-01",
            "redraw record.menu",
            "toast record.saved_toast",
        ],
    ),
    Case(
        "a given service's date is corrected to yesterday",
        press("s:put:7:sd.kesehatan.1"),
        {
            "load_case": CASE,
            "load_record": loaded(GIVEN),
            "change_record": recorded(GIVEN, EMPTY | {"services": {"kesehatan": "2026-11-30"}}),
        },
        [
            "load_case",
            "load_record",
            'change_record {"code": "kesehatan", "date": "2026-11-30", "op": "service"}',
            "audit record services: kesehatan 2026-11-28 -> 2026-11-30",
            "redraw record.menu",
            "toast record.saved_toast",
        ],
    ),
    Case(
        "a service recorded by mistake is removed",
        press("s:put:7:sx.kesehatan"),
        {"load_case": CASE, "load_record": loaded(GIVEN), "change_record": recorded(GIVEN, EMPTY)},
        [
            "load_case",
            "load_record",
            'change_record {"code": "kesehatan", "date": null, "op": "service"}',
            "audit record services: -kesehatan 2026-11-28",
            "redraw record.menu",
            "toast record.saved_toast",
        ],
    ),
    Case(
        "violence never recorded: a toggle starts from the category's kind",
        press("s:put:7:vio.fisik"),
        {
            "load_case": CASE,
            "load_record": loaded(EMPTY),
            "change_record": recorded(
                EMPTY, EMPTY | {"violence": ["eksploitasi_seksual", "fisik"]}
            ),
        },
        [
            "load_case",
            "load_record",
            'change_record {"base": ["eksploitasi_seksual"], "code": "fisik", '
            '"field": "violence", "op": "toggle"}',
            "audit record violence: - -> eksploitasi_seksual,fisik",
            "redraw record.menu",
            "toast record.saved_toast",
        ],
    ),
    Case(
        "a referral is toggled",
        press("s:put:7:ref.lpsk"),
        {
            "load_case": CASE,
            "load_record": loaded(EMPTY),
            "change_record": recorded(EMPTY, EMPTY | {"referrals": ["lpsk"]}),
        },
        [
            "load_case",
            "load_record",
            'change_record {"base": [], "code": "lpsk", "field": "referrals", "op": "toggle"}',
            "audit record referrals: [] -> lpsk",
            "redraw record.menu",
            "toast record.saved_toast",
        ],
    ),
    Case(
        "the victim's sex",
        press("s:put:7:sex.perempuan"),
        {
            "load_case": CASE,
            "load_record": loaded(EMPTY),
            "change_record": recorded(EMPTY, EMPTY | {"sex": "perempuan"}),
        },
        [
            "load_case",
            "load_record",
            'change_record {"op": "set", "values": {"sex": "perempuan"}}',
            "audit record sex: - -> perempuan",
            "redraw record.menu",
            "toast record.saved_toast",
        ],
    ),
    Case(
        "an age band replaces an exact age",
        press("s:put:7:age_band.6_12"),
        {
            "load_case": CASE,
            "load_record": loaded(AGE_15),
            "change_record": recorded(AGE_15, EMPTY | {"age_band": "6_12"}),
        },
        [
            "load_case",
            "load_record",
            'change_record {"op": "set", "values": {"age": null, "age_band": "6_12"}}',
            "audit record age_band: 13_17 -> 6_12; age: 15 -> -",
            "redraw record.menu",
            "toast record.saved_toast",
        ],
    ),
    Case(
        "the number of victims, as a number",
        press("s:put:7:victims.3"),
        {
            "load_case": CASE,
            "load_record": loaded(EMPTY),
            "change_record": recorded(EMPTY, EMPTY | {"victims": 3}),
        },
        [
            "load_case",
            "load_record",
            'change_record {"op": "set", "values": {"victims": 3}}',
            "audit record victims: - -> 3",
            "redraw record.menu",
            "toast record.saved_toast",
        ],
    ),
    Case(
        "pressing what is already recorded changes nothing and audits nothing",
        press("s:put:7:sex.perempuan"),
        {
            "load_case": CASE,
            "load_record": loaded(EMPTY | {"sex": "perempuan"}),
            "change_record": recorded(EMPTY | {"sex": "perempuan"}, EMPTY | {"sex": "perempuan"}),
        },
        [
            "load_case",
            "load_record",
            'change_record {"op": "set", "values": {"sex": "perempuan"}}',
            "redraw record.menu",
            "toast record.saved_toast",
        ],
    ),
    Case(
        "a forged value is refused",
        press("s:put:7:sex.robot"),
        {"load_case": CASE, "load_record": loaded(EMPTY)},
        ["load_case", "load_record", "audit refused record 'sex.robot'", "toast staff.not_allowed"],
    ),
    Case(
        "a key that is not a record key at all never reaches the flow",
        press("s:put:7:SEX.X"),
        {},
        ["audit refused button 's:put:7:SEX.X'", "toast staff.not_allowed"],
    ),
    Case(
        "another unit's ticket",
        press("s:rec:7:vic"),
        {"load_case": CASE | {"owned": False}},
        ["load_case", "audit refused rec on a ticket not owned", "toast staff.not_allowed"],
    ),
    Case(
        "a closed case is still recorded",
        press("s:rec:7:vio"),
        {"load_case": CASE | {"status": "selesai"}, "load_record": loaded(EMPTY)},
        ["load_case", "load_record", "post_story record.menu"],
    ),
    Case(
        "the menu moves to another view",
        press("s:view:7:vic.education"),
        {"load_case": CASE, "load_record": loaded(EMPTY)},
        ["load_case", "load_record", "redraw record.menu"],
    ),
    Case(
        "Selesai: the menu says what is recorded, its buttons gone",
        press("s:view:7:done"),
        {"load_case": CASE, "load_record": loaded(GIVEN)},
        ["load_case", "load_record", "settle record.saved"],
    ),
    Case(
        "Umur tepat: a prompt for the age",
        press("s:view:7:typed.age"),
        {"load_case": CASE, "load_record": loaded(EMPTY)},
        ["load_case", "load_record", "open_prompt rec_age {'menu': None}: record.ask_age"],
    ),
    Case(
        "Tanggal lain: a prompt for the service's date",
        press("s:view:7:typed.date.kesehatan"),
        {"load_case": CASE, "load_record": loaded(GIVEN)},
        [
            "load_case",
            "load_record",
            "open_prompt rec_date {'menu': None, 'service': 'kesehatan'}: record.ask_date",
        ],
    ),
    Case(
        "a typed age: recorded with its band; the prompt closes, the menu is redrawn",
        typed("15 tahun"),
        {
            "load_case": CASE,
            "load_record": loaded(EMPTY),
            "change_record": recorded(EMPTY, AGE_15),
        },
        [
            "load_case",
            "load_record",
            'change_record {"op": "set", "values": {"age": 15, "age_band": "13_17"}}',
            "audit record age_band: - -> 13_17; age: - -> 15",
            "save_prompt {'menu': 55} done",
            "drop_prompt",
            "redraw record.menu @55",
            "say record.saved ↩",
        ],
        prompt=typed_prompt("rec_age"),
    ),
    Case(
        "a typed age that is no age: told, the prompt stays open",
        typed("lima belas"),
        {"load_case": CASE, "load_record": loaded(EMPTY)},
        ["load_case", "load_record", "say record.bad_age ↩"],
        prompt=typed_prompt("rec_age"),
    ),
    Case(
        "a typed date in the future is refused",
        typed("31-12-2026"),
        {"load_case": CASE, "load_record": loaded(GIVEN)},
        ["load_case", "load_record", "say record.bad_date ↩"],
        prompt=typed_prompt("rec_date", service="kesehatan"),
    ),
    Case(
        "a typed date without a year is this year's",
        typed("28/11"),
        {
            "load_case": CASE,
            "load_record": loaded(GIVEN),
            "change_record": recorded(GIVEN, GIVEN),
        },
        [
            "load_case",
            "load_record",
            'change_record {"code": "kesehatan", "date": "2026-11-28", "op": "service"}',
            "save_prompt {'menu': 55, 'service': 'kesehatan'} done",
            "drop_prompt",
            "redraw record.menu @55",
            "say record.saved ↩",
        ],
        prompt=typed_prompt("rec_date", service="kesehatan"),
    ),
    Case(
        "a typed number of victims",
        typed("12 orang"),
        {
            "load_case": CASE,
            "load_record": loaded(EMPTY),
            "change_record": recorded(EMPTY, EMPTY | {"victims": 12}),
        },
        [
            "load_case",
            "load_record",
            'change_record {"op": "set", "values": {"victims": 12}}',
            "audit record victims: - -> 12",
            "save_prompt {'menu': 55} done",
            "drop_prompt",
            "redraw record.menu @55",
            "say record.saved ↩",
        ],
        prompt=typed_prompt("rec_victims"),
    ),
    Case(
        "a typed answer after the ticket left the unit",
        typed("15"),
        {"load_case": CASE | {"owned": False}},
        [
            "load_case",
            "save_prompt {'menu': 55} done",
            "drop_prompt",
            "audit refused rec_age after losing the ticket",
            "say staff.not_allowed",
        ],
        prompt=typed_prompt("rec_age"),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_transcript(case: Case) -> None:
    assert transcript(case) == case.expect


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("28-11-2026", date(2026, 11, 28)),
        ("28/11/2026", date(2026, 11, 28)),
        ("3.11.26", date(2026, 11, 3)),
        ("2026-11-03", date(2026, 11, 3)),
        ("1/12", date(2026, 12, 1)),
        ("28/12", date(2025, 12, 28)),  # typed on 1 December: last year's December
        ("2/12/2026", None),  # tomorrow
        ("31-02-2026", None),
        ("1-1-1999", None),
        ("kemarin", None),
    ],
)
def test_dates_as_staff_type_them(text: str, expected: date | None) -> None:
    assert record.parse_date(text, date(2026, 12, 1)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("15", 15), ("15 tahun", 15), ("7 thn", 7), ("0", 0), ("100", None), ("-3", None)],
)
def test_ages_as_staff_type_them(text: str, expected: int | None) -> None:
    assert record.parse_number(text, 0, 99) == expected


def test_the_category_prefills_violence_until_staff_record_their_own() -> None:
    for category, kind in record.VIOLENCE_OF_CATEGORY.items():
        assert record.violence(EMPTY, category) == [kind]
    assert record.violence(EMPTY | {"violence": []}, "grooming") == []
    assert record.age_band(5) == "0_5" and record.age_band(17) == "13_17"


def test_the_services_menu_marks_what_was_given() -> None:
    menu = record_views.view(7, "PPA-1", GIVEN, "grooming", "svc")
    keys = {c.key: c for row in menu.choices for c in row}
    assert keys["s:view:7:svc.kesehatan"].msgid == "record.checked"  # given: its date, removal
    assert "s:put:7:svc.mediasi" in keys  # not given: one press gives it today
    assert list(keys)[-2:] == ["s:view:7:ref", "s:view:7:done"]
    assert all(len(k.encode()) <= 64 for k in keys)
    services = dict(menu.params["summary"].rows)["record.field.services"]  # type: ignore[union-attr]
    assert isinstance(services, Seq) and services.items[0] == Msg(
        "record.given",
        {"service": Msg("record.svc.kesehatan"), "day": Day("2026-11-28")},
    )
