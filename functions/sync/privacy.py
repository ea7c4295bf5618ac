"""Pure rules of what a resource's calendar may show at Google (issue 13, item 7).

Appointments are health data. Google offers its data processing terms only for Workspace
accounts, so a consumer account (`@gmail.com`, `@googlemail.com`) shows more than "Belegt"
only after someone confirmed it for exactly that account; a consent of another account needs a
confirmation of its own. The API refuses to raise the level without it (`services/setup.py`,
`services/linking.py`), and the sync (`engine.py`) never writes more than `busy` for such an
account without a recorded confirmation, whatever the resource's setting says.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from functions.sync.model import Privacy

CONSUMER_DOMAINS = frozenset({"gmail.com", "googlemail.com"})
_RANK = {Privacy.BUSY: 0, Privacy.TITLE_ONLY: 1, Privacy.FULL: 2}


def is_consumer_account(email: str | None) -> bool:
    """A Google account without Workspace's processor terms (by its address's domain)."""
    if not email or "@" not in email:
        return False
    return email.rsplit("@", 1)[1].strip().lower().rstrip(".") in CONSUMER_DOMAINS


def shows_more_than_busy(privacy: str) -> bool:
    return _RANK[Privacy(privacy)] > 0


def raises(old: str | None, new: str) -> bool:
    """`new` shows more than `old` (None: the resource is new), and more than busy."""
    before = _RANK[Privacy(old)] if old is not None else 0
    return _RANK[Privacy(new)] > before


def confirmed_for(confirmation: Mapping[str, Any] | None, email: str | None) -> bool:
    """A recorded confirmation that covers this account (a new account needs its own)."""
    recorded = confirmation.get("account_email") if confirmation else None
    return bool(email and isinstance(recorded, str) and recorded.lower() == email.lower())


def needs_confirmation(privacy: str, email: str | None, confirmation: Mapping[str, Any] | None) -> bool:
    """Whether showing `privacy` with this account needs a confirmation that is not recorded."""
    return (shows_more_than_busy(privacy) and is_consumer_account(email)
            and not confirmed_for(confirmation, email))


def effective(privacy: str, email: str | None, confirmation: Mapping[str, Any] | None) -> Privacy:
    """What the sync may write: the resource's level, or `busy` for a consumer account without
    a confirmation for it (defence in depth: the API refuses such a level in the first place,
    but a resource set before the rule, or a new consent, must not leak)."""
    if needs_confirmation(privacy, email, confirmation):
        return Privacy.BUSY
    return Privacy(privacy)
