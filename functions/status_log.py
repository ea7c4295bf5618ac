"""One log line whenever a link enters a state that someone must act on: what the alerts count.

The line carries fixed fields only (`event`, `link`, `status`, `reason`, and for a grant that died
the age of the consent in hours), never a text that could hold patient data, so the log-based
metrics in infra/monitoring.tf can select it by `jsonPayload.event` and never by message wording.
A grant that dies about 168 hours (7 days) after its consent is the OAuth app still in
"Testing": Google expires such refresh tokens after a week.
"""

from __future__ import annotations

import logging
from datetime import datetime

from functions.domain import Link

LINK_STATUS_CHANGED = "link_status_changed"
# the reasons, as the audit log names them too
GRANT_DEAD = "grant_dead"
TOKEN_UNREADABLE = "token_unreadable"  # noqa: S105 (a reason, not a secret)
CALENDAR_MISSING = "calendar_missing"
THROTTLED = "throttled"
MASS_CHANGE_BLOCKED = "mass_change_blocked"

log = logging.getLogger(__name__)


def link_status_changed(link: Link, status: str, reason: str, now: datetime) -> None:
    extra: dict[str, object] = {"event": LINK_STATUS_CHANGED, "link": link.link_id,
                                "status": status, "reason": reason}
    if link.consented_at is not None:
        extra["consent_age_hours"] = round((now - link.consented_at).total_seconds() / 3600, 1)
    log.warning("link status changed", extra=extra)
