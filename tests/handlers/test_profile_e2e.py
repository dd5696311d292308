"""Before the first message and at the command menu (issue 13, item 8): the bot says what it
is, that it is anonymous and whom to call in danger, in each language; English speakers get
English commands, and both sets work for everyone."""

from __future__ import annotations

from tests.support import RunningBot


async def test_profile_and_menus_in_both_languages(running_bot: RunningBot) -> None:
    api = running_bot.api
    described = api.descriptions
    assert "anonim" in described["description|"] and "SAPA 129" in described["description|"]
    assert "110" in described["description|"] and "112" in described["description|"]
    assert "anonymously" in described["description|en"]
    assert "Never send sexual images" in described["description|en"]
    assert "110, 112, SAPA 129" in described["short_description|"]
    assert "110, 112, SAPA 129" in described["short_description|en"]
    menus = {key: [c["command"] for c in cmds] for key, cmds in api.commands.items()}
    private, groups = '{"type": "default"}|', '{"type": "all_group_chats"}|'
    assert menus[private] == ["start", "lapor", "status", "bantuan", "batal", "bahasa", "hapus"]
    assert menus[f"{private}en"] == [
        "start", "report", "status", "help", "cancel", "language", "forget"
    ]  # fmt: skip
    # In a group (only a UPT's needs the bot) the menu is the staff's, not a reporter's.
    assert menus[groups] == ["hubungkan", "statistik"]
    assert menus[f"{groups}en"] == ["hubungkan", "stats"]
    assert len(menus) == 4


async def test_english_commands_work_in_both_languages(running_bot: RunningBot) -> None:
    api = running_bot.api
    english = api.user(7301, language_code="en")
    [help_page] = await english.ask("/help")
    [bantuan_page] = await english.ask("/bantuan")
    assert help_page.plain == bantuan_page.plain and "SAPA 129" in help_page.plain
    intro, who = await english.ask("/report", n=2)
    assert "Never send sexual photos or videos of a child" in intro.plain
    assert "/cancel" in intro.plain and "/batal" not in intro.plain
    [cancelled, _menu] = await english.ask("/cancel", n=2)
    assert "cancel" in cancelled.plain.lower()
    indonesian = api.user(7302)
    [halaman] = await indonesian.ask("/help")
    assert (
        "SAPA 129" in halaman.plain and halaman.plain == (await indonesian.ask("/bantuan"))[0].plain
    )
    [picker] = await indonesian.ask("/language")
    assert ["English"] in picker.buttons or any(
        "English" in b for row in picker.buttons for b in row
    )
    [forget] = await indonesian.ask("/forget")
    assert forget.buttons  # the erase confirmation, as /hapus
