"""Entry points, under their deployed names (each name is a Cloud Function's --entry-point).

Nothing else lives here: see the `functions` package. functions_framework runs this file inside
each app it builds; the one call below gives that app the JSON envelope for the 404 it answers
itself (a path the framework cannot route, e.g. one with `%0A`, never reaches a function).
"""

from functions.entrypoints.consent import oauth_callback, oauth_start
from functions.entrypoints.google_push import google_push
from functions.entrypoints.links import links, revoke
from functions.entrypoints.planner import planner
from functions.entrypoints.sync import sync
from functions.entrypoints.sync_link import sync_link
from functions.http import install_framework_errors

install_framework_errors()

__all__ = ["google_push", "links", "oauth_callback", "oauth_start", "planner", "revoke", "sync", "sync_link"]
