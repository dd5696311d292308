"""Evidence text → normalised items: links, usernames, phone numbers and leftover text."""

from __future__ import annotations

import json
import random
import unicodedata

import pytest

from flows.evidence import (
    KINDS,
    MAX_ITEM,
    MAX_ITEMS,
    PLATFORMS,
    Item,
    as_dict,
    from_dict,
    guess_platform,
    identity,
    parse,
)

TG, WA, IG = "telegram", "whatsapp", "instagram"


def link(value: str, platform: str | None = None) -> tuple[str, str, str | None]:
    return ("link", value, platform)


def user(value: str) -> tuple[str, str, None]:
    return ("username", value, None)


def phone(value: str) -> tuple[str, str, None]:
    return ("phone", value, None)


def text(value: str) -> tuple[str, str, None]:
    return ("text", value, None)


CASES = [
    # --- links: schemes, hosts, prefixes -------------------------------------------------
    ("t.me/xyz", [link("https://t.me/xyz", TG)]),
    ("http://t.me/xyz", [link("https://t.me/xyz", TG)]),
    ("HTTPS://T.ME/AbC/", [link("https://t.me/AbC", TG)]),
    ("https:t.me/xyz", [link("https://t.me/xyz", TG)]),
    ("telegram.me/xyz", [link("https://telegram.me/xyz", TG)]),
    ("wa.me/6281234567890", [link("https://wa.me/6281234567890", WA)]),
    ("https://chat.whatsapp.com/AbCdEf123", [link("https://chat.whatsapp.com/AbCdEf123", WA)]),
    (
        "api.whatsapp.com/send?phone=6281234567890&text=halo",
        [link("https://api.whatsapp.com/send?phone=6281234567890&text=halo", WA)],
    ),
    ("www.instagram.com/abc", [link("https://instagram.com/abc", IG)]),
    ("instagram.com/abc?igsh=MWx0Y2", [link("https://instagram.com/abc", IG)]),
    (
        "https://www.instagram.com/Dinda_17/?igshid=x&utm_source=qr&utm_medium=copy",
        [link("https://instagram.com/Dinda_17", IG)],
    ),
    ("instagr.am/p/Cx1", [link("https://instagr.am/p/Cx1", IG)]),
    ("https://twitter.com/abc/status/1?s=20", [link("https://x.com/abc/status/1", "x")]),
    ("mobile.twitter.com/abc", [link("https://x.com/abc", "x")]),
    ("x.com/abc?ref=home&t=k", [link("https://x.com/abc?t=k", "x")]),
    (
        "https://m.facebook.com/profile.php?id=100012345&fbclid=IwAR#top",
        [link("https://facebook.com/profile.php?id=100012345", "facebook")],
    ),
    ("fb.me/dinda", [link("https://fb.me/dinda", "facebook")]),
    ("m.me/dinda", [link("https://m.me/dinda", "facebook")]),
    ("vm.tiktok.com/ZSabc123/", [link("https://vm.tiktok.com/ZSabc123", "tiktok")]),
    (
        "https://www.tiktok.com/@dinda/video/7?is_from_webapp=1&sender_device=pc&_t=a&_r=1",
        [link("https://tiktok.com/@dinda/video/7", "tiktok")],
    ),
    ("michat.me/u/123", [link("https://michat.me/u/123", "michat")]),
    ("https://www.michat.com/?feature=x", [link("https://michat.com", "michat")]),
    (
        "youtube.com/watch?v=abc&si=xyz&feature=share",
        [link("https://youtube.com/watch?v=abc", None)],
    ),
    ("https://x.com:443/a", [link("https://x.com/a", "x")]),
    ("(t.me/xyz).", [link("https://t.me/xyz", TG)]),
    ("IG:instagram.com/abc", [link("https://instagram.com/abc", IG)]),
    ("ｔ.ｍｅ/abc", [link("https://t.me/abc", TG)]),
    ("https://bücher.de/ä", [link("https://xn--bcher-kva.de/%C3%A4", None)]),
    # --- not links ---------------------------------------------------------------------------
    ("javascript:alert(1)", [text("javascript:alert(1)")]),
    ("tg://resolve?domain=abcde", [text("tg://resolve?domain=abcde")]),
    ("data:text/html,<script>x</script>", [text("data:text/html,<script>x</script>")]),
    ("file:///etc/passwd", [text("file:///etc/passwd")]),
    ("https://t.me@evil.com/x", [text("https://t.me@evil.com/x")]),
    ("Open.BO kak.tolong", [text("Open.BO kak.tolong")]),
    ("localhost/admin", [text("localhost/admin")]),
    # --- usernames ---------------------------------------------------------------------------
    ("@dinda_17", [user("@dinda_17")]),
    ("@Rara.99 dan @ab", [user("@Rara.99"), user("@ab")]),
    ("akun IG: @dinda.", [user("@dinda"), text("akun IG")]),
    ("@" + "a" * 33, [text("@" + "a" * 33)]),
    ("dinda@gmail.com t.me/q", [link("https://t.me/q", TG), text("dinda@gmail.com")]),
    # --- phones ------------------------------------------------------------------------------
    ("0812-3456-7890", [phone("+6281234567890")]),
    ("+62 812 3456 7890", [phone("+6281234567890")]),
    ("6281234567890", [phone("+6281234567890")]),
    ("812 3456 7890", [phone("+6281234567890")]),
    ("(021) 555-1234", [phone("+62215551234")]),
    ("+62 0812 3456 7890", [phone("+6281234567890")]),
    ("0062 812 3456 7890", [phone("+6281234567890")]),
    ("+60 12-345 6789", [phone("+60123456789")]),
    ("WA: 0812 3456 7890 0813 1111 2222", [phone("+6281234567890"), phone("+6281311112222")]),
    ("62812345678 (021) 555-1234", [phone("+62812345678"), phone("+62215551234")]),
    ("tel:+6281234567890", [phone("+6281234567890")]),
    ("grup 0 0812-3456-7890", [phone("+6281234567890"), text("grup 0")]),
    ("0812345", []),
    ("1234567890", []),
    ("buka 08.00-21.00", [text("buka 08.00-21.00")]),
    ("Rp 850.000.000 @x", [user("@x")]),
    # --- text and mixed lines ------------------------------------------------------------------
    ("Grup Open BO Sby", [text("Grup Open BO Sby")]),
    ("  akun   MiChat\tDinda 17th  ", [text("akun MiChat Dinda 17th")]),
    (
        "grup Open BO Surabaya t.me/xyz",
        [link("https://t.me/xyz", TG), text("grup Open BO Surabaya")],
    ),
    (
        "t.me/a dan wa.me/6281234567890, @dinda atau 0812-3456-7890",
        [
            link("https://t.me/a", TG),
            link("https://wa.me/6281234567890", WA),
            user("@dinda"),
            phone("+6281234567890"),
        ],
    ),
    ("Nomor WA: 0812-3456-7890", [phone("+6281234567890")]),
    ("Telegram @dinda", [user("@dinda"), text("Telegram")]),
    (
        "t.me/a,t.me/b;t.me/c",
        [link("https://t.me/a", TG), link("https://t.me/b", TG)] + [link("https://t.me/c", TG)],
    ),
    ("🔥 t.me/x 🔥", [link("https://t.me/x", TG)]),
    ("ok", []),
    ("link:", []),
    ("", []),
    ("   \n\n\t ", []),
    # --- lines, duplicates, control characters ---------------------------------------------
    (
        "Grup Open BO\nt.me/xyz\r\n@dinda\u2028 0812 3456 7890",
        [
            text("Grup Open BO"),
            link("https://t.me/xyz", TG),
            user("@dinda"),
            phone("+6281234567890"),
        ],
    ),
    ("t.me/x\nhttps://t.me/x/\nT.ME/x", [link("https://t.me/x", TG)]),
    ("t.me/a\x00b", [link("https://t.me/ab", TG)]),
    ("\u202et.me/abc\u202c", [link("https://t.me/abc", TG)]),
    ("Grup\u200b Open\x07 BO", [text("Grup Open BO")]),
    ("جروب عربي t.me/x", [link("https://t.me/x", TG), text("جروب عربي")]),
]


@pytest.mark.parametrize(("typed", "expected"), CASES, ids=[repr(c[0])[:40] for c in CASES])
def test_parse(typed: str, expected: list[tuple[str, str, str | None]]) -> None:
    assert [(i.kind, i.value, i.platform) for i in parse(typed)] == expected


GUESSES = [
    ([], None),
    ([Item("username", "@a", None), Item("text", "grup", None)], None),
    ([Item("link", "https://t.me/a", TG)], TG),
    (
        [
            Item("link", "https://t.me/a", TG),
            Item("username", "@a", None),
            Item("link", "https://t.me/b", TG),
        ],
        TG,
    ),
    ([Item("link", "https://t.me/a", TG), Item("link", "https://wa.me/62812", WA)], None),
    ([Item("link", "https://example.com", None), Item("link", "https://x.com/a", "x")], "x"),
]


@pytest.mark.parametrize(("items", "platform"), GUESSES)
def test_guess_platform(items: list[Item], platform: str | None) -> None:
    assert guess_platform(items) == platform
    assert guess_platform(iter(items)) == platform  # any iterable, read once


def test_guess_platform_from_parse() -> None:
    assert guess_platform(parse("t.me/a\n@dinda\nhttps://telegram.me/b")) == TG
    assert guess_platform(parse("t.me/a wa.me/628123456789")) is None


ROUND_TRIP = parse(
    "t.me/a\nwa.me/6281234567890 @dinda 0812-3456-7890\nGrup Open BO Sby\nexample.com/x?q=1"
)


@pytest.mark.parametrize("item", ROUND_TRIP, ids=lambda i: i.kind)
def test_round_trip(item: Item) -> None:
    d = as_dict(item)
    assert set(d) == {"kind", "value", "platform"}
    assert from_dict(json.loads(json.dumps(d))) == item


def test_round_trip_covers_every_kind() -> None:
    assert {i.kind for i in ROUND_TRIP} == set(KINDS)


@pytest.mark.parametrize(
    "bad",
    [
        {},
        {"kind": "video", "value": "x", "platform": None},
        {"kind": "text", "value": "", "platform": None},
        {"kind": "text", "value": 3, "platform": None},
        {"kind": "text", "value": "x" * (MAX_ITEM + 1), "platform": None},
        {"kind": "link", "value": "https://t.me/a", "platform": "myspace"},
        {"kind": "link", "value": "javascript:alert(1)", "platform": None},
    ],
)
def test_from_dict_rejects(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        from_dict(bad)


def test_long_values_are_cut() -> None:
    (item,) = parse("x" * 1000)
    assert item == Item("text", "x" * MAX_ITEM, None)
    (item,) = parse("t.me/" + "a" * 1000)
    assert item.kind == "link" and len(item.value) == MAX_ITEM
    (item,) = parse("t.me/" + "é" * 1000)  # a cut never leaves half a %-escape
    assert item.value.startswith("https://t.me/%C3%A9")
    assert item.value.rsplit("/", 1)[1].replace("%C3%A9", "") == ""


def test_at_most_max_items() -> None:
    typed = "\n".join(f"@user{n}" for n in range(50))
    assert [i.value for i in parse(typed)] == [f"@user{n}" for n in range(MAX_ITEMS)]


@pytest.mark.parametrize(
    "typed",
    [
        "x" * 100_000,
        "1" * 100_000,
        "0812 " * 20_000,
        "t.me/x " * 15_000,
        "@" * 100_000,
        "a." * 50_000,
        "https://" + "a" * 100_000 + ".com",
        "\n" * 100_000,
        "\u202e🔥\x00" * 30_000,
        "(" * 50_000 + ")" * 50_000,
    ],
    ids=lambda t: repr(t[:12]),
)
def test_huge_input(typed: str) -> None:
    items = parse(typed)
    assert len(items) <= MAX_ITEMS
    assert all(len(i.value) <= MAX_ITEM for i in items)


def test_huge_mixed_input_keeps_order_and_limit() -> None:
    typed = "\n".join(f"t.me/g{n} grup {n} 0812345{n:05d}" for n in range(3000))
    items = parse(typed)
    assert len(items) == MAX_ITEMS
    assert items[:3] == [
        Item("link", "https://t.me/g0", TG),
        Item("phone", "+6281234500000", None),
        Item("text", "grup 0", None),
    ]


def test_non_string_input() -> None:
    assert parse(None) == []  # type: ignore[arg-type]


PIECES = [
    "https://",
    "http://",
    "t.me/",
    "wa.me/",
    "www.",
    "instagram.com/",
    "javascript:",
    "tg://",
    "?utm_source=x",
    "&",
    "#",
    "@",
    "+62 ",
    "0812",
    "0812-3456-7890",
    "+62 812 3456 7890",
    "-",
    ".",
    ",",
    ";",
    " ",
    "\n",
    "\t",
    "\u00a0",
    "\u202e",
    "\u200b",
    "\x00",
    "\x1b",
    "🔥",
    "ä",
    "جروب",
    "グループ",
    "(",
    ")",
    "%",
    "\\",
    ":",
    "/",
]


def random_text(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randrange(0, 40)):
        roll = rng.random()
        if roll < 0.5:
            parts.append(rng.choice(PIECES))
        elif roll < 0.8:
            parts.append(chr(rng.randrange(0x20, 0x7F)))
        else:
            parts.append(chr(rng.randrange(0x110000)))  # includes lone surrogates
    return "".join(parts)


def test_fuzz() -> None:
    rng = random.Random(1)
    kinds: set[str] = set()
    for _ in range(500):
        typed = random_text(rng)
        items = parse(typed)
        assert len(items) <= MAX_ITEMS
        assert len({(i.kind, i.value) for i in items}) == len(items)
        for item in items:
            assert item.kind in KINDS, typed
            assert item.value and len(item.value) <= MAX_ITEM, typed
            assert not any(unicodedata.category(c) in ("Cc", "Cf", "Cs") for c in item.value)
            assert item.platform is None or item.platform in PLATFORMS
            if item.kind == "link":
                assert item.value.startswith("https://"), typed
                assert not any(c.isspace() for c in item.value), typed
            else:
                assert item.platform is None
            assert from_dict(as_dict(item)) == item
        kinds |= {i.kind for i in items}
    assert kinds == set(KINDS)  # the fuzz reached every kind


@pytest.mark.parametrize(
    ("typed", "same_as"),
    [
        ("@Penawar_Anak", "@penawar_anak"),
        ("0812-3456-7890", "+62 812 3456 7890"),
        ("https://www.instagram.com/penawar/?igsh=abc", "instagram.com/penawar"),
        ("Grup  VIP Sidoarjo", "grup vip SIDOARJO"),
    ],
)
def test_one_identifier_however_it_is_typed(typed: str, same_as: str) -> None:
    [a], [b] = parse(typed), parse(same_as)
    assert identity(a) == identity(b) is not None


@pytest.mark.parametrize("typed", ["halo", "grup vip", "@a", "t.me/a"])
def test_short_words_identify_nothing_but_accounts_and_links_do(typed: str) -> None:
    [item] = parse(typed)
    assert (identity(item) is None) == (item.kind == "text")
