"""Shared pytest fixtures."""

from tests.fakebot import fake_api  # noqa: F401  (re-exported as a fixture for every test)
from tests.support import (  # noqa: F401,E402
    bot_runtime,
    database,
    keys,
    pg_database_url,
    running_bot,
    sqlite_bot,
    sqlite_db,
)
