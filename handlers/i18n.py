"""Catalog look-up. Message ids are keys ("report.ask_role"); catalogs hold the words.

Compiled .mo files are used when `make` has built them and they are fresh; otherwise the .po
is compiled in memory, so a fresh checkout and the tests need no extra step.
"""

from __future__ import annotations

import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from locales import DOMAIN, LOCALES_DIR

SUPPORTED = ("id", "en")


def _load(locale: str, base: Path) -> Translations:
    po = base / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    mo = po.with_suffix(".mo")
    if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        with mo.open("rb") as f:
            return Translations(f, domain=DOMAIN)
    with po.open("rb") as f:
        catalog = read_po(f, locale=locale)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(buf, domain=DOMAIN)


class Catalogs:
    def __init__(self, default_locale: str = "id", base: Path = LOCALES_DIR) -> None:
        if default_locale not in SUPPORTED:
            raise ValueError(f"DEFAULT_LOCALE must be one of {', '.join(SUPPORTED)}")
        self.default = default_locale
        source = _load("id", base)
        self._by_locale: dict[str, Translations] = {"id": source}
        for locale in SUPPORTED:
            if locale != "id":
                t = _load(locale, base)
                t.add_fallback(source)  # a message en has not caught up with shows in id
                self._by_locale[locale] = t
        self._cache: dict[tuple[str, str], str] = {}

    def locale_for(self, requested: str | None) -> str:
        return requested if requested in self._by_locale else self.default

    def get(self, locale: str, msgid: str) -> str:
        key = (locale, msgid)
        text = self._cache.get(key)
        if text is None:
            text = self._by_locale[self.locale_for(locale)].gettext(msgid)
            self._cache[key] = text
        return text
