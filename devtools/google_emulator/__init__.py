"""A local, in-memory emulator of Google Calendar v3 and Google's OAuth 2.0 endpoints.

It is a real HTTP server, driven by the real google-api-python-client, google-auth and
google-auth-oauthlib. See README.md beside this file for routes, the control API and the
test accounts.
"""

from devtools.google_emulator.server import EmulatorServer, create_app

__all__ = ["EmulatorServer", "create_app"]
