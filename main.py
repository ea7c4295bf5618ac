"""Entry points, under their deployed names (each name is a Cloud Function's --entry-point).

Nothing else lives here: see the `functions` package.
"""

from functions.entrypoints.consent import oauth_callback, oauth_start
from functions.entrypoints.links import links, revoke
from functions.entrypoints.planner import planner
from functions.entrypoints.sync import sync

__all__ = ["links", "oauth_callback", "oauth_start", "planner", "revoke", "sync"]
