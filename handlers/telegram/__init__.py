"""Telegram on both sides of the core: updates in (events, edge, runtime adapters), messages
out (one Bot API client, one retry policy, one place for message defaults)."""
