"""Shared pytest fixtures."""

from tests.fakebot import fake_api  # noqa: F401  (re-exported as a fixture for every test)
from tests.support import database, keys, running_bot, sqlite_bot, sqlite_db  # noqa: F401,E402
