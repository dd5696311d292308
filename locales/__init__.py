"""Gettext catalogs (Babel). `id` is the source of truth for wording; `en` follows."""

from pathlib import Path

LOCALES_DIR = Path(__file__).parent
DOMAIN = "messages"
