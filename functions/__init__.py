"""The planner ⇄ Google Calendar bridge (deployed as Google Cloud Functions)."""
