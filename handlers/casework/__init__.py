"""UPT staff casework, orchestrated: events in (events.py), the flow's effects carried out
against storage (effects.py), one unit of work per update (service.py), and everything owed
to someone else written into the outbox (announce.py). The decisions are in flows/casework/."""
