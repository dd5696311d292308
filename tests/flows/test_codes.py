from __future__ import annotations

import itertools
import re

import pytest

from flows.codes import CODE_LENGTH, CodeError, format_code, looks_like_code, new_code, parse_code

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def with_check(payload: str) -> str:
    """Independent re-statement of the spec: weights 1, 3, …, 21, sum mod 32."""
    total = sum((2 * i + 1) * ALPHABET.index(s) for i, s in enumerate(payload))
    return payload + ALPHABET[total % 32]


VALID = with_check("7K2M9Q4T1XA")  # "7K2M9Q4T1XA8"
WITH_ZERO_AND_ONE = with_check("10K0M1Z0P1Q")
SAMPLES = [
    VALID,
    WITH_ZERO_AND_ONE,
    with_check("00000000000"),
    with_check("ZZZZZZZZZZZ"),
    with_check("0123456789A"),
    with_check("BCDEFGHJKMN"),
]


def test_known_check_symbol() -> None:
    assert VALID == "7K2M9Q4T1XA8"
    assert parse_code(VALID) == VALID


def test_new_code_shape_and_round_trip() -> None:
    codes = {new_code() for _ in range(500)}
    assert len(codes) == 500  # 55 random bits: a collision here would mean broken randomness
    for code in codes:
        assert len(code) == CODE_LENGTH
        assert set(code) <= set(ALPHABET)
        shown = format_code(code)
        assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", shown)
        assert parse_code(shown) == code
        assert parse_code(code) == code
        assert looks_like_code(shown)


def test_format_code() -> None:
    assert format_code("7K2M9Q4T1XA8") == "7K2M-9Q4T-1XA8"


@pytest.mark.parametrize("code", SAMPLES)
def test_every_single_substitution_is_a_checksum_error(code: str) -> None:
    for position, symbol in itertools.product(range(CODE_LENGTH), ALPHABET):
        if code[position] == symbol:
            continue
        typo = code[:position] + symbol + code[position + 1 :]
        assert parse_code(typo) is CodeError.CHECKSUM, (code, typo)


def test_adjacent_transpositions_mostly_detected() -> None:
    detected = total = 0
    for _ in range(300):
        code = new_code()
        for i in range(CODE_LENGTH - 1):
            if code[i] == code[i + 1]:
                continue
            swapped = code[:i] + code[i + 1] + code[i] + code[i + 2 :]
            total += 1
            detected += parse_code(swapped) is CodeError.CHECKSUM
    # Payload swaps escape only when the values differ by 16 (1 in 31 pairs).
    assert detected / total > 0.95, (detected, total)


@pytest.mark.parametrize(
    "text",
    [
        "7k2m 9q4t 1xa8",
        "7K2M-9Q4T-1XA8",
        "7K2M.9Q4T.1XA8",
        "  7k2m9q4t1xa8  ",
        "7K2M – 9Q4T — 1XA8",  # phone keyboards turn "-" into dashes
        "7K2M-9Q4T-IXA8",  # I for 1
        "7K2M-9Q4T-lXA8",  # l for 1
        "7K2M-9Q4T-LXA8",
    ],
)
def test_tolerant_input(text: str) -> None:
    assert parse_code(text) == VALID
    assert looks_like_code(text)


@pytest.mark.parametrize(
    "text",
    [
        WITH_ZERO_AND_ONE,
        WITH_ZERO_AND_ONE.replace("0", "O"),
        WITH_ZERO_AND_ONE.replace("0", "o").replace("1", "i"),
        format_code(WITH_ZERO_AND_ONE).replace("1", "L").lower(),
    ],
)
def test_confusable_letters(text: str) -> None:
    assert parse_code(text) == WITH_ZERO_AND_ONE


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "7K2M-9Q4T-1XA",  # one short
        "7K2M-9Q4T-1XA88",  # one long
        "7K2M-9Q4T-UXA8",  # U is not in Crockford's alphabet
        "7K2M-9Q4T-1XA!",
        "7K2M/9Q4T/1XA8",
        "7K2M_9Q4T_1XA8_7K2M",
        "kode saya 7K2M-9Q4T-1XA8",
        "7K2M-9Q4T-1XA8" * 10,
        "Ö" * 12,
    ],
)
def test_format_errors(text: str) -> None:
    assert parse_code(text) is CodeError.FORMAT
    assert not looks_like_code(text)


def test_checksum_error_is_distinct_from_format() -> None:
    typo = "7K2M-9Q4T-1XA9"
    assert parse_code(typo) is CodeError.CHECKSUM
    assert looks_like_code(typo)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("halo apa kabar", False),  # 12 symbols once O/L map to digits, but just chat
        ("ada yang jahat", False),
        ("Halo apa kabar", False),
        ("7K2M 9Q4T 1XA9", True),  # a typo'd code is still noticed
        (with_check("ABCDEFGHJKM"), True),  # digit-free codes pass when typed correctly
    ],
)
def test_looks_like_code_ignores_ordinary_chat(text: str, expected: bool) -> None:
    assert looks_like_code(text) is expected
    if not expected:
        # Guard the test itself: these must be the tricky kind that do fit 12 symbols.
        assert parse_code(text) is CodeError.CHECKSUM


@pytest.mark.parametrize(
    "phone",
    ["0812-3456-7890", "0812 3456 7890", "081234567890", "6281-2345-6789", "0812.3456.7890"],
)
def test_a_phone_number_in_fours_is_not_taken_for_a_code(phone: str) -> None:
    # Typed as evidence mid-report, it must stay evidence, not vanish as a mistyped code.
    assert not looks_like_code(phone)
    assert looks_like_code("7K2M-9Q4T-1XA8") and looks_like_code("1234-5678-9012")
